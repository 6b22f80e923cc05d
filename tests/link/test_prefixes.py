"""The committed prefix map: one source for vocab, SSSOM, Turtle and the targets' IRIs."""

from __future__ import annotations

import re

import pytest

from lactgraph import vocab
from lactgraph.link import prefixes
from lactgraph.link.targets import REFERENCE_TARGETS, TARGETS


def test_vocab_prefixes_are_the_committed_ones():
    assert prefixes.vocabulary_prefixes() == vocab.PREFIXES
    for base in (vocab.DEFAULT_BASE, "http://127.0.0.1:8000/"):
        assert vocab.lactgraph_prefixes(base) == prefixes.prefix_map(base)
        assert vocab.lactgraph_prefixes(base)["CHEBI"] == "http://purl.obolibrary.org/obo/CHEBI_"
    assert prefixes.default_base() == vocab.DEFAULT_BASE


@pytest.mark.parametrize(("curie", "iri"), [
    ("CHEBI:46195", "http://purl.obolibrary.org/obo/CHEBI_46195"),
    ("MESH:D000082", "http://id.nlm.nih.gov/mesh/D000082"),
    ("wikidata:Q57055", "http://www.wikidata.org/entity/Q57055"),
    ("pubmed:11111111", "https://identifiers.org/pubmed:11111111"),
    ("atc:N02BE01", "http://purl.bioontology.org/ontology/ATC/N02BE01"),
    ("NCBITaxon:19949", "http://purl.obolibrary.org/obo/NCBITaxon_19949"),
    ("pubchem.compound:1983", "http://rdf.ncbi.nlm.nih.gov/pubchem/compound/CID1983"),
    ("semapv:LexicalMatching", "https://w3id.org/semapv/vocab/LexicalMatching"),
    ("product:paracetamol", "https://w3id.org/lactgraph/product/paracetamol"),
    ("skos:exactMatch", "http://www.w3.org/2004/02/skos/core#exactMatch"),
])
def test_curies_expand_to_rdf_iris_and_back(curie, iri):
    assert prefixes.expand(curie) == iri
    assert prefixes.compress(iri) == curie


def test_own_prefixes_follow_the_base():
    assert prefixes.expand("product:x", "http://127.0.0.1:8000/") == \
        "http://127.0.0.1:8000/product/x"
    assert prefixes.compress("http://127.0.0.1:8000/reference/r", "http://127.0.0.1:8000/") == \
        "reference:r"


@pytest.mark.parametrize(("written", "canonical"), [
    ("chebi:46195", "CHEBI:46195"),
    ("wd:Q57055", "wikidata:Q57055"),
    ("PMID:123", "pubmed:123"),
    ("mesh:D000082", "MESH:D000082"),
])
def test_other_spellings_standardise_to_the_committed_prefix(written, canonical):
    assert prefixes.standardize(written) == canonical


def test_other_iri_forms_compress_to_the_canonical_curie():
    assert prefixes.compress("https://identifiers.org/CHEBI:46195") == "CHEBI:46195"
    assert prefixes.compress("https://bioregistry.io/mesh:D000082") == "MESH:D000082"


def test_unknown_prefixes_and_iris_give_none():
    assert prefixes.expand("nosuch:1") is None
    assert prefixes.compress("http://example.org/x") is None


def test_every_namespace_is_an_absolute_iri_and_every_prefix_is_a_turtle_prefix():
    for prefix, namespace in prefixes.prefix_map().items():
        assert re.fullmatch(r"[A-Za-z][\w.-]*", prefix), prefix
        assert re.match(r"^https?://[^\s<>\"{}|\\^`]+$", namespace), namespace


def test_every_target_has_a_namespace_and_its_iri_form():
    examples = {"wikidata": "Q57055", "chebi": "46195", "atc": "N02BE01", "mesh": "D000082",
                "drugbank": "DB00316", "rxnorm": "161", "unii": "362O9ITL9D",
                "pubchem": "1983", "ncbitaxon": "19949", "mondo": "0005148",
                "pubmed": "11111111", "doi": "10.1000/xyz123"}
    for name, target in {**TARGETS, **REFERENCE_TARGETS}.items():
        iri = prefixes.expand(target.curie(examples[name]))
        assert re.match(target.iri_pattern, iri), (name, iri)
        assert not re.match(target.iri_pattern, iri + " x")
    assert TARGETS["chebi"].curie("CHEBI:46195") is None
    assert TARGETS["mesh"].curie("X000082") is None


def test_the_committed_identifiers_are_what_bioregistry_gives():
    pytest.importorskip("bioregistry")
    regenerated = prefixes.regenerate()
    canonical = {r["prefix"]: r["uri_prefix"] for r in regenerated["identifiers"]}
    assert canonical == prefixes.identifier_prefixes()
    assert regenerated["vocabularies"] == prefixes.vocabulary_prefixes()
