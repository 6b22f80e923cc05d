"""Records -> triples: the only code that knows the ontology's terms.

Each entry becomes the triples of the resources it owns: the product, its pharmacokinetic
values and in-text citations (hash IRIs under the product), and the aliases, other
writings, brand names, groups and references it names (shared resources: the same name
gives the same IRI, so entries merge by construction).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache
from typing import Protocol

from rdflib import BNode, Graph, Literal, URIRef
from rdflib import Namespace as RdflibNamespace

from .iris import IriScheme, slugify, source_page
from .link.targets import article_iris
from .records import (
    CORPORATE_AUTHOR,
    CORRECTED_YEAR,
    EXACT,
    FUZZY_NAME,
    BrandName,
    Citation,
    PharmacokineticValue,
    Product,
    Reference,
)
from .sources.references import without_link_labels
from .vocab import PREFIXES, lactgraph_prefixes


class Namespace(RdflibNamespace):
    """rdflib's Namespace, making each term once: rdflib's makes (and checks) a new IRI
    on every `SKOS.prefLabel`, and a build writes millions of triples. A term asked for
    as an attribute is kept as one, so that the next `SKOS.prefLabel` is a plain lookup
    (rdflib's own RDF and RDFS namespaces cost a call through their metaclass each)."""

    @cache  # noqa: B019 (namespaces live as long as the module)
    def term(self, name: str) -> URIRef:
        return super().term(name)

    def __getattr__(self, name: str) -> URIRef:
        term = super().__getattr__(name)
        self.__dict__[name] = term
        return term


@cache
def namespace(iri: str) -> Namespace:
    """The one Namespace of an IRI (each keeps the terms it made)."""
    return Namespace(iri)


RDF = Namespace(PREFIXES["rdf"])
RDFS = Namespace(PREFIXES["rdfs"])
XSD = Namespace(PREFIXES["xsd"])
TRUE = Literal(True)
SKOS = Namespace(PREFIXES["skos"])
DCTERMS = Namespace(PREFIXES["dcterms"])
SCHEMA = Namespace(PREFIXES["schema"])
FOAF = Namespace(PREFIXES["foaf"])
PROV = Namespace(PREFIXES["prov"])
BIBO = Namespace(PREFIXES["bibo"])
FABIO = Namespace(PREFIXES["fabio"])
CITO = Namespace(PREFIXES["cito"])
C4O = Namespace(PREFIXES["c4o"])
PRISM = Namespace(PREFIXES["prism"])

# Individuals of lg:CitationResolutionMethod, by records' method names.
_RESOLUTION_TERMS = {
    EXACT: "ExactMatch",
    CORRECTED_YEAR: "CorrectedYear",
    FUZZY_NAME: "FuzzyName",
    CORPORATE_AUTHOR: "CorporateAuthor",
}


def new_graph(base: str, store: str = "default",
              to_url: Callable[[str], str] | None = None) -> Graph:
    """An empty graph with the project's prefixes for data under base bound (so Turtle
    output is readable); to_url maps them as a server maps its documents' IRIs."""
    graph = Graph(store=store, bind_namespaces="none")
    for prefix, namespace in lactgraph_prefixes(base).items():
        graph.bind(prefix, to_url(namespace) if to_url else namespace)
    return graph


def _pk_term(variable: str) -> str:
    """'half-life' -> 'HalfLife': the individual naming a pharmacokinetic variable."""
    return "".join(part.capitalize() for part in variable.split("-"))


Triple = tuple[URIRef | BNode, URIRef, URIRef | BNode | Literal]


class TripleSink(Protocol):
    """Where a writer puts triples: an rdflib Graph, or the build's list of one entry's."""

    def add(self, triple: Triple, /) -> object: ...


class StringMaker(Protocol):
    """Makes a string literal (plain or language-tagged): rdflib's `Literal`, or the
    build's maker of ready-written Turtle (`turtle.TermWriter.string`)."""

    def __call__(self, text: str, lang: str | None = None) -> Literal | str: ...


class TypedMaker(Protocol):
    """Makes a typed literal from its lexical form: `typed_literal`, or the build's maker
    of ready-written Turtle (`turtle.TermWriter.typed`)."""

    def __call__(self, lexical: str, datatype: URIRef) -> Literal | str: ...


def typed_literal(lexical: str, datatype: URIRef) -> Literal:
    return Literal(lexical, datatype=datatype)


class RdfWriter:
    """Adds the triples of records to one sink, minting IRIs with one scheme.

    The writer only adds (it never reads the sink back), so the build can collect one
    entry's triples in a plain list, far cheaper than an rdflib graph, and have its
    string literals, most of an entry's, written as Turtle as they are made.
    """

    def __init__(self, graph: TripleSink, iris: IriScheme, string: StringMaker = Literal,
                 typed: TypedMaker = typed_literal) -> None:
        self.graph = graph
        self.iris = iris
        self.string = string
        self.typed = typed
        self.lg = namespace(iris.term(""))
        self._described: set[URIRef] = set()
        self._reference_iris: dict[tuple[str | None, int | None, str], URIRef] = {}

    def _add(self, s: URIRef | BNode, p: URIRef, o: URIRef | BNode | Literal) -> None:
        self.graph.add((s, p, o))

    def _label(self, node: URIRef, text: str, lang: str | None) -> None:
        literal = self.string(text, lang)
        self._add(node, SKOS.prefLabel, literal)
        self._add(node, RDFS.label, literal)

    def _source_page(self, node: URIRef, kind: str) -> None:
        page = source_page(kind, str(node).rsplit("/", 1)[1])
        if page:
            self._add(node, FOAF.page, URIRef(page))

    def product_stub(self, names: dict[str, str], level: int | None, slug: str | None = None
                     ) -> URIRef:
        """A product known only by name (and level) from another entry's page, at the IRI
        of its slug there (that of the name the page links with), else of its names."""
        node = URIRef(self.iris.entity("product", slug) if slug
                      else self.iris.product(_preferred(names)))
        self._add(node, RDF.type, self.lg.Product)
        for lang, name in sorted(names.items()):
            self._label(node, name, lang)
        if level is not None:
            self._add(node, self.lg.riskLevel, URIRef(self.iris.risk(level)))
        self._source_page(node, "product")
        return node

    def product(self, product: Product) -> URIRef:
        """All triples of one imported entry."""
        node = self.product_stub(product.names, product.level)
        lg = self.lg
        if product.updated:
            self._add(node, DCTERMS.modified, self.typed(product.updated.isoformat(), XSD.date))
        if product.created:
            self._add(node, DCTERMS.created, self.typed(product.created.isoformat(), XSD.date))
        for lang, text in sorted(product.commentary.items()):
            self._add(node, SCHEMA.breastfeedingWarning, self.string(text, lang))
        if product.no_alternatives:
            self._add(node, lg.noAlternativesApplicable, TRUE)
        if product.source_id is not None:
            self._add(node, lg.sourceId, self.typed(str(product.source_id), XSD.integer))
        self._add(node, lg.importedFrom, self.string(product.source_file))
        page = source_page("product", slugify(product.name))
        self._add(node, PROV.wasDerivedFrom, URIRef(page))
        lang = product.language
        for mention in product.related_products:
            self._add(node, lg.relatedProduct, URIRef(self.iris.product(mention.name)))
        for mention in product.alternatives:
            self._add(node, lg.alternative, URIRef(self.iris.product(mention.name)))
        for name in product.groups:
            group = self.group(name, lang, product.translations.get(name, {}))
            self._add(node, lg.belongsToGroup, group)
        for name in product.related_groups:
            group = self.group(name, lang, product.translations.get(name, {}))
            self._add(node, lg.hasRelatedGroup, group)
        for name in product.aliases:
            self._alias(node, name, lang)
        for writing in product.other_writings:
            self._other_writing(node, writing.name, writing.language)
        for brand in product.brand_names:
            self._brand_name(node, brand)
        for value in product.pharmacokinetics:
            self._pharmacokinetic_value(node, value)
        self._references(node, product.references)
        numbers: dict[str, int] = {}
        for citation in product.citations:  # numbered per language: a page has one
            numbers[citation.language] = numbers.get(citation.language, 0) + 1
            pointer = URIRef(f"{node}#citation-{citation.language}-{numbers[citation.language]}")
            self._citation(node, pointer, citation, product.references)
        return node

    def group(self, name: str, lang: str, translations: dict[str, str]) -> URIRef:
        node = URIRef(self.iris.group(name))
        self._add(node, RDF.type, self.lg.Group)
        self._label(node, name, lang)
        for other_lang, other_name in sorted(translations.items()):
            self._label(node, other_name, other_lang)
        self._source_page(node, "group")
        return node

    def _alias(self, product: URIRef, name: str, lang: str) -> None:
        node = URIRef(self.iris.alias(name))
        self._add(node, RDF.type, self.lg.Alias)
        self._label(node, name, lang)
        self._add(node, self.lg.aliasOf, product)
        self._source_page(node, "alias")
        self._add(product, SKOS.altLabel, self.string(name, lang))

    def _other_writing(self, product: URIRef, name: str, language: str | None) -> None:
        node = URIRef(self.iris.writing(name))
        self._add(node, RDF.type, self.lg.OtherWriting)
        self._label(node, name, None)
        self._add(node, self.lg.otherWritingOf, product)
        if language:
            self._add(node, self.lg.languageOrScript, self.string(language))
        self._source_page(node, "writing")
        self._add(product, SKOS.altLabel, self.string(name))

    def _brand_name(self, product: URIRef, brand: BrandName) -> None:
        node = URIRef(self.iris.brand(brand.name))
        self._add(node, RDF.type, self.lg.BrandName)
        self._label(node, brand.name, None)
        self._add(node, self.lg.activeIngredient, product)
        if brand.is_combination:
            self._add(node, self.lg.isCombination, TRUE)
        for ingredient in brand.other_ingredients:
            self._add(node, self.lg.otherIngredientName, self.string(ingredient))
        for country in brand.countries:
            place = URIRef(self.iris.country(country))
            self._add(place, RDF.type, self.lg.Country)
            self._add(place, RDFS.label, self.string(country))
            self._add(node, self.lg.country, place)
        self._source_page(node, "brand")
        self._add(product, SKOS.altLabel, self.string(brand.name))

    def _pharmacokinetic_value(self, product: URIRef, value: PharmacokineticValue) -> None:
        node = URIRef(f"{product}#pk-{value.variable}")
        self._add(node, RDF.type, self.lg.PharmacokineticValue)
        self._add(product, self.lg.pharmacokinetics, node)
        self._add(node, self.lg.variable, self.lg[_pk_term(value.variable)])
        self._add(node, self.lg.rawValue, self.string(value.raw))
        if value.unit:
            self._add(node, SCHEMA.unitText, self.string(value.unit))
        for predicate, number in (
            (SCHEMA.value, value.value),
            (SCHEMA.minValue, value.minimum),
            (SCHEMA.maxValue, value.maximum),
        ):
            if number is not None:
                self._add(node, predicate, self.typed(_decimal(number), XSD.decimal))

    def reference_iri(self, reference: Reference) -> URIRef:
        first = reference.authors[0] if reference.authors else None
        key = (first, reference.year, reference.title or reference.text)
        node = self._reference_iris.get(key)
        if node is None:  # asked again by every citation of the reference
            node = self._reference_iris[key] = URIRef(self.iris.reference(*key))
        return node

    def _reference(self, reference: Reference) -> URIRef:
        """A reference shared by several entries is described once, by the first (in slug
        order) that cites it, so that small differences in writing give no second title."""
        node = self.reference_iri(reference)
        if node in self._described:
            return node
        self._described.add(node)
        self._add(node, RDF.type, FABIO.JournalArticle)
        self._add(node, RDF.type, BIBO.AcademicArticle)
        self._add(node, DCTERMS.bibliographicCitation,
                  self.string(without_link_labels(reference.text)))
        if reference.title:
            self._add(node, DCTERMS.title, self.string(reference.title))
        if reference.year is not None:
            self._add(node, DCTERMS.issued, self.typed(str(reference.year), XSD.gYear))
        if reference.journal:
            self._add(node, PRISM.publicationName, self.string(reference.journal))
        if reference.publication:
            self._add(node, DCTERMS.source, self.string(reference.publication))
        if reference.has_abstract_link:
            self._add(node, self.lg.hasAbstractLink, TRUE)
        if reference.has_full_text_link:
            self._add(node, self.lg.hasFullTextLink, TRUE)
        if reference.pmid:
            self._add(node, BIBO.pmid, self.string(reference.pmid))
            self._add(node, FABIO.hasPubMedId, self.string(reference.pmid))
        urls = [url for url in (reference.abstract_url, reference.full_text_url) if url]
        for url in urls:
            self._add(node, RDFS.seeAlso, URIRef(url))
        for article in article_iris([reference.pmid] if reference.pmid else [], urls):
            self._add(node, SCHEMA.sameAs, URIRef(article))  # the article's own identifiers
        if reference.authors:
            authors = BNode(f"authors-{str(node).rsplit('/', 1)[1]}")
            self._list(authors, [self.string(a) for a in reference.authors])
            self._add(node, BIBO.authorList, authors)
        return node

    def _list(self, head: BNode, items: list[URIRef] | list[Literal]) -> None:
        """An RDF list from head; its cells are labelled after the head, so that N-Triples
        output is the same in every run."""
        cell = head
        for number, item in enumerate(items, start=1):
            self._add(cell, RDF.first, item)
            rest = BNode(f"{head}-{number + 1}") if number < len(items) else RDF.nil
            self._add(cell, RDF.rest, rest)
            cell = rest

    def _references(self, product: URIRef, references: list[Reference]) -> None:
        if not references:
            return
        nodes = [self._reference(reference) for reference in references]
        for node in nodes:
            self._add(product, CITO.citesAsEvidence, node)
        head = BNode(f"bibliography-{str(product).rsplit('/', 1)[1]}")
        self._list(head, nodes)
        self._add(product, self.lg.bibliography, head)

    def _citation(
        self, product: URIRef, node: URIRef, citation: Citation, references: list[Reference]
    ) -> None:
        self._add(node, RDF.type, C4O.InTextReferencePointer)
        self._add(node, C4O.hasContent, self.string(citation.text))
        self._add(node, DCTERMS.isPartOf, product)
        self._add(node, DCTERMS.language, self.typed(citation.language, XSD.language))
        self._add(node, self.lg.characterOffset, self.typed(str(citation.offset), XSD.integer))
        if citation.reference is None or citation.method is None:
            return
        target = next((r for r in references if r.position == citation.reference), None)
        if target is None:
            return
        self._add(node, C4O.denotes, self.reference_iri(target))
        self._add(node, self.lg.resolutionMethod, self.lg[_RESOLUTION_TERMS[citation.method]])
        confidence = self.typed(_decimal(citation.confidence), XSD.decimal)
        self._add(node, self.lg.resolutionConfidence, confidence)


def _preferred(names: dict[str, str]) -> str:
    return names.get("en") or names.get("es") or next(iter(names.values()))


def _decimal(number: float) -> str:
    """The XSD 1.0 canonical xsd:decimal form ("5.0", "1.5"): with a fractional digit, so
    that stores which read "5" as an integer (Virtuoso) keep the decimal."""
    text = f"{number:.6f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def products_graph(
    products: Iterable[Product],
    stubs: Iterable[tuple[str, dict[str, str], int | None]],
    iris: IriScheme,
) -> Graph:
    """The graph of imported entries plus the products known only by mention."""
    graph = new_graph(iris.base)
    writer = RdfWriter(graph, iris)
    for product in products:
        writer.product(product)
    for slug, names, level in stubs:
        writer.product_stub(names, level, slug)
    return graph
