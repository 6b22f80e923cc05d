"""The store as an existing SPARQL 1.1 server, read over the protocol with SPARQLWrapper.

Where one embedded store is not enough (many web nodes, a very large graph, an
institution's own triple store), every web worker reads one shared server. `lactgraph push`
(push.py) puts the graph there in three named graphs: the data, the ontology, the shapes.

The dataset of every query is those graphs and nothing else: they go as `default-graph-uri`
(their merge is the default graph, as the union of the named graphs is in the embedded
store) and as `named-graph-uri`. Protocol parameters rather than FROM clauses, because they
need no rewriting of our queries; the named ones too, because Virtuoso otherwise lets
`GRAPH ?g` range over every graph of the server, its system graphs included. A public
query's own FROM clauses are taken out of its text and become protocol parameters (among
our graphs only), because Virtuoso merges FROM with the parameters instead of letting the
parameters win, which would open the whole server to /sparql.

Answers are normalised to what the embedded store gives: terms as `rdfio.to_rdflib` makes
them (a simple literal has no datatype), SPARQL 1.1 JSON (`typed-literal` and Virtuoso's
`nodeID://` blank nodes and `"1"^^xsd:boolean` rewritten), so that both stores answer the
same rows and graphs, and /sparql serialises a remote answer with the embedded store's own
code (`RemoteStore.run`).
"""

from __future__ import annotations

import ast
import hashlib
import html
import json
import math
import re
import socket
import threading
import time
import urllib.error
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node
from SPARQLWrapper import POST, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

from ..errors import LactgraphError
from ..iris import IriScheme
from ..rdfio import IRI_CHARACTER, to_rdflib
from . import FAST_STORE, Store
from .computed_booleans import restore_booleans
from .querypool import (
    BOOLEAN,
    GRAPH,
    SOLUTIONS,
    QueryAnswer,
    QueryFailed,
    QueryJob,
    QueryRefused,
    QuerySyntaxError,
    QueryTimeout,
    check_graph_names,
    execute,
    refusal,
)

SPARQL_JSON = "application/sparql-results+json"
N_TRIPLES = "application/n-triples"
# N-Triples first: the simplest format to write, so the one servers get right (no prefixes,
# no nesting); Turtle for servers without it. Never JSON-LD: it may name remote contexts.
_RDF_ACCEPT = f"{N_TRIPLES}, text/plain;q=0.9, text/turtle;q=0.8"
_RDF_FORMATS = {N_TRIPLES: ox.RdfFormat.N_TRIPLES, "text/plain": ox.RdfFormat.N_TRIPLES,
                "text/turtle": ox.RdfFormat.TURTLE}
_KINDS = {"SELECT": SOLUTIONS, "ASK": BOOLEAN, "CONSTRUCT": GRAPH, "DESCRIBE": GRAPH}
# A graph no server holds: the part of a dataset a query asked for that we do not publish.
EMPTY_GRAPH = "urn:lactgraph:empty-graph"
DCTERMS = "http://purl.org/dc/terms/"


def dataset_graphs(iris: IriScheme, data_graph: str | None = None) -> tuple[str, str, str]:
    """The named graphs lactgraph publishes on a server: data, ontology, shapes.

    The names the embedded store gives them (generations.store_sources), except that the
    data is one graph, `<base>graph/lactgraph`, whatever files it came from: web workers
    then need no copy of graph/ to know where it is.
    """
    return (data_graph or f"{iris.base}graph/lactgraph", iris.ontology, iris.shapes)


def version_graph(data_graph: str) -> str:
    """Where `lactgraph push` records what it pushed: outside the dataset, so that queries
    never see it, and one triple away from `RemoteStore.version()`."""
    return f"{data_graph}/version"


class RemoteError(LactgraphError):
    """The server failed or refused a request; status is its HTTP status (None: no answer)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


# Seconds Virtuoso takes past a query's `timeout` to stop it and answer (1 s, measured).
VIRTUOSO_OVERRUN = 2


class RemoteTimeout(RemoteError):
    """The server did not answer in time, or answered only in part (Virtuoso's "anytime"
    answers): a partial answer would read as a complete one, so none is given."""


def server_message(body: bytes, limit: int = 300) -> str:
    """The gist of an error body (text or an HTML page) on one line, without the query
    that Virtuoso echoes after its message."""
    text = html.unescape(re.sub(r"<[^>]+>", " ", body.decode("utf-8", "replace")))
    text = " ".join(text.partition("SPARQL query:")[0].split())
    return text if len(text) <= limit else text[:limit] + "…"


def _error(endpoint: str, error: Exception) -> RemoteError:
    """One clear RemoteError for whatever SPARQLWrapper or urllib raised."""
    if isinstance(error, TimeoutError | socket.timeout) or isinstance(
            getattr(error, "reason", None), TimeoutError | socket.timeout):
        return RemoteTimeout(f"{endpoint}: no answer in time")
    if isinstance(error, SPARQLWrapperException):
        # SPARQLWrapper read the HTTPError it caught into its message, as a bytes repr.
        status = getattr(error.__context__, "code", None)
        _, _, tail = str(error).partition("Response:\n")
        body = ast.literal_eval(tail) if tail.startswith(("b'", 'b"')) else b""
        if status == 401:
            return RemoteError(f"{endpoint}: HTTP 401: the endpoint asks for credentials; "
                               "give the server's public, read-only one (Virtuoso: /sparql)",
                               status)
        return RemoteError(f"{endpoint}: HTTP {status}: {server_message(body)}", status)
    if isinstance(error, urllib.error.HTTPError):
        return RemoteError(f"{endpoint}: HTTP {error.code} {error.reason}: "
                           f"{server_message(error.read())}", error.code)
    if isinstance(error, urllib.error.URLError):
        return RemoteError(f"{endpoint}: cannot reach the SPARQL server ({error.reason})")
    return RemoteError(f"{endpoint}: {error}")


# --- the dataset of a public query ------------------------------------------------------

_IRI = rf"<{IRI_CHARACTER}*>"
_TOKENS = re.compile(rf"""
    (?P<string>'''(?:(?:'|'')?(?:[^'\\]|\\.))*''' | \"\"\"(?:(?:"|"")?(?:[^"\\]|\\.))*\"\"\"
             | '(?:[^'\\\n\r]|\\.)*' | "(?:[^"\\\n\r]|\\.)*")
  | (?P<comment>\#[^\n\r]*)
  | (?P<from>(?<![\w:?$])FROM\b\s*(?P<named>NAMED\b\s*)?(?P<source>{_IRI})?)
  | (?P<define>(?<![\w:?$])DEFINE\s)
  | {_IRI}
""", re.IGNORECASE | re.VERBOSE)


@dataclass(frozen=True)
class Dataset:
    """A query with its dataset moved out of its text into protocol parameters."""

    query: str
    default_graphs: tuple[str, ...]
    named_graphs: tuple[str, ...]


def public_dataset(query: str, ours: Sequence[str], default_graphs: Sequence[str] = (),
                   named_graphs: Sequence[str] = ()) -> Dataset:
    """The dataset a public query runs on: what it asked for (protocol parameters, else its
    FROM clauses) among our graphs, or all of our graphs when it asked for nothing.

    A graph we do not publish reads as empty, as it would in the embedded store.
    Virtuoso's `DEFINE` pragmas are refused: they are not SPARQL, and one of them
    (`input:default-graph-uri`) would choose the dataset past us.
    """
    asked: dict[bool, list[str]] = {False: [], True: []}  # named? -> graphs
    kept, position = [], 0
    for match in _TOKENS.finditer(query):
        if match["define"]:
            raise QueryRefused("Virtuoso DEFINE pragmas are not SPARQL 1.1")
        if match["from"]:
            if not match["source"]:
                raise QueryRefused("FROM takes a full IRI (<...>) here, not a prefixed name")
            asked[bool(match["named"])].append(match["source"][1:-1])
            kept.append(query[position:match.start()])
            position = match.end()
    text = "".join(kept) + query[position:]
    if default_graphs or named_graphs:
        asked = {False: list(default_graphs), True: list(named_graphs)}
    if not asked[False] and not asked[True]:
        return Dataset(text, tuple(ours), tuple(ours))

    def among_ours(graphs: list[str]) -> tuple[str, ...]:
        return tuple(g for g in dict.fromkeys(graphs) if g in ours) or (EMPTY_GRAPH,)

    return Dataset(text, among_ours(asked[False]), among_ours(asked[True]))


# --- answers -----------------------------------------------------------------------------

def _standard_value(value: dict[str, str]) -> dict[str, str]:
    """A SPARQL JSON term as SPARQL 1.1 writes it and the embedded store would give it."""
    value = dict(value)
    if value["type"] == "bnode":  # Virtuoso: nodeID://b123; one label, one node
        value["value"] = re.sub(r"[^A-Za-z0-9]", "", value["value"].removeprefix("nodeID://"))
    elif value["type"] == "typed-literal":  # the 2005 draft's name, still Virtuoso's
        value["type"] = "literal"
    if value.get("datatype") == XSD.string:
        del value["datatype"]
    elif value.get("datatype") == XSD.boolean and value["value"] in ("0", "1"):
        value["value"] = "true" if value["value"] == "1" else "false"  # Virtuoso's SELECT
    return value


def standard_json(answer: dict) -> dict:
    """A SPARQL JSON answer in standard SPARQL 1.1 form (see `_standard_value`)."""
    if "boolean" in answer:
        return {"head": {}, "boolean": answer["boolean"]}
    rows = answer.get("results", {}).get("bindings", [])
    return {"head": {"vars": answer.get("head", {}).get("vars", [])},
            "results": {"bindings": [{name: _standard_value(value)
                                      for name, value in row.items()} for row in rows]}}


def _term(value: dict[str, str]) -> Node:
    if value["type"] == "uri":
        return URIRef(value["value"])
    if value["type"] == "bnode":
        return BNode(value["value"])
    if "xml:lang" in value:
        return Literal(value["value"], lang=value["xml:lang"])
    return Literal(value["value"], datatype=value.get("datatype"))


def _answered_term(term: ox.NamedNode | ox.BlankNode | ox.Literal, scope: str) -> Node:
    """A term of a CONSTRUCT answer as rdflib's, as the embedded store gives it (rdfio's
    to_rdflib: `"x"^^xsd:string` is `"x"`); a blank node with its canonical label, scoped
    to its answer (`RemoteStore.construct`)."""
    if isinstance(term, ox.BlankNode):
        return BNode(f"r{scope}{term.value}")
    return to_rdflib(term)


class _Answered:
    """Stands in for the pyoxigraph store `querypool.execute` runs a job on: the server
    has answered already, and execute only serialises (formats, row cap, notes) exactly as
    it does for the embedded store."""

    def __init__(self, result: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples) -> None:
        self.result = result

    def query(self, *args: object, **kwargs: object):
        return self.result


# --- the store ---------------------------------------------------------------------------

class RemoteStore(Store):
    """A SPARQL 1.1 endpoint holding lactgraph's named graphs, read over HTTP.

    Stateless apart from a short-lived copy of the version, so any number of web workers
    can share one server. Each request makes its own SPARQLWrapper (it holds the query as
    state), so one store serves many threads.
    """

    def __init__(self, endpoint: str, graphs: Sequence[str], *, timeout: float = 60.0,
                 query_timeout: float = 10.0, version_ttl: float = 5.0) -> None:
        """timeout bounds the site's own queries, query_timeout public ones (/sparql)."""
        if not graphs:
            raise LactgraphError("a remote store needs the named graphs it serves")
        self.endpoint = endpoint
        self.graphs = tuple(graphs)
        self.timeout = timeout
        self.query_timeout = query_timeout
        self.version_ttl = version_ttl
        self._version: tuple[float, str, datetime | None] | None = None
        self._lock = threading.Lock()
        # Whether the server says it is Virtuoso (its `Server` header, read off each answer).
        # Then each query carries Virtuoso's own `timeout` parameter, past which Virtuoso
        # stops the query and answers in part (S1TAT, a time-out here). Without it the query
        # ran on in Virtuoso after this client gave up, up to Virtuoso's own limit (13 s
        # more for a 2 s time-out, measured). Other servers read that parameter in other
        # units, or not at all.
        self._virtuoso = False

    def _send(self, query: str, accept: str, default_graphs: Sequence[str],
              named_graphs: Sequence[str], timeout: float) -> tuple[bytes, str]:
        """The server's answer to a query: (body, media type)."""
        wrapper = SPARQLWrapper(self.endpoint)
        wrapper.setQuery(query)
        if wrapper.isSparqlUpdateRequest():
            raise QueryRefused("SPARQL Update is not sent to the server from here")
        wrapper.setMethod(POST)  # form-encoded: no URL length limit
        wrapper.setOnlyConneg(True)  # our Accept header, no `format=` parameters
        wrapper.addCustomHttpHeader("Accept", accept)
        waited = max(1, math.ceil(timeout))
        if self._virtuoso:
            wrapper.addParameter("timeout", str(math.ceil(timeout * 1000)))
            waited += VIRTUOSO_OVERRUN  # for its own answer, which ends the query there
        wrapper.setTimeout(waited)
        for graph in default_graphs:
            wrapper.addDefaultGraph(graph)
        for graph in named_graphs:
            wrapper.addNamedGraph(graph)
        try:
            result = wrapper.query()
            body = result.response.read()
        except (SPARQLWrapperException, OSError) as error:
            raise _error(self.endpoint, error) from None
        headers = result.info()
        self._virtuoso = headers.get("server", "").startswith("Virtuoso/")
        if headers.get("x-sql-state") == "S1TAT":
            raise RemoteTimeout(f"{self.endpoint}: the server stopped the query when its "
                                "time was out")
        media_type = headers.get("content-type", "").split(";")[0].strip().lower()
        return body, media_type

    def _json(self, query: str, default_graphs: Sequence[str], named_graphs: Sequence[str],
              timeout: float) -> dict:
        body, media_type = self._send(query, SPARQL_JSON, default_graphs, named_graphs,
                                      timeout)
        try:
            answer = restore_booleans(standard_json(json.loads(body)), query)
        except (ValueError, KeyError, AttributeError):
            raise RemoteError(f"{self.endpoint}: expected SPARQL JSON results, got "
                              f"{media_type or 'no media type'}") from None
        if query_kind(query) == BOOLEAN and "boolean" not in answer:
            raise RemoteError(f"{self.endpoint}: an ASK answer without a boolean (Virtuoso "
                              "answers so unless its virtuoso.ini has CaseMode = 2)")
        return answer

    def _triples(self, query: str, default_graphs: Sequence[str],
                 named_graphs: Sequence[str], timeout: float) -> tuple[bytes, ox.RdfFormat]:
        body, media_type = self._send(query, _RDF_ACCEPT, default_graphs, named_graphs,
                                      timeout)
        if media_type not in _RDF_FORMATS:
            raise RemoteError(f"{self.endpoint}: expected N-Triples or Turtle, got "
                              f"{media_type or 'no media type'}")
        return body, _RDF_FORMATS[media_type]

    # The Store interface: the site's own queries, over our graphs.

    def select(self, query: str) -> list[dict[str, Node]]:
        answer = self._json(query, self.graphs, self.graphs, self.timeout)
        return [{name: _term(value) for name, value in row.items()}
                for row in answer["results"]["bindings"]]

    def construct(self, query: str) -> Graph:
        """The answer with its blank nodes named by RDF canonicalization and the digest of
        the canonical answer: the same data gives the same names in every worker and after
        a re-push of the same files (Virtuoso's own labels change with each load), in the
        same order, so one ETag has one body; and two answers (some servers label each
        from `b0`) never share a name by chance."""
        body, rdf_format = self._triples(query, self.graphs, self.graphs, self.timeout)
        try:
            answer = ox.Dataset(ox.parse(body, rdf_format))
        except SyntaxError as error:
            raise RemoteError(f"{self.endpoint}: its answer does not parse ({error})") from None
        answer.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
        quads = sorted(answer, key=str)  # and in one order, which the serialisers keep
        scope = hashlib.sha256("\n".join(map(str, quads)).encode()).hexdigest()[:12]
        graph = Graph(store=FAST_STORE)
        for quad in quads:
            graph.add(tuple(_answered_term(term, scope)
                            for term in (quad.subject, quad.predicate, quad.object)))
        return graph

    def ask(self, query: str) -> bool:
        return bool(self._json(query, self.graphs, self.graphs, self.timeout)["boolean"])

    def named_graphs(self) -> list[str]:
        """Ours, as given: Virtuoso matches no graph to `GRAPH ?g {}`, which lists them."""
        return sorted(self.graphs)

    # Public queries (/sparql).

    def forward(self, query: str, accept: str, default_graphs: Sequence[str] = (),
                named_graphs: Sequence[str] = (), timeout: float | None = None
                ) -> tuple[bytes, str]:
        """The server's own answer to a public query, as it wrote it: (body, media type).

        default_graphs and named_graphs are the client's protocol parameters; the query is
        kept inside our graphs (`public_dataset`). Updates are refused again here.
        """
        dataset = public_dataset(query, self.graphs, default_graphs, named_graphs)
        return self._send(dataset.query, accept, dataset.default_graphs,
                          dataset.named_graphs, timeout or self.query_timeout)

    def run(self, job: QueryJob) -> QueryAnswer:
        """A public query answered as `QueryPool.run` answers it for the embedded store.

        The server answers in SPARQL JSON or N-Triples; pyoxigraph parses that and
        `querypool.execute` serialises it in the client's format, cut at the row cap, so
        that /sparql gives the same bytes whichever store is behind it. Raises QueryRefused,
        QuerySyntaxError (the server's 400), QueryTimeout, QueryFailed.
        """
        reason = refusal(job.query)
        if reason:
            raise QueryRefused(reason)
        try:  # before the server sees them, as the embedded store checks them
            check_graph_names(job)
        except SyntaxError as error:
            raise QuerySyntaxError(str(error)) from None
        kind = query_kind(job.query)
        if job.formats.get(kind) is None:  # 406, once the query is known to parse: a
            _check_syntax(job)              # malformed one is a 400 first, as embedded
            return QueryAnswer(kind, None)
        # Relative IRIs resolve against the base; on the first line, so that the server's
        # line numbers in errors stay those of the query as written.
        query = f"BASE <{job.base_iri}> {job.query}" if job.base_iri else job.query
        dataset = public_dataset(query, self.graphs, job.default_graphs, job.named_graphs)
        request = (dataset.query, dataset.default_graphs, dataset.named_graphs,
                   self.query_timeout)
        try:
            if kind == GRAPH:
                memory = ox.Store()
                body, rdf_format = self._triples(*request)
                memory.load(body, format=rdf_format)
                result = memory.query("CONSTRUCT WHERE { ?s ?p ?o }")
            else:
                answer = json.dumps(self._json(*request)).encode()
                result = ox.parse_query_results(answer, format=ox.QueryResultsFormat.JSON)
            return execute(_Answered(result), job)
        except RemoteTimeout as error:
            raise QueryTimeout(self._public(error), max(1, math.ceil(self.query_timeout))
                               ) from None
        except RemoteError as error:
            if error.status == 400:
                raise QuerySyntaxError(self._public(error)) from None
            raise QueryFailed(self._public(error)) from None
        except (SyntaxError, ValueError) as error:
            raise QueryFailed(f"the SPARQL server's answer does not parse ({error})") from None

    def _public(self, error: Exception) -> str:
        """An error for the public endpoint's client: the server's own address (internal,
        as docs/deployment.md has it) is not theirs to know."""
        return str(error).replace(self.endpoint, "the SPARQL server")

    # Versions.

    def _read_version(self) -> tuple[str, datetime | None]:
        """What push recorded (one triple away), else the size of each graph."""
        data, marker = self.graphs[0], version_graph(self.graphs[0])
        rows = self._json(
            f"SELECT ?id ?modified WHERE {{ GRAPH <{marker}> {{ "
            f"<{data}> <{DCTERMS}identifier> ?id . "
            f"OPTIONAL {{ <{data}> <{DCTERMS}modified> ?modified }} }} }}",
            (EMPTY_GRAPH,), (marker,), self.timeout)["results"]["bindings"]
        if rows:
            when = _term(rows[0]["modified"]).toPython() if "modified" in rows[0] else None
            return rows[0]["id"]["value"], when if isinstance(when, datetime) else None
        counts = self.select("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } "
                             "GROUP BY ?g ORDER BY ?g")
        return "size " + " ".join(f"{row['g']}={row['n']}" for row in counts), None

    def _current(self, fresh: bool = False) -> tuple[str, datetime | None]:
        """The version, asked of the server at most once per version_ttl seconds (or now)."""
        with self._lock:
            now = time.monotonic()
            if fresh or self._version is None or now - self._version[0] > self.version_ttl:
                self._version = (now, *self._read_version())
            return self._version[1], self._version[2]

    def version(self) -> str:
        """What push recorded (a digest of the files pushed), else the size of each graph;
        a new push reaches ETags within version_ttl seconds."""
        token, _ = self._current()
        return f"{self.endpoint} {token}"

    def settled(self, version: str) -> bool:
        """Asks the server: a push may have replaced the graphs since `version()` answered
        from memory, and then what was read since belongs to the new version, not to it."""
        token, _ = self._current(fresh=True)
        return f"{self.endpoint} {token}" == version

    def modified(self) -> datetime | None:
        """When push last replaced the graphs (None: not pushed by lactgraph)."""
        _, when = self._current()
        return when


def _check_syntax(job: QueryJob) -> None:
    """Raise QuerySyntaxError for a query that does not parse, by running it over an empty
    store (pyoxigraph has no parser of its own; over no data, any query ends at once)."""
    try:
        ox.Store().query(job.query, base_iri=job.base_iri or None)
    except SyntaxError as error:
        raise QuerySyntaxError(str(error)) from None


def query_kind(query: str) -> str:
    """SOLUTIONS, BOOLEAN or GRAPH: the result a query form gives (SPARQLWrapper's reading
    of the form, which skips the prologue and comments)."""
    wrapper = SPARQLWrapper("http://127.0.0.1/")
    wrapper.setQuery(query)
    return _KINDS.get(wrapper.queryType, SOLUTIONS)
