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

KINDS = ("build", "sparql", "http")


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
    args = parser.parse_args()
    kinds = [k for k in args.only.split(",") if k]
    args.work.mkdir(parents=True, exist_ok=True)
    print(f"lactgraph benchmarks on {platform.node()}: {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}, work in {args.work}", flush=True)
    for products in args.products:
        sources = corpus(args.work, products, args.seed, args.form)
        built = project(args.work, products, sources)
        if "build" in kinds or not (built.turtle.exists()):
            buildbench.run(built, args.jobs, args.baseline_max, args.timeout)
        from lactgraph.config import Settings
        from lactgraph.generations import current_store

        store = current_store(Settings(base=BASE, project_dir=built.folder))
        if store is None:
            print("  no store: the build failed, nothing more to measure")
            continue
        if "sparql" in kinds:
            print(f"\n== sparql: {products} products", flush=True)
            subprocess.run([sys.executable, "-m", "bench.sparqlbench", str(built.folder),
                            "--products", str(products), "--rdflib-max",
                            str(args.rdflib_max)], cwd=ROOT, check=False)
        if "http" in kinds:
            samples = httpbench.samples_of(store)
            httpbench.run(built, args.work, store, samples, args.seconds, args.connections,
                          peer=products <= args.rdflib_max)


if __name__ == "__main__":
    main()
