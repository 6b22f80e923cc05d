"""SSSOM/TSV mapping sets: round trips, CURIEs, and problems that name file and line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lactgraph.errors import SourceError
from lactgraph.link import prefixes
from lactgraph.link.sssom import (
    CURIE_COLUMNS,
    Mapping,
    MappingSet,
    check_mapping_sets,
    format_mapping_set,
    parse_mapping_set,
    read_and_check,
    read_mapping_set,
    write_mapping_set,
)
from lactgraph.link.subjects import graph_subjects
from lactgraph.rdfio import read_graph

from .conftest import FIXTURES, OUR_GRAPH, lactgraph

ACCEPTED = FIXTURES / "mappings"
HEADER = """\
#mapping_set_id: https://w3id.org/lactgraph/mappings/chebi.sssom.tsv
#license: https://creativecommons.org/licenses/by-nc-sa/4.0/
#curie_map:
#  CHEBI: http://purl.obolibrary.org/obo/CHEBI_
#  product: https://w3id.org/lactgraph/product/
#  semapv: https://w3id.org/semapv/vocab/
#  orcid: https://orcid.org/
"""
COLUMNS = "subject_id\tpredicate_id\tpredicate_modifier\tobject_id\tmapping_justification\t" \
          "confidence\n"
REVIEWER = "orcid:0000-0002-1825-0097"
REVIEWED_COLUMNS = COLUMNS.replace("\n", "\treviewer_id\n")


def lines_of(problems) -> list[tuple[int | None, str]]:
    return [(p.line, p.message) for p in problems]


@pytest.mark.parametrize("name", ["wikidata", "chebi", "atc"])
def test_a_mapping_set_round_trips_unchanged(name):
    path = ACCEPTED / f"{name}.sssom.tsv"
    text = path.read_text("utf-8")
    assert format_mapping_set(parse_mapping_set(text, path)) == text


def test_written_then_read_gives_the_same_rows(tmp_path):
    rows = [Mapping.of("product:st-john-s-wort", "skos:exactMatch", "wikidata:Q90000005",
                       "semapv:LexicalMatching", subject_label="St John's \"wort\"",
                       confidence=0.9, match_string=["st john's wort", "hiperico"],
                       subject_match_field=["skos:prefLabel"])]
    metadata = {"mapping_set_id": "https://w3id.org/lactgraph/mappings/x.sssom.tsv",
                "license": "https://creativecommons.org/licenses/by-nc-sa/4.0/",
                "curie_map": {"product": prefixes.expand("product:"),
                              "wikidata": prefixes.expand("wikidata:")}}
    write_mapping_set(MappingSet(metadata, rows), tmp_path / "x.sssom.tsv")
    read = read_mapping_set(tmp_path / "x.sssom.tsv")
    assert read.metadata == metadata
    assert [m.values for m in read.mappings] == [rows[0].values]
    assert read.mappings[0].all("match_string") == ["st john's wort", "hiperico"]
    assert read.mappings[0].line == 6 + 1  # 6 header lines, the column row, then the row


def test_the_fixture_sets_are_valid_and_every_curie_expands():
    graph = read_graph([OUR_GRAPH])
    sets, problems = read_and_check([ACCEPTED], graph_subjects(graph))
    assert problems == []
    assert {ms.name for ms in sets} == {"wikidata", "chebi", "atc"}
    for ms in sets:
        for prefix, namespace in ms.curie_map.items():
            assert prefixes.prefix_map()[prefix] == namespace
        for mapping in ms.mappings:
            for column in CURIE_COLUMNS & mapping.values.keys():
                for curie in mapping.all(column):
                    assert prefixes.expand(curie), curie


def test_another_sssom_implementation_reads_our_files_alike():
    sssom_pydantic = pytest.importorskip("sssom_pydantic")
    for path in sorted(ACCEPTED.glob("*.sssom.tsv")):
        ours = read_mapping_set(path)
        theirs, _, mapping_set, errors = sssom_pydantic.read(path, return_errors=True)
        assert errors == []
        assert str(mapping_set.id) == ours.metadata["mapping_set_id"]
        assert [(m.subject.curie, m.predicate.curie, m.object.curie, m.predicate_modifier == "Not",
                 m.confidence) for m in theirs] == \
            [(m.subject_id, m.predicate_id, m.object_id, m.negated, m.confidence)
             for m in ours.mappings]


def test_each_problem_of_a_file_names_its_line(tmp_path):
    rows = [
        "product:a\tskos:exactMatch\t\tCHEBI:1\tsemapv:LexicalMatching\t0.9",  # fine
        "product:b\towl:sameAs\t\tCHEBI:2\tsemapv:LexicalMatching\t",
        "product:c\tskos:exactMatch\tNo\tCHEBI:3\tsemapv:Guessing\t1.5",
        "product:d\tskos:exactMatch\t\tCHEBI:abc\tsemapv:LexicalMatching\t",
        "product:e\tskos:exactMatch\t\tMESH:D000082\tsemapv:LexicalMatching\t",
        "product:f\tskos:exactMatch\t\tfoo:1\tsemapv:LexicalMatching\t",
        "product:g\tskos:exactMatch\t\tchebi:4\tsemapv:LexicalMatching\t",
        "group:h\tskos:exactMatch\t\tCHEBI:5\t\t",
        "product:i\tskos:exactMatch\tCHEBI:6",
        "product:a\tskos:exactMatch\t\tCHEBI:1\tsemapv:LexicalMatching\t0.9",
    ]
    rows = [row if row.count("\t") < 5 else f"{row}\t{REVIEWER}" for row in rows]
    path = tmp_path / "chebi.sssom.tsv"
    path.write_text(HEADER.replace("#license: https://creativecommons.org/licenses/by-nc-sa/"
                                   "4.0/\n", "") + REVIEWED_COLUMNS + "\n".join(rows) + "\n")
    _, problems = read_and_check([path])
    assert all(p.path == str(path) for p in problems)
    assert lines_of(problems) == [
        (1, "the header has no license (required: mapping_set_id, license, curie_map)"),
        (9, "predicate_id 'owl:sameAs': expected one of skos:exactMatch, skos:closeMatch, "
            "skos:broadMatch, skos:narrowMatch, skos:relatedMatch"),
        (10, "predicate_modifier 'No': the only modifier is 'Not'"),
        (10, "mapping_justification 'semapv:Guessing' is not a semapv matching process"),
        (10, "confidence '1.5': expected a number from 0 to 1"),
        (11, "object_id 'CHEBI:abc' is not a ChEBI identifier (expected CHEBI:[1-9][0-9]*)"),
        (12, "object_id 'MESH:D000082': prefix 'MESH' is not declared in the header's curie_map"),
        (12, "object_id 'MESH:D000082' belongs in mesh.sssom.tsv, not in chebi.sssom.tsv"),
        (13, "object_id 'foo:1': prefix 'foo' is not in the committed prefix map "
             "(src/lactgraph/data/prefixes.json)"),
        (13, "object_id 'foo:1' is not an identifier of a known target (wikidata, chebi, atc, "
             "mesh, drugbank, rxnorm, unii, pubchem, ncbitaxon, mondo)"),
        (14, "object_id 'chebi:4': write it 'CHEBI:4' (the committed prefix)"),
        (15, "empty mapping_justification (required)"),
        (15, "subject_id 'group:h': prefix 'group' is not declared in the header's curie_map"),
        (15, "subject_id 'group:h' is not a lactgraph product or reference"),
        (16, "3 cells where the header row names 7 columns"),
        (17, "the same mapping as line 8"),
    ]


def test_what_spreadsheets_and_editors_write_is_read_with_the_lines_an_editor_shows(tmp_path):
    """A byte-order mark made every line a problem (52 for a two-row file); a blank line
    before the column row, or a U+2028 in a label, shifted or split rows."""
    path = tmp_path / "chebi.sssom.tsv"
    columns = COLUMNS.replace("confidence\n", "object_label\treviewer_id\n")
    path.write_text("\ufeff" + HEADER + "\n" + columns
                    + "product:a\tskos:exactMatch\t\tCHEBI:1\tsemapv:LexicalMatching\tx\u2028y\t"
                    + f"{REVIEWER}\n"
                    + f"product:b\tskos:exactMatch\t\tCHEBI:2\tsemapv:Bogus\t\t{REVIEWER}\n",
                    "utf-8")
    ms = read_mapping_set(path)
    assert [m.values.get("object_label") for m in ms.mappings] == ["x\u2028y", None]
    assert lines_of(check_mapping_sets([ms])) == [
        (11, "mapping_justification 'semapv:Bogus' is not a semapv matching process")]
    quoted = "".join('"' + line.replace('"', '""') + '"\n' if line.startswith("#") else
                     "\t".join(f'"{cell}"' for cell in line.split("\t")) + "\n" if line
                     else "\n"
                     for line in path.read_text("utf-8").lstrip("\ufeff").split("\n")[:-1])
    path.write_text(quoted, "utf-8")  # LibreOffice's "quote all text cells"
    again = read_mapping_set(path)
    assert again.metadata == ms.metadata and [m.values for m in again.mappings] == [
        m.values for m in ms.mappings]
    path.write_bytes(HEADER.encode() + COLUMNS.encode()
                     + "product:a\tskos:exactMatch\t\tCHEBI:1\tsemapv:LexicalMatching\tCavitaci"
                       "\u00f3n\n".encode("cp1252"))
    with pytest.raises(SourceError) as caught:
        read_mapping_set(path)
    assert (caught.value.line, caught.value.message) == (
        9, "byte 0xf3 is not UTF-8 (save the file as UTF-8)")


def test_typed_slots_as_a_spreadsheet_rewrites_them_are_problems(tmp_path):
    """A date or a number a spreadsheet rewrote ("02/01/2025", "0,9") and values outside an
    enumeration passed the check and were published; sssom-pydantic refuses them."""
    path = tmp_path / "chebi.sssom.tsv"
    path.write_text(HEADER.replace("#license:", "#mapping_date: 02/01/2025\n#license:")
                    + "subject_id\tpredicate_id\tobject_id\tmapping_justification\t"
                      "mapping_date\tconfidence\tsimilarity_score\tsubject_type\t"
                      "mapping_cardinality\treviewer_id\n"
                    + "product:a\tskos:exactMatch\tCHEBI:1\tsemapv:LexicalMatching\t"
                      f"2025-02-30\t0,9\t7\tClass\tone-to-one\t{REVIEWER}\n"
                    + "product:b\tskos:exactMatch\tCHEBI:2\tsemapv:LexicalMatching\t"
                      f"2025-01-02\t0.9\t0.5\towl class\t1:1\t{REVIEWER}\n")
    _, problems = read_and_check([path])
    assert lines_of(problems) == [
        (2, "mapping_date '02/01/2025': expected a date as YYYY-MM-DD"),
        (10, "mapping_date '2025-02-30': expected a date as YYYY-MM-DD"),
        (10, "confidence '0,9': expected a number from 0 to 1"),
        (10, "similarity_score '7': expected a number from 0 to 1"),
        (10, "subject_type 'Class': expected one of owl class, owl object property, owl data "
             "property, owl annotation property, owl named individual, skos concept, rdfs "
             "resource, rdfs class, rdfs literal, rdfs datatype, rdf property, composed entity "
             "expression"),
        (10, "mapping_cardinality 'one-to-one': expected one of 1:1, 1:n, n:1, 1:0, 0:1, n:n, "
             "0:0"),
    ]


def test_a_header_key_given_twice_is_a_problem_not_the_last_one_silently(tmp_path):
    path = tmp_path / "chebi.sssom.tsv"
    path.write_text(HEADER.replace("#curie_map:", "#license: https://creativecommons.org/"
                                   "licenses/by/4.0/\n#curie_map:") + COLUMNS)
    _, problems = read_and_check([path])
    assert lines_of(problems) == [
        (3, "the header is not YAML: 'license' is given twice (YAML keys are unique)")]


def test_an_accepted_set_is_one_targets_and_names_its_own_iri(tmp_path):
    """A set named after no target got a linkset whose target changed from run to run; a
    candidates header copied unchanged named the set by an IRI never served."""
    manual = _accepted_set(tmp_path / "manual.sssom.tsv", [
        "product:a\tskos:exactMatch\t\tCHEBI:1\tsemapv:ManualMappingCuration\t"])
    copied = tmp_path / "copied" / "chebi.sssom.tsv"
    copied.parent.mkdir()
    copied.write_text(HEADER.replace("mappings/chebi", "mappings/candidates/chebi")
                      + REVIEWED_COLUMNS + "product:b\tskos:exactMatch\t\tCHEBI:2\t"
                      f"semapv:LexicalMatching\t\t{REVIEWER}\n")
    assert [str(p) for p in check_mapping_sets([manual, read_mapping_set(copied)])] == [
        f"{manual.path}: an accepted mapping set is one target's: name the file "
        "<target>.sssom.tsv, the target one of wikidata, chebi, atc, mesh, drugbank, rxnorm, "
        "unii, pubchem, ncbitaxon, mondo",
        f"{manual.path}:1: mapping_set_id 'https://w3id.org/lactgraph/mappings/chebi.sssom.tsv'"
        ": an accepted set is published at <base>mappings/manual.sssom.tsv, which its "
        "mapping_set_id must be (a copied candidates header keeps the candidates' IRI)",
        f"{copied}:1: mapping_set_id 'https://w3id.org/lactgraph/mappings/candidates/chebi."
        "sssom.tsv': an accepted set is published at <base>mappings/chebi.sssom.tsv, which its "
        "mapping_set_id must be (a copied candidates header keeps the candidates' IRI)",
    ]


def test_header_problems_name_the_header_line(tmp_path):
    path = tmp_path / "chebi.sssom.tsv"
    path.write_text(HEADER.replace("http://purl.obolibrary.org/obo/CHEBI_",
                                   "http://purl.obolibrary.org/obo/chebi_")
                    + "#  nosuch: http://example.org/\n"
                    + "subject_id\tpredicate_id\tobject_id\tcolour\n")
    _, problems = read_and_check([path])
    assert lines_of(problems) == [
        (4, "prefix 'CHEBI' maps to 'http://purl.obolibrary.org/obo/chebi_'; the committed prefix "
            "map says 'http://purl.obolibrary.org/obo/CHEBI_'"),
        (8, "prefix 'nosuch' is not in the committed prefix map "
            "(src/lactgraph/data/prefixes.json)"),
        (9, "missing required column(s): mapping_justification"),
        (9, "unknown column(s): colour (not SSSOM slots, nor declared in "
            "extension_definitions)"),
    ]


def test_header_values_of_the_wrong_kind_are_problems_not_tracebacks(tmp_path):
    """An audit's findings: an impossible date in the header was PyYAML's ValueError, and
    `extension_definitions: 5` a TypeError, from `mappings check` and from the build; an
    unknown key (a misspelt slot) and a YAML-only value passed without a word."""
    header = HEADER.replace("#curie_map:", "#mapping_date: 2026-13-45\n#mapping_set_versoin: 1"
                            "\n#extension_definitions: 5\n#curie_map:")
    path = tmp_path / "chebi.sssom.tsv"
    path.write_text(header + COLUMNS)
    _, problems = read_and_check([path])
    assert lines_of(problems) == [
        (3, "mapping_date '2026-13-45': expected a date as YYYY-MM-DD"),
        (4, "unknown metadata key 'mapping_set_versoin' (not an SSSOM mapping set slot, nor "
            "declared in extension_definitions)"),
        (5, "extension_definitions must be a list of mappings, each with a slot_name"),
    ]
    path.write_text(HEADER.replace("#curie_map:", "#comment: !!binary aGVsbG8=\n#curie_map:")
                    + COLUMNS)
    _, problems = read_and_check([path])
    assert lines_of(problems) == [
        (3, "comment: a YAML bytes is not an SSSOM value (text, number, list or mapping)")]
    path.write_text(HEADER.replace("#curie_map:", "#mapping_date: 2026-01-05\n"
                                   "#curation_rule_text: each row read twice\n#curie_map:")
                    + COLUMNS)  # (curation_rule_text: an SSSOM slot a review found refused)
    ms, problems = read_and_check([path])
    assert problems == [] and ms[0].metadata["mapping_date"] == "2026-01-05"
    result = lactgraph("mappings", "check", str(path.parent))
    assert result.returncode == 0, result.stderr


def test_a_comment_line_among_the_rows_is_named_as_such(tmp_path):
    ms = _accepted_set(tmp_path / "chebi.sssom.tsv", [
        "product:ginger\tskos:closeMatch\t\tCHEBI:3\tsemapv:LexicalMatching\t",
        "# reviewed up to here",
        "product:mint\tskos:closeMatch\t\tCHEBI:4\tsemapv:LexicalMatching\t"])
    assert [m.subject_id for m in ms.mappings] == ["product:ginger", "product:mint"]
    assert lines_of(check_mapping_sets([ms])) == [
        (10, "a comment line after the column header row (SSSOM/TSV has comment lines only "
             "in the metadata block above it)")]


def test_a_missing_column_header_row_is_named_as_such(tmp_path):
    """The first mapping row was read as the column names: 'column(s) named twice: '
    (its empty cells), naming no column (an audit's finding)."""
    path = tmp_path / "chebi.sssom.tsv"
    path.write_text(HEADER + "product:x\tskos:exactMatch\t\tCHEBI:1\t"
                    "semapv:ManualMappingCuration\t\n")
    _, problems = read_and_check([path])
    [problem] = problems
    assert problem.line == 8  # the header's seven lines, then this one
    assert problem.message.startswith("expected the column header row (naming subject_id, "
                                      "predicate_id, object_id, mapping_justification...)")
    assert "found 'product:x | skos:exactMatch |" in problem.message


def test_a_file_that_is_not_sssom_is_one_problem_among_others(tmp_path):
    (tmp_path / "broken.sssom.tsv").write_text("#curie_map: [unclosed\nsubject_id\n")
    shutil.copy(ACCEPTED / "atc.sssom.tsv", tmp_path)
    sets, problems = read_and_check([tmp_path])
    assert [ms.name for ms in sets] == ["atc"]
    assert [str(p) for p in problems] == [
        f"{tmp_path / 'broken.sssom.tsv'}:2: the header is not YAML: "
        "expected ',' or ']', but got '<stream end>'"]


def _accepted_set(path: Path, rows: list[str], reviewed: bool = True) -> MappingSet:
    """A set of the rows (COLUMNS' cells), each reviewed by REVIEWER unless told not."""
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = REVIEWED_COLUMNS if reviewed else COLUMNS
    if reviewed:
        rows = [row if row.startswith("#") else f"{row}\t{REVIEWER}" for row in rows]
    path.write_text(HEADER + columns + "\n".join(rows) + "\n")
    return read_mapping_set(path)


def test_conflicts_across_accepted_sets_are_reported(tmp_path):
    first = _accepted_set(tmp_path / "chebi.sssom.tsv", [
        "product:ginger\tskos:exactMatch\t\tCHEBI:1\tsemapv:LexicalMatching\t",
        "product:ginger\tskos:exactMatch\t\tCHEBI:2\tsemapv:LexicalMatching\t",
        "product:ginger\tskos:closeMatch\t\tCHEBI:3\tsemapv:LexicalMatching\t",
    ])
    second = _accepted_set(tmp_path / "more" / "chebi.sssom.tsv", [
        "product:ginger\tskos:closeMatch\tNot\tCHEBI:3\tsemapv:ManualMappingCuration\t",
    ])
    candidates = _accepted_set(tmp_path / "candidates" / "chebi.sssom.tsv", [
        "product:ginger\tskos:exactMatch\t\tCHEBI:9\tsemapv:LexicalMatching\t",
    ])
    problems = check_mapping_sets([first, second, candidates])
    assert [str(p) for p in problems] == [
        f"{first.path}:10: product:ginger has two exact matches in ChEBI: CHEBI:1 "
        f"({first.path}:9) and CHEBI:2",
        f"{second.path}:9: product:ginger skos:closeMatch CHEBI:3 is both accepted and "
        f"rejected (see {first.path}:11)",
    ]


def test_an_accepted_mapping_names_its_reviewer_or_its_author(tmp_path):
    """A candidate row moved into an accepted set without review (the README's step: add
    your ORCID in reviewer_id) was published as a link (an audit's finding). A mapping
    made by hand names its author; a candidates file is not checked for either."""
    accepted = _accepted_set(tmp_path / "chebi.sssom.tsv", [
        "product:a\tskos:exactMatch\t\tCHEBI:1\tsemapv:LexicalMatching\t0.5",
        "product:b\tskos:closeMatch\t\tCHEBI:2\tsemapv:ManualMappingCuration\t"],
        reviewed=False)
    candidates = _accepted_set(tmp_path / "candidates" / "chebi.sssom.tsv", [
        "product:c\tskos:exactMatch\t\tCHEBI:3\tsemapv:LexicalMatching\t0.5"],
        reviewed=False)
    expected = ("an accepted mapping names who reviewed it (reviewer_id), or, made by hand "
                "(semapv:ManualMappingCuration), who made it (author_id): a candidate copied "
                "without review would be published")
    assert lines_of(check_mapping_sets([accepted, candidates])) == [(9, expected), (10, expected)]
    authored = tmp_path / "authored" / "chebi.sssom.tsv"
    authored.parent.mkdir()
    authored.write_text(HEADER + COLUMNS.replace("\n", "\tauthor_id\n")
                        + "product:b\tskos:closeMatch\t\tCHEBI:2\tsemapv:ManualMappingCuration"
                        f"\t\t{REVIEWER}\n"
                        + "product:a\tskos:exactMatch\t\tCHEBI:1\tsemapv:LexicalMatching"
                        f"\t0.5\t{REVIEWER}\n")
    assert lines_of(check_mapping_sets([read_mapping_set(authored)])) == [(10, expected)]


def test_two_subjects_exactly_matching_one_object_are_a_conflict(tmp_path):
    """n:1 exact matches said, with schema:sameAs, that two products were one (an audit's
    finding); close matches may share an object."""
    first = _accepted_set(tmp_path / "chebi.sssom.tsv", [
        "product:ibuprofen\tskos:exactMatch\t\tCHEBI:5855\tsemapv:LexicalMatching\t",
        "product:ginger\tskos:closeMatch\t\tCHEBI:3\tsemapv:LexicalMatching\t",
        "product:mint\tskos:closeMatch\t\tCHEBI:3\tsemapv:LexicalMatching\t"])
    second = _accepted_set(tmp_path / "more" / "chebi.sssom.tsv", [
        "product:paracetamol\tskos:exactMatch\t\tCHEBI:5855\tsemapv:LexicalMatching\t"])
    assert [str(p) for p in check_mapping_sets([first, second])] == [
        f"{second.path}:9: CHEBI:5855 is the exact match of two subjects: product:ibuprofen "
        f"({first.path}:9) and product:paracetamol (an exact match says they are one; "
        "skos:closeMatch says they are alike)"]


def test_a_mapping_accepted_in_two_files_and_a_reference_as_a_concept_are_reported(
        tmp_path):
    first = _accepted_set(tmp_path / "chebi.sssom.tsv", [
        "product:ginger\tskos:closeMatch\t\tCHEBI:3\tsemapv:LexicalMatching\t"])
    second = _accepted_set(tmp_path / "more" / "chebi.sssom.tsv", [
        "product:ginger\tskos:closeMatch\t\tCHEBI:3\tsemapv:ManualMappingCuration\t",
        "reference:doe-2001-abc\tskos:closeMatch\t\tCHEBI:4\tsemapv:LexicalMatching\t"])
    assert [str(p) for p in check_mapping_sets([first, second])
            if "not declared in the header" not in p.message] == [
        f"{second.path}:10: predicate_id 'skos:closeMatch': a reference is linked to the "
        "article it is (skos:exactMatch, published as schema:sameAs), or not at all",
        f"{second.path}:9: the same mapping as {first.path}:9",
    ]


def test_subjects_must_be_products_or_references_of_the_graph(tmp_path):
    """An identifier without a prefix (lines 11 and 12) was a NoCURIEDelimiterError
    traceback, from `mappings check` and from the build."""
    ms = _accepted_set(tmp_path / "chebi.sssom.tsv", [
        "product:paracetamol\tskos:exactMatch\t\tCHEBI:46195\tsemapv:LexicalMatching\t",
        "product:aspirin\tskos:exactMatch\t\tCHEBI:15365\tsemapv:LexicalMatching\t",
        "paracetamol\tskos:exactMatch\t\tCHEBI:46195\tsemapv:LexicalMatching\t",
        "product:paracetamol\tskos:closeMatch\t\t46195\tsemapv:LexicalMatching\t",
    ])
    subjects = graph_subjects(read_graph([OUR_GRAPH]))
    assert lines_of(check_mapping_sets([ms], subjects)) == [
        (11, "subject_id 'paracetamol' is not a CURIE (prefix:identifier)"),
        (11, "subject_id 'paracetamol' is not a lactgraph product or reference"),
        (12, "object_id '46195' is not a CURIE (prefix:identifier)"),
        (11, f"CHEBI:46195 is the exact match of two subjects: product:paracetamol "
             f"({ms.path}:9) and paracetamol (an exact match says they are one; "
             "skos:closeMatch says they are alike)"),
        (10, "subject product:aspirin is not a product or reference of the graph")]


def test_mappings_check_command_prints_problems_or_a_summary(tmp_path):
    good = lactgraph("mappings", "check", str(ACCEPTED), "--graph", str(OUR_GRAPH))
    assert good.returncode == 0, good.stderr
    assert good.stdout.strip() == "lactgraph: 3 mapping set(s), 7 mapping(s): no problems"

    _accepted_set(tmp_path / "chebi.sssom.tsv", [
        "product:x\tskos:exactMatch\t\tCHEBI:abc\tsemapv:LexicalMatching\t"])
    bad = lactgraph("mappings", "check", str(tmp_path))
    assert bad.returncode == 1
    assert "Traceback" not in bad.stderr
    assert bad.stderr.splitlines() == [
        "lactgraph: error: 1 problem(s) in mapping sets:",
        f"  {tmp_path / 'chebi.sssom.tsv'}:9: object_id 'CHEBI:abc' is not a ChEBI identifier "
        "(expected CHEBI:[1-9][0-9]*)"]

    (tmp_path / "no-graph").mkdir()  # every row would be blamed for what the graph lacks
    empty = lactgraph("mappings", "check", str(ACCEPTED), "--graph", str(tmp_path / "no-graph"))
    assert empty.returncode == 1
    assert empty.stderr.startswith(f"lactgraph: error: {tmp_path / 'no-graph'}: no RDF file "
                                   "here")
    assert len(empty.stderr.splitlines()) == 1
