"""The HTML documentation of the ontology and of the shapes, from their graphs."""

from __future__ import annotations

from collections.abc import Iterable

from flask import render_template
from rdflib import RDF, RDFS, BNode, Graph, Namespace, URIRef
from rdflib.term import Node

from ..to_rdf import DCTERMS, SCHEMA, SKOS
from ..vocab import PREFIXES
from . import urls
from .context import site
from .view import View, formats

OWL = Namespace(PREFIXES["owl"])
SH = Namespace(PREFIXES["sh"])


def _terms(view: View, kinds: Iterable[URIRef], namespace: str) -> list[dict[str, object]]:
    nodes = sorted({s for kind in kinds for s in view.graph.subjects(RDF.type, kind)
                    if isinstance(s, URIRef) and str(s).startswith(namespace)})
    terms = []
    for node in nodes:
        terms.append({
            "anchor": str(node)[len(namespace):], "iri": str(node), "url": urls.url(str(node)),
            "labels": view.texts(node, RDFS.label), "comments": view.texts(node, RDFS.comment),
            "kinds": view.kinds(node),
            "domain": view.objects(node, RDFS.domain), "range": view.objects(node, RDFS.range),
            "parents": view.objects(node, RDFS.subClassOf),
            "unit": view.text(node, SCHEMA.unitText),
            "matches": view.objects(node, SKOS.closeMatch) + view.objects(node, SKOS.exactMatch),
            "see_also": view.objects(node, RDFS.seeAlso),
        })
    return terms


def ontology_page(iri: str, graph: Graph) -> str:
    view, namespace = View(graph), iri + "#"
    lgns = view.lg
    sections = [
        ("Classes", _terms(view, [OWL.Class], namespace)),
        ("Object properties", _terms(view, [OWL.ObjectProperty], namespace)),
        ("Datatype properties", _terms(view, [OWL.DatatypeProperty, OWL.AnnotationProperty],
                                       namespace)),
        ("Pharmacokinetic variables", _terms(view, [lgns.PharmacokineticVariable], namespace)),
        ("Citation resolution methods", _terms(view, [lgns.CitationResolutionMethod],
                                               namespace)),
    ]
    node = URIRef(iri)
    external = sorted({view.qname(s) for kind in (OWL.Class, OWL.ObjectProperty,
                                                   OWL.DatatypeProperty, OWL.AnnotationProperty)
                       for s in graph.subjects(RDF.type, kind)
                       if isinstance(s, URIRef) and not str(s).startswith(namespace)})
    scheme = URIRef(site().iris.risk_scheme)
    levels = sorted((lvl for lvl in (view.level_of_concept(c) for c in
                                     graph.objects(scheme, SKOS.hasTopConcept)) if lvl),
                    key=lambda level: level.notation)
    return render_template(
        "ontology.html", iri=iri, name=view.name(node), view=view,
        titles=view.texts(node, DCTERMS.title), descriptions=view.texts(node, DCTERMS.description),
        version=graph.value(node, OWL.versionInfo), sections=sections, external=external,
        levels=levels, scheme=view.link(scheme), formats=formats(iri))


def _shape_rows(view: View, shape: Node) -> list[dict[str, object]]:
    rows = []
    for prop in view.graph.objects(shape, SH.property):
        path = view.graph.value(prop, SH.path)
        constraints = []
        for predicate, value in sorted(view.graph.predicate_objects(prop)):
            if predicate in (SH.path, SH.name, SH.message, SH.description):
                continue
            shown = (", ".join(view.qname(i) for i in view.items(value))
                     if isinstance(value, BNode) else view.qname(value)
                     if isinstance(value, URIRef) else str(value))
            constraints.append((view.qname(predicate), shown or "[…]"))
        rows.append({"path": view.qname(path) if isinstance(path, URIRef) else "(a path)",
                     "name": view.text(prop, SH.name), "message": view.text(prop, SH.message),
                     "constraints": constraints})
    return sorted(rows, key=lambda row: str(row["path"]))


def shapes_page(iri: str, graph: Graph) -> str:
    view, namespace = View(graph), iri + "#"
    shapes = []
    for shape in sorted(s for s in graph.subjects(RDF.type, SH.NodeShape)
                        if str(s).startswith(namespace)):
        shapes.append({
            "anchor": str(shape)[len(namespace):], "label": view.text(shape, RDFS.label),
            "comment": view.text(shape, RDFS.comment), "message": view.text(shape, SH.message),
            "targets": [view.qname(t) for p in (SH.targetClass, SH.targetSubjectsOf,
                                                SH.targetObjectsOf, SH.targetNode)
                        for t in graph.objects(shape, p)],
            "severity": view.qname(graph.value(shape, SH.severity) or SH.Violation),
            "properties": _shape_rows(view, shape)})
    node = URIRef(iri)
    return render_template("shapes.html", iri=iri, name=view.name(node), shapes=shapes,
                           comments=view.texts(node, RDFS.comment), formats=formats(iri))
