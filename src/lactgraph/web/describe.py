"""The description of an entity as an rdflib Graph, read through the Store interface.

A description is what a document about the entity must hold to stand alone:

- its own triples, those of its hash sub-resources (`product/x#pk-half-life`,
  `product/x#citation-en-1`) and of the RDF lists it links (`lg:bibliography`), complete so
  that they serialise as lists;
- the references it cites, in full, with their `bibo:authorList` (asked apart);
- the triples pointing at it from named resources (an alias's `lg:aliasOf`, a group's
  members, a risk level's products), but not from the dataset's statistics (VoID's);
- a summary (types, labels, risk level, notation, colour, definition) of every resource
  it links or is linked from, and of those resources' risk levels.

A few SPARQL queries, each anchored on the entity's IRI or on a VALUES list, so the cost
follows the size of the description and not of the graph. Whole-graph documents (the
ontology, the shapes) are built once per store version (`per_version`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import current_app
from rdflib import Graph, URIRef

from ..iris import IriScheme
from ..store import FAST_STORE, Store
from ..vocab import PREFIXES, RISK_LEVELS

T = TypeVar("T")

# What a neighbour contributes to a description: enough to name it and show its level.
_SUMMARY = ("rdf:type", "skos:prefLabel", "rdfs:label", "lg:riskLevel", "skos:notation",
            "schema:color", "skos:definition", "lg:languageOrScript")

_CITES = URIRef(PREFIXES["cito"] + "citesAsEvidence")
# The vocabulary's IRIs, the same whatever the data's base (iris.py).
_SCHEME = IriScheme()
_VOCABULARY = (*PREFIXES.values(), _SCHEME.ontology, _SCHEME.risk_scheme)
_RISK_LEVELS = frozenset(_SCHEME.risk(level.level) for level in RISK_LEVELS)


def _prologue(iris: IriScheme) -> str:
    prefixes = {**PREFIXES, "lg": iris.term("")}
    return "".join(f"PREFIX {name}: <{ns}>\n" for name, ns in prefixes.items())


def _core_query(iri: str, iris: IriScheme) -> str:
    """The entity's own triples, its sub-resources and lists, its references, inbound links.

    Shaped for Virtuoso's planner as well as Oxigraph's: a node found by one pattern has its
    triples read in an OPTIONAL, which Virtuoso evaluates after what binds the node (as a
    plain join it read `?s ?p ?o` first: 0.4 s a product, not 0.07); and `isIRI`, not
    `!isBlank`, which it tested on every triple of the store."""
    hashes = f'"{iri}#"'
    cited = f"<{iri}> cito:citesAsEvidence|(lg:bibliography/rdf:rest*/rdf:first)"
    return _prologue(iris) + f"""
CONSTRUCT {{ ?s ?p ?o }} WHERE {{
  {{ BIND(<{iri}> AS ?s) ?s ?p ?o }}
  UNION {{ ?s ?p <{iri}> . BIND(<{iri}> AS ?o)
           FILTER(isIRI(?s) && !STRSTARTS(STR(?s), "{iris.dataset}#")) }}
  UNION {{ {{ <{iri}> ?link ?s }} UNION {{ ?s ?link <{iri}> }}
           FILTER(isIRI(?s) && STRSTARTS(STR(?s), {hashes})) OPTIONAL {{ ?s ?p ?o }} }}
  UNION {{ <{iri}> ?link ?head . FILTER(isBlank(?head)) ?head rdf:rest* ?s .
           OPTIONAL {{ ?s ?p ?o }} }}
  UNION {{ {cited} ?s . OPTIONAL {{ ?s ?p ?o FILTER(?p != bibo:authorList) }} }}
}}"""


def _authors_query(references: list[str], iris: IriScheme) -> str:
    """The author lists of the given references, each list whole in this one answer (a
    remote store labels blank nodes per answer). Asked apart: inside the core query, the
    same pattern made Oxigraph walk every list of the graph, 90 ms at 50,000 products. The
    OPTIONAL as in `_core_query`: as a join, Virtuoso took up to 6 s for 30 references."""
    values = " ".join(f"<{reference}>" for reference in references)
    return _prologue(iris) + f"""
CONSTRUCT {{ ?ref bibo:authorList ?head . ?s ?p ?o }} WHERE {{
  VALUES ?ref {{ {values} }}
  ?ref bibo:authorList ?head . ?head rdf:rest* ?s . OPTIONAL {{ ?s ?p ?o }}
}}"""


def _summary_query(nodes: list[str], iris: IriScheme) -> str:
    """The summary triples of the given resources: each one's triples read and filtered
    (a VALUES of predicates as well made Oxigraph join a scan of the whole store by hash
    where the resources were many: 35 s for a group of 250 members, not 0.6 s)."""
    values = " ".join(f"<{node}>" for node in nodes)
    levels = ", ".join(f"<{level}>" for level in sorted(_RISK_LEVELS))
    return _prologue(iris) + f"""
CONSTRUCT {{ ?n ?p ?o }} WHERE {{
  VALUES ?n {{ {values} }}
  ?n ?p ?o . FILTER(?p IN ({", ".join(_SUMMARY)}) || (?p = skos:altLabel && ?n IN ({levels})))
}}"""


def _summaries(store: Store, iris: IriScheme, nodes: list[str], kept: dict[str, tuple]
               ) -> Graph:
    """The summaries of nodes, those of vocabulary terms taken from and added to kept."""
    asked = [node for node in nodes if node not in kept]
    found = store.construct(_summary_query(asked, iris)) if asked else Graph(store=FAST_STORE)
    for node in asked:
        if node.startswith(_VOCABULARY) or node in _RISK_LEVELS:
            kept[node] = tuple(found.triples((URIRef(node), None, None)))
    for node in nodes:
        if node not in asked:
            for triple in kept[node]:
                found.add(triple)
    return found


def _named(graph: Graph) -> set[str]:
    """The IRIs a graph mentions as subjects or objects."""
    return {str(t) for s, _, o in graph for t in (s, o) if isinstance(t, URIRef)}


def describe(store: Store, iris: IriScheme, iri: str,
             vocabulary: dict[str, tuple] | None = None) -> Graph | None:
    """The standalone description of iri, or None when the store knows nothing of it.

    The neighbours are read off the core description in Python and summarised by a VALUES
    lookup, then what those name (their levels, their classes): a single CONSTRUCT that
    found them by pattern took 0.4 s per entity on a graph of 96k triples, this takes
    milliseconds. vocabulary: the summaries of the vocabulary's terms (classes, risk
    levels: a few hundred, in every description) read so far from this store version,
    added to as they are read (`summaries_kept()`).
    """
    kept = {} if vocabulary is None else vocabulary
    graph = store.construct(_core_query(iri, iris))
    if not len(graph):
        return None
    entity = URIRef(iri)
    bibliography = graph.value(entity, URIRef(iris.term("bibliography")))
    cited = {*graph.objects(entity, _CITES), *(graph.items(bibliography) if bibliography else ())}
    references = sorted(str(node) for node in cited if isinstance(node, URIRef))
    if references:
        graph += store.construct(_authors_query(references, iris))
    neighbours = sorted(n for n in _named(graph) if n != iri and not n.startswith(f"{iri}#"))
    summaries = _summaries(store, iris, neighbours, kept)
    named = {str(o) for o in summaries.objects() if isinstance(o, URIRef)}
    graph += summaries
    graph += _summaries(store, iris, sorted(named.difference(neighbours)), kept)
    return graph


def summaries_kept() -> dict[str, tuple]:
    """The vocabulary's summaries read from the current store version, for `describe`."""
    return per_version("summaries", dict)


def _named_graph(store: Store, graph: str) -> Graph:
    """The triples of one of the store's named graphs."""
    return store.construct(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")


def ontology_graph(store: Store, iris: IriScheme) -> Graph:
    """The ontology as loaded: the graph both stores keep it in (generations.store_sources,
    remote.dataset_graphs). Gathering its terms by pattern over every graph instead took
    over 60 s on Virtuoso with a data graph of 200 products."""
    return _named_graph(store, iris.ontology)


def shapes_graph(store: Store, iris: IriScheme) -> Graph:
    """The SHACL shapes as loaded, from their own graph."""
    return _named_graph(store, iris.shapes)


def per_version(name: str, build: Callable[[], T]) -> T:
    """A value derived from the whole store, built once per store version.

    Whole-graph figures (counts, the search index, the ontology document) would cost a
    scan on every request; the store's version changes whenever its data does.
    """
    cache = current_app.extensions.setdefault("lactgraph.per_version", {})
    store = current_app.extensions["lactgraph"].store
    key = (name, store.version())
    if key in cache:
        return cache[key]
    value = build()  # two threads may both build it once: harmless, and no lock held
    if store.settled(key[1]):  # else it was built from another version's data: not kept
        cache[key] = value
    return value
