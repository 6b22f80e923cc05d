"""Bulk dumps of the published graph, written at build time beside `graph/lactgraph.ttl`.

A harvester that wants everything takes one file instead of walking the collections:

- `lactgraph.nt.gz`: N-Triples, sorted, gzip: greppable, splittable, streamable;
- `lactgraph.jsonld.gz`: one JSON-LD document compacted with the published context, the
  context given inline so that it expands offline, with no fetch (its IRIs are the
  canonical ones, so the context is the package's, at the default base);
- `lactgraph.ttl.gz`: the Turtle files of graph/ (the entries, the links) one after the
  other, gzip: already sorted and stable;
- `manifest.jsonl`: one JSON object per dump (file, media type, compression, bytes,
  SHA-256, triples), which the web layer reads for DCAT, VoID and the dumps' ETags. JSON
  Lines rather than `.json` because the server loads every `.json` under `graph/` as
  JSON-LD.

Deterministic: the same graph gives byte-identical files (sorted lines, gzip with mtime 0
and no file name, blank nodes labelled by where they hang), so a rebuild that changed
nothing changes no checksum and a harvester's conditional request gets 304. Each file is
written atomically; the manifest is removed first and written last.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar

from pyld import jsonld
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from .jsonld_context import context as published_context
from .rdfio import read_graph, write_atomically

FOLDER = "dumps"  # under the graph folder: graph/dumps/
TURTLE_DUMP = "lactgraph.ttl.gz"
NT_DUMP = "lactgraph.nt.gz"
JSONLD_DUMP = "lactgraph.jsonld.gz"
MANIFEST = "manifest.jsonl"
GZIP = "application/gzip"

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


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


# --- stable blank node labels -------------------------------------------------------------

def _evaluate(start: K, deps: Callable[[K], list[K]], combine: Callable[[K, dict], V],
              memo: dict[K, V]) -> V:
    """memo[start], computing dependencies first without recursion (RDF lists are long).

    A dependency met again while it is being computed (a cycle) is absent from memo when
    its dependant is combined; combine decides what stands in for it.
    """
    stack, open_ = [start], set()
    while stack:
        node = stack[-1]
        if node in memo:
            stack.pop()
            continue
        pending = [d for d in deps(node) if d not in memo and d not in open_]
        if pending and node not in open_:
            open_.add(node)
            stack.extend(pending)
            continue
        memo[node] = combine(node, memo)
        open_.discard(node)
        stack.pop()
    return memo[start]


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def stable_blank_nodes(graph: Graph) -> Graph:
    """A copy of graph whose blank nodes are labelled by their content and position.

    Parsers and rdflib's Collection mint random labels; a label derived from what a blank
    node holds (its triples, recursively) and where it hangs (the subject and predicate
    above it) is the same in every build, so dumps stay byte-identical. Two blank nodes
    with the same content under the same subject and predicate get one label: they say
    the same thing.
    """
    outgoing: dict[BNode, list[tuple[Node, Node]]] = defaultdict(list)
    incoming: dict[BNode, list[tuple[Node, Node]]] = defaultdict(list)
    for s, p, o in graph:
        if isinstance(s, BNode):
            outgoing[s].append((p, o))
        if isinstance(o, BNode):
            incoming[o].append((s, p))

    def below(node: BNode) -> list[BNode]:
        return [o for _, o in outgoing[node] if isinstance(o, BNode)]

    def content(node: BNode, memo: dict) -> str:
        return _digest(*sorted(
            f"{p.n3()} {memo.get(o, 'cycle') if isinstance(o, BNode) else o.n3()}"
            for p, o in outgoing[node]))

    contents: dict[BNode, str] = {}

    def above(node: BNode) -> list[BNode]:
        parents = incoming[node]
        return [parents[0][0]] if len(parents) == 1 and isinstance(parents[0][0], BNode) else []

    def label(node: BNode, memo: dict) -> str:
        own = _evaluate(node, below, content, contents)
        parents = incoming[node]
        if len(parents) != 1:
            return _digest("*", own)
        subject, predicate = parents[0]
        anchor = memo.get(subject, "cycle") if isinstance(subject, BNode) else subject.n3()
        return _digest(anchor, predicate.n3(), own)

    labels: dict[BNode, str] = {}
    result = Graph(bind_namespaces="none")
    for prefix, namespace in graph.namespaces():
        result.bind(prefix, namespace)

    def relabel(term: Node) -> Node:
        if isinstance(term, BNode):
            return BNode("b" + _evaluate(term, above, label, labels)[:24])
        return term

    for s, p, o in graph:
        result.add((relabel(s), p, relabel(o)))
    return result


# --- serialisations -----------------------------------------------------------------------

def sorted_ntriples(graph: Graph) -> bytes:
    """The graph as N-Triples, one triple a line, sorted (byte-stable once its blank nodes
    went through stable_blank_nodes)."""
    text = graph.serialize(format="nt", encoding="utf-8").decode("utf-8")
    lines = sorted({line for line in text.splitlines() if line.strip()})
    return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""


def _rdf_term(term: Node) -> dict[str, str]:
    """A term in PyLD's RDF dataset form."""
    if isinstance(term, URIRef):
        return {"type": "IRI", "value": str(term)}
    if isinstance(term, BNode):
        return {"type": "blank node", "value": f"_:{term}"}
    assert isinstance(term, Literal)
    if term.language:
        return {"type": "literal", "value": str(term), "datatype": _LANG_STRING,
                "language": term.language}
    return {"type": "literal", "value": str(term),
            "datatype": str(term.datatype) if term.datatype else _XSD_STRING}


def compact_document(graph: Graph, context: dict[str, Any]) -> dict[str, Any]:
    """The graph as one JSON-LD document compacted with context (an object, kept inline).

    The triples go to PyLD as a dataset, not as N-Quads text: PyLD's N-Quads reader
    removes duplicates by a linear search per line, which takes minutes on a whole graph.
    """
    triples = sorted(graph)
    dataset = {"@default": [{"subject": _rdf_term(s), "predicate": _rdf_term(p),
                             "object": _rdf_term(o)} for s, p, o in triples]}
    expanded = jsonld.from_rdf(dataset, {"useNativeTypes": True})

    def refuse(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        raise jsonld.JsonLdError(f"refusing to fetch {url}: the context is given inline",
                                 "jsonld.LoadDocumentError", code="loading document failed")

    return jsonld.compact(expanded, {"@context": context}, {"documentLoader": refuse})


def _gzip(data: bytes) -> bytes:
    """gzip with no file name and mtime 0: the same bytes in, the same bytes out."""
    return gzip.compress(data, compresslevel=9, mtime=0)


# --- writing ------------------------------------------------------------------------------

def _info(path: Path, out_dir: Path, media_type: str, compression: str | None,
          data: bytes, triples: int) -> DumpInfo:
    return DumpInfo(os.path.relpath(path, out_dir), media_type, compression, len(data),
                    hashlib.sha256(data).hexdigest(), triples)


def write_dumps(source: Graph | Path | Sequence[Path], out_dir: Path,
                context: dict[str, Any] | None = None, turtle: Sequence[Path] = ()
                ) -> list[DumpInfo]:
    """Write the Turtle, N-Triples and JSON-LD dumps and the manifest into out_dir.

    source is the graph, or RDF files (files or folders) to read it from. turtle are the
    Turtle files that make the graph, concatenated into the Turtle dump (a Turtle document
    may declare its prefixes again; by default the `.ttl` files of source). context is the
    JSON-LD context to compact with (by default the published one at the default base:
    dumps carry canonical IRIs).
    """
    if isinstance(source, Graph):
        graph = source
    else:
        paths = [source] if isinstance(source, Path) else list(source)
        turtle = turtle or [path for path in paths if path.suffix == ".ttl"]
        graph = read_graph(paths)
    context = published_context() if context is None else context
    # No manifest while the dumps change: the server lists only what a manifest lists,
    # with its checksum as ETag, and must never pair a new file with an old checksum.
    (out_dir / MANIFEST).unlink(missing_ok=True)
    graph = stable_blank_nodes(graph)
    triples = len(graph)
    infos = []
    if turtle:
        concatenated = _gzip(b"".join(path.read_bytes() for path in turtle))
        write_atomically(out_dir / TURTLE_DUMP, concatenated)
        infos.append(_info(out_dir / TURTLE_DUMP, out_dir, "text/turtle", GZIP, concatenated,
                           triples))
    ntriples = _gzip(sorted_ntriples(graph))
    write_atomically(out_dir / NT_DUMP, ntriples)
    infos.append(_info(out_dir / NT_DUMP, out_dir, "application/n-triples", GZIP, ntriples,
                       triples))
    document = json.dumps(compact_document(graph, context), ensure_ascii=False,
                          separators=(",", ":"))
    compacted = _gzip((document + "\n").encode("utf-8"))
    write_atomically(out_dir / JSONLD_DUMP, compacted)
    infos.append(_info(out_dir / JSONLD_DUMP, out_dir, "application/ld+json", GZIP, compacted,
                       triples))
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
