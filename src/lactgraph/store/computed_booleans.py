"""Booleans a query computes, which Virtuoso answers as integers.

`SELECT (?a < ?b AS ?less)` or `BIND(isIRI(?x) AS ?named)` give `"1"^^xsd:integer` on
Virtuoso 7.2 and `true` on the embedded store. An integer cannot be told from a number in
the answer, so the query says which columns are booleans: those bound (by `AS`) to an
expression whose value is one. rdflib's SPARQL parser gives the expressions; a query it
cannot read is answered as the server gave it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from rdflib import Literal
from rdflib.namespace import XSD
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.plugins.sparql.parserutils import CompValue

# The expressions of SPARQL 1.1 whose value is an xsd:boolean (17.4).
_BOOLEAN = frozenset({
    "RelationalExpression", "ConditionalAndExpression", "ConditionalOrExpression",
    "UnaryNot", "Builtin_BOUND", "Builtin_isIRI", "Builtin_isBLANK", "Builtin_isLITERAL",
    "Builtin_isNUMERIC", "Builtin_REGEX", "Builtin_CONTAINS", "Builtin_STRSTARTS",
    "Builtin_STRENDS", "Builtin_sameTerm", "Builtin_LANGMATCHES", "Builtin_EXISTS",
    "Builtin_NOTEXISTS",
})
_BINDS = re.compile(r"\bAS\b", re.IGNORECASE)  # no AS, nothing computed: not parsed


@lru_cache(maxsize=256)
def boolean_variables(query: str) -> frozenset[str]:
    """The names of the variables a query binds to a boolean expression."""
    if not _BINDS.search(query):
        return frozenset()
    try:
        algebra = translateQuery(parseQuery(query)).algebra
    except Exception:  # any query rdflib cannot read (its errors vary): left as answered
        return frozenset()
    return frozenset(str(node.var) for node in _nodes(algebra)
                     if node.name == "Extend" and _is_boolean(node.expr))


def _nodes(value: object) -> Iterator[CompValue]:
    if isinstance(value, CompValue):
        yield value
        for child in value.values():
            yield from _nodes(child)
    elif isinstance(value, list | tuple):
        for child in value:
            yield from _nodes(child)


def _is_boolean(expression: object) -> bool:
    if isinstance(expression, Literal):
        return expression.datatype == XSD.boolean
    return isinstance(expression, CompValue) and expression.name in _BOOLEAN


def restore_booleans(answer: dict, query: str) -> dict:
    """A standard SPARQL JSON answer with the query's boolean columns given as booleans
    where the server wrote integers (0 and 1)."""
    names = boolean_variables(query)
    if not names or "results" not in answer:
        return answer
    for row in answer["results"]["bindings"]:
        for name in names & row.keys():
            value = row[name]
            if value.get("datatype") == str(XSD.integer) and value["value"] in ("0", "1"):
                row[name] = {"type": "literal", "datatype": str(XSD.boolean),
                             "value": "true" if value["value"] == "1" else "false"}
    return answer
