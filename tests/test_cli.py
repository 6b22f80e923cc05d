"""`lactgraph import` and `lactgraph validate` as a user runs them, and the limits a
server is given (flags and environment) checked before it starts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Graph, Namespace

from lactgraph.config import settings_from_env
from lactgraph.errors import LactgraphError

from .cli_helpers import assert_clean_error, run_lactgraph, scratch_project
from .conftest import ROOT
from .rdf_compare import same_graph

LG = Namespace("https://w3id.org/lactgraph/ontology#")
PRODUCT = Namespace("https://w3id.org/lactgraph/product/")
RISK = Namespace("https://w3id.org/lactgraph/risk/")

TWO_RISK_LEVELS = """
@prefix lg: <https://w3id.org/lactgraph/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<https://w3id.org/lactgraph/product/x> a lg:Product ; skos:prefLabel "X"@en ;
    lg:riskLevel <https://w3id.org/lactgraph/risk/0>, <https://w3id.org/lactgraph/risk/2> .
"""


def test_import_writes_rdf_for_a_page(tmp_path):
    out = tmp_path / "out.ttl"
    result = run_lactgraph("import", str(ROOT / "sources" / "mesotherapy.txt"), "-o", str(out),
                           cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    graph = Graph().parse(out)
    assert graph.value(PRODUCT.mesotherapy, LG.riskLevel) == RISK["1"]


def test_import_goes_on_past_a_bad_file_and_exits_non_zero(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"Last update Jan. 26, 2019\n\nLikely Compatibility\n\nCaf\xe9 au lait\n")
    out = tmp_path / "out.nt"
    result = run_lactgraph("import", str(bad), str(ROOT / "sources" / "mesotherapy.txt"),
                           "-o", str(out), cwd=tmp_path)
    assert_clean_error(result, "bad.txt:5")
    graph = Graph().parse(out, format="nt")
    assert graph.value(PRODUCT.mesotherapy, LG.riskLevel) == RISK["1"]


def _imported(out: Path) -> Graph:
    result = run_lactgraph("import", str(ROOT / "sources" / "mesotherapy.txt"), "-o", str(out),
                           cwd=out.parent)
    assert result.returncode == 0, result.stderr
    return Graph().parse(out)


def test_an_import_that_imports_nothing_leaves_the_output_as_it_was(tmp_path):
    out = tmp_path / "out.ttl"
    _imported(out)
    before = out.read_bytes()
    bad = tmp_path / "bad.json"
    bad.write_text('{"producto": ')
    result = run_lactgraph("import", str(bad), "-o", str(out), cwd=tmp_path)
    assert_clean_error(result, "bad.json:1", f"nothing imported; {out} left as it was")
    assert out.read_bytes() == before


@pytest.mark.parametrize("name", ["out.rdf", "out", "mesotherapy.txt", "export.jsonl"])
def test_import_writes_only_the_formats_it_names(tmp_path, name):
    """An output that is one of the inputs (a .txt, .json or .jsonl) is refused alike."""
    page = tmp_path / "mesotherapy.txt"
    page.write_bytes((ROOT / "sources" / "mesotherapy.txt").read_bytes())
    result = run_lactgraph("import", str(page), "-o", name, cwd=tmp_path)
    assert_clean_error(result, f"{name}: expected a .ttl, .nt or .jsonld file to write")
    assert page.read_bytes() == (ROOT / "sources" / "mesotherapy.txt").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mesotherapy.txt"]


def test_an_output_through_a_link_replaces_the_links_target(tmp_path):
    target = tmp_path / "data" / "target.ttl"
    target.parent.mkdir()
    target.write_text("# old\n")
    (tmp_path / "link.ttl").symlink_to(target)
    graph = _imported(tmp_path / "link.ttl")
    assert (tmp_path / "link.ttl").is_symlink()
    assert graph.value(PRODUCT.mesotherapy, LG.riskLevel) == RISK["1"]
    assert same_graph(Graph().parse(target), graph)


@pytest.mark.parametrize("where, expected", [
    ("folder.ttl", "folder.ttl: a folder: expected a file to write"),
    ("pipe.ttl", "pipe.ttl: not a regular file"),
    ("page.txt/out.ttl", "cannot write here"),
])
def test_an_output_that_is_no_file_is_refused(tmp_path, where, expected):
    (tmp_path / "folder.ttl").mkdir()
    (tmp_path / "page.txt").write_text("a file, not a folder\n")
    os.mkfifo(tmp_path / "pipe.ttl")  # a device would do as well, but not in a test
    result = run_lactgraph("import", str(ROOT / "sources" / "mesotherapy.txt"), "-o", where,
                           cwd=tmp_path)
    assert_clean_error(result, expected)
    assert (tmp_path / "pipe.ttl").is_fifo() and (tmp_path / "folder.ttl").is_dir()


def test_validate_with_no_rdf_file_is_an_error(tmp_path):
    (tmp_path / "empty").mkdir()
    result = run_lactgraph("validate", "empty", cwd=scratch_project(tmp_path))
    assert_clean_error(result, "empty: no RDF file here: expected .json, .jsonld, .nq")
    assert "Conforms" not in result.stdout


@pytest.mark.parametrize(("name", "text"), [
    ("empty.ttl", ""),
    ("record.json", '{"producto": {"id": 7, "nombre_en": "Roman chamomile"}}'),
])
def test_validate_a_file_with_no_triples_is_an_error_not_a_pass(tmp_path, name, text):
    """Both said 'Conforms: no violations, no warnings.' and exited 0."""
    project = scratch_project(tmp_path)
    (project / name).write_text(text, "utf-8")
    result = run_lactgraph("validate", name, cwd=project)
    assert_clean_error(result, f"{name}: no RDF triples to validate")


def test_validate_the_bundled_graph_conforms():
    result = run_lactgraph("validate", "graph/", cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "violation" not in result.stdout.lower().split("conforms")[0]


def test_validate_reports_a_violation_with_focus_and_path(tmp_path):
    project = scratch_project(tmp_path)
    (project / "bad.ttl").write_text(TWO_RISK_LEVELS)
    result = run_lactgraph("validate", "bad.ttl", cwd=project)
    assert result.returncode == 1
    assert "Violations (" in result.stdout
    assert "product:x lg:riskLevel" in result.stdout
    assert "one risk level, not several" in result.stdout


def test_validate_json_for_machines(tmp_path):
    project = scratch_project(tmp_path)
    (project / "bad.ttl").write_text(TWO_RISK_LEVELS)
    result = run_lactgraph("validate", "--format", "json", "bad.ttl", cwd=project)
    report = json.loads(result.stdout)
    assert report["conforms"] is False
    violations = [f for f in report["findings"] if f["severity"] == "Violation"]
    assert any("riskLevel" in (f["path"] or "") for f in violations)


def test_validate_a_broken_turtle_file_names_its_line(tmp_path):
    project = scratch_project(tmp_path)
    (project / "broken.ttl").write_text("@prefix : <http://x/> .\n:a :b :c .\n:a :b \"oops .\n")
    result = run_lactgraph("validate", "broken.ttl", cwd=project)
    assert_clean_error(result, "broken.ttl:3")


@pytest.mark.parametrize("cells", [["a"], ["a", "b"], ["a", "b", "c"]])
def test_validate_a_list_in_a_loop_is_a_violation(tmp_path, cells):
    """pyshacl stopped on an RDF list that comes back to itself (a traceback once); the
    build's engine, which `validate` runs, reports it as the ill-formed list it is."""
    project = scratch_project(tmp_path)
    loop = "".join(f"_:{cell} rdf:first <urn:x:m> ; rdf:rest _:{cells[(i + 1) % len(cells)]} .\n"
                   for i, cell in enumerate(cells))
    (project / "loop.ttl").write_text(
        "@prefix lg: <https://w3id.org/lactgraph/ontology#> .\n"
        "@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .\n"
        "<https://w3id.org/lactgraph/product/x> a lg:Product ; lg:bibliography _:a .\n" + loop)
    result = run_lactgraph("validate", "loop.ttl", cwd=project)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert "  product:x lg:bibliography = _:" in result.stdout
    assert "A product has at most one bibliography, a well-formed RDF list." in result.stdout


ILL_TYPED = """@prefix lg: <https://w3id.org/lactgraph/ontology#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<https://w3id.org/lactgraph/product/x> a lg:Product ;
    dcterms:created "2019-01-01T10:00:00Z"^^xsd:date ;
    lg:noAlternativesApplicable "yes"^^xsd:boolean .
<https://w3id.org/lactgraph/reference/r> a <http://purl.org/spar/fabio/JournalArticle> ;
    dcterms:issued "20x3"^^xsd:gYear .
"""


def test_validate_names_ill_typed_literals_as_the_file_writes_them(tmp_path):
    """An audit's findings: pyshacl over rdflib missed an xsd:gYear of "20x3" and an
    xsd:date with a time (rdflib's lenient parse), and named "yes"^^xsd:boolean "false",
    with a traceback from rdflib for each. validate now runs the build's engine."""
    project = scratch_project(tmp_path)
    (project / "bad.ttl").write_text(ILL_TYPED)
    result = run_lactgraph("validate", "bad.ttl", cwd=project)
    assert result.returncode == 1 and result.stderr == "", result.stderr
    for written in ('product:x dcterms:created = "2019-01-01T10:00:00Z"^^xsd:date',
                    'product:x lg:noAlternativesApplicable = "yes"^^xsd:boolean',
                    'reference:r dcterms:issued = "20x3"^^xsd:gYear'):
        assert f"  {written}\n" in result.stdout, result.stdout


def test_validate_falls_back_to_pyshacl_for_shapes_the_build_cannot_compile(tmp_path):
    """A closed shape (sh:closed) is not compiled to SPARQL: pyshacl checks, and its
    refusal of an RDF list in a loop stays a clear error."""
    project = scratch_project(tmp_path)
    with (project / "shapes" / "lactgraph.ttl").open("a") as shapes:
        shapes.write("\n<urn:x:closed> a sh:NodeShape ; sh:targetNode <urn:x:a> ; "
                     "sh:closed true .\n")
    (project / "bad.ttl").write_text(TWO_RISK_LEVELS + "\n<urn:x:a> <urn:x:p> 1 .\n")
    result = run_lactgraph("validate", "bad.ttl", cwd=project)
    assert result.returncode == 1, result.stderr
    assert "product:x lg:riskLevel" in result.stdout and "<urn:x:a> <urn:x:p>" in result.stdout
    (project / "loop.ttl").write_text(
        "@prefix lg: <https://w3id.org/lactgraph/ontology#> .\n"
        "<https://w3id.org/lactgraph/product/x> lg:bibliography _:a .\n"
        "_:a <http://www.w3.org/1999/02/22-rdf-syntax-ns#rest> _:a .\n")
    assert_clean_error(run_lactgraph("validate", "loop.ttl", cwd=project),
                       "comes back to itself through rdf:rest")


def test_validate_a_built_graph_folder_checks_its_store(tmp_path):
    """What the build points to for its warnings: checked in the build's store (every core,
    nothing parsed), with the very report the files give; a store out of date with its
    files is not used."""
    project = scratch_project(tmp_path)
    assert run_lactgraph("build", "--no-dumps", cwd=project).returncode == 0
    folder = run_lactgraph("validate", "--format", "json", "graph", cwd=project)
    files = run_lactgraph("validate", "--format", "json", *sorted(
        str(path.relative_to(project)) for path in (project / "graph").glob("*.ttl")),
        cwd=project)
    assert folder.returncode == files.returncode == 0, folder.stderr + files.stderr
    assert folder.stdout == files.stdout and json.loads(folder.stdout)["findings"]
    # the store is what is read: a file garbled behind its stamp (size, time, inode)
    turtle = project / "graph" / "lactgraph.ttl"
    stamp = turtle.stat()
    with turtle.open("r+b") as file:
        file.write(b"@@@")
    os.utime(turtle, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert run_lactgraph("validate", "--format", "json", "graph", cwd=project
                         ).stdout == folder.stdout
    os.utime(turtle)  # now the store is out of date: the files are read
    assert_clean_error(run_lactgraph("validate", "graph", cwd=project), "lactgraph.ttl:1")


def test_validate_a_missing_file(tmp_path):
    result = run_lactgraph("validate", "missing.ttl", cwd=scratch_project(tmp_path))
    assert_clean_error(result, "missing.ttl", "file not found")


def test_debug_shows_the_traceback(tmp_path):
    result = run_lactgraph("--debug", "validate", "missing.ttl", cwd=scratch_project(tmp_path))
    assert "Traceback" in result.stderr


@pytest.mark.parametrize("name, value, bound", [
    ("query_timeout", "0", "more than 0, not 0.0"),
    ("query_timeout", "nan", "more than 0, not nan"),
    ("row_cap", "0", "1 or more, not 0"),
    ("query_workers", "-2", "1 or more, not -2"),
    ("sparql_budget", "-1", "0 or more, not -1.0"),
    ("max_url_bytes", "0", "1 or more, not 0"),
    ("document_cache_mb", "-0.5", "0 or more, not -0.5"),
])
def test_a_limit_out_of_range_is_refused_by_name(name, value, bound):
    with pytest.raises(LactgraphError) as refused:
        settings_from_env({f"LACTGRAPH_{name.upper()}": value})
    assert str(refused.value) == (f"{name} (--{name.replace('_', '-')}, "
                                  f"LACTGRAPH_{name.upper()}) must be {bound}")


def test_serve_refuses_a_negative_document_cache_before_it_starts():
    result = subprocess.run(  # a server that started would run until the timeout
        [sys.executable, "-m", "lactgraph", "serve", "--port", "0",
         "--document-cache-mb", "-1"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert_clean_error(result, "document_cache_mb (--document-cache-mb, "
                               "LACTGRAPH_DOCUMENT_CACHE_MB) must be 0 or more, not -1.0")


def test_a_usage_error_is_one_line(tmp_path):
    result = run_lactgraph("harvest", "http://127.0.0.1:1/", "-o", "out.nt", "--since",
                           "last week", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == ("lactgraph harvest: error: argument --since: 'last week': "
                             "expected a date (YYYY-MM-DD) or a date-time\n")


@pytest.mark.parametrize("args", [
    ("push", "--endpoint", "notaurl"),
    ("push", "--endpoint", "http//host/sparql"),
    ("push", "--endpoint", "http://127.0.0.1:1/sparql", "--graph-store", "host/crud"),
    ("serve", "--sparql-endpoint", "notaurl"),
    ("link", "--target", "wikidata", "-o", "out.tsv", "--endpoint", "notaurl"),
])
def test_an_endpoint_that_is_not_an_http_url_is_refused_while_parsing(tmp_path, args):
    """push and serve sent it to urllib: 'ValueError: unknown url type' tracebacks."""
    result = run_lactgraph(*args, cwd=tmp_path)
    assert result.returncode == 2
    option, value = args[-2:]
    assert result.stderr == (f"lactgraph {args[0]}: error: argument {option}: {value!r}: "
                             "expected an http(s) URL\n")


def test_an_endpoint_from_the_environment_that_is_not_an_http_url_is_refused():
    """How gunicorn configures create_app(): the same check, by name."""
    with pytest.raises(LactgraphError, match=r"^sparql_endpoint \(--sparql-endpoint, "
                       r"LACTGRAPH_SPARQL_ENDPOINT\) 'http//host/sparql': expected an "
                       r"http\(s\) URL$"):
        settings_from_env({"LACTGRAPH_SPARQL_ENDPOINT": "http//host/sparql"})


@pytest.mark.parametrize("option, value, expected", [
    ("--batch-size", "0", "a whole number, 1 or more"),
    ("--timeout", "0", "a number more than 0"),
    # It went into the SPARQL Update as it was: a server's syntax error, or a relative IRI
    # published as the graph's name.
    ("--graph", "mygraph", "an absolute IRI (No scheme found in an absolute IRI)"),
    ("--graph", "urn:x>", "an absolute IRI (Invalid IRI code point '>')"),
])
def test_push_values_out_of_range_are_refused_while_parsing(tmp_path, option, value,
                                                            expected):
    result = run_lactgraph("push", "--endpoint", "http://127.0.0.1:1/sparql", option, value,
                           cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == (f"lactgraph push: error: argument {option}: {value!r}: "
                             f"expected {expected}\n")


def test_a_command_loads_only_what_it_runs():
    """Each command imports its library when it runs: `lactgraph build` loaded push's,
    harvest's and the linker's HTTP clients at start, 0.1 s of every incremental build."""
    probe = ("import sys; from lactgraph import cli; cli.parser(); "
             "print(' '.join(sorted(m for m in ('requests', 'SPARQLWrapper', 'pyld', "
             "'lactgraph.push', 'lactgraph.harvest', 'lactgraph.link.linker') "
             "if m in sys.modules)))")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True)
    assert loaded.stdout == "\n"


@pytest.mark.parametrize("command", [("build",), ("import", "sources/mesotherapy.txt"),
                                     ("serve", "--port", "0")])
@pytest.mark.parametrize("base", ["foo", "https://a b/", "ftp://host/lg/"])
def test_a_base_that_is_not_an_http_iri_is_one_clear_line(tmp_path, command, base):
    """build printed a traceback (ValueError: No scheme found); import wrote relative IRIs
    such as <foo/product/x> and said it had succeeded."""
    project = scratch_project(tmp_path)
    result = run_lactgraph(*command, "--base", base, cwd=project)
    assert_clean_error(result, f"base (--base, LACTGRAPH_BASE) {base!r}: expected an "
                               "absolute http(s) IRI")
    assert not (project / "graph").exists()


@pytest.mark.parametrize(("graph", "expected"), [
    ("notafolder", "notafolder: not a folder: the graph is written into one"),
    ("sources", "sources: inside the sources folder sources: the next build would read"),
    ("sources/graph", "sources/graph: inside the sources folder sources"),
])
def test_a_graph_folder_that_cannot_hold_the_graph_is_refused(tmp_path, graph, expected):
    """A file: a traceback (NotADirectoryError); the sources folder: the graph was written
    there, and the next build failed on the dumps' manifest read as an export file."""
    project = scratch_project(tmp_path)
    (project / "notafolder").write_text("", "utf-8")
    result = run_lactgraph("build", "--graph", graph, cwd=project)
    assert_clean_error(result, expected)
    assert sorted(path.name for path in (project / "sources").iterdir()) == ["mesotherapy.txt"]
