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
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from ..errors import LactgraphError
from . import Store

_FORMATS = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG,
    ".rdf": ox.RdfFormat.RDF_XML,
}


def to_rdflib(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> Node:
    """An Oxigraph term as the equivalent rdflib term."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    return Literal(term.value, datatype=URIRef(term.datatype.value))


def graph_name(base: str, path: Path) -> str:
    """The named graph a source file is loaded into: `<base>graph/<file stem>`."""
    return f"{base}graph/{path.stem}"


def rdf_files(paths: Iterable[Path]) -> list[Path]:
    """The RDF files among paths (folders are searched), in a stable order."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(p for p in sorted(path.rglob("*")) if p.suffix in _FORMATS)
        elif path.suffix in _FORMATS and path.exists():
            found.append(path)
        else:
            raise LactgraphError(f"{path}: not found, or not an RDF file ({', '.join(_FORMATS)})")
    return found


def _fingerprint(files: list[Path], base: str) -> str:
    digest = hashlib.sha256(base.encode())
    for path in files:
        digest.update(str(path.resolve()).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:20]


def load_store(files: list[Path], directory: Path, base: str) -> None:
    """Load files into a new store at directory, atomically (a temp dir, then rename)."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".loading-", dir=directory.parent))
    try:
        store = ox.Store(str(staging))
        for path in files:
            graph = None
            if _FORMATS[path.suffix] not in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG):
                graph = ox.NamedNode(graph_name(base, path))
            try:
                store.bulk_load(path=str(path), format=_FORMATS[path.suffix], to_graph=graph)
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


def cached_store(files: list[Path], cache_dir: Path, base: str) -> Path:
    """A store directory holding exactly these files, loading it only when they changed."""
    directory = cache_dir / f"store-{_fingerprint(files, base)}"
    if not directory.exists():
        load_store(files, directory, base)
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
