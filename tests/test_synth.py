"""The synthetic corpus: deterministic, importable by both readers, shaped like the source."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from lactgraph.iris import IriScheme, slugify
from lactgraph.merge import merge_products
from lactgraph.records import CORRECTED_YEAR, FUZZY_NAME, Product
from lactgraph.sources.export import read_export_file
from lactgraph.sources.page import read_page_file
from lactgraph.synth import CorpusSummary, write_corpus
from lactgraph.to_rdf import products_graph
from lactgraph.validate import load_rules, validate_graph
from lactgraph.vocab import DEFAULT_BASE

from .cli_helpers import assert_clean_error, run_lactgraph

ROOT = Path(__file__).resolve().parents[1]
PRODUCTS = 200
SEED = 11


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, CorpusSummary]:
    folder = tmp_path_factory.mktemp("corpus")
    return folder, write_corpus(PRODUCTS, SEED, folder)


@pytest.fixture(scope="module")
def pages(corpus) -> dict[str, Product]:
    folder, _summary = corpus
    products = [read_page_file(path) for path in sorted((folder / "pages").iterdir())]
    return {product.name: product for product in products}


@pytest.fixture(scope="module")
def exported(corpus) -> dict[str, Product]:
    folder, _summary = corpus
    products, errors = [], []
    for path in sorted((folder / "export").iterdir()):
        found, failed = read_export_file(path)
        products += found
        errors += failed
    assert errors == []
    return {product.name: product for product in products}


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


# --- determinism ---------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_bytes_in_any_process(tmp_path: Path) -> None:
    """Another process with another string-hash seed: no set order or clock leaks in."""
    write_corpus(40, 5, tmp_path / "here")
    code = ("import sys; from pathlib import Path; from lactgraph.synth import write_corpus; "
            "write_corpus(40, 5, Path(sys.argv[1]))")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "there")], check=True, env=env)
    here, there = _files(tmp_path / "here"), _files(tmp_path / "there")
    assert len(here) == 41  # 40 pages and one export part
    assert here == there
    write_corpus(40, 6, tmp_path / "other")
    assert _files(tmp_path / "other")["export/part-0001.jsonl"] != here["export/part-0001.jsonl"]


def test_only_the_forms_asked_for_are_written(tmp_path: Path) -> None:
    summary = write_corpus(12, 1, tmp_path, forms=("json",))
    assert [p.name for p in tmp_path.iterdir()] == ["export"]
    assert summary.files == 1
    assert summary.bytes == (tmp_path / "export" / "part-0001.jsonl").stat().st_size
    with pytest.raises(FileExistsError, match="not empty"):
        write_corpus(12, 1, tmp_path, forms=("json",))  # old files never mix with new ones
    with pytest.raises(ValueError, match="forms"):
        write_corpus(12, 1, tmp_path / "new", forms=("xml",))


# --- both readers import it --------------------------------------------------------------------


def test_both_forms_import_without_errors(corpus, pages, exported) -> None:
    folder, summary = corpus
    assert len(pages) == len(exported) == PRODUCTS
    assert summary.files == PRODUCTS + 1
    assert summary.bytes == sum(len(data) for data in _files(folder).values())
    for products in (pages, exported):
        merged = merge_products(list(products.values()))
        # every mention's level agrees with the product's own, so merging warns of nothing
        assert (len(merged.products), merged.errors, merged.warnings) == (PRODUCTS, [], [])


def test_a_sample_of_the_corpus_conforms_to_the_shapes(pages, exported) -> None:
    shapes, ontology = load_rules(ROOT / "shapes" / "lactgraph.ttl",
                                  ROOT / "ontology" / "lactgraph.ttl")
    for products in (pages, exported):
        merged = merge_products(sorted(products.values(), key=lambda p: p.name)[:25])
        graph = products_graph(merged.products, merged.stubs, IriScheme(DEFAULT_BASE))
        report = validate_graph(graph, shapes, ontology)
        assert report.violations == ()


# --- the two forms agree on the facts both carry ------------------------------------------------


def _facts(product: Product, language: str) -> dict[str, object]:
    return {
        "name": product.names["en"],
        "level": product.level,
        "updated": product.updated,
        "commentary": product.commentary[language],
        "citations": [c for c in product.citations if c.language == language],
        "alternatives": product.alternatives,
        "groups": product.groups,
        "brands": [b.name for b in product.brand_names],
        "references": [(r.text, r.authors, r.title, r.journal, r.year, r.publication,
                        r.has_abstract_link, r.has_full_text_link) for r in product.references],
        "pharmacokinetics": sorted((v for v in product.pharmacokinetics if v.variable != "pka"),
                                   key=lambda v: v.variable),
    }


def test_page_and_export_give_the_same_records(pages, exported) -> None:
    assert sorted(pages) == sorted(exported)
    untranslated = 0
    for name, page in pages.items():
        # an English page shows an untranslated entry's Spanish commentary: both read it
        # as Spanish, and the export keeps it once
        (language,) = page.commentary
        untranslated += language == "es"
        assert list(exported[name].commentary) == (["es"] if language == "es" else ["en", "es"])
        assert _facts(page, language) == _facts(exported[name], language), name
    assert untranslated > 0  # the corpus has some (synth.py: 3 % of drug names)


def test_each_form_carries_what_the_source_gives_in_it(pages, exported) -> None:
    page_values = list(pages.values())
    assert sum(bool(p.aliases) for p in page_values) > PRODUCTS / 3
    assert sum(bool(p.related_products) for p in page_values) > PRODUCTS / 4
    writings = Counter(w.language for p in page_values for w in p.other_writings)
    assert set(writings) >= {"Catalan", "ATC code", "Molecular formula"}
    atc = [w.name for p in page_values for w in p.other_writings if w.language == "ATC code"]
    assert all(re.fullmatch(r"[A-Z]\d\d[A-Z]{2}\d\d", code) for code in atc)
    assert all(b.countries for p in page_values for b in p.brand_names)
    export_values = list(exported.values())
    assert all(set(p.names) == {"en", "es"} and p.created and p.source_id for p in export_values)
    assert sum(p.names["es"] != p.names["en"] for p in export_values) > PRODUCTS / 2
    languages = Counter(tuple(p.commentary) for p in export_values)
    assert set(languages) == {("en", "es"), ("es",)}  # ("es",): untranslated entries
    assert languages["es",] < PRODUCTS / 10
    pmids = [r.pmid for p in export_values for r in p.references if r.pmid]
    assert len(pmids) > 0.7 * sum(len(p.references) for p in export_values)


# --- realistic shapes ----------------------------------------------------------------------------


def test_levels_are_skewed_like_a_safety_database(tmp_path: Path) -> None:
    """Counted in the written export, on a corpus large enough for tight tolerances."""
    summary = write_corpus(3000, 3, tmp_path, forms=("json",))
    with (tmp_path / "export" / "part-0001.jsonl").open(encoding="utf-8") as handle:
        levels = Counter(json.loads(line)["producto"]["riesgo__nivel"] for line in handle)
    assert levels == Counter(summary.levels)
    for level, share in enumerate((0.55, 0.25, 0.13, 0.07)):
        assert abs(levels[level] / 3000 - share) < 0.03, (level, levels)


def test_sizes_and_counts_are_in_range(pages, exported) -> None:
    for page in pages.values():
        assert 1 <= len(page.groups) <= 3
        assert len(page.aliases) <= 10 and len(page.other_writings) <= 3
        assert len(page.brand_names) <= 20
        assert len(page.related_products) <= 4 and len(page.alternatives) <= 4
        assert 3 <= len(page.references) <= 40
        assert all(1970 <= r.year <= 2024 for r in page.references)
        assert 2005 <= page.updated.year <= 2024
        assert 500 <= len(next(iter(page.commentary.values()))) <= 6000  # Spanish text runs longer
        assert all(a.level is not None and a.level < page.level for a in page.alternatives)
    assert len({g for p in pages.values() for g in p.groups}) > 100  # of three hundred
    assert all(p.created <= p.updated for p in exported.values())


def test_references_are_shared_and_some_brands_combine(pages, exported) -> None:
    cited_by = Counter(r.text for p in pages.values() for r in p.references)
    assert max(cited_by.values()) >= 2
    assert sum(count >= 2 for count in cited_by.values()) > len(cited_by) / 4
    combinations = Counter(b.name for p in pages.values() for b in p.brand_names
                           if b.is_combination)
    assert combinations and all(count >= 2 for count in combinations.values())
    brands = Counter(b.name for p in exported.values() for b in p.brand_names)
    assert all(brands[name] == count for name, count in combinations.items())
    singles = [b.name for p in pages.values() for b in p.brand_names if not b.is_combination]
    assert len(singles) == len(set(singles))  # otherwise they would combine by accident


def test_aliases_and_other_writings_each_name_one_product(pages) -> None:
    """The shapes allow one main product per alias and per other writing."""
    for kind in ("aliases", "other_writings"):
        slugs = [slugify(getattr(item, "name", item)) for p in pages.values()
                 for item in getattr(p, kind)]
        assert slugs and len(slugs) == len(set(slugs)), kind


def test_citations_resolve_but_for_the_intended_ones(corpus, pages, exported) -> None:
    _folder, summary = corpus
    english = [c for p in pages.values() for c in p.citations]
    assert len(english) == summary.citations
    unresolved = [c for c in english if c.reference is None]
    assert len(unresolved) == summary.unresolvable_citations > 0
    typos = [c for c in english if c.method in (CORRECTED_YEAR, FUZZY_NAME)]
    assert len(typos) == summary.typo_citations > 0
    assert any(re.fullmatch(r".+ 2[1-9]\d\d", c.text) for c in typos)  # "Konda 2103"
    both = [c for p in exported.values() for c in p.citations]
    # each citation in English and in Spanish, but an untranslated entry's once
    translated = [c for p in pages.values() if "en" in p.commentary for c in p.citations]
    assert len(both) == summary.citations + len(translated)
    assert sum(c.reference is None for c in both) == summary.unresolvable_citations + sum(
        c.reference is None for c in translated)
    assert any(" et al. " in c.text for c in english)
    assert any(" & " in c.text for c in english)
    assert any(" y " in c.text for c in both if c.language == "es")
    assert any(c.text.startswith(("CDC ", "WHO ", "AAP ", "EMA ", "FDA ")) for c in english)


def test_pharmacokinetic_values_come_in_the_source_formats(pages) -> None:
    raws = [v.raw for p in pages.values() for v in p.pharmacokinetics]
    shapes = {
        "single": r"\d+(,\d+)?",
        "range": r"\d+(,\d+)? - \d+(,\d+)?",
        "dispersion": r"\d+(,\d+)? ± \d+(,\d+)?",
        "value and range": r"\d+(,\d+)? \(\d+(,\d+)? - \d+(,\d+)?\)",
        "components": r"\d+(,\d+)? / \d+(,\d+)?",
    }
    found = {name for name, shape in shapes.items() for raw in raws if re.fullmatch(shape, raw)}
    assert found == set(shapes)
    assert all(any(re.fullmatch(shape, raw) for shape in shapes.values()) for raw in raws)


def test_the_synth_command_writes_the_same_corpus_and_refuses_to_mix(tmp_path):
    for name in ("a", "b"):
        result = run_lactgraph("synth", "--products", "12", "--seed", "5", "-o",
                               str(tmp_path / name), cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert "wrote 12 made-up entries (seed 5)" in result.stdout
        out = tmp_path / name
        assert (f"{out}/export and {out}/pages hold the same entries: build one of them "
                f"(lactgraph build {out}/pages)") in result.stdout
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*")
                   if p.is_file())
    assert len([f for f in files if f.parts[0] == "pages"]) == 12
    assert all((tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes()
               for f in files)
    again = run_lactgraph("synth", "--products", "3", "-o", str(tmp_path / "a"),
                          cwd=tmp_path)
    assert_clean_error(again, "is not empty")


@pytest.mark.parametrize("output, expected", [
    ("out", "out: not a folder (synth writes export/ and pages/ in a new or empty folder)"),
    ("out/sub", "out/sub: cannot write (Not a directory)"),
])
def test_synth_into_or_under_a_file_is_one_clear_line_and_the_file_stays(
        tmp_path, output, expected):
    """Once a NotADirectoryError traceback."""
    (tmp_path / "out").write_text("kept\n")
    result = run_lactgraph("synth", "--products", "3", "-o", output, cwd=tmp_path)
    assert_clean_error(result, f"lactgraph: error: {expected}")
    assert result.stderr.count("\n") == 1
    assert (tmp_path / "out").read_text() == "kept\n"


@pytest.mark.parametrize("products", ["0", "10000001", "1e9"])
def test_synth_products_out_of_range_are_refused_before_any_work(tmp_path, products):
    result = run_lactgraph("synth", "--products", products, "-o", "out", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == (f"lactgraph synth: error: argument --products: {products!r}: "
                             "expected a whole number from 1 to 10000000\n")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("signal_number", [signal.SIGINT, signal.SIGKILL])
def test_an_interrupted_synth_leaves_no_corpus_and_the_next_run_writes_it(tmp_path,
                                                                          signal_number):
    """A partial corpus was once left in place, and the next run refused it as not empty."""
    command = [sys.executable, "-m", "lactgraph", "synth", "--products", "5000", "-o", "out"]
    process = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not any(len(list(p.iterdir())) > 50 for p in tmp_path.glob("out/.pages.*")):
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        process.send_signal(signal_number)
        process.wait(timeout=30)
    finally:
        process.kill()
        process.wait()
    assert not (tmp_path / "out" / "pages").exists()
    assert not (tmp_path / "out" / "export").exists()
    if signal_number == signal.SIGINT:  # Python's cleanup runs: nothing of it is left
        assert process.returncode == 130 and list((tmp_path / "out").iterdir()) == []
    again = run_lactgraph("synth", "--products", "5", "-o", "out", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert len(list((tmp_path / "out" / "pages").iterdir())) == 5
