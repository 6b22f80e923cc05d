"""A build killed with SIGKILL, at any moment, leaves graph/ and its store usable.

The hardening issue promises: "A build killed with SIGKILL at random moments (a test that
does it many times) leaves the previous `graph/` and store intact and usable; the next
build succeeds." This module holds the build to it with real `python -m lactgraph build`
processes and real SIGKILLs.

Two source sets, A (a synthetic corpus) and B (A changed as a curator changes it: a level,
a page removed, a page added, a date, `test_incremental._change_sources`; and an accepted
mapping, so that graph/links.ttl changes too), are built to completion once: the RDF
files and dumps they leave in graph/ are the only ones a killed build may leave. After
every kill:

- graph/'s RDF files (the server loads every one) are all those of the previous build,
  or all those of the new one: no mix, no stray (staged) file;
- `current_store` gives a store; it opens as the server opens it and holds what those
  files hold (triples per graph, each product's level); when graph/ is the previous one,
  the store is the previous generation, unchanged file for file;
- graph/dumps/ holds the files its manifest describes (the server sends the manifest's
  SHA-256 as a dump's ETag, and its sizes and checksums in the DCAT catalogue).

`random_kills`: a project is built from A; then, round after round, its sources are set
to the other set and a build is SIGKILLed after a delay drawn (seeded) between 0 and the
time an uninterrupted build of that kind takes, so that kills land in the import, the
writing of the Turtle, the store load, the validation, the switch and the dumps. Rounds
alternate incremental builds and full ones (no import cache, and a current generation
written by another version of lactgraph, as after an upgrade). After the last kill a
server is started on the project: it must answer from the build's store without loading
graph/ again; then the next build must succeed.

`step_kills`: the steps of the switch (`generations.commit`) and of the dumps take
milliseconds, which random kills rarely hit: a build is traced once to list them (each
rename, replace and atomic write), then builds SIGKILL themselves just before each step
of the switch in turn, and just before the dumps' manifest is written.

Each test asserts one part of the promise on what the kills of a fixture left. The seed
is LACTGRAPH_KILL_SEED (default below); failures print it with every kill.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests

from lactgraph.build import CACHE_FOLDER, GRAPH_FILE
from lactgraph.buildcache import code_version
from lactgraph.config import Settings
from lactgraph.dumps import FOLDER as DUMPS
from lactgraph.dumps import MANIFEST as DUMPS_MANIFEST
from lactgraph.generations import current_id, current_store, read_state, store_folder
from lactgraph.rdfio import RDF_SUFFIXES, rdf_paths
from lactgraph.store.oxigraph import open_store
from lactgraph.synth import write_corpus

from .conftest import ROOT, LiveServer
from .test_incremental import _change_sources

pytestmark = pytest.mark.skipif(not hasattr(os, "killpg"), reason="needs POSIX signals")

BASE = "https://w3id.org/lactgraph/"
PRODUCTS = 20
SEED = int(os.environ.get("LACTGRAPH_KILL_SEED", "1105"))
ROUNDS = 10  # half incremental, half full
DATA = f"{BASE}graph/{Path(GRAPH_FILE).stem}"  # the entries' graph in the store
COUNTS = (f"SELECT ?g (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} "
          f'FILTER(STRSTARTS(STR(?g), "{BASE}graph/")) }} GROUP BY ?g')
LEVELS = (f"PREFIX lg: <{BASE}ontology#> SELECT ?product ?level WHERE {{ GRAPH <{DATA}> "
          "{ ?product a lg:Product OPTIONAL { ?product lg:riskLevel ?level } } }")
BUILD = [sys.executable, "-m", "lactgraph", "build"]

# `lactgraph build` that names (trace) or dies before (SIGKILL) the n-th step of the switch
# and of the dumps: a rename, a replace or an atomic write in generations.py or dumps.py.
STEPPED_BUILD = """
import os, re, signal, sys
from pathlib import Path
from lactgraph import cli, dumps, generations

stop, done = int(sys.argv[1]), 0

def step(name, function, target):
    def counted(*args, **kwargs):
        global done
        if done == stop:
            os.kill(os.getpid(), signal.SIGKILL)
        done += 1
        label = re.sub("[0-9a-f]{12,}", "<id>", Path(str(target(args))).name)
        print(f"STEP {name} {label}", file=sys.stderr, flush=True)
        return function(*args, **kwargs)
    return counted

class Os:  # os as generations.py sees it: only the switch renames and replaces there
    rename = staticmethod(step("rename", os.rename, lambda a: a[1]))
    replace = staticmethod(step("replace", os.replace, lambda a: a[1]))
    def __getattr__(self, name):
        return getattr(os, name)

generations.os = Os()
generations.write_atomically = step("write", generations.write_atomically, lambda a: a[0])
generations._remove_old = step("remove", generations._remove_old, lambda a: "old generations")
dumps.write_atomically = step("write", dumps.write_atomically, lambda a: a[0])
sys.exit(cli.main(["build"]))
"""

Facts = tuple[dict[str, int], dict[str, str | None]]  # triples per graph; product -> level


@dataclass
class Version:
    """What a complete build of one source set leaves in graph/ (the store aside)."""

    sources: dict[str, bytes]  # sources/: file name -> content
    mappings: dict[str, bytes]  # mappings/ (accepted mapping sets): file name -> content
    files: dict[str, bytes]  # RDF files of graph/ (the server loads them): path -> content
    dumps: dict[str, bytes]  # graph/dumps/: name -> content


@dataclass
class Corpora:
    pages: Path  # source set A, as the generator wrote it
    versions: dict[str, Version]  # "A", "B"
    seconds: dict[str, float]  # "full"/"incremental": an uninterrupted build
    cache: Path  # an import cache holding source set A (saves importing it again)


def _env() -> dict[str, str]:
    """The build's environment: this checkout's code first, no stray LACTGRAPH_* setting."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LACTGRAPH_")}
    paths = [str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env["LACTGRAPH_BASE"] = BASE
    return env


def _project(folder: Path, pages: Path) -> Path:
    shutil.copytree(pages, folder / "sources")
    for part in ("ontology", "shapes"):
        shutil.copytree(ROOT / part, folder / part)
    return folder


def _complete_build(project: Path, *options: str) -> float:
    """`lactgraph build` to the end; its duration."""
    started = time.monotonic()
    done = subprocess.run([*BUILD, *options], cwd=project, env=_env(), capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, f"the build failed:\n{done.stdout}{done.stderr}"
    return time.monotonic() - started


def _killed_build(project: Path, delay: float) -> tuple[int, str]:
    """A build SIGKILLed after delay seconds (with any process it started); its exit code
    (-SIGKILL, or 0 when it finished first) and its error output."""
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(BUILD, cwd=project, env=_env(), stdout=subprocess.DEVNULL,
                                   stderr=errors, start_new_session=True)
        try:
            time.sleep(delay)
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)  # not reaped yet: the group exists
            code = process.wait(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        errors.seek(0)
        return code, errors.read().decode(errors="replace")


def _stepped_build(project: Path, stop: int) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", STEPPED_BUILD, str(stop)],
                          cwd=project, env=_env(), capture_output=True, text=True, timeout=300)


def _settings(project: Path) -> Settings:
    return Settings(base=BASE, project_dir=project)


def _set_folder(folder: Path, files: dict[str, bytes]) -> None:
    """Make folder hold exactly these files, rewriting only those that differ."""
    folder.mkdir(exist_ok=True)
    for path in folder.iterdir():
        if path.name not in files:
            path.unlink()
    for name, data in files.items():
        path = folder / name
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)


def _set_sources(project: Path, version: Version) -> None:
    _set_folder(project / "sources", version.sources)
    _set_folder(project / "mappings", version.mappings)


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*")) if p.is_file()}


def _graph_files(project: Path) -> dict[str, bytes]:
    graph = project / "graph"
    return {str(p.relative_to(graph)): p.read_bytes() for p in rdf_paths([graph])}


def _dump_files(project: Path) -> dict[str, bytes]:
    """graph/dumps/, leftover temporary files (dot files, never served) aside."""
    folder = project / "graph" / DUMPS
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*"))
            if p.is_file() and not p.name.startswith(".")}


def _version(project: Path) -> Version:
    return Version(_files(project / "sources"), _files(project / "mappings"),
                   _graph_files(project), _dump_files(project))


def _accept_a_mapping(project: Path, page: str) -> None:
    """An accepted mapping set linking the product of a page: graph/links.ttl changes."""
    mappings = project / "mappings"
    mappings.mkdir(exist_ok=True)
    slug = Path(page).stem
    (mappings / "wikidata.sssom.tsv").write_text(
        f"#mapping_set_id: {BASE}mappings/wikidata.sssom.tsv\n"
        "#license: https://creativecommons.org/licenses/by-nc-sa/4.0/\n"
        "#curie_map:\n"
        f"#  product: {BASE}product/\n"
        "#  semapv: https://w3id.org/semapv/vocab/\n"
        "#  skos: http://www.w3.org/2004/02/skos/core#\n"
        "#  wikidata: http://www.wikidata.org/entity/\n"
        "#  orcid: https://orcid.org/\n"
        "subject_id\tpredicate_id\tobject_id\tmapping_justification\tauthor_id\n"
        f"product:{slug}\tskos:exactMatch\twikidata:Q186969\tsemapv:ManualMappingCuration\t"
        "orcid:0000-0002-1825-0097\n",
        "utf-8")


def _store_facts(store: ox.Store) -> Facts:
    counts = {row["g"].value: int(row["n"].value) for row in store.query(COUNTS)}
    levels = {row["product"].value: row["level"].value if row["level"] else None
              for row in store.query(LEVELS)}
    return counts, levels


_FILE_FACTS: dict[str, Facts] = {}


def _file_facts(files: dict[str, bytes]) -> Facts:
    """What a store loaded from these graph/ files holds (each file in `<base>graph/<stem>`,
    as `generations.store_sources` lays them out)."""
    key = hashlib.sha256(b"\0".join(k.encode() + b"\0" + v for k, v in sorted(files.items())))
    if key.hexdigest() not in _FILE_FACTS:
        store = ox.Store()
        for path, data in files.items():
            store.load(data, format=RDF_SUFFIXES[Path(path).suffix],
                       to_graph=ox.NamedNode(f"{BASE}graph/{Path(path).stem}"))
        _FILE_FACTS[key.hexdigest()] = _store_facts(store)
    return _FILE_FACTS[key.hexdigest()]


def _fingerprint(directory: Path) -> dict[str, str]:
    """A store generation's files and their digests (RocksDB's LOCK and info LOG aside)."""
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(directory.iterdir())
            if path.name != "LOCK" and not path.name.startswith("LOG")}


def _set_state_code(project: Path, code: str) -> None:
    """Say the current generation was written by this code (an incremental build may start
    from it) or by another (the next build is full, as after an upgrade)."""
    graph = project / "graph"
    ident = current_id(graph)
    state = read_state(graph, ident) if ident else None
    if state is not None and state.code != code:
        path = store_folder(graph) / f"{ident}.state"
        path.write_bytes(pickle.dumps(replace(state, code=code), protocol=5))


def _leftovers(project: Path) -> str:
    """What a killed build left, to tell where it was killed."""
    folder = store_folder(project / "graph")
    staging = sorted(f"{p.name}/{'+'.join(sorted(c.name for c in p.iterdir()))}"
                     for p in folder.glob(".staging-*"))
    generations = [p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")]
    staged = list((project / CACHE_FOLDER / "graph" / "staged").glob("*"))
    return (f"staging={staging or '-'} staged={len(staged)} generations={len(generations)} "
            f"current={current_id(project / 'graph')}")


def _before(project: Path) -> tuple[str, dict[str, str]]:
    graph = project / "graph"
    ident = current_id(graph)
    assert ident is not None and current_store(_settings(project)) is not None
    return ident, _fingerprint(store_folder(graph) / ident)


def _check_after_kill(project: Path, previous: Version, new: Version,
                      before: tuple[str, dict[str, str]], log: list[str]) -> str:
    """The promise for graph/'s RDF files and the store, after one kill: which build
    graph/ now holds, 'previous' or 'new'."""
    context = f"seed {SEED}; so far:\n  " + "\n  ".join(log)
    directory = current_store(_settings(project))  # first, as the server looks: it may
    files = _graph_files(project)  # tidy up what a kill left
    if files not in (previous.files, new.files):
        which = {path: "previous" if data == previous.files.get(path) else
                 "new" if data == new.files.get(path) else f"other ({len(data)} bytes)"
                 for path, data in files.items()}
        missing = sorted((previous.files.keys() | new.files.keys()) - files.keys())
        raise AssertionError(f"graph/ holds neither the previous RDF files nor the new ones "
                             f"(the server loads every one): {which}, missing {missing}\n"
                             f"{context}")
    outcome = "previous" if files == previous.files else "new"
    assert directory is not None, (
        f"no store matches graph/ (it holds the {outcome} files; the pointer says "
        f"{current_id(project / 'graph')})\n{context}")
    ident, fingerprint = before
    if outcome == "previous":
        assert directory.name == ident, f"the previous store is no longer current\n{context}"
        assert _fingerprint(directory) == fingerprint, (
            f"the previous store generation {ident} was modified\n{context}")
    else:
        assert directory.name != ident, context
    store = open_store(directory)  # as the server opens it: read-only, checked
    try:
        assert _store_facts(store) == _file_facts(files), (
            f"the current store does not hold what graph/ holds\n{context}")
    finally:
        del store
    return outcome


def _dumps_problem(project: Path) -> str | None:
    """How graph/dumps/ disagrees with its manifest (what the server serves), if it does."""
    folder = project / "graph" / DUMPS
    manifest = folder / DUMPS_MANIFEST
    if not manifest.exists():
        return None
    problems = []
    for line in manifest.read_text("utf-8").splitlines():
        info = json.loads(line)
        path = folder / info["path"]
        data = path.read_bytes() if path.is_file() else None
        if data is None:
            problems.append(f"{info['path']} is missing")
        elif (len(data), hashlib.sha256(data).hexdigest()) != (info["bytes"], info["sha256"]):
            problems.append(f"{info['path']} is not the file the manifest describes "
                            f"({len(data)} bytes, manifest {info['bytes']})")
    return "; ".join(problems) or None


@pytest.fixture(scope="module")
def corpora(tmp_path_factory: pytest.TempPathFactory) -> Corpora:
    """Source sets A and B, built completely (B from scratch, A incrementally after it)."""
    folder = tmp_path_factory.mktemp("kill-corpus")
    write_corpus(PRODUCTS, 7, folder, forms=("pages",))
    pages = folder / "pages"
    scratch = _project(tmp_path_factory.mktemp("kill-scratch"), pages)
    touched = _change_sources(scratch)
    kept = sorted(set(_files(pages)) - set(touched))[0]  # a page in both sets
    _accept_a_mapping(scratch, kept)
    seconds = {"full": _complete_build(scratch)}  # no import cache: as the full rounds
    b = _version(scratch)
    _set_sources(scratch, Version(_files(pages), {}, {}, {}))
    seconds["incremental"] = _complete_build(scratch)
    a = _version(scratch)
    assert GRAPH_FILE in a.files and len(a.files) > 1  # the entries, the links
    assert all(a.files[path] != b.files[path] for path in a.files)  # each file changes
    assert b"Q186969" in b"".join(b.files.values())
    (_, levels_a), (_, levels_b) = _file_facts(a.files), _file_facts(b.files)
    assert levels_a.keys() != levels_b.keys()  # a product added, one gone
    assert any(levels_b.get(p, level) != level for p, level in levels_a.items())  # a level
    assert len(levels_a) >= PRODUCTS - 1 and all(levels_a.values())
    assert _dumps_problem(scratch) is None
    return Corpora(pages, {"A": a, "B": b}, seconds, scratch / CACHE_FOLDER)


def _new_project(folder: Path, corpora: Corpora, *options: str) -> Path:
    """A project with source set A and a warm import cache, built to completion."""
    project = _project(folder, corpora.pages)
    shutil.copytree(corpora.cache, project / CACHE_FOLDER)
    _complete_build(project, *options)
    assert _graph_files(project) == corpora.versions["A"].files
    return project


def _other(name: str) -> str:
    return "B" if name == "A" else "A"


def _kill_context(log: list[str]) -> str:
    return f"seed {SEED}:\n  " + "\n  ".join(log)


@dataclass
class Kills:
    """What was seen after the kills of one fixture; each test asserts on a part."""

    log: list[str]  # one line per kill
    broken: list[str]  # graph/'s RDF files or the store broke the promise
    dumps: list[str]  # graph/dumps/ did not match its manifest
    outcomes: dict[str, int]  # "previous"/"new": what graph/ held after a kill
    after: list[str]  # the server started after the kills, the build that followed: failures


def _after_a_kill(project: Path, corpora: Corpora, built: str, target: str,
                  before: tuple[str, dict[str, str]], dumps_before: str | None, kills: Kills,
                  repair: bool = True) -> str:
    """Check the promise after the kill just logged; the source set graph/ now holds (when
    it is broken, after a build that repairs it, if repair)."""
    try:
        outcome = _check_after_kill(project, corpora.versions[built],
                                    corpora.versions[target], before, kills.log)
    except AssertionError as error:
        kills.log[-1] += f" -> BROKEN: {str(error).splitlines()[0]}"
        kills.broken.append(kills.log[-1])
        if repair:
            _complete_build(project)  # the next build must repair it (or the fixture fails)
        return target
    problem = _dumps_problem(project)
    kills.log[-1] += f" -> {outcome}" + (f"; dumps: {problem}" if problem else "")
    if problem and problem != dumps_before:  # not left by an earlier kill
        kills.dumps.append(kills.log[-1])
    kills.outcomes[outcome] += 1
    return target if outcome == "new" else built


def _serve_and_build(project: Path, corpora: Corpora, target: str, cache: Path,
                     kills: Kills) -> None:
    """After the last kill: a server answers from the build's store and sends the dumps
    with their own checksums; then the next build succeeds and leaves the target set."""
    expected = _file_facts(_graph_files(project))
    with pytest.MonkeyPatch.context() as env:
        env.setenv("LACTGRAPH_PROJECT_DIR", str(project))
        server = LiveServer(cache, "--base", BASE, "--query-workers", "1")
    try:
        answer = requests.get(server.url + "sparql", params={"query": LEVELS}, timeout=60,
                              headers={"Accept": "application/sparql-results+json"})
        served = ({row["product"]["value"]: row.get("level", {}).get("value")
                   for row in answer.json()["results"]["bindings"]} if answer.ok else None)
        if served != expected[1]:
            kills.after.append(f"the server answered {answer.status_code}, not the levels of "
                               f"graph/: {answer.text[:300]}")
        if list(cache.glob("store-*")):
            kills.after.append("the server loaded graph/ into a store of its own")
        for name in _dump_files(project):  # a dump's ETag is the SHA-256 of what is sent
            if name != DUMPS_MANIFEST:
                sent = requests.get(f"{server.url}{DUMPS}/{name}", timeout=60)
                if sent.ok and (sent.headers.get("ETag", "").strip('"')
                                != hashlib.sha256(sent.content).hexdigest()):
                    kills.dumps.append(f"the server then sent {DUMPS}/{name} with the ETag "
                                       "of another file")
    finally:
        server.stop()

    _complete_build(project)
    version = corpora.versions[target]
    directory = current_store(_settings(project))
    if _graph_files(project) != version.files:
        kills.after.append("the next build did not leave the new graph files")
    if _dump_files(project) != version.dumps:
        kills.after.append("the next build did not leave the new dumps")
    if directory is None:
        kills.after.append("the next build left no store matching graph/")
    elif _store_facts(open_store(directory)) != _file_facts(version.files):
        kills.after.append("the next build left a store that does not hold graph/")


@pytest.fixture(scope="module")
def random_kills(corpora, tmp_path_factory) -> Kills:
    """Builds killed at random moments, alternately incremental and full, one project."""
    folder = tmp_path_factory.mktemp("random-kills")
    project = _new_project(folder / "project", corpora)
    rng = random.Random(SEED)
    kills = Kills([], [], [], {"previous": 0, "new": 0}, [])
    aside = folder / "import-cache"
    built = target = "A"  # the source set graph/ was last completely built from; the next
    for number in range(ROUNDS):
        kind = "full" if number % 2 else "incremental"
        target = _other(built)
        _set_sources(project, corpora.versions[target])
        if kind == "full":  # everything imported again, and no incremental build
            shutil.rmtree(aside, ignore_errors=True)
            if (project / CACHE_FOLDER).exists():
                shutil.move(project / CACHE_FOLDER, aside)
            _set_state_code(project, "another version")
        else:
            _set_state_code(project, code_version())
        delay = rng.uniform(0, corpora.seconds[kind])
        before, dumps_before = _before(project), _dumps_problem(project)
        code, errors = _killed_build(project, delay)
        kills.log.append(f"{number}: {kind} {built}->{target}, killed after {delay:.3f}s "
                         f"(a whole build: {corpora.seconds[kind]:.3f}s), exit {code}: "
                         f"{_leftovers(project)}")
        assert code in (0, -signal.SIGKILL), f"the build failed:\n{errors}\n" + _kill_context(
            kills.log)
        now = _after_a_kill(project, corpora, built, target, before, dumps_before, kills)
        if kind == "full" and now == built and aside.exists():  # back to the import cache of
            shutil.rmtree(project / CACHE_FOLDER, ignore_errors=True)  # the previous build:
            shutil.move(aside, project / CACHE_FOLDER)  # the next round can be incremental
        built = now
    print(_kill_context(kills.log))
    _serve_and_build(project, corpora, target, folder / "server-cache", kills)
    return kills


def test_builds_killed_at_random_moments_leave_graph_and_a_store_that_matches_it(
        random_kills):
    assert not random_kills.broken, ("after these kills graph/ or its store broke the "
                                     "promise:\n  " + "\n  ".join(random_kills.broken)
                                     + "\n" + _kill_context(random_kills.log))
    assert random_kills.outcomes["previous"] > 0, _kill_context(random_kills.log)


def test_after_random_kills_a_server_answers_from_the_store_and_the_next_build_succeeds(
        random_kills):
    assert not random_kills.after, "\n".join(random_kills.after)


def test_builds_killed_at_random_moments_leave_dumps_that_match_their_manifest(random_kills):
    """The server sends a dump with its manifest's SHA-256 as strong ETag, and lists the
    manifest's sizes and checksums in the DCAT catalogue."""
    assert not random_kills.dumps, (
        "after these kills graph/dumps/ did not match its manifest:\n  "
        + "\n  ".join(random_kills.dumps) + "\n" + _kill_context(random_kills.log))


@pytest.fixture(scope="module")
def step_kills(corpora, tmp_path_factory) -> Kills:
    """Builds killed just before each step of the switch (the builds around them skip the
    dumps: quick), then just before the dumps' manifest is written (after the dumps)."""
    project = _new_project(tmp_path_factory.mktemp("step-kills") / "project", corpora,
                           "--no-dumps")
    _set_sources(project, corpora.versions["B"])
    traced = _stepped_build(project, -1)
    assert traced.returncode == 0, traced.stderr
    assert _graph_files(project) == corpora.versions["B"].files
    steps = [line.removeprefix("STEP ") for line in traced.stderr.splitlines()
             if line.startswith("STEP ")]
    dumps_start = next((i for i, step in enumerate(steps) if step.endswith(".gz")), len(steps))
    assert any(step.endswith(GRAPH_FILE) for step in steps[:dumps_start]), steps
    assert steps[-1].endswith(DUMPS_MANIFEST), steps
    kills = Kills([], [], [], {"previous": 0, "new": 0}, [])
    built = "B"
    for number in [*range(dumps_start), len(steps) - 1]:
        target = _other(built)
        _set_sources(project, corpora.versions[target])
        before, dumps_before = _before(project), _dumps_problem(project)
        if number >= dumps_start:  # the dumps there are those of the previous build
            assert _dump_files(project) == corpora.versions[built].dumps
        killed = _stepped_build(project, number)
        assert killed.returncode == -signal.SIGKILL, killed.stderr
        kills.log.append(f"killed before step {number} ({steps[number]}): "
                         f"{_leftovers(project)}")
        _after_a_kill(project, corpora, built, target, before, dumps_before, kills,
                      repair=False)
        # the next build succeeds, whatever was left (and writes the dumps the kill before
        # the dumps' manifest finds)
        _complete_build(project, *(() if number >= dumps_start - 1 else ("--no-dumps",)))
        assert _graph_files(project) == corpora.versions[target].files, kills.log
        assert current_store(_settings(project)) is not None, kills.log
        built = target
    assert _dump_files(project) == corpora.versions[built].dumps
    return kills


def test_a_build_killed_before_any_step_of_the_switch_leaves_graph_and_a_matching_store(
        step_kills):
    assert not step_kills.broken, ("after a kill before these steps, graph/ or its store "
                                   "broke the promise:\n  " + "\n  ".join(step_kills.broken)
                                   + "\nall kills:\n  " + "\n  ".join(step_kills.log))


def test_a_build_killed_while_writing_the_dumps_leaves_dumps_that_match_their_manifest(
        step_kills):
    assert not step_kills.dumps, ("after a kill before these steps graph/dumps/ did not "
                                  "match its manifest:\n  " + "\n  ".join(step_kills.dumps))
