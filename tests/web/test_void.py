"""VoID at /.well-known/void: the dataset's figures, vocabularies, licence and endpoint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
from rdflib import RDF, XSD, Graph, Literal, Namespace, URIRef
from SPARQLWrapper import JSON, SPARQLWrapper

pytestmark = pytest.mark.both_stores  # the embedded store and Virtuoso

ROOT = Path(__file__).resolve().parent.parent.parent
VOID = Namespace("http://rdfs.org/ns/void#")
DCTERMS = Namespace("http://purl.org/dc/terms/")


def void(server) -> tuple[Graph, URIRef]:
    response = requests.get(server.url + ".well-known/void",
                            headers={"Accept": "text/turtle"}, timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/turtle")
    assert "Accept" in response.headers["Vary"]
    graph = Graph().parse(data=response.text, format="turtle")
    dataset = URIRef(server.url + "dataset")
    assert (dataset, RDF.type, VOID.Dataset) in graph
    return graph, dataset


def published_graph() -> Graph:
    graph = Graph()
    for path in (ROOT / "graph").glob("*.ttl"):
        graph.parse(path)
    return graph


def test_void_describes_the_dataset(server):
    graph, dataset = void(server)
    assert dataset == URIRef(server.url + "dataset")
    assert graph.value(dataset, DCTERMS.license) == URIRef(
        "https://creativecommons.org/licenses/by-nc-sa/4.0/")
    assert graph.value(dataset, DCTERMS.source) == URIRef("https://www.e-lactancia.org/")
    assert graph.value(dataset, DCTERMS.publisher) is not None
    assert graph.value(dataset, DCTERMS.title) and graph.value(dataset, DCTERMS.description)
    assert graph.value(dataset, VOID.sparqlEndpoint) == URIRef(server.url + "sparql")
    assert graph.value(dataset, VOID.uriSpace) == Literal(server.url)
    vocabularies = set(graph.objects(dataset, VOID.vocabulary))
    for namespace in ("http://www.w3.org/2004/02/skos/core#", "http://purl.org/dc/terms/",
                      "https://schema.org/", "http://purl.org/spar/cito/",
                      server.url + "ontology"):
        assert URIRef(namespace) in vocabularies


def test_void_figures_match_the_published_graph(server):
    graph, dataset = void(server)
    data = published_graph()
    lg = "https://w3id.org/lactgraph/ontology#"
    products = set(data.subjects(RDF.type, URIRef(lg + "Product")))
    partitions = {graph.value(p, VOID["class"]): graph.value(p, VOID.entities).toPython()
                  for p in graph.objects(dataset, VOID.classPartition)}
    assert partitions[URIRef(server.url + "ontology#Product")] == len(products)
    assert graph.value(dataset, VOID.entities).toPython() >= sum(
        n for c, n in partitions.items() if str(c).startswith(server.url + "ontology#")
        and not c.endswith("RiskLevel"))
    # the dataset's triples are its dumps' (the entries and the links), not the ontology's,
    # the shapes' or the build's figures about the dataset
    dumped = Graph()
    for name in ("lactgraph.ttl", "links.ttl"):
        dumped.parse(ROOT / "graph" / name)
    manifest = [json.loads(line) for line in (ROOT / "graph" / "dumps" / "manifest.jsonl"
                                              ).read_text("utf-8").splitlines()]
    assert graph.value(dataset, VOID.triples).toPython() == len(dumped) == manifest[0][
        "triples"]


def test_void_example_resource_dereferences(server):
    graph, dataset = void(server)
    examples = list(graph.objects(dataset, VOID.exampleResource))
    assert URIRef(server.url + "product/mesotherapy") in examples
    response = requests.get(examples[0], headers={"Accept": "text/turtle"},
                            allow_redirects=False, timeout=10)
    assert response.status_code == 303


def test_void_in_json_ld_and_linked_from_home(server):
    response = requests.get(server.url + ".well-known/void",
                            headers={"Accept": "application/ld+json"}, timeout=10)
    assert response.headers["Content-Type"].startswith("application/ld+json")
    document = response.json()
    document["@context"] = requests.get(document["@context"], timeout=10).json()["@context"]
    graph = Graph().parse(data=json.dumps(document), format="json-ld")
    assert (URIRef(server.url + "dataset"), RDF.type, VOID.Dataset) in graph
    home = requests.get(server.url, timeout=10).text
    assert f'href="{server.url}.well-known/void"' in home
    dataset = requests.get(server.url + "dataset", allow_redirects=False, timeout=10)
    assert dataset.status_code == 303
    assert dataset.headers["Location"] == server.url + ".well-known/void"


LG = Namespace("https://w3id.org/lactgraph/ontology#")
# The answers the statistics give, and the scans they spare (both over the endpoint).
PER_LEVEL = """PREFIX lg: <https://w3id.org/lactgraph/ontology#>
PREFIX void: <http://rdfs.org/ns/void#>
SELECT ?level ?products WHERE { ?subset lg:subsetRiskLevel ?level ; void:entities ?products }"""
PER_LEVEL_SCANNED = """PREFIX lg: <https://w3id.org/lactgraph/ontology#>
SELECT ?level (COUNT(?product) AS ?products) WHERE { ?product a lg:Product ;
  lg:riskLevel ?level } GROUP BY ?level"""
LATEST = """PREFIX lg: <https://w3id.org/lactgraph/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?product ?date WHERE { ?dataset lg:recentlyUpdatedProduct ?product .
  ?product dcterms:modified ?date } ORDER BY DESC(?date) ?product LIMIT 20"""
LATEST_SCANNED = """PREFIX lg: <https://w3id.org/lactgraph/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?product ?date WHERE { ?product a lg:Product ; dcterms:modified ?date }
ORDER BY DESC(?date) ?product LIMIT 20"""


def _rows(server, query: str) -> set[tuple[str, ...]]:
    client = SPARQLWrapper(server.url + "sparql")
    client.setQuery(query)
    client.setReturnFormat(JSON)
    bindings = client.queryAndConvert()["results"]["bindings"]
    return {tuple(row[name]["value"] for name in sorted(row)) for row in bindings}


def test_void_gives_the_products_per_level_and_the_latest_update(server):
    graph, dataset = void(server)
    data = published_graph()
    served = Namespace(server.url + "ontology#")  # IRIs mapped onto the server
    per_level = {}
    for subset in graph.objects(dataset, VOID.subset):
        level = graph.value(subset, served.subsetRiskLevel)
        if level is not None:
            per_level[str(level)] = graph.value(subset, VOID.entities).toPython()
    levels = [str(data.value(p, LG.riskLevel)) for p in data.subjects(RDF.type, LG.Product)]
    assert per_level == {f"{server.url}risk/{n}": levels.count(
        f"https://w3id.org/lactgraph/risk/{n}") for n in range(4)}
    assert per_level[f"{server.url}risk/0"] == 2 and per_level[f"{server.url}risk/2"] == 0
    assert graph.value(dataset, DCTERMS.modified) == Literal("2019-01-26", datatype=XSD.date)
    recent = next(s for s in graph.objects(dataset, VOID.subset)
                  if graph.value(s, served.recentlyUpdatedProduct) is not None)
    assert set(graph.objects(recent, served.recentlyUpdatedProduct)) == {
        URIRef(server.url + "product/mesotherapy")}


def test_the_statistics_answer_over_sparql_as_the_scans_do(server):
    per_level = _rows(server, PER_LEVEL)  # every level, where the scan has those it met
    assert {row for row in per_level if row[1] != "0"} == _rows(server, PER_LEVEL_SCANNED)
    assert per_level >= {("https://w3id.org/lactgraph/risk/1", "2"),
                         ("https://w3id.org/lactgraph/risk/3", "0")}
    assert _rows(server, LATEST) == _rows(server, LATEST_SCANNED) == {
        ("2019-01-26", "https://w3id.org/lactgraph/product/mesotherapy")}
