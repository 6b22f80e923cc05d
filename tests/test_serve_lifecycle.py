"""`lactgraph serve` starts only on a whole store and stops without dropping requests.

- SIGTERM: the server stops listening, lets the requests in flight finish, exits 0; past
  the grace period it exits anyway.
- A SPARQL worker killed mid-query is replaced; its query is retried (or fails with a
  clear 5xx), and every other request succeeds.
- A missing or broken `--store` is one clear line and exit 1; a load into the cache that
  is killed leaves no half store, and the next start loads it whole.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests
from rdflib import Graph

from lactgraph.config import Settings
from lactgraph.generations import current_store
from lactgraph.store.oxigraph import load_store, open_store

from .cli_helpers import run_lactgraph, scratch_project
from .conftest import ROOT, LiveServer, free_port
from .web.test_ratelimit import SLOW, write_items
from .web.test_sparql_limits import _alive, _wait_until_gone, _workers

LINUX = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
QUICK = "ASK { ?s ?p ?o }"
ENDLESS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?b . ?c ?q ?d . ?e ?r ?f }"


def ask(server: LiveServer, query: str) -> requests.Response:
    return requests.get(server.url + "sparql", params={"query": query}, timeout=60,
                        headers={"Accept": "application/sparql-results+json"})


def in_background(server: LiveServer, query: str):
    """The query sent from another thread, once it has surely reached a worker."""
    pool = ThreadPoolExecutor(max_workers=1)
    future = pool.submit(ask, server, query)
    pool.shutdown(wait=False)
    time.sleep(0.4)
    return future


def exit_output(server: LiveServer, seconds: float) -> tuple[int, str]:
    code = server.process.wait(timeout=seconds)
    return code, Path(server.log.name).read_text(errors="replace")


@pytest.fixture(scope="module")
def slow_graph(tmp_path_factory) -> Path:
    return write_items(tmp_path_factory.mktemp("slow-graph"), 3000)  # 9 M rows to count


def test_sigterm_lets_the_request_in_flight_finish(start_server, slow_graph):
    server = start_server("--graph", str(slow_graph), "--grace", "20")
    assert ask(server, QUICK).status_code == 200  # the workers are up
    slow = in_background(server, SLOW)
    started = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    time.sleep(0.2)
    with pytest.raises(requests.ConnectionError):  # no longer listening
        requests.get(server.url + "healthz", timeout=5)
    answer = slow.result(timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.json()["results"]["bindings"][0]["n"]["value"] == str(3000 * 3000)
    code, output = exit_output(server, 20)
    assert code == 0
    assert time.monotonic() - started < 20
    assert "SIGTERM: finishing 1 request(s)" in output
    assert output.rstrip().endswith("lactgraph: stopped")


@LINUX
def test_sigterm_stops_at_the_end_of_the_grace_period(start_server, slow_graph):
    server = start_server("--graph", str(slow_graph), "--grace", "1", "--query-timeout", "60")
    assert ask(server, QUICK).status_code == 200
    workers = _workers(server.process.pid)
    endless = in_background(server, ENDLESS)
    started = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    code, output = exit_output(server, 15)
    assert code == 0, output
    assert time.monotonic() - started < 8
    assert "1 request(s) still running after 1 s" in output
    with pytest.raises(requests.RequestException):
        endless.result(timeout=10)
    _wait_until_gone(workers)
    assert not _alive(workers)  # the SPARQL workers end with the server


@LINUX
def test_a_worker_killed_mid_query_is_replaced_and_no_other_request_fails(start_server,
                                                                          slow_graph):
    # A long time-out: the slow lane runs at nice 19, and the flood of requests below can
    # starve the retried query for seconds; this test is about killing, not timing (nor
    # the per-client budget, which the slow query and the flood spent under load: 429).
    server = start_server("--graph", str(slow_graph), "--query-workers", "2",
                          "--query-timeout", "60", "--sparql-budget", "0")
    assert ask(server, QUICK).status_code == 200
    workers = _workers(server.process.pid)
    assert len(workers) == 2
    slow = in_background(server, SLOW)
    others: list[int] = []
    stop = threading.Event()

    def keep_asking() -> None:
        while not stop.is_set():
            others.append(ask(server, QUICK).status_code)
            others.append(requests.get(server.url + "product/nothing.ttl", timeout=30)
                          .status_code)

    asking = threading.Thread(target=keep_asking)
    asking.start()
    for pid in workers:  # the busy one among them
        os.kill(pid, signal.SIGKILL)
    answer = slow.result(timeout=60)
    time.sleep(0.5)
    stop.set()
    asking.join(timeout=60)
    # retried on a fresh worker, or a clear 500 if the retry failed too
    assert answer.status_code == 200 or (answer.status_code == 500
                                         and "worker stopped" in answer.text), answer.text
    assert others and set(others) == {200, 404}, others
    replaced = _workers(server.process.pid)
    assert len(replaced) == 2 and not replaced & workers
    metrics = requests.get(server.url + "metrics", timeout=10).text
    died = [line for line in metrics.splitlines()
            if line.startswith('lactgraph_sparql_worker_restarts_total{reason="died"}')]
    assert died and float(died[0].split()[-1]) >= 1, metrics  # counted as deaths


# --- starting: a whole store or one clear error -------------------------------------------

def serve_store(store: Path, cache: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lactgraph", "serve", "--port", str(free_port()),
         "--store", str(store)],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**os.environ, "LACTGRAPH_CACHE_DIR": str(cache)})


@pytest.fixture(scope="module")
def good_store(tmp_path_factory) -> Path:
    store = tmp_path_factory.mktemp("stores") / "good"
    load_store([(ROOT / "graph" / "lactgraph.ttl", "https://w3id.org/lactgraph/graph/x")], store)
    return store


def _truncate_the_largest_table(store: Path) -> None:
    largest = max(store.glob("*.sst"), key=lambda path: path.stat().st_size)
    with largest.open("r+b") as table:
        table.truncate(100)


def _empty_store(store: Path) -> None:
    load_store([], store)


BREAKAGES = {
    "missing": lambda store: None,
    "an empty folder": lambda store: store.mkdir(),
    "a file": lambda store: store.write_text("not a store"),
    "a garbled CURRENT": lambda store: (store / "CURRENT").write_text("garbage\n"),
    "a truncated table": _truncate_the_largest_table,
    "a store without data": _empty_store,
}


@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
def test_a_broken_store_is_one_clear_line(tmp_path, good_store, breakage):
    store = tmp_path / "store"
    if breakage in ("a garbled CURRENT", "a truncated table"):
        shutil.copytree(good_store, store)
    BREAKAGES[breakage](store)
    result = serve_store(store, tmp_path / "cache")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"lactgraph: error: {store}: not an Oxigraph store")
    assert lines[0].endswith("rebuild it with `lactgraph build` and serve graph/ without --store")


def test_a_good_store_opens(good_store):
    assert open_store(good_store).query("ASK { GRAPH ?g { ?s ?p ?o } }")


EXAMPLE_GRAPH = "http://example.org/graph"
ADDED = "<http://example.org/added> <http://example.org/p> \"after the load\" ."


def _add(store: ox.Store) -> None:
    store.load(ADDED.encode(), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(EXAMPLE_GRAPH))


def test_what_a_build_adds_is_compacted_with_the_load_and_read_beside_the_compaction(tmp_path):
    """A build adds its links and statistics to the loaded store, then writes its name index
    from it while it is compacted (`load_store`'s `complete` and `beside_compaction`)."""
    seen: list[int] = []

    def read(store: ox.Store) -> None:
        rows = store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
                           use_default_graph_as_union=True)
        seen.append(int(next(iter(rows))["n"].value))
        assert store.query('ASK { GRAPH ?g { ?s ?p "after the load" } }')

    load_store([(ROOT / "graph" / "lactgraph.ttl", EXAMPLE_GRAPH)], tmp_path / "store", _add,
               beside_compaction=read)
    store = open_store(tmp_path / "store")
    total = int(next(iter(store.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")))
                ["n"].value)
    assert seen == [total] == [len(Graph().parse(ROOT / "graph" / "lactgraph.ttl")) + 1]
    assert store.query('ASK { GRAPH ?g { <http://example.org/added> ?p "after the load" } }')


def test_a_failure_beside_the_compaction_leaves_no_store(tmp_path):
    def fail(store: ox.Store) -> None:
        raise ValueError("the name index could not be written")

    with pytest.raises(ValueError, match="name index"):
        load_store([(ROOT / "graph" / "lactgraph.ttl", EXAMPLE_GRAPH)], tmp_path / "store", _add,
                   beside_compaction=fail)
    assert not list(tmp_path.iterdir())  # neither the store nor the folder it was loaded in


@LINUX
def test_a_killed_load_leaves_no_half_store_and_the_next_start_loads_it(tmp_path):
    graph = tmp_path / "graph"
    graph.mkdir()
    with (graph / "big.nt").open("w") as big:  # a few seconds of loading
        for i in range(400_000):
            big.write(f'<http://example.org/s/{i}> <http://example.org/p> "{i}" .\n')
    cache = tmp_path / "cache"
    loading = subprocess.Popen(
        [sys.executable, "-m", "lactgraph", "serve", "--port", str(free_port()),
         "--graph", str(graph)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "LACTGRAPH_CACHE_DIR": str(cache)})
    deadline = time.monotonic() + 60
    while not list(cache.glob(".loading-*")) and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.3)  # well into the load
    loading.kill()
    loading.wait()
    assert list(cache.glob(".loading-*")), "the load was not caught in progress"
    assert not list(cache.glob("store-*"))  # nothing a server would open
    server = LiveServer(cache, "--graph", str(graph))
    try:
        answer = ask(server, "SELECT (COUNT(*) AS ?n) WHERE { ?s <http://example.org/p> ?o }")
        assert answer.json()["results"]["bindings"][0]["n"]["value"] == "400000"
        assert not list(cache.glob(".loading-*"))  # the dead load's folder is gone
        assert len(list(cache.glob("store-*"))) == 1
    finally:
        server.stop()


def test_a_broken_cached_store_is_loaded_again(tmp_path):
    (tmp_path / "graph").mkdir()
    graph = write_items(tmp_path / "graph", 50)
    cache = tmp_path / "cache"
    first = LiveServer(cache, "--graph", str(graph))
    first.stop()
    [cached] = cache.glob("store-*")
    (cached / "CURRENT").write_text("garbage\n")
    second = LiveServer(cache, "--graph", str(graph))
    try:
        assert ask(second, QUICK).json()["boolean"] is True
        assert open_store(cached).query("ASK { GRAPH ?g { ?s ?p ?o } }")
    finally:
        second.stop()


def test_a_changed_graph_leaves_one_older_cached_store_and_name_index(tmp_path):
    """Each version of graph/ served without a build's store is loaded into a cached store
    of its own, and its names gathered into an index: a new version removes those of all
    older versions but the last (a server not restarted yet may still read it)."""
    (tmp_path / "graph").mkdir()
    cache = tmp_path / "cache"
    versions = []
    for count in (50, 60, 70):
        graph = write_items(tmp_path / "graph", count)
        server = LiveServer(cache, "--graph", str(graph))
        try:
            answer = ask(server, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o "
                                 'FILTER(STRSTARTS(STR(?s), "http://example.org/item/")) }')
            assert answer.json()["results"]["bindings"][0]["n"]["value"] == str(count)
        finally:
            server.stop()
        versions.append({path.name for path in cache.glob("store-*")} - set().union(
            *versions))
        assert len(versions[-1]) == 1  # one new store for the new version
        time.sleep(0.01)  # the versions' times differ
    stores = {path.name for path in cache.glob("store-*")}
    assert stores == versions[1] | versions[2]  # the first version's went
    indexes = list(cache.glob("search-*.sqlite"))
    assert len(indexes) == 2 and len({path.name.rpartition("-")[0] for path in indexes}) == 1
    assert not list(cache.glob(".removing-*"))


def test_a_damaged_build_store_is_one_clear_line_and_the_next_build_replaces_it(tmp_path):
    project = scratch_project(tmp_path)
    assert run_lactgraph("build", cwd=project).returncode == 0
    built = current_store(Settings(project_dir=project))
    assert built is not None
    (built / "CURRENT").write_text("garbage\n")
    serve = [sys.executable, "-m", "lactgraph", "serve", "--port", str(free_port())]
    env = {**os.environ, "LACTGRAPH_CACHE_DIR": str(tmp_path / "cache")}
    result = subprocess.run(serve, cwd=project, capture_output=True, text=True, timeout=60,
                            env=env)
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"lactgraph: error: {built.relative_to(project)}: not an Oxigraph")
    assert line.endswith("run `lactgraph build`: it replaces a damaged store")

    rebuilt = run_lactgraph("build", cwd=project)  # nothing changed but the damaged store
    assert rebuilt.returncode == 0, rebuilt.stderr
    replaced = current_store(Settings(project_dir=project))
    assert replaced is not None and replaced != built
    assert open_store(replaced).query(
        "ASK { GRAPH ?g { <https://w3id.org/lactgraph/product/mesotherapy> ?p ?o } }")


# --- listening: a bad address or option is one clear line --------------------------------

def serve_with(cache: Path, *options: str) -> subprocess.CompletedProcess:
    """`lactgraph serve` expected to stop at once (one that started would time out)."""
    return subprocess.run([sys.executable, "-m", "lactgraph", "serve", *options], cwd=ROOT,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "LACTGRAPH_CACHE_DIR": str(cache)})


def test_a_port_in_use_is_one_clear_line_before_serving(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = serve_with(tmp_path, "--port", str(port))
    assert result.returncode == 1
    assert result.stderr == (f"lactgraph: error: cannot listen on 127.0.0.1:{port}: "
                             "address already in use\n")


@pytest.mark.parametrize("host, reason", [
    ("nonsense.invalid", "unknown host or invalid address"),  # .invalid never resolves
    ("192.0.2.1", "not an address of this machine"),  # TEST-NET-1: documentation only
])
def test_an_address_that_cannot_be_listened_on_is_one_clear_line(tmp_path, host, reason):
    result = serve_with(tmp_path, "--host", host, "--port", "0")
    assert result.returncode == 1
    assert result.stderr == f"lactgraph: error: cannot listen on {host}:0: {reason}\n"


@pytest.mark.parametrize("option, value, expected", [
    ("--port", "-1", "a whole number from 0 to 65535"),
    ("--port", "99999", "a whole number from 0 to 65535"),  # once listened on 99999 % 65536
    ("--threads", "0", "a whole number, 1 or more"),  # once started and never answered
    ("--grace", "-1", "a number, 0 or more"),
    ("--grace", "nan", "a number, 0 or more"),
])
def test_serve_options_out_of_range_are_refused_while_parsing(tmp_path, option, value,
                                                              expected):
    result = serve_with(tmp_path, option, value)
    assert result.returncode == 2
    assert result.stderr == (f"lactgraph serve: error: argument {option}: {value!r}: "
                             f"expected {expected}\n")


def test_port_0_serves_on_a_free_port_and_names_it(tmp_path):
    process = subprocess.Popen([sys.executable, "-m", "lactgraph", "serve", "--port", "0"],
                               cwd=ROOT, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "LACTGRAPH_CACHE_DIR": str(tmp_path)})
    try:
        line = process.stderr.readline()
        assert line.startswith("lactgraph: serving on http://127.0.0.1:"), line
        port = int(line.rsplit(":", 1)[1].strip("/\n"))
        assert port != 0
        assert requests.get(f"http://127.0.0.1:{port}/healthz", timeout=30).ok
    finally:
        process.terminate()
        process.communicate(timeout=30)


# --- builds while a server runs --------------------------------------------------------

def _modified(server: LiveServer) -> str:
    answer = requests.get(server.url + "product/mesotherapy.ttl", timeout=30)
    assert answer.status_code == 200, answer.text
    graph = Graph().parse(data=answer.text, format="turtle", publicID=server.url)
    [modified] = {str(o) for p, o in graph.predicate_objects(
        next(s for s in graph.subjects() if str(s).endswith("/product/mesotherapy")))
        if str(p) == "http://purl.org/dc/terms/modified"}
    return modified


def test_a_server_keeps_serving_its_build_however_many_builds_come(start_server, tmp_path,
                                                                    monkeypatch):
    """A build keeps the current and the previous generation; it removed the one a server
    had open two builds later, and the server answered 500 (`/healthz` still 200)."""
    project = scratch_project(tmp_path)
    page = project / "sources" / "mesotherapy.txt"

    def build_dated(year: int) -> None:
        _, rest = page.read_text("utf-8").split("\n", 1)
        page.write_text(f"Last update Jan. 26, {year}\n{rest}", "utf-8")
        built = run_lactgraph("build", "--no-dumps", cwd=project)
        assert built.returncode == 0, built.stderr

    build_dated(2019)
    monkeypatch.setenv("LACTGRAPH_PROJECT_DIR", str(project))
    server = start_server()
    assert _modified(server) == "2019-01-26"
    for year in (2020, 2021, 2022):
        build_dated(year)
    assert _modified(server) == "2019-01-26"  # the build it started on, whole
    asked = ask(server, QUICK)
    assert asked.status_code == 200 and asked.json()["boolean"] is True, asked.text
    assert requests.get(server.url + "search", params={"q": "meso"}, timeout=30).ok
    generations = [path for path in (project / "graph" / "store").iterdir() if path.is_dir()
                   and not path.name.startswith(".")]
    assert len(generations) == 3  # the current, the previous and the held one

    server.stop()
    build_dated(2023)  # nothing holds the first any more
    assert len([path for path in (project / "graph" / "store").iterdir()
                if path.is_dir() and not path.name.startswith(".")]) == 2
    assert _modified(start_server()) == "2023-01-26"
