"""No data leaves: no query, page, header or input file makes the server or the CLI connect.

A listener on loopback counts every connection it gets; the graph served, the queries
sent and the files given to the CLI all point at it (SERVICE, LOAD, FROM, dataset
parameters, a JSON-LD remote context, an XML external entity, links in the data that a
careless page might fetch, a Host header naming it). At the end the listener has seen
nothing. `test_sparql_limits.py` shows the listener would see pyoxigraph's own SERVICE
request, so silence here means the server held back.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
import requests

from ..conftest import ROOT, free_port
from .routes import FIXTURE_GRAPH, send
from .test_sparql_limits import Listener

BASE = "https://w3id.org/lactgraph/"


@pytest.fixture(scope="module")
def listener():
    listening = Listener()
    yield listening
    listening.close()


@pytest.fixture(scope="module")
def remote(listener) -> str:
    return f"http://127.0.0.1:{listener.port}/"


@pytest.fixture(scope="module")
def linked(start_server, tmp_path_factory, remote):
    """The fixture graph plus a product whose links all lead to the listener."""
    folder = tmp_path_factory.mktemp("egress-graph")
    shutil.copy(FIXTURE_GRAPH / "lactgraph.ttl", folder / "lactgraph.ttl")
    (folder / "linked.ttl").write_text(f"""
@prefix lg: <https://w3id.org/lactgraph/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<{BASE}product/linked> a lg:Product ; skos:prefLabel "Linked"@en ;
    lg:riskLevel <{BASE}risk/1> ;
    foaf:page <{remote}page> ; owl:sameAs <{remote}same> ; rdfs:seeAlso <{remote}see> ;
    foaf:depiction <{remote}image.png> ; foaf:logo <{remote}logo.svg> .
""", encoding="utf-8")
    return start_server("--graph", str(folder))


def quiet(listener: Listener) -> None:
    time.sleep(0.3)  # a connection would have been made by now
    assert listener.connections == 0


def sparql_gets(server, **params: str) -> requests.Response:
    return requests.get(server.url + "sparql", params=params, timeout=30)


QUERIES = [
    "SELECT * WHERE {{ SERVICE <{remote}sparql> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ VALUES ?e {{ <{remote}> }} SERVICE ?e {{ ?s ?p ?o }} }}",
    "LOAD <{remote}data.ttl>",
    "LOAD SILENT <{remote}data.ttl> INTO GRAPH <{remote}g>",
    "SELECT * FROM <{remote}data.ttl> WHERE {{ ?s ?p ?o }}",
    "SELECT * FROM NAMED <{remote}data.ttl> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
    "DESCRIBE <{remote}thing>",
    "BASE <{remote}> SELECT * WHERE {{ <x> ?p ?o }}",
    "CONSTRUCT {{ <{remote}s> <{remote}p> ?o }} WHERE {{ ?s ?p ?o }} LIMIT 3",
]


@pytest.mark.parametrize("template", QUERIES)
@pytest.mark.parametrize("accept", ["application/ld+json", "text/html", "*/*"])
def test_no_query_connects(linked, listener, remote, template, accept):
    query = template.format(remote=remote)
    response = requests.get(linked.url + "sparql", params={"query": query}, timeout=30,
                            headers={"Accept": accept})
    assert response.status_code < 500
    quiet(listener)


def test_no_dataset_parameter_connects(linked, listener, remote):
    for name in ("default-graph-uri", "named-graph-uri"):
        response = sparql_gets(linked, query="ASK { ?s ?p ?o }", **{name: remote + "g.ttl"})
        assert response.status_code == 200
    quiet(listener)


def test_no_path_can_write_a_service_clause_into_the_stores_queries(linked, listener):
    """An entity path ends up in SPARQL between < and >: one that closes the IRI is refused
    (the IRI escapes \\u002F and \\u002E keep '/' and '.' out of the path itself)."""
    target = (f"http:\\u002F\\u002F127\\u002E0\\u002E0\\u002E1:{listener.port}\\u002F")
    key = f"x> ?p ?o }} UNION {{ SERVICE <{target}> {{ ?s ?p ?o }} }} }} #"
    for suffix in ("", ".ttl", ".html"):
        status, _, content = send(linked.port, "GET", f"/product/{quote(key, safe='')}{suffix}",
                                  {}, b"")
        assert status == 400, content
    quiet(listener)


@pytest.mark.parametrize("document", ["product/linked", "product/linked.html",
                                      "product/linked.ttl", "product/linked.jsonld",
                                      "product/linked.rdf", "search?q=linked", ""])
def test_pages_about_remote_links_do_not_follow_them(linked, listener, remote, document):
    for accept in ("text/html", "application/ld+json", "*/*"):
        response = requests.get(linked.url + document, timeout=30, allow_redirects=True,
                                headers={"Accept": accept})
        assert response.status_code == 200
    quiet(listener)


def test_a_host_header_naming_the_listener_is_not_fetched(linked, listener, remote):
    host = remote.removeprefix("http://").rstrip("/")
    for path in ("/product/linked", "/product/linked.jsonld", "/sparql", "/.well-known/void"):
        status, headers, _ = send(linked.port, "GET", path, {"Host": host}, b"")
        assert status in (200, 303)
        if status == 303:  # the redirect names the listener: the client, not us, follows it
            assert headers["Location"].startswith(remote)
    quiet(listener)


# --- the CLI ------------------------------------------------------------------------------

def run_cli(*args: str, cache: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, **({"LACTGRAPH_CACHE_DIR": str(cache)} if cache else {})}
    return subprocess.run([sys.executable, "-m", "lactgraph", *args], cwd=ROOT, text=True,
                          capture_output=True, timeout=120, env=env)


def test_validate_never_fetches_a_remote_context(tmp_path, listener, remote):
    document = tmp_path / "remote-context.jsonld"
    document.write_text(f'{{"@context": "{remote}context.jsonld", "@id": "{BASE}product/x",'
                        '"name": "X"}', encoding="utf-8")
    result = run_cli("validate", str(document))
    assert result.returncode == 1
    assert str(document) in result.stderr
    quiet(listener)


@pytest.mark.parametrize("padding", [0, 70_000])
def test_validate_never_expands_an_external_entity(tmp_path, listener, remote, padding):
    """A DOCTYPE is refused where it stands, even after a long comment."""
    document = tmp_path / "entity.rdf"
    comment = f"<!-- {'x' * padding} -->\n" if padding else ""
    document.write_text(f"""<?xml version="1.0"?>
{comment}<!DOCTYPE rdf:RDF [ <!ENTITY remote SYSTEM "{remote}entity.txt"> ]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#">
  <rdf:Description rdf:about="{BASE}product/x"><rdfs:label>&remote;</rdfs:label></rdf:Description>
</rdf:RDF>
""", encoding="utf-8")
    result = run_cli("validate", str(document))
    assert result.returncode == 1
    assert str(document) in result.stderr
    quiet(listener)


def test_serve_never_fetches_a_remote_context_in_the_graph(tmp_path, listener, remote):
    graph = tmp_path / "graph"
    graph.mkdir()
    (graph / "remote.jsonld").write_text(f'{{"@context": "{remote}context.jsonld", '
                                         f'"@id": "{BASE}product/x", "name": "X"}}',
                                         encoding="utf-8")
    result = run_cli("serve", "--port", str(free_port()), "--graph", str(graph),
                     cache=tmp_path / "cache")
    assert result.returncode == 1
    assert "remote.jsonld" in result.stderr
    quiet(listener)
