"""The embedded store: Oxigraph on disk, opened read-only so that web workers share it.

`lactgraph serve` loads `graph/` (plus the ontology and shapes) once into a store
directory keyed by the content of those files, then every process opens that
directory read-only. Each input file is a named graph; queries see their union as the
default graph.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph
from rdflib.term import Node

from ..errors import LactgraphError
from ..rdfio import DATASET_FORMATS, RDF_SUFFIXES, refuse_doctype, to_rdflib
from . import Store

# A file to load and the named graph it goes into (None: the file names its graphs).
Source = tuple[Path, str | None]


def _fingerprint(sources: list[Source], base: str) -> str:
    digest = hashlib.sha256(base.encode())
    for path, graph in sources:
        digest.update(f"{path.resolve()}\0{graph}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:20]


def load_store(sources: list[Source], directory: Path) -> None:
    """Load files into a new store at directory, atomically (a temp dir, then rename)."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".loading-", dir=directory.parent))
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
        store.optimize()
        del store
        try:
            os.rename(staging, directory)
        except OSError:
            if not directory.exists():  # another process won the race: keep its copy
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def cached_store(sources: list[Source], cache_dir: Path, base: str) -> Path:
    """A store directory holding exactly these files, loading it only when they changed."""
    directory = cache_dir / f"store-{_fingerprint(sources, base)}"
    if not directory.exists():
        load_store(sources, directory)
    return directory


class OxigraphStore(Store):
    """A read-only Oxigraph store on disk."""

    def __init__(self, directory: Path) -> None:
        try:
            self.store = ox.Store.read_only(str(directory))
        except OSError as error:
            raise LactgraphError(f"{directory}: cannot open the Oxigraph store ({error})") from None
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
        graph = Graph()
        for triple in self._query(query):
            graph.add((to_rdflib(triple.subject), to_rdflib(triple.predicate),
                       to_rdflib(triple.object)))
        return graph

    def ask(self, query: str) -> bool:
        return bool(self._query(query))

    def version(self) -> str:
        return self._version
