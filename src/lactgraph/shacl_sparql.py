"""The SHACL shapes compiled to SPARQL and run on the Oxigraph store: validation at scale.

pyshacl validates about 5,000 triples a second; a build of 50,000 entries holds millions.
Every constraint of the shapes becomes one SPARQL query that selects the focus nodes (and
value nodes) that violate it, run by Oxigraph on the store the build loads anyway, over
the data and the ontology (as pyshacl's `ont_graph` mixes them). Nested shapes (`sh:node`,
`sh:not`, `sh:and`, `sh:or`, `sh:xone`) become `EXISTS` patterns, so every check keeps its
meaning; a shape using something this compiler does not know (SPARQL constraints,
`sh:closed`, qualified value shapes) raises `Unsupported`, and the build falls back to
pyshacl. `tests/test_validation_split.py` proves that both engines report the same
findings on a corpus with a fault for every constraint component the shapes use.

The queries can be restricted to some focus nodes: an incremental build validates the
entities it changed and the nodes whose checks read them (`dirty`), which is exact as long
as no check reads further than one link from its focus node (`local_reach`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import as_completed
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import pyoxigraph as ox
from rdflib import RDF, RDFS, XSD, BNode, Graph, Literal, URIRef
from rdflib.term import Node

from .errors import LactgraphError
from .list_shape import is_list_shape
from .rdfio import to_rdflib
from .validate import SH, Finding, FindingWriter, path_text
from .workers import process_pool

_LIST_PREDICATES = {RDF.first, RDF.rest}
_CASTABLE = {XSD.integer, XSD.decimal, XSD.double, XSD.float, XSD.boolean, XSD.date,
             XSD.dateTime, XSD.gYear}
_LANGUAGE_TAG = "^[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*$"
_NODE_KINDS = {
    SH.IRI: "isIRI({v})",
    SH.BlankNode: "isBlank({v})",
    SH.Literal: "isLiteral({v})",
    SH.BlankNodeOrIRI: "!isLiteral({v})",
    SH.BlankNodeOrLiteral: "!isIRI({v})",
    SH.IRIOrLiteral: "!isBlank({v})",
}
_COMPARISONS = {SH.minInclusive: ">=", SH.maxInclusive: "<=", SH.minExclusive: ">",
                SH.maxExclusive: "<"}
_PAIRS = {SH.lessThan: "<", SH.lessThanOrEquals: "<="}
_LOGICAL = (SH["not"], SH["and"], SH["or"], SH.xone, SH.node)
_UNSUPPORTED = (SH.closed, SH.qualifiedValueShape, SH.sparql, SH.expression, SH.rule)
_TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
_MAX_NESTING = 8
_FOCUS_BATCH = 400


class Unsupported(LactgraphError):
    """The shapes use something the SPARQL compiler does not translate."""


@dataclass(frozen=True)
class Check:
    """One constraint of one shape as a query: ?this (and ?value) of each violation."""

    query: str  # for some focus nodes: "#FOCUS#" marks where the VALUES of those in the
    #             target go (`target` picks them, once for all the checks of a shape)
    whole: str  # for every focus node
    target: str  # a pattern binding ?this to each focus node of the shape
    severity: str
    path: str | None
    component: str
    shape: str | None
    message: str
    reports_value: bool


def _term(node: Node) -> str:
    """A term in SPARQL syntax (no prefixes needed)."""
    return node.n3()


class _Compiler:
    def __init__(self, shapes: Graph) -> None:
        self.shapes = shapes
        self.count = 0

    def var(self) -> str:
        self.count += 1
        return f"?v{self.count}"

    # --- paths and value nodes -----------------------------------------------------------

    def path(self, shape: Node) -> str | None:
        path = self.shapes.value(shape, SH.path)
        return None if path is None else path_text(self.shapes, path, _term)

    def values(self, shape: Node, focus: str, value: str) -> str:
        """A pattern binding `value` to each value node of `focus` for the shape."""
        path = self.path(shape)
        return f"BIND({focus} AS {value})" if path is None else f"{focus} {path} {value} ."

    def pairs(self, shape: Node, focus: str, value: str) -> str:
        """`values` for every focus node at once (the shape has a path). A path that walks
        and then takes one predicate (`p/rdf:rest*/rdf:first`) takes that last step from a
        scan of the predicate joined by hash, where a lookup after each node walked costs
        more (the members of every bibliography at 5,000 products: 3.1 -> 2.0 s)."""
        path, text = self.shapes.value(shape, SH.path), self.path(shape)
        steps = list(self.shapes.items(path)) if isinstance(path, BNode) else []
        last = _term(steps[-1]) if steps and isinstance(steps[-1], URIRef) else ""
        walk = text.removesuffix(f"/{last}") if last else ""
        if not any(operator in walk for operator in "*+"):
            return f"{focus} {text} {value} ."
        node = self.var()
        return (f"{{ SELECT DISTINCT {focus} {node} WHERE {{ {focus} {walk} {node} }} }} "
                f"{{ SELECT {node} {value} WHERE {{ {node} {last} {value} }} }}")

    # --- one constraint ---------------------------------------------------------------------

    def constraints(self, shape: Node) -> Iterator[tuple[str, Node, Node]]:
        """(component, parameter, value) of each constraint the shape declares itself."""
        for parameter in _UNSUPPORTED:
            if self.shapes.value(shape, parameter) not in (None, Literal(False)):
                raise Unsupported(f"{parameter} is not compiled to SPARQL")
        pairs = sorted(self.shapes.predicate_objects(shape), key=lambda pv: (str(pv[0]),
                                                                               str(pv[1])))
        for parameter, value in pairs:
            component = _COMPONENTS.get(parameter)
            if component is not None and not (parameter == SH.uniqueLang and
                                               value != Literal(True)):
                yield component, parameter, value

    def pattern(self, shape: Node, parameter: Node, argument: Node, focus: str, value: str,
                depth: int, scope: str | None = None) -> str:
        """A pattern that matches when `focus` violates the constraint (binding `value` to
        the offending value node for the constraints that report one).

        `scope` binds the focus nodes of a top-level check (None: nested in an EXISTS,
        where the focus is bound); a pattern with subgroups repeats it in each, so that
        no subgroup is evaluated for the whole graph.
        """
        if parameter in (SH.equals, SH.disjoint):
            return self.comparison(shape, parameter, focus, value, argument, scope)
        return f"{scope or ''} {self.constraint(shape, parameter, argument, focus, value, depth)}"

    def constraint(self, shape: Node, parameter: Node, argument: Node, focus: str,
                   value: str, depth: int, values: str | None = None) -> str:
        """`pattern` of a constraint other than a comparison with another path; `values`
        binds the value nodes (`values()` unless given)."""
        path = self.path(shape)
        values = values or self.values(shape, focus, value)
        if parameter == SH.minCount:
            count = int(argument)
            if count == 0 or path is None:
                return "FILTER(false)"
            return f"FILTER NOT EXISTS {{ {self.distinct(focus, path, count)} }}"
        if parameter == SH.maxCount:
            return self.distinct(focus, path, int(argument) + 1) if path else "FILTER(false)"
        if parameter == SH.hasValue:
            if path is None:
                return f"FILTER(!sameTerm({focus}, {_term(argument)}))"
            return f"FILTER NOT EXISTS {{ {focus} {path} {_term(argument)} }}"
        if parameter == SH.uniqueLang:
            one, two = self.var(), self.var()
            return (f"{focus} {path} {one} . {focus} {path} {two} . FILTER(!sameTerm({one}, "
                    f"{two}) && LANG({one}) != \"\" && LCASE(LANG({one})) = LCASE(LANG({two})))")
        if parameter in _PAIRS:
            other = self.var()
            return (f"{values} {focus} {_term(argument)} {other} . "
                    f"FILTER(!COALESCE({value} {_PAIRS[parameter]} {other}, false))")
        return f"{values} FILTER({self.offends(shape, parameter, argument, value, depth)})"

    def malformed_lists(self, shape: Node, scope: str, targets: str) -> str:
        """A pattern binding ?this and each of its value nodes for the shape that is not a
        well-formed RDF list (`list_shape`): the nodes rdf:rest* reaches from the value
        with their counts of rdf:first and rdf:rest, summed per value; no rdf:nil among
        them, or one other than rdf:nil without exactly one of each. Aggregates evaluated
        once, where the nested shape's EXISTS walked each list twice and looked each cell
        up eight times (5,000 products: 15.6 -> 7.5 s).

        For some focus nodes (`scope`), each cell's counts are two lookups; for all of
        them (`targets`), two scans of every rdf:first and rdf:rest counted per node and
        joined to the cells by hash, which costs less than two lookups a cell (the
        bibliographies at 5,000 products: 6.0 -> 3.3 s)."""
        nil, first, rest = (f"<{term}>" for term in (RDF.nil, RDF.first, RDF.rest))
        cell, member, next_, ends, faults = (self.var() for _ in range(5))
        firsts, rests = self.var(), self.var()
        walk = f"{scope} {self.values(shape, '?this', '?value')} ?value {rest}* {cell} ."
        if targets:
            cells = (f"{{ SELECT DISTINCT ?this ?value {cell} WHERE {{ {walk} }} }} "
                     f"OPTIONAL {{ SELECT {cell} (COUNT(DISTINCT {member}) AS {firsts}) WHERE "
                     f"{{ {cell} {first} {member} }} GROUP BY {cell} }} "
                     f"OPTIONAL {{ SELECT {cell} (COUNT(DISTINCT {next_}) AS {rests}) WHERE "
                     f"{{ {cell} {rest} {next_} }} GROUP BY {cell} }}")
        else:
            cells = (f"{{ SELECT ?this ?value {cell} (COUNT(DISTINCT {member}) AS {firsts}) "
                     f"(COUNT(DISTINCT {next_}) AS {rests}) WHERE {{ {walk} "
                     f"OPTIONAL {{ {cell} {first} {member} }} "
                     f"OPTIONAL {{ {cell} {rest} {next_} }} }} GROUP BY ?this ?value {cell} }}")
        wrong = f"COALESCE({firsts}, 0) != 1 || COALESCE({rests}, 0) != 1"
        return (f"{targets} {{ SELECT ?this ?value (SUM(IF(sameTerm({cell}, {nil}), 1, 0)) AS "
                f"{ends}) (SUM(IF(!sameTerm({cell}, {nil}) && ({wrong}), 1, 0)) AS {faults}) "
                f"WHERE {{ {cells} }} GROUP BY ?this ?value }} "
                f"FILTER({ends} = 0 || {faults} > 0)")

    def distinct(self, focus: str, path: str, count: int) -> str:
        """A pattern matching `count` distinct value nodes."""
        names = [self.var() for _ in range(count)]
        triples = " ".join(f"{focus} {path} {name} ." for name in names)
        different = " && ".join(f"!sameTerm({a}, {b})" for a, b in combinations(names, 2))
        return triples + (f" FILTER({different})" if different else "")

    def comparison(self, shape: Node, parameter: Node, focus: str, value: str, other: Node,
                   scope: str | None, mine: str | None = None) -> str:
        """sh:equals or sh:disjoint; `mine` binds the shape's value nodes (`values()`
        unless given)."""
        path = self.path(shape)
        theirs = f"{focus} {_term(other)} {value} ."
        mine = mine or self.values(shape, focus, value)
        if parameter == SH.disjoint:
            return f"{scope or ''} {mine} {theirs}"
        if scope is None or path is None:  # the focus is bound: NOT EXISTS looks it up
            has_mine = f"{focus} {path} {value}" if path else f"FILTER(sameTerm({focus}, {value}))"
            return (f"{{ {scope or ''} {mine} FILTER NOT EXISTS {{ {theirs} }} }} UNION "
                    f"{{ {scope or ''} {theirs} FILTER NOT EXISTS {{ {has_mine} }} }}")
        # Oxigraph evaluates a path with both ends bound from scratch each time: compare
        # the two sets of values instead, each computed once (the pairs found on one side
        # only: a path through an RDF list is walked once, not twice as by two MINUS)
        side = self.var()
        return (f"{{ SELECT {focus} {value} WHERE {{ {{ {scope} {mine} BIND(1 AS {side}) }} "
                f"UNION {{ {scope} {theirs} BIND(2 AS {side}) }} }} GROUP BY {focus} {value} "
                f"HAVING (COUNT(DISTINCT {side}) = 1) }}")

    def offends(self, shape: Node, parameter: Node, argument: Node, v: str, depth: int
                ) -> str:
        """A SPARQL expression true when value node v violates a value-type constraint."""
        if parameter == SH.datatype:
            return f"!({_well_typed(argument, v)})"
        if parameter == SH["class"]:
            return (f"NOT EXISTS {{ {v} <{RDF.type}>/<{RDFS.subClassOf}>* "
                    f"{_term(argument)} }}")
        if parameter == SH.nodeKind:
            return "!" + _NODE_KINDS[argument].format(v=v)
        if parameter == SH.pattern:
            flags = self.shapes.value(shape, SH.flags)
            regex = f"{_term(Literal(str(argument)))}" + (
                f", {_term(Literal(str(flags)))}" if flags else "")
            return f"isBlank({v}) || !REGEX(STR({v}), {regex})"
        if parameter == SH.minLength:
            return f"isBlank({v}) || STRLEN(STR({v})) < {int(argument)}"
        if parameter == SH.maxLength:
            return f"isBlank({v}) || STRLEN(STR({v})) > {int(argument)}"
        if parameter in _COMPARISONS:
            return f"!COALESCE({v} {_COMPARISONS[parameter]} {_term(argument)}, false)"
        if parameter == SH["in"]:
            members = list(self.shapes.items(argument))
            return "!(" + (" || ".join(f"sameTerm({v}, {_term(m)})" for m in members)
                           or "false") + ")"
        if parameter == SH.languageIn:
            tags = [str(t) for t in self.shapes.items(argument)]
            matches = " || ".join(f'LANGMATCHES(LANG({v}), "{t}")' for t in tags) or "false"
            return f"!(isLiteral({v}) && ({matches}))"
        return self.logical(parameter, argument, v, depth)

    def logical(self, parameter: Node, argument: Node, v: str, depth: int) -> str:
        return _combined(parameter, [f"EXISTS {{ {self.violation(member, v, depth + 1)} }}"
                                     for member in self.members(parameter, argument, depth)])

    def members(self, parameter: Node, argument: Node, depth: int) -> list[Node]:
        """The shapes a logical constraint combines."""
        if depth > _MAX_NESTING:
            raise Unsupported("shapes nested too deep (recursive shapes?)")
        if parameter in (SH.node, SH["not"]):
            return [argument]
        return list(self.shapes.items(argument))

    def violation(self, shape: Node, focus: str, depth: int) -> str:
        """A pattern matching when `focus` does not conform to the shape (any constraint)."""
        if self.shapes.value(shape, SH.deactivated) == Literal(True):
            return "FILTER(false)"
        parts = []
        for _, parameter, argument in self.constraints(shape):
            parts.append(self.pattern(shape, parameter, argument, focus, self.var(), depth))
        for prop in self.shapes.objects(shape, SH.property):
            parts.append(self.violation(prop, focus, depth + 1))
        return " UNION ".join(f"{{ {part} }}" for part in parts) or "FILTER(false)"

    def whole(self, shape: Node, parameter: Node, argument: Node, targets: str,
              depth: int = 0) -> str:
        """The constraint for every focus node at once, as subqueries Oxigraph evaluates
        once and joins by hash (it joins a pattern to a bound variable one index lookup at
        a time, several times slower when the focus nodes are all the targets)."""
        path = self.path(shape)
        if parameter == SH.node and is_list_shape(self.shapes, argument):
            return self.malformed_lists(shape, "", targets)
        if path is None:  # the focus node itself
            if parameter in _LOGICAL:
                return self.logical_sets(parameter, argument, targets, depth)
            if parameter == SH["class"]:
                return (f"{targets} BIND(?this AS ?value) "
                        f"MINUS {{ {_instances('?this', argument)} }}")
            return f"{targets} {self.pattern(shape, parameter, argument, '?this', '?value', 0)}"
        if parameter in (SH.equals, SH.disjoint):
            return f"{targets} " + self.comparison(shape, parameter, "?this", "?value", argument,
                                                   "", self.pairs(shape, "?this", "?value"))
        values = self.pairs(shape, "?this", "?value")
        grouped = f"SELECT ?this WHERE {{ ?this {path} ?value }} GROUP BY ?this HAVING"
        if parameter == SH.minCount:
            if int(argument) == 1:  # any value: no need to count them
                return f"{targets} MINUS {{ {values} }}"
            return f"{targets} MINUS {{ {grouped} (COUNT(DISTINCT ?value) >= {int(argument)}) }}"
        if parameter == SH.maxCount:
            if int(argument) == 0:
                return f"{targets} {{ SELECT DISTINCT ?this WHERE {{ {values} }} }}"
            return f"{targets} {{ {grouped} (COUNT(DISTINCT ?value) > {int(argument)}) }}"
        if parameter == SH.hasValue:
            return f"{targets} MINUS {{ SELECT ?this WHERE {{ ?this {path} {_term(argument)} }} }}"
        if parameter == SH.uniqueLang:
            return (f"{targets} {{ SELECT ?this WHERE {{ {values} FILTER(LANG(?value) != \"\") }}"
                    f" GROUP BY ?this (LCASE(LANG(?value)) AS ?language)"
                    f" HAVING (COUNT(DISTINCT ?value) > 1) }}")
        if parameter == SH["class"]:
            return (f"{targets} {{ SELECT DISTINCT ?this ?value WHERE {{ {values} }} }} MINUS "
                    f"{{ {_instances('?value', argument)} }}")
        pattern = self.constraint(shape, parameter, argument, "?this", "?value", depth, values)
        return f"{targets} {{ SELECT DISTINCT ?this ?value WHERE {{ {pattern} }} }}"

    def logical_sets(self, parameter: Node, argument: Node, targets: str, depth: int) -> str:
        """A logical constraint on the focus nodes themselves for all of them at once:
        each member shape's violators among the targets (`violators`) joined by hash and
        flagged, then the flags combined as `logical` combines its EXISTS tests, which
        Oxigraph evaluates for each focus node, a few index lookups each (795,000
        citations at 50,000 products: 76 -> 17 s; the product's sh:not, 25 -> 2.6 s)."""
        flagged = [(self.var(), member) for member in self.members(parameter, argument, depth)]
        joined = " ".join(
            f"OPTIONAL {{ SELECT DISTINCT ?this (true AS {flag}) WHERE "
            f"{{ {self.violators(member, targets, depth + 1)} }} }}" for flag, member in flagged)
        flags = [flag for flag, _ in flagged]
        failing = _combined(parameter, [f"BOUND({flag})" for flag in flags])
        return f"{targets} {joined} BIND(?this AS ?value) FILTER({failing})"

    def violators(self, shape: Node, targets: str, depth: int) -> str:
        """A pattern binding ?this to each focus node among the targets that violates the
        shape: the whole form of each of its constraints, in a union."""
        if depth > _MAX_NESTING:
            raise Unsupported("shapes nested too deep (recursive shapes?)")
        if self.shapes.value(shape, SH.deactivated) == Literal(True):
            return "FILTER(false)"
        parts = [self.whole(shape, parameter, argument, targets, depth)
                 for _, parameter, argument in self.constraints(shape)]
        parts += [self.violators(prop, targets, depth + 1)
                  for prop in self.shapes.objects(shape, SH.property)]
        return " UNION ".join(f"{{ SELECT DISTINCT ?this WHERE {{ {part} }} }}"
                              for part in parts) or "FILTER(false)"

    # --- targets ----------------------------------------------------------------------------

    def target(self, shape: Node) -> str | None:
        parts = []
        for klass in self.shapes.objects(shape, SH.targetClass):
            parts.append(f"?this <{RDF.type}>/<{RDFS.subClassOf}>* {_term(klass)} .")
        if (shape, RDF.type, RDFS.Class) in self.shapes:
            parts.append(f"?this <{RDF.type}>/<{RDFS.subClassOf}>* {_term(shape)} .")
        nodes = list(self.shapes.objects(shape, SH.targetNode))
        if nodes:
            parts.append("VALUES ?this { " + " ".join(_term(n) for n in nodes) + " }")
        for predicate in self.shapes.objects(shape, SH.targetSubjectsOf):
            parts.append(f"?this {_term(predicate)} {self.var()} .")
        for predicate in self.shapes.objects(shape, SH.targetObjectsOf):
            parts.append(f"{self.var()} {_term(predicate)} ?this .")
        return " UNION ".join(f"{{ {part} }}" for part in parts) if parts else None


_COMPONENTS = {
    SH.minCount: "MinCountConstraintComponent",
    SH.maxCount: "MaxCountConstraintComponent",
    SH.datatype: "DatatypeConstraintComponent",
    SH["class"]: "ClassConstraintComponent",
    SH.nodeKind: "NodeKindConstraintComponent",
    SH.pattern: "PatternConstraintComponent",
    SH.minLength: "MinLengthConstraintComponent",
    SH.maxLength: "MaxLengthConstraintComponent",
    SH.minInclusive: "MinInclusiveConstraintComponent",
    SH.maxInclusive: "MaxInclusiveConstraintComponent",
    SH.minExclusive: "MinExclusiveConstraintComponent",
    SH.maxExclusive: "MaxExclusiveConstraintComponent",
    SH.hasValue: "HasValueConstraintComponent",
    SH["in"]: "InConstraintComponent",
    SH.languageIn: "LanguageInConstraintComponent",
    SH.uniqueLang: "UniqueLangConstraintComponent",
    SH.equals: "EqualsConstraintComponent",
    SH.disjoint: "DisjointConstraintComponent",
    SH.lessThan: "LessThanConstraintComponent",
    SH.lessThanOrEquals: "LessThanOrEqualsConstraintComponent",
    SH["not"]: "NotConstraintComponent",
    SH["and"]: "AndConstraintComponent",
    SH["or"]: "OrConstraintComponent",
    SH.xone: "XoneConstraintComponent",
    SH.node: "NodeConstraintComponent",
}
_FOCUS_ONLY = {SH.minCount, SH.maxCount, SH.hasValue, SH.uniqueLang}


def _combined(parameter: Node, fails: list[str]) -> str:
    """A SPARQL expression true when the focus violates a logical constraint, from one
    expression per member shape true when the focus violates that member."""
    if parameter == SH.node:
        return fails[0]
    if parameter == SH["not"]:
        return f"!{fails[0]}"
    if parameter == SH["and"]:
        return " || ".join(fails) or "false"
    if parameter == SH["or"]:
        return " && ".join(fails) or "true"
    conforming = " + ".join(f"IF({fail}, 0, 1)" for fail in fails) or "0"
    return f"({conforming}) != 1"


def _instances(variable: str, klass: Node) -> str:
    """A subquery of the SHACL instances of a class (its type or a subclass of it)."""
    return (f"SELECT {variable} WHERE {{ {variable} <{RDF.type}>/<{RDFS.subClassOf}>* "
            f"{_term(klass)} }}")


def _well_typed(datatype: Node, v: str) -> str:
    """A SPARQL expression true when v is a well-formed literal of the datatype (checked
    by casting where Oxigraph can cast, as rdflib flags ill-typed literals)."""
    if datatype == RDF.langString:
        return f'isLiteral({v}) && LANG({v}) != ""'
    typed = f"isLiteral({v}) && DATATYPE({v}) = {_term(datatype)}"
    if datatype in _CASTABLE:
        return f"{typed} && COALESCE(isLiteral({_term(datatype)}(STR({v}))), false)"
    if datatype == XSD.language:
        return f'{typed} && REGEX(STR({v}), "{_LANGUAGE_TAG}")'
    return typed



def compile_checks(shapes: Graph) -> list[Check]:
    """Every constraint of every targeted shape as a Check (Unsupported if it cannot)."""
    compiler = _Compiler(shapes)
    writer = FindingWriter(shapes)
    checks = []
    targeted = {s for p in _TARGETS for s in shapes.subjects(p, None)}
    targeted |= {s for s in shapes.subjects(RDF.type, RDFS.Class)
                 if (s, RDF.type, SH.NodeShape) in shapes}
    for node_shape in sorted(targeted):
        if shapes.value(node_shape, SH.deactivated) == Literal(True):
            continue
        target = compiler.target(node_shape)
        members = [node_shape, *sorted(shapes.objects(node_shape, SH.property),
                                       key=lambda shape: _stable_key(shapes, shape))]
        for shape in members:
            if shapes.value(shape, SH.deactivated) == Literal(True):
                continue
            path = shapes.value(shape, SH.path)
            for component, parameter, argument in compiler.constraints(shape):
                if ((parameter in _FOCUS_ONLY and path is None and parameter != SH.hasValue)
                        or (parameter == SH.minCount and int(argument) == 0)):
                    continue  # constrains nothing
                targets = f"{{ SELECT DISTINCT ?this WHERE {{ {target} }} }}"
                if parameter == SH.node and is_list_shape(shapes, argument):
                    pattern = compiler.malformed_lists(shape, "#FOCUS#", "")
                else:
                    pattern = compiler.pattern(shape, parameter, argument, "?this", "?value",
                                               0, scope="#FOCUS#")
                whole = compiler.whole(shape, parameter, argument, targets)
                reports_value = parameter not in _FOCUS_ONLY
                selected = "?this ?value" if reports_value else "?this"
                checks.append(Check(
                    query=f"SELECT DISTINCT {selected} WHERE {{ {pattern} }}",
                    whole=f"SELECT DISTINCT {selected} WHERE {{ {whole} }}",
                    target=target,
                    severity=str(shapes.value(shape, SH.severity) or SH.Violation
                                 ).rsplit("#", 1)[-1],
                    path=writer.path(shapes, path),
                    component=component,
                    shape=writer.shape(shape),
                    message=_message(shapes, shape, component),
                    reports_value=reports_value,
                ))
    return checks


def _stable_key(shapes: Graph, shape: Node) -> tuple[str, ...]:
    """What orders property shapes the same in every parse (blank node labels do not)."""
    path = shapes.value(shape, SH.path)
    described = sorted(f"{p} {o}" for p, o in shapes.predicate_objects(shape)
                       if not isinstance(o, BNode))
    return (path_text(shapes, path, str) if path is not None else "", *described)


def _message(shapes: Graph, shape: Node, component: str) -> str:
    messages = sorted(str(m) for m in shapes.objects(shape, SH.message))
    return "; ".join(messages) or f"{component.removesuffix('ConstraintComponent')} not met"


class StoreValidator:
    """Runs compiled checks on a store, over its data and ontology graphs."""

    def __init__(self, shapes: Graph) -> None:
        self.checks = compile_checks(shapes)
        self.object_predicates = _object_predicates(shapes)
        self.local = local_reach(shapes)

    def validate(self, store: ox.Store, graphs: Sequence[str],
                 focus: Iterable[str] | None = None,
                 progress: Callable[[], object] | None = None) -> list[tuple[str, Finding]]:
        """(focus IRI, finding) of every violation, of the given focus nodes or all."""
        return run_checks(self.checks, store, graphs, focus, progress)

    def validate_closed(self, directory: Path, graphs: Sequence[str], jobs: int,
                        progress: Callable[[], object] | None = None
                        ) -> list[tuple[str, Finding]]:
        """Every check on a store nobody writes to, run by `jobs` processes that each open
        it read-only (Oxigraph runs a query on one core). A process takes the next check
        when it is done with one, the likely slowest first: a few checks that follow RDF
        lists or nest shapes take most of the time, and a fixed share of them each left
        one process working alone. The checks themselves are sent: a compilation elsewhere
        may order them otherwise."""
        if jobs <= 1:
            return run_checks(self.checks, ox.Store.read_only(str(directory)), graphs,
                              progress=progress)
        found: list[tuple[str, Finding]] = []
        with process_pool(jobs, _open_closed, (str(directory), list(graphs))) as pool:
            runs = [pool.submit(_run_check, check)
                    for check in sorted(self.checks, key=_likely_cost, reverse=True)]
            for done in as_completed(runs):
                found.extend(done.result())
                if progress:
                    progress()
        return found

    def dirty(self, store: ox.Store, graphs: Sequence[str], changed: set[str],
              triples: Iterable[tuple[Node, Node, Node]]) -> set[str]:
        """The focus nodes whose checks may read what changed: the changed subjects, the
        entities linking to them, and the objects of changed links of inverse paths or of
        `sh:targetObjectsOf` (a link made or unmade makes its object a target or not).

        `triples` are the old and the new triples of the changed subjects.
        """
        dirty = set(changed)
        for _, p, o in triples:
            if p in self.object_predicates and isinstance(o, URIRef):
                dirty.add(str(o))
        default = [ox.NamedNode(g) for g in graphs]
        for iri in changed:
            for quad in store.quads_for_pattern(None, None, ox.NamedNode(iri)):
                if quad.graph_name in default:
                    dirty.update(_owners(store, quad.subject, default))
        return dirty


def run_checks(checks: Sequence[Check], store: ox.Store, graphs: Sequence[str],
               focus: Iterable[str] | None = None,
               progress: Callable[[], object] | None = None) -> list[tuple[str, Finding]]:
    """(focus IRI, finding) of every violation of the checks, of the focus nodes or all."""
    default = _holding_triples(store, [ox.NamedNode(g) for g in graphs])
    targeted = None if focus is None else _targeted(
        store, default, {check.target for check in checks}, sorted(set(focus)))
    writer = FindingWriter(Graph())  # terms only: the checks carry their shapes' names
    found = []
    for check in checks:
        queries = [check.whole] if targeted is None else [
            check.query.replace("#FOCUS#", _values(batch))
            for batch in _batches(targeted[check.target])]
        for query in queries:
            found.extend(_finding(check, row, writer)
                         for row in store.query(query, default_graph=default))
        if progress:
            progress()
    return found


def _targeted(store: ox.Store, default: list[ox.NamedNode], targets: Iterable[str],
              focus: list[str]) -> dict[str, list[str]]:
    """The focus nodes each target pattern selects, sorted out once per shape: within a
    check, Oxigraph walks a class target's rdf:type/rdfs:subClassOf* again for each row
    of the check's pattern (30 products at 50,000: 80 ms in a check of their 517
    citations, where the check without it took 9 ms), and a check whose shape targets
    none of the focus nodes is not run at all."""
    return {target: sorted(row["this"].value for batch in _batches(focus)
                           for row in store.query(
                               f"SELECT DISTINCT ?this WHERE {{ {_values(batch)} {{ {target} }} }}",
                               default_graph=default))
            for target in targets}


def _values(iris: list[str]) -> str:
    return "VALUES ?this { " + " ".join(f"<{iri}>" for iri in iris) + " }"


def _holding_triples(store: ox.Store, graphs: list[ox.NamedNode]) -> list[ox.NamedNode]:
    """The graphs that hold a triple (all of them when none does). An empty graph changes
    no answer over the union, but Oxigraph seeks in each graph of the default graph at
    every step: validating with an empty links graph (a project without mappings) in it
    took 42 s where 30 s did without, for the eight slowest checks at 5k."""
    kept = [graph for graph in graphs
            if next(store.quads_for_pattern(None, None, None, graph), None) is not None]
    return kept or graphs


def _finding(check: Check, row: ox.QuerySolution, writer: FindingWriter
             ) -> tuple[str, Finding]:
    this = row["this"]
    value = row["value"] if check.reports_value else None
    return this.value, Finding(
        severity=check.severity,
        focus=writer.term(to_rdflib(this)) or "",
        path=check.path,
        value=writer.term(to_rdflib(value, as_written=True)) if value is not None else None,
        message=check.message,
        shape=check.shape,
        component=check.component,
    )


_closed: tuple[ox.Store, list[str]] | None = None  # a validating process's store, graphs


def _open_closed(directory: str, graphs: list[str]) -> None:
    global _closed
    _closed = ox.Store.read_only(directory), graphs


def _run_check(check: Check) -> list[tuple[str, Finding]]:
    assert _closed is not None, "a process of validate_closed opens the store first"
    return run_checks([check], *_closed)


def _likely_cost(check: Check) -> tuple[int, int]:
    """Checks that follow paths of any length or nest shapes first, the longest first."""
    return check.whole.count("*") + check.whole.count("EXISTS"), len(check.whole)


def _owners(store: ox.Store, node: ox.NamedNode | ox.BlankNode,
            graphs: list[ox.NamedNode]) -> set[str]:
    """The IRIs a node hangs from: itself if it is an IRI, else the IRIs above the blank
    node (RDF lists hang from their entity)."""
    owners, seen, todo = set(), set(), [node]
    while todo:
        current = todo.pop()
        if isinstance(current, ox.NamedNode):
            owners.add(current.value)
            continue
        if current in seen:
            continue
        seen.add(current)
        todo.extend(q.subject for q in store.quads_for_pattern(None, None, current)
                    if q.graph_name in graphs)
    return owners


def _batches(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), _FOCUS_BATCH):
        yield items[start:start + _FOCUS_BATCH]


def _hops(shapes: Graph, path: Node) -> tuple[int, bool]:
    """How many links a path follows (RDF list steps do not count: lists are blank nodes
    hanging from their entity), and whether one of them is followed backwards."""
    if not isinstance(path, BNode):
        return (0 if path in _LIST_PREDICATES else 1), False
    if shapes.value(path, RDF.first) is not None:
        steps = [_hops(shapes, step) for step in shapes.items(path)]
        return sum(h for h, _ in steps), any(i for _, i in steps)
    inverse = shapes.value(path, SH.inversePath)
    if inverse is not None:
        return _hops(shapes, inverse)[0], True
    alternatives = shapes.value(path, SH.alternativePath)
    if alternatives is not None:
        steps = [_hops(shapes, step) for step in shapes.items(alternatives)]
        return max(h for h, _ in steps), any(i for _, i in steps)
    inner = shapes.value(path, SH.zeroOrOnePath)
    if inner is not None:
        return _hops(shapes, inner)
    inner = shapes.value(path, SH.zeroOrMorePath) or shapes.value(path, SH.oneOrMorePath)
    hops, inverse = _hops(shapes, inner)
    return (0 if hops == 0 else 99), inverse


def _object_predicates(shapes: Graph) -> set[Node]:
    """The predicates some path follows backwards, and those whose objects a shape
    targets."""
    found: set[Node] = set(shapes.objects(None, SH.targetObjectsOf))
    todo = list(shapes.objects(None, SH.inversePath))
    while todo:
        node = todo.pop()
        if isinstance(node, BNode):
            todo.extend(o for _, o in shapes.predicate_objects(node))
        elif node != RDF.nil:
            found.add(node)
    return found


def local_reach(shapes: Graph) -> bool:
    """True when no check reads further than one link from its focus node.

    A check reads the triples of its focus node (and of the blank nodes below it: RDF list
    steps do not count), the triples of the nodes one step along its path when it inspects
    them (sh:class, nested shapes), and the links into its focus by an inverse path. That
    is what `dirty` covers; deeper reads make an incremental validation validate all.
    """
    def reach(shape: Node, distance: int, depth: int) -> int:
        if depth > _MAX_NESTING:
            return 99
        path = shapes.value(shape, SH.path)
        hops, inverse = (0, False) if path is None else _hops(shapes, path)
        at = distance + hops  # where the value nodes are
        deepest = max(distance, at - (0 if inverse else 1))  # whose triples the path reads
        for parameter, argument in shapes.predicate_objects(shape):
            if parameter == SH["class"]:
                deepest = max(deepest, at)
            elif parameter in (SH.node, SH["not"]):
                deepest = max(deepest, reach(argument, at, depth + 1))
            elif parameter in (SH["and"], SH["or"], SH.xone):
                for member in shapes.items(argument):
                    deepest = max(deepest, reach(member, at, depth + 1))
            elif parameter == SH.property:
                deepest = max(deepest, reach(argument, distance, depth + 1))
        return deepest

    targeted = {s for p in _TARGETS for s in shapes.subjects(p, None)}
    return all(reach(shape, 0, 0) <= 1 for shape in targeted)
