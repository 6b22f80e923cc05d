"""Security headers, size limits (413, 414), refused URLs, and no route that writes.

Against a live server over the fixture graph; the route list comes from the app's URL map,
so a route added later is checked too.
"""

from __future__ import annotations

import re

import pytest
import requests

from lactgraph.config import Settings
from lactgraph.web import create_app

from .routes import FIXTURE_GRAPH, ROOT, app_routes, send

HTML_PAGES = ["", "product/ibuprofen.html", "group/nsaids.html", "alias/ibuprofenum.html",
              "reference/rigourd-2018-aaaa1111.html", "search?q=ibu", "sparql",
              "sparql?query=ASK%7B%7D", "product/nothing-here.html", "ontology.html"]
READ_METHODS = {"GET", "HEAD", "OPTIONS"}
WRITE_METHODS = ("PUT", "DELETE", "PATCH")


@pytest.fixture(scope="module")
def site(start_server):
    return start_server("--graph", str(FIXTURE_GRAPH))


@pytest.fixture(scope="module")
def routes(tmp_path_factory):
    return app_routes(tmp_path_factory.mktemp("security-cache"))


def _directives(policy: str) -> dict[str, list[str]]:
    return {name: values for name, *values in
            (part.split() for part in policy.split(";") if part.strip())}


@pytest.mark.parametrize("page", HTML_PAGES)
def test_html_has_a_strict_policy_and_the_security_headers(site, page):
    response = requests.get(site.url + page, headers={"Accept": "text/html"}, timeout=10)
    assert response.headers["Content-Type"].startswith("text/html")
    policy = _directives(response.headers["Content-Security-Policy"])
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == ["'self'"]  # no inline script, no eval
    assert policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("page", HTML_PAGES)
def test_the_pages_need_nothing_the_policy_blocks(site, page):
    """No inline script but JSON-LD data blocks, no event-handler attribute, no <style>."""
    html = requests.get(site.url + page, headers={"Accept": "text/html"}, timeout=10).text
    for attributes in re.findall(r"<script\b([^>]*)>", html, flags=re.IGNORECASE):
        assert 'type="application/ld+json"' in attributes or "src=" in attributes
    assert not re.search(r"<[^>]+\son[a-z]+\s*=", html, flags=re.IGNORECASE)
    assert "<style" not in html.lower()
    assert "javascript:" not in html.lower()


@pytest.mark.parametrize("path", ["product/ibuprofen.ttl", "sparql?query=ASK%7B%7D",
                                  "context.jsonld", "healthz", "static/style.css"])
def test_other_answers_run_nothing_and_are_not_sniffed(site, path):
    response = requests.get(site.url + path, timeout=10)
    assert response.status_code == 200
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert _directives(response.headers["Content-Security-Policy"])["default-src"] == ["'none'"]


def test_a_body_over_one_mebibyte_gets_413_on_every_post_route(site, routes):
    posting = [route for route in routes if "POST" in route.methods]
    assert posting
    for route in posting:
        response = requests.post(site.url + route.path().lstrip("/"), timeout=30,
                                 data=b"ASK {}" + b"#" * (1024 * 1024),
                                 headers={"Content-Type": "application/sparql-query"})
        assert response.status_code == 413, route.rule
        assert "413" in response.text


@pytest.mark.parametrize("target", ["/search?q=" + "a" * 17_000,
                                    "/sparql?query=" + "%20" * 6000,
                                    "/product/" + "a/" * 9000])
def test_a_url_over_the_limit_gets_414_saying_to_post(site, target):
    status, _, content = send(site.port, "GET", target, {}, b"")
    assert status == 414
    assert b"at most 16384 bytes" in content and b"POST" in content


def test_the_url_limit_is_configurable(tmp_path):
    app = create_app(Settings(project_dir=ROOT, graph_dir=FIXTURE_GRAPH, cache_dir=tmp_path,
                              max_url_bytes=100))
    client = app.test_client()
    assert client.get("/search?q=" + "a" * 80).status_code == 200
    response = client.get("/search?q=" + "a" * 120)
    assert response.status_code == 414
    assert b"at most 100 bytes" in response.data


@pytest.mark.parametrize(("target", "says"), [
    ("/product/ibu%zzprofen", b"percent-escape"),
    ("/product/ibuprofen%", b"percent-escape"),
    ("/search?q=50%", b"percent-escape"),
    ("/product/%C3%28.ttl", b"not UTF-8"),
    ("/search?q=%FF", b"not UTF-8"),
    ("/product/a%00b", b"'\\x00'"),
    ("/product/a%3Eb", b"'>'"),
    ("/product/a%20b.ttl", b"' '"),
    ("/product/%EE%80%80", b"no IRI may hold"),
])
def test_malformed_urls_get_400_naming_the_problem(site, target, says):
    status, headers, content = send(site.port, "GET", target, {}, b"")
    assert status == 400
    assert headers["Content-Type"].startswith("text/plain")
    assert says in content


def test_an_over_long_slug_is_not_found(site):
    status, _, content = send(site.port, "GET", "/mappings/" + "a" * 300 + ".sssom.tsv", {}, b"")
    assert status == 404
    assert b"longer than 255" in content


def test_no_route_writes(routes):
    """GET, HEAD and OPTIONS everywhere; POST only where SPARQL queries are sent."""
    for route in routes:
        allowed = READ_METHODS | ({"POST"} if route.rule == "/sparql" else set())
        extra = route.methods - allowed
        # /sparql declares PUT, DELETE and PATCH only to answer them 405 itself
        assert not extra or (route.rule == "/sparql" and extra <= set(WRITE_METHODS)), (
            route.rule, sorted(route.methods))


def test_write_methods_get_405_on_every_route(site, routes):
    for route in routes:
        for method in WRITE_METHODS:
            response = requests.request(method, site.url + route.path().lstrip("/"), timeout=10)
            assert response.status_code == 405, (method, route.rule)
            assert method not in response.headers["Allow"]
            assert response.text.strip()
