"""Bibliography lines: authors, title, journal, year, links, publication detail."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lactgraph.sources.references import (
    _LABEL_WINDOW,
    _LINK_LABEL,
    _strip_link_labels,
    parse_reference,
    surname,
)

KONDA = (
    "Konda D, Thappa DM. Mesotherapy: What is new? Indian J Dermatol Venereol Leprol. 2013 Abstract"
)
COUDERC = (
    "Couderc C, Carbonne A, Thiolet JM. [Non-tuberculous mycobacterial infections related to "
    "esthetic care in France, 2001-2010]. Med Mal Infect. 2011 Abstract"
)
RIVERA = (
    "Rivera-Olivero IA, Guevara A. [Soft-tissue infections due to non-tuberculous mycobacteria "
    "following mesotherapy. What is the price of beauty]. Enferm Infecc Microbiol Clin. 2006 "
    "Abstract"
)
CDC = (
    "Centers for Disease Control and Prevention (CDC). Outbreak of mesotherapy-associated skin "
    "reactions--District of Columbia area, January-February 2005. MMWR Morb Mortal Wkly Rep. "
    "2005 Abstract"
)


def test_title_ending_in_a_question_mark() -> None:
    ref = parse_reference(KONDA, 2)
    assert ref.position == 2
    assert ref.text == KONDA
    assert ref.authors == ["Konda D", "Thappa DM"]
    assert ref.title == "Mesotherapy: What is new?"
    assert ref.journal == "Indian J Dermatol Venereol Leprol"
    assert ref.year == 2013
    assert ref.has_abstract_link
    assert not ref.has_full_text_link
    assert ref.publication is None


def test_bracketed_titles_keep_their_brackets() -> None:
    assert parse_reference(COUDERC, 7).title == (
        "[Non-tuberculous mycobacterial infections related to esthetic care in France, 2001-2010]"
    )
    rivera = parse_reference(RIVERA, 18)
    assert rivera.title == (
        "[Soft-tissue infections due to non-tuberculous mycobacteria following mesotherapy. "
        "What is the price of beauty]"
    )
    assert rivera.journal == "Enferm Infecc Microbiol Clin"


def test_corporate_author_is_one_author() -> None:
    ref = parse_reference(CDC, 20)
    assert ref.authors == ["Centers for Disease Control and Prevention (CDC)"]
    assert ref.title.endswith("January-February 2005")  # a year inside the title is not the year
    assert ref.journal == "MMWR Morb Mortal Wkly Rep"
    assert ref.year == 2005


@pytest.mark.parametrize(
    ("ending", "abstract", "full_text"),
    [
        ("2013 Abstract", True, False),
        ("2013 Resumen", True, False),
        ("2013 Full text (link to original source)", False, True),
        ("2013 Texto completo (enlace a fuente original)", False, True),
        ("2013 Abstract Full text (link to original source)", True, True),
        ("2013 Resumen Texto completo (en nuestros servidores)", True, True),
        ("2013", False, False),
    ],
)
def test_link_labels(ending: str, abstract: bool, full_text: bool) -> None:
    ref = parse_reference(f"Hale TW. A title. Obes Rev. {ending}", 1)
    assert (ref.year, ref.journal, ref.title) == (2013, "Obes Rev", "A title")
    assert (ref.has_abstract_link, ref.has_full_text_link) == (abstract, full_text)


@pytest.mark.parametrize(
    ("tail", "publication"),
    [
        ("Obes Rev. 2013;14(11):906-17 Abstract", "Obes Rev. 2013;14(11):906-17"),
        ("Obes Rev. 2013 Nov;14(11):906-17. 2013 Abstract", "Obes Rev. 2013 Nov;14(11):906-17"),
        ("Obes Rev. 2013 Abstract", None),
    ],
)
def test_publication_detail(tail: str, publication: str | None) -> None:
    ref = parse_reference(f"Hale TW, Doe K. A title. {tail}", 1)
    assert ref.publication == publication
    assert (ref.journal, ref.year) == ("Obes Rev", 2013)


def test_a_line_without_a_year_is_read_but_has_no_year() -> None:
    ref = parse_reference("Centers for Disease Control and Prevention (CDC). Outbreak of meso", 20)
    assert ref.year is None
    assert ref.journal is None  # without the year, the journal cannot be told from the title
    assert ref.authors == ["Centers for Disease Control and Prevention (CDC)"]


def test_et_al_is_not_an_author() -> None:
    ref = parse_reference("Smith J, Jones K, et al. A title. BMJ. 2001", 1)
    assert ref.authors == ["Smith J", "Jones K"]


@pytest.mark.parametrize(
    ("author", "expected"),
    [
        ("Jayasinghe S", "Jayasinghe"),
        ("Da Mata Jardín O", "Da Mata Jardín"),
        ("Gutiérrez-de la Peña J", "Gutiérrez-de la Peña"),
        ("Rojo-Arias MÁ", "Rojo-Arias"),
        (
            "Centers for Disease Control and Prevention (CDC)",
            "Centers for Disease Control and Prevention (CDC)",
        ),
        ("Hale", "Hale"),
    ],
)
def test_surname(author: str, expected: str) -> None:
    assert surname(author) == expected


def _labels_by_search_alone(text: str) -> tuple[str, bool, bool]:
    """The label stripping by its rule alone: search for a label at the end, again and
    again (no shortcut)."""
    abstract = full_text = False
    end = len(text)
    while match := _LINK_LABEL.search(text, max(0, end - _LABEL_WINDOW), end):
        label = match["label"].casefold()
        abstract = abstract or label in ("abstract", "resumen")
        full_text = full_text or label.startswith(("full text", "texto completo"))
        end = match.start()
        while end and text[end - 1].isspace():
            end -= 1
    return text[:end].rstrip(), abstract, full_text


@given(st.lists(st.sampled_from(
    ["Obes Rev. 2013", "Abstract", "ABSTRACT", "resumen", "Full text", "TEXTO COMPLETO",
     "(link to original source)", "(a)", ")", "(", " ", "\t", "\xa0", "\n", "x", "T", "N",
     "O", "2019", "."]), max_size=12).map("".join))
def test_labels_are_stripped_as_a_plain_search_strips_them(text: str) -> None:
    stripped, links = _strip_link_labels(text)
    assert (stripped, links.abstract, links.full_text) == _labels_by_search_alone(text)
