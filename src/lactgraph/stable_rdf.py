"""Whole rdflib graphs written the same way every time: stable blank node labels, sorted
N-Triples, one JSON-LD document compacted with a given context.

For what fits in memory (a harvest, a test); the build's dumps of a whole graph/ stream
instead (`dumps.py`).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from pyld import jsonld
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


# --- stable blank node labels -------------------------------------------------------------

def _evaluate(start: K, deps: Callable[[K], list[K]], combine: Callable[[K, dict], V],
              memo: dict[K, V]) -> V:
    """memo[start], computing dependencies first without recursion (RDF lists are long).

    A dependency met again while it is being computed (a cycle) is absent from memo when
    its dependant is combined; combine decides what stands in for it.
    """
    stack, open_ = [start], set()
    while stack:
        node = stack[-1]
        if node in memo:
            stack.pop()
            continue
        pending = [d for d in deps(node) if d not in memo and d not in open_]
        if pending and node not in open_:
            open_.add(node)
            stack.extend(pending)
            continue
        memo[node] = combine(node, memo)
        open_.discard(node)
        stack.pop()
    return memo[start]


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def stable_blank_nodes(graph: Graph) -> Graph:
    """A copy of graph whose blank nodes are labelled by their content and position.

    Parsers and rdflib's Collection mint random labels; a label derived from what a blank
    node holds (its triples, recursively) and where it hangs (the subject and predicate
    above it) is the same in every build, so dumps stay byte-identical. Two blank nodes
    with the same content under the same subject and predicate get one label: they say
    the same thing.
    """
    outgoing: dict[BNode, list[tuple[Node, Node]]] = defaultdict(list)
    incoming: dict[BNode, list[tuple[Node, Node]]] = defaultdict(list)
    for s, p, o in graph:
        if isinstance(s, BNode):
            outgoing[s].append((p, o))
        if isinstance(o, BNode):
            incoming[o].append((s, p))

    def below(node: BNode) -> list[BNode]:
        return [o for _, o in outgoing[node] if isinstance(o, BNode)]

    def content(node: BNode, memo: dict) -> str:
        return _digest(*sorted(
            f"{p.n3()} {memo.get(o, 'cycle') if isinstance(o, BNode) else o.n3()}"
            for p, o in outgoing[node]))

    contents: dict[BNode, str] = {}

    def above(node: BNode) -> list[BNode]:
        parents = incoming[node]
        return [parents[0][0]] if len(parents) == 1 and isinstance(parents[0][0], BNode) else []

    def label(node: BNode, memo: dict) -> str:
        own = _evaluate(node, below, content, contents)
        parents = incoming[node]
        if len(parents) != 1:
            return _digest("*", own)
        subject, predicate = parents[0]
        anchor = memo.get(subject, "cycle") if isinstance(subject, BNode) else subject.n3()
        return _digest(anchor, predicate.n3(), own)

    labels: dict[BNode, str] = {}
    result = Graph(bind_namespaces="none")
    for prefix, namespace in graph.namespaces():
        result.bind(prefix, namespace)

    def relabel(term: Node) -> Node:
        if isinstance(term, BNode):
            return BNode("b" + _evaluate(term, above, label, labels)[:24])
        return term

    for s, p, o in graph:
        result.add((relabel(s), p, relabel(o)))
    return result


# --- serialisations -----------------------------------------------------------------------

def sorted_ntriples(graph: Graph) -> bytes:
    """The graph as N-Triples, one triple a line, sorted (byte-stable once its blank nodes
    went through stable_blank_nodes)."""
    text = graph.serialize(format="nt", encoding="utf-8").decode("utf-8")
    lines = sorted({line for line in text.splitlines() if line.strip()})
    return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""


def _rdf_term(term: Node) -> dict[str, str]:
    """A term in PyLD's RDF dataset form."""
    if isinstance(term, URIRef):
        return {"type": "IRI", "value": str(term)}
    if isinstance(term, BNode):
        return {"type": "blank node", "value": f"_:{term}"}
    assert isinstance(term, Literal)
    if term.language:
        return {"type": "literal", "value": str(term), "datatype": _LANG_STRING,
                "language": term.language}
    return {"type": "literal", "value": str(term),
            "datatype": str(term.datatype) if term.datatype else _XSD_STRING}


def compact_document(graph: Graph, context: dict[str, Any]) -> dict[str, Any]:
    """The graph as one JSON-LD document compacted with context (an object, kept inline).

    The triples go to PyLD as a dataset, not as N-Quads text: PyLD's N-Quads reader
    removes duplicates by a linear search per line, which takes minutes on a whole graph.
    """
    triples = sorted(graph)
    dataset = {"@default": [{"subject": _rdf_term(s), "predicate": _rdf_term(p),
                             "object": _rdf_term(o)} for s, p, o in triples]}
    expanded = jsonld.from_rdf(dataset, {"useNativeTypes": True})

    def refuse(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        raise jsonld.JsonLdError(f"refusing to fetch {url}: the context is given inline",
                                 "jsonld.LoadDocumentError", code="loading document failed")

    return jsonld.compact(expanded, {"@context": context}, {"documentLoader": refuse})
