"""VoID at /.well-known/void: the dataset's figures, vocabularies, licence and endpoint."""

from __future__ import annotations

import json
from pathlib import Path

import requests
from rdflib import RDF, Graph, Literal, Namespace, URIRef

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
    return graph, graph.value(predicate=RDF.type, object=VOID.Dataset)


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
    assert graph.value(dataset, VOID.triples).toPython() >= len(data)


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
