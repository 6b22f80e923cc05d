"""Requests the site cannot make sense of are refused early; responses carry security headers.

**Refused before any view runs**, each with a plain-text line that says what to fix:

- `414` for a path or query string longer than `max_url_bytes` (16 KiB by default): long
  SPARQL queries go by POST, whose body is limited by `MAX_CONTENT_LENGTH` (413);
- `400` for malformed percent-encoding (`%zz`, a lone `%`) or percent-encoded bytes that
  are not UTF-8, in the path or the query string;
- `400` for a path holding a character no IRI path may hold (RFC 3987: controls such as
  NUL, space, `<>"{}|\\^`, the backtick, private-use and non-characters, a `%` not
  followed by two hex digits once decoded). Every path names an IRI (`/product/x` is
  `<base>product/x`), and views put that IRI into SPARQL between `<` and `>`: refusing
  these characters here means no path can close the IRI and write SPARQL of its own
  (a `SERVICE` clause, an expensive pattern) into the store's in-process queries;
- `404` for a path segment longer than 255 bytes: nothing here has so long a name, and
  a file system asked about one answers with an error rather than "no such file".

**Headers** on every response: `X-Content-Type-Options: nosniff`, `Referrer-Policy:
same-origin` (a search for a medicine is nobody else's business, so no URL of ours is sent
to another site), `X-Frame-Options: DENY`. HTML gets a Content-Security-Policy that allows
only our own stylesheets and scripts (the pages have no script of their own; a JSON-LD
`<script type="application/ld+json">` block is data, which `script-src` does not block)
and the inline `style` attributes of the risk-level badges (`style-src-attr`, whose colour
comes from the graph and is escaped like any other value); everything else, other
responses get `default-src 'none'`, so that a document opened in a browser runs nothing.
A view that sets one of these headers itself keeps its own.

Apply with `init_app(app, max_url_bytes)`.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from flask import Flask, Response, request

HTML_POLICY = "; ".join((
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "style-src-attr 'unsafe-inline'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "frame-ancestors 'none'",
))
OTHER_POLICY = "default-src 'none'; frame-ancestors 'none'"
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}

MAX_SEGMENT_BYTES = 255  # the longest file name most file systems allow; slugs are shorter
_BAD_PERCENT = re.compile(rb"%(?![0-9A-Fa-f]{2})")
# RFC 3987 ipchar and "/": unreserved, sub-delims, ":", "@", "%XX", and ucschar, whose
# ranges leave out the private use areas and each plane's last two code points.
_UCSCHAR = "\u00a0-\ud7ff\uf900-\ufdcf\ufdf0-\uffef" + "".join(
    f"{chr(plane << 16)}-{chr((plane << 16) + 0xfffd)}" for plane in range(1, 14)
) + "\U000e1000-\U000efffd"
_NOT_IN_IRI_PATH = re.compile(rf"%(?![0-9A-Fa-f]{{2}})|[^A-Za-z0-9\-._~!$&'()*+,;=:@/%{_UCSCHAR}]")


def _plain(status: int, message: str) -> Response:
    return Response(f"{status} {message}\n", status, content_type="text/plain; charset=utf-8")


def _raw_path() -> bytes:
    """The path as the client sent it (the server's REQUEST_URI or RAW_URI), else as decoded."""
    raw = request.environ.get("REQUEST_URI") or request.environ.get("RAW_URI")
    if raw:
        return raw.encode("latin-1", "replace").partition(b"?")[0]
    return request.environ.get("PATH_INFO", "").encode("latin-1", "replace")


def _encoding_problem(where: str, raw: bytes) -> str | None:
    """Why a raw path or query string is not well-formed percent-encoded UTF-8, or None."""
    if _BAD_PERCENT.search(raw):
        return f"{where} has a '%' that does not start a percent-escape (%XX); write '%25'."
    try:
        unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        return f"{where} holds percent-encoded bytes that are not UTF-8."
    return None


def check_url(max_url_bytes: int) -> Response | None:
    """The 414, 400 or 404 answer to a URL the site cannot read, or None (before views)."""
    path, query = _raw_path(), request.query_string
    if len(path) > max_url_bytes or len(query) > max_url_bytes:
        return _plain(414, f"URI Too Long: a path or query string may have at most "
                           f"{max_url_bytes} bytes; send a long SPARQL query by POST.")
    problem = _encoding_problem("the path", path) or _encoding_problem("the query string",
                                                                       query)
    if problem:
        return _plain(400, f"Bad Request: {problem}")
    longest = max(len(segment.encode()) for segment in request.path.split("/"))
    if longest > MAX_SEGMENT_BYTES:
        return _plain(404, f"Not Found: a path segment of {longest} bytes; no slug or file "
                           f"name here is longer than {MAX_SEGMENT_BYTES}.")
    bad = _NOT_IN_IRI_PATH.search(request.path)
    if bad:
        return _plain(400, f"Bad Request: the path holds {bad.group()!r} (character "
                           f"{bad.start()}), which no IRI may hold here, so it names nothing.")
    return None


def add_headers(response: Response) -> Response:
    """The security headers (an `after_request` function); a view's own headers win."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    policy = HTML_POLICY if response.mimetype == "text/html" else OTHER_POLICY
    response.headers.setdefault("Content-Security-Policy", policy)
    return response


def init_app(app: Flask, max_url_bytes: int) -> None:
    """Refuse unreadable URLs before the views and add the headers to every response."""
    app.before_request(lambda: check_url(max_url_bytes))
    app.after_request(add_headers)
