"""Import -> merge -> validate -> write: the published graph is built from sources.

The build writes nothing unless every source imported and the graph conforms to the
shapes. It scales to tens of thousands of entries:

- each source file is imported once and kept, rendered, in a cache keyed by its content
  (`buildcache.py`); new files are imported in parallel worker processes;
- the merge reads only a few facts per entry (`merge.py`) and decides slug by slug; after
  a change it starts from the last build's decisions and decides again only the slugs
  the changed sources' entries name or mention (`source_merge.py`);
- the Turtle is written block by block, sorted by subject, never holding the graph in
  memory (`assemble.py`);
- the graph is loaded into a persistent Oxigraph store beside graph/ and validated there,
  the shapes compiled to SPARQL (`shacl_sparql.py`), the store kept for
  `lactgraph serve` (`generations.py`);
- the accepted mappings become `graph/links.ttl` (`links.py`), and the sets they come
  from are copied into graph/mappings/ to be published; the bulk dumps are written into
  graph/dumps/ once the new graph is in place (`dumps.py`);
- after a change, only the units of the changed entries are rewritten in the Turtle and
  the store, and only the entities whose checks read them are validated again; the result
  is the one a full build gives (tests/test_incremental.py).

A build killed midway leaves the previous graph/ and store (see `generations.py`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph
from tqdm import tqdm

from .buildcache import ImportCache, code_version
from .entries import EntryRenderer, import_file
from .errors import LactgraphError, SourceError
from .generations import BuildState, build_lock, trash_emptied
from .iris import IriScheme
from .jsonld_context import context
from .links import LINKS_FILE, publish_mapping_sets
from .merge import merge_products
from .readers import READERS, read_source
from .records import Product
from .source_merge import SourceMerge, merge_all, merge_changed
from .to_rdf import products_graph
from .validate import Report, format_text
from .workers import process_pool

GRAPH_FILE = "lactgraph.ttl"
CACHE_FOLDER = ".lactgraph-cache"
PARALLEL_BYTES = 4 << 20  # below this much to import, worker processes cost more than they save

__all__ = ["GRAPH_FILE", "READERS", "Built", "ImportFailed", "Imported", "ValidationFailed",
           "build", "import_sources", "read_sources", "source_files"]


class ImportFailed(LactgraphError):
    """Some sources could not be imported; each error names its file and line."""

    def __init__(self, errors: list[SourceError]) -> None:
        self.errors = errors
        lines = "\n".join(f"  {error}" for error in errors)
        super().__init__(f"{len(errors)} source(s) could not be imported:\n{lines}")


class ValidationFailed(LactgraphError):
    """The built graph does not conform to the shapes; warnings: the sources' and the
    merge's, which may say why (a field of an export record that was not read)."""

    def __init__(self, report: Report, warnings: list[str] | None = None) -> None:
        self.report = report
        self.warnings = warnings or []
        super().__init__("the graph does not conform to the shapes; nothing was written\n"
                         + format_text(report))


def source_files(paths: Iterable[Path]) -> list[Path]:
    """The entry sources named or found in folders, sorted; a missing path is an error."""
    return list(map(Path, source_paths(paths)))


def source_paths(paths: Iterable[Path]) -> list[str]:
    """`source_files` as strings, as a build lists them: a Path each costs more than the
    rest of an incremental build's look at 50,000 unchanged files."""
    found: list[str] = []
    for path in paths:
        if path.is_dir():
            found.extend(_walk(str(path)))
        elif path.is_file():
            found.append(str(path))
        else:
            raise ImportFailed([SourceError(str(path), None, "file not found")])
    return found


def _walk(folder: str) -> Iterator[str]:
    """The sources under a folder in the order their paths sort (name by name), without
    following links to folders, and without hidden files and folders (an editor's, a
    version control's, or a killed synth's `.pages.partial-*`); plain strings and one
    scandir per folder, as a listing of 50,000 files costs a Path and a stat call each
    otherwise."""
    with os.scandir(folder) as listing:
        entries = sorted((entry for entry in listing if not entry.name.startswith(".")),
                         key=lambda entry: entry.name)
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(entry.path)
        elif os.path.splitext(entry.name)[1].lower() in READERS:
            yield entry.path


def read_sources(files: Iterable[Path]) -> tuple[list[Product], list[SourceError]]:
    """Every product that imports, and an error for every file that does not."""
    products: list[Product] = []
    errors: list[SourceError] = []
    for path in files:
        read, failed = read_source(path)
        products.extend(read)
        errors.extend(failed)
    return products, errors


@dataclass
class Imported:
    graph: Graph
    products: int
    warnings: list[str] = field(default_factory=list)
    errors: list[SourceError] = field(default_factory=list)


def import_sources(paths: Iterable[Path], base: str) -> Imported:
    """The graph of everything that imports (in memory: for `lactgraph import`); errors are
    collected, not raised."""
    products, errors = read_sources(source_files(paths))
    merged = merge_products(products)
    graph = products_graph(merged.products, merged.stubs, IriScheme(base))
    return Imported(graph, len(merged.products), merged.warnings, errors + merged.errors)


@dataclass
class Built:
    path: Path
    products: int
    report: Report
    warnings: list[str]
    imported: int = 0  # source files read this time (the others came from the cache)
    mode: str = "full"  # "full", "incremental" or "unchanged" (nothing written)
    units: int | None = None  # units of the Turtle rewritten by an incremental build
    validated: int | None = None  # focus nodes an incremental build validated again


def build(sources: list[Path], graph_dir: Path, shapes: Path, ontology: Path,
          base: str, *, mappings: Path | None = None, dumps: bool = True,
          jobs: int | None = None, progress: bool | None = None) -> Built:
    """Build `graph_dir/lactgraph.ttl`, `links.ttl` and the store beside them, or raise and
    write nothing.

    mappings: the folder of accepted mapping sets (default: `mappings/` beside graph_dir);
    dumps: write the bulk dumps into graph_dir/dumps when the graph changed (or they are
    older than it);
    jobs: processes importing new sources (default: the CPUs this process may use);
    progress: show progress bars on stderr (default: when stderr is a terminal).
    """
    from .publication import Publication  # the store, the shapes: only for a build

    code_version()  # of the code as the build starts (an edit meanwhile is the next's)
    for rules in (shapes, ontology):
        if not rules.is_file():
            raise SourceError(str(rules), None, "file not found: the build validates with it")
    _check_graph_folder(graph_dir, sources)
    files = source_paths(sources)
    if not files:  # a mistyped folder must not publish an empty graph
        raise SourceError(", ".join(map(str, sources)), None, "no entry sources here: "
                          f"expected {', '.join(sorted(READERS))} files; nothing was written")
    show = sys.stderr.isatty() if progress is None else progress
    jobs = jobs or len(os.sched_getaffinity(0))
    renderer = EntryRenderer(base)
    publication = Publication(graph_dir / GRAPH_FILE, shapes, ontology, base,
                              _cache_folder(graph_dir), mappings or graph_dir.parent / "mappings",
                              jobs, show)
    # one build at a time from first to last: another one's import or prune of the cache
    # would change the entries this one reads
    with build_lock(_cache_folder(graph_dir)), trash_emptied(graph_dir), \
            _cache(graph_dir) as cache:
        keys = cache.keys(files, base)
        imported = _import_new(cache, files, keys, base, jobs, show)
        previous = publication.previous(cache)
        state = previous[1] if previous else None
        if state is not None and state.merge is not None:
            merged = merge_changed(cache, keys, state.files, state.merge)
        else:
            merged = merge_all(cache, keys)
        if merged.errors:
            raise ImportFailed(merged.errors)
        products, stubs = _contents(renderer, merged, state)
        outcome = publication.publish(cache, renderer, products, stubs, previous, merged)
        if outcome.report.conforms and outcome.mode != "unchanged":
            cache.prune(keys)  # (the state of an unchanged graph still names its sources)
    if not outcome.report.conforms:
        raise ValidationFailed(outcome.report, merged.merge.warnings)
    publish_mapping_sets(publication.links.mappings, graph_dir)
    if dumps:
        _write_dumps(graph_dir, [graph_dir / GRAPH_FILE, graph_dir / LINKS_FILE], base,
                     changed=outcome.mode != "unchanged", jobs=jobs)
    return Built(graph_dir / GRAPH_FILE, len(merged.merge.products), outcome.report,
                 merged.merge.warnings, imported, outcome.mode, outcome.units,
                 outcome.validated)


def _check_graph_folder(graph_dir: Path, sources: list[Path]) -> None:
    """The graph goes into a folder of its own, outside the sources (inside, the next build
    reads the dumps' manifest as an export file)."""
    if graph_dir.exists() and not graph_dir.is_dir():
        raise SourceError(str(graph_dir), None, "not a folder: the graph is written into one")
    where = graph_dir.resolve()
    for source in sources:
        if source.is_dir() and where.is_relative_to(source.resolve()):
            raise SourceError(str(graph_dir), None, f"inside the sources folder {source}: "
                              "the next build would read the graph as entries; give "
                              "another --graph")


def _contents(renderer: EntryRenderer, merged: SourceMerge, state: BuildState | None
              ) -> tuple[dict[str, str], dict[str, str]]:
    """The products (IRI -> eid) and stubs (IRI -> region) of the merge: those of the
    last build with the slugs decided again replaced, or all of them."""
    merge, iris = merged.merge, renderer.iris
    if merged.touched is None or state is None:
        return ({iris.entity("product", slug): eid for slug, eid in merge.products.items()},
                dict(map(renderer.stub, merge.stubs.values())))
    products, stubs = dict(state.products), dict(state.stubs)
    for slug in merged.touched:
        iri = iris.entity("product", slug)  # a stub's IRI too (`RdfWriter.product_stub`)
        products.pop(iri, None)
        stubs.pop(iri, None)
        if slug in merge.products:
            products[iri] = merge.products[slug]
        elif slug in merge.stubs:
            stubs[iri] = renderer.stub(merge.stubs[slug])[1]
    return products, stubs


def _write_dumps(graph_dir: Path, files: list[Path], base: str, changed: bool,
                 jobs: int) -> None:
    """The dumps of the published files, when the graph changed or the dumps' manifest
    (written last) is older than the graph: a build killed before its dumps were written."""
    from .dumps import FOLDER, MANIFEST, write_dumps  # PyLD: 0.1 s to import, for dumps only

    manifest = graph_dir / FOLDER / MANIFEST
    newest = max(path.stat().st_mtime_ns for path in files)
    if not changed and manifest.is_file() and manifest.stat().st_mtime_ns >= newest:
        return
    size = sum(path.stat().st_size for path in files)
    write_dumps(files, graph_dir / FOLDER, context(base),
                jobs=jobs if size > PARALLEL_BYTES else 1,
                cache=_cache_folder(graph_dir) / "dumps.sqlite")


def _cache_folder(graph_dir: Path) -> Path:
    """Beside graph/, not in it: the server loads every RDF file under graph/."""
    return graph_dir.parent / CACHE_FOLDER / graph_dir.name


@contextmanager
def _cache(graph_dir: Path) -> Iterator[ImportCache]:
    cache = ImportCache(_cache_folder(graph_dir) / "imports.sqlite")
    try:
        yield cache
    finally:
        cache.close()


def _import_new(cache: ImportCache, files: list[str], keys: list[str], base: str,
                jobs: int, show: bool) -> int:
    """Import the files the cache does not know, in worker processes when it pays; how
    many."""
    known = cache.known(keys)
    todo = list({key: path for path, key in zip(files, keys, strict=True)
                 if key not in known}.items())
    if not todo:
        return 0
    size = sum(os.path.getsize(path) for _, path in todo)
    bar = tqdm(total=len(todo), desc="import", unit="file", disable=not show, file=sys.stderr)
    with bar:
        if jobs > 1 and len(todo) > 1 and size >= PARALLEL_BYTES:
            with process_pool(jobs) as pool:
                chunk = max(1, min(64, len(todo) // (jobs * 8)))
                cache.add(pool.map(import_file, [p for _, p in todo], [k for k, _ in todo],
                                   [base] * len(todo), chunksize=chunk), done=bar.update)
        else:
            cache.add((import_file(path, key, base) for key, path in todo), done=bar.update)
    return len(todo)
