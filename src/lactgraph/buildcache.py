"""The build's import cache: each source file's entries, rendered once, on disk (SQLite).

A source file is identified by a *key*: the digest of its content, its path as given
(the path is written into the graph as `lg:importedFrom`), the base IRI and the version of
the code that renders it. A build imports only the files whose key it has not seen, and
reads everything else from here. Entries are stored by content digest (`eid`), so a file
whose changed bytes leave an entry as it was leaves that entry's `eid` as it was, and an
incremental build sees exactly which entries changed.

SQLite because the shared blocks must come back sorted by subject in bounded memory (a
clustered table read in key order) and because a killed build must leave the cache
consistent (transactions). The file lives in `.lactgraph-cache/` beside `graph/`: not
published, safe to delete (the next build re-imports everything).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .entries import SHARED, ImportedFile
from .errors import SourceError
from .merge import EntryFacts

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS stat (path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER,
                                 checked_ns INTEGER, digest TEXT);
CREATE TABLE IF NOT EXISTS source (key TEXT PRIMARY KEY, path TEXT, errors BLOB);
CREATE TABLE IF NOT EXISTS entry (key TEXT, position INTEGER, eid TEXT,
                                  PRIMARY KEY (key, position)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS content (eid TEXT PRIMARY KEY, facts BLOB, owned TEXT);
CREATE TABLE IF NOT EXISTS shared (subject TEXT, eid TEXT, kind INTEGER, pairs TEXT,
                                   PRIMARY KEY (subject, eid)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS shared_by_entry ON shared (eid);
CREATE TABLE IF NOT EXISTS mention (slug TEXT, eid TEXT, PRIMARY KEY (slug, eid)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS mention_by_entry ON mention (eid);
"""
_ADDING_CACHE_KIB = 256 * 1024  # SQLite's page cache while imported files are stored
_RACY_NS = 2_000_000_000  # a file changed this close to its hashing is hashed again
_STAT_PROBE, _SLOW_STAT, _STAT_THREADS = 500, 25e-6, 8  # see _stats
_PACKAGE = Path(__file__).resolve().parent
# The code whose output the import cache holds (rendered entries and their merge facts):
# a change to any of it makes the next build import every source again.
IMPORT_CODE = (
    "sources", "data", "records.py", "readers.py", "merge.py", "iris.py", "vocab.py",
    "link/prefixes.py", "link/targets.py", "to_rdf.py", "turtle.py", "entries.py",
    "buildcache.py", "text.py", "countries.py",
)
# ... and the code whose output a generation's state holds (the merge, the Turtle, the
# store, the findings): a change to any of it makes the next build a full one, from the
# cache. A module the build comes to import must be listed (tests/test_build.py checks
# both lists).
BUILD_CODE = (
    *IMPORT_CODE, "link/publish.py", "link/sssom.py", "link/subjects.py", "links.py",
    "dumps.py", "jsonld_context.py", "assemble.py", "blockfile.py", "publication.py",
    "generations.py", "shacl_sparql.py", "validate.py", "rdfio.py", "store/oxigraph.py",
    "build.py", "search_index.py", "statistics_file.py", "source_merge.py", "list_shape.py",
)


def _digest(names: tuple[str, ...]) -> str:
    digest = hashlib.sha256()
    for name in names:
        root = _PACKAGE / name
        for path in sorted(root.rglob("*")) if root.is_dir() else [root]:
            if path.suffix in {".py", ".json"}:
                digest.update(str(path.relative_to(_PACKAGE)).encode() + b"\0")
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@cache
def import_version() -> str:
    """A digest of the code that reads and renders entries (the import cache's key)."""
    return _digest(IMPORT_CODE)


@cache
def code_version() -> str:
    """A digest of the code that reads, renders, merges and validates entries (not of the
    rest of the package: a change to the web layer leaves the cache and the state as they
    are)."""
    return _digest(BUILD_CODE)


def file_digest(path: Path) -> str:
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


@dataclass(frozen=True)
class CachedFile:
    key: str
    path: str
    eids: list[str]  # in the file's order
    errors: list[SourceError]


class ImportCache:
    """One SQLite file of imported sources; one build uses it at a time."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = self._open(path)
        version = self.db.execute("SELECT value FROM meta WHERE name='version'").fetchone()
        if version is None or version[0] != import_version():
            self.db.close()  # made by other code: start afresh (faster than deleting rows)
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            self.db = self._open(path)
            self.db.execute("INSERT INTO meta VALUES ('version', ?)", (import_version(),))
            self.db.execute("INSERT INTO meta VALUES ('token', ?)", (secrets.token_hex(8),))
        # A build's state names the cache it read (a new cache file: a new token), since
        # an incremental build takes the sources of the last build to be in it.
        self.token = self.db.execute("SELECT value FROM meta WHERE name='token'").fetchone()[0]
        self._live: dict[str, str] = {}  # set_live()

    @staticmethod
    def _open(path: Path) -> sqlite3.Connection:
        db = sqlite3.connect(path, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.executescript(_SCHEMA)
        return db

    def close(self) -> None:
        self.db.close()

    def transaction(self) -> sqlite3.Connection:
        """`with cache.transaction():` commits on success, rolls back on error."""
        self.db.execute("BEGIN")
        return _Transaction(self.db)

    # --- keys ---------------------------------------------------------------------------

    def keys(self, paths: Sequence[str], base: str) -> list[str]:
        """The key of each file: its content digest is taken from the last hashing when
        the file's size and time say it did not change since (and not racily close)."""
        known = {row[0]: row[1:] for row in self.db.execute(
            "SELECT path, size, mtime_ns, checked_ns, digest FROM stat")}
        keys, hashed = [], []
        now = time.time_ns()
        for path, info in zip(paths, _stats(paths), strict=True):
            size, mtime, checked, digest = known.get(path, (None, None, 0, None))
            if (size, mtime) != (info.st_size, info.st_mtime_ns) or (
                    info.st_mtime_ns >= checked - _RACY_NS):
                digest = file_digest(Path(path))
                hashed.append((path, info.st_size, info.st_mtime_ns, now, digest))
            keys.append(source_key(path, digest, base))
        with self.transaction():
            self.db.executemany("INSERT OR REPLACE INTO stat VALUES (?, ?, ?, ?, ?)", hashed)
        return keys

    def known(self, keys: Iterable[str]) -> set[str]:
        """The keys the cache holds (read whole: each build prunes the cache to its own
        sources, so it holds about as many as are asked)."""
        return set(keys).intersection(k for (k,) in self.db.execute("SELECT key FROM source"))

    # --- writing ------------------------------------------------------------------------

    def add(self, imported: Iterable[ImportedFile], batch: int = 2048,
            done: Callable[[], object] | None = None) -> None:
        """Store imported files, a transaction per batch of files (a killed build keeps
        the batches it finished: each holds whole files). Each commit writes every page
        its inserts touched, and the keys land all over the indexes, so that the writes
        grow with the file: 20,000 files in batches of 256 wrote 9.8 GB for a file of
        663 MB in 59 s of the building process's time; in batches of 2,048, 4.1-4.3 GB
        in 33-34 s (8,192: 2.2 GB, 26 s, but more work lost when a build is killed).

        An entry's ~30 shared rows land all over two indexes: with SQLite's default 2 MB
        of page cache each landed on a page read again (1.7M rows, 10x a 5k corpus: 93
        -> 69 s of the building process's time, beside the importers), so the cache is
        large while adding, and given back after (the store's load comes next)."""
        default = self.db.execute("PRAGMA cache_size").fetchone()[0]
        self.db.execute(f"PRAGMA cache_size=-{_ADDING_CACHE_KIB}")
        try:
            self._add_batches(iter(imported), batch, done)
        finally:
            self.db.execute(f"PRAGMA cache_size={default}")
            self.db.execute("PRAGMA shrink_memory")

    def _add_batches(self, files: Iterator[ImportedFile], batch: int,
                     done: Callable[[], object] | None) -> None:
        while True:
            with self.transaction():
                count = 0
                for one in files:
                    self._add(one)
                    count += 1
                    if done:
                        done()
                    if count == batch:
                        break
            if count < batch:
                return

    def _add(self, imported: ImportedFile) -> None:
        errors = pickle.dumps(imported.errors, protocol=5) if imported.errors else None
        self.db.execute("INSERT OR REPLACE INTO source VALUES (?, ?, ?)",
                        (imported.key, imported.path, errors))
        self.db.execute("DELETE FROM entry WHERE key=?", (imported.key,))
        self.db.executemany("INSERT INTO entry VALUES (?, ?, ?)",
                            [(imported.key, i, e.eid) for i, e in enumerate(imported.entries)])
        self.db.executemany(
            "INSERT OR IGNORE INTO content VALUES (?, ?, ?)",
            [(e.eid, pickle.dumps(e.facts, protocol=5), e.owned) for e in imported.entries])
        self.db.executemany(
            "INSERT OR IGNORE INTO shared VALUES (?, ?, ?, ?)",
            [(subject, e.eid, kind, pairs)
             for e in imported.entries for subject, kind, pairs in e.shared])
        self.db.executemany(
            "INSERT OR IGNORE INTO mention VALUES (?, ?)",
            [(slug, e.eid) for e in imported.entries for slug in e.facts.named])

    def prune(self, keep: Iterable[str]) -> None:
        """Forget every source but `keep`, and the entries only they had."""
        kept = set(keep)
        stale = [k for (k,) in self.db.execute("SELECT key FROM source") if k not in kept]
        if not stale:
            return
        with self.transaction():
            candidates: set[str] = set()
            for chunk in _chunks(stale):
                marks = ",".join("?" * len(chunk))
                candidates.update(e for (e,) in self.db.execute(
                    f"SELECT eid FROM entry WHERE key IN ({marks})", chunk))
                self.db.execute(f"DELETE FROM source WHERE key IN ({marks})", chunk)
                self.db.execute(f"DELETE FROM entry WHERE key IN ({marks})", chunk)
            for chunk in _chunks(sorted(candidates)):
                marks = ",".join("?" * len(chunk))
                used = {e for (e,) in self.db.execute(
                    f"SELECT eid FROM entry WHERE eid IN ({marks})", chunk)}
                dead = [(eid,) for eid in chunk if eid not in used]
                self.db.executemany("DELETE FROM content WHERE eid=?", dead)
                self.db.executemany("DELETE FROM shared WHERE eid=?", dead)
                self.db.executemany("DELETE FROM mention WHERE eid=?", dead)

    # --- reading ------------------------------------------------------------------------

    def files(self, keys: Sequence[str]) -> list[CachedFile]:
        """The cached imports of these files, in the order asked."""
        sources: dict[str, tuple[str, bytes]] = {}
        eids: dict[str, list[str]] = {key: [] for key in keys}
        for chunk in _chunks(list(eids)):
            marks = ",".join("?" * len(chunk))
            for key, path, errors in self.db.execute(
                    f"SELECT key, path, errors FROM source WHERE key IN ({marks})", chunk):
                sources[key] = (path, errors)
            for key, _, eid in self.db.execute(
                    f"SELECT key, position, eid FROM entry WHERE key IN ({marks}) "
                    "ORDER BY key, position", chunk):
                eids[key].append(eid)
        return [CachedFile(key, sources[key][0], eids[key],
                           [SourceError(*error) for error in pickle.loads(sources[key][1])]
                           if sources[key][1] else [])
                for key in keys]

    def facts(self, eids: Sequence[str]) -> list[EntryFacts]:
        """The merge facts of entries, in the order asked."""
        found = {eid: pickle.loads(facts) for eid, facts in self._select_in(
            "SELECT eid, facts FROM content WHERE eid IN ({marks})", eids)}
        return [found[eid] for eid in eids]

    def mentioning(self, slugs: Iterable[str]) -> dict[str, set[str]]:
        """The entries (eids, of any source the cache holds) that mention each slug, or
        give it as a product's name in another language (`EntryFacts.named`)."""
        found: dict[str, set[str]] = {slug: set() for slug in slugs}
        for slug, eid in self._select_in(
                "SELECT slug, eid FROM mention WHERE slug IN ({marks})", found):
            found[slug].add(eid)
        return found

    def _select_in(self, query: str, values: Iterable[str]) -> Iterator[tuple]:
        """The rows of a query whose `IN ({marks})` takes the values, 500 at a time."""
        for chunk in _chunks(sorted(set(values))):
            yield from self.db.execute(query.format(marks=",".join("?" * len(chunk))), chunk)

    def owned(self, eid: str) -> str:
        return self.db.execute("SELECT owned FROM content WHERE eid=?", (eid,)).fetchone()[0]

    def shared_touched(self, eids: Iterable[str]) -> set[str]:
        """The shared subjects whose block a change of these entries (published before or
        now) may alter: every one they write but those of kind SHARED of which each text
        is written by a live entry other than these too (such a block is the set of its
        live texts, the same with or without these entries). A country that ten thousand
        entries write is then not read again when one of them changes."""
        eids = set(eids)
        texts: dict[str, set[tuple[int, str]]] = {}
        for subject, kind, pairs in self._select_in(
                "SELECT subject, kind, pairs FROM shared WHERE eid IN ({marks})", eids):
            texts.setdefault(subject, set()).add((kind, pairs))
        return {subject for subject, written in texts.items()
                if not all(kind == SHARED and self._written_by_others(subject, kind, pairs, eids)
                           for kind, pairs in written)}

    def _written_by_others(self, subject: str, kind: int, pairs: str, eids: set[str]
                           ) -> bool:
        rows = self.db.execute("SELECT eid FROM shared WHERE subject = ? AND kind = ? "
                               "AND pairs = ?", (subject, kind, pairs))
        return any(eid in self._live and eid not in eids
                   for (eid,) in rows)  # stops at the first one

    def set_live(self, owners: dict[str, str]) -> None:
        """The entries a build publishes (eid -> product IRI): contributions() and
        shared_touched() read only theirs. Kept in memory, and written into a temporary
        table only for SQLite to join when every subject's contributions are read: the
        50,000 rows of 50,000 products took 0.22 s to insert, for an incremental build
        that reads a few subjects."""
        self._live = owners

    def contributions(self, subjects: Iterable[str] | None = None
                      ) -> Iterator[tuple[str, int, str, str]]:
        """(subject, kind, pairs, first owner) of what the live entries write about shared
        subjects, one row per distinct text (its kind that of the first owner's row, as
        SQLite's MIN() gives it), sorted by subject: all, or those asked."""
        if subjects is None:
            self.db.execute("CREATE TEMP TABLE IF NOT EXISTS live "
                            "(eid TEXT PRIMARY KEY, owner TEXT)")
            with self.transaction():
                self.db.execute("DELETE FROM live")
                self.db.executemany("INSERT INTO live VALUES (?, ?)", self._live.items())
            yield from self.db.execute(
                "SELECT s.subject, s.kind, s.pairs, MIN(l.owner) FROM shared s "
                "JOIN live l ON l.eid = s.eid GROUP BY s.subject, s.pairs ORDER BY s.subject")
            return
        for subject in sorted(set(subjects)):
            first: dict[str, tuple[str, int]] = {}  # pairs -> (first owner, kind)
            for kind, pairs, eid in self.db.execute(
                    "SELECT kind, pairs, eid FROM shared WHERE subject = ?", (subject,)):
                owner = self._live.get(eid)
                if owner is not None and (pairs not in first or owner < first[pairs][0]):
                    first[pairs] = (owner, kind)
            yield from ((subject, kind, pairs, owner)
                        for pairs, (owner, kind) in first.items())


def source_key(path: str, digest: str, base: str) -> str:
    text = "\0".join((import_version(), base, path, digest))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _chunks(items: list[str], size: int = 500) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _stats(paths: Sequence[str]) -> list[os.stat_result]:
    """`os.stat` of each path. From the page cache one thread does it fastest (50,000
    sources: 0.2-0.36 s; 0.6 s on eight threads, each waiting for the GIL after each
    call). After a pause the first calls wait for the disk: in a folder of plain files
    only the first few hundred (50,000 in 0.6 s, on one thread or eight), but where every
    call waits (symbolic links into another large folder: 3.1 s; a network file system)
    eight threads overlap the waits (2.0 s). The first few show which it is."""
    head, rest = paths[:_STAT_PROBE], paths[_STAT_PROBE:]
    started = time.perf_counter()
    stats = list(map(os.stat, head))
    if not rest or time.perf_counter() - started < len(head) * _SLOW_STAT:
        return stats + list(map(os.stat, rest))
    size = max(1, -(-len(rest) // _STAT_THREADS))
    with ThreadPoolExecutor(_STAT_THREADS) as pool:
        parts = pool.map(lambda start: list(map(os.stat, rest[start:start + size])),
                         range(0, len(rest), size))
        return stats + [info for part in parts for info in part]


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        return self.db

    def __exit__(self, kind: object, *rest: object) -> None:
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")
