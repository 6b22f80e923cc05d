"""`lactgraph push`: the built graph into an existing SPARQL 1.1 server, for
`lactgraph serve --sparql-endpoint` (store/remote.py) to serve.

Three named graphs are replaced: the data (`--graph`, by default `<base>graph/lactgraph`),
the ontology and the shapes (`remote.dataset_graphs`); then a small graph beside them
records a digest of the files pushed and the time (`RemoteStore.version` reads it).

How, and why so:

1. Every file is parsed before the server is touched: a syntax error changes nothing.
2. Each graph goes into a fresh staging graph next to its target: by one Graph Store
   Protocol PUT when the server's graph store is given (`--graph-store`: one request, blank
   nodes stay whole), else by SPARQL Update in batches of about `--batch-size` triples. A
   blank node label means the same node only within one request, so the triples of
   connected blank nodes always share a batch; and `INSERT {...} WHERE {}` rather than
   INSERT DATA, which Virtuoso refuses with blank nodes.
3. One SPARQL Update request moves every staging graph onto its target and writes the
   record. A server that runs an update request as one transaction (Virtuoso, Fuseki with
   TDB2, GraphDB, Oxigraph do) switches its readers from the old graphs to the new at once.
   A PUT straight onto the target would be simpler, but on Virtuoso 7.2 a PUT of 300k
   triples let concurrent readers see the graph empty, then half loaded, for ten seconds;
   a MOVE of the same graph showed them the old graph, then the new one, nothing between.
4. The triples of each graph are counted on the server against those sent.

A failure before step 3 leaves the published graphs as they were and drops the staging
graphs; those of a push killed outright are dropped by the next push to the same graphs.
The password comes from the environment, never the command line (`ps` shows it).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import re
import signal
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox
from rdflib import Literal
from rdflib.namespace import XSD

from .config import PASSWORD_VARIABLE, PUSH_BATCH_SIZE, Settings, settings_from_env
from .errors import LactgraphError
from .iris import IriScheme
from .rdfio import add_files, rdf_paths
from .sparql_client import Server, SparqlClient
from .store.remote import DCTERMS, dataset_graphs, version_graph

Say = Callable[[str], None]



@dataclass(frozen=True)
class Part:
    """A named graph to replace and the files whose merge it will hold."""

    graph: str
    files: tuple[Path, ...]


@dataclass(frozen=True)
class Pushed:
    triples: dict[str, int]  # named graph -> triples now on the server
    version: str


def dataset_parts(settings: Settings, data_graph: str | None = None) -> list[Part]:
    """The graph/ files into the data graph, the ontology and the shapes into theirs."""
    data, ontology, shapes = dataset_graphs(IriScheme(settings.base), data_graph)
    return [Part(data, tuple(rdf_paths([settings.graph_path]))),
            Part(ontology, (settings.ontology_path,)), Part(shapes, (settings.shapes_path,))]


def read_part(part: Part) -> ox.Store:
    """The merge of a part's files, in memory (Oxigraph's: a graph of 50,000 products in
    rdflib took more memory than the machine has), in its default graph."""
    store = ox.Store()
    add_files(store, part.files)
    return store


def batches(store: ox.Store, size: int) -> Iterator[list[ox.Quad]]:
    """The store's triples in batches of about size; the triples of connected blank nodes
    always share a batch (one such group larger than size makes a batch of its own)."""
    parent: dict[ox.BlankNode, ox.BlankNode] = {}

    def root(node: ox.BlankNode) -> ox.BlankNode:
        while parent.get(node, node) != node:
            parent[node] = parent.get(parent[node], parent[node])
            node = parent[node]
        return node

    for quad in store:
        s, o = quad.subject, quad.object
        if isinstance(s, ox.BlankNode) and isinstance(o, ox.BlankNode) and root(s) != root(o):
            parent[root(s)] = root(o)
    groups: dict[ox.BlankNode, list[ox.Quad]] = defaultdict(list)
    batch: list[ox.Quad] = []
    for quad in store:
        node = next((t for t in (quad.subject, quad.object) if isinstance(t, ox.BlankNode)),
                    None)
        if node is None:
            batch.append(quad)
        else:
            groups[root(node)].append(quad)
        if len(batch) >= size:
            yield batch
            batch = []
    for group in groups.values():
        if batch and len(batch) + len(group) > size:
            yield batch
            batch = []
        batch.extend(group)
    if batch:
        yield batch


def insert_update(graph: str, quads: list[ox.Quad]) -> str:
    """SPARQL Update adding triples to a graph (terms written as N-Triples writes them,
    which SPARQL reads alike)."""
    lines = "\n".join(f"{q.subject} {q.predicate} {_object(q.object)} ." for q in quads)
    return f"INSERT {{ GRAPH <{graph}> {{\n{lines}\n}} }} WHERE {{}}"


_DECIMAL = ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal")
_INTEGRAL = re.compile(r"[+-]?\d+")  # an ill-typed "abc" stays as it is


def _object(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> str:
    """An integral decimal with its '.0': Oxigraph keeps a decimal's value ("1.0" reads
    back "1"), and Virtuoso reads "1"^^xsd:decimal in an update as an integer."""
    if isinstance(term, ox.Literal) and term.datatype == _DECIMAL and _INTEGRAL.fullmatch(
            term.value):
        return str(ox.Literal(f"{term.value}.0", datatype=_DECIMAL))
    return str(term)


@dataclass
class Stop:
    """What the signals asking a push to stop have done so far (cmd_push's handler).

    The first signal is honoured between requests: one still running on the server could
    otherwise fill a staging graph again after its drop. A second stops at once."""

    signals: list[int] = field(default_factory=list)  # those received, first first
    switching: bool = False  # the request that switches the graphs has been sent

    def check(self) -> None:
        if self.signals:
            raise KeyboardInterrupt


def _load(http: SparqlClient, staging: str, graph: ox.Store, batch_size: int, say: Say,
          stop: Stop) -> None:
    started = time.monotonic()
    if http.server.graph_store:
        http.put(http.server.graph_store, staging,
                 graph.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph()))
        how = "one Graph Store PUT"
    else:
        sent = number = 0
        for number, batch in enumerate(batches(graph, batch_size), start=1):
            stop.check()
            http.update(insert_update(staging, batch))
            sent += len(batch)
            say(f"  batch {number}: {sent}/{len(graph)} triples")
        how = f"{number} SPARQL Update batch(es)"
    say(f"  staged in {staging} by {how} ({time.monotonic() - started:.1f} s)")


def digest(parts: Sequence[Part]) -> str:
    """The same files into the same graphs give the same version (ETags survive)."""
    hashed = hashlib.sha256()
    for part in parts:
        for path in part.files:
            hashed.update(f"{part.graph}\0{path.name}\0".encode())
            hashed.update(path.read_bytes())
    return "sha256:" + hashed.hexdigest()[:32]


def switch_update(moves: dict[str, str | None], data_graph: str, version: str,
                  modified: str | None = None) -> str:
    """One update request: each staging graph onto its target (a target with nothing
    staged is dropped), then the record of the version and of its time: now, or modified
    (when this version was pushed first)."""
    marker = version_graph(data_graph)
    now = Literal(modified or datetime.now(UTC).replace(microsecond=0).isoformat().replace(
        "+00:00", "Z"), datatype=XSD.dateTime)
    operations = [f"MOVE <{staging}> TO <{target}>" if staging
                  else f"DROP SILENT GRAPH <{target}>" for target, staging in moves.items()]
    operations += [f"DROP SILENT GRAPH <{marker}>",
                   f"INSERT DATA {{ GRAPH <{marker}> {{ <{data_graph}> "
                   f"<{DCTERMS}identifier> {Literal(version).n3()} ; "
                   f"<{DCTERMS}modified> {now.n3()} }} }}"]
    return " ;\n".join(operations)


def push(parts: Sequence[Part], server: Server, batch_size: int = PUSH_BATCH_SIZE,
         say: Say | None = None, stop: Stop | None = None) -> Pushed:
    """Replace the parts' graphs on the server (the first part is the data graph)."""
    stop = stop or Stop()
    say = say or (lambda line: print(f"lactgraph: push: {line}", file=sys.stderr, flush=True))
    targets = [part.graph for part in parts]
    if len(set(targets)) != len(targets):
        raise LactgraphError(f"two parts go into the same graph: {', '.join(targets)}")
    if batch_size < 1:
        raise LactgraphError(f"--batch-size {batch_size}: expected at least 1")
    graphs = [(part, read_part(part)) for part in parts]
    http, token = SparqlClient(server), uuid.uuid4().hex[:12]
    _drop_leftovers(http, targets, say)
    moves: dict[str, str | None] = {}
    try:
        for part, graph in graphs:
            say(f"{part.graph}: {len(graph)} triples from "
                f"{', '.join(str(path) for path in part.files) or 'no file'}")
            moves[part.graph] = f"{part.graph}/staging-{token}" if len(graph) else None
            if len(graph):
                stop.check()
                _load(http, moves[part.graph], graph, batch_size, say, stop)
        version = digest(parts)
        started = time.monotonic()
        stop.check()
        stop.switching = True  # from here on, a first signal lets the push finish
        http.update(switch_update(moves, targets[0], version, _first_pushed(http, targets[0],
                                                                            version)))
        say(f"replaced {len(moves)} graphs in one update ({time.monotonic() - started:.1f} s)")
    except BaseException:
        if not stop.switching:
            _drop_quietly(http, [staging for staging in moves.values() if staging])
        raise
    counts = {part.graph: http.count(part.graph) for part in parts}
    for part, graph in graphs:
        if counts[part.graph] != len(graph):
            raise LactgraphError(f"{part.graph}: the server holds {counts[part.graph]} "
                                 f"triples after the push, {len(graph)} were sent")
    return Pushed(counts, version)


def _first_pushed(http: SparqlClient, data_graph: str, version: str) -> str | None:
    """When the server's graphs became this version, if they are it already: pushing the
    same files again keeps the version (ETags) and so its time (Last-Modified)."""
    times = http.values(
        f"SELECT ?modified WHERE {{ GRAPH <{version_graph(data_graph)}> {{ <{data_graph}> "
        f"<{DCTERMS}identifier> {Literal(version).n3()} ; <{DCTERMS}modified> ?modified }} }}",
        "modified", "the time of the version on the server")
    return times[0] if times else None


def _drop_leftovers(http: SparqlClient, targets: Sequence[str], say: Say) -> None:
    """The staging graphs of a push that could not drop them (killed with SIGKILL, the
    machine down): they hold a copy of a graph each, seen by nothing, forever."""
    left = http.graphs_under([f"{target}/staging-" for target in targets])
    if left:
        http.update(" ;\n".join(f"DROP SILENT GRAPH <{graph}>" for graph in left))
        say(f"dropped {len(left)} staging graph(s) an earlier push left: {', '.join(left)}")


def _drop_quietly(http: SparqlClient, graphs: list[str]) -> None:
    """Best effort: the error that brought us here is the one to report."""
    if graphs:
        with contextlib.suppress(LactgraphError):
            http.update(" ;\n".join(f"DROP SILENT GRAPH <{graph}>" for graph in graphs))


# --- the command -------------------------------------------------------------------------

def cmd_push(args: argparse.Namespace) -> int:
    settings = settings_from_env().with_overrides(base=args.base, graph_dir=args.graph_dir)
    password = os.environ.get(PASSWORD_VARIABLE)
    if args.user and password is None:
        raise LactgraphError(f"--user {args.user}: set the password in {PASSWORD_VARIABLE}")
    server = Server(args.endpoint, args.graph_store, args.user, password, args.timeout)
    stop = Stop()

    def asked(signum: int, _frame: object) -> None:  # Ctrl-C or `kill PID`
        stop.signals.append(signum)
        if len(stop.signals) > 1:
            raise KeyboardInterrupt
        print("lactgraph: push: " + ("the graphs are being switched: finishing" if
                                     stop.switching else "stopping after the request under way")
              + " (again: at once)", file=sys.stderr, flush=True)

    previous = {number: signal.signal(number, asked)
                for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        pushed = push(dataset_parts(settings, args.graph_iri), server, args.batch_size,
                      stop=stop)
    except KeyboardInterrupt:
        print(f"lactgraph: push: {_stopped(stop)}", file=sys.stderr)
        return 128 + stop.signals[0]
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    print(f"lactgraph: pushed {sum(pushed.triples.values())} triples into "
          f"{len(pushed.triples)} graphs at {args.endpoint} ({pushed.version})")
    return 0


def _stopped(stop: Stop) -> str:
    if stop.switching:
        return ("stopped at once while the server switched the graphs: they are the new "
                "ones or the old; push again to know")
    if len(stop.signals) > 1:
        return ("stopped at once; its staging graphs were dropped, but a request the "
                "server was still running may fill one again: the next push drops it")
    return "interrupted; its staging graphs were dropped"
