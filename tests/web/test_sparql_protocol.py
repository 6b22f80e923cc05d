"""/sparql over HTTP against the bundled graph: the protocol, the answers, the page, CORS.

Facts asserted come from the seed entry: Mesotherapy (level 1) has the alternatives
Cavitation and Cryolipolysis (level 0) and the related product Hydrolipoclasia (level 1).
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import time
import xml.etree.ElementTree as ET

import pytest
import requests
from rdflib import RDF, Graph, Literal, Namespace, URIRef
from SPARQLWrapper import JSON, JSONLD, N3, POST, RDFXML, TURTLE, XML, SPARQLWrapper

from lactgraph.web.examples import EXAMPLE_QUERIES, with_prefixes

from .test_sparql_limits import listener  # noqa: F401 - a fixture

pytestmark = pytest.mark.both_stores  # the embedded store and Virtuoso

BASE = "https://w3id.org/lactgraph/"
LG = Namespace(BASE + "ontology#")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")
VOID = Namespace("http://rdfs.org/ns/void#")
RDFS_SEE_ALSO = URIRef("http://www.w3.org/2000/01/rdf-schema#seeAlso")
SRX = "{http://www.w3.org/2005/sparql-results#}"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

PREFIXES = f"PREFIX lg: <{LG}>\nPREFIX skos: <{SKOS}>\n"
ALTERNATIVES = PREFIXES + """SELECT ?name ?level WHERE {
  <product/mesotherapy> lg:alternative ?alternative .
  ?alternative skos:prefLabel ?name ; lg:riskLevel/skos:notation ?level .
} ORDER BY ?name"""
PRODUCT_NAMES = (PREFIXES
                 + "SELECT ?name WHERE { ?p a lg:Product ; skos:prefLabel ?name } ORDER BY ?name")
CAVITATION = PREFIXES + "CONSTRUCT WHERE { <product/cavitation> ?p ?o }"
SEED_PRODUCTS = ["Cavitation", "Cryolipolysis", "Hydrolipoclasia", "Mesotherapy"]


def endpoint(server) -> str:
    return server.url + "sparql"


def get(server, query: str | None = None, accept: str | None = None, **params: str):
    if query is not None:
        params["query"] = query
    headers = {"Accept": accept} if accept is not None else {}
    return requests.get(endpoint(server), params=params, headers=headers, timeout=30)


def rows(response: requests.Response) -> list[tuple[str, ...]]:
    """The values of SPARQL JSON bindings, row by row, in variable order."""
    assert response.status_code == 200, response.text
    results = response.json()
    names = results["head"]["vars"]
    return [tuple(b[n]["value"] for n in names if n in b) for b in results["results"]["bindings"]]


def media_type(response: requests.Response) -> str:
    return response.headers["Content-Type"].split(";")[0].strip()


# --- the seed's facts, by every way of asking --------------------------------------------

def test_the_alternatives_of_mesotherapy_with_their_levels(server):
    assert rows(get(server, ALTERNATIVES)) == [("Cavitation", "0"), ("Cryolipolysis", "0")]


def test_the_example_queries_answer_the_seed_facts(server):
    by_title = {e.title: with_prefixes(e.query) for e in EXAMPLE_QUERIES}
    level_0 = by_title["All products of level 0 (very low risk, compatible)"]
    assert [r[1] for r in rows(get(server, level_0))] == ["Cavitation", "Cryolipolysis"]
    alternatives = by_title["The alternatives of Mesotherapy with their levels"]
    assert [r[1:] for r in rows(get(server, alternatives))] == [("Cavitation", "0"),
                                                                 ("Cryolipolysis", "0")]
    per_level = {r[0]: int(r[2]) for r in rows(get(server, by_title["Products per risk level"]))}
    assert per_level == {"0": 2, "1": 2}
    counted = by_title["Products per risk level, as the build counted them "
                       "(graph/statistics.ttl)"]
    assert dict(rows(get(server, counted))) == {"0": "2", "1": "2", "2": "0", "3": "0"}
    latest = rows(get(server, by_title["The twenty products updated last"]))
    assert [(r[1], r[2]) for r in latest] == [("Mesotherapy", "2019-01-26")]


def test_get_post_form_and_post_direct_give_the_same_rows(server):
    by_get = rows(get(server, ALTERNATIVES))
    by_form = rows(requests.post(endpoint(server), data={"query": ALTERNATIVES}, timeout=30))
    by_direct = rows(requests.post(endpoint(server), data=ALTERNATIVES.encode(),
                                   headers={"Content-Type": "application/sparql-query"},
                                   timeout=30))
    assert by_get == by_form == by_direct == [("Cavitation", "0"), ("Cryolipolysis", "0")]


def test_sparqlwrapper_by_get_and_post(server):
    for method in ("GET", POST):
        client = SPARQLWrapper(endpoint(server))
        client.setMethod(method)
        client.setQuery(ALTERNATIVES)
        client.setReturnFormat(JSON)
        bindings = client.query().convert()["results"]["bindings"]
        assert [(b["name"]["value"], b["level"]["value"]) for b in bindings] == [
            ("Cavitation", "0"), ("Cryolipolysis", "0")]
    client.setQuery(PREFIXES + "ASK { <product/mesotherapy> lg:riskLevel/skos:notation 1 }")
    client.setReturnFormat(XML)
    document = client.query().convert()
    assert document.getElementsByTagName("boolean")[0].firstChild.data == "true"


@pytest.mark.parametrize("asked", [RDFXML, TURTLE, N3, JSONLD])
def test_sparqlwrapper_construct_as_an_rdflib_graph(server, asked):
    # N3 sends format=n3, which names no format here: the Accept it sends (Turtle among
    # others) decides
    client = SPARQLWrapper(endpoint(server))
    client.setQuery(CAVITATION)
    client.setReturnFormat(asked)
    result = client.query()
    graph = result.convert()
    if not isinstance(graph, Graph):  # SPARQLWrapper hands these over as text
        media = result.info()["content-type"].split(";")[0]
        assert media == {TURTLE: "text/turtle", N3: "text/turtle",
                         JSONLD: "application/ld+json"}[asked]
        graph = Graph().parse(data=graph, format=media)
    assert (URIRef(BASE + "product/cavitation"), LG.riskLevel, URIRef(BASE + "risk/0")) in graph


def test_relative_iris_resolve_against_the_base_iri(server):
    query = f"PREFIX skos: <{SKOS}> SELECT ?name {{ <product/mesotherapy> skos:prefLabel ?name }}"
    assert rows(get(server, query)) == [("Mesotherapy",)]
    iri = rows(get(server, "SELECT (<product/x> AS ?iri) {}"))
    assert iri == [(BASE + "product/x",)]


# --- the dataset: union, FROM, protocol graphs -------------------------------------------

def _graph_of_products(server) -> str:
    found = rows(get(server, PREFIXES + "SELECT DISTINCT ?g { GRAPH ?g { ?p a lg:Product } }"))
    assert len(found) == 1
    return found[0][0]


def _graph_of_levels(server) -> str:
    found = rows(get(server, PREFIXES + "SELECT DISTINCT ?g { GRAPH ?g { ?l skos:notation 0 } }"))
    assert len(found) == 1
    return found[0][0]


def test_the_default_graph_is_the_union_of_the_named_graphs(server):
    assert _graph_of_products(server) != _graph_of_levels(server)
    # The alternatives' levels need both graphs: the products and the level concepts.
    assert len(rows(get(server, ALTERNATIVES))) == 2


def test_protocol_default_graph_replaces_the_union(server):
    products, levels = _graph_of_products(server), _graph_of_levels(server)
    only_products = get(server, PRODUCT_NAMES, **{"default-graph-uri": products})
    assert [r[0] for r in rows(only_products)] == SEED_PRODUCTS
    assert rows(get(server, PRODUCT_NAMES, **{"default-graph-uri": levels})) == []
    both = requests.get(endpoint(server), timeout=30, params=[
        ("query", ALTERNATIVES), ("default-graph-uri", products), ("default-graph-uri", levels)])
    assert len(rows(both)) == 2
    # a graph given twice is in the merge once (SPARQL 1.1 Query 13.2.1): each answer once
    twice = requests.get(endpoint(server), timeout=30, params=[
        ("query", PRODUCT_NAMES), ("default-graph-uri", products),
        ("default-graph-uri", products), ("named-graph-uri", levels),
        ("named-graph-uri", levels)])
    assert [r[0] for r in rows(twice)] == SEED_PRODUCTS


def test_protocol_named_graphs(server):
    products, levels = _graph_of_products(server), _graph_of_levels(server)
    query = "SELECT DISTINCT ?g { GRAPH ?g { ?s ?p ?o } }"
    assert rows(get(server, query, **{"named-graph-uri": levels})) == [(levels,)]
    # Only named graphs given: the default graph is empty.
    assert rows(get(server, PRODUCT_NAMES, **{"named-graph-uri": products})) == []


def test_from_and_from_named_in_the_query(server):
    products, levels = _graph_of_products(server), _graph_of_levels(server)
    from_products = PRODUCT_NAMES.replace("WHERE", f"FROM <{products}> WHERE")
    assert [r[0] for r in rows(get(server, from_products))] == SEED_PRODUCTS
    from_levels = PRODUCT_NAMES.replace("WHERE", f"FROM <{levels}> WHERE")
    assert rows(get(server, from_levels)) == []  # FROM is honoured, not the union
    # Not `GRAPH ?g {}`: Virtuoso matches it to no graph (docs/deployment.md).
    named = f"SELECT DISTINCT ?g FROM NAMED <{levels}> {{ GRAPH ?g {{ ?s ?p ?o }} }}"
    assert rows(get(server, named)) == [(levels,)]


def test_protocol_dataset_wins_over_from(server):
    products, levels = _graph_of_products(server), _graph_of_levels(server)
    from_levels = PRODUCT_NAMES.replace("WHERE", f"FROM <{levels}> WHERE")
    answer = get(server, from_levels, **{"default-graph-uri": products})
    assert [r[0] for r in rows(answer)] == SEED_PRODUCTS


# --- answers: formats by Accept and by format= -------------------------------------------

def _names_from(response: requests.Response) -> list[str]:
    kind = media_type(response)
    if kind == "application/sparql-results+json":
        return [r[0] for r in rows(response)]
    if kind == "application/sparql-results+xml":
        root = ET.fromstring(response.content)
        return [e.text for e in root.iter(f"{SRX}literal")]
    if kind == "text/csv":
        return [r["name"] for r in csv.DictReader(io.StringIO(response.text))]
    assert kind == "text/tab-separated-values"
    lines = response.text.splitlines()
    assert lines[0] == "?name"
    return [line.split("@")[0].strip('"') for line in lines[1:]]


@pytest.mark.parametrize(("accept", "expected"), [
    ("application/sparql-results+json", "application/sparql-results+json"),
    ("application/sparql-results+xml", "application/sparql-results+xml"),
    ("text/csv", "text/csv"),
    ("text/tab-separated-values", "text/tab-separated-values"),
    ("application/json", "application/sparql-results+json"),
    ("*/*", "application/sparql-results+json"),
    ("", "application/sparql-results+json"),
    (None, "application/sparql-results+json"),
    ("application/sparql-results+json;q=0.5, text/csv", "text/csv"),
])
def test_select_answers_by_accept(server, accept, expected):
    response = get(server, PRODUCT_NAMES, accept=accept)
    assert response.status_code == 200
    assert media_type(response) == expected
    assert "Accept" in response.headers["Vary"]
    assert _names_from(response) == SEED_PRODUCTS


@pytest.mark.parametrize(("name", "expected"), [
    ("json", "application/sparql-results+json"), ("xml", "application/sparql-results+xml"),
    ("csv", "text/csv"), ("tsv", "text/tab-separated-values"),
])
def test_select_answers_by_format_parameter(server, name, expected):
    response = get(server, PRODUCT_NAMES, accept="text/turtle", format=name)
    assert media_type(response) == expected
    assert _names_from(response) == SEED_PRODUCTS


RDF_ANSWERS = [
    ("text/turtle", "turtle", "turtle"), ("application/n-triples", "ntriples", "nt"),
    ("application/rdf+xml", "rdfxml", "xml"), ("application/ld+json", "jsonld", "json-ld"),
]


@pytest.mark.parametrize(("accept", "name", "rdflib_format"), RDF_ANSWERS)
def test_construct_answers_in_every_rdf_format(server, accept, name, rdflib_format):
    cavitation = URIRef(BASE + "product/cavitation")
    for response in (get(server, CAVITATION, accept=accept), get(server, CAVITATION, format=name)):
        assert response.status_code == 200
        assert media_type(response) == accept
        graph = Graph().parse(data=response.content, format=rdflib_format)
        assert (cavitation, LG.riskLevel, URIRef(BASE + "risk/0")) in graph
        assert (cavitation, RDF.type, LG.Product) in graph
        assert (cavitation, SKOS.prefLabel, Literal("Cavitation", lang="en")) in graph


def test_construct_defaults_to_turtle_and_jsonld_has_no_remote_context(server):
    assert media_type(get(server, CAVITATION)) == "text/turtle"
    assert media_type(get(server, CAVITATION, accept="*/*")) == "text/turtle"
    profile = 'application/ld+json; profile="http://www.w3.org/ns/json-ld#compacted"'
    response = get(server, CAVITATION, accept=profile)
    assert media_type(response) == "application/ld+json"
    document = json.loads(response.text)
    contexts = [n.get("@context") for n in (document if isinstance(document, list)
                                            else [document])]
    assert not any(isinstance(c, str) for c in contexts)  # nothing to fetch


def test_describe_gives_the_products_triples(server):
    response = get(server, "DESCRIBE <product/mesotherapy>", accept="text/turtle")
    graph = Graph().parse(data=response.text, format="turtle")
    mesotherapy = URIRef(BASE + "product/mesotherapy")
    assert (mesotherapy, LG.riskLevel, URIRef(BASE + "risk/1")) in graph
    assert set(graph.objects(mesotherapy, LG.alternative)) == {
        URIRef(BASE + "product/cavitation"), URIRef(BASE + "product/cryolipolysis")}
    assert (mesotherapy, LG.relatedProduct, URIRef(BASE + "product/hydrolipoclasia")) in graph


def test_ask_answers_json_and_xml_only(server):
    ask = PREFIXES + "ASK { <product/hydrolipoclasia> lg:riskLevel/skos:notation 1 }"
    assert get(server, ask).json()["boolean"] is True
    xml_answer = get(server, ask, accept="application/sparql-results+xml")
    assert ET.fromstring(xml_answer.content).find(f"{SRX}boolean").text == "true"
    refused = get(server, ask, accept="text/csv")
    assert refused.status_code == 406
    assert "application/sparql-results+json" in refused.text


def test_406_lists_what_is_available(server):
    response = get(server, PRODUCT_NAMES, accept="image/png")
    assert response.status_code == 406
    assert media_type(response) == "text/plain"
    for available in ("application/sparql-results+json", "application/sparql-results+xml",
                      "text/csv", "text/tab-separated-values"):
        assert available in response.text
    wrong_form = get(server, PRODUCT_NAMES, format="turtle")  # a graph format for a SELECT
    assert wrong_form.status_code == 406
    assert "format=csv" in wrong_form.text


@pytest.mark.parametrize(("query", "accept"), [
    ('SELECT ?x { BIND("a\\r\\nb" AS ?x) }', "application/sparql-results+xml"),
    ('CONSTRUCT { <urn:x> <urn:p> "a\\r\\nb" } WHERE {}', "application/rdf+xml"),
])
def test_a_carriage_return_survives_an_xml_answer(server, query, accept):
    """Written raw, an XML parser reads CR LF as LF (XML 1.0, 2.11): the XML answer said
    'a\\nb' where JSON and CSV said 'a\\r\\nb' (an audit's finding)."""
    answer = get(server, query, accept=accept)
    assert answer.status_code == 200 and b"\r" not in answer.content
    if accept == "application/rdf+xml":
        assert Graph().parse(data=answer.content, format="xml").value(
            URIRef("urn:x"), URIRef("urn:p")) == Literal("a\r\nb")
    else:
        assert ET.fromstring(answer.content).find(f".//{SRX}literal").text == "a\r\nb"


@pytest.mark.parametrize(("query", "xml", "other"), [
    ('SELECT ?x { BIND("a\\u0001b" AS ?x) }', "application/sparql-results+xml",
     "application/sparql-results+json"),
    ('CONSTRUCT { <urn:x> <urn:p> "a\\u0001b" } WHERE {}', "application/rdf+xml",
     "text/turtle"),
])
def test_an_answer_xml_cannot_carry_comes_in_the_clients_next_choice_or_is_406(
        server, query, xml, other):
    """It was sent as XML that no XML parser reads (XML 1.0 has no U+0001, even escaped)."""
    refused = get(server, query, accept=xml)
    assert refused.status_code == 406, refused.text
    assert "U+0001, which XML cannot carry" in refused.text and other in refused.text
    assert xml not in refused.text
    answer = get(server, query, accept=f"{xml}, {other};q=0.5")
    assert answer.status_code == 200 and media_type(answer) == other
    if other == "text/turtle":
        assert Graph().parse(data=answer.text, format="turtle").value(
            URIRef("urn:x"), URIRef("urn:p")) == Literal("a\x01b")
    else:
        assert answer.json()["results"]["bindings"][0]["x"]["value"] == "a\x01b"


# --- errors: 4xx with a reason, never a traceback ----------------------------------------

def _assert_plain_error(response: requests.Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert media_type(response) == "text/plain"
    assert "Traceback" not in response.text


def test_a_malformed_query_is_400_whatever_format_the_client_accepts(server):
    """Before the format's 406: the remote store answered 406 without asking its server."""
    _assert_plain_error(get(server, "SELECT ?s WHERE {", accept="image/png"), 400)
    _assert_plain_error(get(server, "SELECT ?s WHERE {", format="turtle"), 400)


@pytest.mark.embedded_only("Virtuoso's parser words its errors its own way")
def test_a_malformed_query_gets_400_with_line_and_column(server):
    response = get(server, "SELECT ?s WHERE {\n  ?s ?p \n}")
    _assert_plain_error(response, 400)
    assert re.search(r"error at 3:\d+: ", response.text)  # pyoxigraph's line:column


@pytest.mark.embedded_only("Virtuoso declares xsd: itself, and words its errors its own way")
@pytest.mark.parametrize("query, hint", [
    ('SELECT ?x WHERE { BIND(xsd:integer("5") AS ?x) }',
     "uses xsd: without declaring it; add PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>"),
    ("SELECT ?x WHERE { ?x a lg:Product ; foo:bar ?y }",
     "uses lg:, foo: without declaring it; add PREFIX lg: "
     "<https://w3id.org/lactgraph/ontology#>; PREFIX foo: <...>"),
])
def test_a_query_that_uses_an_undeclared_prefix_is_told_so(server, query, hint):
    # the parser alone says what it expected at that column ("expected ENCODE_FOR_URI")
    response = get(server, query)
    _assert_plain_error(response, 400)
    assert hint in response.text
    assert re.search(r"error at 1:\d+: ", response.text)  # and the parser's own words


@pytest.mark.parametrize("template", [
    "PREFIX b: <bif:> SELECT (b:http_get('{url}') AS ?v) WHERE {{}}",
    "SELECT (<bif:http_get>('{url}') AS ?v) WHERE {{}}",
    "SELECT (<\\u0062if:http_get>('{url}') AS ?v) WHERE {{}}",
    "PREFIX b: <http://www.openlinksw.com/schemas/bif#> SELECT (b:http_get('{url}') AS ?v) "
    "WHERE {{}}",
    "SELECT (bif:sys_stat('st_dbms_ver') AS ?v) WHERE {{}}",
    "PREFIX s: <SQL:> SELECT (s:anything() AS ?v) WHERE {{}}",
])
def test_virtuosos_functions_are_refused_and_nothing_is_sent(server, listener, template):  # noqa: F811
    """Virtuoso ran them for any client of the remote store's /sparql: bif:http_get sent a
    request from the SPARQL server to an address the client chose (an audit's probe)."""
    response = get(server, template.format(url=f"http://127.0.0.1:{listener.port}/"))
    _assert_plain_error(response, 400)
    assert "Virtuoso's functions (bif:, sql:) are not SPARQL 1.1" in response.text
    time.sleep(0.2)
    assert listener.connections == 0


@pytest.mark.parametrize("query", ["DEFINE sql:log-enable 0 SELECT * WHERE { ?s ?p ?o }",
                                   'define input:inference "x" SELECT * WHERE {}'])
def test_a_virtuoso_pragma_is_refused_saying_so(server, query):
    """It was told to declare the prefix sql:, which then failed at DEFINE."""
    response = get(server, query)
    _assert_plain_error(response, 400)
    assert "DEFINE is a pragma of Virtuoso, not SPARQL 1.1" in response.text


@pytest.mark.embedded_only("Virtuoso words an unknown function its own way")
def test_a_function_sparql_does_not_have_is_a_400_naming_it(server):
    """It was a 500 ('RuntimeError: The custom function ... is not supported')."""
    response = get(server, "SELECT (<http://example.org/f>(1) AS ?v) WHERE {}")
    _assert_plain_error(response, 400)
    assert "calls <http://example.org/f>, which is not a function of SPARQL 1.1" in \
        response.text


def test_a_computed_boolean_is_a_boolean_on_both_stores(server):
    """Virtuoso answers a computed boolean as "1"^^xsd:integer; the remote store gives the
    columns the query binds to a boolean expression back as booleans, and no other."""
    answer = get(server, "SELECT (1 < 2 AS ?less) (isIRI(<urn:a>) AS ?named) "
                         "(false AS ?no) (1 AS ?one) ?bound WHERE { BIND(BOUND(?x) AS ?bound) }",
                 accept="application/sparql-results+json").json()
    [row] = answer["results"]["bindings"]
    boolean = "http://www.w3.org/2001/XMLSchema#boolean"
    assert {name: (term["datatype"], term["value"]) for name, term in row.items()} == {
        "less": (boolean, "true"), "named": (boolean, "true"), "no": (boolean, "false"),
        "bound": (boolean, "false"), "one": ("http://www.w3.org/2001/XMLSchema#integer", "1")}


def test_protocol_errors(server):
    url = endpoint(server)
    _assert_plain_error(requests.get(url, params=[("query", "ASK {}"), ("query", "ASK {}")],
                                     timeout=10), 400)
    _assert_plain_error(requests.post(url, data={"query": "ASK {}", "update": "CLEAR ALL"},
                                      timeout=10), 400)
    _assert_plain_error(requests.post(url, data=b"ASK {}", timeout=10), 415)  # no media type
    _assert_plain_error(requests.post(url, data=b"ASK {}", timeout=10,
                                      headers={"Content-Type": "text/plain"}), 415)
    _assert_plain_error(requests.post(url, data="ASK {}".encode("utf-16"), timeout=10, headers={
        "Content-Type": "application/sparql-query"}), 400)  # not UTF-8, not declared
    _assert_plain_error(requests.post(url, data="ASK {}".encode("utf-16"), timeout=10, headers={
        "Content-Type": "application/sparql-query; charset=UTF-16"}), 415)
    _assert_plain_error(requests.get(url + "?query=ASK%20%7B%7D%FF", timeout=10), 400)
    _assert_plain_error(requests.post(url, data=b"query=ASK%20%7B%7D%FF", timeout=10, headers={
        "Content-Type": "application/x-www-form-urlencoded"}), 400)
    _assert_plain_error(requests.post(url, data={"format": "json"}, timeout=10), 400)
    not_an_iri = requests.get(url, timeout=10, params={
        "query": "ASK {}", "default-graph-uri": "not an IRI"})
    _assert_plain_error(not_an_iri, 400)  # the request's fault, not the query's
    assert "default-graph-uri: not an IRI" in not_an_iri.text
    assert "malformed" not in not_an_iri.text
    for method in ("PUT", "DELETE", "PATCH", "TRACE"):  # Allow: what is supported (10.2.1)
        refused = requests.request(method, url, data={"query": "ASK {}"}, timeout=10)
        assert refused.status_code == 405, method
        assert {m.strip() for m in refused.headers["Allow"].split(",")} == {
            "GET", "HEAD", "POST", "OPTIONS"}, method
    _assert_plain_error(requests.put(url, data={"query": "ASK {}"}, timeout=10), 405)


def _count_triples(server) -> int:
    return int(rows(get(server, "SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } }"))[0][0])


def test_updates_are_refused_and_change_nothing(server):
    before = _count_triples(server)
    url = endpoint(server)
    drop = "DROP ALL"
    answers = [
        requests.post(url, data={"update": drop}, timeout=10),
        requests.post(url, data=drop.encode(), timeout=10,
                      headers={"Content-Type": "application/sparql-update"}),
        requests.get(url, params={"update": drop}, timeout=10),
        requests.get(url, params={"query": drop}, timeout=10),
        requests.get(url, params={"query": "LOAD <http://127.0.0.1:9/data.ttl>"}, timeout=10),
        requests.get(url, params={"query": f"PREFIX lg: <{LG}> INSERT DATA {{ <a> <b> <c> }}"},
                     timeout=10),
    ]
    for response in answers:
        assert 400 <= response.status_code < 500, response.text
        assert "read-only" in response.text
    assert _count_triples(server) == before
    assert [r[0] for r in rows(get(server, PRODUCT_NAMES))] == SEED_PRODUCTS


# --- the service description -------------------------------------------------------------

def _service_description(server, accept: str | None, rdflib_format: str) -> tuple[Graph, URIRef]:
    response = get(server, accept=accept)
    assert response.status_code == 200, response.text
    graph = Graph().parse(data=response.content, format=rdflib_format)
    service = graph.value(predicate=RDF.type, object=SD.Service)
    assert service is not None
    return graph, service


def test_the_service_description(server):
    graph, service = _service_description(server, None, "turtle")
    assert graph.value(service, SD.endpoint) == URIRef(endpoint(server))
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in graph
    formats = set(graph.objects(service, SD.resultFormat))
    for name in ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV",
                 "SPARQL_Results_TSV", "Turtle", "N-Triples", "RDF_XML", "JSON-LD"):
        assert FORMATS[name] in formats
    features = set(graph.objects(service, SD.feature))
    assert SD.UnionDefaultGraph in features
    assert SD.BasicFederatedQuery not in features  # SERVICE is refused
    assert (service, SD.supportedLanguage, SD.SPARQL11Update) not in graph
    dataset = graph.value(service, SD.defaultDataset)
    assert (dataset, RDF.type, SD.Dataset) in graph
    assert (dataset, RDFS_SEE_ALSO, URIRef(server.url + ".well-known/void")) in graph
    assert graph.value(dataset, VOID.sparqlEndpoint) == URIRef(endpoint(server))
    names = {graph.value(n, SD.name) for n in graph.objects(dataset, SD.namedGraph)}
    assert URIRef(_graph_of_products(server)) in names


@pytest.mark.parametrize(("accept", "rdflib_format"), [
    ("text/turtle", "turtle"), ("application/rdf+xml", "xml"),
    ("application/ld+json", "json-ld"), ("application/n-triples", "nt"),
])
def test_the_service_description_in_every_rdf_format(server, accept, rdflib_format):
    graph, service = _service_description(server, accept, rdflib_format)
    assert graph.value(service, SD.endpoint) == URIRef(endpoint(server))


# --- the page for people -----------------------------------------------------------------

def test_browsers_get_the_query_page(server):
    response = get(server, accept=BROWSER)
    assert response.status_code == 200
    assert media_type(response) == "text/html"
    page = response.text
    assert "<textarea" in page
    assert f"PREFIX lg: &lt;{LG}&gt;" in page
    for example in EXAMPLE_QUERIES:
        assert example.title in page


def _cells(page: str) -> list[list[str]]:
    """The text of each result table cell, row by row (markup removed)."""
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td>(.*?)</td>", row)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def test_the_page_renders_results_as_a_linked_table(server):
    query = ALTERNATIVES.replace("SELECT ?name", "SELECT ?alternative ?name")
    response = requests.post(endpoint(server), data={"query": query},
                             headers={"Accept": BROWSER}, timeout=30)
    assert response.status_code == 200
    assert media_type(response) == "text/html"
    assert _cells(response.text) == [
        ["product:cavitation", "Cavitation @en", "0 ^^xsd:integer"],
        ["product:cryolipolysis", "Cryolipolysis @en", "0 ^^xsd:integer"],
    ]
    assert "2 rows" in response.text
    assert f'href="{server.url}product/cavitation.html"' in response.text


def test_the_page_renders_graphs_and_booleans(server):
    graph_page = requests.post(endpoint(server), data={"query": CAVITATION},
                               headers={"Accept": BROWSER}, timeout=30)
    assert graph_page.status_code == 200
    assert ["product:cavitation", "lg:riskLevel", "risk:0"] in _cells(graph_page.text)
    assert graph_page.headers["X-Lactgraph-Truncated"] == "false"
    ask = PREFIXES + "ASK { <product/cavitation> lg:riskLevel/skos:notation 3 }"
    boolean_page = requests.post(endpoint(server), data={"query": ask, "format": "html"},
                                 timeout=30)
    assert boolean_page.status_code == 200
    assert "no (false)" in boolean_page.text


def test_every_example_link_on_the_page_answers(server):
    page = get(server, accept=BROWSER).text
    links = re.findall(r'href="/(sparql\?query=[^"]+)"', page)
    assert len(links) == len(EXAMPLE_QUERIES)
    for link in links:
        answer = requests.get(server.url + html.unescape(link),
                              headers={"Accept": BROWSER}, timeout=30)
        assert answer.status_code == 200
        assert "<table>" in answer.text and "sparql-error" not in answer.text


def test_the_page_escapes_every_literal(server):
    query = 'SELECT ?x WHERE { VALUES ?x { "<script>alert(1)</script>" "a & b" } }'
    page = requests.post(endpoint(server), data={"query": query, "format": "html"},
                         timeout=30).text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "a &amp; b" in page


def test_the_page_shows_a_syntax_error(server):
    response = requests.post(endpoint(server), data={"query": "SELECT * {"},
                             headers={"Accept": BROWSER}, timeout=30)
    assert response.status_code == 400
    assert media_type(response) == "text/html"
    assert "malformed" in response.text and "1:" in response.text


# --- CORS --------------------------------------------------------------------------------

def test_cors_on_answers_and_errors(server):
    for response in (get(server, ALTERNATIVES), get(server, "SELECT {"),
                     get(server, PRODUCT_NAMES, accept="image/png")):
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert "Access-Control-Allow-Credentials" not in response.headers
        exposed = {h.strip() for h in response.headers["Access-Control-Expose-Headers"].split(",")}
        assert {"Link", "ETag", "Location", "X-Lactgraph-Row-Cap", "X-Lactgraph-Truncated",
                "Retry-After"} <= exposed


def test_cors_preflight(server):
    response = requests.options(endpoint(server), timeout=10, headers={
        "Origin": "https://example.org",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "Content-Type, Accept",
    })
    assert response.status_code in (200, 204)
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    methods = {m.strip() for m in response.headers["Access-Control-Allow-Methods"].split(",")}
    assert {"GET", "POST"} <= methods
    allowed = response.headers["Access-Control-Allow-Headers"].lower()
    assert "content-type" in allowed and "accept" in allowed
    assert "Access-Control-Allow-Credentials" not in response.headers
