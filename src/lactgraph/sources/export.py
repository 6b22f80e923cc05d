"""The source's structured export (`/API/get_term/<id>` documents) as `records.Product`.

DESIGN.md §4 gives the keys. A file holds one document, a JSON array of documents, or
JSON Lines (`.jsonl`, one document per line). Each document is read on its own: a bad
one becomes a `SourceError` naming the file, the line (for JSON Lines and arrays, the
line the document starts on), the record's id and the field, and the others still
import. `{"error": "no existe producto"}` (the API's answer to an unknown id) is
reported as not an entry (a build publishes nothing while a source has an error).

The aim is the same graph as a page import of the same entry, plus what only the export
knows (Spanish names and commentary, creation date, source id, PubMed ids, links):

- a reference's `text` is the bibliography line as an English page shows it ("Authors.
  Title. Journal. Year Abstract"), and its authors are split by the page reader's own
  `split_authors`, so the first author, year and title behind the reference's IRI are
  those a page import finds;
- the English commentary's citations come first, so that an English page's in-text
  citations and the export's are numbered alike;
- names of alternatives and groups are given in the entry's language, with the other
  language in `Product.translations`.

Nothing here imports rdflib.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO

from rapidfuzz import fuzz, process

from ..errors import SourceError
from ..records import BrandName, PharmacokineticValue, Product, ProductMention, Reference
from ..vocab import level_for_wording
from . import control_character, control_message, future_date, long_commentary, quoted
from .citations import find_citations
from .pharmacokinetics import PK_VARIABLES, pk_value
from .references import split_authors
from .untranslated import reads_as_spanish

LANGUAGES = ("en", "es")  # the order citations are numbered in (module doc)
_LEVELS = range(4)
_WORDING_FIELDS = tuple(
    f"riesgo__{kind}_{lang}" for kind in ("nombre", "descripcion") for lang in LANGUAGES
)
# "Obes Rev. 2013;14(11):906-17": a journal, then a year with the detail.
_PUBLICATION = re.compile(
    r"(?P<journal>.+?)\.\s+(?:1[5-9]|20)\d{2}(?:\s[A-Z][a-z]{2}(?:\s\d{1,2})?)?[;:].*"
)
_PMID = re.compile(r"(?:/pubmed/|pubmed\.ncbi\.nlm\.nih\.gov/)(?P<pmid>\d+)")
_URL = re.compile(r"https?://[^\s<>\"{}|\\^`]+")
# The link labels an English page prints after a reference (sources/references.py).
_ABSTRACT_LABEL = "Abstract"
_FULL_TEXT_LABEL = "Full text (link to original source)"
# Python holds a whole JSON document in memory, many times its size: bigger inputs are
# refused before they are read (a JSON Lines file may be any size, one line at a time).
MAX_JSON_BYTES = 512 * 2**20
MAX_LINE_BYTES = 64 * 2**20


# --- files and documents ---------------------------------------------------------------


def read_export_file(path: Path) -> tuple[list[Product], list[SourceError]]:
    """Every product a file's documents give, and an error for every one that fails.

    `.jsonl` files are read line by line (one bad line, even one that is not UTF-8,
    spoils only itself); any other file is one JSON document or an array of them.
    """
    where = str(path)
    try:
        with path.open("rb") as handle:
            if path.suffix == ".jsonl":
                return _read_documents(_json_lines(handle, where), where)
            too_big = os.fstat(handle.fileno()).st_size > MAX_JSON_BYTES
            data = b"" if too_big else handle.read(MAX_JSON_BYTES + 1)
    except FileNotFoundError:
        return [], [SourceError(where, None, "file not found")]
    except OSError as error:
        return [], [SourceError(where, None, f"cannot read the file: {error.strerror}")]
    if too_big or len(data) > MAX_JSON_BYTES:
        message = (f"more than {MAX_JSON_BYTES // 2**20} MiB of JSON, too big to read at once; "
                   "write the documents as JSON Lines (.jsonl), one per line")
        return [], [SourceError(where, None, message)]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        message = f"byte 0x{data[error.start]:02x} is not UTF-8; JSON files must be UTF-8"
        return [], [SourceError(where, line, message)]
    return _read_documents(_json_document(text, where), where)


@dataclass(frozen=True)
class _Document:
    """One parsed JSON value, where it starts, or the error that stopped its parse."""

    line: int | None
    value: object = None
    error: SourceError | None = None


def _read_documents(
    documents: Iterable[_Document], path: str
) -> tuple[list[Product], list[SourceError]]:
    """Read each document on its own, so one bad record never hides the rest."""
    products: list[Product] = []
    errors: list[SourceError] = []
    for number, document in enumerate(documents, start=1):
        if document.error:
            errors.append(document.error)
            continue
        try:
            products.append(read_export_document(document.value, path, document.line, number))
        except SourceError as error:
            errors.append(error)
    return products, errors


class _BeyondLimits(json.JSONDecodeError):
    """Valid JSON that Python cannot read: nested too deeply, or an integer too long."""


def _syntax_error(path: str, error: json.JSONDecodeError, line: int | None = None) -> SourceError:
    what = "cannot read the JSON" if isinstance(error, _BeyondLimits) else "not valid JSON"
    return SourceError(path, line or error.lineno, f"{what} at column {error.colno}: {error.msg}")


def _decode(text: str, index: int) -> tuple[object, int]:
    """`raw_decode`, with Python's own limits reported as JSON errors at `index`."""
    try:
        return _DECODER.raw_decode(text, index)
    except json.JSONDecodeError:
        raise
    except RecursionError:
        raise _BeyondLimits("arrays or objects nested too deeply", text, index) from None
    except ValueError:  # int() refuses more digits than sys.get_int_max_str_digits()
        limit = sys.get_int_max_str_digits()
        raise _BeyondLimits(f"a number of more than {limit} digits", text, index) from None


def _loads(text: str) -> object:
    """`json.loads`, with Python's limits as JSON errors."""
    value, end = _decode(text, _SPACE.match(text).end())
    end = _SPACE.match(text, end).end()
    if end != len(text):
        raise json.JSONDecodeError("Extra data", text, end)
    return value


def _lines(handle: BinaryIO) -> Iterator[bytes | None]:
    """Each line of a file, or None for one longer than MAX_LINE_BYTES (skipped unread)."""
    while line := handle.readline(MAX_LINE_BYTES + 1):
        if len(line) <= MAX_LINE_BYTES or line.endswith(b"\n"):
            yield line
            continue
        while (rest := handle.readline(2**20)) and not rest.endswith(b"\n"):
            pass
        yield None


def _json_lines(handle: BinaryIO, path: str) -> Iterator[_Document]:
    """One document per non-blank line. Lines are split on "\\n" only: a JSON string may
    hold U+2028 and other characters `str.splitlines` would split on."""
    for number, raw in enumerate(_lines(handle), start=1):
        if raw is None:
            message = f"a line of more than {MAX_LINE_BYTES // 2**20} MiB: not one document"
            yield _Document(number, error=SourceError(path, number, message))
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            message = f"byte 0x{raw[error.start]:02x} at column {error.start + 1} is not UTF-8"
            yield _Document(number, error=SourceError(path, number, message))
            continue
        if not text.strip():
            continue
        try:
            yield _Document(number, _loads(text.removeprefix("\ufeff").rstrip("\r\n")))
        except json.JSONDecodeError as error:
            yield _Document(number, error=_syntax_error(path, error, number))


_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"[ \t\n\r]*")


class _Cursor:
    """A position in a JSON text that knows its line number without rescanning."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.index = 0
        self.line = 1

    def skip_to(self, index: int) -> None:
        index = _SPACE.match(self.text, index).end()
        self.line += self.text.count("\n", self.index, index)
        self.index = index

    def take(self, char: str) -> bool:
        if self.text.startswith(char, self.index):
            self.skip_to(self.index + 1)
            return True
        return False

    def value(self) -> _Document:
        value, end = _decode(self.text, self.index)
        document = _Document(self.line, value)
        self.skip_to(end)
        return document

    def fail(self, expected: str) -> json.JSONDecodeError:
        return json.JSONDecodeError(expected, self.text, self.index)


def _json_document(text: str, path: str) -> Iterator[_Document]:
    """One document, or each element of a top-level array with the line it starts on."""
    cursor = _Cursor(text.removeprefix("\ufeff"))
    try:
        cursor.skip_to(0)
        if cursor.take("["):
            yield from _array_elements(cursor)
        else:
            yield cursor.value()
        if cursor.index != len(cursor.text):
            raise cursor.fail("Extra data")
    except json.JSONDecodeError as error:
        yield _Document(error.lineno, error=_syntax_error(path, error))


def _array_elements(cursor: _Cursor) -> Iterator[_Document]:
    if cursor.take("]"):
        return
    while True:
        yield cursor.value()
        if cursor.take("]"):
            return
        if not cursor.take(","):
            raise cursor.fail("Expecting ',' delimiter or ']'")


# --- one record ----------------------------------------------------------------------------


def _kind(value: object) -> str:
    if isinstance(value, float):  # 1.5, nan, inf: say which, "a number" would puzzle
        return f"the number {value!r}"
    return {dict: "an object", list: "an array", str: "text", bool: "true/false"}.get(
        type(value), "null" if value is None else "a number"
    )


def _digits(number: int) -> str:
    """A whole number for a message: one of thousands of digits by its first ones."""
    text = str(number)
    return text if len(text) <= 20 else f"{text[:20]}… ({len(text)} characters)"


class _Record:
    """One document being read: typed access to its fields, and errors that name them."""

    def __init__(self, path: str, line: int | None, number: int, document: object) -> None:
        self.path = path
        self.line = line
        # Named by its product id where it has one, whatever else is wrong with it.
        entry = document.get("producto") if isinstance(document, dict) else None
        source_id = entry.get("id") if isinstance(entry, dict) else None
        self.label = (f"product {_digits(source_id)}" if type(source_id) is int
                      else f"record {number}")
        self.where = f"{path}:{line}" if line is not None else path
        self._unknown: dict[tuple[str, str], list[str]] = {}  # (kind, key) -> its fields

    def error(self, field: str, message: str) -> SourceError:
        return SourceError(self.path, self.line, f"{self.label}, field {field}: {message}")

    def object(self, value: object, field: str, kind: str) -> dict[str, object]:
        """An object of a kind `_KEYS` names, none of whose keys misspells a known one; any
        other key it has is noted in the record's warnings (its value is not read)."""
        if not isinstance(value, dict):
            raise self.error(field, f"expected an object, found {_kind(value)}")
        prefix = "" if kind == "(document)" else f"{field}."
        for key in value:
            if key in _KEYS[kind] or (kind == "(document)" and key == "error"):
                continue
            known = process.extractOne(key.casefold(), _KEYS[kind], scorer=fuzz.ratio,
                                       score_cutoff=_MISSPELT)
            if known and not _another_language(key, _KEYS[kind]):
                raise self.error(f"{prefix}{key}", f"unknown field; did you mean {known[0]!r}? "
                                 "(the record is not imported: its field would be lost)")
            self._unknown.setdefault((kind, key), []).append(f"{prefix}{key}")
        return value

    @property
    def warnings(self) -> list[str]:
        """One for each unknown key of each kind of object (the items of an array alike)."""
        found = []
        for fields in self._unknown.values():
            many = f" (in {len(fields)} items)" if len(fields) > 1 else ""
            found.append(f"{self.where}: {self.label}, field {fields[0]}{many}: not a field "
                         "of the source's export; ignored")
        return found

    def items(self, document: dict[str, object], key: str) -> list[tuple[str, dict]]:
        """The objects of an array field, each with its field path; missing or null: none."""
        value = document.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.error(key, f"expected an array, found {_kind(value)}")
        return [(f"{key}[{i}]", self.object(item, f"{key}[{i}]", key))
                for i, item in enumerate(value)]

    def text(self, obj: dict[str, object], key: str, field: str) -> str | None:
        """A text field as written; None when missing, null or blank."""
        value = obj.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.error(f"{field}.{key}", f"expected text, found {_kind(value)}")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as error:
            code = f"U+{ord(value[error.start]):04X}"
            raise self.error(
                f"{field}.{key}",
                f"lone surrogate {code} at character {error.start + 1}: not Unicode text "
                "(a JSON \\ud800-\\udfff escape without its pair)",
            ) from None
        if (index := control_character(value)) is not None:
            raise self.error(f"{field}.{key}",
                             control_message(value, index, f"character {index + 1}"))
        return value if value.strip() else None

    def integer(self, obj: dict[str, object], key: str, field: str) -> int | None:
        value = obj.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(f"{field}.{key}", f"expected a whole number, found {_kind(value)}")
        return value

    def level(self, obj: dict[str, object], key: str, field: str) -> int | None:
        level = self.integer(obj, key, field)
        if level is not None and level not in _LEVELS:
            raise self.error(f"{field}.{key}", f"level {_digits(level)}; expected 0, 1, 2 or 3")
        return level

    def date(self, obj: dict[str, object], key: str, field: str) -> date | None:
        """The date part of an ISO 8601 date-time, as written (no time-zone shift)."""
        text = self.text(obj, key, field)
        if text is None:
            return None
        try:
            day = datetime.fromisoformat(text.strip()).date()
        except ValueError:
            raise self.error(
                f"{field}.{key}",
                f"cannot read {quoted(text)} as an ISO 8601 date-time; expected e.g. "
                "'2019-01-26T09:30:00Z' or '2019-01-26'",
            ) from None
        if impossible := future_date(day):
            raise self.error(f"{field}.{key}", impossible)
        return day

    def names(self, obj: dict[str, object], field: str) -> dict[str, str]:
        """{"en": …, "es": …} from nombre_en/nombre_es, blanks left out; at least one."""
        names = {}
        for lang in LANGUAGES:
            name = self.text(obj, f"nombre_{lang}", field)
            if name:
                names[lang] = name.strip()
        if not names:
            raise self.error(f"{field}.nombre_es", "no name: nombre_es and nombre_en are empty")
        return names


def read_export_document(document: object, path: str, line: int | None, number: int) -> Product:
    """One `get_term` document as a Product; SourceError naming the record and field."""
    record = _Record(path, line, number, document)
    top = record.object(document, "(document)", "(document)")
    if "error" in top:
        answer = top["error"]
        said = quoted(answer) if isinstance(answer, str) else _kind(answer)
        raise SourceError(
            path, line,
            f"{record.label}: the source answered {said} (no such product), not an entry")
    if "producto" not in top:
        raise record.error("producto", "missing; expected a get_term document")
    entry = record.object(top["producto"], "producto", "producto")
    source_id = record.integer(entry, "id", "producto")
    if source_id is None:
        raise record.error("producto.id", "missing; every product has a numeric id")
    product = Product(
        names=record.names(entry, "producto"),
        source_file=path,
        source_line=line,
        level=_level(record, entry),
        updated=record.date(entry, "fecha_modificacion", "producto"),
        created=record.date(entry, "fecha_creacion", "producto"),
        commentary=_commentary(record, entry),
        pharmacokinetics=_pharmacokinetics(record, entry),
        source_id=source_id,
    )
    _mentions(record, top, product)
    product.brand_names = _brand_names(record, top)
    product.references = [
        _reference(record, item, field, position)
        for position, (field, item) in enumerate(record.items(top, "biblio"), start=1)
    ]
    product.citations = [
        citation
        for lang, text in product.commentary.items()
        for citation in find_citations(text, product.references, lang)
    ]
    product.warnings = [*record.warnings, *(
        warning for lang, text in product.commentary.items()
        for warning in long_commentary(f"{record.where}: {record.label}", lang, text))]
    return product


def _level(record: _Record, entry: dict[str, object]) -> int:
    """The level number, checked against every wording that names a known level."""
    level = record.level(entry, "riesgo__nivel", "producto")
    source = "riesgo__nivel"
    for key in _WORDING_FIELDS:
        wording = record.text(entry, key, "producto")
        said = level_for_wording(wording) if wording else None
        if said is None:
            continue  # wordings changed over time; the number is the stable key
        if level is None:
            level, source = said, key
        elif said != level:
            raise record.error(
                f"producto.{key}",
                f"{quoted(wording)} means level {said}, but producto.{source} says {level}",
            )
    if level is None:
        raise record.error(
            "producto.riesgo__nivel",
            "no risk level: expected 0-3, or a known level name or description",
        )
    return level


def _commentary(record: _Record, entry: dict[str, object]) -> dict[str, str]:
    """Verbatim, English first (the citation order, see the module doc); blanks skipped.
    An English commentary that is Spanish (an untranslated entry) is kept as Spanish, once
    where the Spanish field holds the same text."""
    found = {lang: record.text(entry, f"comentario_{lang}", "producto") for lang in LANGUAGES}
    if found["en"] and found["es"] in ("", found["en"]) and reads_as_spanish(found["en"]):
        found["es"], found["en"] = found["en"], ""
    return {lang: text for lang, text in found.items() if text}


_PK_FIELDS = {variable.source_field: variable for variable in PK_VARIABLES.values()}
# The keys of DESIGN.md §4, by object. A key that is none of them but close to one
# ("comentario_EN", "biblios", "coment_en", "anio") is a misspelling, which would drop that
# field silently: the record is refused. Any other key imports with a warning (an export
# may carry more than we read).
_KEYS = {
    "(document)": {"producto", "alternativas", "grupo", "biblio", "marcas"},
    "producto": {"id", "nombre_es", "nombre_en", "riesgo__nivel", *_WORDING_FIELDS,
                 "comentario_es", "comentario_en", "fecha_creacion", "fecha_modificacion",
                 *_PK_FIELDS},
    "alternativas": {"id", "nombre_es", "nombre_en", "riesgo__nivel"},
    "grupo": {"id", "nombre_es", "nombre_en"},
    "biblio": {"titulo", "autores", "publicacion", "anyo", "abstract_link", "full_text_link"},
    "marcas": {"nombre"},
}
# rapidfuzz ratio: "anio" for "anyo" 75, "groups" for "grupo" 73; "name" for "nombre" 60
_MISSPELT = 70


def _another_language(key: str, known: set[str]) -> bool:
    """`nombre_fr` where `nombre_es` is known: a field in a language we do not read, not a
    misspelling (the ratio says 89)."""
    stem, _, language = key.rpartition("_")
    return (len(language) == 2 and language.islower() and language not in LANGUAGES
            and f"{stem}_es" in known)


def _pharmacokinetics(record: _Record, entry: dict[str, object]) -> list[PharmacokineticValue]:
    values = []
    for key, variable in _PK_FIELDS.items():
        raw = record.text(entry, key, "producto")
        if raw:
            values.append(pk_value(variable.labels["en"], raw))
    return values


def _in_language(names: dict[str, str], language: str) -> tuple[str, dict[str, str]]:
    """The name in the entry's language (else the other), and the other names by language."""
    name = names.get(language) or next(iter(names.values()))
    chosen = next(lang for lang, text in names.items() if text == name)
    return name, {lang: other for lang, other in names.items() if lang != chosen}


def _mentions(record: _Record, top: dict[str, object], product: Product) -> None:
    """Alternatives and groups, named in the entry's language, translations kept."""
    language = product.language
    for field, item in record.items(top, "alternativas"):
        name, others = _in_language(record.names(item, field), language)
        product.alternatives.append(
            ProductMention(name, record.level(item, "riesgo__nivel", field))
        )
        product.translations.setdefault(name, {}).update(others)
    for field, item in record.items(top, "grupo"):
        name, others = _in_language(record.names(item, field), language)
        product.groups.append(name)
        product.translations.setdefault(name, {}).update(others)


def _brand_names(record: _Record, top: dict[str, object]) -> list[BrandName]:
    brands = []
    for field, item in record.items(top, "marcas"):
        name = record.text(item, "nombre", field)
        if not name:
            raise record.error(f"{field}.nombre", "a brand name must not be empty")
        brands.append(BrandName(name.strip()))
    return brands


def _sentence(part: str) -> str:
    """A part of a bibliography line, closed by a period unless it ends a sentence already."""
    part = part.strip()
    return part if part.endswith((".", "?", "!")) else f"{part}."


def _journal(publication: str | None) -> tuple[str | None, str | None]:
    """(journal, publication detail) from "Journal. Year;Vol(Issue):pages" or "Journal."."""
    if not publication:
        return None, None
    text = publication.strip().removesuffix(".")
    detailed = _PUBLICATION.fullmatch(text)
    return (detailed["journal"], text) if detailed else (text or None, None)


def _link(record: _Record, item: dict[str, object], key: str, field: str) -> str | None:
    url = record.text(item, key, field)
    if url is None:
        return None
    if not _URL.fullmatch(url.strip()):
        raise record.error(f"{field}.{key}", f"{quoted(url)} is not an http(s) URL")
    return url.strip()


def bibliography_line(
    authors: str | None,
    title: str | None,
    publication: str | None,
    year: int | None,
    abstract: str | None,
    full_text: str | None,
) -> str:
    """The line an English page shows: "Authors. Title. Journal. Year Abstract"."""
    parts = [_sentence(part) for part in (authors, title, publication) if part]
    if year is not None:
        parts.append(str(year))
    parts.extend(label for label, url in ((_ABSTRACT_LABEL, abstract),
                                           (_FULL_TEXT_LABEL, full_text)) if url)
    return " ".join(parts)


def _reference(record: _Record, item: dict[str, object], field: str, position: int) -> Reference:
    authors = record.text(item, "autores", field)
    title = record.text(item, "titulo", field)
    publication = record.text(item, "publicacion", field)
    year = record.integer(item, "anyo", field)
    abstract = _link(record, item, "abstract_link", field)
    full_text = _link(record, item, "full_text_link", field)
    if not (authors or title):
        raise record.error(f"{field}.titulo", "a reference needs a title or authors")
    journal, detail = _journal(publication)
    pmid = _PMID.search(abstract) if abstract else None
    return Reference(
        position=position,
        text=bibliography_line(authors, title, publication, year, abstract, full_text),
        authors=split_authors(authors) if authors else [],
        title=title.strip().removesuffix(".") if title else None,
        journal=journal,
        year=year,
        has_abstract_link=abstract is not None,
        pmid=pmid["pmid"] if pmid else None,
        abstract_url=abstract,
        full_text_url=full_text,
        publication=detail,
        has_full_text_link=full_text is not None,
    )
