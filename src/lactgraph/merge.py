"""Merge imported entries: one node per product, whoever names it.

A product named only as a related product or alternative on other pages becomes a
stub with the level shown there; importing its own page later enriches that node (the
same slug gives the same IRI) and its own level wins.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from .errors import SourceError
from .iris import slugify
from .records import Product


@dataclass
class Merged:
    products: list[Product]
    stubs: list[tuple[dict[str, str], int | None]]
    warnings: list[str] = field(default_factory=list)
    errors: list[SourceError] = field(default_factory=list)


@dataclass
class _Mention:
    names: dict[str, str]
    level: int | None
    seen_on: str
    updated: date


def merge_products(products: list[Product]) -> Merged:
    """Imported products by slug (a duplicate is an error), plus the stubs they mention."""
    by_slug: dict[str, Product] = {}
    errors: list[SourceError] = []
    for product in products:
        slug = slugify(product.name)
        if slug in by_slug:
            first = by_slug[slug].source_file
            errors.append(SourceError(product.source_file, None,
                                      f"product/{slug} is already imported from {first}"))
            continue
        by_slug[slug] = product

    mentions: dict[str, _Mention] = {}
    warnings: list[str] = []
    for product in sorted(by_slug.values(), key=lambda p: (p.updated or date.min, p.source_file)):
        for mention in (*product.related_products, *product.alternatives):
            slug = slugify(mention.name)
            names = {product.language: mention.name,
                     **product.translations.get(mention.name, {})}
            seen = _Mention(names, mention.level, product.source_file,
                            product.updated or date.min)
            warnings.extend(_conflict(slug, mentions.get(slug) or by_slug.get(slug), seen))
            if slug not in by_slug:
                mentions[slug] = seen  # the most recently updated page's word wins

    stubs = [(m.names, m.level) for slug, m in sorted(mentions.items())]
    ordered = [by_slug[slug] for slug in sorted(by_slug)]
    return Merged(ordered, stubs, warnings, errors)


def _conflict(slug: str, known: _Mention | Product | None, seen: _Mention) -> list[str]:
    if known is None or known.level is None or seen.level is None or known.level == seen.level:
        return []
    where = known.source_file if isinstance(known, Product) else known.seen_on
    return [f"product/{slug}: level {seen.level} on {seen.seen_on} but {known.level} on {where}"]
