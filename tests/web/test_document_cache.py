"""Rendered documents kept by ETag: the same bytes again without the store, never stale.

Each server here is started for the test (its /metrics counts are its own: `lactgraph
serve` is one process).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import requests
from rdflib import Graph, URIRef

from lactgraph.web.document_cache import DocumentCache, Rendered


def _counts(server) -> dict[str, float]:
    """lactgraph_document_cache_requests_total by result, and the cache's bytes."""
    text = requests.get(server.url + "metrics", timeout=10).text
    found = {match[0]: float(match[1]) for match in re.findall(
        r'^lactgraph_document_cache_requests_total\{result="(\w+)"\} (\S+)$', text, re.M)}
    found["bytes"] = float(re.search(r"^lactgraph_document_cache_bytes (\S+)$", text,
                                     re.M).group(1))
    return {"hit": 0.0, "miss": 0.0, "revalidated": 0.0, **found}


@pytest.fixture(scope="module")
def cached(start_server):
    return start_server()


@pytest.fixture(scope="module")
def uncached(start_server):
    return start_server("--document-cache-mb", "0")


def _get(server, path: str, **headers: str) -> requests.Response:
    return requests.get(server.url + path, headers=headers, timeout=30)


def test_a_document_asked_again_is_the_same_bytes_from_the_cache(cached):
    before = _counts(cached)
    first = _get(cached, "product/mesotherapy.ttl")
    again = _get(cached, "product/mesotherapy.ttl")
    after = _counts(cached)
    assert first.status_code == again.status_code == 200
    assert first.content == again.content
    assert first.headers["ETag"] == again.headers["ETag"]
    assert first.headers["Last-Modified"] == again.headers["Last-Modified"]
    assert again.headers["Content-Type"].startswith("text/turtle")
    assert (after["miss"] - before["miss"], after["hit"] - before["hit"]) == (1, 1)
    assert after["bytes"] >= len(first.content)
    graph = Graph().parse(data=again.text, format="turtle")
    assert graph.value(URIRef(cached.url + "product/mesotherapy"),
                       URIRef(cached.url + "ontology#riskLevel")) == URIRef(
        cached.url + "risk/1")


def test_each_format_and_origin_is_a_document_of_its_own(cached):
    turtle = _get(cached, "product/cavitation.ttl").text
    html = _get(cached, "product/cavitation.html").text
    assert turtle != html and "<html" in html and "@prefix" in turtle
    assert _get(cached, "product/cavitation.ttl").text == turtle
    # The same document asked at another origin is written for that origin
    other = _get(cached, "product/cavitation.ttl", Host="lactgraph.test:8080").text
    subjects = set(Graph().parse(data=other, format="turtle").subjects())
    assert URIRef("http://lactgraph.test:8080/product/cavitation") in subjects
    assert cached.url not in other
    assert _get(cached, "product/cavitation.ttl").text == turtle


def test_a_conditional_get_on_a_kept_document_is_304(cached):
    first = _get(cached, "product/cryolipolysis.jsonld")
    before = _counts(cached)
    again = _get(cached, "product/cryolipolysis.jsonld", **{
        "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    assert _counts(cached)["revalidated"] - before["revalidated"] == 1


def test_an_unknown_entity_is_a_404_each_time(cached):
    for _ in range(2):
        response = _get(cached, "product/no-such-product.ttl")
        assert response.status_code == 404


def test_with_no_cache_every_document_is_rendered(uncached):
    before = _counts(uncached)
    answers = [_get(uncached, "product/mesotherapy.ttl") for _ in range(3)]
    after = _counts(uncached)
    assert len({answer.content for answer in answers}) == 1
    assert (after["miss"] - before["miss"], after["hit"] - before["hit"]) == (3, 0)
    assert after["bytes"] == 0
    graph = Graph().parse(data=answers[0].text, format="turtle")
    assert (URIRef(uncached.url + "product/mesotherapy"), None, None) in graph


def _rendered(size: int) -> Rendered:
    return Rendered(b"x" * size, datetime(2019, 1, 26, tzinfo=UTC))


def test_the_cache_holds_at_most_its_size_dropping_the_least_recently_used():
    cache = DocumentCache(megabytes=1 / 1024)  # 1024 bytes
    cache.put("a", _rendered(400))
    cache.put("b", _rendered(400))
    assert cache.get("a") is not None  # now b is the least recently used
    cache.put("c", _rendered(400))
    assert cache.get("b") is None and cache.get("a") is not None
    assert cache.get("c").body == b"x" * 400 and cache.size == 800
    cache.put("huge", _rendered(2000))  # larger than the cache: not kept, nothing evicted
    assert cache.get("huge") is None and cache.size == 800


def test_a_client_naming_the_current_etag_gets_304_without_a_rendering(uncached):
    first = _get(uncached, "product/mesotherapy.jsonld")
    assert first.headers["Cache-Control"] == "no-cache"
    before = _counts(uncached)
    strong = _get(uncached, "product/mesotherapy.jsonld", **{
        "If-None-Match": f'"other", {first.headers["ETag"]}'})
    weak = _get(uncached, "product/mesotherapy.jsonld", **{
        "If-None-Match": "W/" + first.headers["ETag"]})
    after = _counts(uncached)
    for again in (strong, weak):
        assert again.status_code == 304 and again.content == b""
        assert again.headers["ETag"] == first.headers["ETag"]
        assert again.headers["Cache-Control"] == "no-cache"
    assert (after["revalidated"] - before["revalidated"], after["miss"] - before["miss"],
            after["hit"] - before["hit"]) == (2, 0, 0)
    # another document's ETag, or `*`, is no revalidation: the document is rendered
    other = _get(uncached, "product/mesotherapy.ttl", **{"If-None-Match": first.headers["ETag"]})
    assert other.status_code == 200 and other.headers["ETag"] != first.headers["ETag"]
    star = _get(uncached, "product/no-such-product.ttl", **{"If-None-Match": "*"})
    assert star.status_code == 404
    assert _counts(uncached)["miss"] - after["miss"] == 2
