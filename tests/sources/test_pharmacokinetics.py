"""The eleven variables, their labels, and numbers parsed only where certain."""

from __future__ import annotations

import pytest

from lactgraph.sources.pharmacokinetics import (
    PK_VARIABLES,
    parse_value,
    pk_value,
    split_row,
    variable_for_label,
)


def test_the_eleven_variables_of_the_design() -> None:
    assert list(PK_VARIABLES) == [
        "oral-bioavailability",
        "molecular-weight",
        "protein-binding",
        "volume-of-distribution",
        "pka",
        "tmax",
        "half-life",
        "milk-plasma-ratio",
        "theoretical-infant-dose",
        "relative-infant-dose",
        "relative-paediatric-dose",
    ]
    assert all(set(v.labels) == {"en", "es"} for v in PK_VARIABLES.values())
    assert {k: v.unit for k, v in PK_VARIABLES.items() if v.unit in (None, "%")} == {
        "oral-bioavailability": "%",
        "protein-binding": "%",
        "pka": None,
        "milk-plasma-ratio": None,
        "relative-infant-dose": "%",
        "relative-paediatric-dose": "%",
    }
    assert len({v.source_field for v in PK_VARIABLES.values()}) == 11


@pytest.mark.parametrize(
    ("label", "key"),
    [
        ("Oral Bioavailability", "oral-bioavailability"),
        ("Biodisponibilidad", "oral-bioavailability"),
        ("unión a proteínas", "protein-binding"),
        ("VD", "volume-of-distribution"),
        ("T½", "half-life"),
        ("T1/2", "half-life"),
        ("Índice Leche/Plasma", "milk-plasma-ratio"),
        ("M/P", "milk-plasma-ratio"),
        ("Dosis relativa", "relative-infant-dose"),
        ("Relative Pediatric Dose", "relative-paediatric-dose"),
        ("Half-life", "half-life"),
        ("Colour", None),
    ],
)
def test_labels(label: str, key: str | None) -> None:
    assert variable_for_label(label) == key


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [
        ("90", (90, None, None)),
        ("0.25", (0.25, None, None)),
        ("5,7", (5.7, None, None)),
        ("60 - 90", (None, 60, 90)),
        ("1,5 - 5", (None, 1.5, 5)),
        ("1,5–5", (None, 1.5, 5)),  # en dash
        ("1,6 ± 0,6", (1.6, None, None)),  # a dispersion is not a range
        ("1,1 (0,5 - 2,9)", (1.1, 0.5, 2.9)),
        ("89 / 60", (None, None, None)),  # one value per component
        ("< 1", (None, None, None)),
        ("90 - 60", (None, None, None)),  # reversed bounds: a typo we cannot fix
        ("3 (4 - 5)", (None, None, None)),  # value outside its own range
        ("1.000,5", (None, None, None)),  # ambiguous separators
        ("", (None, None, None)),
    ],
)
def test_parse_value(raw: str, parsed: tuple) -> None:
    assert parse_value(raw) == parsed


def test_rows_split_on_tabs_or_two_spaces() -> None:
    assert split_row("T½\t7,5 ± 1,6\thoras") == ["T½", "7,5 ± 1,6", "horas"]
    assert split_row("Oral Bioavailability  80 - 100  %") == [
        "Oral Bioavailability",
        "80 - 100",
        "%",
    ]


def test_pk_value_keeps_raw_and_canonical_unit() -> None:
    value = pk_value("Tmax", " 0,5 - 1 ", "horas")
    assert (value.variable, value.raw, value.unit) == ("tmax", "0,5 - 1", "h")
    assert (value.value, value.minimum, value.maximum) == (None, 0.5, 1.0)


def test_pk_value_refuses_unknown_labels_and_units() -> None:
    with pytest.raises(ValueError, match=r"unknown pharmacokinetic variable 'Colour'.*Tmax"):
        pk_value("Colour", "blue")
    with pytest.raises(ValueError, match="unit 'mg' for 'Tmax'; expected one of hours"):
        pk_value("Tmax", "2", "mg")
