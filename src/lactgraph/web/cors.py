"""CORS for every response: the graph is public, so any web page may read it.

`Access-Control-Allow-Origin: *` and never credentials (no cookies are used), so no origin
can act on a user's behalf. Browsers hide response headers from scripts unless exposed, and
a SPARQL client needs the row-cap and retry headers, an entity client the Link and ETag
headers: they are listed in `Access-Control-Expose-Headers`. A preflight (`OPTIONS` with
`Access-Control-Request-Method`) is answered with the methods the URL allows and the
headers the client asked for.

Apply app-wide with `init_app(app)`; `add_cors_headers` is an `after_request` function.
"""

from __future__ import annotations

from flask import Flask, Response, request

EXPOSED_HEADERS = (
    "Content-Disposition",
    "ETag",
    "Last-Modified",
    "Link",
    "Location",
    "Retry-After",
    "Vary",
    "X-Lactgraph-Row-Cap",
    "X-Lactgraph-Truncated",
)
DEFAULT_METHODS = ("GET", "HEAD", "POST", "OPTIONS")
DEFAULT_REQUEST_HEADERS = "Accept, Accept-Language, Content-Type, If-None-Match, If-Modified-Since"
MAX_AGE = "86400"  # seconds a browser may cache a preflight answer


def add_cors_headers(response: Response) -> Response:
    """Add the CORS headers to a response (an `after_request` function)."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = ", ".join(EXPOSED_HEADERS)
    if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
        methods = sorted(response.allow) if response.allow else DEFAULT_METHODS
        response.headers["Access-Control-Allow-Methods"] = ", ".join(methods)
        response.headers["Access-Control-Allow-Headers"] = (
            request.headers.get("Access-Control-Request-Headers") or DEFAULT_REQUEST_HEADERS
        )
        response.headers["Access-Control-Max-Age"] = MAX_AGE
    return response


def init_app(app: Flask) -> None:
    """Send the CORS headers with every response of the app."""
    app.after_request(add_cors_headers)
