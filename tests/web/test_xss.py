"""Every literal reaches HTML escaped: names, commentary, references, citations, PK values.

A graph in which each kind of literal carries a script tag, an attribute breaker in both
quotes and a `javascript:` link is served; every kind of HTML page must show the text,
escaped, and hold no element or attribute the data put there.
"""

from __future__ import annotations

import shutil
from html.parser import HTMLParser

import pytest
import requests
from markupsafe import escape
from rdflib import RDF, RDFS, BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection

from .routes import FIXTURE_GRAPH

BASE = "https://w3id.org/lactgraph/"
LG = Namespace(BASE + "ontology#")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
SCHEMA = Namespace("https://schema.org/")
DCTERMS = Namespace("http://purl.org/dc/terms/")
BIBO = Namespace("http://purl.org/ontology/bibo/")
C4O = Namespace("http://purl.org/spar/c4o/")
CITO = Namespace("http://purl.org/spar/cito/")
FABIO = Namespace("http://purl.org/spar/fabio/")
PRISM = Namespace("http://prismstandard.org/namespaces/basic/2.0/")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")


def payload(kind: str) -> str:
    """A literal that would run a script, or break out of an attribute, if not escaped."""
    return (f"{kind} <script>alert('{kind}')</script> \"><img src=x onerror=alert(1)> "
            f"' autofocus onfocus='alert(1)")


def shown(kind: str) -> str:
    return str(escape(payload(kind)))


def node(path: str) -> URIRef:
    return URIRef(BASE + path)


def evil_graph() -> Graph:
    graph = Graph()
    product, alias, brand = node("product/evil"), node("alias/evil"), node("brand/evil")
    writing, group, country = node("writing/evil"), node("group/evil"), node("country/evil")
    reference, pk = node("reference/evil-2020-aaaa0000"), node("product/evil#pk-half-life")
    citation = node("product/evil#citation-1")
    commentary = f"Before. {payload('commentary')} Cited: {payload('citation')} after."
    add = graph.add
    for subject, kind, name in [(product, LG.Product, "product"), (alias, LG.Alias, "alias"),
                                (brand, LG.BrandName, "brand"),
                                (writing, LG.OtherWriting, "writing"),
                                (group, LG.Group, "group"), (country, LG.Country, "country")]:
        add((subject, RDF.type, kind))
        add((subject, SKOS.prefLabel, Literal(payload(name), lang="en")))
        add((subject, RDFS.label, Literal(payload(name), lang="en")))
    add((product, LG.riskLevel, node("risk/2")))
    add((product, LG.belongsToGroup, group))
    add((product, SCHEMA.breastfeedingWarning, Literal(commentary, lang="en")))
    add((product, SKOS.altLabel, Literal(payload("altlabel"))))
    add((product, FOAF.page, URIRef("javascript:alert(1)")))
    add((alias, LG.aliasOf, product))
    add((brand, LG.activeIngredient, product))
    add((brand, LG.country, country))
    add((writing, LG.otherWritingOf, product))
    add((writing, LG.languageOrScript, Literal(payload("script-name"))))
    add((product, LG.pharmacokinetics, pk))
    add((pk, RDF.type, LG.PharmacokineticValue))
    add((pk, LG.variable, LG.HalfLife))
    add((pk, LG.rawValue, Literal(payload("pk-raw"))))
    add((pk, SCHEMA.unitText, Literal(payload("pk-unit"))))
    add((reference, RDF.type, FABIO.JournalArticle))
    add((reference, DCTERMS.title, Literal(payload("title"))))
    add((reference, PRISM.publicationName, Literal(payload("journal"))))
    add((reference, DCTERMS.bibliographicCitation, Literal(payload("reference-text"))))
    add((reference, RDFS.seeAlso, URIRef("javascript:alert(2)")))
    authors = BNode()
    Collection(graph, authors, [Literal(payload("author"))])
    add((reference, BIBO.authorList, authors))
    untitled = node("reference/evil-2021-bbbb0000")  # shown by its citation text alone
    add((untitled, RDF.type, FABIO.JournalArticle))
    add((untitled, DCTERMS.bibliographicCitation, Literal(payload("citation-text"))))
    add((product, CITO.citesAsEvidence, reference))
    add((product, CITO.citesAsEvidence, untitled))
    bibliography = BNode()
    Collection(graph, bibliography, [reference, untitled])
    add((product, LG.bibliography, bibliography))
    add((citation, RDF.type, C4O.InTextReferencePointer))
    add((citation, C4O.hasContent, Literal(payload("citation"))))
    add((citation, LG.characterOffset, Literal(commentary.index(payload("citation")))))
    add((citation, DCTERMS.language, Literal("en")))
    add((citation, DCTERMS.isPartOf, product))
    add((citation, C4O.denotes, reference))
    return graph


NAMES = ["product", "alias", "brand", "writing", "group"]
PAGES = {
    "product/evil.html": [*NAMES, "altlabel", "commentary", "citation", "pk-raw", "pk-unit",
                          "title", "author", "journal", "citation-text"],
    "group/evil.html": ["group", "product"],
    "alias/evil.html": ["alias", "product"],
    "brand/evil.html": ["brand", "product", "country"],
    "writing/evil.html": ["writing", "product", "script-name"],
    "country/evil.html": ["country", "brand"],
    "reference/evil-2020-aaaa0000.html": ["title", "author", "journal", "reference-text",
                                          "product"],
    "reference/evil-2021-bbbb0000.html": ["citation-text", "product"],
    "search?q=alert": NAMES,
    "risk/2.html": ["product"],
}


@pytest.fixture(scope="module")
def evil(start_server, tmp_path_factory):
    folder = tmp_path_factory.mktemp("evil-graph")
    shutil.copy(FIXTURE_GRAPH / "lactgraph.ttl", folder / "lactgraph.ttl")
    evil_graph().serialize(folder / "evil.ttl", format="turtle")
    return start_server("--graph", str(folder))


class Markup(HTMLParser):
    """The elements and attributes of a page, and the text of its script elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data


def assert_inert(html: str) -> None:
    """Nothing the data wrote became markup: no img, no handler, no script but data blocks."""
    for needle in ("<script>alert", "<img src=x"):
        assert needle not in html, needle
    markup = Markup()
    markup.feed(html)
    for tag, attributes in markup.tags:
        assert tag != "img"
        assert not [name for name in attributes if name.startswith("on") or name == "autofocus"]
        if tag == "script":
            assert attributes.get("type") == "application/ld+json" or attributes.get("src")
    for script in markup.scripts:
        assert "<" not in script  # JSON-LD data blocks escape it: </script> cannot end them


@pytest.mark.parametrize("page", sorted(PAGES))
def test_every_page_shows_the_literals_escaped(evil, page):
    response = requests.get(evil.url + page, headers={"Accept": "text/html"}, timeout=10)
    assert response.status_code == 200, response.text[:300]
    html = response.text
    assert_inert(html)
    missing = [kind for kind in PAGES[page] if shown(kind) not in html]
    assert not missing, f"{page} does not show {missing}"


@pytest.mark.parametrize("page", sorted(PAGES))
def test_no_link_from_the_data_is_javascript(evil, page):
    markup = Markup()
    markup.feed(requests.get(evil.url + page, headers={"Accept": "text/html"}, timeout=10).text)
    links = [attributes.get("href") or attributes.get("src") or "" for _, attributes in
             markup.tags]
    assert not [link for link in links
                if link.strip().lower().startswith(("javascript:", "data:", "vbscript:"))]


def test_the_search_query_is_echoed_escaped(evil):
    query = payload("query")
    response = requests.get(evil.url + "search", params={"q": query}, timeout=10,
                            headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert_inert(response.text)
    assert f'value="{shown("query")}"' in response.text


def test_the_sparql_results_table_and_errors_are_escaped(evil):
    query = (f"SELECT ?name WHERE {{ ?s <{SKOS.prefLabel}> ?name "
             "FILTER(CONTAINS(?name, '<script>')) }")  # the names of this graph only
    table = requests.post(evil.url + "sparql", data={"query": query}, timeout=30,
                          headers={"Accept": "text/html"})
    assert table.status_code == 200
    assert_inert(table.text)
    for kind in ("product", "alias", "brand", "writing", "group", "country"):
        assert shown(kind) in table.text
    broken = requests.post(evil.url + "sparql", data={"query": payload("error") + " {"},
                           timeout=30, headers={"Accept": "text/html"})
    assert broken.status_code == 400
    assert_inert(broken.text)
    assert shown("error") in broken.text  # the query, back in the text area
