"""Content negotiation: q-values, wildcards, parameters, junk and case, in negotiation.py and
over HTTP at /sparql (Werkzeug's best_match gets several of these wrong for RDF clients)."""

from __future__ import annotations

import pytest
import requests

from lactgraph.web.negotiation import (
    BOOLEAN_FORMATS,
    CSV,
    HTML,
    JSON_LD,
    N_TRIPLES,
    RDF_FORMATS,
    RDF_XML,
    RESULT_FORMATS,
    SPARQL_JSON,
    SPARQL_XML,
    TSV,
    TURTLE,
    choose,
    choose_format,
    format_for_extension,
    format_named,
    not_acceptable,
)

pytestmark = pytest.mark.both_stores  # the embedded store and Virtuoso

RESULTS = (*RESULT_FORMATS, HTML)
GRAPHS = (*RDF_FORMATS, HTML)
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"


@pytest.mark.parametrize(("accept", "expected"), [
    (None, SPARQL_JSON),  # no header: the server's first choice
    ("", SPARQL_JSON),
    ("*/*", SPARQL_JSON),
    ("*", SPARQL_JSON),  # Java's URLConnection sends a bare '*'
    ("text/*", CSV),  # the first text/ offer
    ("text/*;q=0.5, */*;q=0.1", CSV),
    ("application/sparql-results+json;q=0.5, text/csv", CSV),
    ("text/csv;q=0.2, text/tab-separated-values;q=0.3", TSV),
    ("application/sparql-results+xml", SPARQL_XML),
    ("Application/SPARQL-Results+XML", SPARQL_XML),  # types are case-insensitive
    ("application/json", SPARQL_JSON),  # an alias of SPARQL JSON
    ("text/tsv", TSV),
    ("*/*, text/csv;q=0", SPARQL_JSON),  # q=0: never CSV
    # the format's own type refused: not sent for an alias the client accepts
    ("application/sparql-results+json;q=0, application/json, text/csv;q=0.1", CSV),
    ("application/json;q=0, application/sparql-results+json", SPARQL_JSON),
    (BROWSER, HTML),
    ("application/sparql-results+json;charset=utf-8", SPARQL_JSON),
])
def test_choose_a_results_format(accept, expected):
    assert choose_format(accept, RESULTS) is expected


@pytest.mark.parametrize(("accept", "expected"), [
    ('application/ld+json; profile="http://www.w3.org/ns/json-ld#compacted"', JSON_LD),
    ('application/ld+json;profile="http://www.w3.org/ns/json-ld#expanded";q=0.9, '
     "text/turtle;q=0.8", JSON_LD),
    ("application/rdf+xml;q=0.3, text/turtle;q=0.2", RDF_XML),
    ("application/n-triples, text/turtle;q=0.9", N_TRIPLES),
    ("application/x-turtle", TURTLE),
    ("text/n3;q=1, */*;q=0.1", TURTLE),  # not offered: the wildcard's best
    (BROWSER, HTML),
])
def test_choose_a_graph_format(accept, expected):
    assert choose_format(accept, GRAPHS) is expected


@pytest.mark.parametrize("junk", [
    "garbage", ";;;", ",,,", "text", "/", "\x00\x01", "a/b/c",
])
def test_junk_accept_headers_count_as_absent(junk):
    assert choose_format(junk, RESULTS) is SPARQL_JSON


@pytest.mark.parametrize("weight", ["abc", "-1", "1.5", "2", ""])
def test_a_weight_that_is_no_number_from_0_to_1_makes_its_range_malformed(weight):
    """mimeparse reads such a weight as 1: `text/csv;q=-1` won over JSON at 0.1 (an
    audit's finding)."""
    assert choose_format(f"text/csv;q={weight}, application/sparql-results+json;q=0.1",
                         RESULTS) is SPARQL_JSON


@pytest.mark.parametrize(("accept", "expected"), [
    ("text/csv;Q=0.500, application/sparql-results+json;q=0.1", CSV),
    ("text/csv;q=.5, application/sparql-results+json;q=0.4", CSV),  # RFC 9110 wants 0.5
    ("text/csv;q=0.9000, application/sparql-results+json;q=0.8", CSV),
])
def test_a_weight_written_loosely_is_still_a_weight(accept, expected):
    assert choose_format(accept, RESULTS) is expected


def test_javas_default_accept_header_gets_the_first_offer():
    """`*; q=.2, */*; q=.2` (HttpURLConnection's default): its ranges were dropped for
    their weight, and the VoID answered 406 (a review's finding)."""
    java = "text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2"
    assert choose_format(java, RDF_FORMATS) is TURTLE
    assert choose_format(java, RESULT_FORMATS) is SPARQL_JSON


def test_junk_ranges_are_skipped_and_the_rest_honoured():
    assert choose_format("garbage, text/csv", RESULTS) is CSV


@pytest.mark.parametrize("accept", ["image/png", "text/plain", "*/*;q=0", "application/*;q=0"])
def test_nothing_acceptable(accept):
    assert choose_format(accept, (SPARQL_JSON, SPARQL_XML)) is None


def test_choose_returns_the_offer_itself():
    offers = ["text/turtle", "application/ld+json"]
    assert choose("application/ld+json;q=1, text/turtle;q=0.9", offers) == "application/ld+json"
    assert choose("text/*", offers) == "text/turtle"
    assert choose("image/*", offers) is None


@pytest.mark.parametrize(("name", "formats", "expected"), [
    ("ttl", RDF_FORMATS, TURTLE), ("turtle", RDF_FORMATS, TURTLE),
    ("text/turtle", RDF_FORMATS, TURTLE), ("nt", RDF_FORMATS, N_TRIPLES),
    ("ntriples", RDF_FORMATS, N_TRIPLES), ("xml", RDF_FORMATS, RDF_XML),
    ("rdfxml", RDF_FORMATS, RDF_XML), ("rdf+xml", RDF_FORMATS, RDF_XML),
    ("JSONLD", RDF_FORMATS, JSON_LD), ("json", RDF_FORMATS, JSON_LD),
    ("json", RESULT_FORMATS, SPARQL_JSON), ("xml", RESULT_FORMATS, SPARQL_XML),
    ("csv", RESULT_FORMATS, CSV), ("tsv", RESULT_FORMATS, TSV),
    ("csv", BOOLEAN_FORMATS, None), ("foo", RESULT_FORMATS, None),
])
def test_format_names(name, formats, expected):
    assert format_named(name, formats) is expected


def test_extensions_and_the_406_body():
    assert format_for_extension(".jsonld", RDF_FORMATS) is JSON_LD
    assert format_for_extension("rdf", RDF_FORMATS) is RDF_XML
    assert format_for_extension("html", RDF_FORMATS) is None
    body = not_acceptable(RDF_FORMATS)
    for fmt in RDF_FORMATS:
        assert fmt.media_type in body and f"format={fmt.name}" in body


def test_content_types():
    assert TURTLE.content_type == "text/turtle; charset=utf-8"
    assert SPARQL_JSON.content_type == "application/sparql-results+json"  # JSON: no charset


# --- over HTTP ---------------------------------------------------------------------------

SELECT = "SELECT ?x WHERE { VALUES ?x { 1 } }"
CONSTRUCT = "CONSTRUCT { <http://example.org/s> <http://example.org/p> 1 } WHERE {}"


def _media_type(server, query: str | None, accept: str | None) -> tuple[int, str]:
    params = {"query": query} if query else {}
    headers = {"Accept": accept} if accept is not None else {}
    response = requests.get(server.url + "sparql", params=params, headers=headers, timeout=30)
    assert "Traceback" not in response.text
    return response.status_code, response.headers["Content-Type"].split(";")[0]


@pytest.mark.parametrize(("query", "accept", "expected"), [
    (SELECT, None, "application/sparql-results+json"),
    (SELECT, "", "application/sparql-results+json"),
    (SELECT, "garbage", "application/sparql-results+json"),
    (SELECT, "TEXT/CSV", "text/csv"),
    (SELECT, "text/*", "text/csv"),
    (SELECT, "application/sparql-results+json;q=0.5, text/csv", "text/csv"),
    (SELECT, "application/sparql-results+xml;q=0.9, application/sparql-results+json;q=0.8",
     "application/sparql-results+xml"),
    (CONSTRUCT, 'application/ld+json;profile="http://www.w3.org/ns/json-ld#compacted"',
     "application/ld+json"),
    (CONSTRUCT, "*/*", "text/turtle"),
    (CONSTRUCT, "text/*;q=0.1, application/n-triples;q=0.5", "application/n-triples"),
    (None, None, "text/turtle"),  # the service description
    (None, BROWSER, "text/html"),  # the query page
    (None, "application/rdf+xml", "application/rdf+xml"),
])
def test_negotiation_over_http(server, query, accept, expected):
    assert _media_type(server, query, accept) == (200, expected)


@pytest.mark.parametrize(("query", "accept"), [
    (SELECT, "text/turtle"), (CONSTRUCT, "text/csv"), (None, "text/csv"), (SELECT, "*/*;q=0"),
    (SELECT, "application/sparql-results+json;q=0, application/json"),
    (SELECT, "application/sparql-results+xml;q=0, application/xml"),
])
def test_406_over_http(server, query, accept):
    assert _media_type(server, query, accept) == (406, "text/plain")


@pytest.mark.parametrize(("path", "name", "expected"), [
    ("product/mesotherapy", "turtle", "product/mesotherapy.ttl"),
    ("product/mesotherapy", "jsonld", "product/mesotherapy.jsonld"),
    ("product/mesotherapy", "application/rdf+xml", "product/mesotherapy.rdf"),
    ("product/cavitation", "nt", "product/cavitation.nt"),
])
def test_format_names_the_document_an_entity_iri_redirects_to(server, path, name, expected):
    """The 406 offers `format=`; an entity IRI ignored it and sent the HTML page."""
    response = requests.get(server.url + path, params={"format": name}, timeout=30,
                            headers={"Accept": "text/html"}, allow_redirects=False)
    assert response.status_code == 303
    assert response.headers["Location"] == server.url + expected


@pytest.mark.parametrize(("path", "name", "expected"), [
    (".well-known/void", "jsonld", "application/ld+json"),
    ("catalog", "jsonld", "application/ld+json"),
    ("catalog", "nt", "application/n-triples"),
])
def test_format_chooses_what_void_and_the_catalogue_answer(server, path, name, expected):
    response = requests.get(server.url + path, params={"format": name}, timeout=30,
                            headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["Content-Type"].split(";")[0] == expected


def test_a_format_that_names_no_document_format_is_406(server):
    response = requests.get(server.url + "product/mesotherapy", params={"format": "jsnold"},
                            timeout=30, allow_redirects=False)
    assert response.status_code == 406 and "format=turtle" in response.text
