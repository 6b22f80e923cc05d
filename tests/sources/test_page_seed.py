"""The seed page (DESIGN.md §2): every fact a reader must get right, read from the project copy."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from lactgraph.records import (
    CORPORATE_AUTHOR,
    CORRECTED_YEAR,
    EXACT,
    FUZZY_NAME,
    Product,
    ProductMention,
)
from lactgraph.sources.page import read_page_file

SEED = Path(__file__).resolve().parents[2] / "sources" / "mesotherapy.txt"


@pytest.fixture(scope="module")
def seed() -> Product:
    return read_page_file(SEED)


def test_name_level_date_and_language(seed: Product) -> None:
    assert seed.names == {"en": "Mesotherapy"}
    assert seed.level == 1
    assert seed.updated == date(2019, 1, 26)
    assert seed.source_file == str(SEED)


def test_commentary_is_lines_8_to_16_verbatim(seed: Product) -> None:
    """From the first prose line after the description to the last before the related list."""
    lines = SEED.read_text(encoding="utf-8").split("\n")
    assert list(seed.commentary) == ["en"]
    commentary = seed.commentary["en"]
    assert commentary == "\n".join(lines[7:16])
    assert commentary.startswith("Mesotherapy involves the administration")
    assert commentary.endswith("excreted through the breast milk.")
    assert commentary.count("\n\n") == 4
    # kept as written, typos and the missing parenthesis included
    assert "(Konda 2103, Vedamurthy 2007)" in commentary
    assert "non- tuberculous" in commentary
    assert "skin allergies CDC 2005)" in commentary


def test_related_product_and_alternatives_whose_heading_was_lost(seed: Product) -> None:
    assert seed.related_products == [ProductMention("Hydrolipoclasia", 1)]
    assert seed.alternatives == [
        ProductMention("Cavitation", 0),
        ProductMention("Cryolipolysis", 0),
    ]
    assert seed.no_alternatives is False


def test_empty_sections_are_unknown(seed: Product) -> None:
    assert seed.aliases == []
    assert seed.groups == []
    assert seed.other_writings == []
    assert seed.brand_names == []
    assert seed.related_groups == []
    assert seed.pharmacokinetics == []


FIRST_AUTHORS_AND_YEARS = [
    ("Jayasinghe S", 2013),
    ("Konda D", 2013),
    ("El-Domyati M", 2012),
    ("Vukcević NP", 2012),
    ("Sarkar R", 2011),
    ("Herreros FO", 2011),
    ("Couderc C", 2011),
    ("Wongkitisophon P", 2011),
    ("Galmés-Truyols A", 2011),
    ("Correa NE", 2010),
    ("Orjuela D", 2010),
    ("Quiñones C", 2010),
    ("Sivagnanam G", 2010),
    ("Da Mata Jardín O", 2010),
    ("Gutiérrez-de la Peña J", 2010),
    ("Atiyeh BS", 2008),
    ("Vedamurthy M", 2007),
    ("Rivera-Olivero IA", 2006),
    ("Brown SA", 2006),
    ("Centers for Disease Control and Prevention (CDC)", 2005),
]


def test_twenty_references(seed: Product) -> None:
    assert [(r.authors[0], r.year) for r in seed.references] == FIRST_AUTHORS_AND_YEARS
    assert [r.position for r in seed.references] == list(range(1, 21))
    assert all(r.has_abstract_link for r in seed.references)
    assert not any(r.has_full_text_link for r in seed.references)


# Every citation as written, in the order of the commentary: 22 occurrences of 20
# distinct citations (Sivagnanam 2010 and Atiyeh 2008 are cited twice), one per reference.
CITATIONS = [
    ("Konda 2103", 2, CORRECTED_YEAR),
    ("Vedamurthy 2007", 17, EXACT),
    ("Jayasinghe 2103", 1, CORRECTED_YEAR),
    ("El-Domyati 2012", 3, EXACT),
    ("Sarkar 2011", 5, EXACT),
    ("Herreros 2011", 6, EXACT),
    ("Sivagnanam 2010", 13, EXACT),
    ("Atiyeh 2008", 16, EXACT),
    ("Brown 2006", 19, EXACT),
    ("Couderc 2011", 7, EXACT),
    ("Wongkitisophon 2011", 8, EXACT),
    ("Galés 2011", 9, FUZZY_NAME),
    ("Quiñones 2010", 12, EXACT),
    ("Da Mata 2010", 14, FUZZY_NAME),
    ("Gutiérrez 2010", 15, FUZZY_NAME),
    ("Correa 2010", 10, EXACT),
    ("Rivera 2006", 18, FUZZY_NAME),
    ("Orjuela 2010", 11, EXACT),
    ("CDC 2005", 20, CORPORATE_AUTHOR),
    ("Vukcević 2012", 4, EXACT),
    ("Sivagnanam 2010", 13, EXACT),
    ("Atiyeh 2008", 16, EXACT),
]


def test_citations_resolve_to_the_right_references(seed: Product) -> None:
    assert [(c.text, c.reference, c.method) for c in seed.citations] == CITATIONS
    assert len({c.text for c in seed.citations}) == 20
    assert {c.reference for c in seed.citations} == set(range(1, 21))


def test_citations_point_into_the_commentary(seed: Product) -> None:
    commentary = seed.commentary["en"]
    for citation in seed.citations:
        assert commentary[citation.offset : citation.offset + len(citation.text)] == citation.text
        assert citation.language == "en"
    offsets = [c.offset for c in seed.citations]
    assert offsets == sorted(offsets)


def test_confidence_follows_the_method(seed: Product) -> None:
    for citation in seed.citations:
        if citation.method == EXACT:
            assert citation.confidence == 1.0
        else:
            assert 0.5 < citation.confidence < 1.0
    by_text = {c.text: c.confidence for c in seed.citations}
    assert by_text["Konda 2103"] == 0.9  # adjacent digits swapped
    assert by_text["CDC 2005"] == 0.95  # acronym written in the reference
    assert by_text["Galés 2011"] < by_text["Rivera 2006"]  # similar spelling < hyphen part


BOILERPLATE = [
    "Suggestions made at e-lactancia",
    "Paricio",
    "Your contribution is essential",
    "Thank you for helping",
    "Total visits",
    "Help us improve this entry",
    "How to cite this entry",
    "Write us at",
    "Do you need more information",
    "recommended by",
    "Would you like to recommend",
]


@pytest.mark.parametrize("phrase", BOILERPLATE)
def test_boilerplate_is_dropped(seed: Product, phrase: str) -> None:
    kept = [
        *seed.commentary.values(),
        *seed.names.values(),
        *(m.name for m in (*seed.related_products, *seed.alternatives)),
    ]
    assert not any(phrase in text for text in kept)
