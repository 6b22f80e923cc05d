"""Measurements that must run in a process of their own (their peak memory is theirs).

    python -m bench.child build|baseline|start|load PROJECT [--jobs N] [--no-dumps]
                                                            [--memory-cap GB]

Each prints one JSON object on its last line of output. --memory-cap bounds the address
space of the process (and of the workers it starts): a measurement that needs more fails
with MemoryError instead of taking the memory of a machine that others share.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

from bench.common import BASE


def _peak_kb() -> int:
    """The peak resident memory of this process or of the largest of the children it
    waited for (its workers), whichever is larger."""
    return max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
               resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)


def build(jobs: int, dumps: bool) -> dict:
    """`lactgraph build` as the command runs it (no progress bar); `--no-dumps` without
    the bulk dumps (graph/dumps/, written whole whenever the graph changed)."""
    from lactgraph.build import build as run

    started = time.perf_counter()
    built = run([Path("sources")], Path("graph"), Path("shapes/lactgraph.ttl"),
                Path("ontology/lactgraph.ttl"), BASE, dumps=dumps, jobs=jobs, progress=False)
    took = time.perf_counter() - started
    return {"seconds": took, "rss_kb": _peak_kb(), "products": built.products,
            "mode": built.mode, "imported": built.imported, "units": built.units,
            "validated": built.validated, "findings": len(built.report.findings),
            "bytes": built.path.stat().st_size}


def baseline() -> dict:
    """What `lactgraph build` did before: one rdflib graph, pyshacl on all of it, rdflib's
    Turtle writer."""
    from lactgraph.build import import_sources
    from lactgraph.validate import load_rules, validate_graph

    times = {}
    started = time.perf_counter()
    imported = import_sources([Path("sources")], BASE)
    times["import_seconds"] = time.perf_counter() - started
    step = time.perf_counter()
    shapes, ontology = load_rules(Path("shapes/lactgraph.ttl"), Path("ontology/lactgraph.ttl"))
    validate_graph(imported.graph, shapes, ontology)
    times["validate_seconds"] = time.perf_counter() - step
    step = time.perf_counter()
    data = imported.graph.serialize(format="turtle", encoding="utf-8")
    times["write_seconds"] = time.perf_counter() - step
    return {"seconds": time.perf_counter() - started, "rss_kb": _peak_kb(),
            "triples": len(imported.graph), "bytes": len(data), **times}


def start() -> dict:
    """How long `lactgraph serve` takes to have its store answering, from the build's."""
    from lactgraph.config import Settings
    from lactgraph.generations import current_store
    from lactgraph.store.oxigraph import OxigraphStore

    started = time.perf_counter()
    directory = current_store(Settings(base=BASE, project_dir=Path(".")))
    if directory is None:
        return {"error": "no up-to-date store beside graph/"}
    store = OxigraphStore(directory)
    rows = store.select("SELECT (COUNT(*) AS ?n) WHERE { ?s a ?c }")
    return {"seconds": time.perf_counter() - started, "rss_kb": _peak_kb(),
            "typed": int(rows[0]["n"])}


def load() -> dict:
    """The baseline of `start`: what serve does without a built store (parse graph/ into
    a new store, as `store.oxigraph.cached_store` does on a cold cache)."""
    from lactgraph.config import Settings
    from lactgraph.iris import IriScheme
    from lactgraph.store.oxigraph import OxigraphStore, load_store
    from lactgraph.web.context import store_sources

    settings = Settings(base=BASE, project_dir=Path("."))
    folder = Path(tempfile.mkdtemp(prefix="bench-load-"))
    try:
        started = time.perf_counter()
        load_store(store_sources(settings, IriScheme(BASE)), folder / "store")
        store = OxigraphStore(folder / "store")
        store.select("SELECT (COUNT(*) AS ?n) WHERE { ?s a ?c }")
        return {"seconds": time.perf_counter() - started, "rss_kb": _peak_kb()}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.child")
    parser.add_argument("what", choices=("build", "baseline", "start", "load"))
    parser.add_argument("project", type=Path)
    parser.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--no-dumps", action="store_true")
    parser.add_argument("--memory-cap", type=float, metavar="GB")
    args = parser.parse_args()
    if args.memory_cap:
        cap = int(args.memory_cap * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    os.chdir(args.project)
    result = {"build": lambda: build(args.jobs, not args.no_dumps), "baseline": baseline,
              "start": start, "load": load}[args.what]()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
