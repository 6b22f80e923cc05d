"""The eleven pharmacokinetic variables of an entry, and what their free-text values mean.

The source stores each value as free text of up to 30 characters (DESIGN.md §1). We
always keep that text; numbers are added only when the shape of the text leaves no
doubt about what they are:

=====================  =====================================  ===========================
raw                    parsed                                 why
=====================  =====================================  ===========================
``90``                 value 90                               a single number
``1,5``                value 1.5                              decimal comma (the source
                                                              is written in Spanish); a
                                                              dot is a decimal point too
``60 - 90``            minimum 60, maximum 90                 a range has no central value
``1,1 (0,5 - 2,9)``    value 1.1, minimum 0.5, maximum 2.9    value with its observed range
``1,6 ± 0,6``          value 1.6 only                         ± is a dispersion (SD or
                                                              SEM, unstated), not bounds:
                                                              1.0-2.2 would claim a range
                                                              nobody measured
``89 / 60``            nothing                                one value per component; the
                                                              order of components is unknown
``< 1``, ``1.000,5``   nothing                                a bound or an ambiguous
                                                              separator is not certain
``90 - 60``            nothing                                reversed bounds, or a value
                                                              outside its own range, are
                                                              typos we cannot fix
=====================  =====================================  ===========================

A row's unit cell is a translation ("hours", "horas"); it is checked against the
variable and the record carries the variable's language-neutral unit ("h").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..records import PharmacokineticValue
from . import fold, quoted


@dataclass(frozen=True)
class PkVariable:
    """One variable: a stable key, its row labels as pages show them, and its unit."""

    key: str
    source_field: str  # the source model's field (and API key)
    labels: dict[str, str]  # language -> preferred label
    other_labels: tuple[str, ...]  # further row labels seen or plausible, any language
    unit: str | None  # canonical, language-neutral unit; None for dimensionless values
    shown_units: tuple[str, ...]  # unit cells a page may show for it


PK_VARIABLES: dict[str, PkVariable] = {
    v.key: v
    for v in (
        PkVariable(
            "oral-bioavailability",
            "biodisponibilidad",
            {"en": "Oral Bioavailability", "es": "Biodisponibilidad oral"},
            ("Bioavailability", "Biodisponibilidad"),
            "%",
            ("%",),
        ),
        PkVariable(
            "molecular-weight",
            "peso_molecular",
            {"en": "Molecular weight", "es": "Peso molecular"},
            ("MW", "PM"),
            "Da",
            ("daltons", "dalton", "Da", "g/mol"),
        ),
        PkVariable(
            "protein-binding",
            "union_proteinas",
            {"en": "Protein Binding", "es": "Unión a proteínas"},
            ("Protein Bind", "Unión proteínas", "PB"),
            "%",
            ("%",),
        ),
        PkVariable(
            "volume-of-distribution",
            "volumen_distrib",
            {"en": "Volume of distribution", "es": "Volumen de distribución"},
            ("VD", "Vd", "Distribution Volume"),
            "L/kg",
            ("l/Kg", "l/kg", "L/kg"),
        ),
        PkVariable("pka", "pka", {"en": "pKa", "es": "pKa"}, (), None, ("-",)),
        PkVariable(
            "tmax",
            "t_maximo",
            {"en": "Tmax", "es": "Tmax"},
            ("Time to max, Tmax", "Tiempo máximo", "T max"),
            "h",
            ("hours", "horas", "h"),
        ),
        PkVariable(
            "half-life",
            "t_medio",
            {"en": "T½", "es": "T½"},
            ("T1/2", "Half-life", "Elimination half-life", "Tiempo medio", "Semivida"),
            "h",
            ("hours", "horas", "h"),
        ),
        PkVariable(
            "milk-plasma-ratio",
            "indice_leche_plasma",
            {"en": "M/P", "es": "L/P"},
            ("Milk/Plasma ratio", "Índice Leche/Plasma", "Relación leche/plasma"),
            None,
            ("-",),
        ),
        PkVariable(
            "theoretical-infant-dose",
            "dosis_teorica",
            {"en": "Theoretical Dose", "es": "Dosis teórica"},
            ("Theoretical infant dose", "Dosis teórica del lactante"),
            "mg/kg/d",
            ("mg/Kg/d", "mg/kg/d"),
        ),
        PkVariable(
            "relative-infant-dose",
            "dosis_relativa",
            {"en": "Relative Dose", "es": "Dosis relativa"},
            ("Relative infant dose", "RID", "Dosis relativa del lactante"),
            "%",
            ("%",),
        ),
        PkVariable(
            "relative-paediatric-dose",
            "dosis_terapeutica",
            {"en": "Relative Pediatric Dose", "es": "Dosis relativa pediátrica"},
            (
                "Relative paediatric dose",
                "% Therapeutic Dose",
                "Dosis pediátrica relativa",
                "Porcentaje de la dosis terapéutica",
            ),
            "%",
            ("%",),
        ),
    )
}

_BY_LABEL: dict[str, str] = {
    fold(label): v.key
    for v in PK_VARIABLES.values()
    for label in (*v.labels.values(), *v.other_labels)
}


def variable_for_label(label: str) -> str | None:
    """The key of the variable a table row label names, or None."""
    return _BY_LABEL.get(fold(label))


_CELL_SEPARATOR = re.compile(r"\t+|\s{2,}")


def split_row(line: str) -> list[str]:
    """Cells of a table line: the rendering separates them by tabs or 2+ spaces."""
    return [cell for cell in _CELL_SEPARATOR.split(line.strip()) if cell]


def row_variable(line: str) -> str | None:
    """The variable the first of a line's two or more cells names, else None: what
    `split_row` and `variable_for_label` tell, without splitting every line of prose."""
    stripped = line.strip()
    separator = _CELL_SEPARATOR.search(stripped)
    return variable_for_label(stripped[:separator.start()]) if separator else None


_NUMBER = r"\d+(?:,\d+|\.\d+)?"
_RANGE = rf"(?P<minimum>{_NUMBER})\s*-\s*(?P<maximum>{_NUMBER})"
# The only shapes whose meaning is certain (module doc); anything else keeps its raw text only.
_SHAPES = tuple(
    re.compile(shape)
    for shape in (
        rf"(?P<value>{_NUMBER})",
        _RANGE,
        rf"(?P<value>{_NUMBER})\s*±\s*{_NUMBER}",
        rf"(?P<value>{_NUMBER})\s*\(\s*{_RANGE}\s*\)",
    )
)


def _number(text: str | None) -> float | None:
    return None if text is None else float(text.replace(",", "."))


def _certain(value: float | None, low: float | None, high: float | None) -> bool:
    """Bounds must be ordered and enclose the value; anything else is a typo we cannot fix."""
    if low is None or high is None:
        return True
    return low <= high and (value is None or low <= value <= high)


def parse_value(raw: str) -> tuple[float | None, float | None, float | None]:
    """(value, minimum, maximum) of a raw value, each None unless certain (see module doc)."""
    text = re.sub(r"[–—−]", "-", raw.strip())
    for pattern in _SHAPES:
        match = pattern.fullmatch(text)
        if match:
            found = match.groupdict()
            parsed = tuple(_number(found.get(k)) for k in ("value", "minimum", "maximum"))
            return parsed if _certain(*parsed) else (None, None, None)
    return None, None, None


def pk_value(label: str, raw: str, unit_shown: str | None = None) -> PharmacokineticValue:
    """One table row as a record. ValueError names what was expected when a cell is unknown."""
    key = variable_for_label(label)
    if key is None:
        expected = ", ".join(repr(v.labels["en"]) for v in PK_VARIABLES.values())
        raise ValueError(
            f"unknown pharmacokinetic variable {quoted(label)}; expected one of {expected}"
        )
    variable = PK_VARIABLES[key]
    shown = {u.casefold() for u in variable.shown_units}
    if unit_shown is not None and unit_shown.strip().casefold() not in shown:
        raise ValueError(
            f"unit {quoted(unit_shown)} for {quoted(label)}; "
            f"expected one of {', '.join(variable.shown_units)}"
        )
    value, minimum, maximum = parse_value(raw)
    return PharmacokineticValue(key, raw.strip(), variable.unit, value, minimum, maximum)
