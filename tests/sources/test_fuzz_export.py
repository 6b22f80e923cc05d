"""Mutated export documents: `read_export_file` returns products and SourceErrors, each
error naming the file and a line it has; it never raises, never hangs, and no lone
surrogate reaches a product.

The documents mutated are the export fixtures (`mesotherapy.json`, the lines of
`mixed.jsonl`): fields of the wrong type, nested garbage, huge and non-finite numbers,
lone surrogates (as "\\ud800" escapes and as raw bytes), deep nesting, cuts, then written
as one document, an array or JSON Lines. Derandomized, as in test_fuzz_pages.py
(LACTGRAPH_FUZZ_EXAMPLES=5000 to hunt with random examples).
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lactgraph.errors import SourceError
from lactgraph.records import Product
from lactgraph.sources import export
from lactgraph.sources.export import read_export_file
from lactgraph.sources.pharmacokinetics import PK_VARIABLES

from ..cli_helpers import run_lactgraph, scratch_project

ROOT = Path(__file__).resolve().parents[2]
EXPORT = ROOT / "tests" / "fixtures" / "export"
MESOTHERAPY = json.loads((EXPORT / "mesotherapy.json").read_text(encoding="utf-8"))
LINES = (EXPORT / "mixed.jsonl").read_text(encoding="utf-8").split("\n")
DOCUMENTS = [MESOTHERAPY, *(json.loads(line) for line in LINES if line.strip().endswith("}"))]
GOOD = [MESOTHERAPY, *(json.loads(LINES[n]) for n in (0, 7))]  # documents that import
HUNT = int(os.environ.get("LACTGRAPH_FUZZ_EXAMPLES", "0"))
FUZZ = settings(max_examples=HUNT or 100, derandomize=not HUNT, deadline=None, print_blob=True,
                database=None, suppress_health_check=[HealthCheck.too_slow])

FIELDS = [
    "producto", "id", "nombre_es", "nombre_en", "riesgo__nivel", "riesgo__nombre_en",
    "riesgo__descripcion_es", "comentario_en", "comentario_es", "fecha_modificacion",
    "fecha_creacion", "alternativas", "grupo", "biblio", "marcas", "autores", "titulo",
    "publicacion", "anyo", "abstract_link", "full_text_link", "nombre", "error",
    *(variable.source_field for variable in PK_VARIABLES.values()),
]
ODD_TEXT = ["\ud800", "a\udfffb", "", " ", "\0", "\u202e", "e\u0301", "2019-02-30", "2019-01-26",
            "http://x", "Likely Compatibility", "1,5 (0,5 - 2,9)", "Konda 2013 (", "9" * 400]
SCALARS = (st.none() | st.booleans() | st.integers() | st.integers(-(2**80), 2**80)
           | st.floats() | st.text(max_size=20) | st.sampled_from(ODD_TEXT))
GARBAGE = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=4), inner, max_size=3),
    max_leaves=8,
)
# Raw JSON text no Python value serialises to: deep nesting, huge or non-finite numbers.
RAW = ["[" * 100_000 + "]" * 100_000, '{"a":' * 50_000 + "1" + "}" * 50_000, "9" * 5000,
       "-" + "9" * 4299, "NaN", "-Infinity", "1e999", "1e-999", '"\\ud800"', '"\\udc00\\ud800"',
       "\ufeff", "\0", "\\", '"', "\u2028", "]", "}", ","]


# --- the property ---------------------------------------------------------------------------


def _strings(value: object) -> Iterator[str]:
    """Every string held in a record, however deep."""
    if isinstance(value, str):
        yield value
    elif dataclasses.is_dataclass(value):
        for item in dataclasses.fields(value):
            yield from _strings(getattr(value, item.name))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _assert_sound(product: Product) -> None:
    assert product.level in range(4)
    assert isinstance(product.source_id, int)
    assert product.names and all(name.strip() == name and name for name in product.names.values())
    for text in _strings(product):
        text.encode("utf-8")  # no lone surrogate gets into a record, so none into the graph
    assert [r.position for r in product.references] == list(range(1, len(product.references) + 1))
    for citation in product.citations:
        commentary = product.commentary[citation.language]
        assert commentary[citation.offset :].startswith(citation.text)
    assert all(m.level in (None, 0, 1, 2, 3) for m in product.alternatives)
    assert all(brand.name for brand in product.brand_names)


def _read(path: Path, data: bytes) -> tuple[list[Product], list[SourceError]]:
    """Read `data` as an export file: sound products, and clean errors with real lines."""
    path.write_bytes(data)
    products, errors = read_export_file(path)
    lines = data.count(b"\n") + 1
    for error in errors:
        assert isinstance(error, SourceError)
        assert error.path == str(path)
        assert error.line is None or 1 <= error.line <= lines, error
        assert error.message and "\n" not in str(error) and "\r" not in str(error)
        assert len(error.message) < 4000, error.message[:200]
    for product in products:
        _assert_sound(product)
    return products, errors


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz-export")


# --- mutations --------------------------------------------------------------------------------


def _places(value: object) -> list[tuple[dict | list, object]]:
    """(container, key) of every value inside a document."""
    found: list[tuple[dict | list, object]] = []
    keys = value.keys() if isinstance(value, dict) else range(len(value)) if isinstance(
        value, list) else ()
    for key in keys:
        found.append((value, key))
        found.extend(_places(value[key]))
    return found


@st.composite
def _document(draw: st.DrawFn) -> object:
    """A fixture document with 1-4 values replaced, removed, added or wrapped."""
    document = copy.deepcopy(draw(st.sampled_from(DOCUMENTS)))
    for _ in range(draw(st.integers(1, 4))):
        places = _places(document)
        if not places:
            return draw(GARBAGE)
        container, key = draw(st.sampled_from(places))
        match draw(st.sampled_from(["replace", "remove", "add", "wrap"])):
            case "replace":
                container[key] = draw(GARBAGE)
            case "remove":
                del container[key]
            case "add" if isinstance(container, dict):
                container[draw(st.sampled_from(FIELDS))] = draw(GARBAGE)
            case _:
                container[key] = [container[key]] if draw(st.booleans()) else {"x": container[key]}
    return document


def _serialised(draw: st.DrawFn, document: object) -> str:
    text = json.dumps(document, ensure_ascii=draw(st.booleans()), indent=draw(
        st.sampled_from([None, 1])))
    for _ in range(draw(st.integers(0, 2))):
        match draw(st.sampled_from(["raw", "number", "cut"])):
            case "raw":
                at = draw(st.integers(0, len(text)))
                text = text[:at] + draw(st.sampled_from(RAW)) + text[at:]
            case "number" if (numbers := list(re.finditer(r"(?<![\w.])\d+(?![\w.])", text))):
                number = draw(st.sampled_from(numbers))
                text = text[: number.start()] + draw(st.sampled_from(RAW)) + text[number.end() :]
            case _:
                text = text[: draw(st.integers(0, len(text)))]
    return text


def _encoded(draw: st.DrawFn, text: str) -> bytes:
    if draw(st.booleans()):
        text = text.replace("\n", "\r\n")
    if draw(st.booleans()):
        text = "\ufeff" + text
    return text.encode("utf-8", "surrogatepass")  # a raw lone surrogate: not UTF-8


@st.composite
def _file(draw: st.DrawFn) -> tuple[str, bytes]:
    """(suffix, bytes) of one document, an array of them, or JSON Lines."""
    documents = draw(st.lists(_document() | st.sampled_from(GOOD), min_size=1, max_size=4))
    texts = [_serialised(draw, document) for document in documents]
    match draw(st.sampled_from(["one", "array", "lines"])):
        case "one":
            return ".json", _encoded(draw, texts[0])
        case "array":
            return ".json", _encoded(draw, "[\n" + ",\n".join(texts) + "\n]\n")
        case _:
            lines = [" ".join(text.split("\n")) for text in texts]
            return ".jsonl", b"\n".join(_encoded(draw, line) for line in lines) + b"\n"


@given(file=_file())
@FUZZ
def test_any_mutated_export_file(file: tuple[str, bytes], scratch: Path) -> None:
    suffix, data = file
    _read(scratch / f"terms{suffix}", data)


@given(bad=_document(), where=st.integers(0, len(GOOD)), data=st.data())
@FUZZ
def test_a_bad_line_spoils_only_itself(bad: object, where: int, data: st.DataObject,
                                       scratch: Path) -> None:
    lines = [json.dumps(document) for document in GOOD]
    lines.insert(where, " ".join(_serialised(data.draw, bad).split("\n")))
    products, _errors = _read(scratch / "terms.jsonl", "\n".join(lines).encode(
        "utf-8", "surrogatepass"))
    ids = [product.source_id for product in products]
    assert all(document["producto"]["id"] in ids for document in GOOD)


@given(data=st.data())
@FUZZ
def test_a_cut_array_keeps_the_documents_before_the_cut(data: st.DataObject,
                                                       scratch: Path) -> None:
    texts = [json.dumps(document, indent=1) for document in GOOD]
    whole = "[\n" + ",\n".join(texts) + "\n]\n"
    cut = data.draw(st.integers(0, len(whole) - 3))  # "]" cut off at least
    products, errors = _read(scratch / "terms.json", whole[:cut].encode())
    complete = sum(1 for n in range(len(texts)) if len("[\n" + ",\n".join(texts[: n + 1])) <= cut)
    assert len(products) == complete
    assert len(errors) == 1 and errors[0].message.startswith("not valid JSON")


# --- regressions: inputs the fuzzing found -----------------------------------------------------


@pytest.mark.parametrize("suffix", [".json", ".jsonl"])
@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("[" * 100_000 + "]" * 100_000, "cannot read the JSON at column 1: arrays or objects "
                                       "nested too deeply"),
        ('{"producto": {"id": ' + "9" * 5000 + "}}", "cannot read the JSON at column 1: a number "
                                                   "of more than 4300 digits"),
    ],
    ids=["deep-nesting", "huge-integer"],
)
def test_python_limits_are_errors_not_tracebacks(tmp_path: Path, suffix: str, raw: str,
                                                 message: str) -> None:
    """Were RecursionError and ValueError out of json: tracebacks."""
    good = json.dumps(GOOD[1])
    data = f"{good}\n{raw}\n{good}\n" if suffix == ".jsonl" else f"[{good},\n{raw}]"
    products, errors = _read(tmp_path / f"terms{suffix}", data.encode())
    assert len(products) == (2 if suffix == ".jsonl" else 1)
    assert [(e.line, e.message) for e in errors] == [(2, message)]


def test_non_finite_numbers_are_named() -> None:
    with pytest.raises(SourceError) as caught:
        document = {"producto": {"id": 1, "nombre_en": "X", "riesgo__nivel": float("nan")}}
        export.read_export_document(document, "t.json", 1, 1)
    assert caught.value.message == ("product 1, field producto.riesgo__nivel: expected a whole "
                                    "number, found the number nan")


@pytest.mark.parametrize("answer", ["x" * 100_000, [[[[[[]]]]]], {"a": 1}])
def test_an_error_answer_is_shown_short(answer: object) -> None:
    with pytest.raises(SourceError) as caught:
        export.read_export_document({"error": answer}, "t.json", 1, 1)
    assert "the source answered" in caught.value.message
    assert len(caught.value.message) < 200


def test_a_json_file_too_big_to_read_at_once_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "terms.json"
    with path.open("wb") as file:
        file.truncate(2 * 2**30)  # sparse: nothing is written
    started = time.monotonic()
    products, errors = read_export_file(path)
    assert time.monotonic() - started < 1.0
    assert products == [] and [(e.line, e.message) for e in errors] == [
        (None, "more than 512 MiB of JSON, too big to read at once; write the documents as "
               "JSON Lines (.jsonl), one per line")]


def test_an_overlong_json_line_is_skipped_unread(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(export, "MAX_LINE_BYTES", 2**20)
    good = json.dumps(GOOD[1])
    data = f"{good}\n{good[:-1]}{' ' * 3 * 2**20}}}\n{good}\n"
    products, errors = _read(tmp_path / "terms.jsonl", data.encode())
    assert len(products) == 2
    assert [(e.line, e.message) for e in errors] == [
        (2, "a line of more than 1 MiB: not one document")]


# --- end to end ------------------------------------------------------------------------------


def test_import_writes_the_good_documents_and_names_the_bad_lines(tmp_path: Path) -> None:
    project = scratch_project(tmp_path)
    lines = [json.dumps(GOOD[1]), "[" * 100_000, json.dumps({"producto": {"id": 9, "nombre_en":
             "X\ud800", "riesgo__nivel": 1}}), json.dumps(GOOD[2])]
    (project / "terms.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_lactgraph("import", "terms.jsonl", "-o", "out.ttl", cwd=project)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    errors = re.findall(r"^lactgraph: error: (terms\.jsonl:\d+): ([^:]+)", result.stderr,
                        flags=re.MULTILINE)
    assert errors == [("terms.jsonl:2", "cannot read the JSON at column 1"),
                      ("terms.jsonl:3", "product 9, field producto.nombre_en")]
    written = (project / "out.ttl").read_text(encoding="utf-8")
    assert "Paracetamol" in written and "Ondansetron" in written


@pytest.mark.parametrize("field", ["id", "riesgo__nivel"])
def test_a_number_of_thousands_of_digits_is_shown_short(field: str) -> None:
    """Was a 4300-character error message, echoing the number."""
    entry = {"id": 1, "nombre_en": "X", "riesgo__nivel": 7, field: -(10**4000)}
    with pytest.raises(SourceError) as caught:
        export.read_export_document({"producto": entry}, "t.json", 1, 1)
    assert "-1000000000000000000… (4002 characters)" in caught.value.message
    assert len(caught.value.message) < 200
