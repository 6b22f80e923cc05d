"""Incremental builds give what a full build gives, and a killed build changes nothing.

A synthetic corpus of entry pages is built once; then sources change the ways a curator
changes them (a level, a date that decides which page's word wins for a stub, a page
removed, a page added that shares brand names and references with others). The project
rebuilt incrementally must hold the same Turtle, byte for byte, and an isomorphic store,
as a copy of it built from scratch.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import threading
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

from lactgraph import buildcache, generations, statistics_file, turtle
from lactgraph.build import ImportFailed, build
from lactgraph.buildcache import ImportCache, file_digest, source_key
from lactgraph.config import Settings
from lactgraph.entries import SHARED, EntryRenderer, import_file
from lactgraph.generations import (
    build_lock,
    current_id,
    current_store,
    search_index_of,
    store_folder,
)
from lactgraph.iris import slugify
from lactgraph.readers import read_source
from lactgraph.synth import write_corpus
from lactgraph.vocab import DEFAULT_BASE, RISK_LEVELS

from .conftest import ROOT

BASE = "https://w3id.org/lactgraph/"
PRODUCTS = 120


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    write_corpus(PRODUCTS, 11, folder, forms=("pages",))
    return folder / "pages"


def _project(folder: Path, pages: Path) -> Path:
    shutil.copytree(pages, folder / "sources")
    for part in ("ontology", "shapes"):
        shutil.copytree(ROOT / part, folder / part)
    return folder


def _build(project: Path):
    """Build as `lactgraph build` does, from the project folder (paths in the graph are
    relative, so that two copies of a project build the same bytes)."""
    here = Path.cwd()
    os.chdir(project)
    try:
        return build([Path("sources")], Path("graph"), Path("shapes/lactgraph.ttl"),
                     Path("ontology/lactgraph.ttl"), BASE, jobs=1, progress=False)
    finally:
        os.chdir(here)


def _settings(project: Path) -> Settings:
    return Settings(base=BASE, project_dir=project)


def _store_quads(project: Path) -> set[ox.Quad]:
    """The store's quads, blank nodes canonically labelled."""
    directory = current_store(_settings(project))
    assert directory is not None, "the build left no up-to-date store"
    store = ox.Store.read_only(str(directory))
    dataset = ox.Dataset(store.quads_for_pattern(None, None, None, None))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return set(dataset)


def _search_entries(project: Path) -> tuple[list[tuple], list[tuple]]:
    """The name index the build left beside its store (the incremental one was patched),
    without row ids: its entries, and the product of each entry that names one; checked
    whole (no row of a removed entry left, the text index in step with the entries)."""
    index = search_index_of(current_store(_settings(project)))
    db = sqlite3.connect(index)
    try:
        entries = db.execute("SELECT key, label, lang, kind, entity, products FROM entry "
                             "ORDER BY key, entity, label, lang").fetchall()
        products = db.execute(
            "SELECT key, label, lang, entity, product FROM entry_product "
            "JOIN entry ON entry.id = entry_product.entry ORDER BY 1, 2, 3, 4, 5").fetchall()
        orphans = db.execute("SELECT count(*) FROM entry_product "
                             "WHERE entry NOT IN (SELECT id FROM entry)").fetchone()[0]
        db.execute("INSERT INTO entry_text(entry_text, rank) VALUES ('integrity-check', 1)")
        db.rollback()
    finally:
        db.close()
    assert len(entries) > PRODUCTS  # products, and their aliases, brands, writings, groups
    assert len(products) > PRODUCTS and orphans == 0
    return entries, products


def _page(project: Path, name: str) -> Path:
    return project / "sources" / f"{name}.txt"


def _change_sources(project: Path) -> list[str]:
    """The changes a curator makes; the pages they touch."""
    pages = sorted((project / "sources").glob("*.txt"))
    texts = {page: page.read_text("utf-8") for page in pages}
    # a level: the entry's own block changes
    low, very_low = RISK_LEVELS[1], RISK_LEVELS[0]
    relevelled = next(p for p in pages if f"\n{low.compatibility_name['en']}\n" in texts[p])
    text = texts[relevelled]
    for old, new in ((low.compatibility_name, very_low.compatibility_name),
                     (low.description, very_low.description)):
        text = text.replace(f"\n{old['en']}\n", f"\n{new['en']}\n", 1)
    relevelled.write_text(text, "utf-8")
    # a page mentioned by others goes: its product becomes a stub, its brand names, aliases
    # and references lose a contributor (and references may get another describer)
    removed = next(p for p in pages if p != relevelled and any(
        f"  • {_title(texts[p])} (" in texts[q] for q in pages if q != p))
    removed.unlink()
    # a new page, a renamed copy of another: shares its brand names and references, and
    # sorts first, so that it describes the references it cites
    model = next(p for p in pages if p not in (relevelled, removed))
    name = _title(texts[model])
    added = project / "sources" / "aaa-new-entry.txt"
    added.write_text(_without_writings(texts[model].replace(name, "Aaa New Entry")), "utf-8")
    # a date: the most recently updated page decides a stub's level
    dated = next(p for p in pages if p not in (relevelled, removed, model)
                 and "Last update" in texts[p])
    lines = texts[dated].split("\n")
    lines[0] = "Last update Dec. 31, 2024"
    dated.write_text("\n".join(lines), "utf-8")
    return [relevelled.name, removed.name, added.name, dated.name]


def _without_writings(text: str) -> str:
    """A page without its other writings (a writing names one product only)."""
    lines = text.split("\n")
    start = next((i for i, line in enumerate(lines) if "in other languages or writings" in line),
                 None)
    if start is None:
        return text
    end = next(i for i in range(start + 2, len(lines)) if not lines[i].startswith("  •"))
    return "\n".join(lines[:start] + lines[end + 1:])


def _title(text: str) -> str:
    """The entry's name, from its 'is also known as' heading."""
    line = next(line for line in text.split("\n") if line.endswith(" is also known as")
                or line.endswith(" belongs to these groups or families:"))
    return line.split(" is also known as")[0].split(" belongs to these")[0]


def test_an_incremental_build_equals_a_full_build(corpus, tmp_path):
    incremental = _project(tmp_path / "incremental", corpus)
    first = _build(incremental)
    assert first.mode == "full" and first.imported == PRODUCTS

    touched = _change_sources(incremental)
    again = _build(incremental)
    assert again.mode == "incremental"
    assert again.imported == 3  # the relevelled, the new and the redated page; one is gone

    scratch = _project(tmp_path / "scratch", incremental / "sources")
    full = _build(scratch)
    assert full.mode == "full"

    built = (incremental / "graph" / "lactgraph.ttl").read_bytes()
    assert built == (scratch / "graph" / "lactgraph.ttl").read_bytes(), touched
    assert built != b"" and b"aaa-new-entry" in built
    statistics = (incremental / "graph" / "statistics.ttl").read_bytes()
    assert statistics == (scratch / "graph" / "statistics.ttl").read_bytes()
    assert _store_quads(incremental) == _store_quads(scratch)
    assert _search_entries(incremental) == _search_entries(scratch)
    assert again.report == full.report
    assert again.products == full.products == PRODUCTS


def test_a_change_reads_again_only_the_shared_subjects_it_may_alter(corpus, tmp_path):
    """A SHARED block is the set of the texts live entries write about its subject: one
    whose every text some other live entry writes too (a country many entries name) is
    the same with or without a changed entry, and is not read again. An entry the cache
    still holds but the build does not publish (its source changed or went) counts for
    nothing."""
    project = _project(tmp_path, corpus)
    _build(project)
    cache = ImportCache(project / ".lactgraph-cache" / "graph" / "imports.sqlite")
    try:
        rows = cache.db.execute("SELECT subject, eid, kind, pairs FROM shared").fetchall()
        cached = sorted(eid for (eid,) in cache.db.execute("SELECT eid FROM content"))
        live = set(cached) - set(cached[::3])
        cache.set_live({eid: f"urn:owner:{eid}" for eid in live})
        writers: dict[tuple, set[str]] = {}
        for subject, eid, kind, pairs in rows:
            writers.setdefault((subject, kind, pairs), set()).add(eid)

        def touched(eid: str, others: set[str]) -> set[str]:
            written = {(s, k, p) for s, e, k, p in rows if e == eid}
            return {s for s, _, _ in written
                    if any(k != SHARED or not (writers[(s2, k, p)] & others) - {eid}
                           for s2, k, p in written if s2 == s)}

        left_alone = for_the_dead = 0
        for eid in sorted(live)[:40]:
            expected = touched(eid, live)
            assert cache.shared_touched({eid}) == expected
            left_alone += len({s for s, e, _, _ in rows if e == eid} - expected)
            for_the_dead += len(expected - touched(eid, set(cached)))
        assert left_alone > 0  # the shortcut is taken in this corpus
        assert for_the_dead > 0  # and some blocks are read again as only dead entries share them
    finally:
        cache.close()


def test_incremental_builds_upon_incremental_builds_equal_a_full_build(corpus, tmp_path):
    """Each build starts from the merge the last one kept: an edit that changes no entry
    (the graph stays as it is), then two rounds of changes."""
    project = _project(tmp_path / "incremental", corpus)
    _build(project)
    page = sorted((project / "sources").glob("*.txt"))[7]
    page.write_text(page.read_text("utf-8") + "\n", "utf-8")
    assert _build(project).mode == "unchanged"
    for _ in range(2):
        _change_sources(project)
        assert _build(project).mode == "incremental"

    scratch = _project(tmp_path / "scratch", project / "sources")
    assert _build(scratch).mode == "full"
    assert ((project / "graph" / "lactgraph.ttl").read_bytes()
            == (scratch / "graph" / "lactgraph.ttl").read_bytes())
    assert _store_quads(project) == _store_quads(scratch)


def test_a_page_replaced_by_another_gives_what_a_full_build_gives(corpus, tmp_path):
    """The new entry's groups and names are inserted where the removed product's block
    starts, or just before it. Those edits came after the removal and overlapped it: every
    build failed with "overlapping edits of a block file" until the cache was deleted."""
    pages = sorted(corpus.glob("*.txt"))
    for number, (old, new) in enumerate([(pages[40], pages[0]), (pages[3], pages[90]),
                                         (pages[60], pages[61])]):
        project = tmp_path / f"replaced-{number}"
        (project / "sources").mkdir(parents=True)
        for part in ("ontology", "shapes"):
            shutil.copytree(ROOT / part, project / part)
        shutil.copy(old, project / "sources")
        _build(project)
        (project / "sources" / old.name).unlink()
        shutil.copy(new, project / "sources")
        assert _build(project).mode == "incremental"
        scratch = _project(tmp_path / f"scratch-{number}", project / "sources")
        _build(scratch)
        assert ((project / "graph" / "lactgraph.ttl").read_bytes()
                == (scratch / "graph" / "lactgraph.ttl").read_bytes()), (old.name, new.name)
        assert _store_quads(project) == _store_quads(scratch)


def test_a_change_that_imports_a_product_twice_fails_and_changes_nothing(corpus, tmp_path):
    project = _project(tmp_path, corpus)
    _build(project)
    target = project / "graph" / "lactgraph.ttl"
    before = (target.read_bytes(), current_id(project / "graph"))
    original = next(p for p in sorted((project / "sources").glob("*.txt"))
                    if " is also known as\n" in p.read_text("utf-8"))
    copy = project / "sources" / "zzz-copy.txt"
    shutil.copyfile(original, copy)

    with pytest.raises(ImportFailed) as failed:
        _build(project)
    assert [(error.path, error.message) for error in failed.value.errors] == [
        (str(Path("sources") / copy.name),
         f"product/{_slug(original)} is already imported from "
         f"{Path('sources') / original.name}")]
    assert (target.read_bytes(), current_id(project / "graph")) == before

    copy.unlink()
    assert _build(project).mode == "unchanged"


def _slug(page: Path) -> str:
    return slugify(_title(page.read_text("utf-8")))


def test_a_second_build_waits_for_the_first_before_it_reads_the_cache(corpus, tmp_path):
    """Builds of one project run one at a time from start to end: a build that read the
    cache while another pruned it would publish entries the cache no longer holds."""
    project = _project(tmp_path, corpus)
    _build(project)
    page = next(p for p in sorted((project / "sources").glob("*.txt"))
                if p.read_text("utf-8").startswith("Last update"))
    lines = page.read_text("utf-8").split("\n")
    page.write_text("\n".join(["Last update Dec. 31, 2024", *lines[1:]]), "utf-8")
    cache = project / ".lactgraph-cache" / "graph" / "imports.sqlite"
    sources = _sources_in(cache)
    done = []
    # as a build running meanwhile holds it
    with build_lock(project / ".lactgraph-cache" / "graph"):
        second = threading.Thread(target=lambda: done.append(_build(project)))
        second.start()
        second.join(3)
        assert second.is_alive() and not done
        assert _sources_in(cache) == sources  # not even imported
    second.join(120)
    assert [(built.mode, built.imported) for built in done] == [("incremental", 1)]


def _sources_in(cache: Path) -> set[str]:
    """The keys of the sources an import cache holds."""
    db = sqlite3.connect(cache)
    try:
        return {key for (key,) in db.execute("SELECT key FROM source")}
    finally:
        db.close()


LATEST = """SELECT ?product ?date WHERE {{ {where} ?product dcterms:modified ?date }}
ORDER BY DESC(?date) ?product LIMIT {limit}"""


def test_the_statistics_give_what_the_scans_give(corpus, tmp_path):
    """Products per level and the latest updates, from graph/statistics.ttl in the store,
    equal the answers of queries over every product."""
    project = _project(tmp_path, corpus)
    _build(project)
    store = ox.Store.read_only(str(current_store(_settings(project))))
    prefixes = ("PREFIX lg: <https://w3id.org/lactgraph/ontology#>\n"
                "PREFIX void: <http://rdfs.org/ns/void#>\n"
                "PREFIX dcterms: <http://purl.org/dc/terms/>\n")

    def rows(query: str) -> list[tuple[str, ...]]:
        return [tuple(term.value for term in row)
                for row in store.query(prefixes + query, use_default_graph_as_union=True)]

    per_level = dict(rows("SELECT ?l ?n WHERE { ?s lg:subsetRiskLevel ?l ; void:entities ?n }"))
    scanned = dict(rows("SELECT ?l (COUNT(?p) AS ?n) WHERE { ?p a lg:Product ; "
                        "lg:riskLevel ?l } GROUP BY ?l"))
    assert len(per_level) == 4 and sum(map(int, per_level.values())) >= PRODUCTS
    assert {level: n for level, n in per_level.items() if n != "0"} == scanned
    subset = "?dataset lg:recentlyUpdatedProduct ?product ."
    assert len(rows(LATEST.format(where=subset, limit=1000))) >= 100
    for limit in (1, 20, 100):
        assert rows(LATEST.format(where=subset, limit=limit)) == rows(
            LATEST.format(where="?product a lg:Product .", limit=limit))
    (latest,) = rows("SELECT ?d WHERE { <https://w3id.org/lactgraph/dataset> "
                     "dcterms:modified ?d }")
    assert latest[0] == rows(LATEST.format(where="", limit=1))[0][1]


@pytest.mark.parametrize(("recent", "read_again"), [(5, False), (PRODUCTS - 1, True)])
def test_an_incremental_build_updates_the_statistics_as_a_full_build_reads_them(
        corpus, tmp_path, monkeypatch, recent, read_again):
    """The statistics come from the changed entries' old and new triples and what the
    last build published, while enough of the latest stay unchanged (of the 5 latest);
    else from every product (of all but one, the changes leave too few): the same file
    as a full build's either way."""
    monkeypatch.setattr(statistics_file, "RECENT", recent)
    project = _project(tmp_path / "incremental", corpus)
    _build(project)
    before = (project / "graph" / "statistics.ttl").read_text("utf-8")
    _change_sources(project)
    reads: list[str] = []
    figures = statistics_file.StatisticsFile.figures
    monkeypatch.setattr(statistics_file.StatisticsFile, "figures",
                        lambda self, *args: reads.append("all") or figures(self, *args))
    assert _build(project).mode == "incremental"
    assert bool(reads) is read_again
    scratch = _project(tmp_path / "scratch", project / "sources")
    assert _build(scratch).mode == "full"
    statistics = (project / "graph" / "statistics.ttl").read_text("utf-8")
    assert statistics == (scratch / "graph" / "statistics.ttl").read_text("utf-8")
    assert statistics != before  # a level and the latest updated changed


def test_a_build_without_changes_writes_nothing(corpus, tmp_path):
    project = _project(tmp_path, corpus)
    _build(project)
    target = project / "graph" / "lactgraph.ttl"
    before = (target.stat().st_mtime_ns, current_id(project / "graph"))
    again = _build(project)
    assert again.mode == "unchanged" and again.imported == 0
    assert (target.stat().st_mtime_ns, current_id(project / "graph")) == before
    assert current_store(_settings(project)) is not None


def test_a_build_killed_before_the_switch_leaves_the_previous_graph_and_store(
        corpus, tmp_path, monkeypatch):
    project = _project(tmp_path, corpus)
    _build(project)
    target = project / "graph" / "lactgraph.ttl"
    previous = (target.read_bytes(), current_store(_settings(project)))
    _change_sources(project)

    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("lactgraph.shacl_sparql.StoreValidator.validate", killed)
    with pytest.raises(KeyboardInterrupt):
        _build(project)
    assert (target.read_bytes(), current_store(_settings(project))) == previous
    assert not list(store_folder(project / "graph").glob(".staging-*"))

    monkeypatch.undo()
    assert _build(project).mode == "incremental"


def test_a_build_killed_during_the_switch_is_never_served_half_switched(
        corpus, tmp_path, monkeypatch):
    """Killed after the new Turtle replaced the old but before the pointer moved: the
    old store no longer matches graph/, so it is not served, and the next build is full."""
    project = _project(tmp_path, corpus)
    _build(project)
    _change_sources(project)
    replace = os.replace

    def replace_then_die(source, target):
        replace(source, target)
        if str(target).endswith("lactgraph.ttl"):
            raise KeyboardInterrupt

    monkeypatch.setattr(generations.os, "replace", replace_then_die)
    with pytest.raises(KeyboardInterrupt):
        _build(project)
    monkeypatch.undo()
    assert current_store(_settings(project)) is None
    assert _build(project).mode == "full"
    assert current_store(_settings(project)) is not None


def test_the_store_is_stale_once_graph_changes(corpus, tmp_path):
    project = _project(tmp_path, corpus)
    _build(project)
    assert current_store(_settings(project)) is not None
    target = project / "graph" / "lactgraph.ttl"
    target.write_bytes(target.read_bytes())  # same bytes, a new write
    assert current_store(_settings(project)) is None


def test_one_changed_record_of_an_export_file_rewrites_only_its_entry(tmp_path):
    """An export part holds many entries: the part is read again, but only the units of
    the entry whose record changed are rewritten and validated again."""
    write_corpus(80, 3, tmp_path / "corpus", forms=("json",))
    project = _project(tmp_path / "project", tmp_path / "corpus" / "export")
    _build(project)
    part = next((project / "sources").glob("*.jsonl"))
    lines = part.read_text("utf-8").split("\n")
    record = json.loads(lines[10])
    record["producto"]["comentario_en"] += " Reviewed again."
    lines[10] = json.dumps(record, ensure_ascii=False)
    part.write_text("\n".join(lines), "utf-8")

    again = _build(project)
    assert (again.mode, again.imported, again.units) == ("incremental", 1, 1)
    assert again.validated is not None and again.validated < 20

    scratch = _project(tmp_path / "scratch", project / "sources")
    _build(scratch)
    assert ((project / "graph" / "lactgraph.ttl").read_bytes()
            == (scratch / "graph" / "lactgraph.ttl").read_bytes())
    assert b"Reviewed again." in (scratch / "graph" / "lactgraph.ttl").read_bytes()


def test_one_process_renders_each_page_as_a_fresh_renderer_would(corpus, monkeypatch):
    """An importing process keeps one renderer for all its pages, which remembers the IRIs
    and typed literals it wrote (and forgets them past a bound, made small here): each
    page still gets exactly what a renderer of its own gives it."""
    monkeypatch.setattr(turtle, "_REMEMBERED", 50)
    pages = sorted(corpus.iterdir())[:12]
    for page in pages * 2:
        shared = import_file(str(page), "key", DEFAULT_BASE)
        fresh = EntryRenderer(DEFAULT_BASE)
        assert shared.entries == [fresh.entry(p) for p in read_source(page)[0]]
        assert shared.entries and shared.entries[0].owned


def test_the_cache_gives_back_its_adding_memory(corpus, tmp_path):
    """Storing imported files uses a large SQLite page cache; the build's next steps
    (the store's load among them) get the memory back."""
    cache = ImportCache(tmp_path / "imports.sqlite")
    default = sqlite3.connect(":memory:").execute("PRAGMA cache_size").fetchone()[0]
    pages = sorted(corpus.iterdir())[:3]
    cache.add(import_file(str(page), f"key-{i}", DEFAULT_BASE) for i, page in enumerate(pages))
    assert cache.known([f"key-{i}" for i in range(3)]) == {"key-0", "key-1", "key-2"}
    assert cache.db.execute("PRAGMA cache_size").fetchone()[0] == default
    cache.close()


@pytest.mark.parametrize("slow", [False, True], ids=["one thread", "threads"])
def test_the_keys_of_many_sources_come_in_their_order(tmp_path, monkeypatch, slow):
    """Where the first sources' stat calls are slow, the rest are looked at in several
    threads (`_stats`): each key is still its own file's, in the order asked, and a file
    rewritten since gets a new one."""
    if slow:
        monkeypatch.setattr(buildcache, "_STAT_PROBE", 5)
        monkeypatch.setattr(buildcache, "_SLOW_STAT", 0.0)
    paths = []
    an_hour_ago = time.time_ns() - 3600 * 10**9  # not racily new: not hashed again
    for i in range(37):  # more files than threads, each of its own size and time
        path = tmp_path / f"{i:02d}.txt"
        path.write_text("x" * i, "utf-8")
        os.utime(path, ns=(an_hour_ago + i, an_hour_ago + i))
        paths.append(str(path))
    cache = ImportCache(tmp_path / "imports.sqlite")
    expected = [source_key(path, file_digest(Path(path)), DEFAULT_BASE) for path in paths]
    assert cache.keys(paths, DEFAULT_BASE) == expected
    Path(paths[20]).write_text("changed", "utf-8")
    os.utime(paths[20], ns=(an_hour_ago + 100, an_hour_ago + 100))
    again = cache.keys(paths, DEFAULT_BASE)
    assert again[20] == source_key(paths[20], file_digest(Path(paths[20])), DEFAULT_BASE)
    assert again[20] != expected[20] and again[:20] + again[21:] == expected[:20] + expected[21:]
    cache.close()
