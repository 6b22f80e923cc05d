"""Import -> merge -> validate -> write: the published graph is built from sources.

The build writes nothing unless every source imported and the graph conforms to the
shapes; the Turtle is written atomically, so a killed build leaves the previous graph.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph

from .errors import LactgraphError, SourceError
from .iris import IriScheme
from .merge import merge_products
from .rdfio import write_atomically
from .records import Product
from .sources.export import read_export_file
from .sources.page import read_page_file
from .to_rdf import products_graph
from .validate import Report, format_text, load_rules, validate_graph

GRAPH_FILE = "lactgraph.ttl"

Reader = Callable[[Path], tuple[list[Product], list[SourceError]]]


def _read_page(path: Path) -> tuple[list[Product], list[SourceError]]:
    return [read_page_file(path)], []


# Readers by file suffix: each turns one file into the records it holds and an error for
# each record it could not read (a page is one record; an export file, many).
READERS: dict[str, Reader] = {
    ".txt": _read_page,
    ".json": read_export_file,
    ".jsonl": read_export_file,
}


class ImportFailed(LactgraphError):
    """Some sources could not be imported; each error names its file and line."""

    def __init__(self, errors: list[SourceError]) -> None:
        self.errors = errors
        lines = "\n".join(f"  {error}" for error in errors)
        super().__init__(f"{len(errors)} source(s) could not be imported:\n{lines}")


class ValidationFailed(LactgraphError):
    """The built graph does not conform to the shapes."""

    def __init__(self, report: Report) -> None:
        self.report = report
        super().__init__("the graph does not conform to the shapes; nothing was written\n"
                         + format_text(report))


def source_files(paths: Iterable[Path]) -> list[Path]:
    """The entry sources named or found in folders, sorted; a missing path is an error."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(p for p in sorted(path.rglob("*")) if p.suffix in READERS)
        elif path.is_file():
            found.append(path)
        else:
            raise ImportFailed([SourceError(str(path), None, "file not found")])
    return found


def read_sources(files: Iterable[Path]) -> tuple[list[Product], list[SourceError]]:
    """Every product that imports, and an error for every file that does not."""
    products: list[Product] = []
    errors: list[SourceError] = []
    for path in files:
        reader = READERS.get(path.suffix)
        if reader is None:
            expected = ", ".join(sorted(READERS))
            message = f"unknown kind of source: expected {expected}"
            errors.append(SourceError(str(path), None, message))
            continue
        try:
            read, failed = reader(path)
        except SourceError as error:
            read, failed = [], [error]
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
    """The graph of everything that imports; errors are collected, not raised."""
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


def build(sources: list[Path], graph_dir: Path, shapes: Path, ontology: Path,
          base: str) -> Built:
    """Build and write `graph_dir/lactgraph.ttl`, or raise and write nothing."""
    imported = import_sources(sources, base)
    if imported.errors:
        raise ImportFailed(imported.errors)
    shapes_graph, ontology_graph = load_rules(shapes, ontology)
    report = validate_graph(imported.graph, shapes_graph, ontology_graph)
    if not report.conforms:
        raise ValidationFailed(report)
    target = graph_dir / GRAPH_FILE
    write_atomically(target, imported.graph.serialize(format="turtle", encoding="utf-8"))
    return Built(target, imported.products, report, imported.warnings)
