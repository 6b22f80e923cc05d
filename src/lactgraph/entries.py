"""One imported entry as the build keeps it: its merge facts and its Turtle, rendered once.

An entry's triples fall in three kinds, by subject:

- OWNED: the product and its `#` IRIs (citations, pharmacokinetic values): only this
  entry writes them, and they sort together, so they are kept as ready-made regions;
- SHARED: groups, aliases, other writings, brand names, countries: several entries may
  write them, and the published block is the union of what they write;
- DESCRIBED_ONCE: references, described by the first entry in slug order that cites them
  (as `to_rdf` does in a whole-graph build), so each entry keeps its own description and
  the build picks one.

`import_file` runs in worker processes (spawned): it takes and returns plain data.
"""

from __future__ import annotations

import hashlib
import pickle
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rdflib.term import Node

from .iris import IriScheme
from .link.prefixes import own_prefixes
from .merge import EntryFacts, Stub, entry_facts
from .readers import read_source
from .records import Product
from .to_rdf import RdfWriter
from .turtle import TermWriter, block, subject_pairs
from .vocab import PREFIXES

OWNED, SHARED, DESCRIBED_ONCE = 0, 1, 2
_DESCRIBED_ONCE_KINDS = {"reference"}


def turtle_prefixes(base: str) -> dict[str, str]:
    """The prefixes the published Turtle is written with: ours and the reused vocabularies."""
    return {**own_prefixes(base), **PREFIXES}


@dataclass(frozen=True)
class RenderedEntry:
    eid: str  # digest of everything below: equal digests, equal contributions
    facts: EntryFacts
    owned: str  # regions of the entry's own subjects, sorted
    shared: tuple[tuple[str, int, str], ...]  # (subject IRI, kind, pairs joined by "\n")


@dataclass(frozen=True)
class ImportedFile:
    key: str
    path: str
    entries: list[RenderedEntry]
    errors: list[tuple[str, int | None, str]]  # (file, line, message) of SourceErrors


class _Triples(list):
    def add(self, triple: tuple[Node, Node, Node]) -> None:
        self.append(triple)


class EntryRenderer:
    """Renders entries and stubs with one IRI scheme and one prefix map."""

    def __init__(self, base: str) -> None:
        self.iris = IriScheme(base)
        self.terms = TermWriter(turtle_prefixes(self.iris.base))

    def entry(self, product: Product) -> RenderedEntry:
        triples = _Triples()
        node = str(self._writer(triples).product(product))
        pairs = subject_pairs(triples, self.terms)
        owned = "".join("\n" + block(subject, pairs[subject], self.terms)
                        for subject in sorted(pairs) if _owned_by(subject, node))
        shared = tuple((subject, self._kind(subject), "\n".join(sorted(set(pairs[subject]))))
                       for subject in sorted(pairs) if not _owned_by(subject, node))
        facts = entry_facts(product)
        digest = hashlib.sha256(pickle.dumps((facts, owned, shared), protocol=5))
        return RenderedEntry(digest.hexdigest()[:32], facts, owned, shared)

    def stub(self, stub: Stub) -> tuple[str, str]:
        """(product IRI, region) of a product known only by mention."""
        triples = _Triples()
        slug, names, level = stub
        node = str(self._writer(triples).product_stub(names, level, slug))
        pairs = subject_pairs(triples, self.terms)
        return node, "\n" + block(node, pairs[node], self.terms)

    def _writer(self, triples: _Triples) -> RdfWriter:
        """A writer into `triples` whose literals come already written as Turtle."""
        return RdfWriter(triples, self.iris, self.terms.string, self.terms.typed)

    def _kind(self, subject: str) -> int:
        split = self.iris.split(subject)
        return DESCRIBED_ONCE if split and split[0] in _DESCRIBED_ONCE_KINDS else SHARED


def _owned_by(subject: str, product: str) -> bool:
    return subject == product or subject.startswith(product + "#")


@lru_cache(maxsize=1)
def _renderer(base: str) -> EntryRenderer:
    """One renderer per importing process: the IRIs it has written once it need not work
    out again (a tenth of an import's time)."""
    return EntryRenderer(base)


def import_file(path: str, key: str, base: str) -> ImportedFile:
    """Read one source file and render its entries (run in a worker process)."""
    products, errors = read_source(Path(path))
    renderer = _renderer(base)
    return ImportedFile(key, path, [renderer.entry(product) for product in products],
                        [(error.path, error.line, error.message) for error in errors])
