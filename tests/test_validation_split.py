"""The build's validation finds what pyshacl finds, whole or split by entity.

The build validates on the Oxigraph store with the shapes compiled to SPARQL, and after a
change only the entities whose checks read what changed (`StoreValidator.dirty`). Here a
synthetic corpus gets one fault per kind of check, each on its own entity, including the
checks that reach across entities (a link to a node whose class changed, two products
claiming one alias, a pharmacokinetic value claimed by two products); pyshacl on the
whole graph is the reference.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import RDF, BNode, Graph, Literal, Namespace, URIRef
from rdflib.term import Node

from lactgraph.build import build
from lactgraph.entries import turtle_prefixes
from lactgraph.iris import IriScheme
from lactgraph.rdfio import read_graph
from lactgraph.shacl_sparql import Check, StoreValidator, compile_checks, local_reach
from lactgraph.synth import write_corpus
from lactgraph.to_rdf import BIBO, C4O, CITO, DCTERMS, FABIO, FOAF, SCHEMA, SKOS
from lactgraph.turtle import TermWriter, subject_pairs
from lactgraph.validate import SH, Finding, load_rules, report_of, validate_graph
from lactgraph.vocab import PREFIXES

from .conftest import ROOT

IRIS = IriScheme()
LG = Namespace(IRIS.term(""))
XSD = Namespace(PREFIXES["xsd"])
DATA, ONTOLOGY = f"{IRIS.base}graph/lactgraph", IRIS.ontology
EMPTY, SPLIT = f"{IRIS.base}graph/links", f"{IRIS.base}graph/classes"


@pytest.fixture(scope="module")
def rules() -> tuple[Graph, Graph]:
    return load_rules(ROOT / "shapes" / "lactgraph.ttl", ROOT / "ontology" / "lactgraph.ttl")


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Graph:
    """The graph a build makes of 90 synthetic entry pages."""
    folder = tmp_path_factory.mktemp("split")
    write_corpus(90, 5, folder / "corpus", forms=("pages",))
    shutil.copytree(folder / "corpus" / "pages", folder / "sources")
    here = Path.cwd()
    os.chdir(folder)
    try:
        build([Path("sources")], Path("graph"), ROOT / "shapes" / "lactgraph.ttl",
              ROOT / "ontology" / "lactgraph.ttl", IRIS.base, jobs=1, progress=False)
    finally:
        os.chdir(here)
    return read_graph([folder / "graph" / "lactgraph.ttl"])


# --- picking entities and breaking them ---------------------------------------------------


class Picker:
    """Hands out entities of a kind, each once, so that faults do not meet."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.used: set[Node] = set()

    def take(self, kind: Node, *having: Node, imported: bool | None = None) -> URIRef:
        for node in sorted(self.graph.subjects(RDF.type, kind)):
            if node in self.used or any(self.graph.value(node, p) is None for p in having):
                continue
            if imported is not None and imported != ((node, LG.importedFrom, None)
                                                     in self.graph):
                continue
            self.used.add(node)
            return node
        raise LookupError(f"no {kind} left with {having}")


def _faults(graph: Graph) -> list[tuple[str, Node]]:
    """Break the graph in every way the shapes can tell; (fault, focus node) of each."""
    pick = Picker(graph)
    product = lambda *having: pick.take(LG.Product, *having, imported=True)  # noqa: E731
    g = graph
    broken: list[tuple[str, Node]] = []

    def fault(name: str, focus: Node) -> None:
        broken.append((name, focus))

    p = product(LG.riskLevel)
    other = URIRef(IRIS.risk(3 if g.value(p, LG.riskLevel) != URIRef(IRIS.risk(3)) else 0))
    g.add((p, LG.riskLevel, other))
    fault("two risk levels", p)
    p = product()
    g.set((p, LG.riskLevel, URIRef(IRIS.risk(4))))
    fault("a level outside the scheme", p)
    r = pick.take(FABIO.JournalArticle, DCTERMS.title)
    g.remove((r, DCTERMS.title, None))
    fault("a reference without title", r)
    p = product(DCTERMS.modified)
    g.set((p, DCTERMS.modified, Literal("2019-01-26T00:00:00", datatype=XSD.dateTime)))
    fault("an update that is a date-time", p)
    p = product(DCTERMS.modified)
    g.set((p, DCTERMS.modified, Literal("2019-13-45", datatype=XSD.date)))
    fault("a date that is no date", p)
    p = product()
    g.add((p, LG.alternative, pick.take(LG.Group)))
    fault("an alternative that is a group", p)
    p = product(SCHEMA.breastfeedingWarning)
    text = g.value(p, SCHEMA.breastfeedingWarning)
    g.remove((p, SCHEMA.breastfeedingWarning, None))
    g.add((p, SCHEMA.breastfeedingWarning, Literal(str(text))))
    fault("a commentary without language tag", p)
    alias = pick.take(LG.Alias)
    g.add((alias, LG.aliasOf, product()))
    fault("an alias of two products", alias)
    pk = pick.take(LG.PharmacokineticValue, SCHEMA.minValue, SCHEMA.maxValue)
    g.set((pk, SCHEMA.minValue, Literal("1000000", datatype=XSD.decimal)))
    fault("a minimum above the maximum", pk)
    citation = pick.take(C4O.InTextReferencePointer, C4O.denotes)
    for predicate in (C4O.denotes, LG.resolutionMethod, LG.resolutionConfidence):
        g.remove((citation, predicate, None))
    fault("an unresolved citation (warning)", citation)
    p = product(LG.belongsToGroup)
    g.remove((p, LG.belongsToGroup, None))
    fault("an entry without groups (warning)", p)
    p = product()
    g.add((p, FOAF.page, Literal("https://example.org/not-an-iri")))
    fault("a source page that is text", p)
    r = pick.take(FABIO.JournalArticle)
    g.add((r, BIBO.pmid, Literal("PMC3560")))  # and no fabio:hasPubMedId to equal it
    fault("a PubMed id that is not digits", r)
    r = pick.take(FABIO.JournalArticle, BIBO.authorList)
    g.set((g.value(r, BIBO.authorList), RDF.first, Literal("")))
    fault("an empty author", r)
    citation = pick.take(C4O.InTextReferencePointer, LG.resolutionConfidence)
    g.set((citation, LG.resolutionConfidence, Literal("1.5", datatype=XSD.decimal)))
    fault("a confidence above one", citation)
    citation = pick.take(C4O.InTextReferencePointer, LG.characterOffset)
    g.set((citation, LG.characterOffset, Literal(-1)))
    fault("a negative offset", citation)
    citation = pick.take(C4O.InTextReferencePointer, DCTERMS.language)
    g.set((citation, DCTERMS.language, Literal("english", datatype=XSD.language)))
    fault("a language that is no tag", citation)
    level = URIRef(IRIS.risk(9))
    g.add((level, RDF.type, LG.RiskLevel))
    g.add((level, SKOS.notation, Literal(9)))
    g.add((level, SKOS.prefLabel, Literal("Nine", lang="en")))
    fault("a risk level outside the scheme", level)
    p = product()
    g.add((p, SKOS.prefLabel, Literal("Another name", lang="en")))
    fault("two names in one language", p)
    p = product(CITO.citesAsEvidence)
    g.remove((p, CITO.citesAsEvidence, g.value(p, CITO.citesAsEvidence)))
    fault("a bibliography that is not what is cited", p)
    p = product(CITO.citesAsEvidence)
    uncited = next(r for r in sorted(g.subjects(RDF.type, FABIO.JournalArticle))
                   if (p, CITO.citesAsEvidence, r) not in g)
    g.add((p, CITO.citesAsEvidence, uncited))
    fault("a cited reference the bibliography does not list", p)
    citation = pick.take(C4O.InTextReferencePointer, LG.resolutionMethod)
    g.remove((citation, LG.resolutionMethod, None))
    fault("a resolved citation that does not say how", citation)
    p = product()
    g.add((p, SKOS.altLabel, URIRef("https://example.org/a-name")))
    fault("another name that is not text", p)
    p = product()
    g.add((p, RDF.type, LG.Group))
    fault("a product that is also a group", p)
    p = product(LG.bibliography)
    cell = g.value(p, LG.bibliography)
    while g.value(cell, RDF.rest) != RDF.nil:
        cell = g.value(cell, RDF.rest)
    g.remove((cell, RDF.rest, RDF.nil))
    fault("a bibliography that does not end", p)
    r = pick.take(FABIO.JournalArticle, BIBO.authorList)
    g.add((g.value(r, BIBO.authorList), RDF.first, Literal("Another author")))
    fault("an author list cell with two members", r)
    r = pick.take(FABIO.JournalArticle, BIBO.authorList)
    g.add((g.value(r, BIBO.authorList), RDF.rest, RDF.nil))  # besides its own rest, or nil
    g.add((g.value(r, BIBO.authorList), RDF.rest, BNode()))
    fault("an author list that forks", r)
    def replace_authors(reference: Node, authors: Node) -> None:
        cell = g.value(reference, BIBO.authorList)
        while cell != RDF.nil:  # the cells go with the list (a cell must hang somewhere)
            cell, _ = g.value(cell, RDF.rest), g.remove((cell, None, None))
        g.set((reference, BIBO.authorList, authors))

    r = pick.take(FABIO.JournalArticle, BIBO.authorList)
    replace_authors(r, Literal("Smith J, Jones K"))
    fault("an author list that is text", r)
    replace_authors(pick.take(FABIO.JournalArticle, BIBO.authorList), RDF.nil)  # empty: fine
    p = product(LG.bibliography)
    second = g.value(g.value(p, LG.bibliography), RDF.rest)
    g.remove((second, RDF.first, None))
    fault("a bibliography cell without member", p)
    pk = pick.take(LG.PharmacokineticValue)
    g.add((product(), LG.pharmacokinetics, pk))
    fault("a pharmacokinetic value of two products", pk)
    brand = pick.take(LG.BrandName, LG.activeIngredient)
    g.remove((brand, LG.activeIngredient, None))
    fault("a brand name without ingredient", brand)
    brand = pick.take(LG.BrandName)
    g.add((brand, LG.country, product()))
    fault("a brand name sold in a product", brand)
    p = product()
    g.set((p, LG.sourceId, Literal("1234")))
    fault("a source id that is text", p)
    # across entities: what changes is not the entity whose check fails
    linked = next(o for o in sorted(g.objects(None, LG.alternative)) if o not in pick.used)
    pick.used.add(linked)
    g.remove((linked, RDF.type, LG.Product))
    g.add((linked, RDF.type, LG.Country))
    fault("a product mentioned as an alternative becomes a country",
          next(g.subjects(LG.alternative, linked)))
    r = pick.take(FABIO.JournalArticle)
    g.remove((r, RDF.type, FABIO.JournalArticle))
    fault("a cited reference loses its class", next(g.subjects(CITO.citesAsEvidence, r)))
    p = product(LG.pharmacokinetics)
    g.remove((p, RDF.type, LG.Product))
    fault("a product with pharmacokinetics loses its class", g.value(p, LG.pharmacokinetics))
    return broken


def _store(graph: Graph, ontology: Graph) -> ox.Store:
    store = ox.Store()
    for data, name in ((graph, DATA), (ontology, ONTOLOGY)):
        store.load(input=data.serialize(format="nt", encoding="utf-8"),
                   format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(name))
    return store


def _blocks(graph: Graph) -> dict[str, list[str]]:
    return {s: sorted(pairs) for s, pairs in
            subject_pairs(graph, TermWriter(turtle_prefixes(IRIS.base))).items()}


def _key(finding: Finding) -> tuple:
    return (finding.severity, finding.focus, finding.path, finding.component)


def _whole(findings: Iterable[Finding]) -> list[Finding]:
    """Findings in report order, blank node labels (which differ by store) masked."""
    def masked(text: str | None) -> str | None:
        return "_:blank" if text and text.startswith("_:") else text
    return sorted((replace(f, focus=masked(f.focus), value=masked(f.value))
                   for f in report_of(findings).findings), key=str)


@pytest.fixture(scope="module")
def broken(clean: Graph) -> tuple[Graph, list[tuple[str, Node]]]:
    graph = Graph()
    for triple in clean:
        graph.add(triple)
    return graph, _faults(graph)


@pytest.fixture(scope="module")
def reference(broken, rules) -> set[Finding]:
    """pyshacl on the whole broken graph."""
    return set(validate_graph(broken[0], *rules).findings)


def test_every_fault_is_found(broken, reference):
    writer = TermWriter(turtle_prefixes(IRIS.base))
    found = {f.focus for f in reference}
    missed = [name for name, focus in broken[1]
              if writer.iri(str(focus)).replace("<", "").replace(">", "") not in
              {f.replace("<", "").replace(">", "") for f in found}]
    assert missed == []


def test_the_faults_reach_every_constraint_component_the_shapes_use(rules, reference):
    shapes = rules[0]
    used = {p for p in shapes.predicates() if p in _TOP_LEVEL_COMPONENTS}
    reported = {f.component for f in reference}
    assert {_TOP_LEVEL_COMPONENTS[p] for p in used} <= reported


def test_the_store_validation_finds_what_pyshacl_finds(broken, rules, reference):
    validator = StoreValidator(rules[0])
    found = validator.validate(_store(broken[0], rules[1]), [DATA, ONTOLOGY])
    assert {_key(f) for _, f in found} == {_key(f) for f in reference}
    assert _whole(f for _, f in found) == _whole(reference)


def _list_checks(shapes: Graph) -> list[Check]:
    """The checks compiled as the aggregate over list cells (see `malformed_lists`)."""
    return [c for c in compile_checks(shapes) if "SUM(IF(sameTerm(" in c.whole]


def test_the_list_shape_is_checked_by_one_aggregate_whatever_its_names(rules):
    """Both uses of lgs:ListShape (bibliographies, author lists) take the fast form; so
    they do when the shapes are renamed and their messages reworded."""
    assert {c.path for c in _list_checks(rules[0])} == {"lg:bibliography", "bibo:authorList"}
    lgs = Namespace(IRIS.shape(""))
    renamed = Graph()
    names = {lgs.ListShape: URIRef("urn:x:lists"), lgs.ListCellShape: URIRef("urn:x:cells")}
    for s, p, o in rules[0]:
        o = Literal("reworded") if p == SH.message else o
        renamed.add((names.get(s, s), p, names.get(o, o)))
    assert len(_list_checks(renamed)) == 2


@pytest.mark.parametrize("change", ["a member may repeat", "a deactivated cell shape"])
def test_a_list_shape_that_says_otherwise_is_compiled_as_any_shape(rules, change):
    lgs = Namespace(IRIS.shape(""))
    shapes = Graph()
    for triple in rules[0]:
        shapes.add(triple)
    if change == "a member may repeat":
        member = next(s for s in shapes.objects(lgs.ListCellShape, SH.property)
                      if shapes.value(s, SH.path) == RDF.first)
        shapes.set((member, SH.maxCount, Literal(2)))
    else:
        shapes.add((lgs.ListCellShape, SH.deactivated, Literal(True)))
    assert _list_checks(shapes) == []


def test_a_bibliography_in_a_loop_is_reported(clean, rules):
    """pyshacl cannot tell (rdflib raises on the loop); the compiled check can."""
    graph = Graph()
    for triple in clean:
        graph.add(triple)
    p = Picker(graph).take(LG.Product, LG.bibliography, imported=True)
    head = cell = graph.value(p, LG.bibliography)
    while graph.value(cell, RDF.rest) != RDF.nil:
        cell = graph.value(cell, RDF.rest)
    graph.set((cell, RDF.rest, head))
    found = StoreValidator(rules[0]).validate(_store(graph, rules[1]), [DATA, ONTOLOGY])
    assert {(f.component, f.path) for focus, f in found if focus == str(p)} == {
        ("NodeConstraintComponent", "lg:bibliography")}


def test_an_empty_graph_validated_with_the_others_changes_no_finding(broken, rules,
                                                                     reference):
    """The validation leaves empty graphs out of the union it queries (each costs a seek
    at every step); a graph holding part of the data stays in."""
    store = _store(broken[0], rules[1])
    moved = [q for q in store.quads_for_pattern(None, ox.NamedNode(str(RDF.type)), None,
                                                ox.NamedNode(DATA))]
    for quad in moved:  # the classes in a graph of their own, as the links are in theirs
        store.remove(quad)
        store.add(ox.Quad(quad.subject, quad.predicate, quad.object, ox.NamedNode(SPLIT)))
    found = StoreValidator(rules[0]).validate(store, [DATA, EMPTY, SPLIT, ONTOLOGY])
    assert moved
    assert _whole(f for _, f in found) == _whole(reference)


def test_validating_the_changed_entities_finds_what_a_whole_run_finds(
        clean, broken, rules, reference):
    """The clean graph's findings, minus those of the entities the faults touch (and of
    the entities whose checks read them), plus a validation of those entities alone."""
    validator = StoreValidator(rules[0])
    assert validator.local and local_reach(rules[0])
    before = validator.validate(_store(clean, rules[1]), [DATA, ONTOLOGY])
    old, new = _blocks(clean), _blocks(broken[0])
    changed = {s for s in old.keys() | new.keys() if old.get(s) != new.get(s)}
    triples = [t for graph in (clean, broken[0]) for t in graph
               if not isinstance(t[0], BNode) and str(t[0]) in changed]
    store = _store(broken[0], rules[1])
    dirty = validator.dirty(store, [DATA, ONTOLOGY], changed, triples)
    assert len(dirty) < len(new) / 4, "the split should validate a few entities, not all"
    after = [(iri, f) for iri, f in before if iri not in dirty]
    after += validator.validate(store, [DATA, ONTOLOGY], focus=dirty)
    assert {_key(f) for _, f in after} == {_key(f) for f in reference}
    assert _whole(f for _, f in after) == _whole(reference)


def test_a_check_reaching_two_links_away_makes_the_split_validate_all(rules):
    shapes = Graph()
    for triple in rules[0]:
        shapes.add(triple)
    shape, path = BNode(), BNode()
    shapes.add((URIRef(IRIS.shape("ProductShape")), SH.property, shape))
    shapes.add((shape, SH.path, path))
    shapes.add((path, RDF.first, LG.alternative))
    rest = BNode()
    shapes.add((path, RDF.rest, rest))
    shapes.add((rest, RDF.first, LG.riskLevel))
    shapes.add((rest, RDF.rest, RDF.nil))
    shapes.add((shape, SH["class"], LG.RiskLevel))
    assert not local_reach(shapes)


_TOP_LEVEL_COMPONENTS = {
    SH.minCount: "MinCountConstraintComponent", SH.maxCount: "MaxCountConstraintComponent",
    SH.datatype: "DatatypeConstraintComponent", SH["class"]: "ClassConstraintComponent",
    SH.nodeKind: "NodeKindConstraintComponent", SH.pattern: "PatternConstraintComponent",
    SH.minLength: "MinLengthConstraintComponent",
    SH.minInclusive: "MinInclusiveConstraintComponent",
    SH.maxInclusive: "MaxInclusiveConstraintComponent",
    SH.hasValue: "HasValueConstraintComponent", SH["in"]: "InConstraintComponent",
    SH.uniqueLang: "UniqueLangConstraintComponent", SH.equals: "EqualsConstraintComponent",
    SH.lessThanOrEquals: "LessThanOrEqualsConstraintComponent",
    SH["not"]: "NotConstraintComponent", SH["or"]: "OrConstraintComponent",
    SH.node: "NodeConstraintComponent",
}



def test_validation_shared_among_processes_finds_what_one_process_finds(broken, rules,
                                                                        tmp_path):
    """A full build validates its closed store with a process per core: every check runs
    once, whatever order another compilation of the shapes would give."""
    directory = tmp_path / "store"
    store = ox.Store(str(directory))
    for data, name in ((broken[0], DATA), (rules[1], ONTOLOGY)):
        store.load(input=data.serialize(format="nt", encoding="utf-8"),
                   format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(name))
    store.flush()
    validator = StoreValidator(rules[0])
    alone = validator.validate(store, [DATA, ONTOLOGY])
    del store
    done: list[None] = []
    shared = validator.validate_closed(directory, [DATA, ONTOLOGY], jobs=2,
                                       progress=lambda: done.append(None))
    assert sorted(map(str, shared)) == sorted(map(str, alone))
    assert len(done) == len(validator.checks)  # each check run once, and counted
    reparsed = load_rules(ROOT / "shapes" / "lactgraph.ttl", ROOT / "ontology" / "lactgraph.ttl")
    assert [c.whole for c in StoreValidator(reparsed[0]).checks] == [
        c.whole for c in validator.checks]


_LOGICAL_SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:ThingShape a sh:NodeShape ; sh:targetClass ex:Thing ; sh:message "not a thing" ;
    sh:xone ( [ sh:class ex:A ] [ sh:class ex:B ] ) ;
    sh:or ( [ sh:path ex:p ; sh:minCount 1 ]
            [ sh:and ( [ sh:path ex:q ; sh:minCount 1 ]
                       [ sh:path ex:q ; sh:datatype xsd:integer ] ) ] ) ;
    sh:not [ sh:property [ sh:path ex:r ; sh:hasValue ex:Bad ] ] ;
    sh:node ex:NamedShape .
ex:NamedShape a sh:NodeShape ; sh:property [ sh:path ex:s ; sh:maxCount 1 ] .
"""
_LOGICAL_DATA = """
@prefix ex: <http://example.org/> .
ex:fine a ex:Thing, ex:A ; ex:p 1 .
ex:both a ex:Thing, ex:A, ex:B ; ex:p 1 .
ex:neither a ex:Thing ; ex:p 1 .
ex:subclass a ex:Thing, ex:Sub ; ex:q "x" .
ex:integer a ex:Thing, ex:B ; ex:q 5 .
ex:bad a ex:Thing, ex:A ; ex:p 1 ; ex:r ex:Bad .
ex:two a ex:Thing, ex:A ; ex:p 1 ; ex:s 1, 2 .
"""


def test_logical_constraints_on_focus_nodes_find_what_pyshacl_finds():
    """sh:and, sh:or, sh:xone, sh:not and sh:node on the focus nodes themselves, nested
    and with property shapes inside: the whole run joins each member's violators by hash
    (`logical_sets`), the split asks each focus node; both find what pyshacl finds."""
    shapes = Graph().parse(data=_LOGICAL_SHAPES, format="turtle")
    data = Graph().parse(data=_LOGICAL_DATA, format="turtle")
    ontology = Graph().parse(data="<http://example.org/Sub> <http://www.w3.org/2000/01/"
                             "rdf-schema#subClassOf> <http://example.org/A> .", format="turtle")
    reference = validate_graph(data, shapes, ontology).findings
    assert sorted((f.focus.rsplit("/", 1)[-1], f.component) for f in reference) == [
        ("bad>", "NotConstraintComponent"), ("both>", "XoneConstraintComponent"),
        ("neither>", "XoneConstraintComponent"), ("subclass>", "OrConstraintComponent"),
        ("two>", "NodeConstraintComponent")]
    validator = StoreValidator(shapes)
    store = _store(data, ontology)
    whole = validator.validate(store, [DATA, ONTOLOGY])
    split = validator.validate(store, [DATA, ONTOLOGY],
                               focus=[f"http://example.org/{n}" for n in
                                      ("fine", "both", "neither", "subclass", "integer", "bad",
                                       "two")])
    for found in (whole, split):
        assert _whole(f for _, f in found) == _whole(reference)
