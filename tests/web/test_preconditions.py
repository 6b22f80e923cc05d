"""Conditional requests as RFC 9110 13.2.2 evaluates them, on documents, collections and
the sitemap (the dumps' in test_dumps.py).

Werkzeug's own reading answered `If-Match: "x"` with a 304 (to a client holding no copy),
and ignored If-Unmodified-Since; an audit against the RFC found both."""

from __future__ import annotations

import pytest
import requests

pytestmark = pytest.mark.both_stores

PAST, FUTURE = "Mon, 01 Jan 1990 00:00:00 GMT", "Fri, 01 Jan 2100 00:00:00 GMT"
URLS = ("product/mesotherapy.ttl", "collections", "sitemap.xml")


def _get(server, path: str, **headers: str) -> requests.Response:
    return requests.get(server.url + path, headers=headers, timeout=30)


@pytest.mark.parametrize("path", URLS)
def test_if_match_and_if_unmodified_since_are_preconditions(server, path):
    full = _get(server, path)
    assert full.status_code == 200 and full.headers["ETag"]
    etag = full.headers["ETag"]
    for headers in ({"If-Match": '"x"'}, {"If-Match": f'W/{etag}'},  # 13.1.1: strong only
                    {"If-Unmodified-Since": PAST},
                    {"If-Match": '"x"', "If-None-Match": etag}):  # If-Match is first
        refused = _get(server, path, **headers)
        assert refused.status_code == 412, (headers, refused.status_code)
        assert refused.text.startswith("Precondition failed")
    for headers in ({"If-Match": "*"}, {"If-Match": f'"x", {etag}'},
                    {"If-Unmodified-Since": FUTURE},
                    {"If-Match": etag, "If-Unmodified-Since": PAST}):  # the latter unread
        answered = _get(server, path, **headers)
        assert (answered.status_code, answered.content) == (200, full.content), headers
    for headers in ({"If-None-Match": etag}, {"If-Match": etag, "If-None-Match": etag}):
        assert _get(server, path, **headers).status_code == 304, headers


def test_a_document_unknown_is_404_whatever_the_preconditions(server):
    for headers in ({"If-None-Match": "*"}, {"If-Match": "*"}, {"If-Match": '"x"'}):
        answer = _get(server, "product/no-such-product.ttl", **headers)
        assert answer.status_code == 404, headers


def test_a_resource_without_a_date_ignores_the_date_conditions(server):
    """robots.txt has no Last-Modified: every If-Modified-Since got a 304, and every 200 a
    Last-Modified of now (a review's finding; RFC 9110 13.1.3)."""
    answer = _get(server, "robots.txt", **{"If-Modified-Since": PAST})
    assert answer.status_code == 200 and "Last-Modified" not in answer.headers
    assert _get(server, "robots.txt", **{"If-Unmodified-Since": PAST}).status_code == 200

