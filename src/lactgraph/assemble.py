"""The published Turtle from the import cache: written whole, or by replacing what changed.

The file is a sorted sequence of *units*, each one or more blocks (see `turtle.py`):

- a product unit: an imported entry's own blocks (the product and its `#` IRIs, which
  sort together), or the block of a product known only by mention (a stub);
- a shared unit: the block of a group, alias, other writing, brand name, country or
  reference, made from what every entry built writes about it (the union of their
  triples; for a reference, the description of the first entry in slug order).

A unit depends on nothing but the entries that write it, so after a change the units to
replace are those the changed entries write, before or after the change; every other unit
is the same bytes a full build writes. Both ways run the same functions on the same
cache, which is why an incremental build gives a byte-identical file (a test checks it).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import groupby

from .blockfile import BlockFile, Edit
from .buildcache import ImportCache
from .entries import DESCRIBED_ONCE, EntryRenderer
from .turtle import block

_LAST = "#\U0010ffff"  # sorts after every '#' IRI of a product, before the next product


@dataclass(frozen=True)
class Contents:
    """What the graph is made of after the merge."""

    products: dict[str, str]  # product IRI -> eid of the entry imported for it
    stubs: dict[str, str]  # product IRI -> region of a product known only by mention


@dataclass(frozen=True)
class UnitChange:
    first: str  # the unit's subjects lie in [first, last]
    last: str
    start: int  # its bytes in the old file
    end: int
    old: str
    new: str

    @property
    def edit(self) -> Edit:
        return Edit(self.start, self.end, self.new)


class Assembler:
    """Writes units for one Contents from one cache."""

    def __init__(self, cache: ImportCache, renderer: EntryRenderer, contents: Contents) -> None:
        self.cache = cache
        self.terms = renderer.terms
        self.contents = contents
        cache.set_live({eid: iri for iri, eid in contents.products.items()})

    def product_unit(self, iri: str) -> str:
        eid = self.contents.products.get(iri)
        if eid is not None:
            return self.cache.owned(eid)
        return self.contents.stubs.get(iri, "")

    def shared_unit(self, subject: str, rows: Iterable[tuple[str, int, str, str]]) -> str:
        """The block of a shared subject from its (subject, kind, pairs, owner) rows."""
        live = sorted((owner, kind, pairs) for _, kind, pairs, owner in rows)
        if not live:
            return ""
        if len({kind for _, kind, _ in live}) != 1:
            raise ValueError(f"{subject} is written as two kinds of resource")
        if live[0][1] == DESCRIBED_ONCE:
            pairs = live[0][2].split("\n")  # the first entry in slug order describes it
        else:
            pairs = [pair for _, _, text in live for pair in text.split("\n")]
        return "\n" + block(subject, pairs, self.terms)

    def units(self) -> Iterator[tuple[str, str]]:
        """(first subject, text) of every unit, in file order."""
        products = ((iri, self.product_unit(iri)) for iri in
                    sorted(self.contents.products.keys() | self.contents.stubs.keys()))
        shared = ((subject, self.shared_unit(subject, rows))
                  for subject, rows in groupby(self.cache.contributions(), key=lambda r: r[0]))
        previous = ""
        for key, text in heapq.merge(products, shared, key=lambda unit: unit[0]):
            if key <= previous:
                raise ValueError(f"units out of order: {key} after {previous}")
            previous = key
            if text:
                yield key, text

    def changes(self, old: BlockFile, before: Contents) -> list[UnitChange]:
        """The units that differ from the old file's, the old file having been written
        from `before` (by this code, from this cache)."""
        products = {iri for iri in (before.products.keys() | before.stubs.keys()
                                    | self.contents.products.keys() | self.contents.stubs.keys())
                    if (before.products.get(iri), before.stubs.get(iri))
                    != (self.contents.products.get(iri), self.contents.stubs.get(iri))}
        changed_eids = {eids[iri] for eids in (before.products, self.contents.products)
                        for iri in products if iri in eids}
        found = []
        for iri in sorted(products):
            found.append(self._change(old, iri, iri + _LAST, self.product_unit(iri)))
        shared = self.cache.shared_touched(changed_eids)
        rows = {subject: list(group) for subject, group in
                groupby(self.cache.contributions(shared), key=lambda r: r[0])}
        for subject in sorted(shared):  # one no entry writes any more is removed
            found.append(self._change(old, subject, subject,
                                      self.shared_unit(subject, rows.get(subject, []))))
        # In file order: at one offset, the units inserted there (by subject) before the
        # one that starts there. Products are found first, so a new group that sorts just
        # before a removed product came after it: overlapping edits, or an unsorted file.
        return sorted((change for change in found if change.old != change.new),
                      key=lambda change: (change.start, change.end, change.first))

    @staticmethod
    def _change(old: BlockFile, first: str, last: str, new: str) -> UnitChange:
        start, end = old.span(first, last)
        return UnitChange(first, last, start, end, old.text(start, end), new)
