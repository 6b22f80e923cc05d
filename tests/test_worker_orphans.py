"""A build killed alone (SIGTERM or SIGKILL to its own pid, as `kill PID` and the OOM
killer do) leaves none of its worker processes behind.

Before `lactgraph.workers`, the import's spawned workers and the multiprocessing resource
tracker they hold open stayed alive and idle after their build was killed, orphaned until
someone found them (Ctrl-C reaches the whole process group, and never showed it).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lactgraph.synth import write_corpus

PRODUCTS = 800  # enough bytes of pages for the import to use worker processes


def _parents() -> dict[int, int]:
    """pid -> parent pid of every process (from /proc)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:  # ended meanwhile
                continue
            found[int(entry.name)] = int(stat.rpartition(")")[2].split()[1])
    return found


def _descendants(pid: int) -> set[int]:
    parents = _parents()
    found, todo = set(), [pid]
    while todo:
        parent = todo.pop()
        children = {child for child, of in parents.items() if of == parent}
        todo.extend(children - found)
        found |= children
    return found


def _alive(pids: set[int]) -> set[int]:
    """Those of pids still running (a zombie has ended: only its parent's wait is due)."""
    alive = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.add(pid)
    return alive


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    write_corpus(PRODUCTS, 3, folder, forms=("pages",))
    return folder / "pages"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="a build on one CPU starts "
                    "no worker processes")
@pytest.mark.parametrize("kill", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_a_killed_build_leaves_no_worker_behind(sources, tmp_path, kill):
    project = tmp_path / "project"
    root = Path(__file__).resolve().parent.parent
    for part in ("ontology", "shapes"):
        shutil.copytree(root / part, project / part)
    build = subprocess.Popen([sys.executable, "-m", "lactgraph", "build", "--no-dumps",
                              str(sources)], cwd=project,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: set[int] = set()
    try:
        deadline = time.monotonic() + 60
        while len(workers) < 2 and build.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)  # the import's two workers and the resource tracker
            workers = _descendants(build.pid)
        assert len(workers) >= 2, "the build never started its worker processes"
        build.send_signal(kill)
        assert build.wait(10) == -kill
        deadline = time.monotonic() + 10
        while _alive(workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _alive(workers) == set(), "worker processes outlived their build"
    finally:  # leave nothing running, whatever failed
        for pid in {build.pid} | _alive(workers):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        build.wait()


def _files(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes()
            for path in sorted(folder.rglob("*")) if path.is_file()}


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="a build on one CPU starts "
                    "no worker processes")
def test_ctrl_c_during_the_import_is_the_parents_one_line(sources, tmp_path):
    """Ctrl-C (SIGINT to the process group) as the import's workers start: once each
    worker printed a KeyboardInterrupt traceback of its own."""
    project = tmp_path / "project"
    root = Path(__file__).resolve().parent.parent
    for part in ("ontology", "shapes", "graph"):
        shutil.copytree(root / part, project / part, ignore=shutil.ignore_patterns("store"))
    shutil.copytree(sources, project / "sources")
    before = _files(project / "graph")
    build = subprocess.Popen([sys.executable, "-m", "lactgraph", "build", "--no-dumps"],
                             cwd=project, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while len(_descendants(build.pid)) < 2 and build.poll() is None \
                and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)  # the workers are importing lactgraph: a worker's traceback once
        assert build.poll() is None, "the build ended before its import's workers started"
        os.killpg(build.pid, signal.SIGINT)
        _, errors = build.communicate(timeout=60)
    finally:
        if build.poll() is None:
            os.killpg(build.pid, signal.SIGKILL)
            build.wait()
    assert build.returncode == 130, errors
    assert "Traceback" not in errors and "Error" not in errors, errors
    assert _files(project / "graph") == before
