"""What general-purpose crawlers read: sitemap.xml, robots.txt and the schema.org JSON-LD
embedded in every entity page (escaped against `</script>` in the data)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest
import requests
from pyld import jsonld

from lactgraph.web.sitemap import chunks

from .test_collections import EVIL, write_feed_graph

pytestmark = pytest.mark.both_stores  # the embedded store and Virtuoso

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
SCHEMA_ORG = {"@context": {"@vocab": "https://schema.org/"}}  # stands in for schema.org's


def members(server) -> set[str]:
    """Every member of every collection, from the collections themselves."""
    found = set()
    index = requests.get(server.url + "collections", headers={"Accept": "application/ld+json"},
                         timeout=10).json()
    for collection in index["member"]:
        page = requests.get(collection["id"] + "?size=1000",
                            headers={"Accept": "application/ld+json"}, timeout=10).json()
        found |= {member["id"] for member in page["member"]}
    return found


def embedded(page: str) -> dict:
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert len(blocks) == 1
    return json.loads(blocks[0])


@pytest.fixture(scope="module")
def feed_server(start_server, tmp_path_factory):
    return start_server("--graph", str(write_feed_graph(tmp_path_factory.mktemp("feed"))))


def test_sitemap_lists_every_entity_page_with_its_last_update(server):
    response = requests.get(server.url + "sitemap.xml", timeout=10)
    assert response.headers["Content-Type"].startswith("application/xml")
    root = ET.fromstring(response.content)
    assert root.tag == SITEMAP + "urlset"
    entries = {url.findtext(SITEMAP + "loc"): url.findtext(SITEMAP + "lastmod")
               for url in root.iter(SITEMAP + "url")}
    assert server.url in entries and server.url + "collections" in entries
    pages = {iri + ".html" for iri in members(server)}
    assert pages <= set(entries)
    assert entries[server.url + "product/mesotherapy.html"] == "2019-01-26"
    assert entries[server.url + "risk/1.html"] is None
    for page in sorted(pages)[:5]:
        assert requests.head(page, timeout=10).status_code == 200
    again = requests.get(server.url + "sitemap.xml",
                         headers={"If-None-Match": response.headers["ETag"]}, timeout=10)
    assert again.status_code == 304


def test_robots_allow_everything_but_sparql_queries_and_name_the_sitemap(server):
    response = requests.get(server.url + "robots.txt", timeout=10)
    assert response.headers["Content-Type"].startswith("text/plain")
    lines = response.text.splitlines()
    assert lines[0] == "User-agent: *"
    assert "Disallow: /sparql?query=" in lines and "Allow: /" in lines
    assert f"Sitemap: {server.url}sitemap.xml" in lines


def test_a_large_site_is_cut_into_sitemap_files():
    entries = [(f"http://x/{n}", None) for n in range(7)]
    assert [len(part) for part in chunks(entries, limit=3)] == [3, 3, 1]
    assert chunks([], limit=3) == [[]]


def test_entity_pages_embed_schema_org_json_ld(server):
    page = requests.get(server.url + "product/mesotherapy.html", timeout=10).text
    data = embedded(page)
    assert data["@context"] == "https://schema.org"
    assert data["@id"] == server.url + "product/mesotherapy"
    assert data["name"] == "Mesotherapy"
    assert data["breastfeedingWarning"]["@language"] == "en"
    assert len(data["breastfeedingWarning"]["@value"]) > 200
    assert data["description"].startswith("Low Risk for breastfeeding")
    assert len(data["citation"]) == 20
    assert all(c["@type"] == "ScholarlyArticle" and c["name"] for c in data["citation"])
    assert data["dateModified"] == "2019-01-26"
    expanded = jsonld.expand({**data, "@context": SCHEMA_ORG["@context"]})
    assert "https://schema.org/breastfeedingWarning" in expanded[0]
    reference = embedded(requests.get(data["citation"][0]["@id"] + ".html", timeout=10).text)
    assert reference["@type"] == "ScholarlyArticle"


def test_names_cannot_close_the_script_element(feed_server):
    url = feed_server.url + "product/script-script-alert-1-script.html"
    page = requests.get(url, timeout=10).text
    head = page.split("</head>")[0]
    assert head.count("</script>") == 1 and "alert(1)</script>" not in head
    data = embedded(page)
    assert data["name"] == EVIL
    assert data["alternateName"] == ["Evil twin"]
    assert data["breastfeedingWarning"]["@value"] == "Nothing to see </script> here & there."
