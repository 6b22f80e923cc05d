"""The merge of a build's sources, from the import cache: whole, or from the last build's.

A full build reads the merge facts of every entry (`merge_placed`). An incremental one
starts from the merge the last build kept in its state and reads only the facts of the
entries of the sources that changed, then of the entries that are or mention the slugs
these touch (`remerge`): at 50,000 entries, reading and unpickling every entry's facts
took longer than the rest of an incremental build.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .buildcache import ImportCache
from .errors import SourceError
from .merge import Merge, Placed, merge_placed, remerge


@dataclass
class SourceMerge:
    files: dict[str, list[str]]  # source key -> eids of its entries, in the file's order
    merge: Merge
    errors: list[SourceError]  # of the sources that did not import, then of the merge
    touched: set[str] | None = None  # slugs decided again (None: all of them)


def merge_all(cache: ImportCache, keys: Sequence[str]) -> SourceMerge:
    """The merge of every entry of the sources (`keys`, in the build's order)."""
    cached = cache.files(keys)
    facts = iter(cache.facts([eid for file in cached for eid in file.eids]))
    merge = merge_placed([Placed(eid, next(facts), (rank, position))
                          for rank, file in enumerate(cached)
                          for position, eid in enumerate(file.eids)])
    return SourceMerge({file.key: file.eids for file in cached}, merge,
                       [error for file in cached for error in file.errors] + merge.errors)


def merge_changed(cache: ImportCache, keys: Sequence[str], before: dict[str, list[str]],
                  merged: Merge) -> SourceMerge:
    """The merge of the sources (`keys`), from the one of the sources `before` (key ->
    eids), which had no errors: every entry of a source gone is removed, every entry of a
    new source (or of a changed one: its key is new) added."""
    rank = {key: i for i, key in enumerate(keys)}
    new = [key for key in keys if key not in before]
    cached = {file.key: file for file in cache.files(new)}
    files = {key: eids for key, eids in before.items() if key in rank}
    files.update((key, cached[key].eids) for key in new)
    kept: dict[str, tuple[int, int]] = {}  # eid -> place, of the entries still there
    for key, eids in before.items():
        if key in rank:
            for position, eid in enumerate(eids):
                kept.setdefault(eid, (rank[key], position))
    gone = [(eid, (-1, position)) for key, eids in before.items() if key not in rank
            for position, eid in enumerate(eids)]
    fresh = [(eid, (rank[key], position)) for key in new
             for position, eid in enumerate(cached[key].eids)]
    removed, added = _placed(cache, gone), _placed(cache, fresh)
    merge, touched = remerge(merged, removed, added,
                             lambda slugs: _live(cache, slugs, merged, kept, added))
    errors = [error for key in new for error in cached[key].errors] + merge.errors
    return SourceMerge(files, merge, errors, touched)


def _live(cache: ImportCache, slugs: set[str], merged: Merge, kept: dict[str, tuple[int, int]],
          added: list[Placed]) -> tuple[dict[str, list[Placed]], dict[str, list[Placed]]]:
    """The entries now there that are, and those that mention, each slug."""
    entries: dict[str, list[Placed]] = {slug: [] for slug in slugs}
    mentioners: dict[str, list[Placed]] = {slug: [] for slug in slugs}
    wanted: dict[str, list[tuple[dict, str]]] = {}  # eid of a kept entry -> where it goes
    for slug in slugs:
        eid = merged.products.get(slug)
        if eid in kept:
            wanted.setdefault(eid, []).append((entries, slug))
    for slug, eids in cache.mentioning(slugs).items():
        for eid in eids & kept.keys():
            wanted.setdefault(eid, []).append((mentioners, slug))
    for entry in _placed(cache, [(eid, kept[eid]) for eid in wanted]):
        for found, slug in wanted[entry.eid]:
            found[slug].append(entry)
    for entry in added:
        if entry.facts.slug in entries:
            entries[entry.facts.slug].append(entry)
        for slug in entry.facts.named:
            if slug in mentioners:
                mentioners[slug].append(entry)
    return entries, mentioners


def _placed(cache: ImportCache, where: Iterable[tuple[str, tuple[int, int]]]) -> list[Placed]:
    where = list(where)
    facts = cache.facts([eid for eid, _ in where])
    return [Placed(eid, one, place) for (eid, place), one in zip(where, facts, strict=True)]
