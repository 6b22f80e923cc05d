"""Merge imported entries: one node per product, whoever names it.

A product named only as a related product or alternative on other pages becomes a
stub with the level shown there; importing its own page later enriches that node (the
same slug gives the same IRI) and its own level wins.

The merge reads only a few facts of each entry (`EntryFacts`: slug, level, date, the
products it mentions), never its commentary or references, so that a build of 50,000
entries can merge the facts its cache keeps without holding the entries in memory. It
decides slug by slug, from the entries that are or mention the slug: an incremental build
decides again only the slugs its changed entries are or mention (`remerge`), with the very
function a full build runs on every slug (`merge_placed`).

A product's IRI comes from its English name where a source gives it, else from the name
its page shows: the Spanish page of an entry whose English name is known elsewhere (an
export record, another page's translation) makes a second product. Where an entry gives
another language's name of a product, the slug of that name counts as mentioned, and a
product or stub found there is named in a warning.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from .errors import SourceError
from .iris import slugify
from .records import Product

Stub = tuple[str, dict[str, str], int | None]  # slug, names, level


@dataclass(frozen=True)
class Translation:
    """A name an entry gives a product in another language, whose slug is not the
    product's: were that slug a product too, the two would be one product."""

    slug: str  # of the name
    product: str  # the slug of the product it names
    language: str
    name: str


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
    warnings: tuple[str, ...] = ()  # the reader's own, about the entry
    source_line: int | None = None  # in a JSON Lines file
    translations: tuple[Translation, ...] = ()
    english: bool = False  # the slug comes from an English name

    @property
    def named(self) -> tuple[str, ...]:
        """The slugs whose decision reads this entry besides its own: those of the products
        it mentions and of the names it gives in other languages."""
        return tuple(dict.fromkeys(slug for slug in (
            *(m.slug for m in self.mentions), *(t.slug for t in self.translations)) if slug))

    @property
    def source(self) -> str:
        """Where the entry was read: `file`, or `file:line` for a JSON Lines record."""
        line = f":{self.source_line}" if self.source_line is not None else ""
        return f"{self.source_file}{line}"


def entry_facts(product: Product) -> EntryFacts:
    mentions = tuple(
        Mention(slugify(mention.name),
                {product.language: mention.name, **product.translations.get(mention.name, {})},
                mention.level)
        for mention in (*product.related_products, *product.alternatives)
    )
    slug = slugify(product.name)
    translations = tuple(dict.fromkeys(
        Translation(slugify(name), named, language, name)
        for named, names in ((slug, product.names), *((m.slug, m.names) for m in mentions))
        for language, name in sorted(names.items())
        if named and slugify(name) not in ("", named)))
    return EntryFacts(slug, product.source_file, product.level, product.updated, mentions,
                      tuple(product.warnings), product.source_line, translations,
                      "en" in product.names)


@dataclass(frozen=True)
class Placed:
    """An entry where the build found it."""

    eid: str
    facts: EntryFacts
    place: tuple[int, int]  # (its file's rank among the sources, its position in the file)

    @property
    def recency(self) -> tuple[date, str, tuple[int, int]]:
        """Sorts entries from the least to the most recently updated page."""
        return self.facts.updated or date.min, self.facts.source_file, self.place


@dataclass
class Merge:
    """What the merge decided, slug by slug: a change re-decides only the slugs it
    touches (`remerge`), and gives what deciding them all (`merge_placed`) gives."""

    products: dict[str, str]  # slug -> eid of the entry imported for it
    stubs: dict[str, Stub]  # slug -> a product known only by mention
    slug_warnings: dict[str, list[str]]  # only the slugs with warnings
    entry_warnings: dict[str, list[str]]  # eid -> its own warnings, only where there are
    errors: list[SourceError] = field(default_factory=list)

    @property
    def warnings(self) -> list[str]:
        return sorted(w for found in (self.slug_warnings, self.entry_warnings)
                      for warnings in found.values() for w in warnings)


@dataclass
class _Seen:
    names: dict[str, str]
    level: int | None
    seen_on: str


def merge_placed(entries: Sequence[Placed]) -> Merge:
    """Every slug decided from every entry."""
    merge = Merge({}, {}, {}, {})
    by_slug: dict[str, list[Placed]] = {}
    mentioners: dict[str, list[Placed]] = {}
    for entry in entries:
        _entry_findings(merge, entry)
        if entry.facts.slug:
            by_slug.setdefault(entry.facts.slug, []).append(entry)
            for slug in entry.facts.named:
                mentioners.setdefault(slug, []).append(entry)
    for slug in by_slug.keys() | mentioners.keys():
        _decide(merge, slug, by_slug.get(slug, []), mentioners.get(slug, []))
    merge.errors.sort(key=str)
    return merge


Lookup = Callable[[set[str]], tuple[dict[str, list[Placed]], dict[str, list[Placed]]]]


def remerge(previous: Merge, removed: Iterable[Placed], added: Iterable[Placed],
            live: Lookup) -> tuple[Merge, set[str]]:
    """The merge after a change, from the merge before it (which had no errors): only
    the slugs the removed and the added entries are or mention are decided again, from
    the entries there now that are and that mention them (`live(slugs)`: two dicts by
    slug). Returns the merge and the slugs decided again."""
    merge = Merge(dict(previous.products), dict(previous.stubs),
                  dict(previous.slug_warnings), dict(previous.entry_warnings))
    removed, added = list(removed), list(added)
    for entry in removed:
        merge.entry_warnings.pop(entry.eid, None)
    for entry in added:
        _entry_findings(merge, entry)
    touched = {slug for entry in removed + added
               for slug in (entry.facts.slug, *entry.facts.named) if slug}
    entries, mentioners = live(touched)
    for slug in touched:
        merge.products.pop(slug, None)
        merge.stubs.pop(slug, None)
        merge.slug_warnings.pop(slug, None)
        _decide(merge, slug, entries.get(slug, []), mentioners.get(slug, []))
    merge.errors.sort(key=str)
    return merge, touched


def _entry_findings(merge: Merge, entry: Placed) -> None:
    facts = entry.facts
    if not facts.slug:  # a name of punctuation only: no IRI to give it
        merge.errors.append(SourceError(facts.source_file, None, "the product's name has no "
                                        "letter or digit to make its IRI from"))
        return
    warnings = [*facts.warnings, *(
        f"{facts.source_file}: a related product or alternative named "
        f"{next(iter(m.names.values()))!r} has no letter or digit to make its IRI from; left out"
        for m in facts.mentions if not m.slug)]
    if warnings:
        merge.entry_warnings[entry.eid] = warnings


def _decide(merge: Merge, slug: str, entries: list[Placed], mentioners: list[Placed]
            ) -> None:
    """One slug: the first entry imported for it (a later one is an error), else a stub
    as the most recently updated page mentioning it shows it; a warning where pages
    disagree on its level, and where an entry gives its name as another product's."""
    entries = sorted(entries, key=lambda entry: entry.place)
    first = entries[0] if entries else None
    merge.errors.extend(SourceError(entry.facts.source_file, entry.facts.source_line,
                                    f"product/{slug} is already imported from "
                                    f"{first.facts.source}")
                        for entry in entries[1:])
    known = _Seen({}, first.facts.level, first.facts.source_file) if first else None
    english = first.facts.english if first else False  # the slug's name is English
    warnings: list[str] = []
    named = [entry for entry in mentioners if entry.facts.slug]  # else not imported
    for entry in sorted(named, key=lambda entry: entry.recency):
        for mention in entry.facts.mentions:
            if mention.slug == slug:
                english = english or (not first and next(iter(mention.names)) == "en")
                seen = _Seen(mention.names, mention.level, entry.facts.source_file)
                warnings.extend(_conflict(slug, known, seen))
                if first is None:
                    known = seen  # the most recently updated page's word wins
    if first is not None:
        merge.products[slug] = first.eid
    elif known is not None:
        merge.stubs[slug] = (slug, known.names, known.level)
    if known is not None and not english:  # an English name's IRI is the one it has
        where = f"imported from {first.facts.source}" if first else f"named on {known.seen_on}"
        warnings.extend(_two_languages(slug, where, named))
    if warnings:
        merge.slug_warnings[slug] = warnings


_LANGUAGES = {"en": "English", "es": "Spanish"}


def _two_languages(slug: str, where: str, entries: list[Placed]) -> list[str]:
    return [f"product/{slug} ({where}) is also product/{t.product}: {entry.facts.source} "
            f"gives {t.name!r} as the latter's {_LANGUAGES.get(t.language, t.language)} "
            "name (an entry's IRI comes from its English name where a source gives it, "
            "else from the name its page shows: its pages in two languages make two "
            "products)"
            for entry in entries for t in entry.facts.translations if t.slug == slug]


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
    merge = merge_placed([Placed(str(i), entry_facts(product), (0, i))
                          for i, product in enumerate(products)])
    return Merged([products[int(merge.products[slug])] for slug in sorted(merge.products)],
                  [merge.stubs[slug] for slug in sorted(merge.stubs)], merge.warnings,
                  merge.errors)
