"""The SPARQL 1.1 endpoint at /sparql: the protocol, its answers, and a query page for people.

- **Protocol** (W3C SPARQL 1.1 Protocol): a query by GET, by POST form or by POST direct
  (`application/sparql-query`), with `default-graph-uri` / `named-graph-uri`, which replace
  both the query's FROM clauses and the default dataset. Without them the default graph is
  the union of the named graphs (one per loaded file), unless the query says FROM.
- **Relative IRIs** in a query resolve against the configured base IRI
  (`https://w3id.org/lactgraph/` by default), not the endpoint URL: `<product/mesotherapy>`
  then names the same product whichever host serves the graph.
- **Answers** by content negotiation or `format=`: SELECT as SPARQL JSON, XML, CSV or TSV; ASK
  as SPARQL JSON or XML; CONSTRUCT and DESCRIBE as Turtle, N-Triples, RDF/XML or JSON-LD
  (pyoxigraph's, which never fetches a context); HTML for browsers. 406 lists the choices.
- **Safe**: read-only (updates get 403), no outbound request (SERVICE is refused before
  anything runs), queries run in worker processes stopped at `query_timeout` (503 with
  Retry-After), answers cut at `row_cap` rows or triples. The cap is always announced:
  `X-Lactgraph-Row-Cap: N` on every answer and `X-Lactgraph-Truncated: true|false`; a cut
  SPARQL JSON or XML answer also links `<endpoint>#row-cap` from its head (the results
  formats' own `link`), a cut Turtle or N-Triples answer starts with a comment; CSV, TSV,
  RDF/XML and JSON-LD have no place for a note and rely on the headers. Each client has
  a budget of query time per minute (429 with Retry-After past it), and every query is
  measured and logged (accounting.py).
- **Service description**: GET without a query gives it as RDF (Turtle by default), and
  browsers get the query page.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, g, render_template, request, url_for
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, VOID
from werkzeug.exceptions import (
    BadRequest,
    Forbidden,
    HTTPException,
    MethodNotAllowed,
    NotAcceptable,
    UnsupportedMediaType,
)

from ..store.querypool import (
    BOOLEAN,
    GRAPH,
    SOLUTIONS,
    QueryAnswer,
    QueryFailed,
    QueryJob,
    QueryPool,
    QueryRefused,
    QuerySyntaxError,
    QueryTimeout,
    graph_names,
    term_json,
)
from ..store.remote import RemoteStore
from ..vocab import lactgraph_prefixes
from . import urls
from .accounting import run_query
from .context import site
from .examples import EXAMPLE_QUERIES, with_prefixes
from .metrics import query_pool
from .negotiation import (
    BOOLEAN_FORMATS,
    HTML,
    N_TRIPLES,
    RDF_FORMATS,
    RDF_XML,
    RESULT_FORMATS,
    SPARQL_JSON,
    SPARQL_XML,
    Format,
    choose_format,
    format_named,
    not_acceptable,
)
from .ratelimit import OverBudget
from .undeclared import prefix_hint

blueprint = Blueprint("sparql", __name__)

FORM = "application/x-www-form-urlencoded"
DIRECT_QUERY = "application/sparql-query"
DIRECT_UPDATE = "application/sparql-update"
ROW_CAP_HEADER = "X-Lactgraph-Row-Cap"
TRUNCATED_HEADER = "X-Lactgraph-Truncated"
ALLOWED_METHODS = ("GET", "HEAD", "POST", "OPTIONS")
READ_ONLY = "This SPARQL endpoint is read-only: SPARQL Update is not accepted."

# What each kind of result can be answered in, most preferred first (`*/*` gets the first).
OFFERS: dict[str, tuple[Format, ...]] = {
    SOLUTIONS: (*RESULT_FORMATS, HTML),
    BOOLEAN: (*BOOLEAN_FORMATS, HTML),
    GRAPH: (*RDF_FORMATS, HTML),
}
SERVICE_OFFERS: tuple[Format, ...] = (*RDF_FORMATS, HTML)
# For a page, the worker answers in a format the page is rendered from.
_PAGE_SOURCE = {SOLUTIONS: SPARQL_JSON, BOOLEAN: SPARQL_JSON, GRAPH: N_TRIPLES}
_FORMAT_OF = {fmt.media_type: fmt for formats in OFFERS.values() for fmt in formats}
_EVERY_FORMAT = tuple(_FORMAT_OF.values())

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")
_RESULT_FORMAT_IRIS = (
    "SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
    "Turtle", "N-Triples", "RDF_XML", "JSON-LD",
)

# Bytes of characters XML 1.0 cannot carry, even escaped (C0 controls but tab and line
# breaks; U+FFFE, U+FFFF): an XML answer holding one is not XML.
_NOT_XML = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]|\xef\xbf[\xbe\xbf]")
_XML_TYPES = {SPARQL_XML.media_type, RDF_XML.media_type}
_NO_XML = {kind: tuple(fmt for fmt in formats if fmt.media_type not in _XML_TYPES)
           for kind, formats in OFFERS.items()}

_POOL_KEY = "lactgraph.querypool"
_POOL_LOCK = threading.Lock()


# ---------------------------------------------------------------------------------------
# Reading the request


@dataclass(frozen=True)
class Operation:
    """A protocol request, read: the query (None: none given) and its dataset."""

    query: str | None
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    formats: tuple[str, ...] = ()  # `format=` values, first known one wins


def _utf8(data: bytes, where: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest(f"{where} is not valid UTF-8.") from None


def _parameters(text: str, where: str) -> list[tuple[str, str]]:
    try:
        return parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise BadRequest(f"{where}: a percent-encoded value is not valid UTF-8.") from None


def _body() -> str:
    """The request body as text: UTF-8, as the protocol requires."""
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise UnsupportedMediaType(f"charset={charset}: send the request body in UTF-8.")
    return _utf8(request.get_data(), "The request body")


def _request_parameters() -> tuple[list[tuple[str, str]], str | None]:
    """The protocol parameters (URL, then form body) and a query posted directly."""
    parameters = _parameters(_utf8(request.query_string, "The URL"), "The URL")
    if request.method != "POST":
        return parameters, None
    if request.mimetype == DIRECT_UPDATE:
        raise Forbidden(READ_ONLY)
    if request.mimetype not in (FORM, DIRECT_QUERY):
        raise UnsupportedMediaType(
            f"Content-Type {request.mimetype or '(none)'}: send a query as {FORM} "
            f"(query=...) or as {DIRECT_QUERY}."
        )
    if request.mimetype == FORM:
        return parameters + _parameters(_body(), "The form"), None
    return parameters, _body()


def read_operation() -> Operation:
    """The operation a request asks for, or the 4xx error the protocol calls for."""
    parameters, direct_query = _request_parameters()
    values: dict[str, list[str]] = defaultdict(list)
    for name, value in parameters:
        values[name].append(value)
    queries = values["query"] + ([direct_query] if direct_query is not None else [])
    if queries and values["update"]:
        raise BadRequest("A request carries a query or an update, not both.")
    if values["update"]:
        raise Forbidden(READ_ONLY)
    if len(queries) > 1:
        raise BadRequest("More than one query: send exactly one.")
    if request.method == "POST" and not queries:
        raise BadRequest(f"No query: send a query parameter, or a {DIRECT_QUERY} body.")
    for parameter in ("default-graph-uri", "named-graph-uri"):
        try:  # the request's fault, not the query's ("the query is malformed" said so)
            graph_names(tuple(values[parameter]), parameter)
        except SyntaxError as error:
            raise BadRequest(f"{error}.") from None
    return Operation(
        query=queries[0] if queries else None,
        default_graphs=tuple(values["default-graph-uri"]),
        named_graphs=tuple(values["named-graph-uri"]),
        formats=tuple(values["format"]),
    )


def _preferred(offers: tuple[Format, ...], format_names: tuple[str, ...]) -> Format | None:
    """The format asked for by `format=` if given, else by the Accept header.

    Several `format=` values are tried in order (SPARQLWrapper sends `rdf+xml` and
    `application/rdf+xml`); when some name a format but none an offer (`format=turtle`
    for a SELECT), nothing is acceptable. Values that name no format at all (`n3`, which
    SPARQLWrapper sends with an Accept that lists Turtle) leave the choice to Accept, the
    protocol's own negotiation.
    """
    known = [name for name in format_names if format_named(name, _EVERY_FORMAT)]
    if known:
        return next(filter(None, (format_named(name, offers) for name in known)), None)
    return choose_format(request.headers.get("Accept"), offers)


# ---------------------------------------------------------------------------------------
# Views


@blueprint.route("/sparql", methods=["GET", "POST", "OPTIONS", "PUT", "DELETE", "PATCH"])
def endpoint() -> Response:
    """The protocol endpoint: queries, the service description, the query page."""
    if request.method == "OPTIONS":
        response = Response(status=204)
        del response.headers["Content-Type"]
        response.allow.update(ALLOWED_METHODS)
        return response
    if request.method not in ALLOWED_METHODS:
        raise MethodNotAllowed(valid_methods=ALLOWED_METHODS)
    operation = read_operation()
    if operation.query is None:
        return _service(operation.formats)
    return _query(operation)


def _query(operation: Operation, offers: dict[str, tuple[Format, ...]] = OFFERS) -> Response:
    chosen = {kind: _preferred(formats, operation.formats) for kind, formats in offers.items()}
    pages = {kind for kind, fmt in chosen.items() if fmt is HTML}
    g.sparql_page_query = operation.query if pages else None  # errors then go in the page
    formats = {kind: (_PAGE_SOURCE[kind] if kind in pages else fmt) for kind, fmt in chosen.items()}
    job = _job(operation, formats)
    try:
        answer = run_query(_pool(), job)
    except QuerySyntaxError as error:
        hint = prefix_hint(job.query, job.prefixes)
        if not hint:
            raise
        raise QuerySyntaxError(f"{hint} (the parser: {error})") from None
    if answer.media_type is None:
        raise NotAcceptable(not_acceptable(offers[answer.kind]))
    if answer.media_type in _XML_TYPES and (found := _NOT_XML.search(answer.body)):
        # This answer has no XML form: the client's next choice, if it accepts one.
        if _preferred(_NO_XML[answer.kind], operation.formats) is None:
            raise NotAcceptable(not_acceptable(
                _NO_XML[answer.kind], f"This answer holds the character U+"
                f"{ord(found.group().decode()):04X}, which XML cannot carry: ask for another "
                "format."))
        return _query(operation, _NO_XML)
    if answer.kind in pages:
        response = _page(operation.query, results=_table(answer))
    else:
        body = answer.body
        if answer.media_type in _XML_TYPES:  # a raw CR reads as LF (XML 1.0 2.11; in an
            body = body.replace(b"\r", b"&#13;")  # attribute, as a space): escaped, it stays
        response = Response(body, content_type=_FORMAT_OF[answer.media_type].content_type)
        response.vary.add("Accept")
    response.headers[ROW_CAP_HEADER] = str(site().settings.row_cap)
    response.headers[TRUNCATED_HEADER] = "true" if answer.truncated else "false"
    return response


def _job(operation: Operation, formats: dict[str, Format | None]) -> QueryJob:
    settings = site().settings
    return QueryJob(
        query=operation.query or "",
        formats={kind: fmt.media_type if fmt else None for kind, fmt in formats.items()},
        base_iri=site().iris.base,
        default_graphs=operation.default_graphs,
        named_graphs=operation.named_graphs,
        row_cap=settings.row_cap,
        cap_note=f"{endpoint_url()}#row-cap",
        prefixes=lactgraph_prefixes(site().iris.base),
    )


def _pool() -> QueryPool | RemoteStore:
    """What runs public queries: the remote server itself, or this process's pool, started at
    the first query (a forked web worker starts its own)."""
    if isinstance(site().store, RemoteStore):
        return site().store
    app = current_app._get_current_object()
    with _POOL_LOCK:
        pool = app.extensions.get(_POOL_KEY)
        if pool is None or pool.pid != os.getpid():
            settings = site().settings
            pool = query_pool(site().store_dir, settings.query_workers, settings.query_timeout)
            app.extensions[_POOL_KEY] = pool
    return pool


def endpoint_url() -> str:
    """The endpoint's public URL (on the origin the base IRI is mapped onto)."""
    return f"{urls.public_base()}sparql"


# ---------------------------------------------------------------------------------------
# Service description


def service_description() -> Graph:
    """The SPARQL Service Description of this endpoint, with a link to the VoID."""
    endpoint = URIRef(endpoint_url())
    service = URIRef(f"{endpoint}#service")
    dataset = URIRef(urls.url(site().iris.dataset))  # named as the VoID names it
    graph = Graph()
    for prefix, namespace in (("sd", SD), ("formats", FORMATS), ("void", VOID),
                              ("dcterms", DCTERMS)):
        graph.bind(prefix, namespace)
    graph.add((service, RDF.type, SD.Service))
    graph.add((service, SD.endpoint, endpoint))
    graph.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    graph.add((service, SD.feature, SD.UnionDefaultGraph))
    for name in _RESULT_FORMAT_IRIS:
        graph.add((service, SD.resultFormat, FORMATS[name]))
    graph.add((service, DCTERMS.title, Literal("lactgraph SPARQL endpoint", lang="en")))
    graph.add((service, RDFS.comment, Literal(_limits_note(), lang="en")))
    graph.add((service, SD.defaultDataset, dataset))
    graph.add((dataset, RDF.type, SD.Dataset))
    graph.add((dataset, RDF.type, VOID.Dataset))
    graph.add((dataset, VOID.sparqlEndpoint, endpoint))
    graph.add((dataset, RDFS.seeAlso, URIRef(f"{urls.public_base()}.well-known/void")))
    _add_graphs(graph, dataset)
    return graph


def _add_graphs(graph: Graph, dataset: URIRef) -> None:
    default = BNode()
    graph.add((dataset, SD.defaultGraph, default))
    graph.add((default, RDF.type, SD.Graph))
    graph.add((default, RDFS.comment, Literal("The union of the named graphs.", lang="en")))
    for name in site().store.named_graphs():
        named = BNode()
        graph.add((dataset, SD.namedGraph, named))
        graph.add((named, RDF.type, SD.NamedGraph))
        graph.add((named, SD.name, URIRef(name)))


def _limits_note() -> str:
    settings = site().settings
    return (
        f"Read-only; SERVICE is refused. A query may run {settings.query_timeout:g} s "
        f"(503 with Retry-After past that); answers are cut at {settings.row_cap} rows or "
        f"triples, announced by the X-Lactgraph-Row-Cap and X-Lactgraph-Truncated headers. "
        + (f"Each client may use {settings.sparql_budget:g} s of query time per minute (429 "
           "with Retry-After past that). " if settings.sparql_budget > 0 else "")
        + f"Relative IRIs resolve against {site().iris.base}."
    )


def _service(format_names: tuple[str, ...]) -> Response:
    fmt = _preferred(SERVICE_OFFERS, format_names)
    if fmt is None:
        raise NotAcceptable(not_acceptable(SERVICE_OFFERS))
    if fmt is HTML:
        return _page(None)
    body = service_description().serialize(format=fmt.rdflib, encoding="utf-8")
    response = Response(body, content_type=fmt.content_type)
    response.vary.add("Accept")
    return response


# ---------------------------------------------------------------------------------------
# The query page


@dataclass
class Cell:
    """One value of a result table: its text, where it links, and its language/datatype."""

    text: str
    href: str | None = None
    note: str = ""


@dataclass
class Table:
    columns: list[str] = field(default_factory=list)
    rows: list[list[Cell | None]] = field(default_factory=list)
    boolean: bool | None = None
    truncated: bool = False


_LOCAL_NAME = re.compile(r"[\w\-]+(?:\.[\w\-]+)*")


def _compact(iri: str) -> str:
    """prefix:local for an IRI in a known namespace (the longest one), else the IRI."""
    namespaces = sorted(lactgraph_prefixes(site().iris.base).items(), key=lambda p: -len(p[1]))
    for prefix, namespace in namespaces:
        local = iri[len(namespace):]
        if iri.startswith(namespace) and _LOCAL_NAME.fullmatch(local):
            return f"{prefix}:{local}"
    return iri


def _cell(term: dict) -> Cell:
    kind, value = term["type"], term["value"]
    if kind == "uri":
        href = urls.page(value)
        return Cell(_compact(value), href)
    if kind == "bnode":
        return Cell(f"_:{value}")
    if kind == "triple":
        parts = (_cell(value[k]).text for k in ("subject", "predicate", "object"))
        return Cell("<< " + " ".join(parts) + " >>")
    if "xml:lang" in term:
        return Cell(value, note=f"@{term['xml:lang']}")
    datatype = term.get("datatype")
    return Cell(value, note=f"^^{_compact(datatype)}" if datatype else "")


def _table(answer: QueryAnswer) -> Table:
    """The rows of an answer the worker sent as SPARQL JSON or N-Triples."""
    if answer.kind == GRAPH:
        columns = ["subject", "predicate", "object"]
        rows = [[_cell(term_json(term)) for term in (t.subject, t.predicate, t.object)]
                for t in ox.parse(answer.body, format=ox.RdfFormat.N_TRIPLES)]
        return Table(columns, rows, truncated=answer.truncated)
    results = json.loads(answer.body)
    if answer.kind == BOOLEAN:
        return Table(boolean=results["boolean"])
    columns = results["head"]["vars"]
    rows = [[_cell(binding[c]) if c in binding else None for c in columns]
            for binding in results["results"]["bindings"]]
    return Table(columns, rows, truncated=answer.truncated)


def _page(query: str | None, results: Table | None = None, error: str | None = None,
          status: int = 200) -> Response:
    base = site().iris.base
    examples = [(example.title, url_for("sparql.endpoint", query=with_prefixes(example.query,
                                                                                base)))
                for example in EXAMPLE_QUERIES]
    html = render_template(
        "sparql.html",
        sparql_query=query or with_prefixes(EXAMPLE_QUERIES[0].query, base),
        examples=examples,
        results=results,
        error=error,
        settings=site().settings,
        base=base,
        endpoint=endpoint_url(),
    )
    response = Response(html, status=status, content_type=HTML.content_type)
    response.vary.add("Accept")
    return response


# ---------------------------------------------------------------------------------------
# Errors: plain text (or the page, for a query sent from it), never a traceback


def _error(status: int, message: str) -> Response:
    page_query = g.get("sparql_page_query")
    if page_query is not None:
        return _page(page_query, error=message, status=status)
    return Response(message.rstrip("\n") + "\n", status=status,
                    content_type="text/plain; charset=utf-8")


@blueprint.errorhandler(HTTPException)
@blueprint.errorhandler(405)  # by code too: the site's 405 handler (pages.py) would win
def _http_error(error: HTTPException) -> Response:
    response = _error(error.code or 500, f"{error.code} {error.name}: {error.description}")
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        response.allow.update(error.valid_methods)
    return response


@blueprint.errorhandler(QuerySyntaxError)
def _syntax_error(error: QuerySyntaxError) -> Response:
    return _error(400, f"400 Bad Request: the query is malformed: {error}")


@blueprint.errorhandler(QueryRefused)
def _refused(error: QueryRefused) -> Response:
    return _error(400, f"400 Bad Request: {error}")


@blueprint.errorhandler(QueryTimeout)
@blueprint.errorhandler(OverBudget)
def _retry_later(error: QueryTimeout | OverBudget) -> Response:
    if isinstance(error, OverBudget):
        response = _error(429, f"429 Too Many Requests: {error}")
    else:
        response = _error(503, f"503 Service Unavailable: {error}")
    response.headers["Retry-After"] = str(error.retry_after)
    return response


@blueprint.errorhandler(QueryFailed)
def _failed(error: QueryFailed) -> Response:
    current_app.logger.error("SPARQL query failed: %s", error)
    return _error(500, f"500 Internal Server Error: {error}")


@blueprint.errorhandler(Exception)
def _unexpected(error: Exception) -> Response:
    current_app.logger.exception("unexpected error at /sparql")
    return _error(500, "500 Internal Server Error: an unexpected error; it has been logged.")
