"""`lactgraph build`: sources -> validated, deterministic graph/, or nothing written."""

from __future__ import annotations

import ast
import json
import os
import shutil
import stat
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, SKOS, XSD

import lactgraph
from lactgraph import turtle
from lactgraph.blockfile import BlockFile, Edit, write_patched
from lactgraph.buildcache import BUILD_CODE, IMPORT_CODE
from lactgraph.config import Settings
from lactgraph.entries import turtle_prefixes
from lactgraph.generations import current_store, search_index_of
from lactgraph.iris import IriScheme
from lactgraph.rdfio import RDF_SUFFIXES
from lactgraph.turtle import TermWriter, blocks, header
from lactgraph.vocab import DEFAULT_BASE

from .cli_helpers import assert_clean_error, run_lactgraph, scratch_project
from .conftest import ROOT
from .rdf_compare import same_graph
from .shape_helpers import sample_graph

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
    citations = {str(graph.value(reference, DCTERMS.bibliographicCitation))
                 for reference in graph.objects(meso, CITO.citesAsEvidence)}
    # the page's link labels are not part of a reference (they were: "… 2008 Abstract")
    assert ("Brown SA. The science of mesotherapy: chemical anarchy. Aesthet Surg J. 2006"
            in citations)
    assert not any(c.endswith(("Abstract", ")")) for c in citations), sorted(citations)


def test_building_twice_gives_byte_identical_files(tmp_path):
    project = scratch_project(tmp_path)
    assert _build(project) == _build(project)


PUBLISHED = ("lactgraph.ttl", "links.ttl", "statistics.ttl", "dumps/manifest.jsonl",
             "dumps/lactgraph.ttl.gz", "dumps/lactgraph.nt.gz", "dumps/lactgraph.jsonld.gz")


@pytest.fixture(scope="module")
def bundled(tmp_path_factory) -> Path:
    """The bundled project built from scratch (with the committed mappings)."""
    project = scratch_project(tmp_path_factory.mktemp("bundled"))
    shutil.copytree(ROOT / "mappings", project / "mappings")
    _build(project)
    return project


@pytest.mark.parametrize("name", PUBLISHED)
def test_the_committed_graph_is_up_to_date_with_sources(bundled, name):
    assert (bundled / "graph" / name).read_bytes() == (ROOT / "graph" / name).read_bytes(), \
        "graph/ is stale: run `lactgraph build` and commit graph/"


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


def test_a_folder_without_sources_does_not_empty_the_graph(tmp_path):
    project = scratch_project(tmp_path)
    previous = _build(project)
    (project / "empty").mkdir()
    (project / "empty" / "notes.md").write_text("not a source\n")
    result = run_lactgraph("build", "empty", cwd=project)
    assert_clean_error(result, "empty: no entry sources here", ".json, .jsonl, .txt",
                       "nothing was written")
    assert (project / "graph" / "lactgraph.ttl").read_bytes() == previous


@pytest.mark.parametrize("sources", [(), ("{project}/sources",)])
def test_a_build_run_from_elsewhere_publishes_the_same_bytes(tmp_path, monkeypatch, sources):
    """`lg:importedFrom` was the path as the build saw it: a project built by
    LACTGRAPH_PROJECT_DIR published "/srv/…/sources/mesotherapy.txt", its machine's own."""
    project = scratch_project(tmp_path / "project")
    inside = _build(project)
    shutil.rmtree(project / "graph")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.setenv("LACTGRAPH_PROJECT_DIR", str(project))
    result = run_lactgraph("build", *(s.format(project=project) for s in sources),
                           cwd=elsewhere)
    assert result.returncode == 0, result.stderr
    assert f"built {project / 'graph' / 'lactgraph.ttl'} from 1 entries" in result.stdout
    assert (project / "graph" / "lactgraph.ttl").read_bytes() == inside
    assert b'lg:importedFrom "sources/mesotherapy.txt"' in inside
    assert not list(elsewhere.iterdir())


def test_hidden_files_and_folders_in_a_source_folder_are_not_read(tmp_path):
    """A killed synth's `.pages.partial-*`, an editor's or git's files: once imported, as a
    second copy of an entry (the build failed) or as a stray one."""
    project = scratch_project(tmp_path)
    previous = _build(project)
    page = (project / "sources" / "mesotherapy.txt").read_text("utf-8")
    (project / "sources" / ".pages.partial-x1").mkdir()
    (project / "sources" / ".pages.partial-x1" / "mesotherapy.txt").write_text(page, "utf-8")
    (project / "sources" / ".other.txt").write_text(page.replace("Mesotherapy", "Other"),
                                                    "utf-8")
    result = run_lactgraph("build", cwd=project)
    assert result.returncode == 0, result.stderr
    assert (project / "graph" / "lactgraph.ttl").read_bytes() == previous


def test_a_source_suffix_in_capitals_is_read(tmp_path):
    project = scratch_project(tmp_path)
    previous = _build(project)
    (project / "sources" / "mesotherapy.txt").rename(project / "sources" / "MESOTHERAPY.TXT")
    result = run_lactgraph("build", cwd=project)
    assert result.returncode == 0, result.stderr
    graph = (project / "graph" / "lactgraph.ttl").read_bytes()
    assert graph.replace(b"MESOTHERAPY.TXT", b"mesotherapy.txt") == previous


def test_a_page_cut_off_builds_with_its_warning_each_time_even_from_the_cache(tmp_path):
    """The reader's warning is kept with the entry in the import cache: a build that
    imports nothing again still says it."""
    project = scratch_project(tmp_path)
    page = project / "sources" / "mesotherapy.txt"
    text = page.read_text("utf-8")
    page.write_text(text[:text.index("Total visits")], "utf-8")
    for _ in range(2):
        result = run_lactgraph("build", cwd=project)
        assert result.returncode == 0, result.stderr
        assert "mesotherapy.txt: line 63: the page ends with '20. Centers for Disease" in \
            result.stderr and "it may be cut off" in result.stderr
    (project / "sources" / "mesotherapy.txt").write_text(text, "utf-8")
    result = run_lactgraph("build", cwd=project)
    assert result.returncode == 0 and "cut off" not in result.stderr, result.stderr


def test_a_build_that_fails_validation_says_first_what_its_sources_warned_of(tmp_path):
    """An export record's unknown key ('year', not the export's 'anyo') is ignored with a
    warning; the references then lack their years, and the shapes say so. The warning is
    what tells the curator why: it was not printed when the build failed."""
    project = scratch_project(tmp_path)
    record = _export_record()
    for reference in record["biblio"]:
        reference["year"] = reference.pop("anyo")
    (project / "sources" / "terms.jsonl").write_text(json.dumps(record) + "\n", "utf-8")
    result = run_lactgraph("build", cwd=project)
    assert_clean_error(result, "does not conform to the shapes", "dcterms:issued")
    warning = ("lactgraph: warning: sources/terms.jsonl:1: product 7, field biblio[0].year"
               " (in 2 items): not a field of the source's export; ignored")
    assert result.stderr.index(warning) < result.stderr.index("lactgraph: error:")


def test_a_record_given_twice_in_one_file_is_named_by_its_lines(tmp_path):
    project = scratch_project(tmp_path)
    other = {**_export_record(), "producto": {**_export_record()["producto"], "id": 8,
                                                "nombre_en": "Fennel", "nombre_es": "Hinojo"}}
    lines = [json.dumps(record) for record in (_export_record(), other, _export_record())]
    (project / "sources" / "terms.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    result = run_lactgraph("build", cwd=project)
    assert_clean_error(result, "sources/terms.jsonl:3: product/roman-chamomile is already "
                               "imported from sources/terms.jsonl:1")


def test_an_entry_imported_in_two_languages_is_named_in_a_warning(tmp_path):
    """A Spanish page's IRI comes from its Spanish name; an export record's from its
    English one. Given both for one product, the build says so, about the product and
    about a product the page names (a stub under its Spanish name), each time, and no
    more once the page is gone."""
    project = scratch_project(tmp_path)
    fixtures = ROOT / "tests" / "fixtures"
    shutil.copy(fixtures / "pages" / "es_domperidona.txt", project / "sources")
    records = [_export_record(7, "Domperidone", "Domperidona"),
               _export_record(8, "Metoclopramide", "Metoclopramida")]
    (project / "sources" / "terms.jsonl").write_text(
        "".join(json.dumps(record) + "\n" for record in records), "utf-8")
    expected = [
        "product/domperidona (imported from sources/es_domperidona.txt) is also "
        "product/domperidone: sources/terms.jsonl:1 gives 'Domperidona' as the latter's "
        "Spanish name",
        "product/metoclopramida (named on sources/es_domperidona.txt) is also "
        "product/metoclopramide: sources/terms.jsonl:2 gives 'Metoclopramida' as the "
        "latter's Spanish name"]
    for _ in range(2):  # the second from the import cache
        result = run_lactgraph("build", "--no-dumps", cwd=project)
        assert result.returncode == 0, result.stderr
        for warning in expected:
            assert f"lactgraph: warning: {warning}" in result.stderr
    graph = Graph().parse(project / "graph" / "lactgraph.ttl")
    assert {PRODUCT.domperidona, PRODUCT.domperidone, PRODUCT.metoclopramida,
            PRODUCT.metoclopramide} <= set(graph.subjects(LG.riskLevel))
    (project / "sources" / "es_domperidona.txt").unlink()
    result = run_lactgraph("build", "--no-dumps", cwd=project)
    assert result.returncode == 0, result.stderr
    assert "is also product/" not in result.stderr, result.stderr


def _export_record(number: int = 7, english: str = "Roman chamomile",
                   spanish: str = "Manzanilla romana") -> dict:
    return {"producto": {"id": number, "nombre_es": spanish,
                         "nombre_en": english, "riesgo__nivel": 0,
                         "comentario_en": "Digestive (Sanchez 2017, Ruiz 2015).",
                         "fecha_modificacion": "2022-01-05T10:00:00Z"},
            "alternativas": [], "grupo": [{"id": 3, "nombre_es": "Plantas",
                                           "nombre_en": "Plants"}], "marcas": [],
            "biblio": [{"titulo": "Chamomile in lactation", "autores": "Sanchez M",
                        "publicacion": "Rev Fitoter. 2017;17(2):115-21", "anyo": 2017},
                       {"titulo": "Herbs", "autores": "Ruiz J",
                        "publicacion": "Aten Primaria. 2015;47(1):1-2", "anyo": 2015}]}


@pytest.mark.parametrize("folder", ["shapes", "ontology"])
def test_missing_shapes_or_ontology_are_named(tmp_path, folder):
    project = scratch_project(tmp_path)
    shutil.rmtree(project / folder)
    result = run_lactgraph("build", cwd=project)
    assert_clean_error(result, f"{folder}/lactgraph.ttl: file not found")
    assert not (project / "graph").exists()


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


# --- the Turtle the build writes, and the store beside it -----------------------------------


def test_blocks_hold_exactly_the_triples_of_the_graph():
    """Every kind of term (lists, language tags, typed and escaped literals) survives."""
    graph = sample_graph()
    tricky = URIRef("https://w3id.org/lactgraph/product/tricky")
    for text in ('quote " and backslash \\', "line\nbreak\ttab\r", "bell \x07", "ñandú 😀"):
        graph.add((tricky, SKOS.altLabel, Literal(text)))
    graph.add((tricky, LG.sourceId, Literal("007", datatype=XSD.integer)))
    graph.add((tricky, LG.resolutionConfidence, Literal("1", datatype=XSD.decimal)))
    graph.add((tricky, FOAF.page, URIRef("https://example.org/a#b%20c")))
    written = header(turtle_prefixes(DEFAULT_BASE)) + blocks(graph, TermWriter(
        turtle_prefixes(DEFAULT_BASE)))
    # a blank line starts every block, and nothing else
    assert all(part and not part[0].isspace() for part in written.split("\n\n")[1:])
    parsed = Graph().parse(data=written, format="turtle")
    assert same_graph(parsed, graph)
    assert (tricky, LG.sourceId, Literal("007", datatype=XSD.integer)) in parsed



def test_a_string_written_at_once_is_the_literal_rdflib_would_make():
    """The build writes an entry's strings without making rdflib terms: the same text,
    and rdflib's refusal of a bad language tag."""
    terms = TermWriter(turtle_prefixes(DEFAULT_BASE))
    for text in ('quote " and backslash \\', "line\nbreak\ttab\r", "bell \x07\x7f", "ñandú 😀",
                 ""):
        for lang in (None, "", "en", "es-ES"):
            assert terms.string(text, lang) == terms.literal(Literal(text, lang=lang))
            parsed = Graph().parse(data=f"<urn:s> <urn:p> {terms.string(text, lang)} .",
                                   format="turtle")
            assert parsed.value(URIRef("urn:s"), URIRef("urn:p")) == Literal(text, lang=lang)
    with pytest.raises(ValueError, match="not a valid language tag"):
        terms.string("x", "not a tag")


def test_a_typed_literal_written_at_once_is_the_one_rdflib_would_make():
    """Typed literals are written from their lexical form and remembered: the text
    `literal` writes for rdflib's term, the first time and the next, whatever the type."""
    terms = TermWriter(turtle_prefixes(DEFAULT_BASE))
    cases = [("007", XSD.integer), ("12", XSD.integer), ("5.0", XSD.decimal),
             ("0.855", XSD.decimal), ("2010", XSD.gYear), ("es", XSD.language),
             ("2024-02-29", XSD.date), ("2010", XSD.integer), ("a \"b\"", XSD.token)]
    for lexical, datatype in cases * 2:
        expected = TermWriter(turtle_prefixes(DEFAULT_BASE)).literal(
            Literal(lexical, datatype=datatype))
        assert terms.typed(lexical, datatype) == expected
    assert terms.typed("2010", XSD.gYear) == '"2010"^^xsd:gYear'
    assert terms.typed("2010", XSD.integer) == "2010"


def test_a_writer_past_what_it_may_remember_writes_the_same(monkeypatch):
    graph = sample_graph()
    expected = blocks(graph, TermWriter(turtle_prefixes(DEFAULT_BASE)))
    monkeypatch.setattr(turtle, "_REMEMBERED", 8)
    terms = TermWriter(turtle_prefixes(DEFAULT_BASE))
    for _ in range(3):
        assert blocks(graph, terms) == expected
        assert len(terms._iris) <= 8 and len(terms._typed) <= 8


def test_terms_of_subclasses_are_written_as_their_classes_are():
    """The writer tells terms apart by class, rdflib's own first: a subclass of one is
    written as that class's terms are."""
    class Iri(URIRef):
        pass

    class Text(Literal):
        pass

    subject = URIRef("https://w3id.org/lactgraph/product/a")
    plain = [(subject, SKOS.prefLabel, Literal("A", lang="en")),
             (subject, FOAF.page, URIRef("https://example.org/a"))]
    sub = [(subject, SKOS.prefLabel, Text("A", lang="en")),
           (subject, FOAF.page, Iri("https://example.org/a"))]
    prefixes = turtle_prefixes(DEFAULT_BASE)
    assert blocks(sub, TermWriter(prefixes)) == blocks(plain, TermWriter(prefixes))

def test_a_subject_is_found_by_binary_search(tmp_path):
    project = scratch_project(tmp_path)
    _build(project)
    with BlockFile(project / "graph" / "lactgraph.ttl") as built:
        regions = list(built.regions())
        offsets = []
        start = built.body
        for _, text in regions:
            offsets.append(start)
            start += len(text.encode())
        subjects = [subject for subject, _ in regions]
        assert subjects == sorted(subjects)
        ends = [*offsets[1:], built.size]
        for subject, offset, end in zip(subjects, offsets, ends, strict=True):
            assert built.find(subject) == offset
            assert built.find(subject + "\0") == end
        assert built.find("") == built.body and built.find("\U0010ffff") == built.size
        first, last = built.span(str(PRODUCT.mesotherapy), f"{PRODUCT.mesotherapy}#\U0010ffff")
        unit = built.text(first, last)
        assert unit.startswith("\nproduct:mesotherapy a lg:Product")
        assert unit.count("#citation-en-") > 20 and "reference:" not in unit.split(" .\n")[-1]


def test_a_patched_block_file_gets_its_blocks_before_it_is_written(tmp_path, monkeypatch):
    """The patched file is the old one with the edits, and it is given exactly its size
    beforehand (more would leave zero bytes at its end; less, blocks for the switch's
    rename to allocate)."""
    old = tmp_path / "old.ttl"
    old.write_bytes(b"@prefix ex: <http://example.org/> .\n\nex:a ex:p 1 .\n"
                    b"\nex:b ex:p 2 .\n\nex:c ex:p 3 .\n")
    allocated: list[int] = []
    allocate = os.posix_fallocate

    def recorded(fd: int, offset: int, size: int) -> None:
        allocated.append(size)
        allocate(fd, offset, size)

    monkeypatch.setattr(os, "posix_fallocate", recorded)
    text = old.read_bytes()
    b, c = text.index(b"\nex:b"), text.index(b"\nex:c")
    grown = '\nex:b ex:p "caf\u00e9 na\u00efve" .\n'
    with BlockFile(old) as blocks, (tmp_path / "new.ttl").open("wb") as out:
        write_patched(blocks, [Edit(c, len(text), ""), Edit(b, c, grown)], out)
    expected = text[:b] + grown.encode("utf-8")
    assert (tmp_path / "new.ttl").read_bytes() == expected
    assert allocated == [len(expected)]


def _stray_rdf(project: Path) -> list[Path]:
    """RDF files under graph/ other than the published ones (a server loads them all)."""
    return [p for p in (project / "graph").rglob("*") if p.suffix in RDF_SUFFIXES
            and p.name not in ("lactgraph.ttl", "links.ttl", "statistics.ttl")]


def test_the_build_leaves_a_store_that_serve_can_open(tmp_path):
    project = scratch_project(tmp_path)
    _build(project)
    settings = Settings(project_dir=project)
    directory = current_store(settings)
    assert directory is not None and directory.parent == project / "graph" / "store"
    store = ox.Store.read_only(str(directory))
    names = {graph.value for graph in store.named_graphs()}
    iris = IriScheme()
    links = f"{iris.base}graph/links"  # no named graph while there are no links
    assert names - {links} == {f"{iris.base}graph/lactgraph", f"{iris.base}graph/statistics",
                               iris.ontology, iris.shapes}
    data = ox.Dataset(store.quads_for_pattern(None, None, None,
                                              ox.NamedNode(f"{iris.base}graph/lactgraph")))
    turtle = Graph().parse(project / "graph" / "lactgraph.ttl")
    assert len(data) == len(turtle)
    assert not _stray_rdf(project), "the server would load these as data"


def _date_the_seed(project: Path, date: str) -> None:
    page = project / "sources" / "mesotherapy.txt"
    _, _, rest = page.read_text("utf-8").partition("\n")
    page.write_text(f"Last update {date}\n{rest}", "utf-8")


def test_what_a_build_replaces_waits_in_the_trash_for_the_next_build(tmp_path):
    """Deleting a large file costs (0.5-0.8 s for 780 MB here), so a switch sets what it
    replaces aside and the next build deletes it beside its own work: the Turtle file of
    the last build but one, the generation before the previous; never a file a server
    would load as data."""
    project = scratch_project(tmp_path)
    store = project / "graph" / "store"
    trash = store / ".trash"
    first = _build(project)
    generation = (store / "current").read_text("utf-8").strip()
    _date_the_seed(project, "Dec. 31, 2025")
    second = _build(project)
    assert [p.read_bytes() for p in trash.glob("*-lactgraph.ttl.old")] == [first]
    assert (store / generation).is_dir()  # the previous generation is kept
    set_aside = {p.name for p in trash.iterdir()}
    _date_the_seed(project, "Jan. 1, 2026")
    _build(project)
    assert [p.read_bytes() for p in trash.glob("*-lactgraph.ttl.old")] == [second]
    assert not set_aside & {p.name for p in trash.iterdir()}, "the last trash was emptied"
    assert not (store / generation).exists()
    assert [p for p in trash.iterdir() if p.name.endswith(f"-{generation}.old")]
    assert not _stray_rdf(project)


def test_what_the_build_publishes_is_readable_by_a_server_of_another_user(tmp_path):
    """Temporary files and folders are made 0600/0700; a server run as another user (a
    curator builds, www-data serves) must still open the store and the name index."""
    umask = os.umask(0o022)
    try:
        project = scratch_project(tmp_path)
        _build(project)
    finally:
        os.umask(umask)
    store = current_store(Settings(project_dir=project))
    published = [store, search_index_of(store), *store.iterdir(),
                 *(project / "graph").glob("*.ttl")]
    for path in published:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o044 == 0o044, f"{path}: {oct(mode)}"
        if path.is_dir():
            assert mode & 0o011 == 0o011, f"{path}: {oct(mode)}"


def test_no_progress_bar_when_stderr_is_not_a_terminal(tmp_path):
    result = run_lactgraph("build", cwd=scratch_project(tmp_path))
    assert result.returncode == 0
    assert "import" not in result.stderr and "validate" not in result.stderr
    assert "\r" not in result.stderr


def _imports(package: Path, module: str) -> set[str]:
    """The lactgraph modules a module imports (anywhere in it, relative or absolute)."""
    parts = module.split(".")[1:]
    path = package.joinpath(*parts).with_suffix(".py")
    is_package = not path.exists()
    if is_package:
        path = package.joinpath(*parts, "__init__.py")
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            anchor = module.split(".")[: len(module.split(".")) - node.level + is_package]
            base = ".".join([*anchor, node.module] if node.module else anchor) if node.level \
                else node.module or ""
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {name for name in found if name.startswith("lactgraph.") and (
        package.joinpath(*name.split(".")[1:]).with_suffix(".py").exists()
        or package.joinpath(*name.split(".")[1:], "__init__.py").exists())}


def _missed(roots: list[str], listed: tuple[str, ...], layout_only: tuple[str, ...]
            ) -> list[str]:
    """The package's modules the roots import (transitively) that no listed path covers."""
    package = Path(lactgraph.__file__).parent
    covered = [package / name for name in listed]
    seen, todo = set(), list(roots)
    while todo:
        module = todo.pop()
        if module in seen or module.startswith(layout_only):
            continue
        seen.add(module)
        todo.extend(_imports(package, module))
    files = {package.joinpath(*m.split(".")[1:]).with_suffix(".py") for m in seen}
    return sorted(str(f.relative_to(package)) for f in files if f.exists()
                  and not any(f == root or f.is_relative_to(root) for root in covered))


def test_the_code_version_covers_every_module_a_build_runs():
    """The incremental state is keyed by BUILD_CODE: a module the build imports but
    BUILD_CODE misses would leave a stale state after it changed. (The web layer is
    imported for the store's layout only, which each generation's manifest checks;
    errors, settings, worker processes and the command line shape nothing the build
    writes.)"""
    layout_only = ("lactgraph.web", "lactgraph.errors", "lactgraph.config", "lactgraph.store",
                   "lactgraph.workers")
    assert _missed(["lactgraph.build", "lactgraph.publication"], BUILD_CODE,
                   layout_only) == []


def test_the_import_version_covers_every_module_an_import_runs():
    """The import cache is keyed by IMPORT_CODE alone (a change to the publishing code
    must not re-import 50,000 sources): every module that renders an entry is in it."""
    assert _missed(["lactgraph.entries", "lactgraph.buildcache"], IMPORT_CODE,
                   ("lactgraph.errors",)) == []
    assert "publication.py" not in IMPORT_CODE and "statistics_file.py" in BUILD_CODE
