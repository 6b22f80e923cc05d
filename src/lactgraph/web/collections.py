"""Paged collections of every kind of entity, and the change feed: harvesting without SPARQL.

`GET /collections` lists the collections; `GET /products?page=2&size=100` is one page of
one (see listing.py for what each lists, the order and the change feed), as JSON-LD (a
Hydra `Collection` with `totalItems`, its `member`s and a `PartialCollectionView`
linking first/previous/next/last), as HTML, or as any other RDF format, by `Accept` or
`format=`. Each member carries what a harvester needs to decide whether to fetch it: its
IRI (mapped onto this server), types, name, risk level (products), last update and
recorded changes of risk level.

Every page has an ETag and a Last-Modified (when the served data changed); a matching
conditional request gets 304. A bad parameter is a 400 with a message, a page past the
last a 404, each in the client's language (an HTML page or a plain line).

The JSON-LD is written here, not compacted from a graph: its shape (members inside the
collection, the view inside it) is what clients expect of Hydra. The other RDF formats
are parsed from it, so every format says the same. The Hydra terms are not in the
published context: they come in a second, inline context, so that the published one
stays about the data.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Response, render_template, request
from rdflib import Literal

from .. import __version__
from ..rdfio import to_rdflib
from ..to_rdf import new_graph
from . import urls
from .context import site
from .entities import negotiated, not_acceptable, not_found
from .listing import (
    KINDS,
    BadRequest,
    Item,
    Kind,
    Page,
    RiskChange,
    index,
    kind_named,
    kinds,
    page_request,
    select_page,
)
from .negotiation import HTML, JSON_LD, Format
from .preconditions import conditional
from .renderers import DOCUMENT_FORMATS

blueprint = Blueprint("collections", __name__)

HYDRA_CONTEXT: dict[str, Any] = {
    "hydra": "http://www.w3.org/ns/hydra/core#",
    "Collection": "hydra:Collection",
    "PartialCollectionView": "hydra:PartialCollectionView",
    "totalItems": "hydra:totalItems",
    "manages": "hydra:manages",
    **{key: {"@id": f"hydra:{key}", "@type": "@id"}
       for key in ("member", "view", "first", "previous", "next", "last")},
    **{key: {"@id": f"hydra:{key}", "@type": "@vocab"} for key in ("property", "object")},
    # A recorded change of a product's risk level (terms proposed to the ontology).
    "riskChanges": {"@id": "lg:riskChange", "@type": "@id"},
    "date": {"@id": "dcterms:date", "@type": "xsd:date"},
    "previousRiskLevel": {"@id": "lg:previousRiskLevel", "@type": "@id"},
    "newRiskLevel": {"@id": "lg:newRiskLevel", "@type": "@id"},
}

# Keys of the published context whose values are maps by language.
_LANGUAGE_MAPS = ("name", "label")


# --- representations ----------------------------------------------------------------------

class _Compactor:
    """Turns canonical IRIs into the keys and CURIEs of the published context (mapped)."""

    def __init__(self) -> None:
        terms = urls.served_context()
        self.prefixes = {key: value for key, value in terms.items()
                         if isinstance(value, str) and value.endswith(("/", "#"))}
        self.classes = {self.expand(value): key for key, value in terms.items()
                        if isinstance(value, str) and key[:1].isupper()}

    def expand(self, curie: str) -> str:
        prefix, _, local = curie.partition(":")
        return self.prefixes[prefix] + local if prefix in self.prefixes else curie

    def type(self, iri: str) -> str:
        mapped = urls.url(iri)
        if mapped in self.classes:
            return self.classes[mapped]
        for prefix, namespace in self.prefixes.items():
            if mapped.startswith(namespace) and "/" not in mapped[len(namespace):]:
                return f"{prefix}:{mapped[len(namespace):]}"
        return mapped


def _names(names: list[Literal], key: str) -> object:
    """Names as the key's container wants them: a language map, or plain values."""
    if key in _LANGUAGE_MAPS:
        found: dict[str, list[str]] = {}
        for name in names:
            found.setdefault(name.language or "@none", []).append(str(name))
        return {lang: texts[0] if len(texts) == 1 else texts for lang, texts in found.items()}
    values = [{"@value": str(n), "@language": n.language} if n.language else str(n)
              for n in names]
    return values[0] if len(values) == 1 else values


def _date_value(value: date | datetime) -> object:
    if isinstance(value, datetime):
        return {"@value": value.isoformat(), "@type": "xsd:dateTime"}
    return value.isoformat()


def _member(item: Item, key: str, compactor: _Compactor) -> dict[str, object]:
    member: dict[str, object] = {"id": urls.url(item.iri)}
    if item.types:
        member["type"] = [compactor.type(t) for t in item.types]
    if item.names:
        member[key] = _names(item.names, key)
    if item.level:
        member["riskLevel"] = urls.url(item.level)
    if item.updated:
        member["lastUpdate"] = _date_value(item.updated)
    if item.changes:
        member["riskChanges"] = [_change(change) for change in item.changes]
    return member


def _change(change: RiskChange) -> dict[str, object]:
    found: dict[str, object] = {"id": urls.url(change.iri)}
    if change.when:
        found["date"] = _date_value(change.when)
    if change.previous:
        found["previousRiskLevel"] = urls.url(change.previous)
    if change.new:
        found["newRiskLevel"] = urls.url(change.new)
    return found


def _contexts() -> list[object]:
    return [urls.absolute("meta.jsonld_context"), HYDRA_CONTEXT]


def page_document(page: Page) -> dict[str, object]:
    """A page as JSON-LD: the collection, its members on this page, and the view."""
    compactor = _Compactor()
    document: dict[str, object] = {
        "@context": _contexts(), "id": page.url(), "type": "Collection",
        "label": {"en": page.kind.title}, "totalItems": page.total,
    }
    if page.kind.cls:
        document["manages"] = {"property": "rdf:type",
                               "object": compactor.type(compactor.expand(page.kind.cls))}
    document["member"] = [_member(item, page.kind.name[1], compactor) for item in page.items]
    document["view"] = {"id": page.url(page.request.page), "type": "PartialCollectionView",
                        **page.links}
    return document


def index_document(counts: list[tuple[Kind, int]]) -> dict[str, object]:
    """The collection of collections: where a harvester starts."""
    return {
        "@context": _contexts(), "id": urls.absolute("collections.collections"),
        "type": "Collection", "label": {"en": "Collections of lactgraph"},
        "totalItems": len(counts),
        "member": [{"id": urls.absolute("collections.collection", path=kind.path),
                    "type": "Collection", "label": {"en": kind.title}, "totalItems": count}
                   for kind, count in counts],
    }


def rdf_text(document: dict[str, object], fmt: Format) -> str:
    """A JSON-LD document of this module in another RDF format (contexts given in hand)."""
    if fmt.name == JSON_LD.name:
        return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    inline = {**document, "@context": [urls.served_context(), HYDRA_CONTEXT]}
    graph = new_graph(site().iris.base, to_url=urls.mapper().to_url)
    graph.bind("hydra", HYDRA_CONTEXT["hydra"])
    for quad in ox.parse(json.dumps(inline).encode(), format=ox.RdfFormat.JSON_LD):
        graph.add((to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object)))
    return graph.serialize(format=fmt.rdflib)


# --- views --------------------------------------------------------------------------------

def _error(status: int, message: str, html: bool) -> Response:
    if status == 404:
        return not_found(message, html=html)
    if html:
        body = render_template("error.html", status=status, title="Bad request",
                               message=message)
        return Response(body, status, content_type="text/html; charset=utf-8")
    return Response(f"Bad request: {message}\n", status,
                    content_type="text/plain; charset=utf-8")


def _etag(fmt: Format, *parts: str) -> str:
    """Changes with the data (store version), the origin, the request and the software."""
    key = (site().store.version(), urls.public_base(), request.path, fmt.name, __version__,
           *parts)
    return hashlib.sha256("\n".join(key).encode()).hexdigest()[:32]


def _respond(fmt: Format, etag: str, body: Callable[[], str],
             links: dict[str, str] | None = None) -> Response:
    """A conditional answer: 304 when the client's validators match, else the body.
    Last-Modified is when the served data changed: a page shows its members' names and
    levels, and which members there are, none of which their update dates tell."""
    modified = site().store.modified()
    response = conditional(etag, modified) or Response(body(), content_type=fmt.content_type)
    response.set_etag(etag)
    if modified:
        response.last_modified = modified
    if not request.args.get("format"):
        response.headers["Vary"] = "Accept"
    if links:
        response.headers["Link"] = ", ".join(f'<{href}>; rel="{rel}"'
                                             for rel, href in links.items())
    return response


@blueprint.get("/collections")
def collections() -> Response:
    """The index of the collections, with their sizes."""
    fmt = negotiated(DOCUMENT_FORMATS)
    if fmt is None:
        return not_acceptable(DOCUMENT_FORMATS)
    counts = [(kind, len(index(kind))) for kind in kinds()]

    def body() -> str:
        if fmt is HTML:
            return render_template("collection.html", index=counts, page=None,
                                   formats=_alternates())
        return rdf_text(index_document(counts), fmt)

    return _respond(fmt, _etag(fmt), body)


@blueprint.get(f"/<any({', '.join(kind.path for kind in KINDS)}, vocabulary):path>")
def collection(path: str) -> Response:
    """One page of a collection (or of its change feed)."""
    fmt = negotiated(DOCUMENT_FORMATS)
    if fmt is None:
        return not_acceptable(DOCUMENT_FORMATS)
    kind = kind_named(path)
    assert kind is not None
    try:
        wanted = page_request(request.args.to_dict())
    except BadRequest as error:
        return _error(400, str(error), fmt is HTML)
    page = select_page(kind, wanted)
    if page is None:
        return _error(404, f"page {wanted.page} is past the last page of {path}", fmt is HTML)
    identity = [f"{key}={value}" for key, value in sorted(wanted.filters().items())]
    etag = _etag(fmt, f"page={wanted.page}", f"size={wanted.size}", *identity)

    def body() -> str:
        if fmt is HTML:
            return render_template("collection.html", page=page, index=None,
                                   levels=_level_names(), formats=_alternates())
        return rdf_text(page_document(page), fmt)

    return _respond(fmt, etag, body, page.links)


def _alternates() -> list[tuple[str, str]]:
    """This same page in each format (`format=`), for the HTML page's data links."""
    args = {key: value for key, value in request.args.items() if key != "format"}
    return [(fmt.label, urls.absolute(request.endpoint or "", **(request.view_args or {}),
                                      **args, format=fmt.name)) for fmt in DOCUMENT_FORMATS]


def _level_names() -> dict[str, str]:
    """Risk level IRI -> 'notation · name', from the risks collection."""
    kind = kind_named("risks")
    assert kind is not None
    names = {}
    for item in index(kind):
        english = next((str(n) for n in item.names if n.language == "en"), None)
        names[item.iri] = f"{item.iri.rsplit('/', 1)[1]} · {english or item.iri}"
    return names
