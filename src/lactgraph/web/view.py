"""Page models and the View that reads a description graph the way pages need it.

Views turn a description graph into plain page models (names, levels, links, text
segments) and Jinja templates render them with autoescaping on: no literal from the data
ever reaches the page unescaped, and no page model holds markup. Links from the data are
kept only when they are http(s); colours only when they are hex colours.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from rdflib import RDF, RDFS, BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from ..to_rdf import DCTERMS, SCHEMA, SKOS, new_graph
from ..vocab import PREFIXES
from . import urls
from .context import site
from .describe import per_version
from .renderers import DOCUMENT_FORMATS

LANGUAGES = ("en", "es")  # the order names and texts are preferred in
_COLOUR = re.compile(r"#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?")


def lg() -> Namespace:
    return Namespace(site().iris.term(""))


# --- page models -----------------------------------------------------------------------

@dataclass(frozen=True)
class Text:
    """A literal as shown: its text and language tag (None for untagged)."""

    value: str
    lang: str | None = None


@dataclass(frozen=True)
class Level:
    notation: int
    name: Text
    alt_name: Text | None
    description: Text | None
    colour: str
    url: str


@dataclass(frozen=True)
class Link:
    name: Text
    url: str | None  # None: not a followable URL (shown as text)
    iri: str
    level: Level | None = None
    note: str | None = None


@dataclass(frozen=True)
class Segment:
    """A run of commentary text; an in-text citation carries the anchor it points at."""

    text: str
    href: str | None = None
    title: str | None = None


@dataclass
class Reference:
    number: int
    anchor: str
    link: Link
    authors: list[str]
    title: str | None
    journal: str | None
    year: str | None
    citation: str | None
    links: list[tuple[str, str]] = field(default_factory=list)  # (label, url)


@dataclass
class Section:
    heading: str
    links: list[Link] = field(default_factory=list)
    by_level: list[tuple[Level | None, list[Link]]] | None = None


def _lang_rank(literal: Literal) -> int:
    lang = literal.language
    return LANGUAGES.index(lang) if lang in LANGUAGES else (len(LANGUAGES) if lang is None
                                                             else len(LANGUAGES) + 1)


def safe_url(value: Node | str | None) -> str | None:
    """An http(s) URL fit for an href, else None (no javascript: or data: links)."""
    text = str(value) if value is not None else ""
    return text if text.startswith(("http://", "https://")) else None


class View:
    """Reads a description graph the way pages need it."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.lg = lg()
        self.names = new_graph(site().iris.base).namespace_manager

    def texts(self, node: Node, *predicates: URIRef) -> list[Text]:
        literals = [o for p in predicates for o in self.graph.objects(node, p)
                    if isinstance(o, Literal)]
        literals.sort(key=lambda lit: (_lang_rank(lit), str(lit)))
        return [Text(str(lit), lit.language) for lit in literals]

    def text(self, node: Node, *predicates: URIRef) -> Text | None:
        found = self.texts(node, *predicates)
        return found[0] if found else None

    def name(self, node: Node) -> Text:
        return (self.text(node, SKOS.prefLabel, RDFS.label, DCTERMS.title)
                or Text(self.qname(node)))

    def qname(self, node: Node) -> str:
        if isinstance(node, URIRef):
            try:
                return self.names.normalizeUri(node).strip("<>")
            except ValueError:
                return str(node)
        return str(node)

    def level_of_concept(self, concept: Node) -> Level | None:
        notation = self.graph.value(concept, SKOS.notation)
        if notation is None:
            return None
        colour = str(self.graph.value(concept, SCHEMA.color) or "")
        return Level(
            notation=int(notation), name=self.name(concept),
            alt_name=self.text(concept, SKOS.altLabel),
            description=self.text(concept, SKOS.definition),
            colour=colour if _COLOUR.fullmatch(colour) else "#777777",
            url=urls.page(str(concept)))

    def level(self, node: Node) -> Level | None:
        concept = self.graph.value(node, self.lg.riskLevel)
        return self.level_of_concept(concept) if concept is not None else None

    def link(self, node: Node, note: str | None = None) -> Link:
        return Link(self.name(node), urls.page(str(node)), str(node), self.level(node), note)

    def links(self, nodes: Iterable[Node]) -> list[Link]:
        found = {self.link(node) for node in nodes if isinstance(node, URIRef)}
        return sorted(found, key=lambda link: link.name.value.casefold())

    def objects(self, node: Node, predicate: URIRef) -> list[Link]:
        return self.links(self.graph.objects(node, predicate))

    def subjects(self, predicate: URIRef, node: Node) -> list[Link]:
        return self.links(self.graph.subjects(predicate, node))

    def kinds(self, node: Node) -> list[Text]:
        return [self.name(t) for t in sorted(self.graph.objects(node, RDF.type))]

    def items(self, head: Node) -> list[Node]:
        return list(Collection(self.graph, head)) if isinstance(head, BNode) else []

    def by_level(self, links: list[Link]) -> list[tuple[Level | None, list[Link]]]:
        groups: dict[int, tuple[Level | None, list[Link]]] = {}
        for link in links:
            key = link.level.notation if link.level else 99
            groups.setdefault(key, (link.level, []))[1].append(link)
        return [groups[key] for key in sorted(groups)]

    def statements(self, node: Node) -> list[tuple[str, list[Link | Text]]]:
        """Every statement about node, for the 'all statements' table."""
        rows: dict[str, list[Link | Text]] = {}
        for predicate, value in sorted(self.graph.predicate_objects(node)):
            values = rows.setdefault(self.qname(predicate), [])
            if isinstance(value, Literal):
                values.append(Text(str(value), value.language))
            elif isinstance(value, URIRef):
                values.append(self.link(value))
            else:
                for item in self.items(value):
                    values.append(self.link(item) if isinstance(item, URIRef)
                                  else Text(str(item)))
        return list(rows.items())


def formats(iri: str) -> list[tuple[str, str]]:
    return [(fmt.label, urls.document(iri, fmt.extension)) for fmt in DOCUMENT_FORMATS]


def levels() -> dict[int, Level]:
    """The four levels as shown in badges (from the store's risk-level scheme)."""
    def build() -> dict[int, Level]:
        current = site()
        scheme = current.iris.risk_scheme
        graph = current.store.construct(f"""
            PREFIX skos: <{PREFIXES['skos']}> PREFIX schema: <{PREFIXES['schema']}>
            CONSTRUCT {{ ?c ?p ?o }} WHERE {{ ?c skos:inScheme <{scheme}> ; ?p ?o
              FILTER(?p IN (skos:notation, skos:prefLabel, skos:altLabel, skos:definition,
                            schema:color)) }}""")
        view = View(graph)
        levels = (view.level_of_concept(c) for c in set(graph.subjects()))
        return {level.notation: level for level in levels if level}

    return per_version("levels", build)
