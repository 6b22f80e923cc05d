"""HTTP benchmark: requests/s and p50/p99 under a bounded loopback load.

The documented production set-up (gunicorn, 2 workers, `lactgraph.web:create_app()`
configured by LACTGRAPH_* variables, here opening the store the build left) is loaded
with wrk (16 connections, 2 threads, 10 s per scenario, 127.0.0.1 only) on:

- entity documents (HTML, Turtle, JSON-LD) of products drawn from the data: fifty
  popular ones asked again and again (answered from each worker's cache of rendered
  documents once the warm-up rendered them), then all of them from a server with that
  cache off (each one rendered, as a harvester asking every entity once sees), and the
  Turtle ones revalidated (If-None-Match with each one's ETag: 304 without rendering),
- name search (`/search?q=`), and SPARQL (an entity's triples),
- the same server's `/healthz` (the ceiling of the stack on this machine),

and the Python peer, rdflib-endpoint serving the same graph, on the same questions asked
in SPARQL (an entity's triples as Turtle, a name search). The peer is skipped, with a
message, when rdflib-endpoint is not installed; the whole benchmark when wrk is missing.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.common import ROOT, Project, line, megabytes, ratio

HOST = "127.0.0.1"
POPULAR = 50  # products in the rotation of documents that the cache may keep
WARM_ROUNDS = 5
_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


@dataclass(frozen=True)
class Load:
    rate: float  # requests per second
    p50: float  # seconds
    p99: float
    errors: int  # non-2xx/3xx answers and socket errors

    def text(self) -> str:
        rate = f"{self.rate:,.0f}" if self.rate >= 10 else f"{self.rate:.1f}"
        return f"{rate}/s p50 {self.p50 * 1000:.1f} p99 {self.p99 * 1000:.1f} ms"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _wait(url: str, timeout: float, process: subprocess.Popen) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=5) as answer:
            if answer.status < 500:
                return time.perf_counter() - started
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer in {timeout:.0f} s")


@contextlib.contextmanager
def _server(command: list[str], env: dict[str, str], ready: str, timeout: float
            ) -> Iterator[tuple[subprocess.Popen, float]]:
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        yield process, _wait(ready, timeout, process)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def settle(probe: str, timeout: float = 120.0) -> None:
    """Wait until the server has worked off what the last run left queued (it still serves
    the requests that wrk gave up on), that is until the probe is answered at once."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        with contextlib.suppress(OSError), urllib.request.urlopen(probe, timeout=timeout):
            if time.perf_counter() - started < 0.1:
                return
        time.sleep(0.1)
    print(f"    (the server was still busy after {timeout:.0f} s)")


def wrk(url: str, paths: list[str], accept: str, seconds: float, connections: int,
        probe: str, quiet: bool = False, etags: list[str] | None = None) -> Load:
    """wrk on a rotation of paths (a Lua script), parsed (a request may take 30 s), once
    the server settled (see settle: probe is a cheap URL of it); etags: each path's, sent
    as If-None-Match (a client revalidating what it holds)."""
    quoted = ",\n".join(f'"{path}"' for path in paths)
    tags = ",\n".join(f"'{tag}'" for tag in etags or [""] * len(paths))
    script = f"""local paths = {{ {quoted} }}
local tags = {{ {tags} }}
local i = 0
request = function()
  i = i + 1
  local k = (i % #paths) + 1
  local headers = {{ ["Accept"] = "{accept}" }}
  if tags[k] ~= "" then headers["If-None-Match"] = tags[k] end
  return wrk.format("GET", paths[k], headers)
end
"""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as file:
        file.write(script)
    try:
        settle(probe)
        done = subprocess.run(["wrk", f"-t{min(2, connections)}", f"-c{connections}",
                               f"-d{seconds:g}s", "--timeout", "30s", "--latency",
                               "-s", file.name, url],
                              capture_output=True, text=True, check=True, timeout=seconds + 60)
    finally:
        os.unlink(file.name)
    load = _parse(done.stdout)
    if not load.rate and not quiet:
        print(f"    no answer in {seconds:g} s on {connections} connections"
              + (f": {done.stderr.strip()[-200:]}" if done.stderr.strip() else ""))
    return load


def _parse(output: str) -> Load:
    def latency(percent: str) -> float:
        match = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M)
        return float(match.group(1)) * _UNITS[match.group(2)] if match else float("nan")

    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(r"Socket errors:.*?(\d+).*?(\d+).*?(\d+).*?(\d+)", output)
    errors = int(bad.group(1)) if bad else 0
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    return Load(float(rate.group(1)) if rate else 0.0, latency("50"), latency("99"), errors)


def _peak_rss_kb(root: int) -> dict[int, int]:
    """VmHWM (peak resident memory) of every process under root, by pid."""
    found: dict[int, int] = {}
    todo = [root]
    while todo:
        pid = todo.pop()
        with contextlib.suppress(OSError):
            status = Path(f"/proc/{pid}/status").read_text()
            match = re.search(r"VmHWM:\s+(\d+) kB", status)
            found[pid] = int(match.group(1)) if match else 0
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            todo.extend(int(child) for child in children)
    return found


def _quote(query: str, endpoint: str = "/sparql") -> str:
    return f"{endpoint}?query=" + urllib.parse.quote(query, safe="")


def run(project: Project, work: Path, store: Path, samples: dict[str, list[str]],
        seconds: float, connections: int, peer: bool = True) -> None:
    print(f"\n== http: {project.products} products, gunicorn 2 workers, wrk {connections} "
          f"connections, {seconds:g} s each", flush=True)
    if shutil.which("wrk") is None:
        print("  skipped: wrk is not installed (apt-get install wrk)")
        return
    slugs = [p.rsplit("/", 1)[1] for p in samples["product"]]
    port = free_port()
    url = f"http://{HOST}:{port}"
    env = {**os.environ, "LACTGRAPH_PROJECT_DIR": str(project.folder),
           "LACTGRAPH_STORE_DIR": str(store), "LACTGRAPH_CACHE_DIR": str(work / "cache"),
           "LACTGRAPH_SPARQL_BUDGET": "0", "PYTHONPATH": str(ROOT / "src")}
    command = [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"{HOST}:{port}",
               "--timeout", "60", "lactgraph.web:create_app()"]
    def documents(chosen: list[str]) -> dict[str, tuple[list[str], str]]:
        return {"entity HTML": ([f"/product/{s}.html" for s in chosen], "text/html"),
                "entity Turtle": ([f"/product/{s}.ttl" for s in chosen], "text/turtle"),
                "entity JSON-LD": ([f"/product/{s}.jsonld" for s in chosen],
                                   "application/ld+json")}

    scenarios = {
        # popular entries, asked again and again: each worker renders them once (warm-up)
        **{f"{name}, {POPULAR} popular": scenario
           for name, scenario in documents(slugs[:POPULAR]).items()},
        "SPARQL (an entity)": ([_quote(f"SELECT ?p ?o WHERE {{ <{p}> ?p ?o }}")
                                for p in samples["product"]],
                               "application/sparql-results+json"),
        # the name index the build wrote beside the store (opened by each worker at start)
        "name search": ([f"/search?q={urllib.parse.quote(t)}" for t in samples["term"]],
                        "text/html"),
    }
    ours: dict[str, Load] = {}
    probe = f"{url}/healthz"
    with _server(command, env, probe, 120) as (server, started):
        line("server up (gunicorn, 2 workers)", f"{started:.2f} s")
        health = wrk(url, ["/healthz"], "text/plain", seconds, connections, probe)
        line("health endpoint (ceiling)", health.text())
        ours.update(_scenarios(url, scenarios, health, seconds, connections, probe))
        peaks = _peak_rss_kb(server.pid)
        workers = sorted(peaks.values())
        line("largest process (peak RSS)", megabytes(workers[-1]),
             f"total {megabytes(sum(workers))}", f"{len(peaks)} processes")
    # The same documents with the cache of rendered documents off: each one rendered (what
    # a harvester asking every entity once gets)
    with _server(command, {**env, "LACTGRAPH_DOCUMENT_CACHE_MB": "0"}, probe, 120):
        ours.update(_scenarios(url, {f"{name}, uncached": scenario
                                     for name, scenario in documents(slugs).items()},
                               health, seconds, connections, probe))
        # a harvester revalidating its copies: each Turtle document with its ETag
        turtle = [f"/product/{s}.ttl" for s in slugs]
        etags = [_etag(url + path) for path in turtle]
        found = wrk(url, turtle, "text/turtle", seconds, connections, probe, etags=etags)
        line("entity Turtle, revalidated (304)", found.text(), f"healthz {health.rate:,.0f}/s",
             f"{100 * found.rate / health.rate:.1f} % of it" if health.rate else "n/a")
    if peer:
        _peer(project, samples, seconds, connections, ours)
    else:
        print("  peer skipped: more products than --rdflib-max (rdflib-endpoint holds the "
              "whole graph in memory); the baseline here is /healthz")


def _etag(url: str) -> str:
    with urllib.request.urlopen(url, timeout=120) as answer:
        return answer.headers["ETag"]


def _warm_up(url: str, paths: list[str], accept: str, connections: int, probe: str) -> None:
    """Rounds of 3 s until the rate rises by a tenth or less (at most WARM_ROUNDS): each
    worker's caches filled. The popular JSON-LD documents at 50,000 products take 0.1 s
    each to render, more than one round's worth for two workers."""
    before = 0.0
    for _ in range(WARM_ROUNDS):
        rate = wrk(url, paths, accept, 3, connections, probe, quiet=True).rate
        if rate <= before * 1.1:
            return
        before = rate


def _scenarios(url: str, scenarios: dict[str, tuple[list[str], str]], health: Load,
               seconds: float, connections: int, probe: str) -> dict[str, Load]:
    """Each scenario after a warm-up, beside the health endpoint's rate."""
    loads: dict[str, Load] = {}
    for name, (paths, accept) in scenarios.items():
        _warm_up(url, paths, accept, connections, probe)
        loads[name] = found = wrk(url, paths, accept, seconds, connections, probe)
        line(name, found.text(), f"healthz {health.rate:,.0f}/s",
             f"{100 * found.rate / health.rate:.1f} % of it" if health.rate else "n/a")
        if found.errors:
            print(f"    ({found.errors} errors)")
    return loads


def _peer(project: Project, samples: dict[str, list[str]], seconds: float, connections: int,
          ours: dict[str, Load]) -> None:
    try:
        import rdflib_endpoint  # noqa: F401
    except ImportError:
        print("  peer skipped: rdflib-endpoint is not installed "
              "(pip install rdflib-endpoint uvicorn; see bench/README.md)")
        return
    port = free_port()
    url = f"http://{HOST}:{port}"
    command = [sys.executable, "-m", "rdflib_endpoint", "serve", str(project.turtle),
               "--host", HOST, "--port", str(port)]
    with _server(command, dict(os.environ), url + "/", 3600) as (_, started):
        endpoint = _endpoint(url)  # "/" in rdflib-endpoint 0.6, "/sparql" in others
        probe = url + _quote("ASK { <urn:x> ?p ?o }", endpoint)  # an index lookup
        line("peer up (rdflib-endpoint)", f"{started:.1f} s")
        entity = [_quote(f"CONSTRUCT {{ <{p}> ?p ?o }} WHERE {{ <{p}> ?p ?o }}", endpoint)
                  for p in samples["product"]]
        search = [_quote("SELECT ?e ?l WHERE { ?e <http://www.w3.org/2004/02/skos/core#"
                         f"prefLabel> ?l FILTER(CONTAINS(LCASE(STR(?l)), \"{t}\")) }} LIMIT 20",
                         endpoint) for t in samples["term"]]
        for name, paths, accept, mine in (
                ("peer: entity (CONSTRUCT, Turtle)", entity, "text/turtle",
                 [name for name in ours if name.startswith("entity ")]),
                ("peer: name search (SPARQL)", search, "application/sparql-results+json",
                 ("name search",))):
            theirs = wrk(url, paths, accept, seconds, connections, probe)
            if not theirs.rate:  # every request waits for all the others (one process)
                print("    again on 1 connection, the peer's best case:")
                theirs = wrk(url, paths, accept, seconds, 1, probe)
            line(name, theirs.text())
            for scenario in mine:
                line(f"  ours/peer: {scenario}", f"{ours[scenario].rate:,.0f}/s",
                     f"peer {theirs.rate:,.1f}/s", ratio(ours[scenario].rate, theirs.rate,
                                                         True))


def _endpoint(url: str) -> str:
    for path in ("/sparql", "/"):
        with contextlib.suppress(OSError):
            ask = urllib.request.Request(url + _quote("ASK { ?s ?p ?o }", path),
                                         headers={"Accept": "application/sparql-results+json"})
            with urllib.request.urlopen(ask, timeout=60) as answer:
                if answer.status == 200:
                    return path
    raise RuntimeError("the peer answers no SPARQL query")


def samples_of(store: Path) -> dict[str, list[str]]:
    """Products and search terms drawn from the store (as the SPARQL benchmark draws)."""
    import pyoxigraph as ox

    from bench.sparqlbench import samples

    return samples(ox.Store.read_only(str(store)))
