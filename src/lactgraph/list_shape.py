"""The shape of a well-formed RDF list, recognised whatever its names.

The shapes require bibliographies and author lists to be well-formed lists (`lgs:ListShape`:
the list ends in rdf:nil, and each cell has exactly one rdf:first and one rdf:rest).
Compiled as any nested shape, that is a path walked twice and an EXISTS of four branches
for every cell of every list: a third of validation's time (5,000 products: 15 of 47 s).
`is_list_shape` tells a shape that says exactly that (whatever its IRIs, labels and
messages), for which `shacl_sparql` writes one aggregate query instead. Anything else the
shape says (another constraint, a deactivation, a target) makes it not the list shape, and
its check is compiled as any other.
"""

from __future__ import annotations

from functools import cache

from rdflib import RDF, RDFS, BNode, Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.term import Node

from .validate import SH

_LIST_SHAPE = """
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
[] sh:property [ sh:path [ sh:zeroOrMorePath rdf:rest ] ; sh:hasValue rdf:nil ] ,
        [ sh:path [ sh:zeroOrMorePath rdf:rest ] ; sh:or ( [ sh:hasValue rdf:nil ] _:cell ) ] .
_:cell sh:property [ sh:path rdf:first ; sh:minCount 1 ; sh:maxCount 1 ] ,
        [ sh:path rdf:rest ; sh:minCount 1 ; sh:maxCount 1 ] .
"""
# What names or explains a shape without changing which nodes conform to it (a type as
# rdfs:Class gives the shape targets of its own, which compile_checks checks apart)
_ANNOTATIONS = {RDF.type, RDFS.label, RDFS.comment, SH.name, SH.description, SH.message,
                SH.order, SH.group}


@cache
def _list_shape() -> Graph:
    return Graph().parse(data=_LIST_SHAPE, format="turtle")


def is_list_shape(shapes: Graph, shape: Node) -> bool:
    """Whether conforming to `shape` means exactly being a well-formed RDF list."""
    return isomorphic(_requirements(shapes, shape), _list_shape())


def _requirements(shapes: Graph, shape: Node) -> Graph:
    """What the shape says, through its blank nodes and the shapes it names, annotations
    left out; the IRIs of its shapes made blank nodes (their names do not matter)."""
    described: list[tuple[Node, Node, Node]] = []
    seen: set[Node] = set()
    todo = [shape]
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        for predicate, value in shapes.predicate_objects(node):
            if predicate not in _ANNOTATIONS:
                described.append((node, predicate, value))
                if isinstance(value, BNode) or (value, None, None) in shapes:
                    todo.append(value)
    blank = {node: BNode() for node in seen if isinstance(node, URIRef)}
    graph = Graph()
    for s, p, o in described:
        graph.add((blank.get(s, s), p, blank.get(o, o)))
    return graph
