"""Conditional requests evaluated as RFC 9110 13.2.2 orders them.

Werkzeug's `is_resource_modified` reads a false `If-Match` as "not modified" (a 304 to a
client holding no copy), `make_conditional` answers `If-Match: *` with 412, neither reads
`If-Unmodified-Since`, and `send_file` answers 416 to a `Range` it cannot parse where the
RFC has it ignored. Every conditional answer of the server is decided here; werkzeug is
left only the byte ranges of a file (`send_conditional`).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Response, request, send_file
from werkzeug.http import parse_range_header

PRECONDITION_FAILED = 412
NOT_MODIFIED = 304
_SAFE = ("GET", "HEAD")


def refused(etag: str, modified: datetime | None) -> int | None:
    """304 or 412 where the request's preconditions say so, else None (answer in full).

    The current representation exists and has these validators (a strong ETag; modified
    None: no date, so that the date conditions are ignored, 13.1.3 and 13.1.4)."""
    headers = request.headers
    if "If-Match" in headers:  # 13.1.1: "*", or a strong match
        if not (request.if_match.star_tag or request.if_match.is_strong(etag)):
            return PRECONDITION_FAILED
    elif _later(modified, request.if_unmodified_since):  # 13.1.4
        return PRECONDITION_FAILED
    if "If-None-Match" in headers:  # 13.1.2: "*", or a weak match
        if request.if_none_match.star_tag or request.if_none_match.contains_weak(etag):
            return NOT_MODIFIED if request.method in _SAFE else PRECONDITION_FAILED
    elif request.method in _SAFE and modified is not None and request.if_modified_since \
            and not _later(modified, request.if_modified_since):  # 13.1.3
        return NOT_MODIFIED
    return None


def _later(modified: datetime | None, than: datetime | None) -> bool:
    return modified is not None and than is not None and modified > than


def conditional(etag: str, modified: datetime | None) -> Response | None:
    """The 412 or the (empty) 304 the request's preconditions call for, else None; the
    caller adds to a 304 the headers a 200 would carry (RFC 9110 15.4.5)."""
    status = refused(etag, modified)
    if status == PRECONDITION_FAILED:
        return _failed()
    return Response(status=status) if status else None


def _failed() -> Response:
    return Response("Precondition failed: the resource does not match this request's "
                    "If-Match or If-Unmodified-Since.\n", PRECONDITION_FAILED,
                    content_type="text/plain; charset=utf-8")


def send_conditional(path: Path, etag: str | None = None, **options: Any) -> Response:
    """A file with its validators (its time of change, and etag, else `file_tag`),
    conditional on them, in byte ranges where asked."""
    etag, modified = etag or file_tag(path), file_modified(path)
    status = refused(etag, modified)
    if status == PRECONDITION_FAILED:
        return _failed()
    environ = request.environ
    for header in ("HTTP_IF_MATCH", "HTTP_IF_UNMODIFIED_SINCE", "HTTP_IF_NONE_MATCH",
                   "HTTP_IF_MODIFIED_SINCE"):  # decided above
        environ.pop(header, None)
    if status == NOT_MODIFIED:
        environ["HTTP_IF_NONE_MATCH"] = f'"{etag}"'  # werkzeug's 304, with its headers
    if status == NOT_MODIFIED or not _one_range(environ.get("HTTP_RANGE")) or environ.get(
            "HTTP_IF_RANGE", "").startswith("W/"):
        # 13.2.2: a 304 before any range (werkzeug would answer 206);
        # 14.2: a Range of another unit (or one werkzeug cannot serve) is ignored; 13.1.5:
        # If-Range with a weak entity tag is false (the whole representation)
        environ.pop("HTTP_RANGE", None)
    return send_file(path, conditional=True, etag=etag, last_modified=modified, **options)


def file_modified(path: Path) -> datetime:
    """A file's time of change, to the second (as Last-Modified writes it)."""
    return datetime.fromtimestamp(int(path.stat().st_mtime), tz=UTC)


def file_tag(path: Path) -> str:
    """An entity tag of a small file that has no checksum of its own: its size and time of
    change (a rewrite by a build changes either)."""
    stat = path.stat()
    return hashlib.sha256(f"{stat.st_size}-{stat.st_mtime_ns}".encode()).hexdigest()[:32]


def _one_range(header: str | None) -> bool:
    """A Range header of one bytes range (werkzeug serves no multipart/byteranges)."""
    parsed = parse_range_header(header)
    return parsed is not None and parsed.units == "bytes" and len(parsed.ranges) == 1
