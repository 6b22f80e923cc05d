"""The embedded store: Oxigraph on disk, opened read-only so that web workers share it.

`lactgraph serve` loads `graph/` (plus the ontology and shapes) once into a store
directory keyed by the content of those files, then every process opens that
directory read-only. Each input file is a named graph; queries see their union as the
default graph.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph
from rdflib.term import Node

from ..errors import LactgraphError
from ..rdfio import DATASET_FORMATS, RDF_SUFFIXES, make_readable, refuse_doctype, to_rdflib
from . import FAST_STORE, Store

# A file to load and the named graph it goes into (None: the file names its graphs).
Source = tuple[Path, str | None]


def _fingerprint(sources: list[Source], base: str) -> str:
    """`<files>-<content>`: a digest of the base IRI and the files' paths and graphs, then
    one of their content as well (versions of the same files share the first part)."""
    files = hashlib.sha256(base.encode())
    for path, graph in sources:
        files.update(f"{path.resolve()}\0{graph}\0".encode())
    content = files.copy()
    for path, _ in sources:
        with path.open("rb") as file:  # in chunks: a graph file can be gigabytes
            content.update(hashlib.file_digest(file, "sha256").digest())
    return f"{files.hexdigest()[:12]}-{content.hexdigest()[:20]}"


_CACHED = re.compile(r"(store-[0-9a-f]{12})-[0-9a-f]{20}")


def stable_name(directory: Path) -> str:
    """What names a store across its versions: for a store `cached_store` made, the cache
    folder and the files it holds (each version of them gets a folder of its own); for
    any other, its path."""
    cached = _CACHED.fullmatch(directory.name)
    if cached is None:
        return str(directory.resolve())
    return str(directory.parent.resolve() / cached[1])


def load_store(sources: list[Source], directory: Path,
               complete: Callable[[ox.Store], None] | None = None,
               beside_compaction: Callable[[ox.Store], None] | None = None) -> None:
    """Load files into a new store at directory, atomically (a temp dir, then rename).

    complete(store) adds to the loaded store what the files imply (a build's links and
    statistics), before it is compacted; beside_compaction(store) reads it while it is
    compacted, in this thread: Oxigraph compacts on one thread, the GIL released, so that
    work on the other core costs no time.
    """
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".loading-{os.getpid()}-", dir=directory.parent))
    make_readable(staging)  # it becomes the store: another user's server opens it
    try:
        store = ox.Store(str(staging))
        for path, graph in sources:
            refuse_doctype(path)
            rdf_format = RDF_SUFFIXES[path.suffix]
            target = None if rdf_format in DATASET_FORMATS else ox.NamedNode(graph)
            try:
                store.bulk_load(path=str(path), format=rdf_format, to_graph=target)
            except SyntaxError as error:
                raise LactgraphError(f"{path}: {error}") from None
        store.flush()
        if complete is not None:
            complete(store)
            store.flush()
        _compact(store, beside_compaction)
        del store
        try:
            os.rename(staging, directory)
        except OSError:
            if not directory.exists():  # another process won the race: keep its copy
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _compact(store: ox.Store, beside: Callable[[ox.Store], None] | None) -> None:
    """Compact the store (every query after it pays less), running `beside` meanwhile."""
    if beside is None:
        store.optimize()
        return
    with ThreadPoolExecutor(1) as compaction:  # leaving waits for it, even after an error
        compacted = compaction.submit(store.optimize)
        beside(store)
    compacted.result()


def publish_turtle(store: ox.Store, graph: str, text: str, staged: Path) -> None:
    """A file of graph/ made by the build (its Turtle text): written to staged, and put in
    the store's graph for it in place of what that graph held."""
    staged.write_text(text, "utf-8", newline="\n")
    name = ox.NamedNode(graph)
    store.clear_graph(name)
    store.load(text.encode("utf-8"), format=ox.RdfFormat.TURTLE, to_graph=name)


def cached_store(sources: list[Source], cache_dir: Path, base: str) -> Path:
    """A store directory holding exactly these files, loading it only when they changed.

    A cached store that no longer opens (a disk error, a file deleted by hand) is set
    aside and loaded again, since its sources are at hand; staging folders of loads that
    were killed are removed.
    """
    directory = cache_dir / f"store-{_fingerprint(sources, base)}"
    _remove_dead_staging(cache_dir)
    if directory.exists():
        try:
            open_store(directory)
        except StoreUnusable:
            _remove(directory)
    if not directory.exists():
        load_store(sources, directory)
        for older in _older_versions(directory)[1:]:
            _remove(older)
    return directory


def _older_versions(directory: Path) -> list[Path]:
    """The cached stores of other versions of the same files, the newest first. Each is a
    whole graph loaded (several GB at 50,000 products): all but the newest go once a new
    version is loaded, that one kept for a server that has not restarted yet."""
    files = directory.name.rpartition("-")[0]
    return newest_first(path for path in directory.parent.glob(f"{files}-*")
                        if path != directory)


def newest_first(paths: Iterable[Path]) -> list[Path]:
    """The paths by time of last change, the newest first (one another process removed
    meanwhile counts as the oldest)."""
    def age(path: Path) -> float:
        try:
            return path.stat().st_mtime
        except FileNotFoundError:
            return 0.0

    return sorted(paths, key=age, reverse=True)


class StoreUnusable(LactgraphError):
    """A store directory that does not open as an Oxigraph store, or holds no graph."""


GIVEN_STORE = "rebuild it with `lactgraph build` and serve graph/ without --store"
BUILT_STORE = "run `lactgraph build`: it replaces a damaged store"


def open_store(directory: Path, rebuild: str = GIVEN_STORE) -> ox.Store:
    """The store at directory, read-only, checked at start so that a broken one is one
    clear error and never a page of tracebacks later (RocksDB finds a missing, truncated
    or garbled file when it opens; an empty store is a load that never finished).
    rebuild: what the message tells the user to do."""
    if not directory.is_dir():
        raise StoreUnusable(f"{directory}: not an Oxigraph store (no such folder); {rebuild}")
    try:
        store = ox.Store.read_only(str(directory))
        empty = not store.query("ASK { GRAPH ?g { ?s ?p ?o } }")
    except (OSError, RuntimeError) as error:  # RocksDB reports corruption as RuntimeError
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise StoreUnusable(f"{directory}: not an Oxigraph store ({reason}); {rebuild}") from None
    if empty:
        raise StoreUnusable(f"{directory}: not an Oxigraph store with data (it holds no "
                            f"graph); {rebuild}")
    return store


def _remove(directory: Path) -> None:
    """Remove a store (renamed first, so that only one process removes it)."""
    aside = directory.with_name(f".removing-{os.getpid()}-{directory.name}")
    try:
        os.rename(directory, aside)
    except FileNotFoundError:  # another process set it aside first
        return
    shutil.rmtree(aside, ignore_errors=True)


def _remove_dead_staging(cache_dir: Path) -> None:
    """Remove `.loading-<pid>-*` and `.removing-<pid>-*` folders whose process is gone
    (killed while loading or removing a store)."""
    for staging in [*cache_dir.glob(".loading-*-*"), *cache_dir.glob(".removing-*-*")]:
        pid = staging.name.split("-")[1]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(staging, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, but someone else's
        pass
    return True


class OxigraphStore(Store):
    """A read-only Oxigraph store on disk."""

    def __init__(self, directory: Path, rebuild: str = GIVEN_STORE) -> None:
        self.store = open_store(directory, rebuild)
        self.directory = directory
        self._version = directory.name

    def _query(self, query: str):
        return self.store.query(query, use_default_graph_as_union=True)

    def select(self, query: str) -> list[dict[str, Node]]:
        solutions = self._query(query)
        names = [v.value for v in solutions.variables]
        rows = []
        for solution in solutions:
            row = {}
            for name in names:
                value = solution[name]
                if value is not None:
                    row[name] = to_rdflib(value)
            rows.append(row)
        return rows

    def construct(self, query: str) -> Graph:
        graph = Graph(store=FAST_STORE)
        term = cache(to_rdflib)  # an answer repeats its subjects and predicates: once each
        for triple in self._query(query):
            graph.add((term(triple.subject), term(triple.predicate), term(triple.object)))
        return graph

    def ask(self, query: str) -> bool:
        return bool(self._query(query))

    def named_graphs(self) -> list[str]:
        return sorted(graph.value for graph in self.store.named_graphs())

    def version(self) -> str:
        return self._version

    def modified(self) -> datetime:
        stamp = self.directory.stat().st_mtime
        return datetime.fromtimestamp(int(stamp), tz=UTC)
