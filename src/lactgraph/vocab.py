"""Namespaces, the prefix map and the four risk levels: said once, used everywhere.

This module holds no rdflib objects so that the source readers can import the risk
levels without pulling in RDF; `to_rdf` and the web layer wrap these strings.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from .link.prefixes import default_base, prefix_map, vocabulary_prefixes
from .sources import fold

DEFAULT_BASE = default_base()

# The prefix map is committed once, in data/prefixes.json (link/prefixes.py reads it).
PREFIXES: dict[str, str] = vocabulary_prefixes()


def lactgraph_prefixes(base: str = DEFAULT_BASE) -> dict[str, str]:
    """Every prefix of the project for a base IRI: its own, the reused vocabularies and the
    identifier namespaces it links to (Turtle, SPARQL and reports all use this one map)."""
    return prefix_map(base)


@dataclass(frozen=True)
class RiskLevel:
    """One of the source's four levels, keyed on its number (the only stable key)."""

    level: int
    colour: str
    risk_name: dict[str, str]
    compatibility_name: dict[str, str]
    description: dict[str, str]
    former_descriptions: tuple[str, ...]

    def wordings(self) -> Iterator[tuple[str, str]]:
        """(language, text) of every wording that names this level: its names and its
        description in each language, then its former descriptions (English)."""
        for texts in (self.risk_name, self.compatibility_name, self.description):
            yield from texts.items()
        for text in self.former_descriptions:
            yield "en", text


RISK_LEVELS: tuple[RiskLevel, ...] = (
    RiskLevel(
        0,
        "#73ae42",
        {"en": "Very Low Risk", "es": "Riesgo muy bajo"},
        {"en": "Compatible", "es": "Compatible"},
        {
            "en": "Safe substance and/or breastfeeding is the best option.",
            "es": "Producto seguro y / o la lactancia materna es la mejor opción.",
        },
        (
            "Not risky for breastfeeding or infant.",
            "Safe. Compatible. Minimal risk for breastfeeding and infant.",
            "Safe. Compatible. Not risky for breastfeeding or infant.",
        ),
    ),
    RiskLevel(
        1,
        "#db9e27",
        {"en": "Low Risk", "es": "Riesgo bajo"},
        {"en": "Likely Compatibility", "es": "Compatibilidad probable"},
        {
            "en": "Fairly safe. Mild or unlikely adverse effects. Compatible under certain "
            "circumstances. Follow-up recommended. Read Commentary.",
            "es": "Bastante seguro. Efectos adversos leves o poco probables. Compatible en "
            "determinadas circunstancias. Seguimiento recomendado. Lea el Comentario.",
        },
        (
            "Moderately safe. Probably compatible. Mild risk possible. Follow up recommended. "
            "Read the Comment.",
        ),
    ),
    RiskLevel(
        2,
        "#d07327",
        {"en": "High Risk", "es": "Riesgo alto"},
        {"en": "Limited compatibility", "es": "Compatibilidad limitada"},
        {
            "en": "Unsafe. Moderate/severe adverse effects. Compatible under certain "
            "circumstances. Follow-up recommended. Use safer alternative or discontinue "
            "breastfeeding from 5 to 7 T ½ . Read Commentary.",
            "es": "Poco seguro. Efectos adversos moderados o graves. Compatible en determinadas "
            "circunstancias. Seguimiento recomendado. Usar una alternativa más segura o "
            "interrumpir la lactancia de 5 a 7 T ½. Lea el Comentario.",
        },
        (
            "Poorly safe. Evaluate carefully. Use safer alternative or interrupt breastfeeding "
            "3 to 7 T ½ (elimination half-lives). Read the Comment.",
        ),
    ),
    RiskLevel(
        3,
        "#b94a48",
        {"en": "Very High Risk", "es": "Riesgo muy alto"},
        {"en": "Incompatible", "es": "Incompatible"},
        {
            "en": "Very unsafe. Contraindicated. Use of an alternative or cessation of "
            "breastfeeding. Read the Commentary.",
            "es": "Muy inseguro. Contraindicado. Usar una alternativa o cesar la lactancia. "
            "Lea el Comentario.",
        },
        (
            "Very unsafe. Contraindicated. Use of an alternative or cessation of "
            "breastfeeding. Read the Comment.",
        ),
    ),
)


def _wording_index() -> dict[str, int]:
    return {fold(wording): risk.level for risk in RISK_LEVELS for _, wording in risk.wordings()}


_WORDINGS = _wording_index()
_WORDING_STARTS = {wording[:end] for wording in _WORDINGS for end in range(len(wording) + 1)}
_START = 24  # characters of a text folded to tell whether it may be a wording


def level_for_wording(text: str) -> int | None:
    """The level a name or description denotes, in any known wording, or None.

    A page asks this of every line, paragraphs of commentary included, and most lines
    are ruled out by folding their first characters alone: a text's fold begins with the
    fold of its beginning (folding maps each character on its own, then joins the words),
    so a beginning that no wording begins with is no wording's."""
    start = fold(text[:_START])
    if start not in _WORDING_STARTS:
        return None
    if len(text) <= _START:
        return _WORDINGS.get(start)
    return _WORDINGS.get(fold(text))
