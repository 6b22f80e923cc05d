"""The documents about the dataset: VoID, the ontology, the shapes, the JSON-LD context.

Whole-graph figures (triples, entities per class, products per level, vocabularies) are
computed once per store version and shared by VoID and the home page.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, Response
from rdflib import OWL, RDF, RDFS, BNode, Graph, Literal, Namespace, URIRef

from ..iris import IriScheme
from ..statistics_file import subsets
from ..store import Store
from ..vocab import PREFIXES
from . import dumps, urls, vocabulary_pages
from .context import site
from .describe import ontology_graph, per_version, shapes_graph
from .entities import (
    document_response,
    negotiated,
    not_acceptable,
    not_found,
    rdf_document,
    see_other,
)
from .renderers import RDF_DOCUMENT_FORMATS

blueprint = Blueprint("meta", __name__)

VOID = Namespace(PREFIXES["void"])
DCTERMS = Namespace(PREFIXES["dcterms"])
FOAF = Namespace(PREFIXES["foaf"])
FORMATS_NS = Namespace("http://www.w3.org/ns/formats/")

LICENSE = "https://creativecommons.org/licenses/by-nc-sa/4.0/"
SOURCE = "https://www.e-lactancia.org/"
TITLE = "lactgraph: e-lactancia.org breastfeeding compatibility as linked data"
DESCRIPTION = ("The entries of e-lactancia.org (APILAM) on the compatibility of drugs, plants, "
               "procedures and other products with breastfeeding, as RDF: products and their "
               "risk levels, groups, aliases, other writings, brand names, pharmacokinetics, "
               "references and in-text citations.")


@dataclass(frozen=True)
class Statistics:
    """Figures of the whole store, for VoID and the home page."""

    triples: int  # of the data (see _DATA_TRIPLES)
    entities: int
    classes: dict[str, int]  # class IRI -> entities
    levels: dict[str, int]  # risk level IRI -> products
    vocabularies: list[str]  # namespaces of the terms in use
    examples: list[str]  # a few typical entities


def _count(rows: list[dict], name: str = "n") -> int:
    return int(rows[0][name]) if rows and name in rows[0] else 0


def _vocabularies(terms: list[str], lg: str) -> list[str]:
    """The namespaces (ours and the reused ones) that the predicates and classes come from."""
    namespaces = {*PREFIXES.values(), lg}
    return sorted(ns for ns in namespaces if any(term.startswith(ns) for term in terms))


# The dataset's triples are those of its dumps (the entries and the links): not the
# vocabulary's graphs, nor the build's figures about the dataset (graph/statistics.ttl).
# A server given `lactgraph push` holds those figures in the data graph: their triples
# (those of its subsets, the links to them, the dataset's date) are counted apart and taken
# off. The linksets are subsets of the dataset too, but the dumps carry them.
_DATA_TRIPLES = """SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }}
  FILTER(?g NOT IN ({vocabulary}, {statistics})) }}"""
_FIGURES_AMONG_DATA = """SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{
    {{ VALUES ?set {{ {subsets} }} ?set ?p ?o }}
    UNION {{ VALUES ?set {{ {subsets} }} <{dataset}> <{VOID}subset> ?set }}
    UNION {{ <{dataset}> <{DCTERMS}modified> ?date }} }}
  FILTER(?g NOT IN ({vocabulary}, {statistics})) }}"""


def _statistics() -> Statistics:
    current = site()
    store, iris = current.store, current.iris
    lg = iris.term("")
    ours = (f'isIRI(?s) && STRSTARTS(STR(?s), "{iris.base}") && '
            f'!STRSTARTS(STR(?s), "{iris.ontology}") && !STRSTARTS(STR(?s), "{iris.shapes}")'
            f' && !STRSTARTS(STR(?s), "{iris.dataset}")')  # not the statistics' subsets
    classes = {str(row["class"]): int(row["n"]) for row in store.select(
        f"SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s a ?class . FILTER({ours}) }} "
        "GROUP BY ?class")}
    levels = {str(row["level"]): int(row["n"]) for row in store.select(
        f"SELECT ?level (COUNT(DISTINCT ?p) AS ?n) WHERE {{ ?p a <{lg}Product> ; "
        f"<{lg}riskLevel> ?level }} GROUP BY ?level")}
    terms = [str(row["t"]) for row in store.select(
        "SELECT DISTINCT ?t WHERE { { ?s ?t ?o } UNION { ?s a ?t } }")]
    examples = [str(row["s"]) for row in store.select(
        f"SELECT ?s WHERE {{ ?s a <{lg}Product> ; <{PREFIXES['schema']}breastfeedingWarning> "
        "?c } ORDER BY ?s LIMIT 3")]
    graphs = {"vocabulary": f"<{iris.ontology}>, <{iris.shapes}>",
              "statistics": f"<{iris.base}graph/statistics>"}
    return Statistics(
        triples=_count(store.select(_DATA_TRIPLES.format(**graphs))) - _count(store.select(
            _FIGURES_AMONG_DATA.format(
                dataset=iris.dataset, VOID=VOID, DCTERMS=DCTERMS,
                subsets=" ".join(f"<{iri}>" for iri in subsets(iris.dataset)), **graphs))),
        entities=_count(store.select(
            f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s a ?class . FILTER({ours}) }}")),
        classes=classes, levels=levels, vocabularies=_vocabularies(terms, lg),
        examples=examples)


def statistics() -> Statistics:
    """The store's figures, computed once per store version."""
    return per_version("statistics", _statistics)


# The linksets the build describes (graph/links.ttl), with their targets.
LINKSETS = f"PREFIX void: <{VOID}>\n" + """
CONSTRUCT {{ <{dataset}> void:subset ?set . ?set ?p ?o . ?target ?q ?v }}
WHERE {{ <{dataset}> void:subset ?set . ?set a void:Linkset .
  {{ ?set ?p ?o }} UNION {{ ?set void:objectsTarget ?target . ?target ?q ?v }} }}"""
# What the build computed (graph/statistics.ttl: products per level, the latest updates),
# asked by its subjects, not its graph: a server given `lactgraph push` holds every file of
# graph/ in one graph.
STATISTICS = f"PREFIX void: <{VOID}> PREFIX dcterms: <{DCTERMS}>\n" + """
CONSTRUCT {{ <{dataset}> dcterms:modified ?date ; void:subset ?set . ?set ?p ?o }}
WHERE {{ {{ <{dataset}> dcterms:modified ?date }} UNION {{ <{dataset}> void:subset ?set .
  FILTER(STRSTARTS(STR(?set), "{dataset}#")) ?set ?p ?o }} }}"""


def void_graph() -> Graph:
    """The VoID description of the dataset, with this server's endpoint and URI space."""
    current, figures = site(), statistics()
    dataset = URIRef(current.iris.dataset)
    graph = Graph()
    add = graph.add
    add((dataset, RDF.type, VOID.Dataset))
    add((dataset, DCTERMS.title, Literal(TITLE, lang="en")))
    add((dataset, DCTERMS.description, Literal(DESCRIPTION, lang="en")))
    add((dataset, DCTERMS.license, URIRef(LICENSE)))
    add((dataset, DCTERMS.source, URIRef(SOURCE)))
    publisher = BNode("publisher")
    add((dataset, DCTERMS.publisher, publisher))
    add((dataset, DCTERMS.rightsHolder, publisher))
    add((publisher, RDF.type, FOAF.Organization))
    add((publisher, FOAF.name, Literal("APILAM (e-lactancia.org)")))
    add((publisher, FOAF.homepage, URIRef(SOURCE)))
    add((dataset, FOAF.homepage, URIRef(urls.public_base())))
    add((dataset, VOID.sparqlEndpoint, URIRef(urls.public_base() + "sparql")))
    add((dataset, VOID.uriSpace, Literal(urls.public_base())))
    add((dataset, VOID.triples, Literal(figures.triples)))
    add((dataset, VOID.entities, Literal(figures.entities)))
    for namespace in figures.vocabularies:
        vocabulary = current.iris.ontology if namespace == current.iris.term("") else namespace
        add((dataset, VOID.vocabulary, URIRef(vocabulary)))
    for example in figures.examples:
        add((dataset, VOID.exampleResource, URIRef(example)))
    for fmt in ("Turtle", "N-Triples", "RDF_XML", "JSON-LD"):
        add((dataset, VOID.feature, FORMATS_NS[fmt]))
    for info in dumps.available():
        add((dataset, VOID.dataDump, URIRef(dumps.dump_iri(info))))
    add((dataset, RDFS.seeAlso, URIRef(dumps.catalog_iri())))  # the DCAT catalogue
    graph += current.store.construct(LINKSETS.format(dataset=dataset))
    graph += current.store.construct(STATISTICS.format(dataset=dataset))
    for number, (cls, count) in enumerate(sorted(figures.classes.items()), start=1):
        partition = BNode(f"class-partition-{number}")
        add((dataset, VOID.classPartition, partition))
        add((partition, VOID["class"], URIRef(cls)))
        add((partition, VOID.entities, Literal(count)))
    return graph


@blueprint.get("/.well-known/void")
def void() -> Response:
    """VoID, negotiated in place (RDF formats only; browsers get Turtle)."""
    fmt = negotiated(RDF_DOCUMENT_FORMATS)
    if fmt is None:
        return not_acceptable(RDF_DOCUMENT_FORMATS)
    response = Response(rdf_document(void_graph(), fmt), content_type=fmt.content_type)
    response.headers["Vary"] = "Accept"
    return response


@blueprint.get("/dataset")
def dataset() -> Response:
    """The dataset's IRI: described by VoID."""
    response = Response(status=303)
    response.headers["Location"] = urls.absolute("meta.void")
    response.headers["Vary"] = "Accept"
    return response


@blueprint.get("/context.jsonld")
def jsonld_context() -> Response:
    """The published JSON-LD context, for IRIs mapped onto this server."""
    body = json.dumps(urls.served_context_document(), ensure_ascii=False, indent=2)
    response = Response(body + "\n", content_type="application/ld+json; charset=utf-8")
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


def _whole(name: str, build: Callable[[Store, IriScheme], Graph]) -> Graph | None:
    current = site()
    graph = per_version(name, lambda: build(current.store, current.iris))
    return graph if len(graph) else None


@blueprint.get("/ontology")
def ontology() -> Response:
    return see_other(site().iris.ontology, True)


@blueprint.get("/ontology/<version>")
def ontology_version(version: str) -> Response:
    """The ontology's version IRI (owl:versionIRI) retrieves that version (OWL 2 §3.1):
    the ontology served here, when it is the version asked for."""
    ontology = site().iris.ontology
    graph = _whole("ontology", ontology_graph)
    served = graph.value(URIRef(ontology), OWL.versionIRI) if graph is not None else None
    if str(served) != f"{ontology}/{version}":
        return not_found(f"this server has version {str(served).rsplit('/', 1)[-1]} of the "
                         f"ontology, not {version}" if served else "no ontology version here")
    return see_other(ontology, True)


@blueprint.get("/ontology.<extension>")
def ontology_document(extension: str) -> Response:
    return document_response(site().iris.ontology, extension,
                             lambda: _whole("ontology", ontology_graph),
                             vocabulary_pages.ontology_page)


@blueprint.get("/shapes")
def shapes() -> Response:
    return see_other(site().iris.shapes, True)


@blueprint.get("/shapes.<extension>")
def shapes_document(extension: str) -> Response:
    return document_response(site().iris.shapes, extension,
                             lambda: _whole("shapes", shapes_graph),
                             vocabulary_pages.shapes_page)
