"""Requests to a SPARQL 1.1 server that takes updates (`lactgraph push`): SPARQL Update,
SELECT for counts and names, Graph Store Protocol PUT; Digest or Basic auth, whichever
the server asks for, answered up front once asked; a request rolled back for a deadlock
sent again."""

from __future__ import annotations

import base64
import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from rdflib import Literal

from .config import PASSWORD_VARIABLE
from .errors import LactgraphError
from .store.remote import SPARQL_JSON, server_message, standard_json

FORM = "application/x-www-form-urlencoded"
# A deadlocked transaction is rolled back whole, so sending the request again is safe.
DEADLOCK_TRIES = 3
DEADLOCK_PAUSE = 1.0  # seconds, times the try's number
_DEADLOCK = re.compile(r"\b40001\b")  # SQLSTATE: serialization failure (Virtuoso's SR172)


@dataclass(frozen=True)
class Server:
    """Where to push: the SPARQL endpoint that takes updates and, if any, its graph store."""

    endpoint: str  # SPARQL 1.1 Update (and Query) endpoint, e.g. Virtuoso's /sparql-auth
    graph_store: str | None = None  # Graph Store Protocol, e.g. /sparql-graph-crud-auth
    user: str | None = None
    password: str | None = None
    timeout: float = 600.0  # seconds one request may take (a large PUT or MOVE)


class _Deadlocked(LactgraphError):
    """The server rolled the request's transaction back; it may succeed if sent again."""


class _DigestUpFront(urllib.request.HTTPDigestAuthHandler):
    """Digest auth that answers a host's last challenge up front, in the request itself.

    urllib's own handler sends each request bare and sends it again to answer the 401. With a
    large body Virtuoso answers 401 and closes the connection while the body is still on its
    way, and the client sees "connection reset", not the challenge."""

    def __init__(self, passwords: urllib.request.HTTPPasswordMgr) -> None:
        super().__init__(passwords)
        self.challenges: dict[str, dict[str, str]] = {}  # host -> its last challenge

    def retry_http_digest_auth(self, req: urllib.request.Request, auth: str
                               ) -> object:  # a response, or None: no answer to give
        _, challenge = auth.split(" ", 1)
        self.challenges[req.host] = urllib.request.parse_keqv_list(
            filter(None, urllib.request.parse_http_list(challenge)))
        return super().retry_http_digest_auth(req, auth)

    def http_request(self, req: urllib.request.Request) -> urllib.request.Request:
        challenge = self.challenges.get(req.host)
        if challenge and not req.has_header(self.auth_header):
            answer = self.get_authorization(req, challenge)
            if answer:
                req.add_unredirected_header(self.auth_header, f"Digest {answer}")
        return req

    https_request = http_request


class _BasicUpFront(urllib.request.HTTPBasicAuthHandler):
    """Basic auth sent up front to the hosts that asked for it once (see _DigestUpFront).

    Not to any host before it asks: urllib's own way (HTTPPasswordMgrWithPriorAuth) sends
    the password in the clear after any success, to a host that wants Digest or nothing."""

    def __init__(self, passwords: urllib.request.HTTPPasswordMgr) -> None:
        super().__init__(passwords)
        self.hosts: set[str] = set()  # those that asked for Basic auth

    def retry_http_basic_auth(self, host: str, req: urllib.request.Request,
                              realm: str) -> object:  # a response, or None
        self.hosts.add(req.host)
        return super().retry_http_basic_auth(host, req, realm)

    def http_request(self, req: urllib.request.Request) -> urllib.request.Request:
        user, password = self.passwd.find_user_password(None, req.full_url)
        if req.host in self.hosts and user is not None and not req.has_header(
                self.auth_header):
            token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
            req.add_unredirected_header(self.auth_header, f"Basic {token}")
        return req

    https_request = http_request


class SparqlClient:
    """Requests to the server, with Digest or Basic auth (whichever it asks for)."""

    def __init__(self, server: Server) -> None:
        handlers: list[urllib.request.BaseHandler] = []
        if server.user:
            passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            for url in filter(None, (server.endpoint, server.graph_store)):
                passwords.add_password(None, url, server.user, server.password or "")
            handlers = [_DigestUpFront(passwords), _BasicUpFront(passwords)]
        self.opener = urllib.request.build_opener(*handlers)
        self.server = server

    def send(self, method: str, url: str, body: bytes, content_type: str,
             accept: str = "*/*") -> bytes:
        """The server's answer. A request it rolled back for a deadlock (SQL state 40001,
        which Virtuoso's parallel loader can get into on its own) is sent again."""
        for attempt in range(1, DEADLOCK_TRIES + 1):
            try:
                return self._send_once(method, url, body, content_type, accept)
            except _Deadlocked as deadlocked:
                if attempt == DEADLOCK_TRIES:
                    raise LactgraphError(f"{deadlocked} ({attempt} tries)") from None
                time.sleep(DEADLOCK_PAUSE * attempt)
        raise AssertionError("unreachable")

    def _send_once(self, method: str, url: str, body: bytes, content_type: str,
                   accept: str) -> bytes:
        request = urllib.request.Request(url, data=body, method=method, headers={
            "Content-Type": content_type, "Accept": accept})
        try:
            with self.opener.open(request, timeout=self.server.timeout) as response:
                return response.read()
        except urllib.error.HTTPError as error:
            raise self._refusal(url, error) from None
        except urllib.error.URLError as error:
            raise LactgraphError(f"{url}: cannot reach the server ({error.reason})") from None
        except TimeoutError:
            raise LactgraphError(f"{url}: no answer within {self.server.timeout:g} s") from None
        except ValueError as error:  # urllib: an auth scheme it cannot answer
            raise LactgraphError(f"{url}: {error}") from None

    def _refusal(self, url: str, error: urllib.error.HTTPError) -> LactgraphError:
        try:
            message = server_message(error.read())
        except (OSError, AttributeError):
            message = ""
        if error.code == 401:
            who = (f"user {self.server.user!r}" if self.server.user
                   else f"no credentials (give --user and set {PASSWORD_VARIABLE})")
            return LactgraphError(f"{url}: the server refused {who} (HTTP 401) "
                                  f"{message}".rstrip())
        if error.code == 403:  # a known user without the right, or an endpoint without auth
            return LactgraphError(
                f"{url}: the server forbids this request (HTTP 403): the user may lack the "
                "right to change graphs, or the endpoint takes no credentials (Virtuoso's "
                f"are /sparql-auth and /sparql-graph-crud-auth) {message}".rstrip())
        refusal = _Deadlocked if _DEADLOCK.search(message) else LactgraphError
        return refusal(f"{url}: HTTP {error.code} {error.reason}: {message}")

    def update(self, text: str) -> None:
        self.send("POST", self.server.endpoint, urlencode({"update": text}).encode(), FORM)

    def values(self, query: str, name: str, what: str) -> list[str]:
        """The values of one variable of a SELECT query's answer."""
        body = self.send("POST", self.server.endpoint, urlencode({"query": query}).encode(),
                         FORM, accept=SPARQL_JSON)
        try:
            rows = standard_json(json.loads(body))["results"]["bindings"]
            return [row[name]["value"] for row in rows]
        except (ValueError, KeyError, TypeError):
            raise LactgraphError(f"{self.server.endpoint}: cannot read {what} from its "
                                 "answer") from None

    def count(self, graph: str) -> int:
        query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
        what = f"the triple count of {graph}"
        values = self.values(query, "n", what)
        if values and not values[0].isdigit():
            raise LactgraphError(f"{self.server.endpoint}: cannot read {what} from its answer")
        return int(values[0]) if values else 0

    def graphs_under(self, stems: Sequence[str]) -> list[str]:
        """The server's graphs whose names start with one of stems."""
        test = " || ".join(f"STRSTARTS(STR(?g), {Literal(stem).n3()})" for stem in stems)
        query = f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER({test}) }}"
        return sorted(self.values(query, "g", "the graphs' names"))

    def put(self, graph_store: str, graph: str, data: bytes) -> None:
        """Two PUTs: an empty one gets the server's challenge, if any, with a body small
        enough to send twice; the data's then answers it up front (_DigestUpFront,
        _BasicUpFront)."""
        url = f"{graph_store}?{urlencode({'graph': graph})}"
        for body in (b"", data):
            self.send("PUT", url, body, "application/n-triples")
