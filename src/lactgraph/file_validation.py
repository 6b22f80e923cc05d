"""`lactgraph validate`: RDF files checked with the build's own engine.

The shapes compiled to SPARQL (`shacl_sparql`) check the files as the build checks its
graph: the same findings as the build (literals read as written, not as rdflib normalises
them: `"yes"^^xsd:boolean` is reported as "yes"), in seconds where pyshacl over an
rdflib graph took minutes and gigabytes (4 minutes and 3.6 GB for a graph of 5,000
products; at 50,000, more memory than the machine has). A graph folder whose store is up
to date (what `lactgraph build` points to for its warnings) is checked in that store, on
every core; other files are loaded into an in-memory store first. Shapes the compiler
does not translate are checked by pyshacl, as before.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph

from .config import Settings
from .errors import SourceError
from .generations import current_store, hold, store_sources
from .iris import IriScheme
from .rdfio import add_files, read_graph, some_rdf_paths
from .shacl_sparql import StoreValidator, Unsupported
from .validate import Report, report_of, validate_graph

# Where the files and the ontology go in the store; the checks read the union of both,
# as pyshacl reads the data with the ontology mixed in.
_DATA = ox.NamedNode("urn:x-lactgraph:validate:data")
_ONTOLOGY = ox.NamedNode("urn:x-lactgraph:validate:ontology")


def validate_files(paths: Sequence[Path], shapes: Graph, ontology: Path,
                   settings: Settings | None = None) -> Report:
    """The report of the RDF files (or folders of them) named, against the shapes with
    the ontology; SourceError naming the files where they hold no triple (an empty file
    would conform, with nothing checked). settings: those of the project, whose base and
    rules a graph folder's store must have been built with to be used."""
    with _rdflib_quiet():
        try:
            validator: StoreValidator | None = StoreValidator(shapes)
        except Unsupported:
            validator = None
        built = _built_store(paths, settings) if validator and settings else None
        if validator and built:
            directory, graphs = built
            return report_of(finding for _, finding in validator.validate_closed(
                directory, graphs, len(os.sched_getaffinity(0))))
        files = some_rdf_paths(paths)
        store = ox.Store()
        add_files(store, files, _DATA)
        add_files(store, [ontology], _ONTOLOGY)
        if next(store.quads_for_pattern(None, None, None, _DATA), None) is None:
            raise SourceError(", ".join(map(str, paths)), None, "no RDF triples to validate "
                              "(the source's JSON export is not JSON-LD: `lactgraph build` "
                              "reads it)")
        if validator is None:
            return validate_graph(read_graph(files), shapes, read_graph([ontology]))
        return report_of(finding for _, finding in
                         validator.validate(store, [_DATA.value, _ONTOLOGY.value]))


def _built_store(paths: Sequence[Path], settings: Settings) -> tuple[Path, list[str]] | None:
    """The up-to-date store of a graph folder, when paths is that one folder, and the
    graphs to check there: its files' and the ontology's (not the shapes')."""
    if len(paths) != 1 or not paths[0].is_dir():
        return None
    folder = settings.with_overrides(graph_dir=paths[0])
    directory = current_store(folder)
    if directory is None:
        return None
    hold(directory)  # a build meanwhile keeps it
    sources = store_sources(folder, IriScheme(folder.base))
    return directory, [graph for _, graph in sources[:-1]]


@contextmanager
def _rdflib_quiet() -> Iterator[None]:
    """rdflib logs a traceback, and warns, for every ill-typed literal it reads (a value
    of a finding): the report names each one already."""
    logger = logging.getLogger("rdflib.term")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=UserWarning, module=r"rdflib\.")
            yield
    finally:
        logger.setLevel(level)
