"""Pages for people: home figures, product pages, group and level pages, search, escaping."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import requests
from rdflib import Graph, Namespace, URIRef

pytestmark = pytest.mark.both_stores  # the embedded store and Virtuoso

ROOT = Path(__file__).resolve().parent.parent.parent
FIXTURE_GRAPH = ROOT / "tests" / "fixtures" / "web" / "graph"
LG = Namespace("https://w3id.org/lactgraph/ontology#")
XSS = '<script>alert(1)</script> and " onmouseover="x'


@pytest.fixture(scope="module")
def fixture_server(start_server, tmp_path_factory):
    """The fixture graph plus a product whose literals try to break out of the HTML."""
    folder = tmp_path_factory.mktemp("xss-graph")
    shutil.copy(FIXTURE_GRAPH / "lactgraph.ttl", folder / "lactgraph.ttl")
    (folder / "evil.ttl").write_text(f"""
@prefix lg: <https://w3id.org/lactgraph/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix schema: <https://schema.org/> .
<https://w3id.org/lactgraph/product/evil> a lg:Product ;
    skos:prefLabel {XSS!r}@en ;
    lg:riskLevel <https://w3id.org/lactgraph/risk/3> ;
    schema:breastfeedingWarning {XSS!r}@en .
<https://w3id.org/lactgraph/alias/evil> a lg:Alias ; skos:prefLabel {XSS!r} ;
    lg:aliasOf <https://w3id.org/lactgraph/product/evil> .
""", encoding="utf-8")
    return start_server("--graph", str(folder))


def html(url: str) -> str:
    response = requests.get(url, headers={"Accept": "text/html"}, timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    return response.text


def test_home_shows_the_figures_licence_and_links(server):
    page = html(server.url)
    graph = Graph()
    for path in (ROOT / "graph").glob("*.ttl"):
        graph.parse(path)
    for level in range(4):
        products = set(graph.subjects(LG.riskLevel, URIRef(f"https://w3id.org/lactgraph/risk/{level}")))
        assert f'data-level="{level}">{len(products)}</td>' in page
    assert "CC BY-NC-SA 4.0" in page and "APILAM" in page and "e-lactancia.org" in page
    for target in ("sparql", ".well-known/void", "ontology", "shapes", "context.jsonld"):
        assert f'href="{server.url}{target}"' in page
    assert '<html lang="en">' in page


def test_product_page_shows_badge_commentary_citations_and_references(server):
    page = html(server.url + "product/mesotherapy.html")
    assert "<h1>Mesotherapy" in page
    assert re.search(r'class="badge"[^>]*style="background-color: #db9e27"', page)
    assert "Fairly safe. Mild or unlikely adverse effects." in page  # the level's description
    assert "Likely Compatibility" in page
    citations = re.findall(r'<a class="citation" href="#(ref-\d+)"[^>]*>([^<]+)</a>', page)
    assert ("ref-2", "Konda 2103") in citations  # Konda is reference 2 of the bibliography
    assert len(citations) >= 20
    for anchor, _ in citations:
        assert f'<li id="{anchor}"' in page
    assert page.count('<li id="ref-') == 20
    assert "Jayasinghe S, Guillot T, Bissoon L, Greenway F" in page
    for name in ("Cavitation", "Cryolipolysis", "Hydrolipoclasia"):
        assert f">{name}</a>" in page
    assert "background-color: #73ae42" in page  # the alternatives' level
    assert "2019-01-26" in page
    assert f'href="{server.url}product/mesotherapy.ttl"' in page
    assert "sparql?query=DESCRIBE+%3Chttps%3A%2F%2Fw3id.org%2Flactgraph%2Fproduct%2F" in page


def test_fixture_product_page_names_pharmacokinetics_and_pubmed(fixture_server):
    page = html(fixture_server.url + "product/ibuprofen.html")
    for text in ("Ibuprofenum", "Ibuprofen Kern", "Ibuprofèn", "Catalan",
                 "Non-steroidal anti-inflammatory drugs", "Elimination half-life", "1,8 - 2",
                 "https://pubmed.ncbi.nlm.nih.gov/29569300/", "Paracetamol"):
        assert text in page
    assert page.index('id="ref-1"') < page.index("Walter K, Dilger C")
    assert page.count('class="citation" href="#ref-1"') == 2


def test_group_page_lists_members_by_level(fixture_server):
    page = html(fixture_server.url + "group/nsaids.html")
    positions = [page.index(name) for name in ("Ibuprofen arginine", "Dexibuprofen",
                                                "Metamizole")]
    assert positions == sorted(positions)  # level 0, then 1, then 2
    assert "background-color: #d07327" in page


def test_risk_page_lists_its_products(fixture_server):
    page = html(fixture_server.url + "risk/1.html")
    assert "Dexibuprofen" in page and "Mesotherapy" in page and "Paracetamol" not in page
    assert "Low Risk" in page


def test_alias_brand_and_writing_pages_link_their_product(fixture_server):
    for path in ("alias/ibuprofenum", "brand/ibuprofen-kern", "writing/ibuprofen"):
        page = html(fixture_server.url + path + ".html")
        assert f'href="{fixture_server.url}product/ibuprofen.html"' in page
    assert "Spain" in html(fixture_server.url + "brand/ibuprofen-kern.html")


def search(server, query: str, **params) -> list[dict]:
    response = requests.get(server.url + "search", params={"q": query, **params},
                            headers={"Accept": "application/json"}, timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    return response.json()["results"]


def test_search_ranks_exact_then_prefix_then_substring_products_first(fixture_server):
    hits = search(fixture_server, "ibuprofen")
    labels = [(hit["label"], hit["kind"], hit["match"]) for hit in hits]
    assert labels[0] == ("Ibuprofen", "product", "exact")
    assert labels[1] == ("Ibuprofèn", "writing", "exact")  # accents do not count
    assert labels[2] == ("Ibuprofen arginine", "product", "prefix")
    assert labels[3:5] == [("Ibuprofenum", "alias", "prefix"),
                           ("Ibuprofen Kern", "brand", "prefix")]
    assert labels[-1] == ("Dexibuprofen", "product", "substring")
    assert hits[0]["products"][0]["riskLevel"] == 0
    brand = next(hit for hit in hits if hit["kind"] == "brand")
    assert brand["products"][0]["id"] == fixture_server.url + "product/ibuprofen"


def test_search_ignores_case_and_accents(fixture_server):
    for query in ("mesoterapia", "Mesoterápia", "MESOTERAPIA", "mesoteràpia"):
        hits = search(fixture_server, query)
        assert hits and hits[0]["label"] == "Mesoterápia" and hits[0]["kind"] == "writing"
        assert hits[0]["products"][0]["riskLevel"] == 1
    assert search(fixture_server, "ibuprofeno")[0]["id"] == fixture_server.url + "product/ibuprofen"
    assert [hit["label"] for hit in search(fixture_server, "steroidal")] == [
        "Non-steroidal anti-inflammatory drugs"]


def test_short_queries_match_exact_and_prefix_only(fixture_server):
    # two characters: names starting with them; a substring needs three (one trigram)
    assert {hit["match"] for hit in search(fixture_server, "ib")} == {"prefix"}
    assert search(fixture_server, "bu") == []
    assert {hit["label"] for hit in search(fixture_server, "xib")} == {"Dexibuprofen"}


@pytest.mark.parametrize("query", ['ibu"profen', "ibu*", "NEAR(ibu pro)", "-ibu", "^ibu",
                                   "ibuprofen OR x", "a:b", "(((", "%_", "*"])
def test_search_syntax_is_text_never_a_query(fixture_server, query):
    """The index is SQLite FTS5: its query operators in a search are only characters."""
    assert search(fixture_server, query) == []  # no name holds these characters


def test_search_html_json_by_parameter_and_limits(fixture_server):
    page = requests.get(fixture_server.url + "search", params={"q": "dexib"}, timeout=10)
    assert page.headers["Content-Type"].startswith("text/html")
    assert f'href="{fixture_server.url}product/dexibuprofen.html"' in page.text
    as_json = requests.get(fixture_server.url + "search",
                           params={"q": "dexib", "format": "json"}, timeout=10)
    assert as_json.json()["results"][0]["label"] == "Dexibuprofen"
    empty = requests.get(fixture_server.url + "search", timeout=10)
    assert empty.status_code == 200 and 'name="q"' in empty.text
    long = requests.get(fixture_server.url + "search", params={"q": "x" * 500}, timeout=10)
    assert long.status_code == 400 and "Traceback" not in long.text
    assert search(fixture_server, "zzzz-nothing") == []


def test_search_says_when_there_are_more_than_it_shows(start_server, tmp_path_factory):
    """It showed 50 and stopped, saying nothing (an audit's finding)."""
    folder = tmp_path_factory.mktemp("many-herbs")
    (folder / "lactgraph.ttl").write_text(
        "@prefix lg: <https://w3id.org/lactgraph/ontology#> .\n"
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
        + "".join(f'<https://w3id.org/lactgraph/product/herb-{n}> a lg:Product ; '
                  f'skos:prefLabel "Herb {n}"@en .\n' for n in range(60)), "utf-8")
    server = start_server("--graph", str(folder))
    many = requests.get(server.url + "search", params={"q": "herb", "format": "json"},
                        timeout=10).json()
    assert (len(many["results"]), many["limit"], many["more"]) == (50, 50, True)
    few = requests.get(server.url + "search", params={"q": "herb 5", "format": "json"},
                       timeout=10).json()
    assert (len(few["results"]), few["more"]) == (11, False)  # Herb 5, Herb 50-59
    page = requests.get(server.url + "search", params={"q": "herb"}, timeout=10).text
    assert "The first 50 results for “herb”: there are more" in page


def test_every_literal_is_escaped(fixture_server):
    for path in ("product/evil.html", "alias/evil.html", "risk/3.html"):
        page = html(fixture_server.url + path)
        assert "<script>alert(1)</script>" not in page
        assert '" onmouseover="x' not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    hits = requests.get(fixture_server.url + "search", params={"q": "script"}, timeout=10).text
    assert "<script>" not in hits and "&lt;script&gt;" in hits
