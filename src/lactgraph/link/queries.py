"""The SPARQL the linker sends, built from rdflib terms so no name can change a query.

Every value is written by rdflib (`Literal(...).n3()`, `URIRef(...).n3()`): quotes,
backslashes and newlines in a name are escaped, so a name stays one literal, whatever it
holds. Properties and items are checked against `P<digits>` and `Q<digits>` first. Queries
list their values sorted, so the same graph gives the same query text (and cache key).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from rdflib import Literal, URIRef

from . import prefixes
from .subjects import Name

WD = prefixes.identifier_prefixes()["wikidata"]
WDT = prefixes.identifier_prefixes()["wdt"]
RDFS_NS = prefixes.vocabulary_prefixes()["rdfs"]
SKOS_NS = prefixes.vocabulary_prefixes()["skos"]
LABEL_FIELDS = {f"{RDFS_NS}label": "rdfs:label", f"{SKOS_NS}altLabel": "skos:altLabel"}
QUERY_PREFIXES = (f"PREFIX wd: <{WD}>\nPREFIX wdt: <{WDT}>\nPREFIX rdfs: <{RDFS_NS}>\n"
                  f"PREFIX skos: <{SKOS_NS}>\n")

LANGUAGES = ("en", "es", "mul")  # "mul": Wikidata's language-neutral labels (taxa)


def name_variants(text: str) -> list[str]:
    """The spellings to ask for: Wikidata labels are mostly lower case, ours capitalised."""
    text = " ".join(text.split())  # one line: no newline ever reaches a query
    return sorted({text, text.lower(), text[:1].upper() + text[1:].lower()})


def name_languages(name: Name) -> tuple[str, ...]:
    return (name.lang, "mul") if name.lang else LANGUAGES


def identifier_query(pairs: Iterable[tuple[str, str]]) -> str:
    """Items holding any of (property, value), e.g. ("P267", "N02BE01")."""
    rows = " ".join(f"(wdt:{p} {Literal(v).n3()})" for p, v in pairs
                    if re.fullmatch(r"P[0-9]+", p))
    return (f"{QUERY_PREFIXES}SELECT ?property ?value ?item WHERE {{\n"
            f"  VALUES (?property ?value) {{ {rows} }}\n  ?item ?property ?value .\n}}")


def name_query(literals: Iterable[Literal]) -> str:
    """Items whose label or alias is any of the literals (exact, with language tags)."""
    values = " ".join(literal.n3() for literal in literals)
    return (f"{QUERY_PREFIXES}SELECT ?name ?field ?item WHERE {{\n"
            f"  VALUES ?name {{ {values} }}\n  VALUES ?field {{ rdfs:label skos:altLabel }}\n"
            f"  ?item ?field ?name .\n}}")


def _items(qids: Iterable[str]) -> str:
    return " ".join(URIRef(WD + q).n3() for q in qids if re.fullmatch(r"Q[0-9]+", q))


def facts_query(qids: Iterable[str]) -> str:
    """Classes (P31), parts (P527) and labels of items, for type filters and salts."""
    languages = ", ".join(Literal(lang).n3() for lang in LANGUAGES)
    return (f"{QUERY_PREFIXES}SELECT ?item ?property ?value WHERE {{\n"
            f"  VALUES ?item {{ {_items(qids)} }}\n"
            f"  VALUES ?property {{ wdt:P31 wdt:P527 rdfs:label }}\n"
            f"  ?item ?property ?value .\n"
            f"  FILTER(?property != rdfs:label || LANG(?value) IN ({languages}))\n}}")


def property_query(qids: Iterable[str], prop: str) -> str:
    """The values of one property (e.g. P683, ChEBI ID) on items."""
    if not re.fullmatch(r"P[0-9]+", prop):
        raise ValueError(f"not a Wikidata property: {prop!r}")
    return (f"{QUERY_PREFIXES}SELECT ?item ?value WHERE {{\n"
            f"  VALUES ?item {{ {_items(qids)} }}\n  ?item wdt:{prop} ?value .\n}}")


def item_id(node: object) -> str | None:
    """The QID of a Wikidata item IRI in an answer ("Q57055"), None for anything else."""
    text = str(node)
    if isinstance(node, URIRef) and text.startswith(WD) and re.fullmatch(r"Q[0-9]+",
                                                                          text[len(WD):]):
        return text[len(WD):]
    return None
