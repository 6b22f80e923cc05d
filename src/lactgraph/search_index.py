"""The name index behind `/search`: every searchable label in a SQLite file, written once
per store version and opened read-only by every web worker.

At 50,000 products the graph holds half a million names; gathering them takes tens of
seconds and held in Python they took about 1 GB per worker. On disk, shared by the
workers, a lookup is an index probe: exact and prefix matches through a B-tree on the
normalised label, substring matches through an FTS5 trigram index (three characters or
more: shorter queries match exact and prefix only).

Ranking: exact, then prefix, then substring; products before groups, aliases, brands and
other writings; then by label. One hit per entity, its best.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from .iris import IriScheme
from .rdfio import make_readable
from .store import Store
from .text import without_marks
from .vocab import PREFIXES

KIND_ORDER = {"product": 0, "group": 1, "alias": 2, "brand": 3, "writing": 4}
MIN_SUBSTRING = 3  # characters a query needs for substring matches (one trigram)

Row = tuple[str | None, ...]  # plain strings: IRIs, lexical forms, language tags
Rows = Callable[[str, tuple[str, ...]], Iterable[Row]]


def normalise(text: str) -> str:
    """Case- and accent-insensitive form: 'Mesoteràpia' -> 'mesoterapia'."""
    return re.sub(r"\s+", " ", without_marks(text).casefold()).strip()


@dataclass(frozen=True)
class Entry:
    """One searchable label: its entity and, for a name of a product, that product."""

    key: str
    label: str
    lang: str | None
    kind: str
    entity: str
    products: tuple[tuple[str, str, int | None], ...]  # (IRI, name, level)


# --- gathering the labels ----------------------------------------------------------------

def oxigraph_rows(store: ox.Store) -> Rows:
    """Rows of a SELECT on an Oxigraph store (the build's, while it is still open), read
    through the SPARQL CSV results format: Oxigraph writes the terms as text in a third of
    the time a Python object per term takes (the brand names at 50,000 products, 280,000
    rows: 15-27 s -> 8 s). CSV writes an unbound variable as an empty field, so a row
    holds "" where a variable has no value (which the index takes as no value)."""
    def rows(query: str, names: tuple[str, ...]) -> Iterator[Row]:
        results = store.query(query, use_default_graph_as_union=True)
        text = results.serialize(format=ox.QueryResultsFormat.CSV).decode("utf-8")
        records = csv.reader(io.StringIO(text, newline=""))
        header = next(records)
        columns = [header.index(name) for name in names]
        for record in records:
            yield tuple(record[column] for column in columns)
    return rows


def store_rows(store: Store) -> Rows:
    """Rows of a SELECT through the Store interface (embedded or remote)."""
    def rows(query: str, names: tuple[str, ...]) -> Iterator[Row]:
        for row in store.select(query):
            yield tuple(_plain_rdflib(row.get(name)) for name in names)
    return rows


def _plain_rdflib(term: object) -> str | None:
    return None if term is None else str(term)


_KINDS = (("product", "Product", None), ("group", "Group", None),
          ("alias", "Alias", "aliasOf"), ("writing", "OtherWriting", "otherWritingOf"),
          ("brand", "BrandName", "activeIngredient"))


def _values(variable: str, iris: Collection[str] | None) -> str:
    """A VALUES block restricting variable to iris (nothing when iris is None: all)."""
    if iris is None:
        return ""
    return f"VALUES ?{variable} {{ {' '.join(f'<{iri}>' for iri in sorted(iris))} }}"


def _labelled(iris: IriScheme, cls: str, link: str | None, only: Collection[str] | None
              ) -> str:
    """A pattern binding the entities of a class, their labels and (through link) their
    products. For some entities (only), index lookups from a VALUES block; for all, one
    scan per triple pattern, in subqueries Oxigraph evaluates once and joins by hash:
    three times faster than looking each entity up (brand names at 5,000 products: 1.67
    -> 0.45 s; the time is in reading terms back from the store, not in the scans)."""
    lg, skos = iris.term(""), PREFIXES["skos"]
    patterns = [f"?entity a <{lg}{cls}>", f"?entity <{skos}prefLabel> ?label",
                *([f"?entity <{lg}{link}> ?product"] if link else [])]
    if only is not None:
        return f"{_values('entity', only)} " + " . ".join(patterns) + " ."
    return " ".join(f"{{ SELECT * WHERE {{ {pattern} }} }}" for pattern in patterns)


def _products(rows: Rows, iris: IriScheme, only: Collection[str] | None
              ) -> dict[str, tuple[str, int | None]]:
    """Each product's English (or untagged) name, the least when several, and its level."""
    lg, skos = iris.term(""), PREFIXES["skos"]
    names: dict[str, set[str]] = {}
    levels: dict[str, int] = {}
    for product, name, level in rows(f"""
SELECT ?product ?name ?level WHERE {{ {_values("product", only)} ?product a <{lg}Product>
  OPTIONAL {{ ?product <{lg}riskLevel>/<{skos}notation> ?level }}
  OPTIONAL {{ ?product <{skos}prefLabel> ?name
             FILTER(LANGMATCHES(LANG(?name), "en") || LANG(?name) = "") }} }}""",
                                     ("product", "name", "level")):
        names.setdefault(product, set()).update([name] if name else [])
        if level:
            levels[product] = int(level)
    return {product: (min(found) if found else product, levels.get(product))
            for product, found in names.items()}


def entries(rows: Rows, iris: IriScheme, only: Collection[str] | None = None
            ) -> list[Entry]:
    """The searchable labels of the store (of the entities in only, when given), sorted."""
    if only is not None and not only:
        return []
    grouped: dict[tuple[str, str, str | None], tuple[str, set[str]]] = {}
    for kind, cls, link in _KINDS:
        product = "?product" if link else ("?entity" if kind == "product" else "''")
        for entity, label, lang, target in rows(f"""
SELECT ?entity ?label (LANG(?label) AS ?lang) ({product} AS ?target) WHERE {{
  {_labelled(iris, cls, link, only)} }}""", ("entity", "label", "lang", "target")):
            _, targets = grouped.setdefault((entity, label, lang or None), (kind, set()))
            if target:
                targets.add(target)
    wanted = None if only is None else set().union(*(t for _, t in grouped.values()))
    products = _products(rows, iris, wanted)
    found = [Entry(normalise(label), label, lang, kind, entity,
                   tuple(sorted((p, *products[p]) for p in targets if p in products)))
             for (entity, label, lang), (kind, targets) in grouped.items()]
    return sorted(found, key=lambda e: (e.key, e.entity, e.label, e.lang or ""))


# --- the file ----------------------------------------------------------------------------

_SCHEMA = """
CREATE TABLE entry(id INTEGER PRIMARY KEY, key TEXT NOT NULL, label TEXT NOT NULL,
                   lang TEXT, kind TEXT NOT NULL, kind_order INTEGER NOT NULL,
                   entity TEXT NOT NULL, products TEXT NOT NULL);
CREATE INDEX entry_key ON entry(key);
CREATE INDEX entry_entity ON entry(entity);
CREATE TABLE entry_product(entry INTEGER NOT NULL, product TEXT NOT NULL);
CREATE INDEX entry_product_product ON entry_product(product);
CREATE INDEX entry_product_entry ON entry_product(entry);
CREATE VIRTUAL TABLE entry_text USING fts5(key, content='entry', content_rowid='id',
                                           tokenize='trigram');
"""


def _insert(db: sqlite3.Connection, found: list[Entry]) -> list[tuple[int, str]]:
    """Insert entries into the tables (not the text index); their (row id, key)."""
    first = db.execute("SELECT coalesce(max(id), 0) + 1 FROM entry").fetchone()[0]
    rows = list(enumerate(found, start=first))
    db.executemany(
        "INSERT INTO entry(id, key, label, lang, kind, kind_order, entity, products) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        ((i, e.key, e.label, e.lang, e.kind, KIND_ORDER.get(e.kind, 9), e.entity,
          json.dumps(e.products, ensure_ascii=False)) for i, e in rows))
    db.executemany("INSERT INTO entry_product(entry, product) VALUES (?, ?)",
                   ((i, product) for i, e in rows for product, _, _ in e.products))
    return [(i, e.key) for i, e in rows]


def build_index(rows: Rows, iris: IriScheme, path: Path) -> None:
    """Gather every label and write the index file at path, atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    os.close(handle)
    make_readable(Path(temporary))  # mkstemp's 0600 would hide it from a server's user
    try:
        db = sqlite3.connect(temporary)
        db.execute("PRAGMA journal_mode = OFF")  # a new file: renamed into place or removed
        with db:
            db.executescript(_SCHEMA)
            _insert(db, entries(rows, iris))
            db.execute("INSERT INTO entry_text(entry_text) VALUES ('rebuild')")
        db.close()
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def update_index(rows: Rows, iris: IriScheme, path: Path, changed: Collection[str]) -> None:
    """Bring the index file at path (a copy, not one being served) up to date after the
    triples of the changed subjects changed: their labels and those of every name of a
    product among them (whose name or level it shows) are gathered again.

    Nothing is synced: the copy is renamed into place only after the build succeeded, and
    a sync would wait until the whole copy (205 MB at 50,000 products) reached the disk
    (0.4-0.7 s of an incremental build), as the Turtle file the build writes beside it
    is not waited for either."""
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode = MEMORY")  # rolls back on error, writes no journal
    db.execute("PRAGMA synchronous = OFF")
    with db:
        # CROSS JOIN: from the few changed IRIs through the indexes. SQLite knows nothing
        # of a temporary table's size and otherwise scans the half a million entries
        # (0.29 s of the 0.40 s this took at 50,000 products).
        db.execute("CREATE TEMP TABLE changed(iri TEXT PRIMARY KEY)")
        db.executemany("INSERT OR IGNORE INTO changed VALUES (?)", ((c,) for c in changed))
        affected = {entity for (entity,) in db.execute(
            "SELECT iri FROM changed UNION SELECT entity FROM changed "
            "CROSS JOIN entry_product ON entry_product.product = changed.iri "
            "CROSS JOIN entry ON entry.id = entry_product.entry")}
        db.execute("DELETE FROM changed")
        db.executemany("INSERT INTO changed VALUES (?)", ((a,) for a in affected))
        gone = db.execute(
            "SELECT id, key FROM changed CROSS JOIN entry ON entry.entity = changed.iri"
        ).fetchall()
        db.executemany("INSERT INTO entry_text(entry_text, rowid, key) VALUES ('delete', ?, ?)",
                       gone)
        db.execute("CREATE TEMP TABLE gone(id INTEGER PRIMARY KEY)")
        db.executemany("INSERT INTO gone VALUES (?)", ((i,) for i, _ in gone))
        db.execute("DELETE FROM entry_product WHERE entry IN gone")
        db.execute("DELETE FROM entry WHERE id IN gone")
        added = _insert(db, entries(rows, iris, affected))
        db.executemany("INSERT INTO entry_text(rowid, key) VALUES (?, ?)", added)
    db.close()


# --- searching ---------------------------------------------------------------------------

_RANKED = """
SELECT CASE WHEN key = :q THEN 0 WHEN substr(key, 1, length(:q)) = :q THEN 1 ELSE 2 END
         AS rank, key, label, lang, kind, entity, products
FROM entry WHERE {where}
ORDER BY rank, kind_order, key, entity LIMIT :limit OFFSET :offset"""
_PREFIX = _RANKED.format(where="key >= :q AND key < :q || char(1114111)")
_SUBSTRING = _RANKED.format(
    where="id IN (SELECT rowid FROM entry_text WHERE entry_text MATCH :phrase)")


class SearchIndex:
    """A read-only index file, one connection per thread (sqlite3 connections are not
    shared between threads)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._connection()  # a missing or broken file fails here, at start

    def _connection(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            try:
                db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro&immutable=1",
                                     uri=True, check_same_thread=False)
                db.execute("PRAGMA cache_size = -512")  # KiB per thread; the OS caches the file
                db.execute("SELECT 1 FROM entry LIMIT 1")
            except sqlite3.Error as error:
                raise OSError(f"{self.path}: not a search index ({error})") from None
            self._local.db = db
        return db

    def search(self, query: str, limit: int) -> list[tuple[int, Entry]]:
        """Ranked hits (rank 0 exact, 1 prefix, 2 substring), at most limit, one per entity."""
        wanted = normalise(query)
        if not wanted:
            return []
        if len(wanted) >= MIN_SUBSTRING:
            sql, phrase = _SUBSTRING, '"' + wanted.replace('"', '""') + '"'
        else:
            sql, phrase = _PREFIX, ""
        hits: dict[str, tuple[int, Entry]] = {}
        offset, page = 0, limit * 4
        while len(hits) < limit:
            rows = self._connection().execute(
                sql, {"q": wanted, "phrase": phrase, "limit": page, "offset": offset}
            ).fetchall()
            for rank, key, label, lang, kind, entity, products in rows:
                if entity not in hits and len(hits) < limit:
                    hits[entity] = (rank, Entry(key, label, lang, kind, entity, tuple(
                        (p, name, level) for p, name, level in json.loads(products))))
            if len(rows) < page:
                break
            offset += page
        return list(hits.values())
