"""Pages for people: the home page and the HTML form of every entity's document.

The page models and the View they are read with are in view.py; the ontology and shapes
pages in vocabulary_pages.py; search in search.py.
"""

from __future__ import annotations

import re

from flask import Blueprint, Response, render_template, request
from rdflib import RDF, RDFS, Graph, URIRef
from rdflib.term import Node
from werkzeug.exceptions import MethodNotAllowed

from ..link.publish import external_links
from ..to_rdf import BIBO, C4O, CITO, DCTERMS, FOAF, PRISM, SCHEMA, SKOS
from . import embedded, urls
from .context import site
from .view import Level, Link, Reference, Section, Segment, Text, View, formats, safe_url
from .view import levels as view_levels

blueprint = Blueprint("pages", __name__)

_PARAGRAPH = re.compile(r"\n\s*\n|\r\n\s*\r\n")


# --- commentary with linked citations ----------------------------------------------------

def _citations(view: View, product: URIRef, lang: str | None,
               anchors: dict[str, str]) -> list[tuple[int, str, str | None, str | None]]:
    """(offset, text, href, title) of the in-text citations of one commentary."""
    found = []
    for pointer in view.graph.subjects(DCTERMS.isPartOf, product):
        content = view.graph.value(pointer, C4O.hasContent)
        offset = view.graph.value(pointer, view.lg.characterOffset)
        language = view.graph.value(pointer, DCTERMS.language)
        if content is None or offset is None:
            continue
        if language is not None and lang is not None and str(language) != lang:
            continue
        target = view.graph.value(pointer, C4O.denotes)
        href = anchors.get(str(target)) if target is not None else None
        if target is not None and href is None:
            href = urls.page(str(target))
        title = view.name(target).value if target is not None else None
        found.append((int(offset), str(content), href, title))
    return sorted(found)


def commentary_paragraphs(text: str, citations: list[tuple[int, str, str | None, str | None]]
                          ) -> list[list[Segment]]:
    """The commentary as paragraphs of segments, each citation found at (or near) its offset."""
    segments: list[Segment] = []
    position = 0
    for offset, content, href, title in citations:
        start = offset if text[offset:offset + len(content)] == content else text.find(
            content, position)
        if start < position or start < 0:
            continue
        if start > position:
            segments.append(Segment(text[position:start]))
        segments.append(Segment(content, href, title))
        position = start + len(content)
    segments.append(Segment(text[position:]))
    paragraphs: list[list[Segment]] = [[]]
    for segment in segments:
        if segment.href:
            paragraphs[-1].append(segment)
            continue
        parts = _PARAGRAPH.split(segment.text)
        for number, part in enumerate(parts):
            if number:
                paragraphs.append([])
            if part:
                paragraphs[-1].append(Segment(part))
    return [p for p in paragraphs if any(s.text.strip() for s in p)]


# --- product pages --------------------------------------------------------------------

_PK_ORDER = ("OralBioavailability", "MolecularWeight", "ProteinBinding", "VolumeOfDistribution",
             "Pka", "Tmax", "HalfLife", "MilkPlasmaRatio", "TheoreticalInfantDose",
             "RelativeInfantDose", "RelativePaediatricDose")


def _reference(view: View, node: Node, number: int) -> Reference:
    """A numbered reference with its authors in order and its links (PubMed first)."""
    graph = view.graph
    links = []
    pmid = graph.value(node, BIBO.pmid)
    if pmid is not None and str(pmid).isdigit():
        links.append(("PubMed", f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/"))
    for target in sorted(graph.objects(node, RDFS.seeAlso)):
        address = safe_url(target)
        if address and all(address != seen for _, seen in links):
            label = "Abstract" if "pubmed" in address or "ncbi" in address else "Full text"
            links.append((label, address))

    def plain(predicate: URIRef) -> str | None:
        value = graph.value(node, predicate)
        return str(value) if value is not None else None

    return Reference(
        number=number, anchor=f"ref-{number}", link=view.link(node),
        authors=[str(a) for a in view.items(graph.value(node, BIBO.authorList))],
        title=plain(DCTERMS.title), journal=plain(PRISM.publicationName),
        year=plain(DCTERMS.issued), citation=plain(DCTERMS.bibliographicCitation),
        links=links)


def _references(view: View, product: URIRef) -> list[Reference]:
    """The product's references in lg:bibliography order, then any other it cites."""
    ordered = view.items(view.graph.value(product, view.lg.bibliography))
    cited = sorted(set(view.graph.objects(product, CITO.citesAsEvidence)) - set(ordered))
    return [_reference(view, node, number)
            for number, node in enumerate([*ordered, *cited], start=1)]


def _pharmacokinetics(view: View, product: URIRef) -> list[dict[str, object]]:
    rows = []
    for node in view.graph.objects(product, view.lg.pharmacokinetics):
        variable = view.graph.value(node, view.lg.variable)
        local = str(variable).rpartition("#")[2] if variable is not None else ""
        rank = _PK_ORDER.index(local) if local in _PK_ORDER else len(_PK_ORDER)
        rows.append({"rank": rank, "anchor": str(node).rpartition("#")[2],
                     "variable": view.name(variable) if variable is not None else Text("?"),
                     "value": view.text(node, view.lg.rawValue),
                     "unit": view.text(node, SCHEMA.unitText)})
    return sorted(rows, key=lambda row: (row["rank"], row["anchor"]))


def _product(view: View, node: URIRef) -> dict[str, object]:
    lgns, graph = view.lg, view.graph
    references = _references(view, node)
    anchors = {ref.link.iri: f"#{ref.anchor}" for ref in references}
    commentaries = []
    for text in view.texts(node, SCHEMA.breastfeedingWarning):
        paragraphs = commentary_paragraphs(text.value, _citations(view, node, text.lang, anchors))
        commentaries.append({"lang": text.lang, "paragraphs": paragraphs})
    writings = [view.link(w, note=str(graph.value(w, lgns.languageOrScript) or "") or None)
                for w in graph.subjects(lgns.otherWritingOf, node)]
    mentioned = [view.link(s, note=view.qname(p)) for s, p in
                 graph.subject_predicates(node)
                 if (s, RDF.type, lgns.Product) in graph and p in (lgns.relatedProduct,
                                                                    lgns.alternative)]
    return {
        "names": view.texts(node, SKOS.prefLabel),
        "commentaries": commentaries,
        "related": view.objects(node, lgns.relatedProduct),
        "alternatives": view.objects(node, lgns.alternative),
        "no_alternatives": bool(graph.value(node, lgns.noAlternativesApplicable)),
        "groups": view.objects(node, lgns.belongsToGroup),
        "related_groups": view.objects(node, lgns.hasRelatedGroup),
        "aliases": view.subjects(lgns.aliasOf, node),
        "writings": sorted(writings, key=lambda link: link.name.value.casefold()),
        "brands": view.subjects(lgns.activeIngredient, node),
        "mentioned_by": sorted(mentioned, key=lambda link: link.name.value.casefold()),
        "pharmacokinetics": _pharmacokinetics(view, node),
        "references": references,
        "modified": graph.value(node, DCTERMS.modified),
        "created": graph.value(node, DCTERMS.created),
    }


# --- other entity pages ------------------------------------------------------------------

def _sections(view: View, node: URIRef) -> list[Section]:
    """What the page of a group, level, name, reference, country or scheme lists."""
    lgns, graph = view.lg, view.graph
    types = set(graph.objects(node, RDF.type))
    if lgns.Group in types:
        members = view.subjects(lgns.belongsToGroup, node)
        return [Section("Products in this group, by risk level", by_level=view.by_level(members)),
                Section("Products for which this group is relevant",
                        view.subjects(lgns.hasRelatedGroup, node)),
                Section("Related groups", view.objects(node, lgns.relatedGroup))]
    if lgns.RiskLevel in types:
        return [Section("Products at this level", view.subjects(lgns.riskLevel, node))]
    if lgns.Alias in types:
        return [Section("Alias of", view.objects(node, lgns.aliasOf))]
    if lgns.OtherWriting in types:
        return [Section("Other writing of", view.objects(node, lgns.otherWritingOf))]
    if lgns.BrandName in types:
        return [Section("Active ingredients", view.objects(node, lgns.activeIngredient)),
                Section("Countries", view.objects(node, lgns.country))]
    if lgns.Country in types:
        return [Section("Brand names sold here", view.subjects(lgns.country, node))]
    if (node, RDF.type, SKOS.ConceptScheme) in graph:
        return [Section("Levels", view.objects(node, SKOS.hasTopConcept))]
    cited_by = view.subjects(CITO.citesAsEvidence, node)
    if cited_by:
        return [Section("Cited by", cited_by)]
    return []


def _derived_level(view: View, node: URIRef) -> Level | None:
    """A brand's level is the highest among its active ingredients' (DESIGN.md §1)."""
    levels = [link.level for link in view.objects(node, view.lg.activeIngredient) if link.level]
    return max(levels, key=lambda level: level.notation) if levels else None


def entity_page(iri: str, graph: Graph) -> str:
    """The HTML document of an entity from its description."""
    view, node = View(graph), URIRef(iri)
    types = set(graph.objects(node, RDF.type))
    level = view.level(node) or view.level_of_concept(node)
    if view.lg.BrandName in types:
        level = level or _derived_level(view, node)
    page = {
        "iri": iri, "url": urls.url(iri), "name": view.name(node), "kinds": view.kinds(node),
        "level": level, "view": view, "statements": view.statements(node),
        "formats": formats(iri), "describe": urls.sparql_describe(iri),
        "source": safe_url(graph.value(node, FOAF.page)),
        "definitions": view.texts(node, SKOS.definition, RDFS.comment),
        "history": view.texts(node, SKOS.historyNote),
        "alt_names": view.texts(node, SKOS.altLabel),
        "language": view.text(node, view.lg.languageOrScript),
        "other_ingredients": view.texts(node, view.lg.otherIngredientName),
        "structured_data": embedded.entity(graph, iri),
        "external_links": external_links((str(p), str(o)) for p, o in
                                         graph.predicate_objects(node)),
    }
    if view.lg.Product in types:
        return render_template("product.html", **page, **_product(view, node))
    references = _references_page(view, node)
    return render_template("entity.html", **page, **references,
                           sections=[s for s in _sections(view, node) if s.links or s.by_level])


def _references_page(view: View, node: URIRef) -> dict[str, object]:
    """For a reference: its details and the in-text citations that point at it."""
    if (node, RDF.type, BIBO.AcademicArticle) not in view.graph:
        return {"reference": None, "citing": []}
    citing = []
    for pointer in view.graph.subjects(C4O.denotes, node):
        product = view.graph.value(pointer, DCTERMS.isPartOf)
        content = view.graph.value(pointer, C4O.hasContent)
        if product is not None:
            citing.append(Link(Text(f"“{content}” in {view.name(product).value}"),
                               urls.page(str(pointer)), str(pointer)))
    return {"reference": _reference(view, node, 1),
            "citing": sorted(citing, key=lambda link: link.url)}


@blueprint.app_context_processor
def template_globals() -> dict[str, object]:
    """What every template may use: the URL builder and the site (for its IRIs)."""
    return {"urls": urls, "site": site()}


# --- the home page -------------------------------------------------------------------------

@blueprint.get("/")
def home() -> str:
    from .meta import statistics

    figures = statistics()
    current = site()
    levels = view_levels()
    per_level = [(level, figures.levels.get(current.iris.risk(number), 0))
                 for number, level in sorted(levels.items())]
    view = View(current.store.construct(
        f"CONSTRUCT {{ ?c <{RDFS.label}> ?l }} WHERE {{ ?c <{RDFS.label}> ?l "
        f"VALUES ?c {{ {' '.join(f'<{c}>' for c in figures.classes)} }} }}")
        if figures.classes else Graph())
    classes = sorted(((view.name(URIRef(c)), n) for c, n in figures.classes.items()),
                     key=lambda item: (-item[1], item[0].value))  # ties by name: any store
    return render_template("home.html", figures=figures, per_level=per_level, classes=classes)


@blueprint.app_errorhandler(404)
def page_not_found(error: Exception) -> Response:
    from .entities import not_found

    return not_found(f"nothing at {request.path}")


# Methods a route takes only to refuse them in its own words (the SPARQL endpoint's 405):
# the server changes nothing, so no route supports them.
_REFUSED_METHODS = frozenset(("PUT", "DELETE", "PATCH"))


@blueprint.app_errorhandler(405)
def method_not_allowed(error: MethodNotAllowed) -> Response:
    from .entities import client_error

    allowed = sorted(set(error.valid_methods or ()) - _REFUSED_METHODS)  # RFC 9110 10.2.1
    response = client_error(405, "Method not allowed",
                            f"{request.method} {request.path}: use {', '.join(allowed)}")
    response.allow.update(allowed)
    return response


@blueprint.app_errorhandler(500)
def server_error(error: Exception) -> Response:
    return Response("Internal error: the server could not answer this request.\n", 500,
                    content_type="text/plain; charset=utf-8")
