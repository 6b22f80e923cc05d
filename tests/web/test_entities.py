"""Cool-URI dereferencing against a live server: 303s, documents, validators, errors."""

from __future__ import annotations

import json
import re
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
import requests
from pyld import jsonld
from rdflib import RDF, RDFS, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection

from ..rdf_compare import same_graph

pytestmark = pytest.mark.both_stores  # the embedded store and Virtuoso

FIXTURE_GRAPH = Path(__file__).resolve().parent.parent / "fixtures" / "web" / "graph"
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
OWL = Namespace("http://www.w3.org/2002/07/owl#")
SH = Namespace("http://www.w3.org/ns/shacl#")

DOCUMENTS = {  # extension -> (media type, rdflib parser)
    "ttl": ("text/turtle", "turtle"),
    "jsonld": ("application/ld+json", "json-ld"),
    "rdf": ("application/rdf+xml", "xml"),
    "nt": ("application/n-triples", "nt"),
}


def parse(response: requests.Response, base_url: str) -> Graph:
    """The RDF of a response; a JSON-LD context is given in hand, never fetched."""
    media_type = response.headers["Content-Type"].split(";")[0]
    fmt = next(parser for kind, parser in DOCUMENTS.values() if kind == media_type)
    if fmt == "json-ld":
        document = response.json()
        context = requests.get(document["@context"], timeout=10).json()["@context"]
        assert document["@context"] == base_url + "context.jsonld"
        document["@context"] = context
        return Graph().parse(data=json.dumps(document), format="json-ld")
    return Graph().parse(data=response.text, format=fmt)


def ns(server) -> Namespace:
    return Namespace(server.url)


@pytest.fixture(scope="module")
def kinds_server(start_server):
    """A graph with one entity of every kind (tests/fixtures/web/graph)."""
    return start_server("--graph", str(FIXTURE_GRAPH))


@pytest.mark.parametrize(("accept", "extension"), [
    ("text/html", "html"),
    ("text/turtle", "ttl"),
    ("application/ld+json", "jsonld"),
    ("application/json", "jsonld"),
    ("application/rdf+xml", "rdf"),
    ("application/n-triples", "nt"),
    ("text/turtle;q=0.5, application/rdf+xml", "rdf"),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "html"),
])
def test_entity_iri_answers_303_to_the_document_accept_prefers(server, accept, extension):
    response = requests.get(server.url + "product/mesotherapy", headers={"Accept": accept},
                            allow_redirects=False, timeout=10)
    assert response.status_code == 303
    assert response.headers["Location"] == f"{server.url}product/mesotherapy.{extension}"
    assert "Accept" in response.headers["Vary"]
    links = response.headers["Link"]
    for ext in ("html", "ttl", "jsonld", "rdf", "nt"):
        assert f"<{server.url}product/mesotherapy.{ext}>; rel=\"alternate\"" in links
    assert 'type="text/turtle"' in links


@pytest.mark.parametrize("extension", DOCUMENTS)
def test_each_document_has_its_media_type_and_the_entity_facts(server, extension):
    response = requests.get(f"{server.url}product/mesotherapy.{extension}", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith(DOCUMENTS[extension][0])
    graph = parse(response, server.url)
    base = ns(server)
    product = base["product/mesotherapy"]
    assert (product, base["ontology#riskLevel"], base["risk/1"]) in graph
    assert (product, RDF.type, base["ontology#Product"]) in graph
    if extension == "jsonld":  # see test_pyld_loads_documents_by_their_iri
        assert "Link" not in response.headers
    else:
        assert 'rel="alternate"' in response.headers["Link"]


@pytest.mark.parametrize("path", ["product/mesotherapy", "catalog", "ontology"])
def test_pyld_loads_documents_by_their_iri(server, path):
    """PyLD's own loader (requests) follows the 303 and reads the document; it fails on a
    response with several alternate links, which JSON-LD documents therefore leave out."""
    expanded = jsonld.expand(server.url + path)
    graph = Graph().parse(data=json.dumps(expanded), format="json-ld")
    turtle = Graph().parse(data=requests.get(server.url + path, headers={
        "Accept": "text/turtle"}, timeout=10).text, format="turtle")
    assert len(graph) == len(turtle) > 0 and same_graph(graph, turtle)


def test_turtle_stands_alone_with_linked_products_and_their_levels(server):
    response = requests.get(server.url + "product/mesotherapy.ttl", timeout=10)
    graph = Graph().parse(data=response.text, format="turtle")
    base = ns(server)
    lg = Namespace(server.url + "ontology#")
    product = base["product/mesotherapy"]
    alternatives = set(graph.objects(product, lg.alternative))
    assert alternatives == {base["product/cavitation"], base["product/cryolipolysis"]}
    for alternative in alternatives:
        assert graph.value(alternative, lg.riskLevel) == base["risk/0"]
        assert graph.value(alternative, SKOS.prefLabel) is not None
    related = base["product/hydrolipoclasia"]
    assert (product, lg.relatedProduct, related) in graph
    assert graph.value(related, lg.riskLevel) == base["risk/1"]
    level = base["risk/1"]
    assert str(graph.value(level, URIRef("https://schema.org/color"))) == "#db9e27"
    assert graph.value(level, SKOS.notation).toPython() == 1


def test_bibliography_and_author_lists_are_proper_lists(server):
    text = requests.get(server.url + "product/mesotherapy.ttl", timeout=10).text
    graph = Graph().parse(data=text, format="turtle")
    lg = Namespace(server.url + "ontology#")
    product = ns(server)["product/mesotherapy"]
    references = list(Collection(graph, graph.value(product, lg.bibliography)))
    assert references, "lg:bibliography is a non-empty list"
    assert set(references) == set(graph.objects(product, URIRef(
        "http://purl.org/spar/cito/citesAsEvidence")))
    bibo = Namespace("http://purl.org/ontology/bibo/")
    for reference in references:
        assert graph.value(reference, DCTERMS.title) is not None
        authors = list(Collection(graph, graph.value(reference, bibo.authorList)))
        assert authors and all(isinstance(a, Literal) for a in authors)
    assert "lg:bibliography (" in text  # written as a Turtle list, not as rdf:first/rest


def test_hash_iris_are_described_in_their_products_document(server):
    graph = Graph().parse(data=requests.get(server.url + "product/mesotherapy.ttl",
                                            timeout=10).text, format="turtle")
    citation = URIRef(server.url + "product/mesotherapy#citation-en-1")
    content = graph.value(citation, URIRef("http://purl.org/spar/c4o/hasContent"))
    assert content is not None
    assert (citation, DCTERMS.isPartOf, ns(server)["product/mesotherapy"]) in graph
    pk = [s for s in graph.subjects() if str(s).startswith(server.url + "product/mesotherapy#pk-")]
    assert all(graph.value(s, URIRef(server.url + "ontology#rawValue")) for s in pk)


def test_conditional_get_and_head(server):
    url = server.url + "product/mesotherapy.ttl"
    first = requests.get(url, timeout=10)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    # when the served data changed (the document carries its neighbours' names and
    # levels), not the entry's own dcterms:modified (26 Jan 2019)
    assert modified == requests.get(server.url + "products", timeout=10).headers[
        "Last-Modified"]
    assert parsedate_to_datetime(modified).year > 2019
    again = requests.get(url, headers={"If-None-Match": etag}, timeout=10)
    assert again.status_code == 304 and not again.content
    since = requests.get(url, headers={"If-Modified-Since": modified}, timeout=10)
    assert since.status_code == 304
    stale = requests.get(url, headers={"If-None-Match": '"other"'}, timeout=10)
    assert stale.status_code == 200
    head = requests.head(url, timeout=10)
    assert head.status_code == 200 and not head.content
    for name in ("Content-Type", "ETag", "Last-Modified", "Link", "Content-Length"):
        assert head.headers[name] == first.headers[name]
    assert requests.get(server.url + "product/mesotherapy.html", timeout=10).headers[
        "ETag"] != etag


def test_unknown_entities_are_404_in_the_clients_language(server):
    html = requests.get(server.url + "product/no-such-thing",
                        headers={"Accept": "text/html"}, timeout=10)
    assert html.status_code == 404 and html.headers["Content-Type"].startswith("text/html")
    assert "no-such-thing" in html.text
    turtle = requests.get(server.url + "product/no-such-thing",
                          headers={"Accept": "text/turtle"}, timeout=10)
    assert turtle.status_code == 404
    assert turtle.headers["Content-Type"].startswith("text/plain")
    for negotiated in (html, turtle):  # a cache may keep a 404 (RFC 9110 12.5.5)
        assert negotiated.headers["Vary"] == "Accept"
    document = requests.get(server.url + "product/no-such-thing.ttl", timeout=10)
    assert document.status_code == 404 and "Traceback" not in document.text
    assert "Vary" not in document.headers  # the extension chose: the same for every Accept
    assert requests.get(server.url + "product/mesotherapy.pdf", timeout=10).status_code == 404


def test_a_method_not_allowed_is_405_in_the_clients_language(server):
    url = server.url + "product/mesotherapy"
    plain = requests.post(url, headers={"Accept": "text/turtle"}, timeout=10)
    assert plain.status_code == 405 and plain.headers["Content-Type"].startswith("text/plain")
    assert plain.text == "Method not allowed: POST /product/mesotherapy: use GET, HEAD, OPTIONS\n"
    assert set(plain.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    page = requests.delete(url, headers={"Accept": "text/html"}, timeout=10)
    assert page.status_code == 405 and page.headers["Content-Type"].startswith("text/html")
    assert "DELETE /product/mesotherapy" in page.text and "Traceback" not in page.text


def test_unsatisfiable_accept_is_406(server):
    response = requests.get(server.url + "product/mesotherapy",
                            headers={"Accept": "image/png"}, allow_redirects=False, timeout=10)
    assert response.status_code == 406
    assert "text/turtle" in response.text


def test_links_in_served_rdf_are_followable_on_this_origin(server):
    graph = Graph().parse(data=requests.get(server.url + "product/mesotherapy.ttl",
                                            timeout=10).text, format="turtle")
    assert not any("w3id.org/lactgraph" in str(term) for triple in graph for term in triple)
    level = graph.value(URIRef(server.url + "product/mesotherapy"),
                        URIRef(server.url + "ontology#riskLevel"))
    response = requests.get(level, headers={"Accept": "text/turtle"}, timeout=10)
    assert response.status_code == 200 and response.url == f"{level}.ttl"
    described = Graph().parse(data=response.text, format="turtle")
    assert described.value(level, SKOS.notation).toPython() == 1
    term = requests.get(server.url + "ontology#riskLevel", headers={"Accept": "text/html"},
                        timeout=10)
    assert term.status_code == 200 and 'id="riskLevel"' in term.text


@pytest.mark.parametrize(("path", "label"), [
    ("group/nsaids", "Non-steroidal anti-inflammatory drugs"),
    ("alias/ibuprofenum", "Ibuprofenum"),
    ("brand/ibuprofen-kern", "Ibuprofen Kern"),
    ("writing/ibuprofen", "Ibuprofèn"),
    ("reference/rigourd-2018-aaaa1111", "Ibuprofen concentrations in human mature milk"),
    ("risk/2", "High Risk"),
    ("country/es", "Spain"),
    ("risk-levels", "Levels of risk for breastfeeding"),
])
def test_every_kind_of_entity_dereferences(kinds_server, path, label):
    iri = kinds_server.url + path
    redirect = requests.get(iri, headers={"Accept": "text/turtle"}, allow_redirects=False,
                            timeout=10)
    assert redirect.status_code == 303
    response = requests.get(redirect.headers["Location"], timeout=10)
    graph = Graph().parse(data=response.text, format="turtle")
    labels = {str(o) for p in (SKOS.prefLabel, RDFS.label, DCTERMS.title)
              for o in graph.objects(URIRef(iri), p)}
    assert label in labels
    page = requests.get(iri, headers={"Accept": "text/html"}, timeout=10)
    assert page.status_code == 200 and label in page.text


def test_names_link_to_their_products_with_levels(kinds_server):
    base = ns(kinds_server)
    lg = Namespace(kinds_server.url + "ontology#")
    graph = Graph().parse(data=requests.get(kinds_server.url + "brand/ibuprofen-kern.ttl",
                                            timeout=10).text, format="turtle")
    assert (base["brand/ibuprofen-kern"], lg.activeIngredient, base["product/ibuprofen"]) in graph
    assert graph.value(base["product/ibuprofen"], lg.riskLevel) == base["risk/0"]
    assert (base["brand/ibuprofen-kern"], lg.country, base["country/es"]) in graph


def test_a_group_lists_its_members_and_a_level_its_products(kinds_server):
    base = ns(kinds_server)
    lg = Namespace(kinds_server.url + "ontology#")
    group = Graph().parse(data=requests.get(kinds_server.url + "group/nsaids.ttl",
                                            timeout=10).text, format="turtle")
    members = set(group.subjects(lg.belongsToGroup, base["group/nsaids"]))
    assert members == {base[f"product/{p}"] for p in
                       ("ibuprofen", "dexibuprofen", "ibuprofen-arginine", "metamizole")}
    assert group.value(base["product/metamizole"], lg.riskLevel) == base["risk/2"]
    level = Graph().parse(data=requests.get(kinds_server.url + "risk/1.ttl", timeout=10).text,
                          format="turtle")
    assert set(level.subjects(lg.riskLevel, base["risk/1"])) == {
        base["product/dexibuprofen"], base["product/mesotherapy"]}


def test_a_level_is_summarised_alike_in_every_document_that_names_it(kinds_server):
    """Summaries of the vocabulary's terms are kept between documents: paracetamol names
    risk/0 itself, dexibuprofen through ibuprofen (which links both); each holds the
    same summary of the level, its other names included, but no neighbour's other names."""
    base = ns(kinds_server)
    level = base["risk/0"]
    summaries = []
    for product in ("paracetamol", "dexibuprofen"):
        graph = Graph().parse(data=requests.get(f"{kinds_server.url}product/{product}.ttl",
                                                timeout=10).text, format="turtle")
        assert graph.value(base["product/ibuprofen"], base["ontology#riskLevel"]) == level
        assert not set(graph.objects(base["product/ibuprofen"], SKOS.altLabel))
        summaries.append(set(graph.predicate_objects(level)))
    assert summaries[0] == summaries[1]
    assert {(SKOS.altLabel, Literal("Compatible", lang="en")),
            (URIRef("https://schema.org/color"), Literal("#73ae42")),
            (RDF.type, base["ontology#RiskLevel"])} <= summaries[0]
    assert SKOS.historyNote not in {p for p, _ in summaries[0]}


@pytest.mark.parametrize("path", ["product/mesotherapy", "reference/atiyeh-2008-daa5d4cc",
                                  "risk-levels", "ontology", "shapes"])
def test_turtle_holds_the_triples_of_n_triples_and_declares_the_prefixes_it_uses(server, path):
    """Entity documents are written by the block writer, the ontology's and the shapes'
    (blank nodes that hang from nowhere: axioms) by rdflib's: the same triples either way."""
    turtle = requests.get(f"{server.url}{path}.ttl", timeout=10).text
    ntriples = requests.get(f"{server.url}{path}.nt", timeout=10).text
    graph = Graph().parse(data=turtle, format="turtle")
    assert len(graph) > 10
    assert same_graph(graph, Graph().parse(data=ntriples, format="nt"))
    header, body = turtle.split("\n\n", 1)
    declared = re.findall(r"^@prefix ([A-Za-z][\w-]*): ", header, flags=re.MULTILINE)
    assert declared and all(re.search(rf"(?<![\w<\"]){name}:", body) for name in declared)
    if path.startswith(("product/", "reference/")):  # the topic first
        assert body.startswith(path.replace("/", ":") + " a ")


def test_the_ontologys_version_iri_dereferences(server):
    ontology = Graph().parse(data=requests.get(server.url + "ontology.ttl", timeout=10).text,
                             format="turtle")
    version = ontology.value(URIRef(server.url + "ontology"), OWL.versionIRI)
    assert str(version).startswith(server.url + "ontology/")
    redirect = requests.get(version, headers={"Accept": "text/turtle"}, allow_redirects=False,
                            timeout=10)
    assert redirect.status_code == 303
    assert redirect.headers["Location"] == server.url + "ontology.ttl"
    other = requests.get(server.url + "ontology/9.9.9", headers={"Accept": "text/turtle"},
                         timeout=10)
    assert other.status_code == 404
    assert f"this server has version {str(version).rsplit('/', 1)[-1]}" in other.text


def test_ontology_and_shapes_dereference(server):
    redirect = requests.get(server.url + "ontology", headers={"Accept": "text/turtle"},
                            allow_redirects=False, timeout=10)
    assert redirect.status_code == 303
    assert redirect.headers["Location"] == server.url + "ontology.ttl"
    ontology = Graph().parse(data=requests.get(server.url + "ontology.ttl", timeout=10).text,
                             format="turtle")
    lg = Namespace(server.url + "ontology#")
    assert (lg.Product, RDF.type, OWL.Class) in ontology
    assert {lit.language for lit in ontology.objects(lg.Product, RDFS.label)} == {"en", "es"}
    html = requests.get(server.url + "ontology", headers={"Accept": "text/html"}, timeout=10)
    assert html.url == server.url + "ontology.html"
    terms = {s for s in ontology.subjects() if str(s).startswith(str(lg))}
    for term in terms:
        assert f'id="{str(term)[len(str(lg)):]}"' in html.text
    assert "Producto" in html.text and "Product" in html.text
    shapes_ttl = requests.get(server.url + "shapes", headers={"Accept": "text/turtle"},
                              timeout=10)
    shapes = Graph().parse(data=shapes_ttl.text, format="turtle")
    node_shapes = set(shapes.subjects(RDF.type, SH.NodeShape))
    assert URIRef(server.url + "shapes#ProductShape") in node_shapes
    shapes_html = requests.get(server.url + "shapes.html", timeout=10).text
    assert 'id="ProductShape"' in shapes_html


def test_a_configured_public_url_is_where_the_base_is_mapped(start_server):
    public = start_server("--public-url", "http://lactgraph.test/app/")
    response = requests.get(public.url + "product/mesotherapy", allow_redirects=False,
                            headers={"Accept": "text/turtle"}, timeout=10)
    assert response.headers["Location"] == "http://lactgraph.test/app/product/mesotherapy.ttl"
    turtle = requests.get(public.url + "product/mesotherapy.ttl", timeout=10).text
    graph = Graph().parse(data=turtle, format="turtle")
    product = URIRef("http://lactgraph.test/app/product/mesotherapy")
    assert graph.value(product, URIRef("http://lactgraph.test/app/ontology#riskLevel")) == \
        URIRef("http://lactgraph.test/app/risk/1")
