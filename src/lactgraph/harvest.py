"""`lactgraph harvest BASE_URL`: take every entry of a lactgraph server as JSON-LD.

The client a harvester would write, and how we prove harvesting works: what it harvests
equals the graph the server publishes (`graph/lactgraph.ttl`, and the mappings of
`links.ttl` as the entries' own triples), but for the descriptions of the dataset and its
linksets (`<base>dataset#...`), which VoID publishes (`/.well-known/void`), not an entry.

1. `GET <base>collections` lists the collections; each is walked page by page, following
   the Hydra view's `next` link (with `--since`/`--until`, its change feed only).
2. Each member's JSON-LD document is fetched: the first time through its IRI (303 to
   the document), later straight from the document's URL, with `If-None-Match`.
3. A document holds its entry's triples and a summary of its neighbours (names, levels);
   only the triples about the entry itself are kept: those whose subject is the entry,
   one of its hash IRIs (`product/x#pk-half-life`) or a blank node hanging from them, and
   triples about things no collection lists (vocabulary terms of other namespaces). So
   every triple comes from the one document that owns it, a neighbour's stale summary
   never survives an incremental run, and an RDF list is not copied once per document
   that shows it.
4. The union goes to one file: N-Triples (`.nt`, sorted) or one JSON-LD document
   (`.jsonld`, compacted with the server's context, given inline). IRIs are as the server
   serves them (mapped onto its origin).

State: next to the output, `<output>.harvest-state.json` keeps each URL's ETag and
Last-Modified with what was taken from it, so a re-run sends conditional requests and a
`304 Not Modified` costs no transfer. An incremental run (`--since`) fetches the change
feed's entries and keeps the rest from the state (with no state, the output holds just
those entries), but for entries whose kept triples point at a fetched entry whose document
no longer shows them (a brand name an updated product dropped): those are fetched again.
A full run also drops entries the server no longer lists (a change feed has no deletions).

Politeness: a User-Agent that names the tool, one request at a time, and retries with
exponential back-off on connection errors, 429 and 5xx, honouring `Retry-After`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit

import pyoxigraph as ox
import requests
from rdflib import Graph
from tqdm import tqdm

from . import __version__
from .arguments import is_http_url
from .errors import LactgraphError
from .rdfio import write_atomically
from .stable_rdf import compact_document, sorted_ntriples, stable_blank_nodes

USER_AGENT = f"lactgraph-harvest/{__version__} (+https://w3id.org/lactgraph/)"
JSON_LD = "application/ld+json"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_WAIT = 120.0  # seconds: the longest Retry-After honoured
STATE_SUFFIX = ".harvest-state.json"
STATE_VERSION = 1
OUTPUTS = (".jsonld", ".nt")

T = TypeVar("T")


class HarvestError(LactgraphError):
    """A harvest that cannot go on; the message names the URL or file and the cause."""


@dataclass
class Report:
    """What a harvest did: requests sent, 304s received, documents transferred."""

    output: Path
    requests: int = 0
    not_modified: int = 0
    fetched: list[str] = field(default_factory=list)  # entries whose document was sent
    entries: int = 0
    triples: int = 0


# --- HTTP: conditional, cached, retried ---------------------------------------------------

def _retry_after(response: requests.Response, default: float) -> float:
    """The wait a 429/503 asks for (seconds or an HTTP date), within reason."""
    value = response.headers.get("Retry-After", "").strip()
    if value.isdigit():
        return min(float(value), MAX_WAIT)
    if value:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return default
        seconds = (moment - datetime.now(UTC)).total_seconds()
        return min(max(seconds, 0.0), MAX_WAIT)
    return default


class Client:
    """GETs with validators from a cache, retries, and a count of what went over the wire.

    The cache maps a URL to its validators and to the value the caller derived from the
    body, so a 304 gives back that value without parsing anything again.
    """

    def __init__(self, session: requests.Session, cache: dict[str, dict[str, Any]],
                 report: Report, retries: int = 5, backoff: float = 1.0,
                 timeout: float = 30.0, sleep: Callable[[float], None] = time.sleep) -> None:
        self.session, self.cache, self.report = session, cache, report
        self.retries, self.backoff, self.timeout, self.sleep = retries, backoff, timeout, sleep
        self.used: set[str] = set()  # the URLs this run needed: the rest leaves the cache

    def _send(self, url: str, headers: dict[str, str]) -> requests.Response:
        for attempt in range(self.retries + 1):
            wait = self.backoff * 2 ** attempt
            try:
                response = self.session.get(url, headers=headers, timeout=self.timeout)
            except requests.RequestException as error:
                if attempt == self.retries:
                    raise HarvestError(f"{url}: {_reason(error)}") from None
            else:
                self.report.requests += 1 + len(response.history)
                if response.status_code not in RETRY_STATUSES or attempt == self.retries:
                    return response
                wait = _retry_after(response, wait)
            self.sleep(wait)
        raise AssertionError("unreachable")

    def get(self, url: str, derive: Callable[[requests.Response], T]) -> tuple[T, bool, str]:
        """(value, transferred, final URL): the derived value of url's body, or the
        cached one when the server answers 304."""
        headers = {"Accept": JSON_LD}
        cached = self.cache.get(url)
        if cached and cached.get("etag"):
            headers["If-None-Match"] = cached["etag"]
        elif cached and cached.get("last_modified"):
            headers["If-Modified-Since"] = cached["last_modified"]
        response = self._send(url, headers)
        if response.status_code == 304 and cached:
            self.report.not_modified += 1
            self.used.add(url)
            return cached["value"], False, url
        if response.status_code != 200:
            first = response.text.strip().splitlines()[0] if response.text.strip() else ""
            raise HarvestError(f"{response.url}: {response.status_code} {response.reason}"
                               + (f": {first}" if first else ""))
        value = derive(response)
        self.cache[response.url] = {"etag": response.headers.get("ETag"),
                                    "last_modified": response.headers.get("Last-Modified"),
                                    "value": value}
        self.used.add(response.url)
        return value, True, response.url


def _reason(error: requests.RequestException) -> str:
    if isinstance(error, requests.ConnectionError):
        return "cannot connect (is the server running at this address?)"
    if isinstance(error, requests.Timeout):
        return "no answer in time"
    return str(error)


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError as error:
        raise HarvestError(f"{response.url}: not JSON ({error})") from None


# --- documents -> triples -----------------------------------------------------------------

class Contexts:
    """The JSON-LD contexts documents name by URL, fetched once from the harvested server
    (conditionally) and given to the parser in hand: the parser never fetches."""

    def __init__(self, client: Client, origin: str) -> None:
        self.client, self.origin = client, origin
        self.resolved: dict[str, Any] = {}

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, str):
            return value
        if value not in self.resolved:
            if _origin(value) != self.origin:
                raise HarvestError(f"{value}: refusing to fetch a context from another origin")
            document, _, _ = self.client.get(value, _json)
            found = document.get("@context") if isinstance(document, dict) else None
            if not isinstance(found, dict):
                raise HarvestError(f"{value}: not a JSON-LD context")
            self.resolved[value] = found
        return self.resolved[value]


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _quads(document: Any, url: str, contexts: Contexts) -> list[ox.Quad]:
    if not isinstance(document, dict):
        raise HarvestError(f"{url}: not a JSON-LD document (a JSON object)")
    inline = {**document, "@context": contexts.resolve(document.get("@context", {}))}
    try:
        return list(ox.parse(json.dumps(inline).encode(), format=ox.RdfFormat.JSON_LD,
                             base_iri=url, rename_blank_nodes=True))
    except (SyntaxError, ValueError) as error:
        raise HarvestError(f"{url}: not valid JSON-LD ({error})") from None


def owned_lines(quads: list[ox.Quad], entry: str, entries: set[str]) -> list[str]:
    """The N-Triples lines of the triples a document owns (see the module notes)."""
    parents: dict[str, list[ox.NamedNode | ox.BlankNode]] = {}
    for quad in quads:
        if isinstance(quad.object, ox.BlankNode):
            parents.setdefault(quad.object.value, []).append(quad.subject)
    owners: dict[str, str | None] = {}

    def owner(term: ox.NamedNode | ox.BlankNode) -> str | None:
        if isinstance(term, ox.NamedNode):
            resource = term.value.split("#", 1)[0]
            return resource if resource in entries else None
        seen, todo, found = {term.value}, list(parents.get(term.value, [])), set()
        while todo:  # the owners of the IRIs this blank node hangs from, at any depth
            parent = todo.pop()
            if isinstance(parent, ox.NamedNode):
                found.add(owner(parent))
            elif parent.value not in seen:
                seen.add(parent.value)
                todo.extend(parents.get(parent.value, []))
        return entry if entry in found else next(iter(sorted(found - {None})), None)

    lines = []
    for quad in quads:
        key = str(quad.subject)
        if key not in owners:
            owners[key] = owner(quad.subject)
        if owners[key] in (entry, None):
            lines.append(f"{quad.subject} {quad.predicate} {quad.object} .")
    return lines


# --- state --------------------------------------------------------------------------------

def state_path(output: Path) -> Path:
    return output.with_name(output.name + STATE_SUFFIX)


def _load_state(path: Path, base: str) -> dict[str, Any]:
    fresh = {"version": STATE_VERSION, "base": base, "http": {}, "entries": {}}
    if not path.is_file():
        return fresh
    try:
        state = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return fresh  # a damaged cache only costs a full transfer
    if state.get("version") != STATE_VERSION or state.get("base") != base:
        return fresh
    return state


def _write(path: Path, data: bytes) -> None:
    try:
        write_atomically(path, data)
    except OSError as error:
        raise HarvestError(f"{path}: cannot write ({error.strerror or error})") from None


# --- the walk -----------------------------------------------------------------------------

def _pages(client: Client, url: str) -> Iterator[dict[str, Any]]:
    """Every page of a collection, following `next` (a loop is an error, not a hang)."""
    seen = set()
    while url:
        if url in seen:
            raise HarvestError(f"{url}: the collection's pages link back to an earlier page")
        seen.add(url)
        page, _, _ = client.get(url, _json)
        yield page
        url = (page.get("view") or {}).get("next") if isinstance(page, dict) else None


def _members(page: Any, url: str) -> list[str]:
    """The ids of a page's members; a page with no member list (another server's JSON) is
    an error, not an empty collection that would empty the output."""
    members = page.get("member") if isinstance(page, dict) else None
    if not isinstance(members, list):
        raise HarvestError(f"{url}: not a collection page: no member list")
    found = [member.get("id") if isinstance(member, dict) else member for member in members]
    if not all(isinstance(member, str) for member in found):
        raise HarvestError(f"{url}: a member without an id")
    return found


def _listed(client: Client, base: str, query: dict[str, object]) -> list[str]:
    """Every member of every collection (of the change feed, with since/until), once."""
    index, _, _ = client.get(base + "collections", _json)
    listed: dict[str, None] = {}
    for collection in _members(index, base + "collections"):
        for page in _pages(client, f"{collection}?{urlencode(query)}"):
            listed.update(dict.fromkeys(_members(page, collection)))
    return list(listed)


def _fetch(client: Client, contexts: Contexts, entries: dict[str, dict[str, Any]],
           wanted: list[str], report: Report, progress: bool | None
           ) -> dict[str, set[str]]:
    """Each wanted entry's document, conditionally, straight from its URL once known; for
    each one transferred, the lines of its triples that point at it (from other entries:
    a brand's `lg:activeIngredient`, an alias's `lg:aliasOf`...)."""
    known = set(entries)
    pointing: dict[str, set[str]] = {}
    bar = tqdm(wanted, desc="harvest", unit="entry", file=sys.stderr,
               disable=None if progress is None else not progress)
    for member in bar:
        record = entries[member]

        def derive(response: requests.Response, member: str = member) -> list[str]:
            quads, node = _quads(_json(response), response.url, contexts), ox.NamedNode(member)
            pointing[member] = {f"{q.subject} {q.predicate} {q.object} ." for q in quads
                                if q.object == node}
            return owned_lines(quads, member, known)

        _, transferred, record["document"] = client.get(record.get("document", member), derive)
        if transferred:
            report.fetched.append(member)
    return pointing


def _pointing_no_longer(entries: dict[str, dict[str, Any]], http: dict[str, Any],
                        pointing: dict[str, set[str]]) -> list[str]:
    """The entries not fetched whose kept triples point at a fetched one that no longer
    shows them: a brand name an updated product dropped still names it as its ingredient,
    and a change feed does not list the brand (its date is its products')."""
    found = []
    for entry, record in entries.items():
        if entry in pointing or "document" not in record:
            continue
        for line in http[record["document"]]["value"]:
            target = line[line.rfind(" <") + 2:-3] if line.endswith("> .") else None
            if target in pointing and line not in pointing[target]:
                found.append(entry)
                break
    return found


def harvest(base_url: str, output: Path, since: date | datetime | None = None,
            until: date | datetime | None = None, page_size: int = 1000,
            session: requests.Session | None = None, progress: bool | None = None,
            retries: int = 5, backoff: float = 1.0) -> Report:
    """Harvest base_url into output (`.jsonld` or `.nt`); see the module notes.

    progress: a progress bar on standard error (None: when it is a terminal).
    """
    if output.suffix not in OUTPUTS:
        raise HarvestError(f"{output}: the output must end in {' or '.join(OUTPUTS)}")
    base = base_url if base_url.endswith("/") else base_url + "/"
    if not is_http_url(base):
        raise HarvestError(f"{base_url}: expected an http(s) URL")
    report = Report(output)
    state = _load_state(state_path(output), base)
    session = session or requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    client = Client(session, state["http"], report, retries=retries, backoff=backoff)
    contexts = Contexts(client, _origin(base))
    window = {"since": since, "until": until}
    query = {"size": page_size, **{key: value.isoformat() for key, value in window.items()
                                   if value is not None}}
    listed = _listed(client, base, query)
    entries: dict[str, dict[str, Any]] = state["entries"]
    if since is None and until is None:  # a full run: what the server no longer lists goes
        for gone in set(entries) - set(listed):
            del entries[gone]
    for member in listed:
        entries.setdefault(member, {})
    pointing = _fetch(client, contexts, entries, listed, report, progress)
    if since is not None or until is not None:  # a full run fetched every entry anyway
        stale = _pointing_no_longer(entries, state["http"], pointing)
        _fetch(client, contexts, entries, stale, report, progress)
    documents = [state["http"][record["document"]]["value"] for record in entries.values()]
    graph = Graph().parse(data="\n".join(line for lines in documents for line in lines) + "\n",
                          format="nt")
    report.entries, report.triples = len(entries), len(graph)
    _write(output, _serialise(stable_blank_nodes(graph), output, contexts, base))
    keep = client.used | {record["document"] for record in entries.values()}
    state["http"] = {url: value for url, value in state["http"].items() if url in keep}
    _write(state_path(output), json.dumps(state).encode("utf-8"))
    return report


def _serialise(graph: Graph, output: Path, contexts: Contexts, base: str) -> bytes:
    if output.suffix == ".nt":
        return sorted_ntriples(graph)
    document = compact_document(graph, contexts.resolve(base + "context.jsonld"))
    return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


# --- the command --------------------------------------------------------------------------

def cmd_harvest(args: argparse.Namespace) -> int:
    report = harvest(args.base_url, args.output, since=args.since, until=args.until,
                     page_size=args.page_size, progress=False if args.no_progress else None,
                     retries=args.retries)
    print(f"lactgraph: harvested {report.entries} entries ({report.triples} triples) from "
          f"{args.base_url} into {report.output}: {report.requests} requests, "
          f"{len(report.fetched)} documents transferred, {report.not_modified} not modified",
          file=sys.stderr)
    return 0
