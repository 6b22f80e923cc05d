"""Undeclared prefixes are found in the query's text, not in its IRIs, strings or comments."""

from __future__ import annotations

import pytest

from lactgraph.web.undeclared import undeclared_prefixes


@pytest.mark.parametrize("query, expected", [
    ('SELECT ?x { BIND(xsd:integer("5") AS ?x) }', ["xsd"]),
    ('ASK { <product/x> lg:riskLevel/skos:notation 1 }', ["lg", "skos"]),
    ('SELECT * { ?s dcterms:modified "2019-01-01"^^xsd:date }', ["dcterms", "xsd"]),
    ("PREFIX : <http://x/> SELECT * { :a :b ?c . ?c skos:prefLabel ?n }", ["skos"]),
    ('PREFIX lg: <https://w3id.org/lactgraph/ontology#>\nSELECT ?x { ?x a lg:Product ; '
     '<http://x/y:z> "a:b", """c:d""", \'e:f\' } # g:h', []),
    ("SELECT * { ?s ?p ?o } LIMIT 10", []),
])
def test_prefixes_used_and_not_declared(query, expected):
    assert undeclared_prefixes(query) == expected
