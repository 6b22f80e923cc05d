"""Sorted, stable Turtle written block by block: fast at millions of triples, patchable.

rdflib's Turtle writer needs the whole graph in memory, orders subjects by how often they
are referenced (so an unrelated change can move a block) and takes about a minute per
million triples. The build instead renders each subject's triples once, as a *block*, and
writes the blocks sorted by subject IRI:

    @prefix ... .                       the header: every prefix the writer may use
    <blank line>
    product:a a lg:Product ;            a block: one subject, its predicates sorted ("a"
        skos:prefLabel "A"@en .         first), objects sorted; blank nodes (RDF lists)
    <blank line>                        written inline, never as subjects of their own
    product:a-b a lg:Product .

A block never holds a blank line (line breaks inside literals are written as `\\n`), so
a blank line always starts a block: `blockfile.py` finds a subject by binary search and
an incremental build replaces a few blocks without rewriting the others.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from functools import lru_cache

from rdflib import RDF, XSD, BNode, Literal, URIRef
from rdflib.term import Node

_LOCAL_NAME = re.compile(r"(?:[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?)?")
_SHORTHAND = {
    str(XSD.integer): re.compile(r"[+-]?[0-9]+"),
    str(XSD.decimal): re.compile(r"[+-]?[0-9]*\.[0-9]+"),
    str(XSD.boolean): re.compile(r"true|false"),
}
_STRING_ESCAPES = {ord("\\"): "\\\\", ord('"'): '\\"', ord("\n"): "\\n", ord("\r"): "\\r",
                   ord("\t"): "\\t"}
_STRING_ESCAPES.update({c: f"\\u{c:04X}" for c in (*range(0x20), 0x7F) if c not in
                        _STRING_ESCAPES})
_IRI_ESCAPES = {ord(c): f"\\u{ord(c):04X}" for c in '<>"{}|^`\\ '}
_IRI_ESCAPES.update({c: f"\\u{c:04X}" for c in range(0x21)})
_XSD_STRING = str(XSD.string)
_RDF_TYPE = str(RDF.type)
_RDF_FIRST, _RDF_REST, _RDF_NIL = str(RDF.first), str(RDF.rest), RDF.nil
INDENT = "    "
# IRIs (and typed literals) a TermWriter remembers before it starts again: an importing
# process renders tens of thousands of pages with one writer, and most of their IRIs
# (citations, pharmacokinetic values) are written once, where vocabulary, groups and
# shared references recur
_REMEMBERED = 1 << 16


def _escaped(text: str) -> str:
    """The text with the characters a Turtle string cannot hold escaped. Most have none,
    and asking costs a tenth of a translation (which costs microseconds even for none)."""
    if text.isprintable() and '"' not in text and "\\" not in text:
        return text
    return text.translate(_STRING_ESCAPES)


def header(prefixes: Mapping[str, str]) -> str:
    """The prefix lines, sorted by prefix."""
    return "".join(f"@prefix {name}: <{iri}> .\n" for name, iri in sorted(prefixes.items()))


class Rendered(str):
    """A term already written as Turtle (see `TermWriter.string`)."""


@lru_cache(maxsize=256)  # an entry's few languages (a source may name any)
def _language_tag(lang: str) -> str:
    """The tag as rdflib takes it, or rdflib's ValueError for an invalid one."""
    return Literal("", lang=lang).language


class TermWriter:
    """Writes terms in Turtle with a fixed prefix map (IRIs are remembered: they repeat)."""

    def __init__(self, prefixes: Mapping[str, str]) -> None:
        self.namespaces = {iri: name for name, iri in prefixes.items()}
        self.used: set[str] = set()  # the prefixes written so far
        self._iris: dict[str, str] = {_RDF_TYPE: "a"}
        self._typed: dict[tuple[str, Node], Rendered] = {}

    def iri(self, iri: str) -> str:
        text = self._iris.get(iri)
        if text is None:
            if len(self._iris) >= _REMEMBERED:
                self._iris = {_RDF_TYPE: "a"}
            text = self._iris[iri] = self._abbreviate(iri)
        return text

    def _abbreviate(self, iri: str) -> str:
        cut = max(iri.rfind("#"), iri.rfind("/")) + 1
        name = self.namespaces.get(iri[:cut])
        if name is not None and _LOCAL_NAME.fullmatch(iri[cut:]):
            self.used.add(name)
            return f"{name}:{iri[cut:]}"
        return f"<{iri.translate(_IRI_ESCAPES)}>"

    def string(self, text: str, lang: str | None = None) -> Rendered:
        """A string literal written at once: what `literal(Literal(text, lang=lang))`
        writes, without making the rdflib term (most of an entry's terms are strings)."""
        if lang:
            return Rendered(f'"{_escaped(text)}"@{_language_tag(lang)}')
        return Rendered(f'"{_escaped(text)}"')

    def typed(self, lexical: str, datatype: Node) -> Rendered:
        """A typed literal written as `literal` writes it, remembered: an entry's languages,
        offsets, years and confidences recur, and making rdflib's Literal costs 10 us."""
        key = (lexical, datatype)
        text = self._typed.get(key)
        if text is None:
            if len(self._typed) >= _REMEMBERED:
                self._typed.clear()
            text = self._typed[key] = Rendered(self.literal(Literal(lexical, datatype=datatype)))
        return text

    def literal(self, literal: Literal) -> str:
        lexical = str(literal)
        if literal.language:
            return f'"{_escaped(lexical)}"@{literal.language}'
        datatype = str(literal.datatype) if literal.datatype else _XSD_STRING
        if datatype == _XSD_STRING:
            return f'"{_escaped(lexical)}"'
        shorthand = _SHORTHAND.get(datatype)
        if shorthand is not None and shorthand.fullmatch(lexical):
            return lexical  # the same lexical form comes back when it is parsed
        return f'"{_escaped(lexical)}"^^{self.iri(datatype)}'

    def term(self, node: Node) -> str:
        if isinstance(node, Literal):
            return self.literal(node)
        return self.iri(str(node))


Pair = str  # "predicate object", as written in a block (the predicate holds no space)


def _kind(node: object) -> type:
    """Which of the term classes the writer tells apart a node is: its class when it is one
    of them (a lookup), else the first it is an instance of. rdflib's terms are ABCs, and
    an `isinstance` through ABCMeta costs six times the lookup, a few thousand times a page."""
    kind = node.__class__
    if kind in _KINDS:
        return kind
    return next((known for known in _KINDS if isinstance(node, known)), URIRef)


_KINDS = (Rendered, URIRef, Literal, BNode)


def subject_pairs(triples: Iterable[tuple[Node, Node, Node]], terms: TermWriter
                  ) -> dict[str, list[Pair]]:
    """The triples as pairs per subject IRI, blank nodes written inline where they hang.

    Every blank node must hang from exactly one place (as RDF lists and the writer's
    nested descriptions do); one that does not cannot be written inline, and is refused.
    Keys are plain strings (a blank node's with "_:"): rdflib terms compare slowly.
    """
    by_subject: dict[str, list[tuple[str, Node]]] = defaultdict(list)
    hanging: list[str] = []
    for s, p, o in triples:
        by_subject[f"_:{s}" if _kind(s) is BNode else str(s)].append((str(p), o))
        if _kind(o) is BNode:
            hanging.append(f"_:{o}")
    hung = set(hanging)
    if len(hanging) != len(hung) or any(s.startswith("_:") and s not in hung
                                        for s in by_subject):
        raise ValueError("a blank node that does not hang from exactly one place "
                         "cannot be written inline")
    writer = _InlineWriter(by_subject, terms)
    return {s: [writer.pair(p, o) for p, o in pairs]
            for s, pairs in by_subject.items() if not s.startswith("_:")}


class _InlineWriter:
    def __init__(self, by_subject: dict[str, list[tuple[str, Node]]],
                 terms: TermWriter) -> None:
        self.by_subject = by_subject
        self.terms = terms

    def pair(self, predicate: str, obj: Node) -> Pair:
        return f"{self.terms.iri(predicate)} {self.object(obj)}"

    def object(self, node: Node | Rendered) -> str:
        kind = _kind(node)
        if kind is Rendered:
            return node
        if kind is URIRef:
            return self.terms.iri(str(node))
        if kind is Literal:
            return self.terms.literal(node)
        items = self._list_items(node)
        if items is not None:
            return "( " + " ".join(self.object(item) for item in items) + " )"
        pairs = sorted(self.pair(p, o) for p, o in self.by_subject.get(f"_:{node}", []))
        return "[ " + " ; ".join(pairs) + " ]"

    def _list_items(self, node: BNode) -> list[Node] | None:
        """The members of a well-formed RDF list starting at node, else None."""
        items = []
        cell: Node = node
        while _kind(cell) is BNode:
            pairs = self.by_subject.get(f"_:{cell}", [])
            if len(pairs) != 2:
                return None
            (p1, o1), (p2, o2) = pairs
            if (p1, p2) == (_RDF_REST, _RDF_FIRST):
                (p1, o1), (p2, o2) = (p2, o2), (p1, o1)
            if (p1, p2) != (_RDF_FIRST, _RDF_REST):
                return None
            items.append(o1)
            cell = o2
        return items if cell == _RDF_NIL else None


def _pair_key(pair: Pair) -> tuple[int, str]:
    return (0 if pair.startswith("a ") else 1, pair)


def block(subject: str, pairs: Iterable[Pair], terms: TermWriter) -> str:
    """One subject's block: predicates sorted ("a" first), objects sorted, no blank line."""
    lines: list[str] = []
    predicate = None
    for pair in sorted(set(pairs), key=_pair_key):
        name, _, obj = pair.partition(" ")
        if name == predicate:
            lines[-1] += " ,"
            lines.append(f"{INDENT}{INDENT}{obj}")
        else:
            if lines:
                lines[-1] += " ;"
            lines.append(f"{INDENT}{pair}")
            predicate = name
    if not lines:
        raise ValueError(f"a block needs at least one triple: {subject}")
    lines[0] = f"{terms.iri(subject)} {lines[0][len(INDENT):]}"
    return "\n".join(lines) + " .\n"


def blocks(triples: Iterable[tuple[Node, Node, Node]], terms: TermWriter,
           first: str | None = None) -> str:
    """Triples as blocks sorted by subject IRI, each after a blank line (see module doc);
    the block of `first` (a document's topic), where there is one, before the others."""
    pairs = subject_pairs(triples, terms)
    order = sorted(pairs, key=lambda subject: (subject != first, subject))
    return "".join("\n" + block(subject, pairs[subject], terms) for subject in order)
