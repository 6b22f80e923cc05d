"""Accepted mappings become links in graph/ through `lactgraph build`, and `lactgraph serve`
shows them: in the entity's Turtle, JSON-LD and HTML, in SPARQL, in VoID and in the dumps.
A change to a mapping file alone rebuilds the links; a mapping to an entry the graph does
not hold stops the build and changes nothing."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
import requests
from rdflib import RDF, Graph, Literal, Namespace, URIRef

from lactgraph.config import Settings
from lactgraph.generations import current_store
from lactgraph.store.oxigraph import OxigraphStore

from .cli_helpers import assert_clean_error, run_lactgraph, scratch_project
from .web.test_entities import parse

LG = "https://w3id.org/lactgraph/"
MESOTHERAPY = URIRef(LG + "product/mesotherapy")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
SCHEMA = Namespace("https://schema.org/")
VOID = Namespace("http://rdfs.org/ns/void#")
WD = Namespace("http://www.wikidata.org/entity/")
MESH = Namespace("http://id.nlm.nih.gov/mesh/")

HEADER = """#mapping_set_id: https://w3id.org/lactgraph/mappings/{name}.sssom.tsv
#license: https://creativecommons.org/licenses/by-nc-sa/4.0/
#curie_map:
#  MESH: http://id.nlm.nih.gov/mesh/
#  orcid: https://orcid.org/
#  product: https://w3id.org/lactgraph/product/
#  semapv: https://w3id.org/semapv/vocab/
#  skos: http://www.w3.org/2004/02/skos/core#
#  wikidata: http://www.wikidata.org/entity/
subject_id\tsubject_label\tpredicate_id\tpredicate_modifier\tobject_id\tobject_label\t\
mapping_justification\treviewer_id\tconfidence
"""
CURATED = "semapv:ManualMappingCuration\torcid:0000-0002-1825-0097\t0.95\n"


def _mapping_file(project: Path, name: str, *rows: tuple[str, str, str, str]) -> Path:
    path = project / "mappings" / f"{name}.sssom.tsv"
    path.parent.mkdir(exist_ok=True)
    lines = [f"{s}\t{s.split(':')[1]}\t{p}\t{modifier}\t{o}\t{o}\t{CURATED}"
             for s, p, modifier, o in rows]
    path.write_text(HEADER.format(name=name) + "".join(lines), "utf-8")
    return path


def _build(project: Path) -> None:
    result = run_lactgraph("build", cwd=project)
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    folder = scratch_project(tmp_path_factory.mktemp("linked"))
    _mapping_file(folder, "wikidata",
                  ("product:mesotherapy", "skos:exactMatch", "", "wikidata:Q1057530"),
                  ("product:cavitation", "skos:exactMatch", "Not", "wikidata:Q1124587"))
    _mapping_file(folder, "mesh",
                  ("product:mesotherapy", "skos:relatedMatch", "", "MESH:D059249"))
    _build(folder)
    return folder


def test_the_build_turns_accepted_mappings_into_links(project):
    links = Graph().parse(project / "graph" / "links.ttl")
    assert set(links.predicate_objects(MESOTHERAPY)) == {
        (SKOS.exactMatch, WD.Q1057530), (SCHEMA.sameAs, WD.Q1057530),
        (SKOS.relatedMatch, MESH.D059249)}
    assert not set(links.subjects(None, WD.Q1124587))  # a negative mapping is no link
    dump = gzip.decompress((project / "graph" / "dumps" / "lactgraph.nt.gz").read_bytes())
    assert f"<{MESOTHERAPY}> <{SKOS.exactMatch}> <{WD.Q1057530}> .".encode() in dump


@pytest.fixture(scope="module")
def linked_server(start_server, project):
    return start_server("--graph", str(project / "graph"))


@pytest.mark.parametrize("extension", ["ttl", "jsonld"])
def test_the_entity_documents_carry_the_links(linked_server, extension):
    url = linked_server.url
    response = requests.get(f"{url}product/mesotherapy.{extension}", timeout=10)
    assert response.status_code == 200
    product = URIRef(url + "product/mesotherapy")
    graph = parse(response, url)
    assert set(graph.objects(product, SKOS.exactMatch)) == {WD.Q1057530}
    assert set(graph.objects(product, SKOS.relatedMatch)) == {MESH.D059249}
    if extension == "jsonld":  # the published context names the link and the prefixes
        node = next(node for node in response.json()["@graph"]
                    if node["id"] in (str(product), "product:mesotherapy"))
        assert node["relatedMatch"] == "MESH:D059249"


def test_the_entity_page_shows_the_links(linked_server):
    html = requests.get(linked_server.url + "product/mesotherapy", timeout=10,
                        headers={"Accept": "text/html"}).text
    assert ('Wikidata: <a class="external" href="http://www.wikidata.org/entity/Q1057530">'
            'wikidata:Q1057530</a>') in html
    assert 'href="http://id.nlm.nih.gov/mesh/D059249">MESH:D059249</a>' in html


def test_sparql_joins_the_risk_level_with_the_wikidata_item(linked_server):
    query = f"""SELECT ?level ?item WHERE {{ <{MESOTHERAPY}> <{LG}ontology#riskLevel> ?level ;
                <{SKOS.exactMatch}> ?item }}"""
    answer = requests.post(linked_server.url + "sparql", data={"query": query}, timeout=20,
                           headers={"Accept": "application/sparql-results+json"}).json()
    assert [{k: v["value"] for k, v in row.items()} for row in answer["results"]["bindings"]] \
        == [{"level": LG + "risk/1", "item": str(WD.Q1057530)}]


def test_void_describes_each_mapping_set_as_linksets(linked_server):
    response = requests.get(linked_server.url + ".well-known/void", timeout=10,
                            headers={"Accept": "text/turtle"})
    void = Graph().parse(data=response.text, format="turtle")
    linksets = {str(node).rsplit("#linkset-", 1)[1]: int(void.value(node, VOID.triples))
                for node in void.subjects(RDF.type, VOID.Linkset)}
    assert linksets == {"wikidata-exactMatch": 1, "wikidata-sameAs": 1, "mesh-relatedMatch": 1}
    wikidata = URIRef(linked_server.url + "dataset#linkset-wikidata-exactMatch")
    assert void.value(void.value(wikidata, VOID.objectsTarget), VOID.uriSpace) == \
        Literal(str(WD))


def test_void_counts_the_links_and_their_linksets_among_the_dataset_s_triples(
        linked_server, project):
    """The triples of the dumps (graph/lactgraph.ttl and graph/links.ttl), the linksets'
    descriptions included, though they are subsets of the dataset as the statistics are."""
    response = requests.get(linked_server.url + ".well-known/void", timeout=10,
                            headers={"Accept": "text/turtle"})
    void = Graph().parse(data=response.text, format="turtle")
    dumped = Graph()
    for name in ("lactgraph.ttl", "links.ttl"):
        dumped += Graph().parse(project / "graph" / name)
    assert any(dumped.subjects(RDF.type, VOID.Linkset))
    assert int(void.value(URIRef(linked_server.url + "dataset"), VOID.triples)) == len(dumped)


def test_the_server_publishes_the_mapping_sets_the_build_made_the_links_from(
        linked_server, project):
    """It served `mappings/` as it was at the request: a set the build refused, or one
    edited since the build, was published beside links made from something else; and a
    server given --graph found none. The Content-Type once said its charset twice."""
    url = linked_server.url + "mappings/"
    response = requests.get(url + "wikidata.sssom.tsv", timeout=10)
    assert response.headers["Content-Type"] == "text/tab-separated-values; charset=utf-8"
    built = (project / "mappings" / "wikidata.sssom.tsv").read_bytes()
    assert response.content == built
    unbuilt = project / "mappings" / "mondo.sssom.tsv"
    unbuilt.write_text("#curie_map: [not yaml\n", "utf-8")
    (project / "mappings" / "wikidata.sssom.tsv").write_bytes(built + b"product:x\n")
    try:
        assert requests.get(url + "mondo.sssom.tsv", timeout=10).status_code == 404
        assert requests.get(url + "wikidata.sssom.tsv", timeout=10).content == built
    finally:
        unbuilt.unlink()
        (project / "mappings" / "wikidata.sssom.tsv").write_bytes(built)
    assert sorted(p.name for p in (project / "graph" / "mappings").iterdir()) == [
        "mesh.sssom.tsv", "wikidata.sssom.tsv"]


def test_a_changed_mapping_file_alone_rebuilds_the_links(tmp_path):
    project = scratch_project(tmp_path)
    _mapping_file(project, "wikidata",
                  ("product:mesotherapy", "skos:exactMatch", "", "wikidata:Q1057530"))
    _build(project)
    _mapping_file(project, "wikidata",
                  ("product:mesotherapy", "skos:closeMatch", "", "wikidata:Q1057531"))
    _build(project)
    links = Graph().parse(project / "graph" / "links.ttl")
    assert set(links.predicate_objects(MESOTHERAPY)) == {(SKOS.closeMatch, WD.Q1057531)}
    store = current_store(Settings(project_dir=project))
    assert store is not None  # the store the build left matches the new links file
    rows = OxigraphStore(store).select(f"SELECT ?p ?o WHERE {{ <{MESOTHERAPY}> ?p ?o . "
                                       f'FILTER(STRSTARTS(STR(?o), "{WD}")) }}')
    assert [(str(r["p"]), str(r["o"])) for r in rows] == [(str(SKOS.closeMatch),
                                                           str(WD.Q1057531))]
    published = project / "graph" / "mappings" / "wikidata.sssom.tsv"
    assert published.read_bytes() == (project / "mappings" / "wikidata.sssom.tsv").read_bytes()
    (project / "mappings" / "wikidata.sssom.tsv").unlink()
    _build(project)
    assert not published.exists()  # a set no longer accepted is no longer published


def test_a_mapping_to_an_entry_the_graph_lacks_stops_the_build(tmp_path):
    project = scratch_project(tmp_path)
    _build(project)
    before = {path: path.read_bytes() for path in (project / "graph").glob("*.ttl")}
    _mapping_file(project, "wikidata",
                  ("product:no-such-product", "skos:exactMatch", "", "wikidata:Q1057530"))
    result = run_lactgraph("build", cwd=project)
    assert_clean_error(result, "wikidata.sssom.tsv", "product:no-such-product")
    assert {path: path.read_bytes() for path in (project / "graph").glob("*.ttl")} == before
