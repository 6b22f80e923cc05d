"""Entry pages (text renderings of e-lactancia.org product pages) as `records.Product`.

Renderings lose headings and put sections in different orders (DESIGN.md §2), so the
reader never counts sections. It works in two steps:

1. classify every line by what it *is* (`_classify`, with the tables just above it): a
   date, a level wording, a section heading (English or Spanish, singular or plural),
   a bullet or numbered item, a pharmacokinetics row, boilerplate, or else prose;
2. assemble: a bullet list belongs to the heading it follows, a numbered list is the
   bibliography, and a list whose heading was lost is recognised by its items (product
   names with a level wording in parentheses are alternatives).

The commentary is the one run of prose lines (lines that are nothing else), from its
first prose line to its last, with the lines between (blank ones included) exactly as in
the file after newline normalisation: no leading or trailing blank line. On the seed that
is lines 8-16, from "Mesotherapy involves" to "…through the breast milk.". Two exceptions
are not commentary: prose closed by "Level of risk reviewed on …" (a risk-change
notice) and a lone line equal to the entry's name (a title). Any other prose outside
that run is an error rather than text silently dropped or glued on.

Public: `read_page_file`, `read_page`, `parse_date`; `Kind` and `Line` describe the
classification for readers of this module.
"""

from __future__ import annotations

import codecs
import enum
import os
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from rapidfuzz import fuzz, process

from ..errors import SourceError
from ..records import (
    BrandName,
    OtherWriting,
    PharmacokineticValue,
    Product,
    ProductMention,
    Reference,
)
from ..vocab import RISK_LEVELS, level_for_wording
from . import (
    control_character,
    control_message,
    fold,
    future_date,
    long_commentary,
    quoted,
)
from .citations import find_citations
from .pharmacokinetics import pk_value, row_variable, split_row
from .references import parse_reference
from .untranslated import reads_as_spanish

# --- reading ------------------------------------------------------------------------

MAX_PAGE_BYTES = 16 * 2**20  # an entry page is a few kilobytes; refuse, never read, more
_WIDE_BOMS = (  # UTF-32 first: its little-endian BOM starts with UTF-16's
    (codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"),
)


def read_page_file(path: str | os.PathLike[str]) -> Product:
    """Read one entry page; SourceError if it is missing, too big, not UTF-8 or not an entry
    page."""
    where = os.fspath(path)
    try:
        with open(where, "rb") as handle:
            too_big = os.fstat(handle.fileno()).st_size > MAX_PAGE_BYTES
            data = b"" if too_big else handle.read(MAX_PAGE_BYTES + 1)
    except FileNotFoundError:
        raise SourceError(where, None, "file not found") from None
    except OSError as error:
        raise SourceError(where, None, f"cannot read the file: {error.strerror}") from None
    if too_big or len(data) > MAX_PAGE_BYTES:
        limit = MAX_PAGE_BYTES // 2**20
        raise SourceError(where, None, f"more than {limit} MiB: too big for an entry page")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        for bom, encoding in _WIDE_BOMS:
            if data.startswith(bom):
                raise SourceError(where, 1, f"the page is {encoding} (it starts with a "
                                  f"{encoding} byte-order mark); entry pages must be UTF-8 "
                                  "text") from None
        before = _normalise(data[: error.start].decode("utf-8"))
        line = before.count("\n") + 1
        column = len(before) - before.rfind("\n")
        raise SourceError(
            where,
            line,
            f"byte 0x{data[error.start]:02x} at column {column} is not UTF-8; "
            "entry pages must be UTF-8 text",
        ) from None
    return read_page(text, where)


def _normalise(text: str) -> str:
    """No BOM, and "\\n" for every line break (CRLF and lone CR included)."""
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def read_page(text: str, path: str) -> Product:
    """Parse the text of one entry page; `path` only names it in errors and records."""
    text = _normalise(text)
    if (index := control_character(text)) is not None:
        line = text.count("\n", 0, index) + 1
        column = index - text.rfind("\n", 0, index)
        raise SourceError(path, line, control_message(text, index, f"column {column}"))
    lines = text.split("\n")
    classified = [_classify(number, line) for number, line in enumerate(lines, start=1)]
    draft = _assemble(classified, path)
    return _product(draft, lines)


# --- what each line is: the one place that knows the page's wording ------------------


class Kind(enum.Enum):
    BLANK = "blank"
    DATE = "date"
    LEVEL = "level"
    HEADING = "heading"
    BULLET = "bullet"
    NUMBERED = "numbered"
    TABLE_ROW = "table-row"
    NOTICE = "notice"
    BOILERPLATE = "boilerplate"
    PROSE = "prose"


# Sections a heading introduces.
RELATED_PRODUCTS = "related-products"
RELATED_GROUPS = "related-groups"
ALTERNATIVES = "alternatives"
NO_ALTERNATIVES = "no-alternatives"
OTHER_NAMES = "other-names"
ALIASES = "aliases"
OTHER_WRITINGS = "other-writings"
GROUPS = "groups"
BRANDS = "brands"
PHARMACOKINETICS = "pharmacokinetics"
REFERENCES = "references"
LIST_SECTIONS = (
    RELATED_PRODUCTS,
    RELATED_GROUPS,
    ALTERNATIVES,
    ALIASES,
    OTHER_WRITINGS,
    GROUPS,
    BRANDS,
)
_STATEMENTS = (NO_ALTERNATIVES,)  # headings that need nothing after them


@dataclass(frozen=True)
class Line:
    """One line of the page and what it is."""

    number: int
    text: str
    kind: Kind
    language: str | None = None
    section: str | None = None  # the section a heading introduces
    name: str | None = None  # the entry's name, when the line states it
    value: str | None = None  # a list item, a date, a level wording
    level: int | None = None


@dataclass(frozen=True)
class _Rule:
    kind: Kind
    language: str | None
    pattern: re.Pattern[str]
    section: str | None = None


def _rules(kind: Kind, section: str | None, *patterns: tuple[str | None, str]) -> list[_Rule]:
    return [_Rule(kind, lang, re.compile(p, re.IGNORECASE), section) for lang, p in patterns]


_NAME = r"(?P<name>\S.{0,118}?)"
_RULES: tuple[_Rule, ...] = (
    *_rules(Kind.BULLET, None, (None, r"[•◦▪·]\s*(?P<value>.+)"), (None, r"[-*]\s+(?P<value>.+)")),
    *_rules(Kind.NUMBERED, None, (None, r"(?P<number>\d{1,3})\.\s+(?P<value>.+)")),
    *_rules(
        Kind.DATE,
        None,
        ("en", r"Last update:?\s*(?P<value>.*)"),
        ("es", r"[ÚU]ltima actualizaci[óo]n:?\s*(?P<value>.*)"),
    ),
    *_rules(
        Kind.NOTICE,
        None,
        ("en", r"Level of risk reviewed on\b.*"),
        ("es", r"Nivel de riesgo revisado el\b.*"),
    ),
    *_rules(
        Kind.BOILERPLATE,
        None,
        ("en", r"Suggestions made at e-lactancia\b.*"),
        ("es", r"Las (?:sugerencias|recomendaciones) (?:hechas|realizadas) en e-lactancia\b.*"),
        (None, r"Jos[eé] Mar[ií]a Paricio,.*"),
        ("en", r"Your contribution is essential for this service to continue to exist\b.*"),
        ("es", r"Tu aportación es fundamental para que este servicio siga existiendo\b.*"),
        ("en", r"Thank you for helping to protect and promote breastfeeding\.?"),
        (
            "es",
            r"Gracias por ayudar a (?:seguir salvando lactancias|proteger y promover la "
            r"lactancia materna)\.?",
        ),
        ("en", r"Donate now"),
        ("es", r"Dona ahora"),
        ("en", r"Total visits\b.*"),
        ("es", r"Visitas totales\b.*"),
        (None, r"[\d.,]+"),  # the visit count
        ("en", r"Help us improve this entry"),
        ("es", r"Ayúdanos a mejorar esta ficha"),
        ("en", r"How to cite this entry"),
        ("es", r"Cómo citar esta ficha"),
        ("en", r"Do you need more information or did not f(?:ou|i)nd what you were looking for\?"),
        ("es", r"¿Necesitas más información o no encontraste lo que buscabas\?"),
        ("en", r"Write (?:to )?us at\b.*"),
        ("es", r"Escríbenos al?\b.*"),
        (None, r"[^\s@]+@\S+\.\w+"),  # not "\S+@": that backtracks over every "@"
        ("en", r"e-lactancia is a resource recommended by\b.*"),
        ("es", r"e-lactancia es un recurso recomendado por\b.*"),
        ("en", r"Would you like to recommend the use of e-lactancia\?.*"),
        ("es", r"¿Quieres recomendar el uso de e-lactancia\?.*"),
        ("en", r"We are enabling a comment for this product\.?"),
        ("es", r"Estamos habilitando un comentario para este producto\.?"),
        ("es", r"No disponemos de bibliografía para este producto\.?"),
        ("es", r"Estamos trabajando en poner las citas bibliográficas\b.*"),
    ),
    *_rules(
        Kind.HEADING,
        RELATED_PRODUCTS,
        (
            "en",
            r"See below the information of (?:this related product|these related "
            r"products):?",
        ),
        (
            "es",
            r"Puede consultar abajo la información de (?:este producto relacionado|estos "
            r"productos relacionados):?",
        ),
    ),
    *_rules(
        Kind.HEADING,
        RELATED_GROUPS,
        ("en", r"See below the information of (?:this related group|these related groups):?"),
        (
            "es",
            r"Puede consultar abajo la información de (?:este grupo relacionado|estos "
            r"grupos relacionados):?",
        ),
    ),
    *_rules(Kind.HEADING, ALTERNATIVES, ("en", r"Alternatives:?"), ("es", r"Alternativas:?")),
    *_rules(
        Kind.HEADING,
        NO_ALTERNATIVES,
        ("en", rf"We do not have alternatives for {_NAME}(?: since it is relatively safe)?\.?"),
        ("es", rf"No disponemos de alternativas para {_NAME}\.?"),
        (
            "es",
            rf"No se muestran alternativas porque {_NAME} tiene un nivel de riesgo muy "
            r"bajo\.?",
        ),
    ),
    *_rules(Kind.HEADING, OTHER_NAMES, ("en", r"Other names"), ("es", r"Otros nombres")),
    *_rules(
        Kind.HEADING,
        ALIASES,
        ("en", rf"{_NAME} is also known as:?"),
        ("es", rf"{_NAME} también se conoce como:?"),
    ),
    *_rules(
        Kind.HEADING,
        OTHER_WRITINGS,
        ("en", rf"{_NAME} in other languages or writings:?"),
        ("es", rf"{_NAME} en otros idiomas o escrituras:?"),
    ),
    *_rules(
        Kind.HEADING,
        GROUPS,
        ("en", rf"{_NAME} belongs to (?:this group or family|these groups or families):?"),
        (
            "es",
            rf"{_NAME} pertenece a (?:la siguiente familia o grupo|las siguientes familias "
            r"o grupos):?",
        ),
        ("en", r"Groups?"),
        ("es", r"Grupos?"),
    ),
    *_rules(
        Kind.HEADING,
        BRANDS,
        (
            "en",
            rf"Main tradenames from several countries containing {_NAME} in its "
            r"composition:?",
        ),
        (
            "es",
            rf"Principales marcas comerciales de diversos países que contienen {_NAME} en "
            r"su composición:?",
        ),
        ("en", r"Tradenames"),
        ("es", r"Marcas comerciales"),
    ),
    *_rules(
        Kind.HEADING,
        PHARMACOKINETICS,
        ("en", r"Pharmacokinetics"),
        ("es", r"Farmacocinética"),
        ("en", r"Variable\s+Value\s+Unit"),
        ("es", r"Variable\s+Valor\s+Unidad"),
    ),
    *_rules(Kind.HEADING, REFERENCES, ("en", r"References"), ("es", r"Bibliografía")),
)


def _any_rule(rules: tuple[_Rule, ...]) -> re.Pattern[str]:
    """One pattern for all the rules, in their order, each alternative a group `r<index>`:
    a line is tried against all of them in one call (trying ~60 patterns one by one was a
    tenth of a page's import). Their own groups do not capture here: the rule's pattern,
    matched again, gives them."""
    return re.compile("|".join(f"(?P<r{index}>{_CAPTURE.sub('(?:', rule.pattern.pattern)})"
                               for index, rule in enumerate(rules)), re.IGNORECASE)


_CAPTURE = re.compile(r"\(\?P<\w+>")
_ANY_RULE = _any_rule(_RULES)

# The wording ends in a non-space: a lazy ".+?" before "\s+" would rescan every run of
# spaces from each of its positions (quadratic on a long line).
_LEVEL_SUFFIX = r"(?P<suffix>for breastfeeding|para la lactancia)"
_LEVEL_HEADING = re.compile(rf"(?P<wording>.*\S)\s+{_LEVEL_SUFFIX}", re.IGNORECASE)
# the heading's end, looked for where it must be before the whole line is matched (the
# heading's pattern tries every position of a paragraph of commentary)
_LEVEL_HEADING_END = re.compile(rf"{_LEVEL_SUFFIX}\Z", re.IGNORECASE)
_SUFFIX_LENGTH = len("for breastfeeding")  # == len("para la lactancia")


def _wording_languages() -> dict[str, set[str]]:
    """Folded level wording -> the languages that use it (former wordings are English)."""
    languages: dict[str, set[str]] = {}
    for risk in RISK_LEVELS:
        for lang, text in risk.wordings():
            languages.setdefault(fold(text), set()).add(lang)
    return languages


_WORDING_LANGUAGES = _wording_languages()


def _wording_language(wording: str) -> str | None:
    """The language of a level wording, when only one language uses it."""
    found = _WORDING_LANGUAGES.get(fold(wording), set())
    return next(iter(found)) if len(found) == 1 else None


def _level_line(number: int, text: str) -> Line | None:
    """A level name ("Likely Compatibility", "Low Risk for breastfeeding") or description."""
    stripped = text.strip()
    heading = (_LEVEL_HEADING.fullmatch(stripped)
               if _LEVEL_HEADING_END.search(stripped, len(stripped) - _SUFFIX_LENGTH) else None)
    if heading and level_for_wording(heading["wording"]) is not None:
        wording = heading["wording"]
        language = "en" if heading["suffix"].casefold() == "for breastfeeding" else "es"
    else:
        wording = stripped
        if level_for_wording(wording) is None:
            return None
        language = _wording_language(stripped)
    return Line(number, text, Kind.LEVEL, language, value=wording,
                level=level_for_wording(wording))


def _table_row(number: int, text: str) -> Line | None:
    if row_variable(text):
        return Line(number, text, Kind.TABLE_ROW, value=text.strip())
    return None


def _classify(number: int, text: str) -> Line:
    """What one line is. Rules are tried in order; prose is whatever nothing else claims."""
    stripped = text.strip()
    if not stripped:
        return Line(number, text, Kind.BLANK)
    level = _level_line(number, text)  # before the headings: "Low Risk for breastfeeding"
    if level:
        return level
    which = _ANY_RULE.fullmatch(stripped)
    if which:
        rule = _RULES[int(which.lastgroup[1:])]
        found = rule.pattern.fullmatch(stripped).groupdict()
        return Line(
            number,
            text,
            rule.kind,
            rule.language,
            rule.section,
            found.get("name"),
            found.get("value"),
        )
    return _table_row(number, text) or Line(number, text, Kind.PROSE)


# --- blocks: consecutive lines of one kind ------------------------------------------


# Kinds whose runs continue across blank lines; a bullet list ends at a blank line (the
# seed's lost "Alternatives" heading is visible only as that gap).
_SPANS_BLANKS = (Kind.PROSE, Kind.NUMBERED, Kind.TABLE_ROW)
_GROUPED = (*_SPANS_BLANKS, Kind.BULLET)


def _blocks(lines: list[Line]) -> Iterator[list[Line]]:
    block: list[Line] = []
    gap = False
    for line in lines:
        if line.kind is Kind.BLANK:
            gap = True
            continue
        same = block and line.kind is block[0].kind and line.kind in _GROUPED
        if same and (not gap or line.kind in _SPANS_BLANKS):
            block.append(line)
        else:
            if block:
                yield block
            block = [line]
        gap = False
    if block:
        yield block


# --- assembling the blocks ----------------------------------------------------------


@dataclass
class _Draft:
    """What the page said, line by line, before it is checked and turned into a Product."""

    path: str
    names: list[Line] = field(default_factory=list)
    languages: Counter[str] = field(default_factory=Counter)
    levels: list[Line] = field(default_factory=list)
    dates: list[Line] = field(default_factory=list)
    prose: list[list[Line]] = field(default_factory=list)
    lists: dict[str, list[Line]] = field(default_factory=dict)
    references: list[Line] = field(default_factory=list)
    table: list[Line] = field(default_factory=list)
    no_alternatives: Line | None = None
    last: Line | None = None  # the last non-blank line

    def error(self, line: Line | int | None, message: str) -> SourceError:
        number = line.number if isinstance(line, Line) else line
        return SourceError(self.path, number, message)


def _assemble(lines: list[Line], path: str) -> _Draft:
    """Sort the blocks into the draft; a bullet list goes where `_list_section` says."""
    draft = _Draft(path)
    pending: Line | None = None  # the heading still waiting for its list
    previous: list[Line] = []
    for block in _blocks(lines):
        head = block[0]
        if head.language:
            draft.languages[head.language] += 1
        if head.name:
            draft.names.append(head)
        match head.kind:
            case Kind.HEADING if head.section == NO_ALTERNATIVES:
                draft.no_alternatives = head
            case Kind.BULLET:
                draft.lists.setdefault(_list_section(draft, block, pending), []).extend(block)
            case Kind.NUMBERED:
                draft.references.extend(block)
            case Kind.TABLE_ROW:
                draft.table.extend(block)
            case Kind.PROSE:
                _refuse_unknown_row(draft, block[0], previous)
                draft.prose.append(block)
            case Kind.NOTICE if draft.prose and draft.prose[-1] is previous:
                draft.prose.pop()  # the risk-change message this notice closes
            case Kind.DATE:
                draft.dates.extend(block)
            case Kind.LEVEL:
                draft.levels.extend(block)
        pending = head if head.kind is Kind.HEADING and head.section in LIST_SECTIONS else None
        previous = block
        draft.last = block[-1]
    return draft


def _refuse_unknown_row(draft: _Draft, line: Line, previous: list[Line]) -> None:
    """A table row whose label we do not know must not pass for commentary."""
    in_table = previous and (
        previous[0].kind is Kind.TABLE_ROW or previous[0].section == PHARMACOKINETICS
    )
    cells = split_row(line.text)
    if in_table and len(cells) >= 2:
        try:
            pk_value(cells[0], cells[1])
        except ValueError as error:
            raise draft.error(line, str(error)) from None


def _list_section(draft: _Draft, block: list[Line], pending: Line | None) -> str:
    """Which section a bullet list fills: its heading's, or one its items reveal."""
    wanted = pending.section if pending else None
    if wanted in (RELATED_PRODUCTS, ALTERNATIVES):
        return wanted
    if all(_level_of_item(line) is not None for line in block):
        if pending is not None:  # a heading of names, not of products: it decides
            raise draft.error(block[0], f"items with a risk level, as alternatives are "
                              f"written, under {quoted(pending.text.strip())}: expected "
                              "names without a level there")
        return ALTERNATIVES  # "Name (level description)" items whose heading was lost
    if wanted:
        return wanted
    if all("(" in (line.value or "") for line in block):
        return ALTERNATIVES  # reading the items will name the unknown or cut-off wording
    headings = "', '".join(
        (
            "Alternatives",
            "X is also known as",
            "X belongs to this group or family:",
            "Main tradenames from several countries containing X in its composition:",
        )
    )
    raise draft.error(
        block[0],
        f"a list with no heading before it; expected a heading such as "
        f"'{headings}', or items written 'Name (level description)'",
    )


# --- reading the parts --------------------------------------------------------------

_NUMBERED = next(rule.pattern for rule in _RULES if rule.kind is Kind.NUMBERED)
_EXPECTED_WORDINGS = "; ".join(
    f"{risk.level}: " + " | ".join(dict.fromkeys(text for _, text in risk.wordings()))
    for risk in RISK_LEVELS
)


_WORDINGS = {fold(text): text for risk in RISK_LEVELS for _, text in risk.wordings()}
_DATE_LABELS = {fold(label): label for label in ("Last update", "Última actualización")}
_DATE_LINE = re.compile(r"(?P<label>\D{1,40})\d.*\d{4}\s*")  # "Last updte Jan. 26, 2019"
_MISSPELT_WORDING = 88  # rapidfuzz ratio of folded texts: 'Compatibel' 90, 'Last updte' 91


def _misspelt_wording(text: str) -> str | None:
    """The level wording a line misspells, or the date label that a date line's start
    misspells, if it is close to one but none."""
    match = process.extractOne(fold(text), _WORDINGS.keys(), scorer=fuzz.ratio,
                               score_cutoff=_MISSPELT_WORDING)
    if match:
        return _WORDINGS[match[0]]
    date_line = _DATE_LINE.fullmatch(text.strip())
    start = fold(date_line["label"]) if date_line else ""
    return next((label for folded, label in _DATE_LABELS.items()
                 if fuzz.ratio(folded, start[:len(folded)]) >= _MISSPELT_WORDING), None)


def _split_parenthetical(text: str) -> tuple[str, str | None]:
    """("Cavitation", "Safe …") from "Cavitation (Safe …)"; (text, None) without one.

    The wording itself may hold parentheses ("… 3 to 7 T ½ (elimination half-lives) …"),
    so the closing one is matched by depth from the end. ValueError if they do not balance.
    """
    text = text.strip()
    if text.count("(") != text.count(")"):
        raise ValueError("unbalanced parentheses")
    if not text.endswith(")"):
        return text, None
    depth = 0
    for index in range(len(text) - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(text[index], 0)
        if depth == 0:
            return text[:index].rstrip(), text[index + 1 : -1].strip()
    raise ValueError("unbalanced parentheses")


def _parenthetical(draft: _Draft, line: Line, text: str) -> tuple[str, str | None]:
    try:
        return _split_parenthetical(text)
    except ValueError:
        raise draft.error(
            line, f"unbalanced parentheses in {quoted(text)}: the line seems cut off"
        ) from None


def _level_of_item(line: Line) -> int | None:
    try:
        _name, wording = _split_parenthetical(line.value or "")
    except ValueError:
        return None
    return level_for_wording(wording) if wording else None


def _mention(draft: _Draft, line: Line) -> ProductMention:
    """A related product or alternative: "Name (level name or description)"."""
    name, wording = _parenthetical(draft, line, line.value or "")
    if wording is None:
        return ProductMention(name)
    level = level_for_wording(wording)
    if level is None:
        raise draft.error(
            line,
            f"unknown level wording {quoted(wording)} for {quoted(name)}; expected one "
            f"of these level names or descriptions: {_EXPECTED_WORDINGS}",
        )
    return ProductMention(name, level)


# Linear on any line: the atomic group stops at the first "Contains …" (a later one could
# not match where the first failed), "(?<!\s)" skips starts inside a run of spaces and
# "\s++" never gives spaces back to the name.
_COMBINATION = re.compile(
    r"(?>(?P<brand>.+?)(?<!\s)\.?\s+"
    r"(?:Contains other elements than|Contiene otros elementos aparte de))\s++"
    r"(?P<name>.+?)(?<!\s)\s+(?:in its composition|en su composición)\.?",
    re.IGNORECASE,
)


def _brand(draft: _Draft, line: Line, entry: str) -> BrandName:
    """ "Brand (Country1, Country2)", optionally followed by the combination sentence.

    The rendering may keep the source's "™" after the name; it is not part of the name.
    """
    text = line.value or ""
    combination = _COMBINATION.fullmatch(text)
    if combination:
        if fold(combination["name"]) != fold(entry):
            raise draft.error(
                line,
                f"this brand is said to contain {quoted(combination['name'])}, "
                f"but the page is about {entry!r}",
            )
        text = combination["brand"]
    name, countries = _parenthetical(draft, line, text.rstrip(" .™"))
    listed = [c for c in re.split(r"\s*,\s*|\s+(?:and|y)\s+", countries or "") if c]
    return BrandName(name.rstrip(" ™"), listed, is_combination=combination is not None)


def _writing(draft: _Draft, line: Line) -> OtherWriting:
    """ "Catalan: Mesoteràpia", "Mesoteràpia (Catalan)" or just "Mesoteràpia"."""
    text = line.value or ""
    labelled = re.fullmatch(r"(?P<language>[^:()]{1,40}):\s+(?P<name>.+)", text)
    if labelled:
        return OtherWriting(labelled["name"].strip(), labelled["language"].strip())
    name, language = _parenthetical(draft, line, text)
    return OtherWriting(name, language)


_MONTH_NAMES = (
    ("january", "enero"),
    ("february", "febrero"),
    ("march", "marzo"),
    ("april", "abril"),
    ("may", "mayo"),
    ("june", "junio"),
    ("july", "julio"),
    ("august", "agosto"),
    ("september", "septiembre"),
    ("october", "octubre"),
    ("november", "noviembre"),
    ("december", "diciembre"),
)
# Full names and three-letter abbreviations in both languages ("Jan.", "ago."), plus "Sept.".
_MONTHS: dict[str, int] = {
    **{
        name[:length]: number
        for number, names in enumerate(_MONTH_NAMES, start=1)
        for name in names
        for length in (3, len(name))
    },
    "sept": 9,
    "setiembre": 9,
}
_DATE_SHAPES = tuple(
    re.compile(shape, re.IGNORECASE)
    for shape in (
        r"(?P<month>[^\W\d_]+)\.?\s+(?P<day>\d{1,2}),?\s+(?P<year>\d{4})",  # Jan. 26, 2019
        r"(?P<day>\d{1,2})\s+(?:de\s+)?(?P<month>[^\W\d_]+)\.?,?\s+(?:de\s+)?(?P<year>\d{4})",
        r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})",
    )
)


def parse_date(text: str) -> date | None:
    """ "Jan. 26, 2019", "Sept. 5, 2020", "January 26, 2019", "30 de Agosto de 2021", ISO."""
    for shape in _DATE_SHAPES:
        match = shape.fullmatch(text.strip().rstrip("."))
        if match:
            month = match["month"]
            number = int(month) if month.isdecimal() else _MONTHS.get(fold(month))
            try:
                return date(int(match["year"]), number, int(match["day"])) if number else None
            except ValueError:
                return None
    return None


# --- checking the whole and building the Product ------------------------------------


def _require_entry_page(draft: _Draft) -> None:
    if not (draft.dates or draft.levels or draft.names or draft.lists or draft.references):
        raise draft.error(
            None,
            "not an e-lactancia entry page: found no 'Last update' date, no "
            "risk level (such as 'Likely Compatibility') and no section "
            "heading (such as 'X is also known as' or 'X belongs to this "
            "group or family:'), in English or Spanish",
        )
    last = draft.last
    if last and last.kind is Kind.HEADING and last.section not in _STATEMENTS:
        raise draft.error(
            last,
            f"the page ends with the heading {quoted(last.text.strip())} and "
            "nothing after it: the page seems cut off",
        )


def _entry_name(draft: _Draft) -> str:
    if not draft.names:
        raise draft.error(
            None,
            "no entry name: expected a line that states it, such as 'X is "
            "also known as', 'X belongs to this group or family:', 'X in "
            "other languages or writings', 'Main tradenames from several "
            "countries containing X in its composition:' or 'We do not "
            "have alternatives for X' (or their Spanish forms)",
        )
    first = draft.names[0]
    for line in draft.names[1:]:
        if fold(line.name or "") != fold(first.name or ""):
            raise draft.error(
                line,
                f"this line names the entry {line.name!r}, but line "
                f"{first.number} names it {first.name!r}",
            )
    return (first.name or "").strip()


def _language(draft: _Draft) -> str:
    if not draft.languages:
        raise draft.error(
            None,
            "cannot tell whether the page is in English or Spanish: no "
            "heading, date or boilerplate in either language",
        )
    return draft.languages.most_common(1)[0][0]


def _level(draft: _Draft, commentary: list[Line] | None) -> int:
    levels = {line.level for line in draft.levels}
    if len(levels) > 1:
        said = "; ".join(
            f"line {line.number} {quoted(line.value or '')} means level {line.level}"
            for line in draft.levels
        )
        raise draft.error(draft.levels[1], f"the level name and description disagree: {said}")
    if levels:
        return levels.pop()
    if commentary:
        raise draft.error(
            commentary[0],
            "the page has a commentary but no risk level before "
            "it: the page seems cut off (expected a level name "
            "such as 'Likely Compatibility' or its description)",
        )
    raise draft.error(None, f"no risk level; expected one of: {_EXPECTED_WORDINGS}")


def _updated(draft: _Draft) -> date | None:
    if not draft.dates:
        return None
    line = draft.dates[0]
    parsed = parse_date(line.value or "")
    if parsed is None:
        raise draft.error(
            line,
            f"cannot read the date {quoted(line.value or '')}; expected e.g. 'Jan. 26, "
            "2019', 'Sept. 5, 2020', 'January 26, 2019' or '30 de Agosto de "
            "2021'",
        )
    if impossible := future_date(parsed):
        raise draft.error(line, impossible)
    return parsed


def _commentary(draft: _Draft, entry: str) -> list[Line] | None:
    """The one run of prose; a lone line equal to the entry's name is a title, not text.

    A line that reads like a level's wording or the date's label with a typo is an error
    at that line: as prose it went into the commentary (a description), or made a second
    run whose error named the commentary's first line instead (a level name, the date)."""
    runs = [run for run in draft.prose if not (len(run) == 1 and fold(run[0].text) == fold(entry))]
    if runs and (meant := _misspelt_wording(runs[0][0].text)):
        raise draft.error(runs[0][0], f"{quoted(runs[0][0].text.strip()[:80])} reads like "
                          f"{quoted(meant)} misspelt; expected it as the source writes it")
    if len(runs) > 1:
        first, extra = runs[0], runs[1][0]
        raise draft.error(
            extra,
            f"unrecognised text {extra.text.strip()[:60]!r} outside the "
            f"commentary (lines {first[0].number}-{first[-1].number}); "
            "expected a section heading, a list item or known boilerplate",
        )
    return runs[0] if runs else None


def _references(draft: _Draft) -> list[Reference]:
    references = []
    for expected, line in enumerate(draft.references, start=1):
        match = _NUMBERED.fullmatch(line.text.strip())
        assert match  # classified as numbered by this very pattern
        number = int(match["number"])
        if number != expected:
            raise draft.error(
                line,
                f"reference {number} where {expected} was expected: the "
                "bibliography must be numbered 1, 2, 3…",
            )
        reference = parse_reference(match["value"], number)
        if reference.year is None:
            cut = "the page seems cut off: " if line is draft.last else ""
            raise draft.error(
                line,
                f"{cut}reference {number} has no year; expected 'Authors. Title. Journal. Year'",
            )
        references.append(reference)
    return references


def _pharmacokinetics(draft: _Draft) -> list[PharmacokineticValue]:
    values = []
    for line in draft.table:
        cells = split_row(line.text)
        if len(cells) > 3:
            raise draft.error(
                line,
                f"{len(cells)} cells in a pharmacokinetics row; expected "
                "'Variable', 'Value' and 'Unit' separated by tabs or 2+ spaces",
            )
        try:
            values.append(pk_value(cells[0], cells[1], cells[2] if len(cells) == 3 else None))
        except ValueError as error:
            raise draft.error(line, str(error)) from None
    return values


def _product(draft: _Draft, lines: list[str]) -> Product:
    _require_entry_page(draft)
    entry = _entry_name(draft)
    language = _language(draft)
    prose = _commentary(draft, entry)
    level = _level(draft, prose)
    items = draft.lists
    alternatives = [_mention(draft, line) for line in items.get(ALTERNATIVES, [])]
    if alternatives and draft.no_alternatives:
        raise draft.error(
            draft.no_alternatives, "the page lists alternatives and also says it has none"
        )
    references = _references(draft)
    commentary = "\n".join(lines[prose[0].number - 1 : prose[-1].number]) if prose else None
    written_in = "es" if language == "en" and commentary and reads_as_spanish(commentary) \
        else language
    return Product(
        names={language: entry},
        source_file=draft.path,
        level=level,
        updated=_updated(draft),
        commentary={written_in: commentary} if commentary else {},
        related_products=[_mention(draft, line) for line in items.get(RELATED_PRODUCTS, [])],
        related_groups=[line.value or "" for line in items.get(RELATED_GROUPS, [])],
        alternatives=alternatives,
        no_alternatives=draft.no_alternatives is not None,
        aliases=[line.value or "" for line in items.get(ALIASES, [])],
        other_writings=[_writing(draft, line) for line in items.get(OTHER_WRITINGS, [])],
        groups=[line.value or "" for line in items.get(GROUPS, [])],
        brand_names=[_brand(draft, line, entry) for line in items.get(BRANDS, [])],
        pharmacokinetics=_pharmacokinetics(draft),
        references=references,
        citations=find_citations(commentary, references, written_in) if commentary else [],
        warnings=[*_cut_off(draft), *(long_commentary(
            f"{draft.path}: line {prose[0].number}", written_in, commentary)
            if prose and commentary else [])],
    )


def _cut_off(draft: _Draft) -> list[str]:
    """A page that ends before its footer may have lost the end of its last section; it
    imports (what is there is right), with a warning to look at it."""
    last = draft.last
    if last is None or last.kind is Kind.BOILERPLATE:
        return []
    return [f"{draft.path}: line {last.number}: the page ends with {quoted(last.text.strip())} "
            "and no footer after it ('Help us improve this entry', 'Total visits'…): it may "
            "be cut off, its last section incomplete; imported as it is"]
