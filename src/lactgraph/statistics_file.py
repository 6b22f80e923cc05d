"""`graph/statistics.ttl`: figures of the dataset that queries would otherwise scan for.

"How many products at each risk level" and "which products were updated last" read every
product: 16 and 90 ms at 50,000 products in Oxigraph, for an answer that only changes
when the build runs. The build computes them once from the new store and publishes them
as VoID (`<base>graph/statistics` in the store, like every file of graph/):

    <dataset> dcterms:modified "2026-11-20"^^xsd:date ;      the latest product update
        void:subset <dataset#level-0>, ..., <dataset#recently-updated> .
    <dataset#level-0> a void:Dataset ; lg:subsetRiskLevel risk:0 ; void:entities 1234 .
    <dataset#recently-updated> a void:Dataset ; void:entities 100 ;
        lg:recentlyUpdatedProduct product:a, ... .

The recently updated subset holds the RECENT products updated last and every product
tied with the last of them, so that "the N latest" (N <= RECENT) over it is exactly the
answer over all products.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
from rdflib import RDF, Graph, Literal, Namespace, URIRef

from .entries import turtle_prefixes
from .iris import IriScheme
from .rdfio import to_rdflib
from .store.oxigraph import publish_turtle
from .turtle import TermWriter, blocks, header
from .vocab import PREFIXES, RISK_LEVELS

STATISTICS_FILE = "statistics.ttl"
RECENT = 100

DCTERMS = Namespace(PREFIXES["dcterms"])
VOID = Namespace(PREFIXES["void"])

# Only products carry a level and a date of update in the data graph (to_rdf.py): asking
# for `a lg:Product` too costs a lookup per product (0.7 s at 50,000 products, not 16 ms).
_LEVELS = """SELECT ?level (COUNT(?product) AS ?products) WHERE {{ GRAPH <{graph}> {{
  ?product <{risk_level}> ?level }} }} GROUP BY ?level"""
# Ordered by date alone (a tie broken by IRI decodes every IRI: 0.9 s); the ties with the
# last one are added whole, so the set does not depend on how the sort broke them.
_LATEST = """SELECT ?product ?date WHERE {{ GRAPH <{graph}> {{
  ?product <{modified}> ?date }} }} ORDER BY DESC(?date) LIMIT {limit}"""
_ON_DATE = """SELECT ?product WHERE {{ GRAPH <{graph}> {{ ?product <{modified}> {date} }} }}"""


class StatisticsFile:
    """The statistics file of one graph folder, for one base."""

    def __init__(self, graph_dir: Path, base: str) -> None:
        self.path = graph_dir / STATISTICS_FILE
        self.iris = IriScheme(base)
        self.graph = f"{self.iris.base}graph/{self.path.stem}"  # as serve names graph/ files
        prefixes = turtle_prefixes(base)
        self._terms = TermWriter(prefixes)
        self._header = ("# Figures of the dataset (VoID), computed from the graph:\n"
                        "# written by `lactgraph build`, not by hand.\n" + header(prefixes))

    def graph_of(self, store: ox.Store, data_graph: str) -> Graph:
        """The statistics of the entries in data_graph of store."""
        iris = self.iris
        names = {"graph": data_graph, "risk_level": iris.term("riskLevel"),
                 "modified": DCTERMS.modified}
        counts = {row["level"].value: int(row["products"].value)
                  for row in store.query(_LEVELS.format(**names))}
        graph = Graph()
        dataset = URIRef(iris.dataset)
        for level in RISK_LEVELS:
            subset = URIRef(f"{iris.dataset}#level-{level.level}")
            graph.add((dataset, VOID.subset, subset))
            graph.add((subset, RDF.type, VOID.Dataset))
            graph.add((subset, DCTERMS.title, Literal(
                f"Products at risk level {level.level} ({level.risk_name['en']})", lang="en")))
            graph.add((subset, URIRef(iris.term("subsetRiskLevel")),
                       URIRef(iris.risk(level.level))))
            graph.add((subset, VOID.entities,
                       Literal(counts.get(iris.risk(level.level), 0))))
        latest = list(store.query(_LATEST.format(**names, limit=RECENT)))
        recent = URIRef(f"{iris.dataset}#recently-updated")
        products = {row["product"] for row in latest}
        if latest:
            graph.add((dataset, DCTERMS.modified, to_rdflib(latest[0]["date"])))
            if len(latest) == RECENT:  # the products tied with the last one
                products |= {row["product"] for row in store.query(
                    _ON_DATE.format(**names, date=latest[-1]["date"]))}
        graph.add((dataset, VOID.subset, recent))
        graph.add((recent, RDF.type, VOID.Dataset))
        graph.add((recent, DCTERMS.title, Literal("Products updated last", lang="en")))
        graph.add((recent, VOID.entities, Literal(len(products))))
        for product in products:
            graph.add((recent, URIRef(iris.term("recentlyUpdatedProduct")),
                       URIRef(product.value)))
        return graph

    def publish(self, store: ox.Store, data_graph: str, staged: Path) -> None:
        """Write the statistics to staged and put them in the store's statistics graph,
        replacing what it held."""
        text = self._header + blocks(self.graph_of(store, data_graph), self._terms)
        publish_turtle(store, self.graph, text, staged)

