"""Accepted mappings become links and linksets; the shapes check the links' IRI forms."""

from __future__ import annotations

import shutil

import pytest
import requests
from pyshacl import validate
from rdflib import RDF, Graph, Literal, Namespace, URIRef

from lactgraph.iris import IriScheme
from lactgraph.link.publish import (
    accepted_sets,
    external_links,
    linkset_graph,
    mapping_links,
    published_links,
    reference_links,
)
from lactgraph.link.shapes import shapes_snippet
from lactgraph.link.sssom import MappingsInvalid
from lactgraph.link.targets import article_iris
from lactgraph.rdfio import read_graph
from lactgraph.records import Product, Reference
from lactgraph.to_rdf import FABIO, products_graph

from ..web.test_entities import parse
from .conftest import FIXTURES, OUR_GRAPH
from .endpoint import LoopbackEndpoint

LG = "https://w3id.org/lactgraph/"
PRODUCT = Namespace(LG + "product/")
REFERENCE = URIRef(LG + "reference/doe-2001-83b6141e")
DATASET = URIRef(LG + "dataset")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
SCHEMA = Namespace("https://schema.org/")
VOID = Namespace("http://rdfs.org/ns/void#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
OWL = Namespace("http://www.w3.org/2002/07/owl#")
WD = Namespace("http://www.wikidata.org/entity/")
CHEBI = Namespace("http://purl.obolibrary.org/obo/CHEBI_")
ATC = Namespace("http://purl.bioontology.org/ontology/ATC/")
PUBMED = URIRef("https://identifiers.org/pubmed:11111111")
MAPPINGS = FIXTURES / "mappings"


@pytest.fixture(scope="module")
def our_graph() -> Graph:
    return read_graph([OUR_GRAPH])


@pytest.fixture(scope="module")
def links(our_graph) -> Graph:
    return published_links(MAPPINGS, our_graph)


def test_accepted_mappings_become_direct_links(links):
    paracetamol = PRODUCT.paracetamol
    assert set(links.objects(paracetamol, SKOS.exactMatch)) == {WD.Q57055, CHEBI["46195"]}
    assert set(links.objects(paracetamol, SCHEMA.sameAs)) == {WD.Q57055, CHEBI["46195"]}
    assert set(links.objects(paracetamol, SKOS.closeMatch)) == {ATC.N02BE01}
    assert (PRODUCT.metformin, SKOS.narrowMatch, CHEBI["6802"]) in links
    assert (PRODUCT.metformin, SCHEMA.sameAs, CHEBI["6802"]) not in links  # not exact
    # an article is the same thing as its Wikidata item, not a skos:Concept (the domain of
    # skos:exactMatch): it was published with skos:exactMatch
    assert (REFERENCE, SCHEMA.sameAs, WD.Q90000008) in links
    assert not list(links.triples((REFERENCE, SKOS.exactMatch, None)))


def test_rejected_candidate_and_owl_links_are_never_published(links, tmp_path):
    assert not set(links.subjects(None, WD.Q90000007))  # ginger-the-spice was rejected
    assert not list(links.triples((None, OWL.sameAs, None)))
    mappings = tmp_path / "mappings"
    shutil.copytree(MAPPINGS, mappings)
    (mappings / "candidates").mkdir(exist_ok=True)
    shutil.copy(MAPPINGS / "chebi.sssom.tsv", mappings / "candidates" / "mondo.sssom.tsv")
    assert [ms.name for ms in accepted_sets(mappings)] == ["atc", "chebi", "wikidata"]


def test_references_link_to_their_pubmed_and_doi_iris():
    reference = Reference(1, "Doe J. Milk. 2019", ["Doe J"], "Milk", None, 2019, pmid="123",
                          full_text_url="https://doi.org/10.1186/s13006-019-0211-3")
    product = Product({"en": "Milk thistle"}, "milk-thistle.txt", references=[reference])
    graph = products_graph([product], [], IriScheme(LG))
    article = next(graph.subjects(RDF.type, FABIO.JournalArticle))
    assert set(graph.objects(article, SCHEMA.sameAs)) == {
        URIRef("https://identifiers.org/pubmed:123"),
        URIRef("https://doi.org/10.1186/s13006-019-0211-3"),
    }
    assert set(reference_links(graph)) == {(article, SCHEMA.sameAs, o)
                                           for o in graph.objects(article, SCHEMA.sameAs)}
    assert article_iris(["not a pmid", "0"], ["https://example.org/10.1/x"]) == []


def test_each_mapping_set_is_described_as_linksets(links):
    def linkset(name: str) -> URIRef:
        return URIRef(f"{DATASET}#linkset-{name}")

    wikidata_exact = linkset("wikidata-exactMatch")
    assert (DATASET, VOID.subset, wikidata_exact) in links
    assert (wikidata_exact, RDF.type, VOID.Linkset) in links
    assert links.value(wikidata_exact, VOID.subjectsTarget) == DATASET
    assert links.value(wikidata_exact, VOID.linkPredicate) == SKOS.exactMatch
    # ginger's was rejected, the reference's is a schema:sameAs alone
    assert links.value(wikidata_exact, VOID.triples) == Literal(2)
    assert links.value(linkset("wikidata-sameAs"), VOID.triples) == Literal(3)
    assert links.value(wikidata_exact, DCTERMS.source) == \
        URIRef(LG + "mappings/wikidata.sssom.tsv")
    assert links.value(wikidata_exact, DCTERMS.license) == \
        URIRef("https://creativecommons.org/licenses/by-nc-sa/4.0/")
    target = links.value(wikidata_exact, VOID.objectsTarget)
    assert links.value(target, VOID.uriSpace) == Literal(str(WD))
    assert links.value(target, URIRef("http://xmlns.com/foaf/0.1/homepage")) == \
        URIRef("https://www.wikidata.org/")
    counts = {str(node).rsplit("#linkset-", 1)[1]: links.value(node, VOID.triples).toPython()
              for node in links.subjects(RDF.type, VOID.Linkset)}
    assert counts == {"wikidata-exactMatch": 2, "wikidata-sameAs": 3, "chebi-exactMatch": 1,
                      "chebi-sameAs": 1, "chebi-narrowMatch": 1, "atc-closeMatch": 1,
                      "references-pubmed-sameAs": 1}
    assert links.value(linkset("references-pubmed-sameAs"), VOID.linkPredicate) == \
        SCHEMA.sameAs
    assert (REFERENCE, SCHEMA.sameAs, PUBMED) not in links  # in the entry's own data


def test_linksets_follow_the_base(our_graph):
    base = "http://127.0.0.1:8000/"
    graph = linkset_graph(accepted_sets(MAPPINGS), base)
    assert (URIRef(base + "dataset"), VOID.subset,
            URIRef(base + "dataset#linkset-atc-closeMatch")) in graph
    assert (URIRef(base + "product/paracetamol"), SKOS.closeMatch, ATC.N02BE01) in \
        mapping_links(accepted_sets(MAPPINGS), base)


def test_a_wrong_accepted_set_stops_the_build_with_its_problems(our_graph, tmp_path):
    mappings = tmp_path / "mappings"
    shutil.copytree(MAPPINGS, mappings)
    text = (mappings / "chebi.sssom.tsv").read_text().replace("CHEBI:46195", "CHEBI:4619x")
    (mappings / "chebi.sssom.tsv").write_text(text)
    with pytest.raises(MappingsInvalid) as error:
        published_links(mappings, our_graph)
    assert str(error.value).splitlines()[1] == (
        f"  {mappings / 'chebi.sssom.tsv'}:13: object_id 'CHEBI:4619x' is not a ChEBI "
        "identifier (expected CHEBI:[1-9][0-9]*)")


def test_entity_pages_can_list_links_by_target(links):
    pairs = [(str(p), str(o)) for p, o in links.predicate_objects(PRODUCT.paracetamol)]
    shown = [(link.target, link.curie, link.relation) for link in external_links(pairs)]
    assert shown == [
        ("Anatomical Therapeutic Chemical classification", "atc:N02BE01", "closeMatch"),
        ("ChEBI", "CHEBI:46195", "exactMatch"), ("ChEBI", "CHEBI:46195", "sameAs"),
        ("Wikidata", "wikidata:Q57055", "exactMatch"), ("Wikidata", "wikidata:Q57055", "sameAs"),
    ]


# -- shapes --------------------------------------------------------------------------------

def test_the_shapes_snippet_file_is_the_generated_one():
    assert (FIXTURES / "shapes-snippet.ttl").read_text("utf-8") == shapes_snippet()


def _violations(data: Graph) -> set[tuple[str, str]]:
    shapes = Graph().parse(data=shapes_snippet(), format="turtle")
    _, results, _ = validate(data, shacl_graph=shapes, inference="none")
    sh = Namespace("http://www.w3.org/ns/shacl#")
    return {(str(results.value(r, sh.focusNode)).rsplit("/", 1)[1], str(results.value(r, sh.value)))
            for r in results.subjects(RDF.type, sh.ValidationResult)}


def test_shapes_accept_the_published_links(our_graph, links):
    assert _violations(our_graph + links) == set()


def test_shapes_reject_a_target_iri_of_the_wrong_form(our_graph):
    bad = our_graph + Graph()
    paracetamol = PRODUCT.paracetamol
    bad.add((paracetamol, SKOS.exactMatch, CHEBI.abc))
    bad.add((paracetamol, SKOS.closeMatch, URIRef("http://id.nlm.nih.gov/mesh/X000082")))
    bad.add((paracetamol, SCHEMA.sameAs, URIRef("http://example.org/paracetamol")))
    bad.add((paracetamol, OWL.sameAs, WD.Q57055))
    bad.add((paracetamol, OWL.sameAs, Literal(str(paracetamol))))  # the pattern alone took it
    bad.add((REFERENCE, SKOS.exactMatch, CHEBI["46195"]))
    assert _violations(bad) == {
        ("paracetamol", str(paracetamol)),
        ("paracetamol", str(CHEBI.abc)),
        ("paracetamol", "http://id.nlm.nih.gov/mesh/X000082"),
        ("paracetamol", "http://example.org/paracetamol"),
        ("paracetamol", str(WD.Q57055)),
        ("doe-2001-83b6141e", str(CHEBI["46195"])),
    }


# -- served ----------------------------------------------------------------------------------

JOIN = """
PREFIX lg: <https://w3id.org/lactgraph/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?product ?level ?chebi ?atc WHERE {
  ?product lg:riskLevel ?level ; skos:exactMatch ?chebi ; skos:closeMatch ?atc .
  FILTER(STRSTARTS(STR(?chebi), "http://purl.obolibrary.org/obo/CHEBI_"))
  FILTER(STRSTARTS(STR(?atc), "http://purl.bioontology.org/ontology/ATC/"))
}"""


@pytest.fixture(scope="module")
def served_graph(tmp_path_factory, links):
    folder = tmp_path_factory.mktemp("linked-graph")
    shutil.copy(OUR_GRAPH / "lactgraph.ttl", folder)
    links.serialize(folder / "links.ttl", format="turtle")
    return folder


def test_a_sparql_query_joins_a_risk_level_with_chebi_and_atc(served_graph):
    with LoopbackEndpoint(sorted(served_graph.glob("*.ttl"))) as endpoint:
        answer = requests.post(endpoint.url, data={"query": JOIN}, timeout=10,
                               headers={"Accept": "application/sparql-results+json"}).json()
    rows = [{k: v["value"] for k, v in row.items()} for row in answer["results"]["bindings"]]
    assert rows == [{"product": str(PRODUCT.paracetamol), "level": LG + "risk/0",
                     "chebi": str(CHEBI["46195"]), "atc": str(ATC.N02BE01)}]


@pytest.fixture(scope="module")
def linked_server(start_server, served_graph):
    return start_server("--graph", str(served_graph))


@pytest.mark.parametrize("extension", ["ttl", "jsonld"])
def test_the_server_shows_the_links_in_turtle_and_json_ld(linked_server, extension):
    url = linked_server.url
    response = requests.get(f"{url}product/paracetamol.{extension}", timeout=10)
    assert response.status_code == 200
    graph = parse(response, url)
    product = URIRef(url + "product/paracetamol")
    assert {WD.Q57055, CHEBI["46195"]} <= set(graph.objects(product, SKOS.exactMatch))
    assert WD.Q57055 in set(graph.objects(product, SCHEMA.sameAs))


def test_the_server_answers_the_join_through_its_sparql_endpoint(linked_server):
    response = requests.post(linked_server.url + "sparql", data={"query": JOIN}, timeout=20,
                             headers={"Accept": "application/sparql-results+json"})
    if response.status_code == 404:
        pytest.skip("lactgraph's /sparql is not finished yet")
    bindings = response.json()["results"]["bindings"]
    assert [row["chebi"]["value"] for row in bindings] == [str(CHEBI["46195"])]
