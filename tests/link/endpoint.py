"""A SPARQL endpoint on loopback for the linker tests, and a stub that answers 429 first.

Until lactgraph's own `/sparql` is finished, the linker is tested against this small
endpoint: the SPARQL protocol (GET ?query=, POST form or application/sparql-query) answered
with SPARQL JSON results from a pyoxigraph store. It records every request it receives
(time, User-Agent, query) and the most requests it ever served at once, so tests can count
requests and check that the client sends one at a time. It binds 127.0.0.1 only.
"""

from __future__ import annotations

import threading
import time
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pyoxigraph as ox


@dataclass(frozen=True)
class Seen:
    at: float  # time.monotonic() when the request arrived
    user_agent: str
    query: str


@dataclass
class Answer:
    """A scripted answer given instead of the store's, in order, once each."""

    status: str  # "429 Too Many Requests"
    headers: list[tuple[str, str]] = field(default_factory=list)


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class LoopbackEndpoint:
    """`with LoopbackEndpoint(files) as endpoint: endpoint.url ...`"""

    def __init__(self, files: Iterable[Path] = (), script: Iterable[Answer] = ()) -> None:
        self.store = ox.Store()
        for path in files:
            self.store.load(path=str(path), format=ox.RdfFormat.TURTLE)
        self.script = list(script)
        self.seen: list[Seen] = []
        self.active = 0
        self.most_active = 0
        self._lock = threading.Lock()
        self._server = make_server("127.0.0.1", 0, self._app, server_class=_ThreadingServer,
                                   handler_class=_Quiet)
        self.url = f"http://127.0.0.1:{self._server.server_port}/sparql"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)

    def __enter__(self) -> LoopbackEndpoint:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def requests(self) -> int:
        return len(self.seen)

    @staticmethod
    def _query(environ: dict) -> str:
        if environ["REQUEST_METHOD"] == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length).decode("utf-8")
            if environ.get("CONTENT_TYPE", "").startswith("application/sparql-query"):
                return body
            return urllib.parse.parse_qs(body).get("query", [""])[0]
        return urllib.parse.parse_qs(environ.get("QUERY_STRING", "")).get("query", [""])[0]

    def _answer(self, query: str) -> tuple[str, list[tuple[str, str]], bytes]:
        with self._lock:
            scripted = self.script.pop(0) if self.script else None
        if scripted is not None:
            return scripted.status, scripted.headers, b"slow down"
        try:
            results = self.store.query(query)
        except SyntaxError as error:
            return "400 Bad Request", [("Content-Type", "text/plain")], str(error).encode()
        body = results.serialize(format=ox.QueryResultsFormat.JSON)
        return "200 OK", [("Content-Type", "application/sparql-results+json")], body

    def _app(self, environ: dict, start_response) -> list[bytes]:
        query = self._query(environ)
        with self._lock:
            self.seen.append(Seen(time.monotonic(), environ.get("HTTP_USER_AGENT", ""), query))
            self.active += 1
            self.most_active = max(self.most_active, self.active)
        try:
            time.sleep(0.005)  # widen the window in which overlapping requests would show
            status, headers, body = self._answer(query)
            start_response(status, [*headers, ("Content-Length", str(len(body)))])
            return [body]
        finally:
            with self._lock:
                self.active -= 1
