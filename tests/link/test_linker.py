"""The linker against real SPARQL endpoints on loopback, loaded with a Wikidata-modelled graph.

Our side is tests/fixtures/link/graph (made by to_rdf); theirs is
tests/fixtures/link/wikidata.ttl, with its traps described at its top. The rows are checked
against `lactgraph serve`'s own /sparql and against a small pyoxigraph endpoint
(tests/link/endpoint.py), which also counts the requests it receives.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Literal

from lactgraph.link.client import USER_AGENT, SparqlClient
from lactgraph.link.linker import link_candidates
from lactgraph.link.queries import name_query, name_variants
from lactgraph.link.sssom import read_and_check, read_mapping_set

from .conftest import FIXTURES, OUR_GRAPH, lactgraph

LEXICAL, SHARED = "semapv:LexicalMatching", "semapv:BackgroundKnowledgeBasedMatching"
CHAINING = "semapv:MappingChaining"
EXACT, NARROW, CLOSE = "skos:exactMatch", "skos:narrowMatch", "skos:closeMatch"
PREF, ALT, LABEL = "skos:prefLabel", "skos:altLabel", "rdfs:label"
REFERENCE = "reference:doe-2001-83b6141e"

WIKIDATA_ROWS = [
    # two items alike for one name: both proposed, at the "several hits" confidence
    ("product:ginger", EXACT, "wikidata:Q90000006", LEXICAL, "0.5", PREF, LABEL,
     "ginger|jengibre"),
    ("product:ginger", EXACT, "wikidata:Q90000007", LEXICAL, "0.5", PREF, LABEL,
     "ginger|jengibre"),
    ("product:ibuprofen", EXACT, "wikidata:Q186969", LEXICAL, "0.9", PREF, LABEL,
     "ibuprofen|ibuprofeno"),
    # the Spanish-only label
    ("product:lemon-verbena", EXACT, "wikidata:Q90000004", LEXICAL, "0.9", PREF, LABEL,
     "hierba luisa"),
    ("product:metformin", EXACT, "wikidata:Q19484", LEXICAL, "0.9", PREF, LABEL,
     "metformin|metformina"),
    # the salt, reached through our alias, is narrower than our entry
    ("product:metformin", NARROW, "wikidata:Q90000001", LEXICAL, "0.75", ALT, LABEL,
     "metformin hydrochloride"),
    # settled by the shared ATC code and CAS number, before any name is asked
    ("product:paracetamol", EXACT, "wikidata:Q57055", SHARED, "0.95", ALT,
     "wdt:P231|wdt:P267", "103-90-2|N02BE01"),
    # a name with an apostrophe; the Spanish label matched without its accent
    ("product:st-john-s-wort", EXACT, "wikidata:Q90000005", LEXICAL, "0.9", PREF, LABEL,
     "hiperico|st john's wort"),
    # the homonymous emperor is dropped by type; the plant is found by aliases
    ("product:valerian", EXACT, "wikidata:Q90000003", LEXICAL, "0.75", f"{ALT}|{PREF}",
     f"{LABEL}|{ALT}", "valerian|valeriana|valeriana officinalis"),
    (REFERENCE, EXACT, "wikidata:Q90000008", SHARED, "0.95", "bibo:pmid", "wdt:P698",
     "11111111"),
]
ROW_COLUMNS = ("subject_id", "predicate_id", "object_id", "mapping_justification",
               "confidence", "subject_match_field", "object_match_field", "match_string")


def rows_of(path: Path, columns: tuple[str, ...] = ROW_COLUMNS) -> list[tuple[str, ...]]:
    return [tuple(m.get(c) for c in columns) for m in read_mapping_set(path).mappings]


def run(target: str, endpoint, tmp_path: Path, mappings: Path | None = None,
        cache: Path | None = None, batch_size: int = 100):
    """Link a target; endpoint is a URL or a LoopbackEndpoint."""
    client = SparqlClient(getattr(endpoint, "url", endpoint), cache)
    output = tmp_path / "candidates" / f"{target}.sssom.tsv"
    result = link_candidates(target, client, OUR_GRAPH, output, mappings, batch_size=batch_size,
                             on=date(2025, 1, 2))
    return result, output


def test_wikidata_candidates_are_exactly_these_rows(endpoint_url, tmp_path):
    result, output = run("wikidata", endpoint_url, tmp_path)
    assert rows_of(output) == WIKIDATA_ROWS
    assert result.mappings == len(WIKIDATA_ROWS)
    labels = {m.object_id: m.get("object_label") for m in read_mapping_set(output).mappings}
    assert labels["wikidata:Q90000004"] == "hierba luisa"
    assert labels["wikidata:Q90000003"] == "Valeriana officinalis"  # the "mul" label


def test_candidates_are_a_valid_sssom_file_apart_from_accepted_mappings(wikidata, tmp_path):
    _, output = run("wikidata", wikidata, tmp_path)
    sets, problems = read_and_check([output])
    assert problems == []
    assert sets[0].is_candidates
    header = sets[0].metadata
    assert header["mapping_set_id"] == \
        "https://w3id.org/lactgraph/mappings/candidates/wikidata.sssom.tsv"
    assert (header["mapping_tool"], header["mapping_date"]) == ("lactgraph link", "2025-01-02")


def test_the_endpoint_sees_one_polite_request_at_a_time(wikidata, tmp_path):
    result, _ = run("wikidata", wikidata, tmp_path)
    # identifiers, the items they found, names of the products left, the items those found
    assert result.requests == wikidata.requests == 4
    assert wikidata.most_active == 1
    assert {seen.user_agent for seen in wikidata.seen} == {USER_AGENT}


def test_small_batches_ask_more_often_and_find_the_same(wikidata, tmp_path):
    result, output = run("wikidata", wikidata, tmp_path, batch_size=5)
    assert result.requests > 10
    assert rows_of(output) == WIKIDATA_ROWS


def test_a_second_run_is_answered_from_the_cache(wikidata, tmp_path):
    run("wikidata", wikidata, tmp_path, cache=tmp_path / "cache")
    asked = wikidata.requests
    result, output = run("wikidata", wikidata, tmp_path, cache=tmp_path / "cache")
    assert wikidata.requests == asked  # nothing more reached the endpoint
    assert (result.requests, result.cache_hits) == (0, asked)
    assert rows_of(output) == WIKIDATA_ROWS


def test_decided_pairs_are_never_proposed_again(wikidata, tmp_path):
    # the fixture's accepted set rejects ginger-the-spice, accepts ibuprofen, paracetamol
    # and the reference
    _, output = run("wikidata", wikidata, tmp_path, FIXTURES / "mappings")
    subjects_and_objects = [(row[0], row[2], row[4]) for row in rows_of(output)]
    assert subjects_and_objects == [
        ("product:ginger", "wikidata:Q90000006", "0.9"),  # no longer tied with the spice
        ("product:lemon-verbena", "wikidata:Q90000004", "0.9"),
        ("product:metformin", "wikidata:Q19484", "0.9"),
        ("product:metformin", "wikidata:Q90000001", "0.75"),
        ("product:st-john-s-wort", "wikidata:Q90000005", "0.9"),
        ("product:valerian", "wikidata:Q90000003", "0.75"),
    ]


CHAINED = ("subject_id", "predicate_id", "object_id", "mapping_justification", "confidence",
           "comment")


def test_chebi_mesh_and_ncbitaxon_are_reached_by_chaining(endpoint_url, tmp_path):
    _, chebi = run("chebi", endpoint_url, tmp_path)
    assert rows_of(chebi, CHAINED) == [
        ("product:ibuprofen", EXACT, "CHEBI:5855", CHAINING, "0.855",
         "via wikidata:Q186969 (wdt:P683)"),
        ("product:metformin", EXACT, "CHEBI:6801", CHAINING, "0.855",
         "via wikidata:Q19484 (wdt:P683)"),
        ("product:metformin", NARROW, "CHEBI:6802", CHAINING, "0.713",
         "via wikidata:Q90000001 (wdt:P683)"),
        ("product:paracetamol", EXACT, "CHEBI:46195", CHAINING, "0.903",
         "via wikidata:Q57055 (wdt:P683)"),
    ]
    _, mesh = run("mesh", endpoint_url, tmp_path)
    assert [row[:3] for row in rows_of(mesh, CHAINED)] == [
        ("product:ibuprofen", EXACT, "MESH:D007052"),
        ("product:metformin", EXACT, "MESH:D008687"),
        ("product:paracetamol", EXACT, "MESH:D000082"),
    ]
    _, taxa = run("ncbitaxon", endpoint_url, tmp_path)
    assert [row[:3] + row[4:5] for row in rows_of(taxa, CHAINED)] == [
        ("product:ginger", EXACT, "NCBITaxon:94328", "0.475"),
        ("product:st-john-s-wort", EXACT, "NCBITaxon:65561", "0.855"),
        ("product:valerian", EXACT, "NCBITaxon:19949", "0.713"),
    ]


def test_atc_codes_are_close_matches_and_accepted_wikidata_links_are_chained(wikidata, tmp_path):
    accepted = tmp_path / "mappings"
    shutil.copytree(FIXTURES / "mappings", accepted)
    (accepted / "atc.sssom.tsv").unlink()  # paracetamol's ATC code is not decided yet
    _, atc = run("atc", wikidata, tmp_path, accepted)
    assert rows_of(atc, CHAINED)[:4] == [
        # ibuprofen's Wikidata link was accepted with confidence 0.9
        ("product:ibuprofen", CLOSE, "atc:C01EB16", CHAINING, "0.855",
         "via wikidata:Q186969 (wdt:P267)"),
        ("product:ibuprofen", CLOSE, "atc:G02CC01", CHAINING, "0.855",
         "via wikidata:Q186969 (wdt:P267)"),
        ("product:ibuprofen", CLOSE, "atc:M01AE01", CHAINING, "0.855",
         "via wikidata:Q186969 (wdt:P267)"),
        ("product:metformin", CLOSE, "atc:A10BA02", CHAINING, "0.855",
         "via wikidata:Q19484 (wdt:P267)"),  # narrowMatch then closeMatch: no salt's code
    ]
    assert len(rows_of(atc)) == 5
    _, chebi = run("chebi", wikidata, tmp_path, accepted)
    assert [row[:3] for row in rows_of(chebi)] == [  # paracetamol is decided in chebi
        ("product:ibuprofen", EXACT, "CHEBI:5855"), ("product:metformin", EXACT, "CHEBI:6801")]


@pytest.mark.parametrize("name", ["St John's wort", 'Coolsculpting "fat freezing"',
                                  'x"@en } UNION { ?item ?field ?name } #', "back\\slash"])
def test_a_name_is_always_one_literal_of_the_query(name):
    query = name_query([Literal(v, lang="en") for v in name_variants(name)])
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("http://x/item"), ox.NamedNode(
        "http://www.w3.org/2000/01/rdf-schema#label"), ox.Literal(name, language="en")))
    store.add(ox.Quad(ox.NamedNode("http://x/other"), ox.NamedNode(
        "http://www.w3.org/2000/01/rdf-schema#label"), ox.Literal("other", language="en")))
    found = [(row["item"].value, row["name"].value) for row in store.query(query)]
    assert found == [("http://x/item", name)]


def test_link_command_writes_candidates_and_reports_errors_in_one_line(wikidata, tmp_path):
    output = tmp_path / "candidates" / "wikidata.sssom.tsv"
    done = lactgraph("link", "--target", "wikidata", "--endpoint", wikidata.url, "-o",
                     str(output), "--graph", str(OUR_GRAPH), "--mappings", str(tmp_path),
                     "--cache", str(tmp_path / "cache"), "--pause", "0")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (f"lactgraph: wrote 10 candidate mapping(s) to {output} "
                                   "(4 request(s), 0 answer(s) from the cache)")
    assert rows_of(output) == WIKIDATA_ROWS

    failed = lactgraph("link", "--target", "wikidata", "-o", str(output), "--endpoint",
                       "query.wikidata.org")
    assert failed.returncode == 2
    assert failed.stderr == ("lactgraph link: error: argument --endpoint: "
                             "'query.wikidata.org': expected an http(s) URL\n")
    for args, message in [
        (("--endpoint", wikidata.url, "--graph", str(tmp_path / "none")),
         f"lactgraph: error: {tmp_path / 'none'}: file not found"),
        (("--endpoint", wikidata.url, "-o", str(tmp_path)),
         f"lactgraph: error: {tmp_path}: a folder: expected a file to write (or none)"),
    ]:
        failed = lactgraph("link", "--target", "wikidata", "-o", str(output), "--no-cache",
                           "--graph", str(OUR_GRAPH), *args)
        assert failed.returncode == 1
        assert failed.stderr.strip() == message


def test_the_subjects_read_from_their_predicates_alone_are_those_of_the_whole_graph():
    """The linker and `mappings check` read only the predicates they use (a graph of
    50,000 products in rdflib needs more memory than the machine has)."""
    from lactgraph.link.subjects import graph_subjects, subject_predicates, subjects_from_graph
    from lactgraph.rdfio import read_graph

    whole = read_graph([OUR_GRAPH])
    kept = read_graph([OUR_GRAPH], predicates=subject_predicates())
    assert len(kept) < len(whole) / 2
    assert subjects_from_graph(kept) == subjects_from_graph(whole)
    assert graph_subjects(kept) == graph_subjects(whole)
    assert any(s.names and s.identifiers for s in subjects_from_graph(whole))
