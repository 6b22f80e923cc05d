"""Data minted under another base IRI (an institution's own domain): its entities move,
the vocabulary (ontology, shapes, risk levels) stays at w3id.org, and the built Turtle,
the served documents and the served context all say so, with readable prefixes and keys."""

from __future__ import annotations

import gzip
import json

import pytest
import requests
from rdflib import Graph

from ..cli_helpers import run_lactgraph, scratch_project
from ..rdf_compare import same_graph
from .test_jsonld import expanded_graph

BASE = "https://data.example.org/lg/"
LG = "https://w3id.org/lactgraph/ontology#"
RISK = "https://w3id.org/lactgraph/risk/"


@pytest.fixture(scope="module")
def elsewhere(start_server, tmp_path_factory: pytest.TempPathFactory):
    """The project's sources built under BASE, and a server of that graph."""
    project = scratch_project(tmp_path_factory.mktemp("other-base"))
    built = run_lactgraph("build", "--base", BASE, cwd=project)
    assert built.returncode == 0, built.stderr
    return project, start_server("--graph", str(project / "graph"), "--base", BASE)


def _keys(value: object) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {key for item in value.values() for key in _keys(item)}
    if isinstance(value, list):
        return {key for item in value for key in _keys(item)}
    return set()


def test_the_built_turtle_binds_the_vocabulary_where_it_is(elsewhere):
    project, _ = elsewhere
    turtle = (project / "graph" / "lactgraph.ttl").read_text("utf-8")
    assert f"@prefix lg: <{LG}> ." in turtle
    assert f"@prefix risk: <{RISK}> ." in turtle
    assert f"@prefix product: <{BASE}product/> ." in turtle
    assert "lg:riskLevel" in turtle and f"<{LG}riskLevel>" not in turtle
    graph = Graph().parse(data=turtle, format="turtle")
    assert any(str(s).startswith(f"{BASE}product/") for s in graph.subjects())


def test_served_turtle_and_context_name_the_vocabulary_at_w3id(elsewhere):
    _, server = elsewhere
    turtle = requests.get(server.url + "product/mesotherapy.ttl", timeout=10).text
    assert f"@prefix lg: <{LG}> ." in turtle
    assert f"@prefix product: <{server.url}product/> ." in turtle
    served = requests.get(server.url + "context.jsonld", timeout=10).json()["@context"]
    assert served["lg"] == LG and served["risk"] == RISK
    assert served["product"] == server.url + "product/"


def test_json_ld_keeps_its_keys_and_expands_to_the_turtle(elsewhere):
    _, server = elsewhere
    document = requests.get(server.url + "product/mesotherapy.jsonld", timeout=10).json()
    keys = _keys(document)
    assert {"riskLevel", "name", "references"} <= keys
    assert not [key for key in keys if key.startswith("https://w3id.org/")]
    entity = next(node for node in document["@graph"] if node["id"] == "product:mesotherapy")
    assert entity["type"] == "Product"
    turtle = Graph().parse(data=requests.get(server.url + "product/mesotherapy.ttl",
                                             timeout=10).text, format="turtle")
    assert same_graph(expanded_graph(document, server), turtle)


def test_the_json_ld_dump_is_compacted_with_the_context_of_its_base(elsewhere):
    project, _ = elsewhere
    with gzip.open(project / "graph" / "dumps" / "lactgraph.jsonld.gz", "rt") as dump:
        document = json.load(dump)
    assert document["@context"]["product"] == f"{BASE}product/"
    ids = [node["id"] for node in document["@graph"]]
    assert "product:mesotherapy" in ids
    assert not [key for key in _keys(document) if key.startswith("https://")]
