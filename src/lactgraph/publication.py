"""The publishing half of a build: Turtle, store and validation, whole or incremental.

Given what the merge decided (`Contents`), a publication writes graph/lactgraph.ttl and a
new store generation and validates them, then switches to them only if the graph
conforms (`generations.commit`). When the current generation was built by this code from
the same ontology, shapes and other graph files, it works incrementally: the Turtle file
is patched (`blockfile.py`), the store is a hard-linked clone of the current one with the
changed blocks replaced, and only the focus nodes whose checks read a changed block are
validated again, the other findings carried over.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph
from tqdm import tqdm

from .assemble import Assembler, Contents, UnitChange
from .blockfile import BlockFile, region_subject, split_regions, write_patched
from .buildcache import ImportCache, code_version
from .config import Settings
from .entries import EntryRenderer, turtle_prefixes
from .generations import (
    BuildState,
    Findings,
    Source,
    clone_store,
    commit,
    current_id,
    finish_switch,
    manifest_of,
    matches,
    read_manifest,
    read_state,
    search_index_of,
    staging_folder,
    store_folder,
    store_sources,
)
from .iris import IriScheme
from .links import LINKS_FILE, LinksFile
from .rdfio import make_readable, read_graph, to_rdflib
from .search_index import build_index, oxigraph_rows, update_index
from .shacl_sparql import StoreValidator, Unsupported
from .source_merge import SourceMerge
from .statistics_file import StatisticsFile
from .store.oxigraph import StoreUnusable, load_store, open_store
from .turtle import header
from .validate import Report, load_rules, report_of, validate_graph


@dataclass(frozen=True)
class Outcome:
    """What a publication did."""

    report: Report
    mode: str  # "full", "incremental" or "unchanged" (nothing written)
    units: int | None = None  # units of the Turtle rewritten (incremental builds)
    validated: int | None = None  # focus nodes validated again (incremental builds)


PARALLEL_VALIDATION = 50 << 20  # bytes of Turtle above which validation uses every job


class Publication:
    """Publishes one graph file (and its store) for one base, ontology and shapes."""

    def __init__(self, target: Path, shapes: Path, ontology: Path, base: str, work: Path,
                 mappings: Path, jobs: int = 1, progress: bool = False) -> None:
        self.target = target
        self.links = LinksFile(target.parent / LINKS_FILE, mappings, base)
        self.statistics = StatisticsFile(target.parent, base)
        self.work = work / "staged"  # the new Turtle file before it replaces the target
        self.graph_dir = target.parent
        self.shapes = shapes
        self.ontology = ontology
        self.base = base
        self.iris = IriScheme(base)
        self.jobs = jobs
        self.progress = progress
        self.settings = Settings(base=base, graph_dir=self.graph_dir, shapes=shapes,
                                 ontology=ontology)
        self.data_graph = f"{self.iris.base}graph/{target.stem}"
        self.validated: int | None = None  # focus nodes an incremental build validated
        self.changed: set[str] | None = None  # subjects an incremental build replaced
        self.compiled: StoreValidator | None = None  # the shapes as the last build compiled them
        # validated together, as pyshacl validates the data with the ontology mixed in
        self.graphs = [self.data_graph, self.links.graph, self.iris.ontology]

    def sources(self) -> list[Source]:
        """What the store holds, laid out as `lactgraph serve` lays it out, the target
        listed even before its first build."""
        found = store_sources(self.settings, self.iris)
        data, rules = found[:-2], found[-2:]
        for path, graph in ((self.target, self.data_graph), (self.links.path, self.links.graph),
                            (self.statistics.path, self.statistics.graph)):
            if all(known.resolve() != path.resolve() for known, _ in data):
                data = sorted([*data, (path, graph)])
        return [*data, *rules]

    def publish(self, cache: ImportCache, renderer: EntryRenderer, products: dict[str, str],
                stubs: dict[str, str], previous: tuple[str, BuildState] | None,
                merged: SourceMerge) -> Outcome:
        """Write, load and validate; switch to the result if it conforms. Called under the
        build lock, with what `previous()` gave."""
        assembler = Assembler(cache, renderer, Contents(products, stubs))
        shutil.rmtree(self.work, ignore_errors=True)  # left by a killed build
        changes: list[UnitChange] = []
        if previous is not None:
            with BlockFile(self.target) as old:
                changes = assembler.changes(old, Contents(previous[1].products,
                                                          previous[1].stubs))
            if not changes and self._links_unchanged(previous[0]):
                return Outcome(previous[1].report, "unchanged")  # nothing to write
        staging = staging_folder(self.graph_dir)
        staged = {path: self._staged_file(path) for path in
                  (self.target, self.links.path, self.statistics.path)}
        try:
            if previous is not None:
                findings = self._incremental(previous, changes, staging, staged)
            else:
                findings = self._full(assembler, staging, staged)
            report = (report_of(f for _, f in findings) if findings is not None
                      else validate_graph(read_graph([staged[self.target],
                                                      staged[self.links.path]]),
                                          *self._rules()))
            if report.conforms:
                state = BuildState(self.base, code_version(), products, stubs, report,
                                   findings, merged.files, merged.merge, cache.token,
                                   self.validator)
                manifest = manifest_of(self.sources(), self.base, staged)
                commit(self.graph_dir, staging / "db", state, manifest, staged,
                       staging / "search")
            if previous is None:
                return Outcome(report, "full")
            return Outcome(report, "incremental", len(changes), self.validated)
        except BaseException as error:  # a failure or Ctrl-C: the frames it left hold the
            traceback.clear_frames(error.__traceback__)  # staging store open; it closes
            raise                                        # before its folder is removed
        finally:
            for path in staged.values():
                path.unlink(missing_ok=True)
            shutil.rmtree(staging, ignore_errors=True)

    def previous(self, cache: ImportCache) -> tuple[str, BuildState] | None:
        """The current generation (its id and state), if an incremental build may start
        from it: built by this code from the same files, and from this cache. Called under
        the build lock."""
        finish_switch(self.graph_dir)  # of a build killed while switching
        ident = current_id(self.graph_dir)
        if ident is None or not self.target.exists():
            return None
        state = read_state(self.graph_dir, ident)
        if (state is None or state.base != self.base or state.code != code_version()
                or not matches(read_manifest(self.graph_dir, ident), self.sources(), self.base)
                or state.cache != cache.token):
            return None
        try:
            opened = open_store(store_folder(self.graph_dir) / ident)
        except StoreUnusable:
            return None  # damaged: a full build replaces it
        del opened  # closed: the build clones it
        self.compiled = state.validator
        return ident, state

    def _staged_file(self, target: Path) -> Path:
        """A new file outside graph/ (where a starting server would load it), on the same
        file system (so that it can be renamed over the target)."""
        self.work.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=f"{target.stem}.", suffix=target.suffix,
                                        dir=self.work)
        os.close(handle)
        make_readable(Path(name))
        return Path(name)

    def _rules(self) -> tuple[Graph, Graph]:
        return load_rules(self.shapes, self.ontology)

    def _full(self, assembler: Assembler, staging: Path, staged: dict[Path, Path]
              ) -> Findings:
        """The store and the name index from nothing; the name index is written while the
        store is compacted (at 50,000 products, about a minute each on one core)."""
        store_dir = staging / "db"
        with staged[self.target].open("w", encoding="utf-8", newline="\n") as out, \
                self._bar("write", None, "unit") as bar:
            out.write(header(turtle_prefixes(self.iris.base)))
            for _, text in assembler.units():
                out.write(text)
                bar.update()

        def complete(store: ox.Store) -> None:
            self.links.publish(store, self.data_graph, staged[self.links.path])
            statistics = self.statistics
            statistics.publish(store, statistics.figures(store, self.data_graph),
                               staged[statistics.path])

        load_store([(staged.get(path, path), graph) for path, graph in self.sources()],
                   store_dir, complete,
                   beside_compaction=lambda store: self._search_index(store,
                                                                      staging / "search"))
        if self.validator is None:
            return None
        size = sum(path.stat().st_size for path in staged.values())
        jobs = self.jobs if size > PARALLEL_VALIDATION else 1
        with self._bar("validate", len(self.validator.checks), "check") as bar:
            return self.validator.validate_closed(store_dir, self.graphs, jobs, bar.update)

    def _incremental(self, previous: tuple[str, BuildState], changes: list[UnitChange],
                     staging: Path, staged: dict[Path, Path]) -> Findings:
        """The new generation from the current one. The two large copies, the Turtle file
        with its edits and the name index (before its update), run in threads beside the
        store's work: they wait on memory and disk, not on the interpreter."""
        old_store = store_folder(self.graph_dir) / previous[0]
        old_index = search_index_of(old_store)
        with BlockFile(self.target) as old, ThreadPoolExecutor(2) as copies:
            turtle = copies.submit(_write_patched, old, changes, staged[self.target])
            index = (copies.submit(shutil.copyfile, old_index, staging / "search")
                     if old_index.exists() else None)
            findings = self._update_store(old, old_store, previous[1], changes, staging / "db",
                                          staged)
            turtle.result()
            if index is not None:
                index.result()
        store = ox.Store(str(staging / "db"))
        try:
            self._search_index(store, staging / "search")
        finally:
            del store
        return findings

    def _update_store(self, old: BlockFile, old_store: Path, state: BuildState,
                      changes: list[UnitChange], store_dir: Path, staged: dict[Path, Path]
                      ) -> Findings:
        """A clone of the old store with the changed units replaced, validated."""
        clone_store(old_store, store_dir)
        store = ox.Store(str(store_dir))
        try:
            changed, removed, added = _replace_blocks(store, ox.NamedNode(self.data_graph),
                                                      old.header, old.expand, changes)
            self.changed = changed
            links_changed = self.links.publish(store, self.data_graph,
                                               staged[self.links.path])
            statistics = self.statistics
            figures = (statistics.updated(store, self.data_graph, removed, added)
                       or statistics.figures(store, self.data_graph))
            statistics.publish(store, figures, staged[statistics.path])
            store.flush()
            validator = self.validator
            if (validator is None or state.findings is None or not validator.local
                    or links_changed):
                return self._validate(store, focus=None, previous=None)
            dirty = validator.dirty(store, self.graphs, changed, [*removed, *added])
            self.validated = len(dirty)
            return self._validate(store, focus=dirty, previous=state.findings)
        finally:
            del store

    def _search_index(self, store: ox.Store, path: Path) -> None:
        """The name index of the new store: the previous one's copy (`_incremental`)
        brought up to date, else gathered whole."""
        rows = oxigraph_rows(store)
        if path.exists() and self.changed is not None:
            update_index(rows, self.iris, path, self.changed)
        else:
            with self._bar("search index", None, "pass"):
                build_index(rows, self.iris, path)

    def _links_unchanged(self, ident: str) -> bool:
        """True when the links the current generation publishes are still the right ones
        (the mapping files may have changed without any entry changing)."""
        store = ox.Store.read_only(str(store_folder(self.graph_dir) / ident))
        try:
            return self.links.text(store, self.data_graph) == self.links.current()
        finally:
            del store

    @cached_property
    def validator(self) -> StoreValidator | None:
        """The shapes compiled to SPARQL (by the last build, when an incremental build
        starts from it: the same shapes, ontology and code); None when they need pyshacl."""
        if self.compiled is not None:
            return self.compiled
        try:
            return StoreValidator(self._rules()[0])
        except Unsupported:
            return None

    def _validate(self, store: ox.Store, focus: set[str] | None, previous: Findings
                  ) -> Findings:
        """Findings of the focus nodes (all when None) plus the previous ones of the others;
        None when the shapes need pyshacl (the caller then validates the file with it)."""
        validator = self.validator
        if validator is None:
            return None
        with self._bar("validate", len(validator.checks), "check") as bar:
            found = validator.validate(store, self.graphs, focus, progress=bar.update)
        if focus is None or previous is None:
            return found
        return [(iri, f) for iri, f in previous if iri not in focus] + found

    def _bar(self, desc: str, total: int | None, unit: str) -> tqdm:
        return tqdm(total=total, desc=desc, unit=unit, disable=not self.progress,
                    file=sys.stderr)


def _replace_blocks(store: ox.Store, graph: ox.NamedNode, text_header: str,
                    expand: Callable[[str], str], changes: Iterable[UnitChange]
                    ) -> tuple[set[str], list[tuple], list[tuple]]:
    """Replace the blocks of changed units in the store's data graph. Returns the subjects
    whose block changed, and the old and the new triples of the changed units (rdflib)."""
    changed: set[str] = set()
    removed: list[tuple] = []
    added: list[tuple] = []
    for change in changes:
        before = {region_subject(r, expand): r for r in split_regions(change.old)}
        after = {region_subject(r, expand): r for r in split_regions(change.new)}
        changed |= {s for s in before.keys() | after.keys() if before.get(s) != after.get(s)}
        for subject in before:
            _remove_subject(store, ox.NamedNode(subject), graph)
        new = _parse(text_header, change.new)
        store.extend(ox.Quad(q.subject, q.predicate, q.object, graph) for q in new)
        for quads, triples in ((_parse(text_header, change.old), removed), (new, added)):
            triples.extend((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object))
                           for q in quads)
    return changed, removed, added


def _write_patched(old: BlockFile, changes: list[UnitChange], path: Path) -> None:
    with path.open("wb") as out:
        write_patched(old, [change.edit for change in changes], out)


def _parse(text_header: str, text: str) -> list[ox.Quad]:
    return list(ox.parse(input=(text_header + text).encode("utf-8"),
                         format=ox.RdfFormat.TURTLE))


def _remove_subject(store: ox.Store, subject: ox.NamedNode, graph: ox.NamedNode) -> None:
    """Remove a subject's triples and those of the blank nodes below it."""
    todo: list[ox.NamedNode | ox.BlankNode] = [subject]
    while todo:
        node = todo.pop()
        for quad in list(store.quads_for_pattern(node, None, None, graph)):
            if isinstance(quad.object, ox.BlankNode):
                todo.append(quad.object)
            store.remove(quad)
