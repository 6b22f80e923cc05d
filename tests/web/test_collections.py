"""Paged collections and the change feed, against a live server: Hydra JSON-LD, HTML,
paging edges, conditional requests, and JSON-LD that expands to its Turtle's triples."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import requests
from pyld import jsonld
from rdflib import RDF, Graph, Literal, Namespace, URIRef

from lactgraph.iris import IriScheme
from lactgraph.records import BrandName, Product, ProductMention
from lactgraph.to_rdf import DCTERMS, products_graph

from ..rdf_compare import same_graph
from .test_jsonld import KEYWORDS, _entries, expanded_graph, local_loader
from .test_void import published_graph

pytestmark = pytest.mark.both_stores  # the embedded store and Virtuoso

JSONLD = {"Accept": "application/ld+json"}
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
LG = Namespace("https://w3id.org/lactgraph/ontology#")
XSD_DATE = URIRef("http://www.w3.org/2001/XMLSchema#date")
EVIL = "</script><script>alert(1)</script>"


def write_feed_graph(folder: Path) -> Path:
    """Products updated on different dates, one with a recorded change of its risk level,
    one whose name tries to close a script element."""
    iris = IriScheme()
    products = [
        Product({"en": "Alpha"}, "alpha.txt", level=0, updated=date(2020, 1, 10),
                aliases=["Alfa"], groups=["Group A"], alternatives=[ProductMention("Delta", 3)],
                brand_names=[BrandName("Alphabrand", countries=["Spain"])]),
        Product({"en": "Beta", "es": "Beta ES"}, "beta.txt", level=1,
                updated=date(2021, 6, 1), groups=["Group A"]),
        Product({"en": "Gamma"}, "gamma.txt", level=2, updated=date(2023, 3, 15)),
        Product({"en": EVIL}, "evil.txt", level=1, updated=date(2019, 5, 1),
                commentary={"en": "Nothing to see </script> here & there."},
                aliases=["Evil twin"]),
    ]
    graph = products_graph(products, [("delta", {"en": "Delta"}, 3)], iris)
    gamma = URIRef(iris.product("Gamma"))
    change = URIRef(f"{gamma}#risk-change-2023-03-15")
    graph.add((gamma, LG.riskChange, change))
    graph.add((change, RDF.type, LG.RiskChange))
    graph.add((change, DCTERMS.date, Literal("2023-03-15", datatype=XSD_DATE)))
    graph.add((change, LG.previousRiskLevel, URIRef(iris.risk(1))))
    graph.add((change, LG.newRiskLevel, URIRef(iris.risk(2))))
    folder.mkdir(parents=True, exist_ok=True)
    graph.serialize(folder / "lactgraph.ttl", format="turtle")
    return folder


@pytest.fixture(scope="module")
def feed_server(start_server, tmp_path_factory):
    return start_server("--graph", str(write_feed_graph(tmp_path_factory.mktemp("feed"))))


def get(server, path: str, **headers: str) -> requests.Response:
    return requests.get(server.url + path, headers={**JSONLD, **headers}, timeout=10)


def ids(document: dict) -> list[str]:
    return [member["id"] for member in document["member"]]


def walk(server, path: str) -> list[dict]:
    """Every page of a collection, following the view's next links."""
    pages, url = [], server.url + path
    while url:
        response = requests.get(url, headers=JSONLD, timeout=10)
        assert response.status_code == 200, response.text
        pages.append(response.json())
        url = pages[-1]["view"].get("next")
    return pages


# --- the index and the pages ---------------------------------------------------------------

def test_index_lists_a_collection_of_every_kind_with_its_size(server):
    response = get(server, "collections")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/ld+json")
    document = response.json()
    assert document["type"] == "Collection"
    totals = {member["id"][len(server.url):]: member["totalItems"]
              for member in document["member"]}
    assert set(totals) == {"products", "groups", "aliases", "brands", "writings",
                           "references", "countries", "risks", "vocabulary"}
    data = published_graph()
    assert totals["products"] == len(set(data.subjects(RDF.type, LG.Product)))
    assert totals["references"] == len(set(data.subjects(
        RDF.type, URIRef("http://purl.org/ontology/bibo/AcademicArticle"))))
    assert totals["risks"] == 4 and totals["vocabulary"] == 3


def test_pages_cover_every_member_once_in_a_stable_order(server):
    pages = walk(server, "references?size=3")
    members = [member for page in pages for member in ids(page)]
    expected = sorted(server.url + str(s)[len("https://w3id.org/lactgraph/"):] for s in set(
        published_graph().subjects(RDF.type, URIRef("http://purl.org/ontology/bibo/AcademicArticle"))))
    assert members == expected  # all of them, no duplicate, by IRI
    assert len(pages) == -(-len(expected) // 3)
    assert all(page["totalItems"] == len(expected) for page in pages)
    first, last = pages[0]["view"], pages[-1]["view"]
    assert first["id"] == server.url + "references?page=1&size=3"
    assert "previous" not in first and first["next"] == pages[1]["view"]["id"]
    assert last["last"] == last["id"] and "next" not in last
    assert last["previous"] == pages[-2]["view"]["id"] and last["first"] == first["id"]
    assert walk(server, "references?size=3")[1] == pages[1]  # the same pages again


def test_a_member_carries_iri_name_type_level_and_last_update(server):
    document = get(server, "products").json()
    assert document["manages"] == {"property": "rdf:type", "object": "Product"}
    member = next(m for m in document["member"] if m["id"] == server.url + "product/mesotherapy")
    assert member["name"] == {"en": "Mesotherapy"}
    assert "Product" in member["type"]
    assert member["riskLevel"] == server.url + "risk/1"
    assert member["lastUpdate"] == "2019-01-26"
    risks = get(server, "risks").json()
    assert ids(risks) == [f"{server.url}risk/{n}" for n in range(4)]
    assert all("lastUpdate" not in member for member in risks["member"])
    vocabulary = ids(get(server, "vocabulary").json())
    assert {server.url + "ontology", server.url + "shapes", server.url + "risk-levels"} == set(
        vocabulary)


# --- the change feed -----------------------------------------------------------------------

def test_change_feed_selects_by_last_update_newest_first(feed_server):
    base = feed_server.url
    feed = get(feed_server, "products?since=2021-01-01").json()
    assert ids(feed) == [base + "product/gamma", base + "product/beta"]
    assert feed["id"] == base + "products?since=2021-01-01"
    assert [m["lastUpdate"] for m in feed["member"]] == ["2023-03-15", "2021-06-01"]
    until = get(feed_server, "products?until=2020-12-31").json()
    assert ids(until) == [base + "product/alpha", base + "product/delta",
                          base + "product/script-script-alert-1-script"]
    same_day = get(feed_server, "products?since=2020-01-10&until=2020-01-10").json()
    assert ids(same_day) == [base + "product/alpha", base + "product/delta"]  # inclusive


def test_a_product_known_by_mention_takes_the_last_update_of_the_page_naming_it(feed_server):
    """Its name and level are what Alpha's page says: it changes when Alpha does. Without
    a date of its own it was in no change feed, and a harvest's --since kept its old
    level (an audit's finding)."""
    delta = get(feed_server, "products?since=2020-01-10").json()["member"]
    assert [(m["id"], m["lastUpdate"]) for m in delta][-1] == (
        feed_server.url + "product/delta", "2020-01-10")


@pytest.mark.parametrize("moment", ["2020-01-10T12:00:00Z", "2020-01-10T23:59:59+00:00"])
def test_a_date_is_the_whole_day_for_a_date_time_bound(feed_server, moment):
    """Alpha, updated on 2020-01-10, was left out of a feed since noon that day: a
    harvester passing its last run's time missed that day's updates."""
    since = ids(get(feed_server, f"products?since={moment.replace('+', '%2B')}").json())
    assert feed_server.url + "product/alpha" in since
    until = ids(get(feed_server, "products?until=2020-01-10T00:00:00Z").json())
    assert feed_server.url + "product/alpha" in until


def test_stated_resources_take_the_last_update_of_their_entries(feed_server):
    base = feed_server.url
    groups = get(feed_server, "groups?since=2021-01-01").json()
    assert ids(groups) == [base + "group/group-a"]
    assert groups["member"][0]["lastUpdate"] == "2021-06-01"  # Beta's, the later
    assert ids(get(feed_server, "aliases?since=2021-01-01").json()) == []
    aliases = get(feed_server, "aliases?since=2020-01-01").json()
    assert ids(aliases) == [base + "alias/alfa"]
    assert ids(get(feed_server, "countries?since=2020-01-10").json()) == [base + "country/es"]


def test_a_change_of_risk_level_shows_in_the_feed(feed_server):
    base = feed_server.url
    gamma = get(feed_server, "products?since=2023-01-01").json()["member"][0]
    assert gamma["riskLevel"] == base + "risk/2"
    assert gamma["riskChanges"] == [{"id": base + "product/gamma#risk-change-2023-03-15",
                                     "date": "2023-03-15",
                                     "previousRiskLevel": base + "risk/1",
                                     "newRiskLevel": base + "risk/2"}]
    page = get(feed_server, "products?since=2023-01-01", Accept="text/html").text
    assert "changed on <time>2023-03-15</time> from 1 · Low Risk to 2 · High Risk" in page


# --- paging edges and errors ---------------------------------------------------------------

def test_an_empty_collection_has_one_empty_page(feed_server):
    document = get(feed_server, "writings").json()
    assert document["totalItems"] == 0 and document["member"] == []
    view = document["view"]
    assert view["first"] == view["last"] == view["id"] == feed_server.url + "writings?page=1"
    assert "next" not in view and "previous" not in view
    assert get(feed_server, "writings?page=2").status_code == 404
    assert get(feed_server, "products?since=2030-01-01").json()["member"] == []


def test_the_last_page_holds_the_rest_and_a_page_past_it_is_404(server):
    last = get(server, "references?size=7&page=3").json()
    assert len(last["member"]) == last["totalItems"] - 14
    for accept, kind in (("application/ld+json", "text/plain"), ("text/html", "text/html")):
        past = get(server, "references?size=7&page=4", Accept=accept)
        assert past.status_code == 404
        assert past.headers["Content-Type"].startswith(kind)
        assert "page 4 is past the last page" in past.text


@pytest.mark.parametrize(("query", "message"), [
    ("page=0", "page='0': expected a whole number from 1"),
    ("page=two", "page='two': expected a whole number from 1"),
    ("size=-5", "size='-5': expected a whole number from 1"),
    ("since=yesterday", "since='yesterday': expected an ISO 8601 date"),
    ("until=2024-13-45", "until='2024-13-45': expected an ISO 8601 date"),
    ("since=2024-02-01&until=2024-01-01", "since=2024-02-01 is after until=2024-01-01"),
])
def test_a_bad_parameter_is_a_400_with_a_message(server, query, message):
    response = get(server, f"products?{query}")
    assert response.status_code == 400
    assert message in response.text
    html = get(server, f"products?{query}", Accept="text/html")
    assert html.status_code == 400 and message.replace("'", "&#39;") in html.text


def test_page_size_has_a_default_and_a_cap(server):
    assert get(server, "references").json()["view"]["id"] == server.url + "references?page=1"
    capped = get(server, "references?size=5000").json()
    assert capped["view"]["id"] == server.url + "references?page=1&size=1000"


# --- conditional requests and formats ------------------------------------------------------

def test_pages_answer_conditional_requests(server):
    first = get(server, "references?size=5&page=2")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    # when the served data changed (not the members' latest update, 26 Jan 2019: a page
    # also shows their names and levels, and which members there are)
    assert modified == get(server, "product/mesotherapy.ttl").headers["Last-Modified"]
    assert modified != "Sat, 26 Jan 2019 00:00:00 GMT"
    assert get(server, "collections").headers["Last-Modified"] == modified
    again = get(server, "references?size=5&page=2", **{"If-None-Match": etag})
    assert again.status_code == 304 and not again.content
    assert get(server, "references?size=5&page=3").headers["ETag"] != etag
    assert get(server, "references?size=5&page=2", Accept="text/turtle").headers["ETag"] != etag
    index = get(server, "collections")
    assert get(server, "collections", **{"If-None-Match": index.headers["ETag"]}
               ).status_code == 304
    assert "Accept" in first.headers["Vary"]
    assert f'<{server.url}references?page=3&size=5>; rel="next"' in first.headers["Link"]


COLLECTION_PAGES = ["collections", "products", "references?size=4&page=2", "risks",
                    "vocabulary", "aliases?since=2000-01-01"]


@pytest.mark.parametrize("path", COLLECTION_PAGES)
def test_collection_json_ld_expands_with_pyld_to_its_turtle(server, path):
    document = get(server, path).json()
    turtle = Graph().parse(data=get(server, path, Accept="text/turtle").text, format="turtle")
    expanded = expanded_graph(document, server)
    assert len(expanded) == len(turtle) and same_graph(expanded, turtle)
    terms = {}
    for part in document["@context"]:
        terms.update(part if isinstance(part, dict) else requests.get(part, timeout=10).json()[
            "@context"])
    loader = {"documentLoader": local_loader(server)}
    for key, value in _entries(document, terms, {}).items():
        if key in KEYWORDS or str(terms.get(key)) in KEYWORDS:
            continue
        probe = jsonld.expand({"@context": document["@context"], key: value}, loader)
        assert probe and any(not k.startswith("@") for k in probe[0]), f"{key!r} dropped"


def test_the_feed_with_a_risk_change_expands_to_its_turtle(feed_server):
    document = get(feed_server, "products?since=2000-01-01").json()
    turtle = get(feed_server, "products?since=2000-01-01", Accept="text/turtle").text
    expanded = expanded_graph(document, feed_server)
    graph = Graph().parse(data=turtle, format="turtle")
    assert same_graph(expanded, graph)
    change = URIRef(feed_server.url + "product/gamma#risk-change-2023-03-15")
    assert graph.value(change, URIRef(feed_server.url + "ontology#newRiskLevel")) == URIRef(
        feed_server.url + "risk/2")


def test_html_pages_link_members_and_pages(server, feed_server):
    response = get(server, "references?size=5&page=2", Accept="text/html")
    assert response.headers["Content-Type"].startswith("text/html")
    page = response.text
    assert "Page 2 of" in page
    assert f'href="{server.url}references?page=1&amp;size=5">First</a>' in page
    assert f'href="{server.url}references?page=3&amp;size=5">Next</a>' in page
    assert f'{server.url}reference/' in page and '.html">' in page
    assert 'format=jsonld' in page
    assert get(server, "products?format=jsonld", Accept="text/html").headers[
        "Content-Type"].startswith("application/ld+json")
    evil = get(feed_server, "products", Accept="text/html").text
    assert EVIL not in evil and "&lt;/script&gt;&lt;script&gt;alert(1)" in evil
    index = get(server, "collections", Accept="text/html").text
    assert f'href="{server.url}products">Products</a>' in index
