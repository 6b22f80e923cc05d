"""Fuzzing every route of a live server: odd input gets a 4xx with a body, never a 5xx.

Hypothesis builds requests for each rule of the app's URL map: variables filled with
`..`, `%00`, malformed or non-UTF-8 percent-encoding, over-long slugs, unknown extensions;
query strings with repeated, unknown and malformed parameters; every kind of odd `Accept`,
`Content-Type` and conditional header; random bodies. The requests are written by
`http.client`, which sends the path and query exactly as given. Derandomised: the same
examples run every time.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .routes import FIXTURE_GRAPH, Route, app_routes, send

ODD_SEGMENTS = [
    "..", ".", "%2e%2e", "..%2F..%2Fetc%2Fpasswd", "%00", "a%00b", "%zz", "%", "%4", "%C3%28",
    "%FF", "%EF%BF%BE", "%EE%80%80", "%E2%80%AE", "a%20b", "%3Cscript%3E", "x%3E%20%7D",
    "%22%3E%3Cimg%20src%3Dx%3E", "a" * 5000, "ibuprofen.exe", "ibuprofen.ttl.html",
    "ibuprofen.", ".ttl", "ibuprofen.TTL", "ibuprofen;x=1", "%25zz", "~", "%F0%9F%98%80",
    "ibuprofen%23pk-half-life", "%5C", "mesotherapy.html", "%2F",
]
PARAMETERS = ["query", "format", "q", "page", "default-graph-uri", "named-graph-uri", "update",
              "limit", "offset", "since", "until", "lang", "kind", "level", "callback"]
ODD_VALUES = [
    "", "%zz", "%00", "%FF", "ASK{}", "SELECT * WHERE { ?s ?p ?o } LIMIT 1", "DESCRIBE <x>",
    "json", "html", "ttl", "xml", "nonsense", "-1", "99999999999999999999", "1e309", "NaN",
    "http://127.0.0.1:9/", "not an iri", "<script>alert(1)</script>", "x" * 3000,
    "INSERT DATA { <a> <b> <c> }", "2024-13-45", "%E2%80%AE",
]
ACCEPTS = [
    "", "*/*", "text/html", "application/json", "text/turtle;q=0", "*/*;q=0", "text/*",
    "application/*;q=0.5, */*;q=0.1", "nonsense", ";;;", "text/html;q=abc", "*/html",
    "text/turtle; charset=latin-1", "application/ld+json; profile=\"x\"", "image/png",
    ", , ,", "text/html, application/xhtml+xml, */*;q=0.8", "x/y;q=1.5", "*/*;q=-1",
    "text/csv, text/tab-separated-values;q=0", "application/sparql-results+xml" * 50,
]
CONTENT_TYPES = [
    "application/x-www-form-urlencoded", "application/sparql-query",
    "application/sparql-update", "application/sparql-query; charset=latin-1",
    "multipart/form-data; boundary=x", "application/json", "text/plain", "", ";",
    "application/x-www-form-urlencoded; charset=utf-16",
]
# An entity of each kind in the fixture graph.
KEYS = {"product": "ibuprofen", "group": "nsaids", "alias": "ibuprofenum",
        "brand": "ibuprofen-kern", "writing": "ibuprofen", "reference": "rigourd-2018-aaaa1111",
        "risk": "0", "country": "es"}
METHODS = ["GET", "GET", "GET", "HEAD", "POST", "OPTIONS", "PUT", "DELETE", "PATCH", "TRACE"]
RAW_ALPHABET = "abcxyz019./-_~:@!$&'()*+,;=?"  # "%" comes from the odd lists

header_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF,
                                    exclude_characters="\x7f"), max_size=80)


def _encoded(text: str) -> str:
    return quote(text, safe="")


segment = st.one_of(
    st.sampled_from(ODD_SEGMENTS),
    st.text(max_size=40).map(_encoded),
    st.text(RAW_ALPHABET.replace("?", ""), max_size=30),
)
value = st.one_of(st.sampled_from(ODD_VALUES).map(lambda v: v if "%" in v else _encoded(v)),
                  st.text(max_size=30).map(_encoded), st.text(RAW_ALPHABET, max_size=20))
name = st.one_of(st.sampled_from(PARAMETERS), st.text(RAW_ALPHABET.replace("=", ""),
                                                      max_size=10))
query_string = st.lists(st.tuples(name, value), max_size=6).map(
    lambda pairs: "&".join(f"{n}={v}" for n, v in pairs))
headers = st.fixed_dictionaries({}, optional={
    "Accept": st.one_of(st.sampled_from(ACCEPTS), header_text),
    "Accept-Language": st.one_of(st.just("es, en;q=0.5"), header_text),
    "Content-Type": st.one_of(st.sampled_from(CONTENT_TYPES), header_text),
    "If-None-Match": st.one_of(st.just('"x", W/"y"'), st.just("*"), header_text),
    "If-Modified-Since": st.one_of(st.just("Thu, 01 Jan 2099 00:00:00 GMT"), header_text),
    "Range": st.one_of(st.just("bytes=0-10,5-1"), header_text),
    "X-Forwarded-For": header_text,
    "Origin": header_text,
})
body = st.one_of(
    st.just(b""), st.binary(max_size=300),
    st.sampled_from(ODD_VALUES).map(lambda v: f"query={_encoded(v)}".encode()),
    st.sampled_from(ODD_VALUES).map(str.encode),
)


def _realistic(route: Route, variable: str, kind: str | None) -> st.SearchStrategy[str]:
    """Values that name something: the sample, each any(...) choice, each entity document."""
    sample = KEYS.get(kind or "", route.sample(variable)) if variable == "key" else (
        route.sample(variable))
    documents = [f"{sample}.{ext}" for ext in ("html", "ttl", "jsonld", "rdf", "nt")]
    return st.sampled_from([sample, *route.choices.get(variable, ()),
                            *(documents if variable == "key" else ())])


def weighted(routes: list[Route]) -> list[Route]:
    """Each route once per variable and once more: more variables, more to try."""
    return [route for route in routes for _ in range(1 + 2 * len(route.variables))]


@pytest.fixture(scope="module")
def routes(tmp_path_factory):
    return app_routes(tmp_path_factory.mktemp("fuzz-cache"))


@pytest.fixture(scope="module")
def fuzzed(start_server):
    """The fixture graph (every kind of entity), no query budget, a short query deadline."""
    return start_server("--graph", str(FIXTURE_GRAPH), "--sparql-budget", "0",
                        "--query-timeout", "2")


def check(status: int, response_headers: dict[str, str], content: bytes, method: str,
          where: str) -> None:
    assert status < 500, f"{where}: {status} {content[:300]!r}"
    if status >= 400:
        assert response_headers.get("Content-Type"), where
        assert method == "HEAD" or content.strip(), f"{where}: {status} with an empty body"
        assert b"Traceback" not in content, where


@settings(max_examples=1200, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_no_route_answers_odd_input_with_a_5xx(fuzzed, routes, data):
    route = data.draw(st.sampled_from(weighted(routes)), label="route")
    values: dict[str, str] = {}
    for variable in route.variables:
        values[variable] = data.draw(
            st.one_of(_realistic(route, variable, values.get("kind")), segment), label=variable)
    target = route.path(values)
    query = data.draw(query_string, label="query string")
    if query:
        target += "?" + query
    method = data.draw(st.sampled_from(METHODS), label="method")
    request_headers = data.draw(headers, label="headers")
    payload = data.draw(body, label="body") if method in ("POST", "PUT", "PATCH") else b""
    status, response_headers, content = send(fuzzed.port, method, target, request_headers,
                                             payload)
    check(status, response_headers, content, method, f"{method} {target[:200]}")


EXTENSIONS = ["", ".html", ".ttl", ".jsonld", ".rdf", ".nt", ".json", ".exe", ".TTL", ".",
              ".ttl.html", ".html%00", ".%zz"]


@settings(max_examples=300, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(sorted(KEYS)), extension=st.sampled_from(EXTENSIONS),
       query=query_string, method=st.sampled_from(METHODS), request_headers=headers)
def test_entity_documents_answer_odd_requests_without_a_5xx(fuzzed, kind, extension, query,
                                                            method, request_headers):
    """The entity views do the most with a request: each kind, each document, odd input."""
    target = f"/{kind}/{KEYS[kind]}{extension}" + (f"?{query}" if query else "")
    status, response_headers, content = send(fuzzed.port, method, target, request_headers, b"")
    check(status, response_headers, content, method, f"{method} {target[:200]}")


@pytest.mark.parametrize("target", [
    "/product/" + "a" * 20_000,
    "/search?q=" + "a" * 20_000,
    "/sparql?" + "&".join(["format=json"] * 3000),
    "/sparql?query=ASK%7B%7D&query=ASK%7B%7D",
    "/?" + "&".join(f"p{i}=%zz" for i in range(50)),
    "/product/ibuprofen%00.ttl",
    "//product//ibuprofen",
    "/product/ibuprofen/",
    "/./product/../sparql",
])
def test_edge_cases_get_a_4xx_with_a_body_or_an_answer(fuzzed, target):
    status, response_headers, content = send(fuzzed.port, "GET", target, {}, b"")
    check(status, response_headers, content, "GET", target[:80])
