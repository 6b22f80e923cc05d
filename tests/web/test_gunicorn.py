"""The documented production set-up: gunicorn workers sharing one read-only store."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from rdflib import Graph, URIRef

from ..conftest import ROOT, free_port

GUNICORN = Path(sys.executable).with_name("gunicorn")


@pytest.fixture(scope="module")
def gunicorn_url(tmp_path_factory):
    if not GUNICORN.exists() and not shutil.which("gunicorn"):
        pytest.skip("gunicorn is not installed (pip install '.[server]')")
    port = free_port()
    env = {**os.environ, "LACTGRAPH_PROJECT_DIR": str(ROOT),
           "LACTGRAPH_CACHE_DIR": str(tmp_path_factory.mktemp("cache"))}
    process = subprocess.Popen(
        [str(GUNICORN), "-w", "2", "-b", f"127.0.0.1:{port}", "lactgraph.web:create_app()"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "healthz", timeout=1).ok:
                break
        except requests.RequestException:  # not listening yet, or still loading
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail(f"gunicorn did not start: {process.stderr.read() if process.stderr else ''}")
    yield url
    process.terminate()
    process.wait(timeout=20)


def test_every_worker_serves_documents_and_queries(gunicorn_url):
    for _ in range(6):  # spread over both workers
        response = requests.get(gunicorn_url + "product/mesotherapy.ttl", timeout=10)
        assert response.status_code == 200
        graph = Graph().parse(data=response.text, format="turtle")
        meso = URIRef(gunicorn_url + "product/mesotherapy")
        assert (meso, URIRef(gunicorn_url + "ontology#riskLevel"),
                URIRef(gunicorn_url + "risk/1")) in graph
        answer = requests.get(gunicorn_url + "sparql", timeout=10, params={
            "query": "ASK { ?p <https://w3id.org/lactgraph/ontology#riskLevel> ?l }"},
            headers={"Accept": "application/sparql-results+json"})
        assert answer.json()["boolean"] is True


def test_a_server_that_cannot_start_says_why_in_one_line_not_a_traceback(tmp_path):
    """Every worker printed a traceback of create_app's error, then gunicorn 'Worker failed
    to boot.'; the error is now gunicorn's own AppImportError: its line alone."""
    if not GUNICORN.exists() and not shutil.which("gunicorn"):
        pytest.skip("gunicorn is not installed (pip install '.[server]')")
    endpoint = f"http://127.0.0.1:{free_port()}/sparql"
    env = {**os.environ, "LACTGRAPH_SPARQL_ENDPOINT": endpoint,
           "LACTGRAPH_CACHE_DIR": str(tmp_path)}
    result = subprocess.run(
        [str(GUNICORN), "-w", "1", "-b", f"127.0.0.1:{free_port()}", "lactgraph.web:create_app()"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert f"{endpoint}: cannot reach the SPARQL server" in result.stderr
    assert "Traceback" not in result.stderr and "App failed to load." in result.stderr
