"""The only place views make URLs: entity IRI -> page or document URL, base IRI -> origin.

A server answers on some origin (a laptop's http://127.0.0.1:8000/, a host behind
w3id.org). Every IRI under the base is shown and served *mapped* onto that origin, so that
each link in a page or an RDF document can be followed where it was found. The origin is
the configured `public_url`, else the request's own root URL. Configuring `public_url` to
the base IRI itself turns the mapping off (a production server behind w3id.org redirects).

Ontology and shape terms (`<base>ontology#Term`) are under the base too and are mapped
like everything else: they dereference at /ontology on the same server.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, partial
from typing import Any
from urllib.parse import urlencode

from flask import g, has_request_context, request, url_for
from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from ..iris import UrlMapper
from ..jsonld_context import context_document
from ..store import FAST_STORE
from ..to_rdf import new_graph
from .context import site


def mapper() -> UrlMapper:
    """The base -> origin mapping for this request (computed once per request)."""
    if not has_request_context():
        return site().urls
    if "lactgraph_mapper" not in g:
        current = site()
        public = current.settings.public_url or request.url_root
        g.lactgraph_mapper = UrlMapper(current.iris.base, public)
    return g.lactgraph_mapper


def public_base() -> str:
    """The URL the base IRI is mapped onto (ends with '/')."""
    return mapper().public


def served_context_document() -> dict[str, Any]:
    """The published JSON-LD context as this server serves it: for the data's base, its
    IRIs mapped onto the origin as those of the documents are, so that a document's keys
    expand to the IRIs of its Turtle."""
    return context_document(site().iris.base, mapper().to_url)


def served_context() -> dict[str, Any]:
    """The context object of served_context_document()."""
    return served_context_document()["@context"]


def url(iri: str) -> str:
    """The followable URL of an IRI: mapped when under the base, unchanged otherwise."""
    return mapper().to_url(iri)


def iri_of(path: str) -> str:
    """The IRI a request path names, e.g. 'product/x' -> '<base>product/x'."""
    return site().iris.base + path.lstrip("/")


def document(iri: str, extension: str) -> str:
    """The URL of the document describing iri in a format ('ttl', 'html', ...).

    A hash IRI (product/x#citation-en-1) is described in its document's resource's
    document; the HTML form keeps the fragment so that a browser lands on its entry.
    """
    resource, _, fragment = iri.partition("#")
    address = f"{url(resource)}.{extension}"
    return f"{address}#{fragment}" if fragment and extension == "html" else address


def page(iri: str) -> str | None:
    """Where a person follows an IRI: our HTML page if it is ours, else the IRI itself when
    it is an http(s) URL; None for any other scheme (no `javascript:` or `data:` links)."""
    if iri.startswith(site().iris.base):
        return document(iri, "html")
    return iri if iri.startswith(("http://", "https://")) else None


def absolute(endpoint: str, **values: object) -> str:
    """An absolute URL of one of our routes, on the mapped origin."""
    path = url_for(endpoint, **values)
    return public_base() + path.lstrip("/")


def static(filename: str) -> str:
    return url_for("static", filename=filename)


def sparql_describe(iri: str) -> str:
    """A SPARQL endpoint URL whose query returns the entity (by its canonical IRI)."""
    return f"{public_base()}sparql?{urlencode({'query': f'DESCRIBE <{iri}>'})}"


_XSD_STRING = URIRef("http://www.w3.org/2001/XMLSchema#string")
_XSD_DECIMAL = URIRef("http://www.w3.org/2001/XMLSchema#decimal")


def _mapped(term: Node, to_url: Callable[[str], str]) -> Node:
    if isinstance(term, URIRef):
        return URIRef(to_url(str(term)))
    if isinstance(term, Literal) and term.datatype is not None:
        if term.datatype == _XSD_STRING:  # a simple literal: written without ^^xsd:string
            return Literal(str(term))
        if term.datatype == _XSD_DECIMAL and "." not in term:  # "5" -> "5.0", as Turtle
            return Literal(f"{term}.0", datatype=_XSD_DECIMAL)  # writes it, in every format
        datatype = URIRef(to_url(str(term.datatype)))
        if datatype != term.datatype:
            return Literal(str(term), datatype=datatype)
    return term


def localise(graph: Graph) -> Graph:
    """A copy of graph with every IRI under the base mapped onto the origin, prefixes too.

    The result has the project's prefixes bound for the mapped base so that Turtle stays
    readable wherever the server runs. Literals get the one lexical form every serialiser
    writes alike: simple literals lose the `^^xsd:string` some stores add (the same in RDF
    1.1), and integral decimals get their '.0' (Oxigraph answers "5", rdflib's Turtle
    writes 5.0), so that the Turtle, N-Triples and JSON-LD of a document are isomorphic.
    """
    mapping = mapper()
    result = new_graph(site().iris.base, store=FAST_STORE, to_url=mapping.to_url)
    local = cache(partial(_mapped, to_url=mapping.to_url))  # subjects and predicates repeat
    for s, p, o in graph:
        result.add((local(s), local(p), local(o)))
    return result
