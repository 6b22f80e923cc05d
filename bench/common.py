"""What every benchmark needs: a corpus, a project to build it in, a child process to
measure, percentiles, and one way of printing a figure against its baseline."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASE = "https://w3id.org/lactgraph/"


@dataclass(frozen=True)
class Project:
    """A corpus and a folder to build it in, as a curator's project looks."""

    folder: Path
    products: int

    @property
    def graph(self) -> Path:
        return self.folder / "graph"

    @property
    def turtle(self) -> Path:
        return self.graph / "lactgraph.ttl"


def corpus(work: Path, products: int, seed: int, form: str) -> Path:
    """The folder of a synthetic corpus (written once, reused by later runs)."""
    from lactgraph.synth import write_corpus

    folder = work / f"corpus-{products}-{seed}-{form}"
    sub = folder / ("pages" if form == "pages" else "export")
    done = folder / ".complete"
    if not done.exists():
        shutil.rmtree(folder, ignore_errors=True)
        started = time.perf_counter()
        write_corpus(products, seed, folder, forms=(form,))
        done.write_text("")
        print(f"  corpus: {products} products written in {time.perf_counter() - started:.0f} s")
    return sub


def project(work: Path, products: int, source: Path, fresh: bool = True) -> Project:
    """A project: sources hard-linked file by file (plain files, as a curator's folder
    holds, each of which can be replaced by an edited copy), the repository's ontology
    and shapes, no graph yet; unless not fresh, and the folder is there from an earlier
    run (its graph reused when it is up to date; its ontology and shapes brought up to
    date, so that a change to them rebuilds it)."""
    folder = work / f"project-{products}"
    if not fresh and folder.is_dir():
        for part in ("ontology", "shapes"):  # the repository's (a change makes it rebuild)
            for path in (ROOT / part).iterdir():
                copy = folder / part / path.name
                if not copy.is_file() or copy.read_bytes() != path.read_bytes():
                    shutil.copyfile(path, copy)
        return Project(folder, products)
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "sources").mkdir(parents=True)
    for path in sorted(source.iterdir()):
        _place(path, folder / "sources" / path.name)
    for part in ("ontology", "shapes"):
        shutil.copytree(ROOT / part, folder / part)
    return Project(folder, products)


def _place(path: Path, copy: Path) -> None:
    """copy as a hard link to path (a copy where they are on two file systems). Not a
    symbolic link: a stat of one walks a second path, into another folder of 50,000
    files, which made the build's look at its sources five times slower after a pause
    than in a folder of plain files (3.1 s against 0.6 s at 50,000)."""
    try:
        os.link(path, copy)
    except OSError:
        shutil.copyfile(path, copy)


def child(module: str, *args: str, cwd: Path, timeout: float | None = None) -> dict:
    """Run `python -m bench.<module> args` in a fresh process (so that its peak memory is
    its own) and return the JSON it prints last; {"error": ...} on failure or timeout."""
    command = [sys.executable, "-m", f"bench.{module}", *args]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (
        str(ROOT), os.environ.get("PYTHONPATH"))))}
    try:
        done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        return {"error": " / ".join(tail) or f"exit {done.returncode}"}
    return json.loads(lines[-1])


def percentile(samples: Sequence[float], fraction: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def median(samples: Sequence[float]) -> float:
    return statistics.median(samples) if samples else float("nan")


def ratio(ours: float | None, baseline: float | None, higher_is_better: bool = False) -> str:
    """How many times better ours is than the baseline ("12.3x"), or why there is none."""
    if not ours or not baseline:
        return "n/a"
    times = ours / baseline if higher_is_better else baseline / ours
    return f"{times:.1f}x" if times >= 1 else f"{times:.2f}x"


def line(label: str, figure: str, baseline: str = "", versus: str = "") -> None:
    """One printed result: the figure, then the baseline and the ratio against it."""
    text = f"  {label:<34} {figure:>22}"
    if baseline:
        text += f"   baseline {baseline:>18}   {versus}"
    print(text, flush=True)


def megabytes(kilobytes: float | None) -> str:
    return "n/a" if kilobytes is None else f"{kilobytes / 1024:.0f} MB"


def seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f} s"


def milliseconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 1000:.2f} ms"
