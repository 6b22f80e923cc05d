"""Public SPARQL queries in worker processes, so that a query past its deadline can be stopped.

pyoxigraph cannot cancel a running query, and a thread cannot be killed; a process can. A
`QueryPool` keeps a few worker processes (started with 'spawn', safe in a threaded server).
Each opens the on-disk store read-only, answers one query at a time, serialises the answer
in the requested format itself (so that the web process never holds a huge result) and
sends back bytes. Past the deadline the worker is killed and replaced, and the caller gets
`QueryTimeout`; other queries go on in the other workers meanwhile.

Nothing that would make pyoxigraph reach the network or change data is ever sent to a
worker: `refusal(query)` finds `SERVICE` (which pyoxigraph would follow by itself) and
update operations with a small lexer that skips comments, strings, IRIs, variables and
prefixed names, so that `?service`, `sd:Service` or `"SERVICE"` are fine and `SeRvIcE`,
`trueSERVICE` (pyoxigraph reads that as `true SERVICE`) are not.

The default graph is the union of the named graphs, unless the query says FROM (pyoxigraph's
union flag would override it) or the protocol's default-graph-uri / named-graph-uri are
given (they replace both).

Answers are cut at `row_cap` rows (SELECT) or triples (CONSTRUCT, DESCRIBE), never silently:
the answer says `truncated`, a cut SPARQL JSON or XML result carries a `link` in its head
(`cap_note`), and a cut Turtle or N-Triples document starts with a comment saying so.

API::

    pool = QueryPool(store_dir, workers=2, timeout=10.0)
    answer = pool.run(QueryJob(query, {"solutions": "application/sparql-results+json", ...}))
    pool.close()
    refusal(query) -> str | None       # why a query is not run, or None
    execute(store, job) -> QueryAnswer # what a worker does, usable in-process
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import json
import math
import multiprocessing
import os
import queue
import re
import signal
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from multiprocessing.connection import Connection
from pathlib import Path

import pyoxigraph as ox

from ..errors import LactgraphError
from ..workers import watch_parent

SOLUTIONS, BOOLEAN, GRAPH = "solutions", "boolean", "graph"
STARTUP_TIMEOUT = 60.0  # seconds a new worker may take to open the store (not query time)
FAST_LIMIT = 0.5  # seconds a query may run in the fast lane (see QueryPool)
KNOWN_SLOW = 1024  # query texts remembered as too slow for the fast lane
TIMED_OUT, LEFT_FAST_LANE, DIED = "timeout", "fast_lane", "died"  # why a worker was replaced
# The other lanes' long queries yield the CPU to the pages: measured 12 -> 20 req/s in a
# mix. The fast lane is not niced: its queries are short and a client waits for each.
SLOW_LANE_NICENESS = 19

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


class QueryRefused(LactgraphError):
    """A query this endpoint never runs (SERVICE, Virtuoso's functions, an update), or
    one calling a function it does not have."""


class QuerySyntaxError(LactgraphError):
    """The query does not parse; the message is pyoxigraph's, with line and column."""


class QueryTimeout(LactgraphError):
    """No answer before the deadline: the worker was stopped (or none was free)."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class QueryFailed(LactgraphError):
    """The query could not be answered for another reason (a worker died, a store error)."""


@dataclass(frozen=True)
class QueryJob:
    """A query and how to answer it; picklable, sent to a worker.

    formats maps each kind of result (`solutions`, `boolean`, `graph`) to the media type
    to answer in, or None when the client accepts none for that kind: the kind is known
    only once pyoxigraph has parsed the query, so the web layer negotiates all three.
    """

    query: str
    formats: dict[str, str | None]
    base_iri: str | None = None
    default_graphs: tuple[str, ...] = ()  # protocol default-graph-uri: replace the union
    named_graphs: tuple[str, ...] = ()  # protocol named-graph-uri
    row_cap: int = 10_000
    cap_note: str | None = None  # IRI linked from the head of a cut SPARQL JSON/XML result
    prefixes: dict[str, str] = field(default_factory=dict)  # for Turtle output


@dataclass(frozen=True)
class QueryAnswer:
    """A serialised answer; media_type None means no acceptable format for this kind."""

    kind: str
    media_type: str | None
    body: bytes = b""
    count: int = 0  # rows or triples in body
    truncated: bool = False


# ---------------------------------------------------------------------------------------
# Refusing what must not run

# Prefixed names and blank node labels, as greedy as the SPARQL grammar's PN_PREFIX/PN_LOCAL.
_NAME = r"(?:[\w:\u00B7]|%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%])"
_NAME_END = r"(?:[\w\-:\u00B7]|%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%])"
_PREFIX = r"(?:[^\W\d](?:[\w\-.\u00B7]*[\w\-\u00B7])?)?"
_PREFIXED = rf"{_PREFIX}:(?:{_NAME}(?:(?:{_NAME_END}|\.)*{_NAME_END})?)?"
_TOKENS = re.compile(
    rf"""
    (?P<comment>\#[^\n\r]*)
  | (?P<string>'''(?:(?:'|'')?(?:[^'\\]|\\.))*'''
      | \"\"\"(?:(?:"|"")?(?:[^"\\]|\\.))*\"\"\"
      | '(?:[^'\\\n\r]|\\.)*'
      | "(?:[^"\\\n\r]|\\.)*")
  | (?P<iri><(?:[^<>"{{}}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{{4}}|\\U[0-9A-Fa-f]{{8}})*>)
  | (?P<var>[?$][\w\u00B7\u0300-\u036F\u203F\u2040]+)
  | (?P<name>{_PREFIXED})
  | (?P<word>[^\W\d]\w*)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_UPDATE_WORDS = frozenset(
    {"insert", "delete", "load", "clear", "drop", "create", "add", "move", "copy", "with"}
)


def tokens(query: str) -> Iterator[tuple[str, str]]:
    """(kind, text) of every token of a query: comment, string, iri, var, name, word or
    other (one character, white space included). The query log normalises with it."""
    for match in _TOKENS.finditer(query):
        yield match.lastgroup or "other", match.group()


def _code(query: str) -> Iterator[tuple[str, str]]:
    """(kind, text) of the tokens that are syntax, not data: words and other characters."""
    for kind, text in tokens(query):
        if kind in ("word", "other"):
            yield kind, text


def _unescape(text: str) -> str:
    return _ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), text)


# Virtuoso's built-in and SQL functions, by prefix or namespace: `bif:http_get` sends a
# request from the SPARQL server (the remote store's), `bif:sys_stat` reads its settings.
_VIRTUOSO_FUNCTIONS = re.compile(r"(?<![\w.-])(?:bif|sql):|openlinksw\.com/schemas/(?:bif|sql)#",
                                 re.IGNORECASE)


def refusal(query: str) -> str | None:
    """Why this query is not run here, or None: SERVICE (an outbound request), Virtuoso's
    pragmas and functions (some make one) or an update."""
    found = list(tokens(query))
    code = [(kind, text) for kind, text in found if kind in ("word", "other")]
    if "service" in _unescape("".join(text for _, text in code)).lower():
        return ("SERVICE (federated query) is not allowed: this endpoint never sends "
                "requests to other servers")
    words = [text.lower() for kind, text in code if kind == "word"]
    first = next((w for w in words if w not in ("prefix", "base")), "")
    if first == "define":
        return ("DEFINE is a pragma of Virtuoso, not SPARQL 1.1, which this endpoint "
                "speaks: remove the DEFINE lines")
    names = _unescape(" ".join(text for kind, text in found if kind in ("iri", "name")))
    if _VIRTUOSO_FUNCTIONS.search(names):
        return ("Virtuoso's functions (bif:, sql:) are not SPARQL 1.1, and are not run here: "
                "this endpoint has SPARQL 1.1's functions and the XSD casts")
    if first in _UPDATE_WORDS:
        return "SPARQL Update is not allowed: this endpoint is read-only"
    return None


# ---------------------------------------------------------------------------------------
# Answering a query (in a worker)


def term_json(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> dict:
    """A term as SPARQL 1.1 results JSON (with RDF 1.2 triple terms)."""
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Triple):
        return {"type": "triple", "value": {
            "subject": term_json(term.subject), "predicate": term_json(term.predicate),
            "object": term_json(term.object)}}
    encoded = {"type": "literal", "value": term.value}
    if term.language:
        encoded["xml:lang"] = term.language
    elif term.datatype.value not in (_XSD_STRING, _RDF_LANG_STRING):
        encoded["datatype"] = term.datatype.value
    return encoded


def _solutions_json(solutions: ox.QuerySolutions, rows: list, note: str | None) -> bytes:
    names = [variable.value for variable in solutions.variables]
    head: dict = {"vars": names}
    if note:
        head["link"] = [note]
    bindings = [
        {name: term_json(row[name]) for name in names if row[name] is not None} for row in rows
    ]
    return json.dumps({"head": head, "results": {"bindings": bindings}},
                      ensure_ascii=False).encode()


def _with_xml_link(body: bytes, note: str) -> bytes:
    """A SPARQL XML result with `<link href>` closing its head (the XML results' note)."""
    link = f'<link href="{_xml_attr(note)}"/>'.encode()
    return body.replace(b"</head>", link + b"</head>", 1)  # pyoxigraph writes <head>...</head>


def _xml_attr(text: str) -> str:
    return (text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
            .replace(">", "&gt;"))


def _answer_solutions(solutions: ox.QuerySolutions, job: QueryJob, media_type: str) -> QueryAnswer:
    rows = list(islice(solutions, job.row_cap + 1))
    truncated = len(rows) > job.row_cap
    rows = rows[: job.row_cap]
    note = job.cap_note if truncated else None
    body = _solutions_json(solutions, rows, note)
    results_format = ox.QueryResultsFormat.from_media_type(media_type)
    if results_format != ox.QueryResultsFormat.JSON:
        parsed = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
        body = parsed.serialize(format=results_format)
        if note and results_format == ox.QueryResultsFormat.XML:
            body = _with_xml_link(body, note)
    return QueryAnswer(SOLUTIONS, media_type, body, len(rows), truncated)


def _used_prefixes(triples: list[ox.Triple], prefixes: dict[str, str]) -> dict[str, str]:
    """Only the prefixes a graph uses, so that a small answer gets a short header."""
    iris = {term.value for triple in triples for term in (triple.subject, triple.predicate,
                                                          triple.object)
            if isinstance(term, ox.NamedNode)}
    return {p: ns for p, ns in prefixes.items() if any(iri.startswith(ns) for iri in iris)}


def _answer_graph(triples: ox.QueryTriples, job: QueryJob, media_type: str) -> QueryAnswer:
    kept = list(islice(triples, job.row_cap + 1))
    truncated = len(kept) > job.row_cap
    kept = kept[: job.row_cap]
    rdf_format = ox.RdfFormat.from_media_type(media_type)
    body = ox.serialize(kept, format=rdf_format, prefixes=_used_prefixes(kept, job.prefixes))
    if truncated and rdf_format in (ox.RdfFormat.TURTLE, ox.RdfFormat.N_TRIPLES):
        comment = (f"# Truncated: this answer was cut at the row cap of {job.row_cap} "
                   "triples; the query has more.\n")
        body = comment.encode() + body
    return QueryAnswer(GRAPH, media_type, body, len(kept), truncated)


def _answer_boolean(value: ox.QueryBoolean, media_type: str) -> QueryAnswer:
    results_format = ox.QueryResultsFormat.from_media_type(media_type)
    return QueryAnswer(BOOLEAN, media_type, value.serialize(format=results_format), 1)


def declares_dataset(query: str) -> bool:
    """Whether a query names its own dataset (FROM, FROM NAMED)."""
    return any(kind == "word" and text.lower() == "from" for kind, text in _code(query))


def graph_names(iris: tuple[str, ...], parameter: str) -> list[ox.NamedNode]:
    """The protocol's graph names as IRIs, each once; SyntaxError naming the parameter if
    one is not. (The default graph is the merge of its graphs, SPARQL 1.1 Query 13.2.1:
    pyoxigraph's union of a graph named twice gave every answer twice.)"""
    try:
        return [ox.NamedNode(iri) for iri in dict.fromkeys(iris)]
    except ValueError as error:
        raise SyntaxError(f"{parameter}: not an IRI ({error})") from None


def check_graph_names(job: QueryJob) -> None:
    """SyntaxError, naming the parameter, where a protocol graph name is not an IRI."""
    graph_names(job.default_graphs, "default-graph-uri")
    graph_names(job.named_graphs, "named-graph-uri")


def _dataset(job: QueryJob) -> dict:
    """pyoxigraph's dataset arguments.

    The protocol's graphs, when given, replace both the query's FROM clauses and the
    union; a query's own FROM clauses come next; otherwise the default graph is the union
    of the named graphs (pyoxigraph's union flag would override FROM, hence the check).
    """
    if job.default_graphs or job.named_graphs:
        return {
            "default_graph": graph_names(job.default_graphs, "default-graph-uri"),
            "named_graphs": graph_names(job.named_graphs, "named-graph-uri"),
        }
    if declares_dataset(job.query):
        return {}
    return {"use_default_graph_as_union": True}


def execute(store: ox.Store, job: QueryJob) -> QueryAnswer:
    """Run a job against a store and serialise its answer (what a worker does).

    Raises SyntaxError (pyoxigraph's, with line and column) for a query that does not
    parse or a dataset IRI that is not one.
    """
    result = store.query(job.query, base_iri=job.base_iri, **_dataset(job))
    if isinstance(result, ox.QueryBoolean):
        kind = BOOLEAN
    elif isinstance(result, ox.QueryTriples):
        kind = GRAPH
    else:
        kind = SOLUTIONS
    media_type = job.formats.get(kind)
    if media_type is None:  # nothing acceptable: stop before evaluating (results are lazy)
        return QueryAnswer(kind, None)
    if kind == BOOLEAN:
        return _answer_boolean(result, media_type)
    if kind == GRAPH:
        return _answer_graph(result, job, media_type)
    return _answer_solutions(result, job, media_type)


def _outcome(store: ox.Store | None, job: QueryJob, opening_error: str | None) -> tuple:
    if store is None:
        return ("failed", opening_error)
    try:
        return ("ok", execute(store, job))
    except SyntaxError as error:
        return ("syntax", str(error))
    except (ValueError, OSError, RuntimeError) as error:  # a store or serialiser error
        if found := _CUSTOM_FUNCTION.search(str(error)):  # the query's fault: a 400
            return ("refused", f"the query calls <{found[1]}>, which is not a function of "
                    "SPARQL 1.1; this endpoint has those and the XSD casts")
        return ("failed", f"{type(error).__name__}: {error}")


_CUSTOM_FUNCTION = re.compile(r"The custom function <([^>]*)> is not supported")


def _serve(conn: Connection, store_dir: str, parent_pid: int, niceness: int) -> None:
    """A worker's life: open the store, say ready, answer jobs until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's to handle
    os.nice(niceness)
    watch_parent(parent_pid)  # a killed server's workers end too
    store, opening_error = None, None
    try:
        store = ox.Store.read_only(store_dir)
    except OSError as error:
        opening_error = f"cannot open the store {store_dir}: {error}"
    try:
        conn.send("ready")
        while True:
            job = conn.recv()
            conn.send(_outcome(store, job, opening_error))
    except (EOFError, OSError):  # the server closed the pipe or went away
        return


# ---------------------------------------------------------------------------------------
# The pool


class _Worker:
    """One worker process, the parent's end of its pipe, and the lane it serves in."""

    def __init__(self, context: multiprocessing.context.BaseContext, store_dir: Path,
                 lane: queue.Queue[_Worker], niceness: int) -> None:
        self.conn, child = context.Pipe()
        self.process = context.Process(
            target=_serve, args=(child, str(store_dir), os.getpid(), niceness),
            name="lactgraph-sparql-worker", daemon=True,
        )
        self.process.start()
        child.close()
        self.ready = False
        self.lane = lane

    def wait_ready(self) -> None:
        if self.ready:
            return
        if not self.conn.poll(STARTUP_TIMEOUT) or self.conn.recv() != "ready":
            raise QueryFailed("a SPARQL worker did not start")
        self.ready = True

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)
        with contextlib.suppress(OSError):  # closing the pool and a request may both stop it
            self.conn.close()


class _TooSlowForTheFastLane(Exception):
    """A query still running at the fast lane's limit (it was stopped there)."""


_REPLACED_FOR = {_TooSlowForTheFastLane: LEFT_FAST_LANE, QueryTimeout: TIMED_OUT}


class QueryPool:
    """Worker processes that run public queries, each stopped at the deadline.

    With two workers or more, one is a *fast lane*: every query starts there and may run
    `fast_limit` seconds; one still running then is stopped and runs again, from the
    start and with the whole time-out, on the other workers. Cheap queries (nearly all)
    so never wait behind expensive ones, which would otherwise hold every worker until
    the deadline; an expensive query pays `fast_limit` more and a worker restart, once:
    the pool remembers the last `KNOWN_SLOW` query texts that left the fast lane and sends
    them straight to the other workers, those already waiting for the fast lane included
    (crawlers repeat their queries; under load, the same expensive query arriving again
    and again kept the fast lane busy restarting).
    A query waits for the fast lane rather than for the other workers: under load those
    are held by expensive queries, and cheap queries that went to them when the fast lane
    was busy for a moment got 503 (bench/LOAD.md). Waiting for workers, in both lanes,
    ends one time-out after the query arrived (then 503); running, another at most.
    on_replace(reason) is called for each worker stopped and replaced: TIMED_OUT,
    LEFT_FAST_LANE (its query goes on elsewhere) or DIED.
    """

    def __init__(self, store_dir: Path, workers: int = 2, timeout: float = 10.0,
                 fast_limit: float = FAST_LIMIT,
                 on_replace: Callable[[str], object] | None = None) -> None:
        self.store_dir = Path(store_dir)
        self.timeout = timeout
        self.fast_limit = fast_limit
        self.on_replace = on_replace
        self.pid = os.getpid()  # a pool belongs to the process that made it (not to forks)
        self._context = multiprocessing.get_context("spawn")
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._fast: queue.Queue[_Worker] | None = (
            queue.Queue() if workers >= 2 and 0 < fast_limit < timeout else None)
        self._all: set[_Worker] = set()
        self._slow: OrderedDict[str, None] = OrderedDict()  # digests of known-slow queries
        self._lock = threading.Lock()
        self._closed = False
        for number in range(max(1, workers)):
            lane = self._fast if number == 0 and self._fast is not None else self._idle
            lane.put(self._start(lane))
        atexit.register(self.close)

    def _start(self, lane: queue.Queue[_Worker]) -> _Worker:
        niceness = 0 if lane is self._fast else SLOW_LANE_NICENESS
        worker = _Worker(self._context, self.store_dir, lane, niceness)
        with self._lock:
            self._all.add(worker)
        return worker

    def _replace(self, worker: _Worker, reason: str) -> None:
        worker.stop()
        with self._lock:
            self._all.discard(worker)
        if self.on_replace is not None:
            self.on_replace(reason)
        if not self._closed:
            worker.lane.put(self._start(worker.lane))

    @property
    def retry_after(self) -> int:
        """Seconds a client is told to wait after a 503 (at least the query timeout)."""
        return max(1, math.ceil(self.timeout))

    def _take(self, lane: queue.Queue[_Worker], deadline: float) -> _Worker:
        """An idle, live worker of a lane, waiting for one until the deadline."""
        while True:
            try:
                worker = lane.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise QueryTimeout("every SPARQL worker is busy; try again later",
                                   self.retry_after) from None
            if worker.process.is_alive():
                return worker
            self._replace(worker, DIED)  # while idle (the OOM killer, a signal)

    def run(self, job: QueryJob) -> QueryAnswer:
        """The answer to a job, or QueryRefused, QuerySyntaxError, QueryTimeout, QueryFailed."""
        reason = refusal(job.query)
        if reason:
            raise QueryRefused(reason)
        if self._closed:
            raise QueryFailed("the SPARQL worker pool is closed")
        digest = hashlib.sha256(job.query.encode("utf-8", "surrogatepass")).hexdigest()
        waiting = time.monotonic() + self.timeout  # for a worker, in whichever lanes
        if self._fast is not None and not self._known_slow(digest):
            try:
                return self._run_on_a_worker(self._fast, job, digest, waiting, retry=True)
            except _TooSlowForTheFastLane:
                self._remember_slow(digest)
        return self._run_on_a_worker(self._idle, job, digest, waiting, retry=True)

    def _known_slow(self, digest: str) -> bool:
        with self._lock:
            if digest in self._slow:
                self._slow.move_to_end(digest)
                return True
            return False

    def _remember_slow(self, digest: str) -> None:
        with self._lock:
            self._slow[digest] = None
            if len(self._slow) > KNOWN_SLOW:
                self._slow.popitem(last=False)

    def _run_on_a_worker(self, lane: queue.Queue[_Worker], job: QueryJob, digest: str,
                         waiting: float, retry: bool) -> QueryAnswer:
        fast = lane is self._fast
        limit = self.fast_limit if fast else self.timeout
        worker = self._take(lane, waiting)
        if fast and self._known_slow(digest):  # the same text left the fast lane meanwhile
            lane.put(worker)
            raise _TooSlowForTheFastLane
        try:
            outcome = self._ask(worker, job, limit, fast)
        except (EOFError, OSError):
            # The worker died: killed while idle (seen only now), or by this query. One
            # retry on a fresh worker; a query that kills workers fails the second time.
            self._replace(worker, DIED)
            if retry:
                return self._run_on_a_worker(lane, job, digest, waiting, retry=False)
            raise QueryFailed("a SPARQL worker stopped unexpectedly") from None
        except BaseException as error:  # a limit; else it did not start, or was left mid-answer
            self._replace(worker, _REPLACED_FOR.get(type(error), DIED))
            raise
        lane.put(worker)
        return _result(outcome)

    def _ask(self, worker: _Worker, job: QueryJob, limit: float, fast: bool) -> tuple:
        worker.wait_ready()  # start-up is not query time
        worker.conn.send(job)
        if not worker.conn.poll(limit):
            if fast:
                raise _TooSlowForTheFastLane
            raise QueryTimeout(f"the query ran past the limit of {self.timeout:g} s and "
                               "was stopped", self.retry_after)
        return worker.conn.recv()

    def close(self) -> None:
        """Stop every worker (also run at interpreter exit)."""
        self._closed = True
        with self._lock:
            workers, self._all = list(self._all), set()
        for worker in workers:
            worker.stop()


def _result(outcome: tuple) -> QueryAnswer:
    status, value = outcome
    if status == "ok":
        return value
    if status == "syntax":
        raise QuerySyntaxError(value)
    if status == "refused":
        raise QueryRefused(value)
    raise QueryFailed(value)
