"""`graph/links.ttl`: the accepted mappings as links, and their linksets, made by the build.

The links come from `mappings/*.sssom.tsv` (see `link.publish`), checked against the
entities of the graph being built: a mapping whose subject the graph does not hold stops
the build. They live in a file of their own, beside the entries' Turtle, so that a change
to a mapping file rewrites this small file and nothing else; the build loads it into the
store's `<base>graph/links` graph (as `lactgraph serve` does with every file of graph/)
and validates it with the entries, so the shapes check every link's IRI form.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox

from .entries import turtle_prefixes
from .iris import IriScheme
from .link.prefixes import expand, identifier_prefixes
from .link.publish import accepted_sets, links_graph
from .link.sssom import SUFFIX
from .rdfio import IRI_CHARACTER, write_atomically
from .store.oxigraph import publish_turtle
from .to_rdf import FABIO, SCHEMA
from .turtle import TermWriter, blocks, header

LINKS_FILE = "links.ttl"
MAPPINGS_FOLDER = "mappings"  # in graph/: the accepted sets the links were built from
_IRIREF = re.compile(f"{IRI_CHARACTER}+")

# Both anchored on what is few (the subjects the mappings name, the sameAs links) rather
# than on every product and article: 3.5 s per build at 50,000 products, now milliseconds.
_SUBJECTS = """SELECT DISTINCT ?s WHERE {{ VALUES ?s {{ {named} }} GRAPH <{graph}> {{
  {{ ?s a <{product}> }} UNION {{ ?s a <{article}> }} }} }}"""
_REFERENCE_TARGETS = """SELECT ?o WHERE {{ GRAPH <{graph}> {{
  ?s <{same_as}> ?o FILTER EXISTS {{ ?s a <{article}> }} }} }}"""


class LinksFile:
    """The links file of one graph folder, for one mappings folder and base."""

    def __init__(self, path: Path, mappings: Path, base: str) -> None:
        self.path = path
        self.mappings = mappings
        self.base = base
        self.graph = f"{IriScheme(base).base}graph/{path.stem}"
        prefixes = {**turtle_prefixes(base), **identifier_prefixes()}
        self._terms = TermWriter(prefixes)
        self._header = ("# The accepted mappings of mappings/*.sssom.tsv as links, and their "
                        "linksets:\n# written by `lactgraph build`, not by hand.\n"
                        + header(prefixes))

    def text(self, store: ox.Store, data_graph: str) -> str:
        """The file's Turtle for the entries in data_graph of store (sorted, stable)."""
        iris = IriScheme(self.base)
        sets = accepted_sets(self.mappings)
        named = sorted({iri for ms in sets for mapping in ms.mappings
                        if (iri := expand(mapping.subject_id, self.base))
                        and _IRIREF.fullmatch(iri)})  # any other is reported unknown
        subjects = {row[0].value for row in store.query(_SUBJECTS.format(
            named=" ".join(f"<{iri}>" for iri in named), graph=data_graph,
            product=iris.term("Product"), article=FABIO.JournalArticle))} if named else set()
        targets = [row[0].value for row in store.query(_REFERENCE_TARGETS.format(
            graph=data_graph, article=FABIO.JournalArticle, same_as=SCHEMA.sameAs))]
        graph = links_graph(sets, subjects, targets, self.base)
        return self._header + blocks(graph, self._terms)

    def current(self) -> str | None:
        """The published file's text, None when there is none."""
        try:
            return self.path.read_text("utf-8")
        except FileNotFoundError:
            return None

    def publish(self, store: ox.Store, data_graph: str, staged: Path) -> bool:
        """Write the links to staged and put them in the store's links graph, replacing
        what it held; True when they differ from the published file."""
        text = self.text(store, data_graph)
        publish_turtle(store, self.graph, text, staged)
        return text != self.current()


def publish_mapping_sets(mappings: Path, graph_dir: Path) -> None:
    """Copy the accepted mapping sets the build checked and turned into links into
    `graph_dir/mappings/`, which the server publishes: what it serves is then what the
    links and their linksets (`dcterms:source`) were made from, not a file edited since, or
    refused by a build."""
    accepted = {path.name: path.read_bytes()
                for path in sorted(mappings.glob(f"*{SUFFIX}")) if path.is_file()}
    folder = graph_dir / MAPPINGS_FOLDER
    if not accepted and not folder.is_dir():
        return
    for name, data in accepted.items():
        path = folder / name
        if not path.is_file() or path.read_bytes() != data:
            write_atomically(path, data)
    for path in folder.glob(f"*{SUFFIX}"):
        if path.name not in accepted:
            path.unlink()
