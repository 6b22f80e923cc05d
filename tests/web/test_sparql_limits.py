"""/sparql stays safe: no outbound request, a deadline, a row cap that is always announced.

A listener socket on loopback proves that a SERVICE query never reaches the network; a
server started with `--query-timeout 1 --row-cap 5` over a generated graph proves the
deadline (503 + Retry-After while other queries are answered) and the cap.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests
from rdflib import Graph

from lactgraph.store.querypool import refusal

ITEMS = 200
P = "http://example.org/p"
CAP = 5
SRX = "{http://www.w3.org/2005/sparql-results#}"
# Three unconstrained patterns over a union of thousands of triples: billions of rows.
EXPENSIVE = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?b . ?c ?q ?d . ?e ?r ?f }"
SIMPLE = f"SELECT ?o WHERE {{ <http://example.org/item/7> <{P}> ?o }}"
ITEMS_QUERY = f"SELECT ?s ?o WHERE {{ ?s <{P}> ?o }} ORDER BY ?o"


# --- SERVICE: refused before anything runs -----------------------------------------------

class Listener:
    """A TCP listener on loopback that counts the connections it gets."""

    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(16)
        self.port = self.socket.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            self.connections += 1
            connection.close()

    def close(self) -> None:
        self.socket.close()


@pytest.fixture
def listener():
    listening = Listener()
    yield listening
    listening.close()


SERVICE_QUERIES = [
    "SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ SeRvIcE SILENT <{url}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ ?x ?y ?z OPTIONAL {{ service <{url}> {{ ?s ?p ?o }} }} }}",
    "SELECT * WHERE {{ ?x ?y true SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ ?x ?y trueSERVICE <{url}> {{ ?s ?p ?o }} }}",  # pyoxigraph: true SERVICE
    "SELECT * WHERE {{ ?x ?y 1SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ ?x ?y ?z FILTER(?z<?y)SERVICE<{url}>{{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ VALUES ?e {{ <{url}> }} SERVICE ?e {{ ?s ?p ?o }} }}",
    "ASK {{ FILTER EXISTS {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }}",
    "CONSTRUCT {{ ?s ?p ?o }} WHERE {{ # a comment\n SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ \\u0053ERVICE <{url}> {{ ?s ?p ?o }} }}",
]


def test_pyoxigraph_itself_would_connect(listener):
    """The listener sees pyoxigraph's SERVICE request: the endpoint test below can fail."""
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("http://example.org/s"), ox.NamedNode(P),
                      ox.Literal("o")))
    query = SERVICE_QUERIES[0].format(url=f"http://127.0.0.1:{listener.port}/sparql")
    with pytest.raises(OSError):
        list(store.query(query))
    assert listener.connections >= 1


@pytest.mark.parametrize("template", SERVICE_QUERIES)
def test_service_is_refused_and_nothing_is_sent(server, listener, template):
    query = template.format(url=f"http://127.0.0.1:{listener.port}/sparql")
    response = requests.get(server.url + "sparql", params={"query": query}, timeout=30)
    assert response.status_code == 400, response.text
    assert response.headers["Content-Type"].startswith("text/plain")
    time.sleep(0.2)
    assert listener.connections == 0


@pytest.mark.parametrize("query", [
    "PREFIX sd: <http://www.w3.org/ns/sparql-service-description#> "
    "SELECT ?service WHERE { ?service a sd:Service }",
    "SELECT * WHERE { ?s ?p 'SERVICE <http://127.0.0.1:9/>' } # SERVICE <http://127.0.0.1:9/>",
    'SELECT * WHERE { ?s ?p """a ""SERVICE"" b""" }',
    "SELECT * WHERE { <http://example.org/service> ?p ?o }",
    "PREFIX service: <http://example.org/> SELECT $SERVICE WHERE { ?s service:service $SERVICE }",
    "SELECT * WHERE { _:service ?p ?o }",
])
def test_the_word_service_elsewhere_is_fine(server, query):
    assert refusal(query) is None
    response = requests.get(server.url + "sparql", params={"query": query}, timeout=30)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(("query", "reason"), [
    ("CLEAR ALL", "read-only"),
    ("PREFIX a: <http://a/> BASE <http://b/> INSERT DATA { <s> <p> <o> }", "read-only"),
    ("load <http://example.org/data.ttl>", "read-only"),
    ("WITH <http://g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", "read-only"),
    ("SELECT * { sErViCe <http://example.org/> {} }", "SERVICE"),
])
def test_refusal_names_the_reason(query, reason):
    assert reason in refusal(query)


# --- the deadline and the cap ------------------------------------------------------------

def _items_graph(folder: Path) -> Path:
    """ITEMS items with one value each: a cross product of them runs for minutes."""
    (folder / "items.nt").write_text("".join(
        f'<http://example.org/item/{i}> <{P}> "{i:04d}" .\n' for i in range(ITEMS)))
    return folder


@pytest.fixture(scope="module")
def limited(start_server, tmp_path_factory: pytest.TempPathFactory):
    """A server with a 1 s deadline and a cap of 5 rows, over a generated graph of items
    (no per-client budget: `test_ratelimit.py` tests it, and these tests' time-outs would
    spend it)."""
    folder = _items_graph(tmp_path_factory.mktemp("items-graph"))
    return start_server("--graph", str(folder), "--query-timeout", "1",
                        "--row-cap", str(CAP), "--query-workers", "2", "--sparql-budget", "0")


def _ask(server, query: str, accept: str = "application/sparql-results+json", **params: str):
    return requests.get(server.url + "sparql", params={"query": query, **params},
                        headers={"Accept": accept}, timeout=60)


def _timed(server, query: str) -> tuple[requests.Response, float, float]:
    started = time.monotonic()
    response = _ask(server, query)
    return response, started, time.monotonic()


def test_a_query_past_the_deadline_gets_503_while_others_are_answered(limited):
    assert _ask(limited, SIMPLE).status_code == 200  # the workers are up
    with ThreadPoolExecutor(max_workers=2) as pool:
        expensive = pool.submit(_timed, limited, EXPENSIVE)
        time.sleep(0.3)
        simple, simple_start, simple_end = _timed(limited, SIMPLE)
        slow, slow_start, slow_end = expensive.result()
    assert simple.status_code == 200
    assert simple.json()["results"]["bindings"][0]["o"]["value"] == "0007"
    assert simple_end < slow_end  # answered while the expensive query was still running
    assert simple_end - simple_start < 1.0
    assert slow.status_code == 503, slow.text
    assert int(slow.headers["Retry-After"]) >= 1
    assert "1 s" in slow.text
    assert 0.9 <= slow_end - slow_start < 6.0


@pytest.fixture(scope="module")
def patient(start_server, tmp_path_factory: pytest.TempPathFactory):
    """Two query workers (so one fast lane) and a 6 s deadline, over items; no per-client
    budget: the module's time-outs, about 70 s of query time in a minute from one client,
    spent it, and a test got 429 where it waited for its 503."""
    folder = _items_graph(tmp_path_factory.mktemp("patient-graph"))
    return start_server("--graph", str(folder), "--query-timeout", "6",
                        "--query-workers", "2", "--sparql-budget", "0")


def test_cheap_queries_are_answered_while_expensive_ones_hold_the_other_workers(patient):
    """Without the fast lane, two expensive queries would hold both workers for 6 s and
    every cheap query would wait for them (then get 503)."""
    assert _ask(patient, SIMPLE).status_code == 200  # the workers are up
    with ThreadPoolExecutor(max_workers=2) as pool:
        expensive = [pool.submit(_timed, patient, EXPENSIVE) for _ in range(2)]
        time.sleep(1.5)  # both have left the fast lane: one runs, one waits for a worker
        answers = [_timed(patient, SIMPLE) for _ in range(5)]
        assert not any(future.done() for future in expensive)
        for future in expensive:
            future.cancel()
    for response, started, ended in answers:
        assert response.status_code == 200, response.text
        assert response.json()["results"]["bindings"][0]["o"]["value"] == "0007"
        assert ended - started < 2.0  # a worker restart at most, never the 6 s
    for future in expensive:  # stopped at the deadline, as announced
        assert future.result()[0].status_code == 503


def test_a_cheap_query_waits_for_the_fast_lane_rather_than_behind_expensive_ones(patient):
    """Two new expensive queries in a row hold the fast lane for longer than its limit
    while known ones hold the other worker: a cheap query queued behind them waits for the
    fast lane and is answered, where going to the other worker once the fast lane had been
    busy for its limit cost it the whole deadline (503), as under load (bench/LOAD.md)."""
    known = f"{EXPENSIVE} # known"
    assert _ask(patient, SIMPLE).status_code == 200  # the workers are up
    assert _ask(patient, known).status_code == 503  # now known to be slow
    with ThreadPoolExecutor(max_workers=6) as pool:
        held = [pool.submit(_ask, patient, known) for _ in range(2)]  # the other worker
        time.sleep(0.3)
        new = [pool.submit(_ask, patient, f"{EXPENSIVE} # new 1")]  # the fast lane, 0.5 s
        time.sleep(0.3)
        new.append(pool.submit(_ask, patient, f"{EXPENSIVE} # new 2"))  # next in line
        time.sleep(0.1)
        response, started, ended = _timed(patient, SIMPLE)  # behind both
        assert not any(future.done() for future in held)
    assert response.status_code == 200, response.text
    assert response.json()["results"]["bindings"][0]["o"]["value"] == "0007"
    assert ended - started < 5.0
    assert all(future.result().status_code == 503 for future in held + new)


def test_a_query_waits_for_workers_one_time_out_in_all(patient):
    """A new expensive query queued behind others for the fast lane, then sent on to a
    worker held by known-slow queries, gets its 503 one time-out (6 s) after it arrived,
    not a time-out after it left the fast lane (about 9 s here)."""
    known = f"{EXPENSIVE} # known, bound"
    assert _ask(patient, known).status_code == 503  # now known to be slow
    with ThreadPoolExecutor(max_workers=6) as pool:
        held = [pool.submit(_ask, patient, known) for _ in range(2)]  # the other worker
        time.sleep(0.3)
        ahead = []
        for n in range(3):  # each holds the fast lane for 0.5 s and a restart
            ahead.append(pool.submit(_ask, patient, f"{EXPENSIVE} # ahead {n}"))
            time.sleep(0.1)
        response, started, ended = _timed(patient, f"{EXPENSIVE} # behind them")
        others = [future.result() for future in held + ahead]
    assert response.status_code == 503, response.text
    assert 5.5 < ended - started < 7.3
    assert all(other.status_code == 503 for other in others)


def test_the_pool_keeps_working_after_a_timeout(limited):
    for _ in range(2):  # each time a worker is killed and replaced
        assert _ask(limited, EXPENSIVE).status_code == 503
        answered = _ask(limited, SIMPLE)
        assert answered.status_code == 200
        assert answered.json()["results"]["bindings"][0]["o"]["value"] == "0007"
    assert len(_workers(limited.process.pid)) == 2


def _truncation_headers(response: requests.Response, truncated: bool) -> None:
    assert response.status_code == 200, response.text
    assert response.headers["X-Lactgraph-Row-Cap"] == str(CAP)
    assert response.headers["X-Lactgraph-Truncated"] == ("true" if truncated else "false")


def test_a_cut_json_answer_says_so(limited):
    response = _ask(limited, ITEMS_QUERY)
    _truncation_headers(response, truncated=True)
    results = response.json()
    assert [b["o"]["value"] for b in results["results"]["bindings"]] == [
        f"{i:04d}" for i in range(CAP)]
    assert results["head"]["link"] == [limited.url + "sparql#row-cap"]


def test_a_cut_xml_answer_links_the_note(limited):
    response = _ask(limited, ITEMS_QUERY, accept="application/sparql-results+xml")
    _truncation_headers(response, truncated=True)
    root = ET.fromstring(response.content)
    assert len(root.findall(f"{SRX}results/{SRX}result")) == CAP
    assert root.find(f"{SRX}head/{SRX}link").get("href") == limited.url + "sparql#row-cap"


@pytest.mark.parametrize("accept", ["text/csv", "text/tab-separated-values"])
def test_a_cut_csv_or_tsv_answer_is_announced_in_the_headers(limited, accept):
    response = _ask(limited, ITEMS_QUERY, accept=accept)
    _truncation_headers(response, truncated=True)
    assert len(response.text.strip().splitlines()) == CAP + 1  # a header line, then rows


@pytest.mark.parametrize(("accept", "rdflib_format", "commented"), [
    ("text/turtle", "turtle", True), ("application/n-triples", "nt", True),
    ("application/rdf+xml", "xml", False), ("application/ld+json", "json-ld", False),
])
def test_a_cut_graph_answer_says_so(limited, accept, rdflib_format, commented):
    query = f"CONSTRUCT WHERE {{ ?s <{P}> ?o }}"
    response = _ask(limited, query, accept=accept)
    _truncation_headers(response, truncated=True)
    assert len(Graph().parse(data=response.content, format=rdflib_format)) == CAP
    assert response.text.startswith("# Truncated") is commented


def test_answers_within_the_cap_are_not_marked(limited):
    exactly = _ask(limited, ITEMS_QUERY + f" LIMIT {CAP}")
    _truncation_headers(exactly, truncated=False)
    assert len(exactly.json()["results"]["bindings"]) == CAP
    assert "link" not in exactly.json()["head"]
    fewer = _ask(limited, ITEMS_QUERY + " LIMIT 3", accept="text/csv")
    _truncation_headers(fewer, truncated=False)
    assert _ask(limited, "ASK { ?s ?p ?o }").json()["boolean"] is True


def test_the_page_says_the_answer_was_cut(limited):
    response = _ask(limited, ITEMS_QUERY, accept="text/html")
    assert response.status_code == 200
    assert f"cut at the row cap of {CAP}" in response.text
    assert 'id="row-cap"' in response.text


def test_the_default_cap_is_announced(server):
    response = _ask(server, "SELECT * WHERE { ?s ?p ?o } LIMIT 1")
    assert response.headers["X-Lactgraph-Row-Cap"] == "10000"
    assert response.headers["X-Lactgraph-Truncated"] == "false"


# --- worker processes end with the server ------------------------------------------------

def _workers(server_pid: int) -> set[int]:
    """The live SPARQL worker processes of a server (Linux /proc)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            command = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        state, parent = fields[0], int(fields[1])
        if parent == server_pid and state != "Z" and b"spawn_main" in command:
            found.add(int(stat.parent.name))
    return found


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.add(pid)
    return alive


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_a_worker_that_died_idle_is_replaced(limited):
    assert _ask(limited, SIMPLE).status_code == 200
    workers = _workers(limited.process.pid)
    for pid in workers:
        os.kill(pid, signal.SIGKILL)
    _wait_until_gone(workers)
    for _ in range(3):
        answered = _ask(limited, SIMPLE)
        assert answered.status_code == 200
        assert answered.json()["results"]["bindings"][0]["o"]["value"] == "0007"


def _wait_until_gone(pids: set[int], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while _alive(pids) and time.monotonic() < deadline:
        time.sleep(0.05)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_workers_end_with_the_server(start_server):
    server = start_server("--query-workers", "2")
    assert _ask(server, SIMPLE).status_code == 200
    workers = _workers(server.process.pid)
    assert len(workers) == 2
    server.stop()
    _wait_until_gone(workers)
    assert not _alive(workers)

