"""The query log: one JSON line per public SPARQL query, normalised and hashed."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import sys

import pytest
import requests

from lactgraph.errors import LactgraphError
from lactgraph.querylog import MAX_LOGGED_CHARS, QueryLog, entry, normalise

from ..conftest import ROOT, free_port
from .routes import FIXTURE_GRAPH

LG = "https://w3id.org/lactgraph/ontology#"
PRODUCTS = f"SELECT ?p WHERE {{ ?p a <{LG}Product> }}"


@pytest.mark.parametrize(("query", "normal"), [
    ("SELECT  *\n\tWHERE { ?s ?p ?o }  ", "SELECT * WHERE { ?s ?p ?o }"),
    ("# why\nASK { ?s ?p ?o } # trailing\n", "ASK { ?s ?p ?o }"),
    ("ASK{?s ?p ?o}#no space before", "ASK{?s ?p ?o}"),
    ('ASK { ?s ?p "a  # not a comment" }', 'ASK { ?s ?p "a  # not a comment" }'),
    ('ASK { ?s ?p """two\n\nlines""" }', 'ASK { ?s ?p """two\n\nlines""" }'),
    ("ASK { <http://example.org/a#b> ?p ?o }", "ASK { <http://example.org/a#b> ?p ?o }"),
])
def test_normalise_drops_comments_and_white_space_but_not_data(query, normal):
    assert normalise(query) == normal


def test_the_same_query_typed_differently_has_one_hash():
    typed = [PRODUCTS, f"SELECT ?p\nWHERE {{\n  ?p a <{LG}Product>  # all of them\n}}"]
    hashes = {entry(query, 0.1, 1, 200, "ok", "c").sha256 for query in typed}
    assert hashes == {hashlib.sha256(PRODUCTS.encode()).hexdigest()}


def test_a_long_query_is_cut_in_the_log_but_hashed_whole():
    query = "ASK { " + "?s ?p ?o . " * MAX_LOGGED_CHARS + "}"
    logged = entry(query, 0.0, 0, 200, "ok", "c")
    assert logged.cut and len(logged.query) == MAX_LOGGED_CHARS
    assert logged.sha256 == hashlib.sha256(normalise(query).encode()).hexdigest()


def test_without_a_file_entries_go_to_the_logger(caplog):
    with caplog.at_level(logging.INFO, logger="lactgraph.queries"):
        QueryLog().write(entry("ASK {}", 0.5, 1, 200, "ok", "192.0.2.1"))
    [record] = caplog.records
    assert record.name == "lactgraph.queries"
    assert json.loads(record.getMessage())["client"] == "192.0.2.1"


def test_an_unwritable_log_is_one_clear_error(tmp_path):
    with pytest.raises(LactgraphError, match="cannot open the query log"):
        QueryLog(tmp_path / "missing" / "queries.jsonl")


def test_serve_refuses_an_unwritable_log_in_one_line(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "lactgraph", "serve", "--port", str(free_port()),
         "--graph", str(FIXTURE_GRAPH), "--query-log", str(tmp_path / "no" / "q.jsonl")],
        cwd=ROOT, env={**os.environ, "LACTGRAPH_CACHE_DIR": str(tmp_path / "cache")},
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"lactgraph: error: {tmp_path / 'no' / 'q.jsonl'}: cannot open the query log "
        "(No such file or directory)"]


@pytest.fixture(scope="module")
def logged(start_server, tmp_path_factory):
    path = tmp_path_factory.mktemp("query-log") / "queries.jsonl"
    return start_server("--graph", str(FIXTURE_GRAPH), "--query-log", str(path)), path


def _lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_each_query_is_a_line_with_its_outcome(logged):
    server, path = logged
    before = len(_lines(path)) if path.exists() else 0
    asked = [
        (PRODUCTS + "  # every product", 200, "ok"),
        ("SELECT WHERE {", 400, "bad_query"),
        ("SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }", 400, "bad_query"),
    ]
    for query, status, _ in asked:
        response = requests.get(server.url + "sparql", params={"query": query}, timeout=30,
                                headers={"Accept": "application/sparql-results+json"})
        assert response.status_code == status
    refused = requests.get(server.url + "sparql", params={"query": PRODUCTS}, timeout=30,
                           headers={"Accept": "image/png"})
    assert refused.status_code == 406
    lines = _lines(path)[before:]
    assert [(line["status"], line["outcome"]) for line in lines] == [
        (200, "ok"), (400, "bad_query"), (400, "bad_query"), (406, "not_acceptable")]
    first = lines[0]
    assert first["query"] == PRODUCTS
    assert first["sha256"] == hashlib.sha256(PRODUCTS.encode()).hexdigest()
    assert first["rows"] == 6  # the fixture graph's products
    assert first["client"] == "127.0.0.1"
    assert 0 < first["duration"] < 10
    assert first["time"].endswith("Z")
    assert lines[1]["rows"] == 0
