"""Finding author–year citations and resolving them, one rule at a time."""

from __future__ import annotations

import pytest

from lactgraph.records import CORPORATE_AUTHOR, CORRECTED_YEAR, EXACT, FUZZY_NAME, Reference
from lactgraph.sources.citations import find_citations, resolve


def _ref(position: int, author: str, year: int) -> Reference:
    return Reference(
        position, f"{author}. A title. A journal. {year}", [author], "A title", "A journal", year
    )


REFS = [
    _ref(1, "Konda D", 2013),
    _ref(2, "Galmés-Truyols A", 2011),
    _ref(3, "Da Mata Jardín O", 2010),
    _ref(4, "Centers for Disease Control and Prevention (CDC)", 2005),
    _ref(5, "World Health Organization", 2002),
    _ref(6, "de Waard JH", 2004),
]


def _found(text: str) -> list[tuple[str, int]]:
    return [(c.text, c.offset) for c in find_citations(text, [], "en")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("(Konda 2013, Vedamurthy 2007)", [("Konda 2013", 1), ("Vedamurthy 2007", 13)]),
        (
            "as shown (Konda & Thappa 2013; Brown 2006).",
            [("Konda & Thappa 2013", 10), ("Brown 2006", 31)],
        ),
        ("(Ruiz y Gómez 2016)", [("Ruiz y Gómez 2016", 1)]),
        ("(Castro et al. 2019)", [("Castro et al. 2019", 1)]),
        ("(Smith et al., 2010)", [("Smith et al., 2010", 1)]),
        ("(de Waard 2004)", [("de Waard 2004", 1)]),
        (
            "(Orjuela 2010), skin allergies CDC 2005), poisoning",
            [("Orjuela 2010", 1), ("CDC 2005", 31)],
        ),
        ("(drugs, vitamins, plant extracts ...)", []),
        ("in France (2001-2010) and in 2005 (see below)", []),
    ],
)
def test_finding(text: str, expected: list[tuple[str, int]]) -> None:
    assert _found(text) == expected


def test_parentheses_do_not_span_paragraphs() -> None:
    assert _found("(Konda 2013\n\nBrown 2006)") == [("Konda 2013", 1), ("Brown 2006", 13)]


@pytest.mark.parametrize(
    ("cited", "year", "expected"),
    [
        ("Konda", 2013, (1, EXACT, 1.0)),
        ("konda", 2013, (1, EXACT, 1.0)),
        ("Konda", 2103, (1, CORRECTED_YEAR, 0.9)),  # adjacent digits swapped
        ("Konda", 2012, (1, CORRECTED_YEAR, 0.8)),  # one digit wrong
        ("Konda", 2301, (None, None, 0.0)),  # three digits wrong
        ("Galmés", 2011, (2, FUZZY_NAME, 0.9)),  # first part of a hyphenated surname
        ("Galés", 2011, (2, FUZZY_NAME, 0.818)),  # similar spelling
        ("Da Mata", 2010, (3, FUZZY_NAME, 0.9)),  # leading words
        ("Galés", 2101, (2, FUZZY_NAME, 0.736)),  # both corrected: confidences multiply
        ("CDC", 2005, (4, CORPORATE_AUTHOR, 0.95)),  # acronym written in the reference
        ("WHO", 2002, (5, CORPORATE_AUTHOR, 0.85)),  # initials
        ("de Waard", 2004, (6, EXACT, 1.0)),
        ("Gales", 2005, (None, None, 0.0)),  # the year does not fit
        ("Kanda", 2013, (1, FUZZY_NAME, 0.72)),
        ("Kant", 2013, (None, None, 0.0)),  # below the similarity floor
    ],
)
def test_resolving(cited: str, year: int, expected: tuple) -> None:
    assert resolve(cited, year, REFS) == expected


def test_a_tie_between_references_is_left_unresolved() -> None:
    twins = [_ref(1, "Smith J", 2010), _ref(2, "Smith K", 2010)]
    assert resolve("Smith", 2010, twins) == (None, None, 0.0)


def test_the_best_candidate_wins() -> None:
    refs = [_ref(1, "Smith J", 2011), _ref(2, "Smith K", 2010)]
    assert resolve("Smith", 2010, refs) == (2, EXACT, 1.0)


def test_unresolved_citations_are_kept() -> None:
    [citation] = find_citations("Nothing known (Nobody 1999).", REFS, "es")
    assert (citation.text, citation.offset, citation.language) == ("Nobody 1999", 15, "es")
    assert (citation.reference, citation.method, citation.confidence) == (None, None, 0.0)
