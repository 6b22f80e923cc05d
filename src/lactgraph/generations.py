"""The persistent Oxigraph store beside `graph/`, kept in generations switched atomically.

Each successful build leaves, in `graph/store/`:

    <id>/            the Oxigraph store (RocksDB): graph/ and the ontology and shapes in the
                     named graphs `lactgraph serve` uses (`web.context.store_sources`)
    <id>.manifest    what it was built from: base IRI, each file's size, time and inode
    <id>.state       what the next build needs to be incremental (entries, stubs, findings)
    current          the id of the current generation (replaced atomically)

A build prepares a new generation in a staging folder, renames it into place, replaces
`graph/lactgraph.ttl`, then switches `current`: a build killed at any point leaves the
previous graph and the previous store, and a store is only ever served when its manifest
matches the files in graph/ (`current_store`), so a half-switched pair is never used. The
two newest generations are kept, so that a server opened on the previous one keeps working
while a new build runs. No file here has an RDF suffix: the server loads every RDF file
under graph/.
"""

from __future__ import annotations

import fcntl
import json
import os
import pickle
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .config import Settings
from .iris import IriScheme
from .rdfio import write_atomically
from .validate import Finding, Report

STORE_FOLDER = "store"
POINTER = "current"
KEEP = 2

Source = tuple[Path, str]
Findings = list[tuple[str, Finding]] | None  # (focus IRI, finding); None: not by focus


@dataclass
class BuildState:
    """What an incremental build needs to know about the build that made a generation."""

    base: str
    code: str  # buildcache.code_version() of the code that wrote graph/
    products: dict[str, str]  # product IRI -> eid of its entry
    stubs: dict[str, str]  # product IRI -> region of a product known only by mention
    report: Report
    findings: Findings = field(default=None)


def stamp(path: Path) -> list[int]:
    """What tells a file changed without reading it: size, time and inode (a file
    replaced by another, as builds and checkouts do, gets a new inode)."""
    info = path.stat()
    return [info.st_size, info.st_mtime_ns, info.st_ino]


def store_folder(graph_dir: Path) -> Path:
    return graph_dir / STORE_FOLDER


def current_id(graph_dir: Path) -> str | None:
    pointer = store_folder(graph_dir) / POINTER
    try:
        return pointer.read_text("utf-8").strip() or None
    except FileNotFoundError:
        return None


def read_manifest(graph_dir: Path, ident: str) -> dict | None:
    try:
        return json.loads((store_folder(graph_dir) / f"{ident}.manifest").read_text("utf-8"))
    except (FileNotFoundError, ValueError):
        return None


def read_state(graph_dir: Path, ident: str) -> BuildState | None:
    try:
        with (store_folder(graph_dir) / f"{ident}.state").open("rb") as file:
            return pickle.load(file)
    except (FileNotFoundError, pickle.UnpicklingError, EOFError, AttributeError):
        return None


def manifest_of(sources: list[Source], base: str, files: dict[Path, Path] | None = None
                ) -> dict:
    """The manifest of a store loaded from sources; `files` maps a final path to the
    staged file standing in for it (same content, same inode once renamed)."""
    files = files or {}
    return {"base": base,
            "files": [[str(path.resolve()), graph, stamp(files.get(path, path))]
                      for path, graph in sources]}


def matches(manifest: dict | None, sources: list[Source], base: str) -> bool:
    """True when the files are the ones the store was loaded from, unchanged."""
    if manifest is None or manifest.get("base") != base:
        return False
    try:
        return manifest["files"] == manifest_of(sources, base)["files"]
    except FileNotFoundError:
        return False


def current_store(settings: Settings) -> Path | None:
    """The store the last build left beside graph/, when it is up to date with graph/, the
    ontology and the shapes (`lactgraph serve` opens it read-only: no parsing, ~0.1 s);
    None when there is none or it is stale."""
    from .web.context import store_sources  # the one definition of the store's layout

    graph_dir = settings.graph_path
    ident = current_id(graph_dir)
    if ident is None:
        return None
    sources = store_sources(settings, IriScheme(settings.base))
    if not matches(read_manifest(graph_dir, ident), sources, settings.base):
        return None
    directory = store_folder(graph_dir) / ident
    return directory if directory.is_dir() else None


@contextmanager
def build_lock(graph_dir: Path) -> Iterator[None]:
    """One build at a time per graph folder (a second one waits)."""
    folder = store_folder(graph_dir)
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def staging_folder(graph_dir: Path) -> Path:
    """A new empty folder for the next generation (stale ones of killed builds go)."""
    folder = store_folder(graph_dir)
    for stale in folder.glob(".staging-*"):
        shutil.rmtree(stale, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=".staging-", dir=folder))


def clone_store(source: Path, target: Path) -> None:
    """A copy of a closed store to modify: table files (immutable) are hard-linked, the
    rest copied, so that the source generation is never written to."""
    target.mkdir(parents=True)
    for path in source.iterdir():
        if path.name == "LOCK" or path.name.startswith("LOG"):
            continue
        if path.suffix == ".sst":
            try:
                os.link(path, target / path.name)
                continue
            except OSError:
                pass
        shutil.copy2(path, target / path.name)


def commit(graph_dir: Path, staged_store: Path, state: BuildState, manifest: dict,
           files: dict[Path, Path]) -> str:
    """Switch to the new generation: store, state and manifest in place, then the graph
    files (target -> staged file), then the pointer; older generations beyond the newest
    KEEP are removed."""
    folder = store_folder(graph_dir)
    ident = f"{time.time_ns():x}"
    os.rename(staged_store, folder / ident)
    write_atomically(folder / f"{ident}.state", pickle.dumps(state, protocol=5))
    write_atomically(folder / f"{ident}.manifest",
                     (json.dumps(manifest, indent=1) + "\n").encode("utf-8"))
    for target, staged in files.items():
        os.replace(staged, target)
    write_atomically(folder / POINTER, (ident + "\n").encode("utf-8"))
    _remove_old(folder, keep={ident})
    return ident


def _remove_old(folder: Path, keep: set[str]) -> None:
    generations = sorted((p for p in folder.iterdir() if p.is_dir()
                          and not p.name.startswith(".")), key=lambda p: p.name)
    for old in generations[:-KEEP]:
        if old.name in keep:
            continue
        shutil.rmtree(old, ignore_errors=True)
        for suffix in (".state", ".manifest"):
            (folder / f"{old.name}{suffix}").unlink(missing_ok=True)
