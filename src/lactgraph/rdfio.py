"""Reading and writing RDF files: safe parsing, precise errors, atomic writes.

Files are parsed with Oxigraph's parsers, which report line and column, never fetch a
remote JSON-LD context and never expand XML entities; the triples then become an rdflib
graph for validation and serialisation.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from .errors import SourceError

RDF_SUFFIXES = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".json": ox.RdfFormat.JSON_LD,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
}
DATASET_FORMATS = (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG)  # files that name their graphs
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def to_rdflib(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> Node:
    """An Oxigraph term as the equivalent rdflib term."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    if term.datatype.value == _XSD_STRING:  # a simple literal, as rdflib parsers make it
        return Literal(term.value)
    return Literal(term.value, datatype=URIRef(term.datatype.value))


def rdf_paths(paths: Iterable[Path]) -> list[Path]:
    """Every RDF file named or found in a folder, sorted; a missing path is an error."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(p for p in sorted(path.rglob("*")) if p.suffix in RDF_SUFFIXES)
        elif path.is_file():
            if path.suffix not in RDF_SUFFIXES:
                expected = ", ".join(sorted(RDF_SUFFIXES))
                raise SourceError(str(path), None, f"not an RDF file: expected one of {expected}")
            found.append(path)
        else:
            raise SourceError(str(path), None, "file not found")
    return found


def _line_of(message: str) -> int | None:
    match = re.search(r"line (\d+)", message)
    return int(match.group(1)) if match else None


def read_graph(paths: Iterable[Path], graph: Graph | None = None) -> Graph:
    """Parse RDF files into one rdflib graph (blank nodes kept apart per file)."""
    graph = Graph() if graph is None else graph
    for path in rdf_paths(paths):
        refuse_doctype(path)
        try:
            quads = ox.parse(path=str(path), format=RDF_SUFFIXES[path.suffix],
                             rename_blank_nodes=True)
            for quad in quads:
                graph.add((to_rdflib(quad.subject), to_rdflib(quad.predicate),
                           to_rdflib(quad.object)))
        except SyntaxError as error:
            message = str(error)
            raise SourceError(str(path), _line_of(message), message) from None
        except UnicodeDecodeError as error:
            raise SourceError(str(path), None, f"not UTF-8 ({error.reason})") from None
    return graph


def refuse_doctype(path: Path) -> None:
    """An RDF/XML DOCTYPE may declare entities; refuse it before any parser sees it."""
    if RDF_SUFFIXES[path.suffix] is not ox.RdfFormat.RDF_XML:
        return
    with path.open("rb") as file:
        if b"<!DOCTYPE" in file.read(64 * 1024).upper():
            raise SourceError(str(path), None, "XML with a DOCTYPE is refused (entity expansion)")


def write_atomically(path: Path, data: bytes) -> None:
    """Write a file so that readers see the old or the new content, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
