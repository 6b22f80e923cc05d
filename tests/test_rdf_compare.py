"""The tests' graph equality tells apart what `rdflib.compare.isomorphic` tells apart."""

from __future__ import annotations

from rdflib import Graph
from rdflib.compare import isomorphic

from .rdf_compare import same_graph

LISTS = """
@prefix ex: <http://example.org/> .
ex:a ex:authors ( [ ex:name "Konda" ] [ ex:name "Vedamurthy" ] ) ; ex:level 1 .
"""


def test_renamed_blank_nodes_are_the_same_graph_and_any_other_change_is_not():
    original = Graph().parse(data=LISTS, format="turtle")
    renamed = Graph().parse(data=original.serialize(format="nt"), format="nt")
    reordered = Graph().parse(data=LISTS.replace('"Konda" ] [ ex:name "Vedamurthy"',
                                                 '"Vedamurthy" ] [ ex:name "Konda"'),
                              format="turtle")
    relevelled = Graph().parse(data=LISTS.replace("ex:level 1", "ex:level 2"), format="turtle")
    assert same_graph(original, renamed) and isomorphic(original, renamed)
    for changed in (reordered, relevelled):
        assert not same_graph(original, changed) and not isomorphic(original, changed)
