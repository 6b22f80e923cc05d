"""Plain typed records: what the source readers produce and `to_rdf` consumes.

No RDF here, so a reader can be tested on text alone. Translated fields are dicts
keyed by language tag ("en", "es"). Empty lists mean "not known", never "none":
the source world is open (DESIGN.md §2).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class ProductMention:
    """A product named on another product's page (related product or alternative)."""

    name: str
    level: int | None = None


@dataclass
class Reference:
    """A bibliography entry as the page shows it."""

    position: int  # 1-based number in the page's list
    text: str  # the line as written, without its number
    authors: list[str]
    title: str | None
    journal: str | None
    year: int | None
    has_abstract_link: bool = False
    pmid: str | None = None
    abstract_url: str | None = None
    full_text_url: str | None = None
    publication: str | None = None  # "Journal. Year;Vol(Issue):pages" when known
    has_full_text_link: bool = False  # the page showed a "Full text"/"Texto completo" link


# How an in-text citation was matched to its reference.
EXACT = "exact"
CORRECTED_YEAR = "corrected-year"
FUZZY_NAME = "fuzzy-name"
CORPORATE_AUTHOR = "corporate-author"
RESOLUTION_METHODS = (EXACT, CORRECTED_YEAR, FUZZY_NAME, CORPORATE_AUTHOR)


@dataclass
class Citation:
    """An author-year pointer in the commentary, kept as written."""

    text: str  # e.g. "Konda 2103"
    language: str  # the commentary's language
    offset: int  # character offset of `text` in that commentary
    reference: int | None  # position of the reference it denotes, None if unresolved
    method: str | None  # one of RESOLUTION_METHODS, None if unresolved
    confidence: float  # 0..1


@dataclass
class PharmacokineticValue:
    """One row of the pharmacokinetics table: raw text always, numbers only when certain."""

    variable: str  # a key of PK_VARIABLES in sources/pharmacokinetics.py
    raw: str
    unit: str | None = None
    value: float | None = None
    minimum: float | None = None
    maximum: float | None = None


@dataclass
class OtherWriting:
    name: str
    language: str | None = None  # "Catalan", "Latin (botanical)", "ATC code"...


@dataclass
class BrandName:
    name: str
    countries: list[str] = field(default_factory=list)
    is_combination: bool = False
    other_ingredients: list[str] = field(default_factory=list)


@dataclass
class Product:
    """One entry (a product page or an export record)."""

    names: dict[str, str]  # language -> name
    source_file: str
    level: int | None = None
    updated: date | None = None
    created: date | None = None
    commentary: dict[str, str] = field(default_factory=dict)  # language -> text, verbatim
    related_products: list[ProductMention] = field(default_factory=list)
    related_groups: list[str] = field(default_factory=list)
    alternatives: list[ProductMention] = field(default_factory=list)
    no_alternatives: bool = False
    aliases: list[str] = field(default_factory=list)
    other_writings: list[OtherWriting] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    brand_names: list[BrandName] = field(default_factory=list)
    pharmacokinetics: list[PharmacokineticValue] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    source_id: int | None = None  # the source's numeric id, when the input gives it
    # Names in other languages of the groups and products this entry names, keyed by the
    # name used above (an export gives both languages; a page, one).
    translations: dict[str, dict[str, str]] = field(default_factory=dict)
    # What the reader noticed that does not stop the import ("the page may be cut off").
    warnings: list[str] = field(default_factory=list)
    source_line: int | None = None  # the record's line in a JSON Lines file

    @property
    def name(self) -> str:
        """The name used for the slug: English if known, else Spanish, else any."""
        return self.names.get("en") or self.names.get("es") or next(iter(self.names.values()))

    @property
    def language(self) -> str:
        """The language of the names this entry uses for others: a page's own, else English."""
        return next(iter(self.names)) if len(self.names) == 1 else "en"
