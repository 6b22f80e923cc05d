"""schema.org JSON-LD embedded in the HTML pages, for general-purpose harvesters.

Search engines and dataset search read `<script type="application/ld+json">` in
schema.org terms, not our vocabulary: an entity page says what the entry is called
(`name`, `alternateName`), what it says about breastfeeding (`breastfeedingWarning`, the
commentary; `description`, the level of risk) and what it rests on (`citation`); the
catalogue page describes the `Dataset` and its `DataDownload`s.

The blocks use the usual `"@context": "https://schema.org"` that indexers expect; nothing
here fetches it. `base.html` writes a block with Jinja's `tojson`, which escapes `<`, `>`,
`&` and `'`, so no text from the data (a name holding `</script>`) can end the element.
"""

from __future__ import annotations

from collections.abc import Iterable

from rdflib import RDF, RDFS, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from ..to_rdf import BIBO, CITO, DCTERMS, FOAF, SCHEMA, SKOS
from . import urls
from .context import site

SCHEMA_ORG = "https://schema.org"
_LANGUAGES = ("en", "es")

# Our classes -> the closest schema.org type, for entities whose data names none.
_TYPES = {"Product": "MedicalEntity", "Group": "MedicalEntity", "Alias": "DefinedTerm",
          "OtherWriting": "DefinedTerm", "BrandName": "Product", "Country": "Country",
          "RiskLevel": "DefinedTerm"}


def _ranked(literals: Iterable[Node]) -> list[Literal]:
    found = [lit for lit in literals if isinstance(lit, Literal)]
    return sorted(found, key=lambda lit: (_LANGUAGES.index(lit.language)
                                          if lit.language in _LANGUAGES else len(_LANGUAGES),
                                          str(lit)))


def _texts(literals: list[Literal]) -> list[object]:
    return [{"@value": str(lit), "@language": lit.language} if lit.language else str(lit)
            for lit in literals]


def _one_or_many(values: list[object]) -> object:
    return values[0] if len(values) == 1 else values


def _schema_type(graph: Graph, node: URIRef) -> str:
    types = set(graph.objects(node, RDF.type))
    named = sorted(str(t)[len(str(SCHEMA)):] for t in types if str(t).startswith(str(SCHEMA)))
    if named:
        return named[0]
    if BIBO.AcademicArticle in types:
        return "ScholarlyArticle"
    if SKOS.ConceptScheme in types:
        return "DefinedTermSet"
    ours = Namespace(site().iris.term(""))
    return next((kind for local, kind in _TYPES.items() if ours[local] in types), "Thing")


def _citation(graph: Graph, reference: Node) -> dict[str, object]:
    found: dict[str, object] = {"@type": "ScholarlyArticle", "@id": urls.url(str(reference))}
    title = graph.value(reference, DCTERMS.title) or graph.value(
        reference, DCTERMS.bibliographicCitation)
    if title is not None:
        found["name"] = str(title)
    authors = graph.value(reference, BIBO.authorList)
    if authors is not None:
        found["author"] = [{"@type": "Person", "name": str(a)}
                           for a in Collection(graph, authors)]
    year = graph.value(reference, DCTERMS.issued)
    if year is not None:
        found["datePublished"] = str(year)
    pmid = graph.value(reference, BIBO.pmid)
    if pmid is not None and str(pmid).isdigit():
        found["sameAs"] = f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/"
    return found


def entity(graph: Graph, iri: str) -> dict[str, object]:
    """The schema.org description of an entity's page, from its description graph."""
    from .meta import LICENSE

    node = URIRef(iri)
    data: dict[str, object] = {"@context": SCHEMA_ORG, "@type": _schema_type(graph, node),
                               "@id": urls.url(iri), "url": urls.page(iri)}
    names = _ranked(graph.objects(node, SKOS.prefLabel)) or _ranked(
        graph.objects(node, RDFS.label)) or _ranked(graph.objects(node, DCTERMS.title))
    if names:
        data["name"] = str(names[0])
    others = [str(lit) for lit in [*names[1:], *_ranked(graph.objects(node, SKOS.altLabel))]]
    alternates = sorted({name for name in others if names and name != str(names[0])})
    if alternates:
        data["alternateName"] = alternates
    level = graph.value(node, URIRef(site().iris.term("riskLevel")))
    if level is not None:
        level_names = _ranked(graph.objects(level, SKOS.prefLabel))
        definitions = _ranked(graph.objects(level, SKOS.definition))
        if level_names:
            text = f"{level_names[0]} for breastfeeding"
            data["description"] = text + (f": {definitions[0]}" if definitions else ".")
    warnings = _ranked(graph.objects(node, SCHEMA.breastfeedingWarning))
    if warnings:
        data["breastfeedingWarning"] = _one_or_many(_texts(warnings))
    cited = sorted(graph.objects(node, CITO.citesAsEvidence))
    if cited:
        data["citation"] = [_citation(graph, reference) for reference in cited]
    modified = graph.value(node, DCTERMS.modified)
    if modified is not None:
        data["dateModified"] = str(modified)
    source = graph.value(node, FOAF.page)
    if isinstance(source, URIRef) and urls.page(str(source)):
        data["isBasedOn"] = str(source)
    data["license"] = LICENSE
    return data
