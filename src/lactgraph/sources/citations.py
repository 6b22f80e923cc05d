"""Author–year citations in a commentary, and the reference each one denotes.

Finding. Citations sit in parentheses, separated by commas or semicolons: "(Konda 2103,
Vedamurthy 2007)". An item is a citation when it ends in a four-digit year preceded by
a run of capitalised names, with particles ("da", "de la"), connectors ("&", "and",
"y", "e") and "et al." allowed inside the run: "Konda & Thappa 2013", "Galés y Gimenez
2011", "Couderc et al. 2011". Editors drop parentheses: for a ")" with no "(" the items
just before it are read back to the first that is not a citation ("skin allergies CDC
2005)" gives "CDC 2005"); a "(" never closed is read to the end of its paragraph.

Resolving. The first cited surname and the year are compared with each reference's
first author and year. Confidence says how much was corrected to make them meet:

==================  ======================================================  ==========
method              name and year                                           confidence
==================  ======================================================  ==========
EXACT               surname equal (accents and case aside), year equal      1.0
CORPORATE_AUTHOR    acronym written in the author "(CDC)", year equal       0.95
                    initials of the author's capitalised words ("WHO"), or  0.85
                    their first three or more ("AAP" = American Academy of
                    Pediatrics Committee on Drugs), year equal
FUZZY_NAME          first part of a hyphenated surname ("Rivera" =          0.9
                    Rivera-Olivero) or its leading words ("Da Mata" = Da
                    Mata Jardín), year equal
                    similar spelling ("Galés" ~ Galmés), year equal         0.9 x similarity
CORRECTED_YEAR      surname equal, two adjacent digits swapped ("2103")     0.9
                    surname equal, one digit wrong                          0.8
==================  ======================================================  ==========

A name correction and a year correction together keep the name's method and multiply
the two confidences (two coincidences are less likely than one). Similarity is
rapidfuzz's normalised indel ratio on accent-folded surnames, accepted from 0.8: one
dropped or changed letter in a name of five or more letters. The best-scoring
reference wins; a tie between references, or no candidate, leaves the citation
unresolved (reference None, method None, confidence 0.0) for a human to settle.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from rapidfuzz import fuzz

from ..records import (
    CORPORATE_AUTHOR,
    CORRECTED_YEAR,
    EXACT,
    FUZZY_NAME,
    Citation,
    Reference,
)
from . import fold
from .references import surname

_YEAR = re.compile(r"(?<!\d)(?P<year>[12]\d{3})[a-z]?\s*$")
_BARE_YEAR = re.compile(r"\s*[12]\d{3}[a-z]?\s*")
_TOKEN = re.compile(r"\S+")
_SPAN_MARK = re.compile(r"[()\n]")  # what `_spans` reads: a loop over every character is slow
_PARTICLES = frozenset(
    {
        "de",
        "da",
        "das",
        "do",
        "dos",
        "del",
        "della",
        "di",
        "du",
        "la",
        "le",
        "van",
        "von",
        "der",
        "den",
        "ten",
        "ter",
    }
)
_CONNECTORS = frozenset({"&", "and", "y", "e", "und"})
_ET_AL = frozenset({"al", "al."})
_IN_NAMES = _PARTICLES | _CONNECTORS
_SIMILARITY_FLOOR = 0.8
# Parentheses nested deeper than this are read as text: every level re-reads the text it
# encloses, so unbounded nesting ("((((…") is quadratic; no commentary nests beyond 3.
_MAX_DEPTH = 8
_LONGEST_NAME = 200  # characters: a longer run of capitalised words names no author


@dataclass(frozen=True)
class _Found:
    text: str
    offset: int
    surnames: tuple[str, ...]
    year: int


# --- finding --------------------------------------------------------------------------


def _spans(text: str) -> Iterator[tuple[int, int, bool]]:
    """(start, end, open_missing) for every parenthesised stretch of each paragraph."""
    stack: list[int] = []
    deeper = 0  # "(" beyond _MAX_DEPTH, still open
    boundary = 0
    for mark in _SPAN_MARK.finditer(text + "\n"):
        i, char = mark.start(), mark.group()
        if char == "\n":
            yield from ((start + 1, i, False) for start in stack)
            stack, boundary, deeper = [], i + 1, 0
        elif char == "(":
            if len(stack) < _MAX_DEPTH:
                stack.append(i)
            else:
                deeper += 1
        elif char == ")":
            if deeper:
                deeper -= 1
            elif stack:
                yield stack.pop() + 1, i, False
            else:
                yield boundary, i, True
            boundary = i + 1


def _items(text: str, start: int, end: int) -> list[tuple[int, str]]:
    """The comma- or semicolon-separated items of a span, with their offsets.

    "Smith et al., 2010" is one item: a bare year joins the item before it when that
    item has no year of its own.
    """
    items: list[tuple[int, str]] = []
    for match in re.finditer(r"[^,;]+", text[start:end]):
        offset = start + match.start()
        if items and _BARE_YEAR.fullmatch(match.group()) and not _YEAR.search(items[-1][1]):
            previous = items.pop()[0]
            items.append((previous, text[previous : offset + len(match.group())]))
        else:
            items.append((offset, match.group()))
    return items


def _is_name(word: str) -> bool:
    return word[0].isupper() and any(c.isalpha() for c in word)


def _name_run(prefix: str) -> tuple[int, list[str]] | None:
    """Where the names before a year start, and the surnames they cite (first one first)."""
    tokens = list(_TOKEN.finditer(prefix))
    if len(tokens) >= 2 and tokens[-1].group().rstrip(",") in _ET_AL and tokens[-2].group() == "et":
        tokens = tokens[:-2]
    run: list[re.Match[str]] = []  # gathered backwards: inserting at the front is quadratic
    for token in reversed(tokens):
        word = token.group()
        if _is_name(word) or word.casefold() in _IN_NAMES:
            run.append(token)
        else:
            break
    while run and run[-1].group().casefold() in _CONNECTORS:
        run.pop()
    run.reverse()
    if not any(_is_name(t.group()) for t in run):
        return None
    surnames = " ".join(t.group() for t in run)
    parts = re.split(r"\s+(?:&|and|y|e|und)\s+", surnames)
    return run[0].start(), parts


def _citation(offset: int, item: str) -> _Found | None:
    year = _YEAR.search(item)
    if not year:
        return None
    named = _name_run(item[: year.start()])
    if named is None:
        return None
    start, surnames = named
    end = year.start() + len(year.group().rstrip())
    return _Found(item[start:end], offset + start, tuple(surnames), int(year["year"]))


def _in_span(text: str, start: int, end: int, open_missing: bool) -> list[_Found]:
    found = [_citation(offset, item) for offset, item in _items(text, start, end)]
    if open_missing:  # only the items right before the ")" belong to the citation
        trailing: list[_Found] = []
        for citation in reversed(found):
            if citation is None:
                break
            trailing.append(citation)
        return trailing[::-1]
    return [c for c in found if c is not None]


def _find(text: str) -> list[_Found]:
    found = [c for span in _spans(text) for c in _in_span(text, *span)]
    return sorted(found, key=lambda c: c.offset)


# --- resolving ------------------------------------------------------------------------


@lru_cache(maxsize=1 << 14)  # each reference of a page is tried for every citation
def _year_score(cited: int, actual: int | None) -> tuple[float, bool] | None:
    """(confidence, corrected) when the cited year is the actual one or a typo of it."""
    if actual is None:
        return None
    if cited == actual:
        return 1.0, False
    a, b = str(cited), str(actual)
    differing = [i for i in range(4) if a[i] != b[i]]
    if len(differing) == 2 and differing[1] == differing[0] + 1 and sorted(a) == sorted(b):
        return 0.9, True
    if len(differing) == 1:
        return 0.8, True
    return None


class _Author(NamedTuple):
    """What a citation's surname is compared with, worked out once per author string: a
    page's citations are each tried against every reference of its year, and references
    (with their first authors) recur from page to page."""

    surname: str  # folded
    hyphen_first: str  # folded first part of a hyphenated surname
    initials: str  # "World Health Organization" -> "WHO": the capitalised words' first letters
    acronyms: tuple[str, ...]  # "(WHO)"-style acronyms given with the name


@lru_cache(maxsize=1 << 14)
def _author(author: str) -> _Author:
    name = surname(author)
    words = re.sub(r"\(.*?\)", "", author).split()
    return _Author(fold(name), fold(name.split("-")[0]),
                   "".join(w[0] for w in words if w[0].isupper()),
                   tuple(re.findall(r"\(([A-Z]{2,})\)", author)))


def _name_score(cited: str, wanted: str, author: str) -> tuple[str, float] | None:
    """(method, confidence) when the cited surname (`wanted`: folded) names this author."""
    if not wanted:
        return None
    known = _author(author)
    if wanted == known.surname:
        return EXACT, 1.0
    if cited in known.acronyms:
        return CORPORATE_AUTHOR, 0.95
    initials = known.initials
    if cited.isupper() and (cited == initials or (len(cited) >= 3 and initials.startswith(cited))):
        return CORPORATE_AUTHOR, 0.85
    if wanted == known.hyphen_first or known.surname.startswith(wanted + " "):
        return FUZZY_NAME, 0.9
    similarity = max(fuzz.ratio(wanted, known.surname),
                     fuzz.ratio(wanted, known.hyphen_first)) / 100
    if similarity >= _SIMILARITY_FLOOR:
        return FUZZY_NAME, round(0.9 * similarity, 3)
    return None


def _score(cited: str, wanted: str, year: int, reference: Reference
           ) -> tuple[str, float] | None:
    dated = _year_score(year, reference.year)  # cheap: rules most references out first
    if dated is None or not reference.authors:
        return None
    named = _name_score(cited, wanted, reference.authors[0])
    if named is None:
        return None
    method, confidence = named
    year_confidence, corrected = dated
    if corrected and method == EXACT:
        method = CORRECTED_YEAR
    return method, round(confidence * year_confidence, 3)


def resolve(
    cited: str, year: int, references: Sequence[Reference]
) -> tuple[int | None, str | None, float]:
    """(position, method, confidence) of the reference whose first author is `cited`.

    (None, None, 0.0) when no reference fits or two fit equally well.
    """
    if len(cited) > _LONGEST_NAME:
        return None, None, 0.0
    wanted = fold(cited)
    scored = [(s, r.position) for r in references
              if (s := _score(cited, wanted, year, r)) is not None]
    if not scored:
        return None, None, 0.0
    best = max(confidence for (_method, confidence), _pos in scored)
    winners = [(method, pos) for (method, confidence), pos in scored if confidence == best]
    if len({pos for _method, pos in winners}) > 1:
        return None, None, 0.0
    method, position = winners[0]
    return position, method, best


def find_citations(
    commentary: str, references: Sequence[Reference], language: str
) -> list[Citation]:
    """Every author–year citation of a commentary, in order, each resolved if possible."""
    citations = []
    resolved: dict[tuple[str, int], tuple[int | None, str | None, float]] = {}
    for found in _find(commentary):
        key = (found.surnames[0], found.year)
        if key not in resolved:  # a long commentary cites the same work many times
            resolved[key] = resolve(*key, references)
        position, method, confidence = resolved[key]
        citations.append(Citation(found.text, language, found.offset, position, method, confidence))
    return citations
