"""Cool-URI dereferencing: an entity IRI answers 303 to a document chosen by `Accept`.

`GET /product/mesotherapy` -> `303 See Other` -> `/product/mesotherapy.ttl` (or `.html`,
`.jsonld`, `.rdf`, `.nt`), each document also reachable by its own URL. Every answer says
`Vary: Accept` where it was negotiated and links the alternates; documents carry an
`ETag` and a `Last-Modified` so that a conditional GET gets `304`.

Errors speak the client's language: a browser gets an HTML page, any other client a
plain-text line (an empty RDF document would read as "nothing is known", which is not
what a 404 means).

The same two steps (`see_other`, `document_response`) serve the ontology and the shapes
(see meta.py).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import datetime

from flask import Blueprint, Response, abort, render_template, request
from rdflib import Graph

from .. import __version__
from ..iris import ENTITY_KINDS
from . import pages, urls
from .context import site
from .describe import describe, summaries_kept
from .document_cache import Rendered, documents
from .metrics import metrics
from .negotiation import (
    HTML,
    JSON_LD,
    Format,
    choose_format,
    format_for_extension,
    requested_format,
)
from .negotiation import not_acceptable as not_acceptable_text
from .preconditions import conditional
from .renderers import DOCUMENT_FORMATS, RDF_DOCUMENT_FORMATS, Target, render

blueprint = Blueprint("entities", __name__)

HtmlRenderer = Callable[[str, Graph], str]


def _wants_html() -> bool:
    return choose_format(request.headers.get("Accept"), (HTML, *RDF_DOCUMENT_FORMATS)) is HTML


def not_found(message: str, html: bool | None = None) -> Response:
    """A 404 in the client's language: an HTML page for browsers, a plain line otherwise."""
    return client_error(404, "Not found", message, html)


def client_error(status: int, title: str, message: str, html: bool | None = None
                 ) -> Response:
    """An error in the client's language: an HTML page for browsers, a plain line
    otherwise (chosen by Accept where html is None: then `Vary: Accept`, as a cache may
    keep a 404, RFC 9111 4.2.2)."""
    negotiated = html is None
    if negotiated:
        html = _wants_html()
    if html:
        body = render_template("error.html", status=status, title=title, message=message)
        response = Response(body, status, content_type="text/html; charset=utf-8")
    else:
        response = Response(f"{title}: {message}\n", status,
                            content_type="text/plain; charset=utf-8")
    if negotiated:
        response.vary.add("Accept")
    return response


def not_acceptable(formats: tuple[Format, ...]) -> Response:
    response = Response(not_acceptable_text(formats), 406,
                        content_type="text/plain; charset=utf-8")
    response.headers["Vary"] = "Accept"
    return response


def negotiated(formats: tuple[Format, ...]) -> Format | None:
    """The format the request asks for: the one `format=` names where given (which a 406
    offers), else the one Accept prefers."""
    return requested_format(request.headers.get("Accept"), request.args.get("format"), formats)


def _alternates(iri: str, formats: tuple[Format, ...], current: Format | None = None) -> str:
    return ", ".join(f'<{urls.document(iri, fmt.extension)}>; rel="alternate"; '
                     f'type="{fmt.media_type}"' for fmt in formats if fmt is not current)


def see_other(iri: str, exists: bool, formats: tuple[Format, ...] = DOCUMENT_FORMATS
              ) -> Response:
    """The answer for a thing's IRI: 303 to the document the client asks for."""
    fmt = negotiated(formats)
    if fmt is None:
        return not_acceptable(formats)
    if not exists:
        missing = not_found(f"{urls.url(iri)} is not in this graph", html=fmt is HTML)
        missing.vary.add("Accept")  # as the 303 would
        return missing
    response = Response(status=303)
    response.headers["Location"] = urls.document(iri, fmt.extension)
    response.headers["Vary"] = "Accept"
    response.headers["Link"] = _alternates(iri, formats)
    return response


def rdf_document(graph: Graph, fmt: Format, topic: str | None = None) -> str:
    """A graph of canonical IRIs as an RDF document served here (IRIs mapped to the
    origin), about topic where it has one."""
    target = Target(urls.served_context(), urls.absolute("meta.jsonld_context"),
                    urls.url(topic) if topic else None)
    return render(urls.localise(graph), fmt, target)


def _etag(version: str, iri: str, fmt: Format) -> str:
    """Changes with the data (store version), the origin mapping and the software."""
    parts = (version, urls.public_base(), iri, fmt.name, __version__)
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def _holds(etag: str) -> bool:
    """Whether the client names this very document in If-None-Match (weak comparison, RFC
    9110 13.1.2; not `*`, which asks whether the entity exists at all). The ETag names the
    store version, the origin, the entity, the format and the software, so the request's
    preconditions are decided without describing the entity: a harvester revalidating its
    copies costs no store reads, in whichever worker it lands."""
    tags = request.if_none_match
    return not tags.star_tag and tags.contains_weak(etag)


def document_response(iri: str, extension: str, load: Callable[[], Graph | None],
                      html: HtmlRenderer, formats: tuple[Format, ...] = DOCUMENT_FORMATS
                      ) -> Response:
    """A document about iri in the format its extension names, conditional on its validators.

    load returns the description with canonical IRIs (None when unknown); the document
    maps them onto this server's origin. Rendered documents are kept by ETag
    (`document_cache.py`). `Cache-Control: no-cache` lets caches keep a document but has
    them ask again each time (a 304 costs little): without it a cache may serve a copy for
    a tenth of its age since Last-Modified (RFC 9111 4.2.2), weeks after a rebuild changed
    a level.
    """
    fmt = format_for_extension(extension, formats)
    if fmt is None:
        return not_found(f"no .{extension} document here (try "
                         + ", ".join(f".{f.extension}" for f in formats) + ")",
                         html=False)
    store = site().store
    version = store.version()
    etag = _etag(version, iri, fmt)
    headers = {"Cache-Control": "no-cache"}
    if fmt.media_type != JSON_LD.media_type:
        # not on JSON-LD: the JSON-LD 1.1 API (9.4.1) reads an alternate link only on other
        # media types, and PyLD's loader (3.3) fails on any response with several of them
        headers["Link"] = _alternates(iri, formats, current=fmt)
    if _holds(etag) and (early := conditional(etag, store.modified())):  # nothing read
        metrics().documents.labels("revalidated").inc()
        return _validated(early, etag, headers=headers)
    cache = documents()
    kept = cache.get(etag)
    metrics().documents.labels("miss" if kept is None else "hit").inc()
    graph = load() if kept is None else None
    if kept is None and graph is None:
        return not_found(f"{urls.url(iri)} is not in this graph", html=fmt is HTML)
    # When the served data last changed, not the entry's dcterms:modified: a document
    # also carries its neighbours' names and levels, which a rebuild may change alone.
    modified = kept.modified if kept is not None else store.modified()
    if early := conditional(etag, modified):
        return _validated(early, etag, modified, headers)
    if kept is None:
        body = html(iri, graph) if fmt is HTML else rdf_document(graph, fmt, iri)
        kept = Rendered(body.encode("utf-8"), modified)
        if not store.settled(version):  # a push came between: the body is of no version
            return Response(kept.body, content_type=fmt.content_type,
                            headers={**headers, "Cache-Control": "no-store"})
        cache.put(etag, kept)
    return _validated(Response(kept.body, content_type=fmt.content_type), etag, modified,
                      headers)


def _validated(response: Response, etag: str, modified: datetime | None = None,
               headers: dict[str, str] | None = None) -> Response:
    """The response with its validators (RFC 9110 8.8) and headers."""
    response.headers.update(headers or {})
    response.set_etag(etag)
    response.last_modified = modified
    return response


def _exists(iri: str) -> bool:
    return site().store.ask(f"ASK {{ {{ <{iri}> ?p ?o }} UNION {{ ?s ?p <{iri}> }} }}")


def _serve(path: str) -> Response:
    """An entity IRI (no extension) or one of its documents (`.ttl`, `.html`, ...)."""
    stem, dot, extension = path.rpartition(".")
    if dot and "/" not in extension:
        iri = urls.iri_of(stem)
        current = site()
        return document_response(iri, extension,
                                 lambda: describe(current.store, current.iris, iri,
                                                  summaries_kept()),
                                 pages.entity_page)
    iri = urls.iri_of(path)
    return see_other(iri, _exists(iri))


_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*(\.[a-z]+)?")


@blueprint.get(f"/<any({', '.join(ENTITY_KINDS)}):kind>/<key>")
def entity(kind: str, key: str) -> Response:
    # Keys are slugs (ASCII letters, digits, '-') plus an extension: anything else cannot
    # name an entity, and must never reach the SPARQL text the IRI is written into.
    if not _KEY.fullmatch(key):
        abort(404)
    return _serve(f"{kind}/{key}")


@blueprint.get("/risk-levels")
@blueprint.get("/risk-levels.<extension>")
def risk_scheme(extension: str | None = None) -> Response:
    """The scheme of the four levels (an IRI of its own, outside the entity kinds)."""
    return _serve("risk-levels" + (f".{extension}" if extension else ""))
