"""The ontology declares, labels and aligns every term the data uses, and reasons cleanly."""

from __future__ import annotations

import inspect
import re

import owlrl
import pytest
from rdflib import OWL, RDF, RDFS, Graph, Literal, Namespace, URIRef
from rdflib.term import Node

from lactgraph import to_rdf
from lactgraph.iris import IriScheme
from lactgraph.link.publish import published_links
from lactgraph.records import RESOLUTION_METHODS
from lactgraph.sources.pharmacokinetics import PK_VARIABLES
from lactgraph.vocab import PREFIXES, RISK_LEVELS

from .conftest import ROOT
from .shape_helpers import IRIS, LG, ONTOLOGY_PATH, SAMPLE_PRODUCT, load, sample_graph

XSD = Namespace(PREFIXES["xsd"])  # rdflib's XSD warns when pytest inspects the module
SKOS = Namespace(PREFIXES["skos"])
DCTERMS = Namespace(PREFIXES["dcterms"])
SCHEMA = Namespace(PREFIXES["schema"])
VANN = Namespace(PREFIXES["vann"])
# owlrl writes each inconsistency it finds as `[] a err:ErrorMessage ; err:error "..."`.
OWLRL_ERR = Namespace("http://www.daml.org/2002/03/agents/agent-ont#")

ONTOLOGY = URIRef(IriScheme().ontology)
SCHEME = URIRef(IriScheme().risk_scheme)
TERM_TYPES = {
    OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty,
    OWL.NamedIndividual,
}
# Built into RDF/RDFS/OWL: OWL tools know them without a declaration.
BUILT_IN = {RDF.type, RDF.first, RDF.rest, RDFS.label, RDFS.comment, RDFS.seeAlso}


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return load(ONTOLOGY_PATH)


@pytest.fixture(scope="module")
def sample() -> Graph:
    return sample_graph()


def _is_lg(node: Node) -> bool:
    return isinstance(node, URIRef) and str(node).startswith(str(LG))


def _lg_terms_in(graph: Graph) -> set[URIRef]:
    """Every lg: IRI a graph uses, as subject, predicate or object."""
    return {node for triple in graph for node in triple if _is_lg(node)}


def _langs(graph: Graph, subject: Node, *predicates: URIRef) -> set[str | None]:
    return {
        o.language
        for p in predicates
        for o in graph.objects(subject, p)
        if isinstance(o, Literal)
    }


def _closure(data: Graph, ontology: Graph) -> Graph:
    graph = data + ontology
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(graph)
    return graph


def _inconsistencies(graph: Graph) -> list[str]:
    errors = [str(m) for m in graph.objects(None, OWLRL_ERR.error)]
    errors += [f"{s} is an owl:Nothing" for s in graph.subjects(RDF.type, OWL.Nothing)]
    return sorted(errors)


# --- the ontology's own description ----------------------------------------------------


def test_ontology_header(ontology):
    assert (ONTOLOGY, RDF.type, OWL.Ontology) in ontology
    assert ontology.value(ONTOLOGY, OWL.versionIRI) == URIRef(f"{ONTOLOGY}/0.1.0")
    assert ontology.value(ONTOLOGY, OWL.versionInfo) == Literal("0.1.0")
    assert ontology.value(ONTOLOGY, DCTERMS.license) == URIRef(
        "https://creativecommons.org/licenses/by/4.0/"
    )
    assert ontology.value(ONTOLOGY, DCTERMS.creator) is not None
    assert _langs(ontology, ONTOLOGY, DCTERMS.title) == {"en", "es"}
    assert _langs(ontology, ONTOLOGY, DCTERMS.description) == {"en", "es"}
    assert _langs(ontology, ONTOLOGY, RDFS.label) == {"en", "es"}
    assert ontology.value(ONTOLOGY, VANN.preferredNamespacePrefix) == Literal("lg")
    assert ontology.value(ONTOLOGY, VANN.preferredNamespaceUri) == Literal(str(LG))


def test_the_ontology_is_the_only_owl_ontology_in_the_file(ontology):
    assert set(ontology.subjects(RDF.type, OWL.Ontology)) == {ONTOLOGY}


# --- every term the data uses is declared ----------------------------------------------


def test_sample_graph_exercises_every_kind_of_resource(sample):
    used = _lg_terms_in(sample)
    for name in ("Product", "Group", "Alias", "OtherWriting", "BrandName", "Country",
                 "PharmacokineticValue", "hasFullTextLink", "bibliography",
                 "resolutionMethod", "isCombination", "sourceId"):
        assert LG[name] in used, name


def test_every_lg_term_in_the_data_is_declared(ontology, sample):
    undeclared = sorted(
        str(term) for term in _lg_terms_in(sample)
        if not TERM_TYPES & set(ontology.objects(term, RDF.type))
    )
    assert undeclared == []


def _terms_named_in_to_rdf_source() -> set[URIRef]:
    """lg terms spelled out in to_rdf.py (`lg.X`, `self.lg.X`), plus its lookup tables."""
    source = inspect.getsource(to_rdf)
    names = set(re.findall(r"\blg\.([A-Za-z]\w*)", source))
    names |= set(to_rdf._RESOLUTION_TERMS.values())
    names |= {to_rdf._pk_term(key) for key in PK_VARIABLES}
    return {LG[name] for name in names}


def test_every_lg_term_named_in_to_rdf_is_declared(ontology):
    terms = _terms_named_in_to_rdf_source()
    assert LG.riskLevel in terms and LG.HalfLife in terms  # the scan itself works
    undeclared = sorted(
        str(t) for t in terms if not TERM_TYPES & set(ontology.objects(t, RDF.type))
    )
    assert undeclared == []


def test_every_lg_term_has_label_and_comment_in_english_and_spanish(ontology):
    terms = {s for s in ontology.subjects() if _is_lg(s)}
    assert len(terms) > 40
    missing = []
    for term in sorted(terms):
        if not {"en", "es"} <= _langs(ontology, term, RDFS.label):
            missing.append(f"{term}: rdfs:label")
        if not {"en", "es"} <= _langs(ontology, term, RDFS.comment, SKOS.definition):
            missing.append(f"{term}: rdfs:comment")
    assert missing == []


def test_no_term_has_two_labels_in_one_language(ontology):
    for term in {s for s in ontology.subjects() if _is_lg(s)}:
        langs = [o.language for o in ontology.objects(term, RDFS.label)]
        assert len(langs) == len(set(langs)), term


def test_properties_are_object_or_datatype_properties_as_the_data_uses_them(ontology, sample):
    for predicate in {p for p in sample.predicates() if _is_lg(p)}:
        objects = list(sample.objects(None, predicate))
        kind = OWL.DatatypeProperty if isinstance(objects[0], Literal) else OWL.ObjectProperty
        assert all(isinstance(o, Literal) == (kind == OWL.DatatypeProperty) for o in objects)
        assert (predicate, RDF.type, kind) in ontology, predicate


def _published(sample: Graph) -> Graph:
    """The sample, with the links and linksets of the fixtures' mapping sets (links.ttl)
    and the bundled graph's statistics (statistics.ttl): what the data graphs hold."""
    fixtures = ROOT / "tests" / "fixtures" / "link"
    data = Graph().parse(fixtures / "graph" / "lactgraph.ttl")
    return sample + published_links(fixtures / "mappings", data) + Graph().parse(
        ROOT / "graph" / "statistics.ttl")


def test_external_terms_the_data_uses_are_declared(ontology, sample):
    """Those of the links and statistics too (void:Linkset, void:linkPredicate... were
    not: an audit's finding), as the kind of property their use makes them."""
    published = _published(sample)
    predicates = {p for p in published.predicates() if not _is_lg(p)} - BUILT_IN
    classes = {c for c in published.objects(None, RDF.type) if not _is_lg(c)}
    undeclared = sorted(str(t) for t in predicates | classes
                        if not TERM_TYPES & set(ontology.objects(t, RDF.type)))
    assert undeclared == []
    for predicate in predicates - set(ontology.subjects(RDF.type, OWL.AnnotationProperty)):
        literal = {isinstance(o, Literal) for o in published.objects(None, predicate)}
        kind = OWL.DatatypeProperty if literal == {True} else OWL.ObjectProperty
        assert literal != {True, False} and (predicate, RDF.type, kind) in ontology, predicate


def test_domains_and_ranges_hold_in_the_data(ontology, sample):
    """A domain or range that the data contradicts would type references or literals wrongly."""
    data = sample + ontology
    for prop in {p for p in sample.predicates() if _is_lg(p)}:
        for domain in ontology.objects(prop, RDFS.domain):
            for subject in sample.subjects(prop, None):
                assert (subject, RDF.type, domain) in data, (prop, subject, domain)
        for range_ in ontology.objects(prop, RDFS.range):
            for obj in sample.objects(None, prop):
                if isinstance(obj, Literal):
                    assert obj.datatype == range_ or (
                        obj.datatype is None and range_ == XSD.string
                    ), (prop, obj, range_)
                elif range_ != RDF.List:
                    assert (obj, RDF.type, range_) in data, (prop, obj, range_)


# --- alignment with standard vocabularies ----------------------------------------------


def test_class_hierarchy_and_alignments(ontology):
    assert (LG.Country, RDFS.subClassOf, SCHEMA.Country) in ontology
    assert (LG.RiskLevel, RDFS.subClassOf, SKOS.Concept) in ontology
    assert (LG.PharmacokineticValue, RDFS.subClassOf, SCHEMA.PropertyValue) in ontology
    assert (LG.Product, SKOS.closeMatch, SCHEMA.MedicalEntity) in ontology
    assert (LG.BrandName, SKOS.closeMatch, SCHEMA.Drug) in ontology
    # A product may be a plant, a procedure or a disease: never asserted a drug.
    assert (LG.Product, RDFS.subClassOf, SCHEMA.Drug) not in ontology
    assert (LG.Product, OWL.equivalentClass, SCHEMA.Drug) not in ontology


def test_property_characteristics_and_alignments(ontology):
    assert (LG.relatedGroup, RDF.type, OWL.SymmetricProperty) in ontology
    assert (LG.alternative, RDF.type, OWL.SymmetricProperty) not in ontology
    assert (LG.relatedProduct, RDF.type, OWL.SymmetricProperty) not in ontology
    assert ontology.value(LG.hasRelatedGroup, RDFS.domain) == LG.Product
    assert ontology.value(LG.hasRelatedGroup, RDFS.range) == LG.Group
    assert ontology.value(LG.bibliography, RDFS.range) == RDF.List
    # schema:activeIngredient takes text: a pointer, not a super-property.
    assert (LG.activeIngredient, RDFS.seeAlso, SCHEMA.activeIngredient) in ontology
    assert (LG.activeIngredient, RDFS.subPropertyOf, SCHEMA.activeIngredient) not in ontology
    assert (LG.pharmacokinetics, RDFS.subPropertyOf, SCHEMA.additionalProperty) in ontology


def test_no_lg_property_makes_literals_or_references_into_products(ontology):
    for prop in ontology.subjects(RDFS.range, LG.Product):
        assert (prop, RDF.type, OWL.ObjectProperty) in ontology
    for prop in (to_rdf.CITO.citesAsEvidence, LG.bibliography, LG.hasAbstractLink):
        assert ontology.value(prop, RDFS.range) != LG.Product


# --- individuals: pharmacokinetic variables and resolution methods --------------------


def test_pharmacokinetic_variables_match_the_readers(ontology):
    declared = set(ontology.subjects(RDF.type, LG.PharmacokineticVariable))
    expected = {LG[to_rdf._pk_term(key)] for key in PK_VARIABLES}
    assert declared == expected
    assert len(declared) == 11
    for key, variable in PK_VARIABLES.items():
        term = LG[to_rdf._pk_term(key)]
        units = {str(u) for u in ontology.objects(term, SCHEMA.unitText)}
        assert units == ({variable.unit} if variable.unit else set()), key


def test_resolution_methods_match_the_records(ontology):
    declared = set(ontology.subjects(RDF.type, LG.CitationResolutionMethod))
    assert declared == {LG[to_rdf._RESOLUTION_TERMS[m]] for m in RESOLUTION_METHODS}


# --- the risk-level concept scheme -----------------------------------------------------


def test_risk_scheme_iris_follow_the_iri_scheme(ontology):
    assert (SCHEME, RDF.type, SKOS.ConceptScheme) in ontology
    assert _langs(ontology, SCHEME, SKOS.prefLabel) == {"en", "es"}
    assert _langs(ontology, SCHEME, RDFS.label) == {"en", "es"}
    assert set(ontology.subjects(SKOS.inScheme, SCHEME)) == {
        URIRef(IRIS.risk(r.level)) for r in RISK_LEVELS
    }
    assert set(ontology.subjects(RDF.type, LG.RiskLevel)) == set(
        ontology.subjects(SKOS.inScheme, SCHEME)
    )


@pytest.mark.parametrize("risk", RISK_LEVELS, ids=lambda r: f"level-{r.level}")
def test_risk_level_concept_matches_vocab(ontology, risk):
    concept = URIRef(IRIS.risk(risk.level))

    def values(predicate: URIRef) -> set[Node]:
        return set(ontology.objects(concept, predicate))

    def tagged(texts: dict[str, str]) -> set[Literal]:
        return {Literal(text, lang=lang) for lang, text in texts.items()}

    assert {LG.RiskLevel, SKOS.Concept} <= values(RDF.type)
    assert values(SKOS.inScheme) == {SCHEME}
    assert values(SKOS.topConceptOf) == {SCHEME}
    assert values(SKOS.notation) == {Literal(risk.level, datatype=XSD.integer)}
    assert values(SKOS.prefLabel) == tagged(risk.risk_name)
    assert values(SKOS.altLabel) == tagged(risk.compatibility_name)
    assert values(SKOS.definition) == tagged(risk.description)
    assert values(SKOS.historyNote) == {Literal(d, lang="en") for d in risk.former_descriptions}
    assert values(SCHEMA.color) == {Literal(risk.colour)}


# --- OWL RL reasoning ------------------------------------------------------------------


def test_owl_rl_closure_of_ontology_and_sample_is_consistent(ontology, sample):
    closed = _closure(sample, ontology)
    assert _inconsistencies(closed) == []
    # The closure did reason (subclass entailments are there), and an skos:closeMatch
    # alignment, being an annotation, typed nothing.
    assert (SAMPLE_PRODUCT, RDF.type, SCHEMA.MedicalEntity) not in closed
    country = URIRef(IRIS.country("Spain"))
    assert (country, RDF.type, SCHEMA.Country) in closed
    assert (URIRef(IRIS.risk(1)), RDF.type, SKOS.Concept) in closed


def test_owl_rl_closure_of_the_ontology_alone_is_consistent(ontology):
    assert _inconsistencies(_closure(Graph(), ontology)) == []


def test_owl_rl_reports_an_alternative_that_is_a_group(ontology, sample):
    """The check above can fail: the classes are disjoint, so a mix-up is reported."""
    faulty = sample + Graph()
    faulty.add((SAMPLE_PRODUCT, LG.alternative, URIRef(IRIS.group("Aesthetic procedures"))))
    errors = _inconsistencies(_closure(faulty, ontology))
    assert any("Disjoint classes" in e and "aesthetic-procedures" in e for e in errors)


def test_owl_rl_reports_a_product_with_two_levels(ontology, sample):
    # lg:riskLevel is functional and the levels are all different. (owlrl 7 skips the last
    # member of an owl:AllDifferent list, so the second level here is not risk/3.)
    faulty = sample + Graph()
    faulty.add((SAMPLE_PRODUCT, LG.riskLevel, URIRef(IRIS.risk(0))))
    errors = _inconsistencies(_closure(faulty, ontology))
    assert any("AllDifferent" in e for e in errors)


def test_named_individuals_link_into_no_cycle(ontology):
    """pyshacl's ont_graph mix-in copies each owl:NamedIndividual by following its links
    recursively; a cycle reachable from one makes validation take minutes, not seconds."""

    def walk(node: Node, path: tuple[Node, ...]) -> None:
        for obj in ontology.objects(node, None):
            if isinstance(obj, Literal):
                continue
            assert obj not in path, f"cycle: {' -> '.join(map(str, (*path, obj)))}"
            walk(obj, (*path, obj))

    for individual in ontology.subjects(RDF.type, OWL.NamedIndividual):
        walk(individual, (individual,))
