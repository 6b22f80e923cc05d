"""Pages for people: the home page, search, and the HTML form of every document.

Views turn a description graph into plain page models (names, levels, links, text
segments) and Jinja templates render them with autoescaping on: no literal from the data
ever reaches the page unescaped, and no page model holds markup. Links from the data are
kept only when they are http(s); colours only when they are hex colours.

Search: pyoxigraph has no accent folding, so the index is built in Python from one
SELECT of every searchable label (names, aliases, other writings, brand names, groups),
once per store version, and ranked in Python (exact > prefix > substring, products
first). A linear scan of tens of thousands of short strings takes milliseconds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from flask import Blueprint, Response, jsonify, render_template, request
from rdflib import RDF, RDFS, BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from ..link.publish import external_links
from ..search_index import Entry
from ..to_rdf import BIBO, C4O, CITO, DCTERMS, FOAF, PRISM, SCHEMA, SKOS, new_graph
from ..vocab import PREFIXES
from . import embedded, urls
from .context import site
from .describe import per_version
from .negotiation import HTML, Format, choose_format
from .renderers import DOCUMENT_FORMATS

blueprint = Blueprint("pages", __name__)

LANGUAGES = ("en", "es")  # the order names and texts are preferred in
OWL = Namespace(PREFIXES["owl"])
SH = Namespace(PREFIXES["sh"])
MAX_QUERY = 200  # characters of a search query
MAX_HITS = 50
_COLOUR = re.compile(r"#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?")
_PARAGRAPH = re.compile(r"\n\s*\n|\r\n\s*\r\n")
_JSON = Format("JSON", "application/json", "json", ("json",))


def lg() -> Namespace:
    return Namespace(site().iris.term(""))


# --- page models -----------------------------------------------------------------------

@dataclass(frozen=True)
class Text:
    """A literal as shown: its text and language tag (None for untagged)."""

    value: str
    lang: str | None = None


@dataclass(frozen=True)
class Level:
    notation: int
    name: Text
    alt_name: Text | None
    description: Text | None
    colour: str
    url: str


@dataclass(frozen=True)
class Link:
    name: Text
    url: str | None  # None: not a followable URL (shown as text)
    iri: str
    level: Level | None = None
    note: str | None = None


@dataclass(frozen=True)
class Segment:
    """A run of commentary text; an in-text citation carries the anchor it points at."""

    text: str
    href: str | None = None
    title: str | None = None


@dataclass
class Reference:
    number: int
    anchor: str
    link: Link
    authors: list[str]
    title: str | None
    journal: str | None
    year: str | None
    citation: str | None
    links: list[tuple[str, str]] = field(default_factory=list)  # (label, url)


@dataclass
class Section:
    heading: str
    links: list[Link] = field(default_factory=list)
    by_level: list[tuple[Level | None, list[Link]]] | None = None


def _lang_rank(literal: Literal) -> int:
    lang = literal.language
    return LANGUAGES.index(lang) if lang in LANGUAGES else (len(LANGUAGES) if lang is None
                                                             else len(LANGUAGES) + 1)


def safe_url(value: Node | str | None) -> str | None:
    """An http(s) URL fit for an href, else None (no javascript: or data: links)."""
    text = str(value) if value is not None else ""
    return text if text.startswith(("http://", "https://")) else None


class View:
    """Reads a description graph the way pages need it."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.lg = lg()
        self.names = new_graph(site().iris.base).namespace_manager

    def texts(self, node: Node, *predicates: URIRef) -> list[Text]:
        literals = [o for p in predicates for o in self.graph.objects(node, p)
                    if isinstance(o, Literal)]
        literals.sort(key=lambda lit: (_lang_rank(lit), str(lit)))
        return [Text(str(lit), lit.language) for lit in literals]

    def text(self, node: Node, *predicates: URIRef) -> Text | None:
        found = self.texts(node, *predicates)
        return found[0] if found else None

    def name(self, node: Node) -> Text:
        return (self.text(node, SKOS.prefLabel, RDFS.label, DCTERMS.title)
                or Text(self.qname(node)))

    def qname(self, node: Node) -> str:
        if isinstance(node, URIRef):
            try:
                return self.names.normalizeUri(node).strip("<>")
            except ValueError:
                return str(node)
        return str(node)

    def level_of_concept(self, concept: Node) -> Level | None:
        notation = self.graph.value(concept, SKOS.notation)
        if notation is None:
            return None
        colour = str(self.graph.value(concept, SCHEMA.color) or "")
        return Level(
            notation=int(notation), name=self.name(concept),
            alt_name=self.text(concept, SKOS.altLabel),
            description=self.text(concept, SKOS.definition),
            colour=colour if _COLOUR.fullmatch(colour) else "#777777",
            url=urls.page(str(concept)))

    def level(self, node: Node) -> Level | None:
        concept = self.graph.value(node, self.lg.riskLevel)
        return self.level_of_concept(concept) if concept is not None else None

    def link(self, node: Node, note: str | None = None) -> Link:
        return Link(self.name(node), urls.page(str(node)), str(node), self.level(node), note)

    def links(self, nodes: Iterable[Node]) -> list[Link]:
        found = {self.link(node) for node in nodes if isinstance(node, URIRef)}
        return sorted(found, key=lambda link: link.name.value.casefold())

    def objects(self, node: Node, predicate: URIRef) -> list[Link]:
        return self.links(self.graph.objects(node, predicate))

    def subjects(self, predicate: URIRef, node: Node) -> list[Link]:
        return self.links(self.graph.subjects(predicate, node))

    def kinds(self, node: Node) -> list[Text]:
        return [self.name(t) for t in sorted(self.graph.objects(node, RDF.type))]

    def items(self, head: Node) -> list[Node]:
        return list(Collection(self.graph, head)) if isinstance(head, BNode) else []

    def by_level(self, links: list[Link]) -> list[tuple[Level | None, list[Link]]]:
        groups: dict[int, tuple[Level | None, list[Link]]] = {}
        for link in links:
            key = link.level.notation if link.level else 99
            groups.setdefault(key, (link.level, []))[1].append(link)
        return [groups[key] for key in sorted(groups)]

    def statements(self, node: Node) -> list[tuple[str, list[Link | Text]]]:
        """Every statement about node, for the 'all statements' table."""
        rows: dict[str, list[Link | Text]] = {}
        for predicate, value in sorted(self.graph.predicate_objects(node)):
            values = rows.setdefault(self.qname(predicate), [])
            if isinstance(value, Literal):
                values.append(Text(str(value), value.language))
            elif isinstance(value, URIRef):
                values.append(self.link(value))
            else:
                for item in self.items(value):
                    values.append(self.link(item) if isinstance(item, URIRef)
                                  else Text(str(item)))
        return list(rows.items())


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
        "formats": _formats(iri), "describe": urls.sparql_describe(iri),
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


def _formats(iri: str) -> list[tuple[str, str]]:
    return [(fmt.label, urls.document(iri, fmt.extension)) for fmt in DOCUMENT_FORMATS]


# --- the ontology and the shapes ----------------------------------------------------------

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
        levels=levels, scheme=view.link(scheme), formats=_formats(iri))


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
                           comments=view.texts(node, RDFS.comment), formats=_formats(iri))


# --- search ------------------------------------------------------------------------------

def search(query: str) -> list[tuple[int, Entry]]:
    """Ranked hits: (rank, entry), rank 0 exact, 1 prefix, 2 substring; one per entity."""
    return site().search_index().search(query, MAX_HITS)


def _levels() -> dict[int, Level]:
    """The four levels as shown in badges (from the store's risk-level scheme)."""
    def build() -> dict[int, Level]:
        current = site()
        scheme = current.iris.risk_scheme
        graph = current.store.construct(f"""
            PREFIX skos: <{PREFIXES['skos']}> PREFIX schema: <{PREFIXES['schema']}>
            CONSTRUCT {{ ?c ?p ?o }} WHERE {{ ?c skos:inScheme <{scheme}> ; ?p ?o
              FILTER(?p IN (skos:notation, skos:prefLabel, skos:altLabel, skos:definition,
                            schema:color)) }}""")
        view = View(graph)
        levels = (view.level_of_concept(c) for c in set(graph.subjects()))
        return {level.notation: level for level in levels if level}

    return per_version("levels", build)


def _hit(rank: int, entry: Entry, levels: dict[int, Level]) -> dict[str, object]:
    products = [{"id": urls.url(iri), "page": urls.page(iri), "name": name,
                 "riskLevel": level,
                 "level": levels.get(level) if level is not None else None}
                for iri, name, level in entry.products]
    return {"label": Text(entry.label, entry.lang), "kind": entry.kind, "match": ("exact", "prefix",
                                                                "substring")[rank],
            "id": urls.url(entry.entity), "page": urls.page(entry.entity),
            "products": products}


@blueprint.get("/search")
def search_view() -> Response:
    """`/search?q=`: HTML for people, JSON by `Accept: application/json` or `format=json`."""
    query = request.args.get("q", "")
    wants = request.args.get("format", "").lower()
    fmt = _JSON if wants == "json" else HTML if wants == "html" else choose_format(
        request.headers.get("Accept"), (HTML, _JSON))
    if len(query) > MAX_QUERY:
        message = f"The query is too long: at most {MAX_QUERY} characters."
        if fmt is _JSON:
            return Response(jsonify(error=message).get_data(), 400,
                            content_type="application/json")
        return Response(render_template("error.html", status=400, title="Bad request",
                                        message=message), 400,
                        content_type="text/html; charset=utf-8")
    levels = _levels()
    hits = [_hit(rank, entry, levels) for rank, entry in search(query)]
    if fmt is _JSON:
        body = [{"label": h["label"].value, "language": h["label"].lang, "kind": h["kind"],
                 "match": h["match"], "id": h["id"], "page": h["page"],
                 "products": [{k: v for k, v in p.items() if k != "level"}
                              for p in h["products"]]} for h in hits]
        response = jsonify(query=query, results=body)
    else:
        response = Response(render_template("search.html", query=query, hits=hits),
                            content_type="text/html; charset=utf-8")
    if not request.args.get("format"):
        response.headers["Vary"] = "Accept"
    return response


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
    levels = _levels()
    per_level = [(level, figures.levels.get(current.iris.risk(number), 0))
                 for number, level in sorted(levels.items())]
    view = View(current.store.construct(
        f"CONSTRUCT {{ ?c <{RDFS.label}> ?l }} WHERE {{ ?c <{RDFS.label}> ?l "
        f"VALUES ?c {{ {' '.join(f'<{c}>' for c in figures.classes)} }} }}")
        if figures.classes else Graph())
    classes = sorted(((view.name(URIRef(c)), n) for c, n in figures.classes.items()),
                     key=lambda item: -item[1])
    return render_template("home.html", figures=figures, per_level=per_level, classes=classes)


@blueprint.app_errorhandler(404)
def page_not_found(error: Exception) -> Response:
    from .entities import not_found

    return not_found(f"nothing at {request.path}")


@blueprint.app_errorhandler(500)
def server_error(error: Exception) -> Response:
    return Response("Internal error: the server could not answer this request.\n", 500,
                    content_type="text/plain; charset=utf-8")
