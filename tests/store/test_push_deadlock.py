"""`lactgraph push` sends again a request whose transaction the server rolled back for a
deadlock. Virtuoso's parallel loader deadlocks now and then on a fresh database (seen once in
five pushes of 195k triples); it cannot be made to on demand, so a loopback server answers
as Virtuoso does then: HTTP 500, "Virtuoso 40001 Error SR172: Transaction deadlocked"."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar
from urllib.parse import parse_qs

import pytest

from lactgraph import push as push_module
from lactgraph.errors import LactgraphError
from lactgraph.push import Part, Server, push
from lactgraph.rdfio import read_graph

from .conftest import PROJECT, quiet

DEADLOCK = (b"Virtuoso 40001 Error SR172: Transaction deadlocked\n\n"
            b"SPARQL query:\nINSERT { ... }")
GRAPH = "urn:lactgraph:test:ontology"
TRIPLES = len(read_graph([PROJECT.ontology_path]))


class Deadlocking(BaseHTTPRequestHandler):
    """Updates: the next of `answers` (then 200), each recorded; queries: a count of
    TRIPLES, as a server holding what was pushed would answer."""

    answers: ClassVar[list[int]] = []
    updates: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
        if "update" in form:
            self.updates.append(form["update"][0])
            status = self.answers.pop(0) if self.answers else 200
            self._answer(status, DEADLOCK if status == 500 else b"", "text/plain")
        else:
            count = {"head": {"vars": ["n"]}, "results": {"bindings": [{"n": {
                "type": "literal", "value": str(TRIPLES)}}]}}
            self._answer(200, json.dumps(count).encode(), "application/sparql-results+json")

    def _answer(self, status: int, body: bytes, media_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", media_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def endpoint(monkeypatch):
    monkeypatch.setattr(push_module, "DEADLOCK_PAUSE", 0.0)
    Deadlocking.updates = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Deadlocking)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/sparql-auth"
    httpd.shutdown()
    httpd.server_close()


def kinds(updates: list[str]) -> list[str]:
    return [update.split(None, 1)[0] for update in updates]


def test_a_deadlocked_update_is_sent_again_and_the_push_completes(endpoint):
    Deadlocking.answers = [500, 500]
    pushed = push([Part(GRAPH, (PROJECT.ontology_path,))], Server(endpoint),
                  batch_size=10_000, say=quiet)
    assert pushed.triples == {GRAPH: TRIPLES}
    assert kinds(Deadlocking.updates) == ["INSERT", "INSERT", "INSERT", "MOVE"]
    assert len(set(Deadlocking.updates[:3])) == 1  # the same batch each time


def test_a_deadlock_that_persists_fails_the_push_saying_so(endpoint):
    Deadlocking.answers = [500, 500, 500]
    with pytest.raises(LactgraphError, match=r"HTTP 500 .*SR172: Transaction deadlocked "
                                             r"\(3 tries\)$"):
        push([Part(GRAPH, (PROJECT.ontology_path,))], Server(endpoint), batch_size=10_000,
             say=quiet)
    assert kinds(Deadlocking.updates) == ["INSERT", "INSERT", "INSERT", "DROP"]
