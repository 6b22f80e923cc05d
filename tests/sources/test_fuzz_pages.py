"""Mutated entry pages: `read_page_file` gives a sound Product or a SourceError naming the
file and a line it has, never another exception and never a hang.

The pages mutated are the seed and every fixture page: cut at every line and at random
offsets, blocks shuffled, lines and headings duplicated, odd Unicode inserted (combining
marks, bidi controls, NUL, lone surrogates written as UTF-8 would), lines of a megabyte,
CR/CRLF/mixed line breaks, a BOM, other encodings. Hypothesis runs derandomized (the same
examples every run, so a failure reproduces) and prints the blob to replay it;
LACTGRAPH_FUZZ_EXAMPLES=5000 runs that many random examples per test instead, to hunt.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lactgraph.errors import SourceError
from lactgraph.records import Product
from lactgraph.sources import page
from lactgraph.sources.page import Kind, read_page, read_page_file

from ..cli_helpers import run_lactgraph, scratch_project

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "sources" / "mesotherapy.txt",
         *sorted((ROOT / "tests" / "fixtures" / "pages").glob("*.txt"))]
TEXTS = {path.name: path.read_text(encoding="utf-8") for path in PAGES}
ORIGINALS = {path.name: read_page_file(path) for path in PAGES}
HUNT = int(os.environ.get("LACTGRAPH_FUZZ_EXAMPLES", "0"))
FUZZ = settings(max_examples=HUNT or 100, derandomize=not HUNT, deadline=None, print_blob=True,
                database=None, suppress_health_check=[HealthCheck.too_slow])
WEIRD = ["\u0301", "\u0338", "\u202e", "\u200f", "\u200b", "\ufeff", "\0", "\u2028", "\x85",
         "\x0b", "\x0c", "\t", "\r", "\n", "\n\n", "(", ")", "•", "  ", "1. ", "ſ", "²", "İ",
         "\ud800", "\udfff", "🤱", "\U000e0001", "א", "ي"]
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-32", "latin-1", "cp1252"]


# --- the property ---------------------------------------------------------------------------


def _normalised(data: bytes) -> str:
    return data.decode("utf-8").removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _line_count(data: bytes) -> int:
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").count(b"\n") + 1


def _assert_sound(product: Product, text: str) -> None:
    """What any Product read from `text` must satisfy, whatever the mutation."""
    lines = f"\n{text}\n"
    assert product.level in range(4)
    for language, commentary in product.commentary.items():
        assert f"\n{commentary}\n" in lines  # whole lines of the input, verbatim
        assert commentary.strip() and commentary == commentary.strip("\n")
        for citation in product.citations:
            start = citation.offset
            assert citation.language == language
            assert commentary[start : start + len(citation.text)] == citation.text
    assert [r.position for r in product.references] == list(range(1, len(product.references) + 1))
    positions = {r.position for r in product.references}
    assert all(c.reference is None or c.reference in positions for c in product.citations)
    assert all(r.text in text and r.year is not None for r in product.references)
    assert all(name in text for name in product.names.values())
    for mention in (*product.alternatives, *product.related_products):
        assert mention.level in (None, 0, 1, 2, 3)
        assert mention.name in text
    assert all(item in text for item in (*product.aliases, *product.groups,
                                         *product.related_groups))
    assert all(value.raw in text for value in product.pharmacokinetics)


def _outcome(path: Path, data: bytes) -> Product | SourceError:
    """Read `data` as a page file; the result must be sound, or a clean SourceError."""
    path.write_bytes(data)
    try:
        product = read_page_file(path)
    except SourceError as error:
        assert error.path == str(path)
        assert error.line is None or 1 <= error.line <= _line_count(data), error
        assert error.message and "\n" not in str(error) and "\r" not in str(error)
        assert len(error.message) < 4000, error.message[:200]
        return error
    _assert_sound(product, _normalised(data))
    return product


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz") / "page.txt"


# --- cuts -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", TEXTS)
def test_a_page_cut_at_any_line_is_a_prefix_of_the_page_or_an_error(name: str,
                                                                    scratch: Path) -> None:
    """Cut after every line: what is read agrees with the whole page as far as it goes."""
    whole, lines = ORIGINALS[name], TEXTS[name].split("\n")
    products = 0
    for end in range(len(lines) + 1):
        read = _outcome(scratch, "\n".join(lines[:end]).encode())
        if isinstance(read, Product):
            products += 1
            assert read.names == whole.names and read.level == whole.level
            assert read.references == whole.references[: len(read.references)]
            assert read.alternatives == whole.alternatives[: len(read.alternatives)]
            for language, commentary in read.commentary.items():
                assert whole.commentary[language].startswith(commentary)
    assert products >= 1  # at least the whole page itself


@given(data=st.data())
@FUZZ
def test_a_page_cut_at_any_offset(data: st.DataObject, scratch: Path) -> None:
    text = TEXTS[data.draw(st.sampled_from(sorted(TEXTS)))]
    cut = data.draw(st.integers(0, len(text)))
    _outcome(scratch, text[:cut].encode())


# --- structure --------------------------------------------------------------------------------


def _blocks(text: str) -> list[str]:
    return re.split(r"\n[ \t]*\n", text)


def _headings(text: str) -> list[str]:
    lines = text.split("\n")
    return [line for n, line in enumerate(lines, 1) if page._classify(n, line).kind is Kind.HEADING]


@st.composite
def _restructured(draw: st.DrawFn) -> str:
    """A page with its blocks shuffled, dropped, or lines/headings duplicated elsewhere."""
    text = TEXTS[draw(st.sampled_from(sorted(TEXTS)))]
    blocks = _blocks(text)
    lines = text.split("\n")
    match draw(st.sampled_from(["shuffle", "drop", "heading", "line", "block"])):
        case "shuffle":
            return "\n\n".join(draw(st.permutations(blocks)))
        case "drop":
            del blocks[draw(st.integers(0, len(blocks) - 1))]
            return "\n\n".join(blocks)
        case "heading":
            copied = draw(st.sampled_from(_headings(text)))
        case "line":
            copied = draw(st.sampled_from(lines))
        case _:
            copied = draw(st.sampled_from(blocks))
    lines.insert(draw(st.integers(0, len(lines))), copied)
    return "\n".join(lines)


@given(text=_restructured())
@FUZZ
def test_shuffled_dropped_and_duplicated_sections(text: str, scratch: Path) -> None:
    _outcome(scratch, text.encode())


def test_every_page_has_headings_to_duplicate() -> None:
    assert all(_headings(text) for text in TEXTS.values())


# --- characters, line breaks, encodings ------------------------------------------------------


_INSERTED = st.lists(st.sampled_from(WEIRD) | st.characters(), min_size=1, max_size=12).map(
    "".join
)


@st.composite
def _mutated_bytes(draw: st.DrawFn) -> bytes:
    """A page, maybe restructured, with odd characters inserted, then cut or not, then any
    line breaks, BOM and encoding."""
    text = draw(st.sampled_from([TEXTS[name] for name in sorted(TEXTS)]) | _restructured())
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(_INSERTED) + text[at:]
    if draw(st.booleans()):
        text = text[: draw(st.integers(0, len(text)))]
    breaks = draw(st.lists(st.sampled_from(["\n", "\r\n", "\r"]), min_size=1, max_size=3))
    lines = text.split("\n")
    text = "".join(line + breaks[i % len(breaks)] for i, line in enumerate(lines))[:-1]
    if draw(st.booleans()):
        text = "\ufeff" + text
    encoding = draw(st.sampled_from(ENCODINGS))
    errors = "surrogatepass" if encoding.startswith("utf") else "replace"
    return text.encode(encoding, errors)


@given(data=_mutated_bytes())
@FUZZ
def test_odd_characters_line_breaks_and_encodings(data: bytes, scratch: Path) -> None:
    _outcome(scratch, data)


@given(data=st.data())
@FUZZ
def test_line_breaks_and_a_bom_change_nothing(data: st.DataObject, scratch: Path) -> None:
    name = data.draw(st.sampled_from(sorted(TEXTS)))
    lines = TEXTS[name].split("\n")
    breaks = data.draw(st.lists(st.sampled_from(["\n", "\r\n", "\r"]), min_size=len(lines) - 1,
                                max_size=len(lines) - 1))
    text = lines[0]
    for brk, line in zip(breaks, lines[1:], strict=True):
        if brk == "\n" and text.endswith("\r"):  # a "\r" then a "\n" would be one CRLF
            brk = "\r\n"
        text += brk + line
    bom = "\ufeff" if data.draw(st.booleans()) else ""
    read = _outcome(scratch, (bom + text).encode())
    assert replace(read, source_file="") == replace(ORIGINALS[name], source_file="")


@pytest.mark.parametrize("name", TEXTS)
def test_a_page_in_another_encoding_names_the_first_line_that_is_not_utf8(name, scratch):
    text = TEXTS[name]
    first = next(n for n, line in enumerate(text.split("\n"), 1) if not line.isascii())
    error = _outcome(scratch, text.encode("latin-1", "replace"))
    assert isinstance(error, SourceError) and error.line == first
    assert "is not UTF-8" in error.message
    for encoding in ("UTF-16", "UTF-32"):
        error = _outcome(scratch, text.encode(encoding))
        assert isinstance(error, SourceError) and error.line == 1
        assert error.message == (f"the page is {encoding} (it starts with a {encoding} "
                                 "byte-order mark); entry pages must be UTF-8 text")


def test_a_lone_surrogate_is_not_utf8_and_names_its_line(scratch: Path) -> None:
    text = TEXTS["mesotherapy.txt"].replace("Mesotherapy involves", "Meso\ud800therapy involves")
    error = _outcome(scratch, text.encode("utf-8", "surrogatepass"))
    assert isinstance(error, SourceError) and error.line == 8
    assert "0xed at column 5 is not UTF-8" in error.message


# --- enormous lines: parsing stays linear ------------------------------------------------------

MEGABYTE = 2**20
SEED, BRANDS = "mesotherapy.txt", "en_description_only.txt"
SPACES = " " * MEGABYTE
# (page, line, edit): a megabyte added to one line. Each of these took minutes or hours
# before: a regex or a list operation rescanned the line from each of its positions.
HUGE = {
    "level-line-spaces": (SEED, 4, lambda line: line + "x" + " " * MEGABYTE + "x"),
    "reference-spaces": (SEED, 44, lambda line: line + " " * MEGABYTE + "x"),
    "reference-labels": (SEED, 44, lambda line: line + " Abstract" * (MEGABYTE // 9)),
    "commentary-open-parentheses": (SEED, 8, lambda line: line + "(" * MEGABYTE),
    "commentary-name-run": (SEED, 8, lambda line: f"{line} ({'Ab ' * (MEGABYTE // 3)}2010)"),
    "commentary-citations": (SEED, 8, lambda line: f"{line} ({'Konda 2013, ' * 80_000}x)"),
    "e-mail-line": (SEED, 25, lambda line: "a@b." * (MEGABYTE // 4)),
    "brand-combination": (BRANDS, 44, lambda line: line.replace(" than", " than" + SPACES)),
    "brand-spaces": (BRANDS, 44, lambda line: line.replace(" Contains", SPACES + "Contains")),
    "bullet-parentheses": (SEED, 23, lambda line: line + ")" * MEGABYTE),
}
SECONDS = 10.0  # a megabyte takes well under a second; the quadratic cases took minutes


@pytest.mark.parametrize("case", HUGE)
def test_a_megabyte_line_is_read_in_linear_time(case: str, scratch: Path) -> None:
    name, number, edit = HUGE[case]
    lines = TEXTS[name].split("\n")
    lines[number - 1] = edit(lines[number - 1])
    started = time.monotonic()
    _outcome(scratch, "\n".join(lines).encode())
    assert time.monotonic() - started < SECONDS


@given(data=st.data())
@settings(FUZZ, max_examples=HUNT // 50 or 8)
def test_megabyte_lines_anywhere(data: st.DataObject, scratch: Path) -> None:
    name = data.draw(st.sampled_from(sorted(TEXTS)))
    lines = TEXTS[name].split("\n")
    unit = data.draw(st.sampled_from([" ", "x", "(", ")", "a ", "Ab ", "1", ", ", "é\u0301",
                                      "\u202e", "\t", ". ", "Abstract "]))
    at = data.draw(st.integers(0, len(lines) - 1))
    huge = unit * (MEGABYTE // len(unit))
    lines[at] = huge if data.draw(st.booleans()) else lines[at] + huge
    started = time.monotonic()
    _outcome(scratch, "\n".join(lines).encode())
    assert time.monotonic() - started < SECONDS


def test_a_page_too_big_to_be_one_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    with path.open("wb") as file:
        file.truncate(2 * 2**30)  # sparse: nothing is written
    started = time.monotonic()
    with pytest.raises(SourceError) as caught:
        read_page_file(path)
    assert time.monotonic() - started < 1.0
    assert (caught.value.path, caught.value.line) == (str(path), None)
    assert "more than 16 MiB: too big for an entry page" in caught.value.message


# --- regressions: inputs the fuzzing found ---------------------------------------------------


def test_a_superscript_digit_as_month_is_an_unreadable_date() -> None:
    """"²".isdigit() is true but int("²") fails: was a ValueError traceback."""
    text = TEXTS["mesotherapy.txt"].replace("Jan. 26, 2019", "² 26, 2019")
    with pytest.raises(SourceError) as caught:
        read_page(text, "page.txt")
    assert caught.value.line == 1
    assert "cannot read the date '² 26, 2019'" in caught.value.message


# --- end to end: the CLI ---------------------------------------------------------------------

BAD_PAGES = {
    "cut.txt": lambda seed: seed[: seed.index("20. Centers") + 20].encode(),
    "latin1.txt": lambda seed: seed.encode("latin-1", "replace"),
    "surrogate.txt": lambda seed: seed.replace("Galés", "Gal\udce9s").encode("utf-8",
                                                                            "surrogatepass"),
    "huge-level.txt": lambda seed: seed.replace("Likely Compatibility",
                                                "Likely" + " " * MEGABYTE + "x").encode(),
}


def _bad_project(tmp_path: Path) -> Path:
    project = scratch_project(tmp_path)
    seed = TEXTS["mesotherapy.txt"]
    for name, make in BAD_PAGES.items():
        (project / "sources" / name).write_bytes(make(seed))
    (project / "sources" / "good.txt").write_bytes(TEXTS["en_description_only.txt"].encode())
    return project


def _error_lines(stderr: str) -> dict[str, str]:
    """stderr's `sources/<file>:<line>: message` lines, by file name."""
    found = re.findall(r"^\s*(?:lactgraph: error: )?\S*sources/([\w.-]+):(\d+): (.+)$",
                       stderr, flags=re.MULTILINE)
    return {name: f"{line}: {message}" for name, line, message in found}


def test_build_names_each_bad_page_and_writes_nothing(tmp_path: Path) -> None:
    project = _bad_project(tmp_path)
    graph = project / "graph" / "lactgraph.ttl"
    graph.parent.mkdir()
    graph.write_bytes(b"# the previous graph\n")
    result = run_lactgraph("build", cwd=project)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    errors = _error_lines(result.stderr)
    assert set(errors) == set(BAD_PAGES), result.stderr
    assert errors["cut.txt"].startswith("63: the page seems cut off")
    assert errors["latin1.txt"].startswith("10: byte 0xe9 at column")
    assert errors["surrogate.txt"].startswith("10: byte 0xed at column")
    assert errors["huge-level.txt"].startswith("8: unrecognised text")
    assert len(result.stderr) < 10_000  # no megabyte line echoed back
    assert graph.read_bytes() == b"# the previous graph\n"
    assert [p.name for p in graph.parent.iterdir()] == ["lactgraph.ttl"]  # no temporary left


def test_import_writes_the_good_pages_and_fails(tmp_path: Path) -> None:
    project = _bad_project(tmp_path)
    output = project / "out.ttl"
    result = run_lactgraph("import", "sources", "-o", str(output), cwd=project)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert set(_error_lines(result.stderr)) == set(BAD_PAGES)
    written = output.read_text(encoding="utf-8")
    assert "product/mesotherapy" in written and "Mesotherapy" in written
    assert "Roman Chamomile" in written  # en_description_only.txt's entry
