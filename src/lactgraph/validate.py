"""SHACL validation with pyshacl (the reference engine), and a report a curator can read.

The build validates large graphs with `shacl_sparql` (the same shapes compiled to SPARQL
and run on the Oxigraph store); both engines report `Finding`s written the same way
(`FindingWriter`), so that a test can compare them finding for finding.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from rdflib import RDF, BNode, Graph, Namespace
from rdflib.namespace import NamespaceManager
from rdflib.term import Node

from .errors import LactgraphError
from .rdfio import read_graph
from .vocab import lactgraph_prefixes

SH = Namespace("http://www.w3.org/ns/shacl#")
SEVERITIES = ("Violation", "Warning", "Info")
_PATH_OPERATORS = {SH.zeroOrMorePath: "*", SH.oneOrMorePath: "+", SH.zeroOrOnePath: "?"}


@dataclass(frozen=True)
class Finding:
    severity: str  # Violation, Warning or Info
    focus: str
    path: str | None  # a SPARQL property path ("lg:bibliography/rdf:rest*/rdf:first")
    value: str | None
    message: str
    shape: str | None  # the node shape (a property shape is named by its node shape)
    component: str | None = None  # the constraint component, e.g. "MinCountConstraintComponent"


@dataclass(frozen=True)
class Report:
    findings: tuple[Finding, ...]

    @property
    def violations(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "Violation")

    @property
    def conforms(self) -> bool:
        """True when nothing is wrong; warnings say what is incomplete, not wrong."""
        return not self.violations


def report_of(findings: Iterable[Finding]) -> Report:
    """A report of distinct findings in a stable order: severity, focus, path, message."""
    order = {name: i for i, name in enumerate(SEVERITIES)}
    return Report(tuple(sorted(set(findings), key=lambda f: (
        order.get(f.severity, 9), f.focus, f.path or "", f.message, f.value or "",
        f.component or ""))))


def path_text(graph: Graph, path: Node, name: Callable[[Node], str]) -> str:
    """A SHACL path as a SPARQL property path, IRIs written by `name`."""
    if not isinstance(path, BNode):
        return name(path)
    if graph.value(path, RDF.first) is not None:
        steps = [path_text(graph, step, name) for step in graph.items(path)]
        return "/".join(_grouped(step) if "|" in step else step for step in steps)
    inverse = graph.value(path, SH.inversePath)
    if inverse is not None:
        return "^" + _grouped(path_text(graph, inverse, name))
    alternatives = graph.value(path, SH.alternativePath)
    if alternatives is not None:
        return "|".join(path_text(graph, step, name) for step in graph.items(alternatives))
    for predicate, operator in _PATH_OPERATORS.items():
        inner = graph.value(path, predicate)
        if inner is not None:
            return _grouped(path_text(graph, inner, name)) + operator
    raise ValueError(f"not a SHACL path: {path!r}")


def _grouped(text: str) -> str:
    simple = not any(c in text for c in "/|^*+?") or (text.startswith("(") and
                                                      text.endswith(")"))
    return text if simple else f"({text})"


class FindingWriter:
    """Writes the terms of findings with the project's prefixes, as both engines must."""

    def __init__(self, shapes: Graph) -> None:
        self.shapes = shapes
        self.names = NamespaceManager(Graph(bind_namespaces="none"), bind_namespaces="none")
        for prefix, namespace in lactgraph_prefixes().items():
            self.names.bind(prefix, namespace, override=True, replace=True)

    def term(self, node: Node | None) -> str | None:
        return None if node is None else node.n3(self.names)

    def path(self, graph: Graph, path: Node | None) -> str | None:
        return None if path is None else path_text(graph, path, self.term)

    def shape(self, shape: Node | None) -> str | None:
        """A named shape by its name; a blank property shape by the node shape holding it."""
        if isinstance(shape, BNode):
            holder = self.shapes.value(None, SH.property, shape)
            return self.term(holder) if holder is not None else None
        return self.term(shape)


def _finding(results: Graph, result: Node, writer: FindingWriter) -> Finding:
    severity = results.value(result, SH.resultSeverity)
    messages = sorted(str(m) for m in results.objects(result, SH.resultMessage))
    component = results.value(result, SH.sourceConstraintComponent)
    return Finding(
        severity=str(severity).rsplit("#", 1)[-1] if severity else "Violation",
        focus=writer.term(results.value(result, SH.focusNode)) or "",
        path=writer.path(results, results.value(result, SH.resultPath)),
        value=writer.term(results.value(result, SH.value)),
        message="; ".join(messages),
        shape=writer.shape(results.value(result, SH.sourceShape)),
        component=str(component).rsplit("#", 1)[-1] if component else None,
    )


def validate_graph(data: Graph, shapes: Graph, ontology: Graph) -> Report:
    """Validate data against the shapes, with the ontology mixed in (classes, risk levels).

    An RDF list that comes back to itself is refused with its place named: pyshacl stops
    on one with rdflib's ValueError (writing the list into a message) instead of
    reporting it. The build's compiled checks report it as a violation."""
    from pyshacl import validate as shacl_validate  # 0.2 s to import; most builds never do

    looping = _looping_list(data)
    if looping is not None:
        holder = next(((s, p) for s, p in data.subject_predicates(looping) if p != RDF.rest),
                      None)
        where = f" (the object of {holder[0].n3()} {holder[1].n3()})" if holder else ""
        raise LactgraphError(f"cannot validate: the RDF list at {looping.n3()}{where} comes "
                             "back to itself through rdf:rest; a list ends in rdf:nil")
    _, results, _ = shacl_validate(
        data, shacl_graph=shapes, ont_graph=ontology, inference="none", allow_warnings=True
    )
    writer = FindingWriter(shapes)
    # the results of the report; the results pyshacl nests under them (sh:detail, why a
    # node did not conform to a nested shape) explain a finding and are not findings
    return report_of(_finding(results, r, writer)
                     for report in results.subjects(RDF.type, SH.ValidationReport)
                     for r in results.objects(report, SH.result))


def _looping_list(graph: Graph) -> Node | None:
    """A node from which rdf:rest leads back to it, or None (a walk from every cell,
    each cell walked from once)."""
    rests: dict[Node, list[Node]] = defaultdict(list)
    for cell, rest in graph.subject_objects(RDF.rest):
        rests[cell].append(rest)
    finished: set[Node] = set()
    for start in rests:
        walk, on_walk = [(start, iter(rests[start]))], {start}
        while walk:
            cell, nexts = walk[-1]
            following = next(nexts, None)
            if following is None:
                walk.pop()
                on_walk.discard(cell)
                finished.add(cell)
            elif following in on_walk:
                return following
            elif following not in finished and following in rests:
                walk.append((following, iter(rests[following])))
                on_walk.add(following)
    return None


def load_rules(shapes_path: Path, ontology_path: Path) -> tuple[Graph, Graph]:
    """The shapes and ontology graphs (parsed safely, with precise errors)."""
    return read_graph([shapes_path]), read_graph([ontology_path])


def format_text(report: Report) -> str:
    """The report grouped by severity: focus node, path, value, message."""
    if not report.findings:
        return "Conforms: no violations, no warnings.\n"
    groups: dict[str, list[Finding]] = defaultdict(list)
    for finding in report.findings:
        groups[finding.severity].append(finding)
    lines = []
    for severity in sorted(groups, key=lambda s: SEVERITIES.index(s) if s in SEVERITIES else 9):
        # one block per value and message: a value may fail several constraints of one
        # property shape that share its message ("abc" as a decimal from 0 to 1)
        blocks: dict[str, list[str]] = defaultdict(list)
        for f in groups[severity]:
            where = f.focus + (f" {f.path}" if f.path else "")
            value = f" = {f.value}" if f.value else ""
            blocks[f"  {where}{value}\n    {f.message}"].append(_constraint(f.component))
        lines.append(f"{severity}s ({len(groups[severity])}):")
        for block, constraints in blocks.items():
            lines.append(block + (f" (failed {len(constraints)} constraints: "
                                  f"{', '.join(constraints)})" if len(constraints) > 1 else ""))
    verdict = "Conforms" if report.conforms else "Does not conform"
    lines.append(f"{verdict}: {len(report.violations)} violation(s), "
                 f"{len(report.findings) - len(report.violations)} other finding(s).")
    return "\n".join(lines) + "\n"


def _constraint(component: str | None) -> str:
    """sh:MinInclusiveConstraintComponent -> "minInclusive"."""
    name = (component or "?").removesuffix("ConstraintComponent")
    return name[:1].lower() + name[1:]


def format_json(report: Report) -> str:
    payload = {"conforms": report.conforms, "findings": [asdict(f) for f in report.findings]}
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
