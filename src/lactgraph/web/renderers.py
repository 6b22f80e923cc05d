"""One registry of serialisers: RDF format -> bytes of a document, for every RDF document
the site serves (entities, the ontology, the shapes, VoID).

JSON-LD is compacted with PyLD against the published context held in memory (never
fetched): the triples go in, PyLD turns well-formed RDF lists into `@list` and
compacts with the context object, and the served document names the context by its URL on
this server, so that a client expands it to exactly the triples of the Turtle.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from pyld import jsonld
from rdflib import BNode, Graph, URIRef
from rdflib.namespace import RDF, XSD
from rdflib.term import Node

from ..store import FAST_STORE
from ..turtle import TermWriter, blocks, header
from .negotiation import HTML, JSON_LD, N_TRIPLES, RDF_XML, TURTLE, Format

_LANG_STRING = str(RDF.langString)
_STRING = XSD.string


@dataclass(frozen=True)
class Target:
    """Where a document is served: the context its IRIs are mapped with, and its URL."""

    context: dict[str, Any]
    context_url: str
    topic: str | None = None  # the IRI (as served) a document is about, written first


def _no_fetch(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    raise jsonld.JsonLdError(f"refusing to fetch {url}: contexts are used in memory",
                             "jsonld.LoadDocumentError", code="loading document failed")


def _pyld_term(term: Node) -> dict[str, str]:
    """A term in PyLD's RDF dataset form."""
    if isinstance(term, URIRef):
        return {"type": "IRI", "value": str(term)}
    if isinstance(term, BNode):
        return {"type": "blank node", "value": f"_:{term}"}
    if term.language:
        return {"type": "literal", "value": str(term), "datatype": _LANG_STRING,
                "language": term.language}
    return {"type": "literal", "value": str(term), "datatype": str(term.datatype or _STRING)}


def compact_jsonld(graph: Graph, context: dict[str, Any]) -> dict[str, Any]:
    """The graph as compacted JSON-LD with a context object (inline, as an object).

    The triples go to PyLD as a dataset, not as N-Quads text: its parser compares every
    triple with those already read (half the time of a document of 500 triples)."""
    dataset = [{"subject": _pyld_term(s), "predicate": _pyld_term(p), "object": _pyld_term(o)}
               for s, p, o in sorted(graph, key=_order)]
    expanded = jsonld.from_rdf({"@default": dataset}, {"useNativeTypes": True})
    return jsonld.compact(expanded, {"@context": context},  # from_rdf's is expanded
                          {"documentLoader": _no_fetch, "skipExpansion": True})


def _json_ld(graph: Graph, target: Target) -> str:
    document = compact_jsonld(graph, target.context)
    document["@context"] = target.context_url
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _turtle(graph: Graph, target: Target) -> str:
    """Turtle by the build's block writer (the topic first, then the subjects sorted; RDF
    lists inline; the prefixes it used): rdflib's writer took half of the time of an
    entity document. rdflib's writer where a blank node does not hang from exactly one
    place (the ontology's axioms), which the block writer refuses."""
    terms = TermWriter({name: str(namespace) for name, namespace in graph.namespaces()})
    try:
        body = blocks(graph, terms, first=target.topic)
    except ValueError:
        return graph.serialize(format="turtle")
    namespaces = {name: iri for iri, name in terms.namespaces.items() if name in terms.used}
    return header(namespaces) + body


def _order(triple: tuple[Node, Node, Node]) -> tuple[str, ...]:
    """One order of triples, whatever order the store's answers and the summaries kept
    from earlier documents came in (`describe`): one ETag, in any worker, has one body."""
    s, p, o = triple
    return (str(s), str(p), str(o), getattr(o, "language", None) or "",
            str(getattr(o, "datatype", None) or ""))


def _n_triples(graph: Graph, target: Target) -> str:
    lines = sorted(line for line in graph.serialize(format="nt").splitlines() if line)
    return "".join(f"{line}\n" for line in lines)


def _rdf_xml(graph: Graph, target: Target) -> str:
    """rdflib's writer, in the triples' order (not pretty-xml: it mis-writes xml:lang
    without bound prefixes)."""
    ordered = Graph(store=FAST_STORE)
    for name, namespace in graph.namespaces():
        ordered.bind(name, namespace)
    for triple in sorted(graph, key=_order):
        ordered.add(triple)
    return ordered.serialize(format="xml")


SERIALISERS: dict[str, Callable[[Graph, Target], str]] = {
    TURTLE.name: _turtle,
    N_TRIPLES.name: _n_triples,
    RDF_XML.name: _rdf_xml,
    JSON_LD.name: _json_ld,
}

RDF_DOCUMENT_FORMATS: tuple[Format, ...] = (TURTLE, JSON_LD, RDF_XML, N_TRIPLES)

# What a document about a resource can be, most preferred first: people first (a client
# that accepts anything, curl's */*, gets the page), and JSON-LD also for application/json.
DOCUMENT_FORMATS: tuple[Format, ...] = (HTML, *(
    replace(fmt, also=(*fmt.also, "application/json")) if fmt is JSON_LD else fmt
    for fmt in RDF_DOCUMENT_FORMATS))


def render(graph: Graph, fmt: Format, target: Target) -> str:
    """The document of graph in an RDF format."""
    return SERIALISERS[fmt.name](graph, target)
