"""What the linker knows of our side: products and references read from the built graph.

A product offers names (its preferred labels, its aliases, its other writings in a language
or script) and identifiers (other writings that are ATC codes or CAS numbers); a reference
offers its PMID. Reading the published graph rather than the sources means the linker
sees exactly what is served, whatever the importer that made it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rdflib import RDF, Graph, Literal, Namespace, URIRef

from ..iris import IriScheme
from . import prefixes

SKOS = Namespace(prefixes.vocabulary_prefixes()["skos"])
RDFS = Namespace(prefixes.vocabulary_prefixes()["rdfs"])
BIBO = Namespace(prefixes.vocabulary_prefixes()["bibo"])
FABIO = Namespace(prefixes.vocabulary_prefixes()["fabio"])

PREF_LABEL = "skos:prefLabel"
ALT_LABEL = "skos:altLabel"
PRODUCT, REFERENCE = "product", "reference"

ATC_CODE = re.compile(r"[A-Z][0-9]{2}[A-Z]{2}[0-9]{2}")
CAS_NUMBER = re.compile(r"([0-9]{2,7})-([0-9]{2})-([0-9])")


@dataclass(frozen=True)
class Name:
    text: str
    lang: str | None  # None: a writing with no language tag (Latin names, codes)
    field: str  # PREF_LABEL or ALT_LABEL: how our side holds it


@dataclass(frozen=True)
class Identifier:
    kind: str  # "atc", "cas" or "pmid": the linker maps kinds to Wikidata properties
    value: str
    field: str  # the property that holds it on our side (a CURIE)


@dataclass(frozen=True)
class Subject:
    curie: str  # product:paracetamol
    iri: str
    kind: str  # PRODUCT or REFERENCE
    label: str  # for the SSSOM subject_label
    names: tuple[Name, ...] = ()
    identifiers: tuple[Identifier, ...] = ()
    classes: frozenset[str] = frozenset()  # rdf:type IRIs (schema:Drug...), for type filters


def is_cas_number(text: str) -> bool:
    """A CAS Registry Number with a correct check digit."""
    match = CAS_NUMBER.fullmatch(text)
    if not match:
        return False
    digits = (match.group(1) + match.group(2))[::-1]
    return sum(i * int(d) for i, d in enumerate(digits, start=1)) % 10 == int(match.group(3))


def _identifier(text: str) -> Identifier | None:
    """An other writing that is an identifier shared with other databases, if it is one."""
    text = text.strip()
    if ATC_CODE.fullmatch(text):
        return Identifier("atc", text, ALT_LABEL)
    if is_cas_number(text):
        return Identifier("cas", text, ALT_LABEL)
    return None


def _label(graph: Graph, node: URIRef) -> str:
    labels = {lit.language: str(lit) for lit in graph.objects(node, SKOS.prefLabel)
              if isinstance(lit, Literal)}
    return labels.get("en") or labels.get("es") or next(iter(sorted(labels.values())), "")


def _lang(literal: Literal) -> str | None:
    return literal.language.lower() if literal.language else None


def _product(graph: Graph, node: URIRef, iris: IriScheme, curie: str) -> Subject:
    lg = Namespace(iris.term(""))
    names = {Name(str(lit), _lang(lit), PREF_LABEL) for lit in graph.objects(node, SKOS.prefLabel)
             if isinstance(lit, Literal)}
    for alias in graph.subjects(lg.aliasOf, node):
        names |= {Name(str(lit), _lang(lit), ALT_LABEL)
                  for lit in graph.objects(alias, SKOS.prefLabel) if isinstance(lit, Literal)}
    identifiers = set()
    for writing in graph.subjects(lg.otherWritingOf, node):
        for lit in graph.objects(writing, SKOS.prefLabel):
            found = _identifier(str(lit))
            if found:
                identifiers.add(found)
            else:
                names.add(Name(str(lit), _lang(lit), ALT_LABEL))
    return Subject(curie, str(node), PRODUCT, _label(graph, node),
                   tuple(sorted(names, key=lambda n: (n.field, n.lang or "", n.text))),
                   tuple(sorted(identifiers, key=lambda i: (i.kind, i.value))),
                   frozenset(str(c) for c in graph.objects(node, RDF.type)))


def _reference(graph: Graph, node: URIRef, curie: str) -> Subject:
    pmids = {str(v).strip() for p in (BIBO.pmid, FABIO.hasPubMedId)
             for v in graph.objects(node, p)}
    title = str(graph.value(node, URIRef(prefixes.vocabulary_prefixes()["dcterms"] + "title"))
                or "")
    return Subject(curie, str(node), REFERENCE, title,
                   identifiers=tuple(Identifier("pmid", p, "bibo:pmid")
                                     for p in sorted(pmids) if p.isdigit()))


def subject_predicates(base: str | None = None) -> frozenset[str]:
    """The predicates `subjects_from_graph` reads (and `graph_subjects`: rdf:type), so that
    a large graph is read without its commentaries, lists and citations."""
    iris = IriScheme(base or prefixes.default_base())
    return frozenset(str(p) for p in (
        RDF.type, SKOS.prefLabel, URIRef(iris.term("aliasOf")), URIRef(iris.term("otherWritingOf")),
        BIBO.pmid, FABIO.hasPubMedId,
        URIRef(prefixes.vocabulary_prefixes()["dcterms"] + "title")))


def subjects_from_graph(graph: Graph, base: str | None = None) -> list[Subject]:
    """Every product, and every reference with a PMID, sorted by CURIE."""
    iris = IriScheme(base or prefixes.default_base())
    found: list[Subject] = []
    for node in set(graph.subjects(RDF.type, URIRef(iris.term("Product")))):
        curie = prefixes.compress(str(node), iris.base)
        if curie and isinstance(node, URIRef):
            found.append(_product(graph, node, iris, curie))
    for node in set(graph.subjects(RDF.type, FABIO.JournalArticle)):
        curie = prefixes.compress(str(node), iris.base)
        if curie and isinstance(node, URIRef):
            reference = _reference(graph, node, curie)
            if reference.identifiers:
                found.append(reference)
    return sorted(found, key=lambda s: s.curie)


def graph_subjects(graph: Graph, base: str | None = None) -> set[str]:
    """The IRIs a mapping may have as subject: every product and reference of the graph."""
    iris = IriScheme(base or prefixes.default_base())
    products = graph.subjects(RDF.type, URIRef(iris.term("Product")))
    references = graph.subjects(RDF.type, FABIO.JournalArticle)
    return {str(node) for node in (*products, *references) if isinstance(node, URIRef)}
