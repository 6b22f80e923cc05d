"""The persistent Oxigraph store beside `graph/`, kept in generations switched atomically.

Each successful build leaves, in `graph/store/`:

    <id>/            the Oxigraph store (RocksDB): graph/ and the ontology and shapes in the
                     named graphs `lactgraph serve` uses (`store_sources`)
    <id>.manifest    what it was built from: base IRI, each file's size, time and inode
    <id>.state       what the next build needs to be incremental (entries, stubs, findings)
    <id>.search      the name index of the store (`search_index`), opened by the web workers
    current          the id of the current generation (replaced atomically)
    switching        while a build switches: its renames, for finishing them after a kill
    .trash/          what the last switch replaced (old generations, the graph files it
                     replaced, by hard link): removed by the next build, beside its work

A build prepares a new generation in a staging folder and renames it into place, writes
down the switch (`switching`), replaces the files of graph/, then `current`. A build killed
before the record leaves the previous graph and store; one killed after it leaves a switch
that the next build or starting server finishes (`finish_switch`), so graph/ never mixes
two builds. A store is only ever served when its manifest matches the files in graph/
(`current_store`). The current and the previous generations are kept, and any other that
a running server holds (`hold`): a server serves the build it started on until it is
restarted, however many builds come meanwhile. No file here has an RDF suffix: the server
loads every RDF file under graph/.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import pickle
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .config import Settings
from .iris import IriScheme
from .merge import Merge
from .rdfio import rdf_paths, write_atomically
from .validate import Finding, Report

if TYPE_CHECKING:
    from .shacl_sparql import StoreValidator

STORE_FOLDER = "store"
POINTER = "current"
PENDING = "switching"  # a switch written down before its renames (see commit)
SEARCH_SUFFIX = ".search"
TRASH = ".trash"

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
    files: dict[str, list[str]] = field(default_factory=dict)  # source key -> its eids
    merge: Merge | None = None  # what the merge decided (the next one starts from it)
    cache: str = ""  # the token of the import cache the build read
    # the shapes as the build compiled them to SPARQL (valid while the code, the shapes and
    # the ontology are those of the build, as for an incremental build from this state)
    validator: StoreValidator | None = None


def store_sources(settings: Settings, iris: IriScheme) -> list[Source]:
    """The graph's files, each in `<base>graph/<name>`, then the ontology and the shapes in
    graphs named by their own IRIs (so `GRAPH ?g` tells data from vocabulary): the one
    definition of a store's layout, for builds and servers alike."""
    data = [(path, f"{iris.base}graph/{path.stem}") for path in rdf_paths([settings.graph_path])]
    return [*data, (settings.ontology_path, iris.ontology), (settings.shapes_path, iris.shapes)]


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
    graph_dir = settings.graph_path
    with contextlib.suppress(OSError):  # a read-only graph/ cannot be repaired: not used
        finish_switch(graph_dir)
    ident = current_id(graph_dir)
    if ident is None:
        return None
    sources = store_sources(settings, IriScheme(settings.base))
    if not matches(read_manifest(graph_dir, ident), sources, settings.base):
        return None
    directory = store_folder(graph_dir) / ident
    return directory if directory.is_dir() else None


def hold(store_dir: Path) -> None:
    """Keep builds from removing this generation while this process lives: a shared lock
    on its manifest (read-only: the server may not own graph/). A server opened on a
    generation that two builds later were removed answered 500 to every request that read
    the store, /healthz still 200."""
    try:
        manifest = os.open(store_dir.with_name(f"{store_dir.name}.manifest"), os.O_RDONLY)
    except FileNotFoundError:  # removed meanwhile: opening the store says so
        return
    fcntl.flock(manifest, fcntl.LOCK_SH)
    _HELD.append(manifest)  # never closed: closing would let the lock go


_HELD: list[int] = []


def _held(folder: Path, ident: str) -> bool:
    """Whether a running server holds the generation (`hold`)."""
    try:
        manifest = os.open(folder / f"{ident}.manifest", os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(manifest, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(manifest)  # and with it the lock just taken
    return False


@contextmanager
def build_lock(folder: Path) -> Iterator[None]:
    """One build at a time per work folder (a second one waits). The lock lives in the
    build's own work folder, so that a failed build leaves nothing in graph/."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def staging_folder(graph_dir: Path) -> Path:
    """A new empty folder for the next generation (stale ones of killed builds go)."""
    folder = store_folder(graph_dir)
    folder.mkdir(parents=True, exist_ok=True)
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


def search_index_of(store_dir: Path) -> Path:
    """The name index file of a generation's store."""
    return store_dir.with_name(store_dir.name + SEARCH_SUFFIX)


def commit(graph_dir: Path, staged_store: Path, state: BuildState, manifest: dict,
           files: dict[Path, Path], search_index: Path) -> str:
    """Switch to the new generation: store, state and manifest in place; then, once the
    switch is written down (`PENDING`), the graph files (target -> staged file) and the
    pointer. A build killed among those renames leaves the record, and whoever comes next
    (a build, a starting server) finishes the switch (`finish_switch`): graph/ is never a
    mix of two builds. Generations other than the new and the previous one are removed."""
    folder = store_folder(graph_dir)
    ident = f"{time.time_ns():x}"
    previous = current_id(graph_dir)
    os.rename(staged_store, folder / ident)
    os.rename(search_index, search_index_of(folder / ident))
    write_atomically(folder / f"{ident}.state", pickle.dumps(state, protocol=5))
    write_atomically(folder / f"{ident}.manifest",
                     (json.dumps(manifest, indent=1) + "\n").encode("utf-8"))
    switch = {"ident": ident, "files": [[str(staged.resolve()), str(target.resolve())]
                                        for target, staged in files.items()]}
    write_atomically(folder / PENDING, json.dumps(switch).encode("utf-8"))
    finish_switch(graph_dir)
    _remove_old(folder, keep={ident, previous})
    return ident


def finish_switch(graph_dir: Path) -> None:
    """Complete a switch a build wrote down and may not have finished: rename the staged
    files still there over their targets, move the pointer, drop the record. Safe to run
    twice or in two processes at once (each step is a rename or an atomic write)."""
    folder = store_folder(graph_dir)
    try:
        switch = json.loads((folder / PENDING).read_text("utf-8"))
    except FileNotFoundError:
        return
    for staged, target in switch["files"]:
        if os.path.exists(staged):  # else renamed already
            _set_aside(folder, Path(target), link=True)
            with contextlib.suppress(FileNotFoundError):  # by another process meanwhile
                os.replace(staged, target)
    write_atomically(folder / POINTER, (switch["ident"] + "\n").encode("utf-8"))
    with contextlib.suppress(FileNotFoundError):
        (folder / PENDING).unlink()


def _remove_old(folder: Path, keep: set[str | None]) -> None:
    """Set aside every generation but those kept (the new one, the previous one, which a
    server may be opening) and those a running server holds, including any a killed build
    left unswitched."""
    for old in folder.iterdir():
        if (old.is_dir() and not old.name.startswith(".") and old.name not in keep
                and not _held(folder, old.name)):
            _set_aside(folder, old)
            for suffix in (".state", ".manifest", SEARCH_SUFFIX):
                _set_aside(folder, folder / f"{old.name}{suffix}")


def _set_aside(folder: Path, path: Path, link: bool = False) -> None:
    """Move a file or folder into the trash (link: a hard link to a file about to be
    replaced, so that the replacing rename frees nothing). Freeing a large file is not
    free: the 780 MB Turtle file of 50,000 products took 0.5-0.8 s to delete here (ext4,
    mounted with discard). Where that fails, the file is freed where it was, as before.
    Names in the trash end in no RDF suffix: a server loads every RDF file under graph/."""
    trash = folder / TRASH
    aside = trash / f"{time.time_ns():x}-{path.name}.old"
    try:
        trash.mkdir(exist_ok=True)
        if link:
            os.link(path, aside)
        else:
            os.rename(path, aside)
    except FileNotFoundError:
        return
    except OSError:
        if not link:
            _remove(path)


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


@contextmanager
def trash_emptied(graph_dir: Path) -> Iterator[None]:
    """Remove what the last build set aside (`_set_aside`) in a thread while the block
    runs (a build: under its lock), and wait for it at the end: deleting waits on the
    disk, not on the interpreter, so it costs the build nothing it would notice."""
    trash = store_folder(graph_dir) / TRASH
    doomed = sorted(trash.iterdir()) if trash.is_dir() else []
    remover = threading.Thread(target=lambda: [_remove(path) for path in doomed],
                               name="lactgraph-trash", daemon=True)
    remover.start()
    try:
        yield
    finally:
        remover.join()
