"""`lactgraph build`: sources -> validated, deterministic graph/, or nothing written."""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, SKOS, XSD

from .cli_helpers import assert_clean_error, run_lactgraph, scratch_project
from .conftest import ROOT

LG = Namespace("https://w3id.org/lactgraph/ontology#")
PRODUCT = Namespace("https://w3id.org/lactgraph/product/")
RISK = Namespace("https://w3id.org/lactgraph/risk/")
CITO = Namespace("http://purl.org/spar/cito/")


def _build(project: Path) -> bytes:
    result = run_lactgraph("build", cwd=project)
    assert result.returncode == 0, result.stderr
    return (project / "graph" / "lactgraph.ttl").read_bytes()


def test_build_writes_the_seed_entry_as_turtle(tmp_path):
    data = _build(scratch_project(tmp_path))
    graph = Graph().parse(data=data, format="turtle")
    meso = PRODUCT.mesotherapy
    assert graph.value(meso, LG.riskLevel) == RISK["1"]
    assert graph.value(meso, DCTERMS.modified) == Literal("2019-01-26", datatype=XSD.date)
    assert set(graph.objects(meso, LG.alternative)) == {PRODUCT.cavitation, PRODUCT.cryolipolysis}
    assert graph.value(PRODUCT.cavitation, LG.riskLevel) == RISK["0"]
    assert graph.value(PRODUCT.hydrolipoclasia, LG.riskLevel) == RISK["1"]
    assert len(set(graph.objects(meso, CITO.citesAsEvidence))) == 20
    assert graph.value(meso, SKOS.prefLabel) == Literal("Mesotherapy", lang="en")


def test_building_twice_gives_byte_identical_files(tmp_path):
    project = scratch_project(tmp_path)
    assert _build(project) == _build(project)


def test_the_committed_graph_is_up_to_date_with_sources(tmp_path):
    built = _build(scratch_project(tmp_path))
    committed = (ROOT / "graph" / "lactgraph.ttl").read_bytes()
    assert built == committed, "graph/ is stale: run `lactgraph build` and commit graph/"


def test_a_bad_source_fails_the_build_and_writes_nothing(tmp_path):
    project = scratch_project(tmp_path)
    previous = _build(project)
    (project / "sources" / "broken.txt").write_text("Hello, this is not an entry page.\n")
    result = run_lactgraph("build", cwd=project)
    assert_clean_error(result, "broken.txt")
    assert (project / "graph" / "lactgraph.ttl").read_bytes() == previous


def test_a_graph_that_does_not_conform_is_not_written(tmp_path):
    project = scratch_project(tmp_path)
    shapes = project / "shapes" / "lactgraph.ttl"
    shapes.write_text(shapes.read_text() + STRICTER_SHAPE)
    result = run_lactgraph("build", cwd=project)
    assert_clean_error(result, "does not conform", "nothing was written", "product:mesotherapy")
    assert not (project / "graph" / "lactgraph.ttl").exists()


def test_a_missing_source_is_named(tmp_path):
    result = run_lactgraph("build", "nowhere.txt", cwd=scratch_project(tmp_path))
    assert_clean_error(result, "nowhere.txt", "file not found")


# Demands a property no product has, so the seed's graph fails validation.
STRICTER_SHAPE = """
<https://w3id.org/lactgraph/shapes#TestOnlyShape> a <http://www.w3.org/ns/shacl#NodeShape> ;
    <http://www.w3.org/ns/shacl#targetNode> <https://w3id.org/lactgraph/product/mesotherapy> ;
    <http://www.w3.org/ns/shacl#property> [
        <http://www.w3.org/ns/shacl#path> <https://example.org/absent> ;
        <http://www.w3.org/ns/shacl#minCount> 1 ] .
"""


def test_the_published_graph_uses_no_unexpected_product_iris():
    graph = Graph().parse(ROOT / "graph" / "lactgraph.ttl")
    products = set(graph.subjects(predicate=LG.riskLevel))
    assert {URIRef(p) for p in products} >= {PRODUCT.mesotherapy, PRODUCT.cavitation}
