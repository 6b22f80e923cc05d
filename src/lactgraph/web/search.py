"""`/search?q=`: names of products, aliases, other writings, brand names and groups.

The matching and ranking is the name index's (`search_index.py`: exact, then prefix,
then substring; products first); this module answers in HTML or JSON.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, render_template, request

from ..search_index import Entry
from . import urls
from .context import site
from .negotiation import HTML, Format, choose_format
from .view import Level, Text
from .view import levels as view_levels

blueprint = Blueprint("search", __name__)

MAX_QUERY = 200  # characters of a search query
MAX_HITS = 50
_JSON = Format("JSON", "application/json", "json", ("json",))
_MATCHES = ("exact", "prefix", "substring")  # by rank


def search(query: str) -> tuple[list[tuple[int, Entry]], bool]:
    """The best MAX_HITS ranked hits: (rank, entry), rank 0 exact, 1 prefix, 2 substring;
    one per entity. And whether there were more."""
    hits = site().search_index().search(query, MAX_HITS + 1)
    return hits[:MAX_HITS], len(hits) > MAX_HITS


def _hit(rank: int, entry: Entry, levels: dict[int, Level]) -> dict[str, object]:
    products = [{"id": urls.url(iri), "page": urls.page(iri), "name": name,
                 "riskLevel": level,
                 "level": levels.get(level) if level is not None else None}
                for iri, name, level in entry.products]
    return {"label": Text(entry.label, entry.lang), "kind": entry.kind, "match": _MATCHES[rank],
            "id": urls.url(entry.entity), "page": urls.page(entry.entity),
            "products": products}


@blueprint.get("/search")
def search_view() -> Response:
    """`/search?q=`: HTML for people, JSON by `Accept: application/json` or `format=json`."""
    query = request.args.get("q", "")
    wants = request.args.get("format", "").lower()
    fmt = _JSON if wants == "json" else HTML if wants == "html" else choose_format(
        request.headers.get("Accept"), (HTML, _JSON))
    if len(query) > MAX_QUERY:
        message = f"The query is too long: at most {MAX_QUERY} characters."
        if fmt is _JSON:
            return Response(jsonify(error=message).get_data(), 400,
                            content_type="application/json")
        return Response(render_template("error.html", status=400, title="Bad request",
                                        message=message), 400,
                        content_type="text/html; charset=utf-8")
    levels = view_levels()
    found, more = search(query)
    hits = [_hit(rank, entry, levels) for rank, entry in found]
    if fmt is _JSON:
        body = [{"label": h["label"].value, "language": h["label"].lang, "kind": h["kind"],
                 "match": h["match"], "id": h["id"], "page": h["page"],
                 "products": [{k: v for k, v in p.items() if k != "level"}
                              for p in h["products"]]} for h in hits]
        response = jsonify(query=query, results=body, limit=MAX_HITS, more=more)
    else:
        response = Response(render_template("search.html", query=query, hits=hits,
                                            limit=MAX_HITS if more else None),
                            content_type="text/html; charset=utf-8")
    if not request.args.get("format"):
        response.headers["Vary"] = "Accept"
    return response
