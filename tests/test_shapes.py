"""The shapes are valid SHACL, accept the data to_rdf writes, and catch what is wrong with it.

Validation runs as the build runs it: pyshacl with the ontology as `ont_graph`. Every check
runs with inference "none" (what the build uses) and "rdfs", where they differ the tests
say why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pyshacl
import pytest
from rdflib import OWL, RDF, RDFS, Graph, Literal, Namespace, URIRef
from rdflib.term import Node

from lactgraph.records import Citation, ProductMention
from lactgraph.to_rdf import BIBO, C4O, CITO, DCTERMS, SCHEMA, SKOS, RdfWriter, products_graph
from lactgraph.vocab import PREFIXES

from .shape_helpers import (
    FIXTURES,
    IRIS,
    LG,
    ONTOLOGY_PATH,
    SAMPLE_PRODUCT,
    SH,
    SHACL_SHACL_PATH,
    SHAPES_PATH,
    Finding,
    load,
    sample_graph,
    sample_product,
    sample_references,
    sample_stubs,
    validate,
)

XSD = Namespace(PREFIXES["xsd"])  # rdflib's XSD warns when pytest inspects the module
MODES = ("none", "rdfs")

PRODUCT = SAMPLE_PRODUCT
REFERENCE = RdfWriter(Graph(), IRIS).reference_iri(sample_references()[0])
GROUP = URIRef(IRIS.group("Aesthetic procedures"))
ALIAS = URIRef(IRIS.alias("Intradermotherapy"))
BRAND = URIRef(IRIS.brand("Mesoderm"))
CITATION = URIRef(f"{PRODUCT}#citation-en-1")
PK_RANGE = URIRef(f"{PRODUCT}#pk-oral-bioavailability")
PK_SINGLE = URIRef(f"{PRODUCT}#pk-half-life")
ANY_PATH = URIRef("urn:test:any-path")  # the result's path is not compared


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return load(SHAPES_PATH)


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return load(ONTOLOGY_PATH)


@pytest.fixture
def sample() -> Graph:
    """A fresh sample graph per test, free to be broken."""
    return sample_graph()


def violations(found: list[Finding]) -> list[Finding]:
    return [f for f in found if f.severity == SH.Violation]


def warnings(found: list[Finding]) -> list[Finding]:
    return [f for f in found if f.severity == SH.Warning]


def has_finding(found: list[Finding], focus: Node, path: Node | None) -> bool:
    return any(f.focus == focus and (path == ANY_PATH or f.path == path) for f in found)


# --- the shapes graph itself -----------------------------------------------------------


def test_shapes_conform_to_shacl_for_shacl(shapes):
    conforms, _, text = pyshacl.validate(shapes, shacl_graph=load(SHACL_SHACL_PATH))
    assert conforms, text


def test_shacl_for_shacl_rejects_a_broken_shapes_graph():
    broken = Graph().parse(FIXTURES / "shapes" / "broken-shapes.ttl")
    conforms, _, _ = pyshacl.validate(broken, shacl_graph=load(SHACL_SHACL_PATH))
    assert not conforms


def test_every_shape_says_what_it_checks(shapes):
    node_shapes = set(shapes.subjects(RDF.type, SH.NodeShape))
    assert len(node_shapes) >= 14
    for shape in node_shapes:
        assert shapes.value(shape, RDFS.label) is not None, shape
    property_shapes = set(shapes.objects(None, SH.property))
    assert len(property_shapes) > 60
    for shape in property_shapes:
        assert shapes.value(shape, SH.name) is not None, shapes.value(shape, SH.path)
        message = shapes.value(shape, SH.message)
        assert isinstance(message, Literal) and message.language == "en", shape


def test_every_lg_class_is_the_target_of_a_shape(shapes, ontology):
    classes = {c for c in ontology.subjects(RDF.type, OWL.Class) if str(c).startswith(str(LG))}
    targets = set(shapes.objects(None, SH.targetClass))
    assert classes - targets == set()


def test_shapes_use_only_declared_lg_terms(shapes, ontology):
    used = {node for triple in shapes for node in triple
            if isinstance(node, URIRef) and str(node).startswith(str(LG))}
    undeclared = {t for t in used if (t, RDF.type, None) not in ontology}
    assert undeclared == set()


# --- clean data ------------------------------------------------------------------------


@pytest.mark.parametrize("inference", MODES)
def test_clean_sample_conforms(sample, inference):
    conforms, found = validate(sample, inference)
    assert found == []
    assert conforms


def test_a_product_known_only_by_mention_may_lack_a_level():
    graph = products_graph([sample_product()],
                           [*sample_stubs(), ("ozone", {"en": "Ozone"}, None)], IRIS)
    conforms, found = validate(graph)
    assert found == [] and conforms


def test_two_products_with_one_source_id_are_a_warning():
    """Two export records given one producto.id published two products claiming it, with
    no word (an audit's finding)."""
    graph = products_graph([sample_product()], sample_stubs(), IRIS)
    product = next(graph.subjects(RDF.type, LG.Product))
    assert validate(graph)[1] == []
    twin = URIRef(IRIS.product("Twin"))
    graph.add((twin, RDF.type, LG.Product))
    for source_id in (product, twin):
        graph.set((source_id, LG.sourceId, Literal(1234)))
    _, found = validate(graph)  # the twin lacks the rest of a product: other findings
    assert [(f.severity, f.focus) for f in found if f.message.startswith(
        "Several products have this source id")] == [(SH.Warning, Literal(1234))]


def test_the_ontology_is_needed_for_the_risk_levels(sample, shapes):
    """Without the ontology the risk levels are unknown nodes: ont_graph is not optional."""
    conforms, report, _ = pyshacl.validate(sample, shacl_graph=shapes)
    assert not conforms
    assert (None, SH.resultPath, LG.riskLevel) in report


# --- faults that stop the build ----------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    name: str
    inject: Callable[[Graph], None]
    focus: Node
    path: Node | None


def _replace(s: Node, p: URIRef, o: Node) -> Callable[[Graph], None]:
    return lambda graph: graph.set((s, p, o))


def _add(s: Node, p: URIRef, o: Node) -> Callable[[Graph], None]:
    return lambda graph: graph.add((s, p, o))


def _drop(s: Node, p: URIRef) -> Callable[[Graph], None]:
    return lambda graph: graph.remove((s, p, None))


def _untag_commentary(graph: Graph) -> None:
    english = next(o for o in graph.objects(PRODUCT, SCHEMA.breastfeedingWarning)
                   if o.language == "en")
    graph.remove((PRODUCT, SCHEMA.breastfeedingWarning, english))
    graph.add((PRODUCT, SCHEMA.breastfeedingWarning, Literal(str(english))))


FAULTS = [
    Fault("two risk levels", _add(PRODUCT, LG.riskLevel, URIRef(IRIS.risk(3))),
          PRODUCT, LG.riskLevel),
    Fault("no risk level", _drop(PRODUCT, LG.riskLevel), PRODUCT, LG.riskLevel),
    Fault("level outside the scheme", _replace(PRODUCT, LG.riskLevel, URIRef(IRIS.risk(4))),
          PRODUCT, LG.riskLevel),
    Fault("reference without title", _drop(REFERENCE, DCTERMS.title), REFERENCE, DCTERMS.title),
    Fault("reference without year", _drop(REFERENCE, DCTERMS.issued),
          REFERENCE, DCTERMS.issued),
    Fault("year that is not a gYear",
          _replace(REFERENCE, DCTERMS.issued, Literal("2013", datatype=XSD.integer)),
          REFERENCE, DCTERMS.issued),
    Fault("update as a date-time",
          _replace(PRODUCT, DCTERMS.modified,
                   Literal("2019-01-26T00:00:00", datatype=XSD.dateTime)),
          PRODUCT, DCTERMS.modified),
    Fault("update as a plain string", _replace(PRODUCT, DCTERMS.modified, Literal("2019-01-26")),
          PRODUCT, DCTERMS.modified),
    Fault("creation date as page text",
          _replace(PRODUCT, DCTERMS.created, Literal("Jan. 26, 2019")),
          PRODUCT, DCTERMS.created),
    Fault("commentary without language tag", _untag_commentary,
          PRODUCT, SCHEMA.breastfeedingWarning),
    Fault("two names in one language", _add(PRODUCT, SKOS.prefLabel, Literal("Meso", lang="en")),
          PRODUCT, SKOS.prefLabel),
    Fault("PubMed id that is not digits", _replace(REFERENCE, BIBO.pmid, Literal("PMC3560")),
          REFERENCE, BIBO.pmid),
    Fault("bibliography and cited references differ",
          lambda graph: graph.remove((PRODUCT, CITO.citesAsEvidence, REFERENCE)),
          PRODUCT, ANY_PATH),
    Fault("confidence above one",
          _replace(CITATION, LG.resolutionConfidence, Literal("1.5", datatype=XSD.decimal)),
          CITATION, LG.resolutionConfidence),
    Fault("citation part of a group", _replace(CITATION, DCTERMS.isPartOf, GROUP),
          CITATION, DCTERMS.isPartOf),
    Fault("resolved citation without method", _drop(CITATION, LG.resolutionMethod),
          CITATION, None),
    Fault("alias of nothing", _drop(ALIAS, LG.aliasOf), ALIAS, LG.aliasOf),
    Fault("brand without ingredient", _drop(BRAND, LG.activeIngredient),
          BRAND, LG.activeIngredient),
    Fault("group name without language tag",
          _replace(GROUP, SKOS.prefLabel, Literal("Aesthetic procedures")),
          GROUP, SKOS.prefLabel),
    Fault("pharmacokinetic value without raw text", _drop(PK_SINGLE, LG.rawValue),
          PK_SINGLE, LG.rawValue),
    Fault("minimum above maximum",
          _replace(PK_RANGE, SCHEMA.minValue, Literal("95", datatype=XSD.decimal)),
          PK_RANGE, SCHEMA.minValue),
]


@pytest.mark.parametrize("inference", MODES)
@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f.name)
def test_fault_is_a_violation(sample, fault, inference):
    fault.inject(sample)
    conforms, found = validate(sample, inference)
    assert not conforms
    assert has_finding(violations(found), fault.focus, fault.path), found


@pytest.mark.parametrize("inference", MODES)
def test_alternative_that_is_a_group_is_a_violation(sample, inference):
    sample.add((PRODUCT, LG.alternative, GROUP))
    conforms, found = validate(sample, inference)
    assert not conforms
    if inference == "none":
        assert has_finding(violations(found), PRODUCT, LG.alternative)
    else:
        # RDFS inference types the group as a product (the range of lg:alternative), so
        # sh:class is satisfied; the disjointness check on products reports the group.
        assert has_finding(violations(found), GROUP, None)


@pytest.mark.parametrize("inference", MODES)
def test_alternative_without_a_node_of_its_own_is_a_violation(sample, inference):
    """The build must add a stub for every product it mentions."""
    bare = URIRef(IRIS.product("Lipolaser"))
    sample.add((PRODUCT, LG.alternative, bare))
    conforms, found = validate(sample, inference)
    assert not conforms
    if inference == "none":
        assert has_finding(violations(found), PRODUCT, LG.alternative)
    else:
        # Typed a product by the range of lg:alternative, the bare IRI lacks a name.
        assert has_finding(violations(found), bare, SKOS.prefLabel)


# --- incomplete data: warnings, not violations ------------------------------------------


def _graph_with(**changes: object) -> Graph:
    product = sample_product()
    for field, value in changes.items():
        setattr(product, field, value)
    return products_graph([product], sample_stubs(), IRIS)


@pytest.mark.parametrize("inference", MODES)
def test_unresolved_citation_is_a_warning(inference):
    unresolved = Citation("Smith 2019", "en", 700, None, None, 0.0)
    graph = _graph_with(citations=[unresolved])
    conforms, found = validate(graph, inference)
    assert violations(found) == []
    assert [(f.focus, f.path) for f in warnings(found)] == [(CITATION, C4O.denotes)]
    assert "resolved to no reference" in found[0].message
    # pyshacl counts a warning against conformance unless told otherwise; the build
    # decides on violations alone (or passes allow_warnings=True).
    assert not conforms
    assert validate(graph, inference, allow_warnings=True)[0]


@pytest.mark.parametrize("inference", MODES)
def test_imported_product_without_groups_is_a_warning(inference):
    graph = _graph_with(groups=[])
    conforms, found = validate(graph, inference)
    assert violations(found) == []
    assert [(f.focus, f.path) for f in warnings(found)] == [(PRODUCT, LG.belongsToGroup)]
    assert "No group known" in found[0].message
    assert not conforms
    assert validate(graph, inference, allow_warnings=True)[0]


@pytest.mark.parametrize("inference", MODES)
def test_alternative_without_a_level_is_a_warning(inference):
    product = sample_product()
    product.alternatives.append(ProductMention("Ozone", None))
    graph = products_graph([product], [*sample_stubs(), ("ozone", {"en": "Ozone"}, None)],
                           IRIS)
    conforms, found = validate(graph, inference)
    assert violations(found) == [] and not conforms  # pyshacl counts warnings
    ozone = URIRef(IRIS.product("Ozone"))
    assert [(f.focus, f.path) for f in warnings(found)] == [(ozone, LG.riskLevel)]
    assert "No risk level known for this alternative" in found[0].message
    assert validate(graph, inference, allow_warnings=True)[0]


@pytest.mark.parametrize("inference", MODES)
def test_hand_written_minimal_entry_gives_two_warnings(inference):
    graph = Graph().parse(FIXTURES / "shapes" / "minimal-entry.ttl")
    conforms, found = validate(graph, inference, allow_warnings=True)
    product = URIRef(IRIS.product("Cavitation"))
    assert violations(found) == []
    assert sorted((str(f.focus), str(f.path)) for f in warnings(found)) == [
        (str(product), str(LG.belongsToGroup)),
        (f"{product}#citation-en-1", str(C4O.denotes)),
    ]
    assert conforms


@pytest.mark.parametrize("inference", MODES)
def test_a_language_tag_in_capitals_is_a_language_tag(inference):
    """BCP 47 tags are case-insensitive: "EN"^^xsd:language was a violation (an audit's
    finding); a tag of another form still is."""
    graph = sample_graph()
    graph.set((CITATION, DCTERMS.language, Literal("EN", datatype=XSD.language)))
    assert violations(validate(graph, inference)[1]) == []
    graph.set((CITATION, DCTERMS.language, Literal("english!", datatype=XSD.language)))
    assert [(f.focus, f.path) for f in violations(validate(graph, inference)[1])] == [
        (CITATION, DCTERMS.language)]
