"""Fixture pages (tests/fixtures/pages/README.md): Spanish, reordered, partial level blocks."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from lactgraph.records import (
    CORPORATE_AUTHOR,
    CORRECTED_YEAR,
    EXACT,
    FUZZY_NAME,
    BrandName,
    OtherWriting,
    PharmacokineticValue,
    Product,
    ProductMention,
)
from lactgraph.sources.page import read_page, read_page_file

PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "pages"
ES = "es_domperidona.txt"


def _read(name: str) -> Product:
    return read_page_file(PAGES / name)


@pytest.fixture(scope="module")
def spanish() -> Product:
    return _read(ES)


@pytest.fixture(scope="module")
def reordered() -> Product:
    return _read("en_reordered_level_name_only.txt")


@pytest.fixture(scope="module")
def description_only() -> Product:
    return _read("en_description_only.txt")


# --- a whole Spanish page -------------------------------------------------------------


def test_spanish_name_level_date(spanish: Product) -> None:
    assert spanish.names == {"es": "Domperidona"}
    assert spanish.level == 1
    assert spanish.updated == date(2021, 8, 30)


def test_spanish_commentary(spanish: Product) -> None:
    assert list(spanish.commentary) == ["es"]
    text = spanish.commentary["es"]
    assert text.startswith("La domperidona es un antagonista")
    assert text.endswith("(Herrera-Salas 2012, Pérez 2010).")
    assert text.count("\n\n") == 2
    assert "recomendaciones hechas en e-lactancia" not in text


def test_spanish_related_products_and_alternatives(spanish: Product) -> None:
    assert spanish.related_products == [
        ProductMention("Metoclopramida", 1),
        ProductMention("Sulpirida", 1),  # "(Riesgo bajo)": the Spanish level name
    ]
    assert spanish.alternatives == [
        ProductMention("Ondansetrón", 0),
        ProductMention("Dimenhidrinato", 1),
    ]


def test_spanish_names_groups_and_brands(spanish: Product) -> None:
    assert spanish.aliases == ["Maleato de domperidona"]
    assert spanish.other_writings == [
        OtherWriting("Domperidone", "Inglés"),
        OtherWriting("Domperidona", "Catalán"),
        OtherWriting("A03FA03", "Código ATC"),
    ]
    assert spanish.groups == ["Antieméticos", "Procinéticos"]
    assert spanish.brand_names == [
        BrandName("Motilium®", ["España", "Francia", "Bélgica"]),
        BrandName("Domperik", ["Argentina"]),
        BrandName("Gastrodomp®", ["México"], is_combination=True),
    ]


def test_spanish_pharmacokinetics(spanish: Product) -> None:
    assert spanish.pharmacokinetics == [
        PharmacokineticValue("oral-bioavailability", "13 - 17", "%", None, 13, 17),
        PharmacokineticValue("molecular-weight", "426", "Da", 426),
        PharmacokineticValue("protein-binding", "91 - 93", "%", None, 91, 93),
        PharmacokineticValue("volume-of-distribution", "5,7", "L/kg", 5.7),
        PharmacokineticValue("tmax", "0,5 - 1", "h", None, 0.5, 1),
        PharmacokineticValue("half-life", "7,5 ± 1,6", "h", 7.5),
        PharmacokineticValue("milk-plasma-ratio", "0,25", None, 0.25),
        PharmacokineticValue(
            "theoretical-infant-dose", "0,0012 (0,0004 - 0,0029)", "mg/kg/d", 0.0012, 0.0004, 0.0029
        ),
        PharmacokineticValue("relative-infant-dose", "0,01 - 0,35", "%", None, 0.01, 0.35),
    ]


def test_spanish_references_and_links(spanish: Product) -> None:
    refs = spanish.references
    assert [(r.authors[0], r.year) for r in refs] == [
        ("Castro L", 2019),
        ("Fernández-Ruiz A", 2018),
        ("Ruiz M", 2016),
        ("Molina J", 2015),
        ("Ibáñez C", 2014),
        ("Agencia Española de Medicamentos y Productos Sanitarios (AEMPS)", 2014),
        ("Herrera-Salas P", 2012),
    ]
    assert [r.has_abstract_link for r in refs] == [True, True, True, True, False, False, True]
    assert [r.has_full_text_link for r in refs] == [False, True, False, False, True, False, False]
    assert refs[1].title == "Does domperidone increase milk supply? A systematic review"
    assert refs[1].publication == "Breastfeed Med. 2018;13(4):241-7"
    assert refs[2].title == "[Galactogogos en la práctica clínica]"
    assert refs[2].journal == "An Pediatr (Barc)"


def test_spanish_citations(spanish: Product) -> None:
    assert [(c.text, c.reference, c.method) for c in spanish.citations] == [
        ("Fernández 2018", 2, FUZZY_NAME),
        ("Ruiz y Gómez 2016", 3, EXACT),
        ("Castro et al. 2019", 1, EXACT),
        ("Molina 2105", 4, CORRECTED_YEAR),
        ("Ibáñez 2014", 5, EXACT),
        ("AEMPS 2014", 6, CORPORATE_AUTHOR),
        ("Herrera-Salas 2012", 7, EXACT),
        ("Pérez 2010", None, None),  # no such reference: a warning downstream
    ]
    assert all(c.language == "es" for c in spanish.citations)
    assert spanish.citations[-1].confidence == 0.0


# --- sections in another order, level name only -----------------------------------------


def test_reordered_name_level_date(reordered: Product) -> None:
    assert reordered.names == {"en": "Ibuprofen"}
    assert reordered.level == 0  # "Very Low Risk for breastfeeding", no description
    assert reordered.updated == date(2020, 9, 5)  # "Last update: Sept. 5, 2020"


def test_reordered_commentary_comes_after_the_boilerplate(reordered: Product) -> None:
    text = reordered.commentary["en"]
    assert text.startswith("Ibuprofen is a non-steroidal anti-inflammatory drug")
    assert text.endswith("(AAP 2001, WHO 2002).")
    assert "Write us at" not in text
    assert "Suggestions made" not in text


def test_reordered_lists(reordered: Product) -> None:
    assert reordered.related_products == [
        ProductMention("Dexibuprofen", 0),
        ProductMention("Naproxen", 1),
    ]
    assert reordered.related_groups == ["Propionic acid derivatives"]
    assert reordered.alternatives == [ProductMention("Paracetamol", 0)]
    assert reordered.groups == [
        "Anti-inflammatory and antirheumatic products, non-steroids",
        "Propionic acid derivatives",
    ]
    assert reordered.aliases == []
    assert reordered.other_writings == []
    assert reordered.brand_names == []


def test_reordered_pharmacokinetics_keeps_raw_text(reordered: Product) -> None:
    by_key = {v.variable: v for v in reordered.pharmacokinetics}
    assert len(by_key) == 11
    assert by_key["volume-of-distribution"] == PharmacokineticValue(
        "volume-of-distribution", "0,1 - 0,2", "L/kg", None, 0.1, 0.2
    )
    assert by_key["pka"] == PharmacokineticValue("pka", "4,9", None, 4.9)
    assert by_key["relative-paediatric-dose"] == PharmacokineticValue(
        "relative-paediatric-dose", "89 / 60", "%"
    )


def test_reordered_references_and_corporate_citations(reordered: Product) -> None:
    assert reordered.references[0].has_full_text_link
    assert not reordered.references[0].has_abstract_link
    assert reordered.references[3].authors == ["American Academy of Pediatrics Committee on Drugs"]
    assert [(c.text, c.reference, c.method) for c in reordered.citations] == [
        ("Walter & Dilger 1997", 5, EXACT),
        ("Townsend et al. 1984", 7, EXACT),
        ("Rigourd 2018", 2, EXACT),
        ("Ito 1993", 6, EXACT),
        ("Hale 2019", 1, EXACT),
        ("AAP 2001", 4, CORPORATE_AUTHOR),
        ("WHO 2002", 3, CORPORATE_AUTHOR),
    ]
    assert [c.confidence for c in reordered.citations][-2:] == [0.85, 0.95]


# --- level description only, no alternatives --------------------------------------------


def test_description_only(description_only: Product) -> None:
    assert description_only.names == {"en": "Roman Chamomile"}
    assert description_only.level == 0
    assert description_only.updated == date(2022, 1, 5)
    assert description_only.no_alternatives is True
    assert description_only.alternatives == []


def test_risk_change_notice_is_not_commentary(description_only: Product) -> None:
    text = description_only.commentary["en"]
    assert text.startswith("Roman chamomile flowers are used in infusion")
    assert text.endswith("contact dermatitis (Paulsen 2002).")
    assert "changed its level of risk" not in text


def test_other_writings_keep_their_language(description_only: Product) -> None:
    assert description_only.aliases == ["Chamomile", "English chamomile"]
    assert description_only.other_writings == [
        OtherWriting("Camamilla romana", "Catalan"),
        OtherWriting("Manzanilla romana", "Spanish"),
        OtherWriting("Chamaemelum nobile", "Latin (botanical)"),
        OtherWriting("Anthemis nobilis", None),
    ]
    assert description_only.groups == ["Medicinal plants"]


def test_brand_names_with_a_combination(description_only: Product) -> None:
    assert description_only.brand_names == [
        BrandName("Calmaflor", ["Spain"]),
        BrandName("Kamilex®", ["Germany", "Austria"]),
        BrandName("Noctubaby®", ["Spain", "Portugal"], is_combination=True),
    ]


def test_publication_detail_and_question_title(description_only: Product) -> None:
    first = description_only.references[0]
    assert first.title == "Chamomile in lactation: what do we know?"
    assert first.journal == "Rev Fitoter"
    assert first.publication == "Rev Fitoter. 2017;17(2):115-21"
    assert first.year == 2017
    assert [c.reference for c in description_only.citations] == [1, 3, 2]


# --- variants of the wording ------------------------------------------------------------


def _variant(name: str, old: str, new: str) -> Product:
    text = (PAGES / name).read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    return read_page(text.replace(old, new), name)


def test_spanish_without_alternatives() -> None:
    block = (
        "Alternativas\n\n"
        "  • Ondansetrón (Producto seguro y / o la lactancia materna es la mejor opción.)\n"
        "  • Dimenhidrinato (Compatibilidad probable)\n"
    )
    page = _variant(
        "es_domperidona.txt", block, "No disponemos de alternativas para Domperidona.\n"
    )
    assert page.no_alternatives is True
    assert page.alternatives == []
    assert page.names == {"es": "Domperidona"}


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("estos productos relacionados:", "este producto relacionado:"),
        ("las siguientes familias o grupos:", "la siguiente familia o grupo:"),
        ("Última actualización: 30 de Agosto de 2021", "Última actualización 30 de agosto de 2021"),
    ],
)
def test_spanish_singular_and_plural_headings(spanish: Product, old: str, new: str) -> None:
    assert _variant("es_domperidona.txt", old, new) == replace(spanish, source_file=ES)


def test_spanish_related_group() -> None:
    page = _variant(
        "es_domperidona.txt",
        "Alternativas\n",
        "Puede consultar abajo la información de este grupo relacionado:\n\n"
        "  • Antieméticos\n\nAlternativas\n",
    )
    assert page.related_groups == ["Antieméticos"]
    assert len(page.alternatives) == 2


def test_seed_plural_heading_and_a_title_line() -> None:
    seed = Path(__file__).resolve().parents[2] / "sources" / "mesotherapy.txt"
    text = seed.read_text(encoding="utf-8")
    variant = "Mesotherapy\n\n" + text.replace("this related product:", "these related products:")
    page = read_page(variant, "variant.txt")
    assert page.related_products == [ProductMention("Hydrolipoclasia", 1)]
    assert page.commentary == read_page(text, "seed.txt").commentary
