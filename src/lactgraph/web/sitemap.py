"""`/sitemap.xml` and `/robots.txt`: how general-purpose crawlers find every entry page.

The sitemap lists the home page, the collections and the HTML page of every member of
every collection, with the member's last update as `lastmod` where it has one (see
listing.py). The sitemap protocol allows 50,000 URLs a file: a larger site gets a
sitemap index at `/sitemap.xml` pointing to `/sitemap-1.xml`, `/sitemap-2.xml`, ...

robots.txt allows everything but SPARQL queries (`/sparql?query=`: a crawler following
links into the endpoint would run queries, not read pages) and names the sitemap.
"""

from __future__ import annotations

import hashlib
import math
from datetime import datetime
from urllib.parse import urlparse
from xml.sax.saxutils import escape

from flask import Blueprint, Response, abort

from . import urls
from .context import site
from .listing import every_item
from .preconditions import conditional

blueprint = Blueprint("sitemap", __name__)

LIMIT = 50_000  # URLs in one sitemap file (sitemaps.org)
_XMLNS = "http://www.sitemaps.org/schemas/sitemap/0.9"

Entry = tuple[str, str | None]  # (URL, lastmod)


def entries() -> list[Entry]:
    """Every page worth indexing, in a stable order."""
    found: list[Entry] = [(urls.public_base(), None),
                          (urls.absolute("collections.collections"), None),
                          (urls.absolute("dumps.catalog"), None)]
    seen = set()
    for item in every_item():
        page = urls.page(item.iri)
        if page not in seen:
            seen.add(page)
            found.append((page, item.updated.isoformat() if item.updated else None))
    return found


def chunks(found: list[Entry], limit: int = LIMIT) -> list[list[Entry]]:
    """The entries cut into sitemap files of at most limit URLs (at least one file)."""
    count = max(1, math.ceil(len(found) / limit))
    return [found[number * limit:(number + 1) * limit] for number in range(count)]


def urlset(found: list[Entry]) -> str:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f'<urlset xmlns="{_XMLNS}">']
    for address, modified in found:
        lastmod = f"<lastmod>{escape(modified)}</lastmod>" if modified else ""
        lines.append(f"<url><loc>{escape(address)}</loc>{lastmod}</url>")
    return "\n".join([*lines, "</urlset>"]) + "\n"


def sitemap_index(count: int) -> str:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f'<sitemapindex xmlns="{_XMLNS}">']
    for number in range(1, count + 1):
        address = urls.absolute("sitemap.sitemap_part", number=number)
        lines.append(f"<sitemap><loc>{escape(address)}</loc></sitemap>")
    return "\n".join([*lines, "</sitemapindex>"]) + "\n"


def _conditional(body: str, content_type: str, modified: datetime | None = None) -> Response:
    """A small generated text with an ETag of its bytes (304 when unchanged), and when
    what it lists last changed, where it lists the store's entities."""
    etag = hashlib.sha256(body.encode()).hexdigest()[:32]
    response = conditional(etag, modified) or Response(body, content_type=content_type)
    response.set_etag(etag)
    if modified is not None:  # else werkzeug would write now
        response.last_modified = modified
    return response


@blueprint.get("/sitemap.xml")
def sitemap() -> Response:
    parts = chunks(entries())
    body = urlset(parts[0]) if len(parts) == 1 else sitemap_index(len(parts))
    return _conditional(body, "application/xml; charset=utf-8", site().store.modified())


@blueprint.get("/sitemap-<int:number>.xml")
def sitemap_part(number: int) -> Response:
    parts = chunks(entries())
    if len(parts) == 1 or not 1 <= number <= len(parts):
        abort(404)
    return _conditional(urlset(parts[number - 1]), "application/xml; charset=utf-8",
                        site().store.modified())


@blueprint.get("/robots.txt")
def robots() -> Response:
    prefix = urlparse(urls.public_base()).path
    body = (f"User-agent: *\nDisallow: {prefix}sparql?query=\nAllow: {prefix}\n\n"
            f"Sitemap: {urls.absolute('sitemap.sitemap')}\n")
    return _conditional(body, "text/plain; charset=utf-8")
