"""SHACL validation with pyshacl, and a report a curator can read."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

from pyshacl import validate as shacl_validate
from rdflib import RDF, Graph, Namespace
from rdflib.term import Node

from .rdfio import read_graph
from .vocab import lactgraph_prefixes

SH = Namespace("http://www.w3.org/ns/shacl#")
SEVERITIES = ("Violation", "Warning", "Info")


@dataclass(frozen=True)
class Finding:
    severity: str  # Violation, Warning or Info
    focus: str
    path: str | None
    value: str | None
    message: str
    shape: str | None


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


def _text(graph: Graph, node: Node | None) -> str | None:
    if node is None:
        return None
    return node.n3(graph.namespace_manager)


def _finding(results: Graph, result: Node) -> Finding:
    severity = results.value(result, SH.resultSeverity)
    messages = sorted(str(m) for m in results.objects(result, SH.resultMessage))
    return Finding(
        severity=str(severity).rsplit("#", 1)[-1] if severity else "Violation",
        focus=_text(results, results.value(result, SH.focusNode)) or "",
        path=_text(results, results.value(result, SH.resultPath)),
        value=_text(results, results.value(result, SH.value)),
        message="; ".join(messages),
        shape=_text(results, results.value(result, SH.sourceShape)),
    )


def validate_graph(data: Graph, shapes: Graph, ontology: Graph) -> Report:
    """Validate data against the shapes, with the ontology mixed in (classes, risk levels)."""
    _, results, _ = shacl_validate(
        data, shacl_graph=shapes, ont_graph=ontology, inference="none", allow_warnings=True
    )
    for prefix, namespace in lactgraph_prefixes().items():
        results.bind(prefix, namespace, override=True, replace=True)
    findings = [_finding(results, r) for r in results.subjects(RDF.type, SH.ValidationResult)]
    order = {name: i for i, name in enumerate(SEVERITIES)}
    findings.sort(key=lambda f: (order.get(f.severity, 9), f.focus, f.path or "", f.message))
    return Report(tuple(findings))


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
        found = groups[severity]
        lines.append(f"{severity}s ({len(found)}):")
        for f in found:
            where = f.focus + (f" {f.path}" if f.path else "")
            value = f" = {f.value}" if f.value else ""
            lines.append(f"  {where}{value}\n    {f.message}")
    verdict = "Conforms" if report.conforms else "Does not conform"
    lines.append(f"{verdict}: {len(report.violations)} violation(s), "
                 f"{len(report.findings) - len(report.violations)} other finding(s).")
    return "\n".join(lines) + "\n"


def format_json(report: Report) -> str:
    payload = {"conforms": report.conforms, "findings": [asdict(f) for f in report.findings]}
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
