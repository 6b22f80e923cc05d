"""One command for the benchmarks: build, SPARQL and HTTP, each against its baseline.

    python -m bench [--products 5000 50000] [--only build,sparql,http] [--work DIR]

Run from the repository root. Everything runs on this machine and talks to 127.0.0.1
only; corpora and projects go to --work (default: a folder in the temporary directory,
kept for a later run: a corpus is generated once per size and seed).
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import buildbench, httpbench
from bench.common import BASE, ROOT, corpus, project
from lactgraph.buildcache import code_version
from lactgraph.config import Settings
from lactgraph.generations import current_id, current_store, read_state

KINDS = ("build", "sparql", "http")


def _half_the_memory() -> float:
    return round(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**31, 1)


def _built_by_this_code(folder: Path) -> bool:
    """The project's store matches its graph and was built by this build code (a store
    built by older code may lack what the benchmarks ask, the statistics say)."""
    settings = Settings(base=BASE, project_dir=folder)
    ident = current_id(settings.graph_path)
    state = read_state(settings.graph_path, ident) if ident else None
    return (current_store(settings) is not None and state is not None
            and state.code == code_version())


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--products", type=int, nargs="+", default=[5000])
    parser.add_argument("--only", default=",".join(KINDS), help="build,sparql,http")
    parser.add_argument("--work", type=Path,
                        default=Path(tempfile.gettempdir()) / "lactgraph-bench")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--form", choices=("pages", "json"), default="pages",
                        help="entry pages (one file per entry) or the JSON export")
    parser.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--baseline-max", type=int, default=5000,
                        help="largest corpus to build the old way as the baseline")
    parser.add_argument("--rdflib-max", type=int, default=10_000,
                        help="largest corpus to query with rdflib (and serve with the peer)")
    parser.add_argument("--seconds", type=float, default=10.0, help="per HTTP scenario")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--timeout", type=float, default=3600.0, help="per measured process")
    parser.add_argument("--memory-cap", type=float, default=_half_the_memory(), metavar="GB",
                        help="address space of each measured build (default: half of this "
                        "machine's memory, which others may be using)")
    args = parser.parse_args()
    kinds = [k for k in args.only.split(",") if k]
    args.work.mkdir(parents=True, exist_ok=True)
    print(f"lactgraph benchmarks on {platform.node()}: {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}, work in {args.work}", flush=True)
    built_before: tuple[int, float] | None = None  # a smaller corpus, built in this run
    sparql_before: Path | None = None  # its SPARQL p50s
    for products in sorted(args.products):
        sources = corpus(args.work, products, args.seed, args.form)
        built = project(args.work, products, sources, fresh="build" in kinds)
        if "build" in kinds or not _built_by_this_code(built.folder):
            took = buildbench.run(built, args.jobs, args.baseline_max, args.timeout,
                                  args.memory_cap, built_before)
            built_before = (products, took) if took else built_before
        store = current_store(Settings(base=BASE, project_dir=built.folder))
        if store is None:
            print("  no store: the build failed, nothing more to measure")
            continue
        if "sparql" in kinds:
            print(f"\n== sparql: {products} products", flush=True)
            saved = args.work / f"sparql-{products}.json"
            saved.unlink(missing_ok=True)
            subprocess.run([sys.executable, "-m", "bench.sparqlbench", str(built.folder),
                            "--products", str(products), "--rdflib-max", str(args.rdflib_max),
                            "--save", str(saved),
                            *(["--reference", str(sparql_before)] if sparql_before else [])],
                           cwd=ROOT, check=False)
            sparql_before = saved if saved.is_file() else sparql_before
        if "http" in kinds:
            samples = httpbench.samples_of(store)
            httpbench.run(built, args.work, store, samples, args.seconds, args.connections,
                          peer=products <= args.rdflib_max)


if __name__ == "__main__":
    main()
