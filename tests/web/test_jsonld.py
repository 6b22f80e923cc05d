"""JSON-LD: the published context, compaction, and expansion back to the Turtle's triples.

PyLD gets a document loader that serves the context from the local server (or the package
file): nothing is ever fetched from the internet.
"""

from __future__ import annotations

import json

import pytest
import requests
from pyld import jsonld
from rdflib import Graph

from lactgraph.iris import UrlMapper
from lactgraph.jsonld_context import context, context_document
from lactgraph.vocab import DEFAULT_BASE

from ..rdf_compare import same_graph

pytestmark = pytest.mark.both_stores  # the embedded store and Virtuoso

KEYWORDS = {"@context", "@id", "@type", "@graph", "@value", "@language", "@list", "@none",
            "@reverse", "@index", "@set"}
ENTITIES = ["product/mesotherapy", "risk/1", "reference/konda-2013-4cca56d1", "risk-levels"]


def local_loader(server):
    """A PyLD document loader that only answers for this server's context."""
    def load(url, options=None):
        if url != server.url + "context.jsonld":
            raise jsonld.JsonLdError(f"test loader refuses {url}", "jsonld.LoadDocumentError",
                                     code="loading document failed")
        return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url,
                "document": requests.get(url, timeout=10).json()}
    return load


def expanded_graph(document: dict, server) -> Graph:
    """The triples PyLD expands a served document to, as an rdflib graph."""
    nquads = jsonld.to_rdf(document, {"format": "application/n-quads",
                                      "documentLoader": local_loader(server)})
    return Graph().parse(data=nquads, format="nt")


def test_context_is_served_and_shipped(server):
    response = requests.get(server.url + "context.jsonld", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/ld+json")
    served = response.json()["@context"]
    # the package file with its IRIs mapped onto this origin, as the documents' are
    assert served == context(to_url=UrlMapper(DEFAULT_BASE, server.url).to_url)
    assert served["product"] == server.url + "product/"
    assert served["lg"] == server.url + "ontology#"  # the default base: vocabulary served here
    packaged = context_document()["@context"]
    assert packaged["lg"] == "https://w3id.org/lactgraph/ontology#"
    assert "@vocab" not in packaged
    expected = {
        "name": "skos:prefLabel", "riskLevel": "lg:riskLevel",
        "relatedProducts": "lg:relatedProduct", "alternatives": "lg:alternative",
        "groups": "lg:belongsToGroup", "commentary": "schema:breastfeedingWarning",
        "lastUpdate": "dcterms:modified", "references": "lg:bibliography",
        "cites": "cito:citesAsEvidence", "pharmacokinetics": "lg:pharmacokinetics",
        "notation": "skos:notation",
    }
    for key, term in expected.items():
        assert served[key]["@id"] == term
    assert served["commentary"]["@container"] == "@language"
    assert served["references"]["@container"] == "@list"
    for key in ("aliases", "otherWritings", "brandNames"):
        assert "@reverse" in served[key]


@pytest.mark.parametrize("path", ENTITIES)
def test_jsonld_expands_to_exactly_the_turtle(server, path):
    served = requests.get(f"{server.url}{path}.jsonld", timeout=10)
    assert served.headers["Content-Type"].startswith("application/ld+json")
    document = served.json()
    assert document["@context"] == server.url + "context.jsonld"
    turtle = Graph().parse(data=requests.get(f"{server.url}{path}.ttl", timeout=10).text,
                           format="turtle")
    expanded = expanded_graph(document, server)
    assert len(expanded) == len(turtle)
    assert same_graph(expanded, turtle)


def test_lists_are_compacted_as_lists(server):
    document = requests.get(server.url + "product/mesotherapy.jsonld", timeout=10).json()
    product = next(node for node in document["@graph"] if node["id"] == "product:mesotherapy")
    assert isinstance(product["references"], list) and product["references"]
    assert product["riskLevel"] == "risk:1"
    assert set(product["commentary"]) == {"en"}
    references = [node for node in document["@graph"] if "authors" in node]
    assert references and all(isinstance(node["authors"], list) for node in references)


def _entries(value, terms: dict, found: dict[str, object]) -> dict[str, object]:
    """Every key of a JSON-LD document (outside @context), with one value it holds.

    The keys of a language map are language tags, not terms: they are not walked.
    """
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "@context":
                continue
            found.setdefault(key, item)
            definition = terms.get(key)
            if not (isinstance(definition, dict) and definition.get("@container") == "@language"):
                _entries(item, terms, found)
    elif isinstance(value, list):
        for item in value:
            _entries(item, terms, found)
    return found


@pytest.mark.parametrize("path", ["product/mesotherapy", "risk-levels", "ontology"])
def test_no_key_is_dropped_on_expansion(server, path):
    """Every key of a served document expands to an IRI: no term is missing."""
    document = requests.get(f"{server.url}{path}.jsonld", timeout=10).json()
    loader = {"documentLoader": local_loader(server)}
    terms = requests.get(server.url + "context.jsonld", timeout=10).json()["@context"]
    for key, value in _entries(document, terms, {}).items():
        if key in KEYWORDS or str(terms.get(key)) in KEYWORDS:  # keywords, their aliases
            continue
        probe = {"@context": document["@context"], key: value}
        expanded = jsonld.expand(probe, loader)
        assert expanded and any(not k.startswith("@") for k in expanded[0]), (
            f"{key!r} is dropped on expansion")
    triples = expanded_graph(document, server)
    assert len(triples) == len(Graph().parse(
        data=requests.get(f"{server.url}{path}.ttl", timeout=10).text, format="turtle"))


def test_rdflib_reads_the_document_with_the_context_in_hand(server):
    document = requests.get(server.url + "product/mesotherapy.jsonld", timeout=10).json()
    document["@context"] = requests.get(server.url + "context.jsonld", timeout=10).json()[
        "@context"]
    graph = Graph().parse(data=json.dumps(document), format="json-ld")
    turtle = Graph().parse(data=requests.get(server.url + "product/mesotherapy.ttl",
                                             timeout=10).text, format="turtle")
    assert same_graph(graph, turtle)
