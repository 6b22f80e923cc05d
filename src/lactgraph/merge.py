"""Merge imported entries: one node per product, whoever names it.

A product named only as a related product or alternative on other pages becomes a
stub with the level shown there; importing its own page later enriches that node (the
same slug gives the same IRI) and its own level wins.

The merge reads only a few facts of each entry (`EntryFacts`: slug, level, date, the
products it mentions), never its commentary or references, so that a build of 50,000
entries can merge the facts its cache keeps without holding the entries in memory, and
a full build and an incremental one run the very same function on the very same facts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from .errors import SourceError
from .iris import slugify
from .records import Product

Stub = tuple[dict[str, str], int | None]


@dataclass(frozen=True)
class Mention:
    """A product named on an entry's page, with its names in the entry's languages."""

    slug: str
    names: dict[str, str]
    level: int | None


@dataclass(frozen=True)
class EntryFacts:
    """What the merge needs to know about one imported entry."""

    slug: str
    source_file: str
    level: int | None
    updated: date | None
    mentions: tuple[Mention, ...]


def entry_facts(product: Product) -> EntryFacts:
    mentions = tuple(
        Mention(slugify(mention.name),
                {product.language: mention.name, **product.translations.get(mention.name, {})},
                mention.level)
        for mention in (*product.related_products, *product.alternatives)
    )
    return EntryFacts(slugify(product.name), product.source_file, product.level,
                      product.updated, mentions)


@dataclass
class MergedEntries:
    entries: list[int]  # positions in the input of the entries kept, in slug order
    stubs: list[Stub]  # in slug order
    warnings: list[str] = field(default_factory=list)
    errors: list[SourceError] = field(default_factory=list)


@dataclass
class _Seen:
    names: dict[str, str]
    level: int | None
    seen_on: str


def merge_entries(entries: Sequence[EntryFacts]) -> MergedEntries:
    """Entries by slug, in input order (a later duplicate is an error), plus the stubs of
    the products they mention: each stub as the most recently updated page shows it."""
    by_slug: dict[str, int] = {}
    errors: list[SourceError] = []
    for position, entry in enumerate(entries):
        if not entry.slug:  # a name of punctuation only: no IRI to give it
            errors.append(SourceError(entry.source_file, None, "the product's name has no "
                                      "letter or digit to make its IRI from"))
            continue
        first = by_slug.setdefault(entry.slug, position)
        if first != position:
            errors.append(SourceError(entry.source_file, None, f"product/{entry.slug} is "
                                      f"already imported from {entries[first].source_file}"))

    mentions: dict[str, _Seen] = {}
    warnings: list[str] = []
    kept = sorted(by_slug.values(),
                  key=lambda i: (entries[i].updated or date.min, entries[i].source_file))
    for position in kept:
        entry = entries[position]
        for mention in entry.mentions:
            if not mention.slug:
                warnings.append(f"{entry.source_file}: a related product or alternative "
                                f"named {next(iter(mention.names.values()))!r} has no letter "
                                "or digit to make its IRI from; left out")
                continue
            seen = _Seen(mention.names, mention.level, entry.source_file)
            imported = by_slug.get(mention.slug)
            known = mentions.get(mention.slug) or (
                _Seen({}, entries[imported].level, entries[imported].source_file)
                if imported is not None else None)
            warnings.extend(_conflict(mention.slug, known, seen))
            if imported is None:
                mentions[mention.slug] = seen  # the most recently updated page's word wins

    stubs = [(seen.names, seen.level) for _, seen in sorted(mentions.items())]
    return MergedEntries([by_slug[slug] for slug in sorted(by_slug)], stubs, warnings, errors)


def _conflict(slug: str, known: _Seen | None, seen: _Seen) -> list[str]:
    if known is None or known.level is None or seen.level is None or known.level == seen.level:
        return []
    return [f"product/{slug}: level {seen.level} on {seen.seen_on} but {known.level} "
            f"on {known.seen_on}"]


@dataclass
class Merged:
    products: list[Product]
    stubs: list[Stub]
    warnings: list[str] = field(default_factory=list)
    errors: list[SourceError] = field(default_factory=list)


def merge_products(products: list[Product]) -> Merged:
    """Imported products by slug (a duplicate is an error), plus the stubs they mention."""
    merged = merge_entries([entry_facts(product) for product in products])
    return Merged([products[i] for i in merged.entries], merged.stubs, merged.warnings,
                  merged.errors)
