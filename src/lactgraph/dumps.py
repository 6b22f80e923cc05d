"""Bulk dumps of the published graph, written at build time into `graph/dumps/`.

A harvester that wants everything takes one file instead of walking the collections:

- `lactgraph.ttl.gz`: the Turtle files of graph/ (the entries, the links) one after the
  other (a Turtle document may declare its prefixes again);
- `lactgraph.nt.gz`: N-Triples in the order of the Turtle (sorted by subject): greppable,
  splittable, streamable;
- `lactgraph.jsonld.gz`: one JSON-LD document compacted with the published context, the
  context given inline so that it expands offline, with no fetch (its IRIs are the
  canonical ones, so the context is the package's for the graph's base);
- `manifest.jsonl`: one JSON object per dump (file, media type, compression, bytes,
  SHA-256, triples), which the web layer reads for DCAT, VoID and the dumps' ETags. JSON
  Lines rather than `.json` because the server loads every `.json` under `graph/` as
  JSON-LD.

The files are streamed from the Turtle, never held whole: a graph of millions of triples
is dumped in bounded memory. The JSON-LD document is the node objects of each subject
(with the blank nodes below it) compacted one subject at a time by PyLD, in worker
processes, and kept in a cache keyed by their triples, so that a rebuild after a change
compacts only the subjects that changed.

Deterministic: the same files give byte-identical dumps (gzip with mtime 0 and no file
name, blank nodes labelled after the subject they hang from), so a rebuild that changed
nothing changes no checksum and a harvester's conditional request gets 304. Each dump is
written atomically; the manifest is removed first and written last, so the server never
pairs a new file with an old checksum.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from cachetools import LRUCache
from pyld import jsonld
from pyld.context_resolver import ContextResolver

from .jsonld_context import context as published_context
from .rdfio import make_readable, write_atomically
from .workers import process_pool

FOLDER = "dumps"  # under the graph folder: graph/dumps/
TURTLE_DUMP = "lactgraph.ttl.gz"
NT_DUMP = "lactgraph.nt.gz"
JSONLD_DUMP = "lactgraph.jsonld.gz"
MANIFEST = "manifest.jsonl"
GZIP = "application/gzip"

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


@dataclass(frozen=True)
class DumpInfo:
    """One dump as the manifest lists it; `path` is relative to the manifest's folder."""

    path: str
    media_type: str  # of the content, once decompressed
    compression: str | None  # media type of the compression (application/gzip) or None
    bytes: int
    sha256: str
    triples: int

    @property
    def file(self) -> str:
        """The name the dump is served under (`/dumps/<file>`)."""
        return Path(self.path).name


# --- reading the Turtle, one subject at a time ---------------------------------------------

@dataclass
class Subject:
    """A subject's triples (with those of the blank nodes written below it), as N-Triples
    lines and, for compacting, as quads with the terms that label them."""

    lines: list[str]
    quads: list[ox.Quad]
    terms: _Terms

    @property
    def key(self) -> str:
        return hashlib.sha256("".join(self.lines).encode("utf-8")).hexdigest()

    def dataset(self) -> list[dict[str, dict[str, str]]]:
        """The triples in PyLD's RDF dataset form (made only for a subject to compact)."""
        pyld = self.terms.pyld
        return [{"subject": pyld(q.subject), "predicate": pyld(q.predicate),
                 "object": pyld(q.object)} for q in self.quads]


class _Terms:
    """Terms as N-Triples and as PyLD terms; a blank node is labelled, at its first
    appearance, after the subject it hangs from and its rank there."""

    def __init__(self) -> None:
        self.labels: dict[str, str] = {}
        self.anchor = "b"
        self.count = 0

    def anchor_at(self, subject: ox.NamedNode) -> None:
        self.anchor = "b" + hashlib.sha256(subject.value.encode("utf-8")).hexdigest()[:16]
        self.count = 0

    def _label(self, node: ox.BlankNode) -> str:
        label = self.labels.get(node.value)
        if label is None:
            self.count += 1
            label = self.labels[node.value] = f"{self.anchor}x{self.count}"
        return label

    def text(self, term: ox.NamedNode | ox.BlankNode | ox.Literal) -> str:
        return f"_:{self._label(term)}" if isinstance(term, ox.BlankNode) else str(term)

    def pyld(self, term: ox.NamedNode | ox.BlankNode | ox.Literal) -> dict[str, str]:
        if isinstance(term, ox.NamedNode):
            return {"type": "IRI", "value": term.value}
        if isinstance(term, ox.BlankNode):
            return {"type": "blank node", "value": f"_:{self._label(term)}"}
        if term.language:
            return {"type": "literal", "value": term.value, "datatype": _LANG_STRING,
                    "language": term.language}
        return {"type": "literal", "value": term.value, "datatype": term.datatype.value}


def subjects(files: Sequence[Path]) -> Iterator[Subject]:
    """The triples of the files, streamed, grouped by subject in the order written (our
    Turtle writes each subject once, with its blank nodes inline)."""
    terms = _Terms()
    current: Subject | None = None
    last: ox.NamedNode | None = None
    for path in files:
        for quad in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE):
            if isinstance(quad.subject, ox.NamedNode) and quad.subject != last:
                if current is not None:
                    yield current
                current, last = Subject([], [], terms), quad.subject
                terms.anchor_at(quad.subject)
            if current is None:  # blank nodes before any subject: a subject of their own
                current = Subject([], [], terms)
            s, p, o = quad.subject, quad.predicate, quad.object
            current.lines.append(f"{terms.text(s)} {terms.text(p)} {terms.text(o)} .\n")
            current.quads.append(quad)
    if current is not None:
        yield current


# --- compacting, in workers, with a cache --------------------------------------------------

# The context in use, under a name only the loader below answers: PyLD caches a context
# it loaded by name, where an inline one is canonicalised again on every call (that took
# half the time of compacting a subject).
_CONTEXT_NAME = "urn:lactgraph:dump-context"
_CONTEXT: dict[str, Any] = {}


def _loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    if url == _CONTEXT_NAME:
        return {"contextUrl": None, "documentUrl": url, "document": {"@context": _CONTEXT}}
    raise jsonld.JsonLdError(f"refusing to fetch {url}: the context is given inline",
                             "jsonld.LoadDocumentError", code="loading document failed")


_RESOLVER: list[ContextResolver] = []  # one per context in use (of this process)


def _use_context(context: dict[str, Any]) -> None:
    _CONTEXT.clear()
    _CONTEXT.update(context)
    _RESOLVER[:] = [ContextResolver(LRUCache(maxsize=4), _loader)]


def compact_subject(dataset: list[dict[str, dict[str, str]]]) -> str:
    """The node objects of one subject's triples, compacted with the context in use, as
    JSON text without brackets (to go into the document's @graph)."""
    expanded = jsonld.from_rdf({"@default": dataset}, {"useNativeTypes": True})
    compacted = jsonld.compact(expanded, _CONTEXT_NAME, {
        "documentLoader": _loader, "contextResolver": _RESOLVER[0],
        "skipExpansion": True})  # from_rdf gives expanded JSON-LD
    compacted.pop("@context", None)
    nodes = compacted.pop("@graph", None) or ([compacted] if compacted else [])
    return ",".join(json.dumps(node, ensure_ascii=False, separators=(",", ":"))
                    for node in nodes)


class CompactionCache:
    """Compacted subjects by the key of their triples and the context's digest."""

    def __init__(self, path: Path | None, context: dict[str, Any]) -> None:
        self.salt = hashlib.sha256(json.dumps(context, sort_keys=True).encode()).hexdigest()
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path) if path is not None else ":memory:")
        self.db.execute("CREATE TABLE IF NOT EXISTS node (key TEXT PRIMARY KEY, json TEXT)")
        self.db.execute("CREATE TEMP TABLE used (key TEXT PRIMARY KEY)")

    def _key(self, subject: Subject) -> str:
        return hashlib.sha256((self.salt + subject.key).encode()).hexdigest()

    def compacted(self, batch: list[Subject], pool: ProcessPoolExecutor | None) -> list[str]:
        keys = [self._key(subject) for subject in batch]
        found = dict(self.db.execute(
            f"SELECT key, json FROM node WHERE key IN ({','.join('?' * len(keys))})", keys))
        todo = [(key, subject) for key, subject in zip(keys, batch, strict=True)
                if key not in found]
        datasets = [subject.dataset() for _, subject in todo]
        made = (pool.map(compact_subject, datasets, chunksize=32) if pool is not None
                else map(compact_subject, datasets))
        new = dict(zip((key for key, _ in todo), made, strict=True))
        self.db.executemany("INSERT OR REPLACE INTO node VALUES (?, ?)", new.items())
        self.db.executemany("INSERT OR IGNORE INTO used VALUES (?)", [(k,) for k in keys])
        return [found.get(key) or new[key] for key in keys]

    def close(self, prune: bool) -> None:
        """Keep what was made; with prune, forget what this run did not use (so that the
        cache stays the size of the graph)."""
        if prune:
            self.db.execute("DELETE FROM node WHERE key NOT IN (SELECT key FROM used)")
        self.db.commit()
        self.db.close()


# --- writing ------------------------------------------------------------------------------

class _GzipOutput:
    """A gzip file written beside its target and renamed over it on success; its size and
    SHA-256 counted on the way."""

    def __init__(self, target: Path) -> None:
        self.target = target
        handle, name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        self.temporary = Path(name)
        make_readable(self.temporary)
        self.raw = os.fdopen(handle, "wb")
        self.digest = hashlib.sha256()
        self.size = 0
        self.gzip = gzip.GzipFile(filename="", mode="wb", compresslevel=6,
                                  fileobj=self, mtime=0)

    def write(self, data: bytes) -> int:  # called by GzipFile with compressed bytes
        self.digest.update(data)
        self.size += len(data)
        return self.raw.write(data)

    def flush(self) -> None:
        self.raw.flush()

    def text(self, text: str) -> None:
        self.gzip.write(text.encode("utf-8"))

    def finish(self, out_dir: Path, media_type: str, triples: int) -> DumpInfo:
        self.gzip.close()
        self.raw.flush()
        os.fsync(self.raw.fileno())
        self.raw.close()
        os.replace(self.temporary, self.target)
        return DumpInfo(os.path.relpath(self.target, out_dir), media_type, GZIP, self.size,
                        self.digest.hexdigest(), triples)

    def abandon(self) -> None:
        if not self.raw.closed:
            self.raw.close()
        self.temporary.unlink(missing_ok=True)


def _batches(items: Iterable[Subject], size: int) -> Iterator[list[Subject]]:
    batch: list[Subject] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def write_dumps(files: Sequence[Path], out_dir: Path, context: dict[str, Any] | None = None,
                jobs: int = 1, cache: Path | None = None) -> list[DumpInfo]:
    """Write the Turtle, N-Triples and JSON-LD dumps of the Turtle files, and the manifest,
    into out_dir.

    context: the JSON-LD context to compact with (by default the published one at the
    default base; the build gives the one of its base: dumps carry canonical IRIs);
    jobs: processes compacting JSON-LD (more than one pays on a large graph only: each
    process starts in about a second); cache: a file keeping compacted subjects between
    builds (none: compact everything).
    """
    context = published_context() if context is None else context
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / MANIFEST).unlink(missing_ok=True)
    outputs = [_GzipOutput(out_dir / name) for name in (TURTLE_DUMP, NT_DUMP, JSONLD_DUMP)]
    turtle, ntriples, document = outputs
    compactions = CompactionCache(cache, context)
    _use_context(context)
    pool = None
    try:
        for path in files:
            with path.open("rb") as source:
                while chunk := source.read(1 << 20):
                    turtle.gzip.write(chunk)
        if jobs > 1:
            pool = process_pool(jobs, _use_context, (context,))
        document.text('{"@context":' + json.dumps(context, ensure_ascii=False) + ',"@graph":[')
        triples, first = 0, True
        for batch in _batches(subjects(files), 512):
            for subject, nodes in zip(batch, compactions.compacted(batch, pool), strict=True):
                ntriples.text("".join(subject.lines))
                triples += len(subject.lines)
                if nodes:
                    document.text(("" if first else ",") + nodes)
                    first = False
        document.text("]}\n")
        infos = [turtle.finish(out_dir, "text/turtle", triples),
                 ntriples.finish(out_dir, "application/n-triples", triples),
                 document.finish(out_dir, "application/ld+json", triples)]
    except BaseException:
        for output in outputs:
            output.abandon()
        compactions.close(prune=False)
        raise
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    compactions.close(prune=True)
    manifest = "".join(json.dumps(asdict(info), sort_keys=True) + "\n" for info in infos)
    write_atomically(out_dir / MANIFEST, manifest.encode("utf-8"))
    return infos


def read_manifest(out_dir: Path) -> list[DumpInfo]:
    """The dumps listed in out_dir's manifest; none when there is no manifest."""
    path = out_dir / MANIFEST
    if not path.is_file():
        return []
    lines = path.read_text("utf-8").splitlines()
    return [DumpInfo(**json.loads(line)) for line in lines if line.strip()]
