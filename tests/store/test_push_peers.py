"""`lactgraph push` against loopback stand-ins for SPARQL servers that behave, on cue, as
real ones do now and then, or as the one in the tests (Virtuoso) never does:

- a deadlock: Virtuoso's parallel loader deadlocks now and then on a fresh database (seen
  once in five pushes of 195k triples), but not on demand. It answers HTTP 500, "Virtuoso
  40001 Error SR172: Transaction deadlocked", the transaction rolled back;
- Basic auth (Fuseki's), where Virtuoso asks for Digest."""

from __future__ import annotations

import base64
import json
from typing import ClassVar
from urllib.parse import parse_qs

import pytest

from lactgraph import sparql_client
from lactgraph.errors import LactgraphError
from lactgraph.push import Part, push
from lactgraph.rdfio import read_graph
from lactgraph.sparql_client import Server

from ..loopback import Answering, serving
from ..virtuoso import quiet
from .conftest import PROJECT

DEADLOCK = (b"Virtuoso 40001 Error SR172: Transaction deadlocked\n\n"
            b"SPARQL query:\nINSERT { ... }")
GRAPH = "urn:lactgraph:test:ontology"
TRIPLES = len(read_graph([PROJECT.ontology_path]))
PARTS = [Part(GRAPH, (PROJECT.ontology_path,))]


class StandIn(Answering):
    """Updates and PUTs answered by `status()`, each recorded as (method, first word or
    body size, authorization); queries: a count of TRIPLES, as a server holding what was
    pushed would answer, and no staging graph left."""

    seen: ClassVar[list[tuple[str, str | int, str | None]]] = []

    def status(self) -> int:
        return 200

    def do_POST(self) -> None:
        form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
        if "update" in form:
            self.seen.append(("POST", form["update"][0].split(None, 1)[0],
                              self.headers["Authorization"]))
            status = self.status()
            self.answer(status, DEADLOCK if status == 500 else b"", "text/plain")
        else:  # a count of what was pushed, or no graph left by an earlier push
            count = {"n": {"type": "literal", "value": str(TRIPLES)}}
            rows = [count] if "COUNT" in form["query"][0] else []
            answer = {"head": {"vars": list(count)}, "results": {"bindings": rows}}
            self.answer(200, json.dumps(answer).encode(), "application/sparql-results+json")

    def do_PUT(self) -> None:
        size = int(self.headers["Content-Length"])
        self.rfile.read(size)
        self.seen.append(("PUT", size, self.headers["Authorization"]))
        self.answer(self.status(), b"", "text/plain")


class Deadlocking(StandIn):
    """Updates answered by the next of `answers`, then 200."""

    answers: ClassVar[list[int]] = []

    def status(self) -> int:
        return self.answers.pop(0) if self.answers else 200


class BasicAuth(StandIn):
    """Everything refused without `dba:dba` in Basic auth, as Fuseki's Shiro does."""

    CREDENTIALS = "Basic " + base64.b64encode(b"dba:dba").decode()

    def status(self) -> int:
        return 200 if self.headers["Authorization"] == self.CREDENTIALS else 401

    def answer(self, status: int, body: bytes, media_type: str,
               headers: dict[str, str] | None = None) -> None:
        if status == 401:
            headers = {"WWW-Authenticate": 'Basic realm="fuseki"'}
        super().answer(status, body, media_type, headers)


@pytest.fixture
def standin(monkeypatch):
    """serving(handler) with no pause between tries and a fresh record."""
    monkeypatch.setattr(sparql_client, "DEADLOCK_PAUSE", 0.0)
    StandIn.seen = []
    return serving


def test_a_deadlocked_update_is_sent_again_and_the_push_completes(standin):
    Deadlocking.answers = [500, 500]
    with standin(Deadlocking) as url:
        pushed = push(PARTS, Server(url + "sparql"), batch_size=10_000, say=quiet)
    assert pushed.triples == {GRAPH: TRIPLES}
    assert [word for _, word, _ in StandIn.seen] == ["INSERT", "INSERT", "INSERT", "MOVE"]


def test_a_deadlock_that_persists_fails_the_push_saying_so(standin):
    Deadlocking.answers = [500, 500, 500]
    with standin(Deadlocking) as url, pytest.raises(
            LactgraphError, match=r"HTTP 500 .*SR172: Transaction deadlocked \(3 tries\)$"):
        push(PARTS, Server(url + "sparql"), batch_size=10_000, say=quiet)
    assert [word for _, word, _ in StandIn.seen] == ["INSERT", "INSERT", "INSERT", "DROP"]


def test_basic_auth_goes_up_front_once_asked_for(standin):
    """Sent bare, the data's PUT met its 401 with the whole body on its way (the case that
    made Virtuoso reset the connection past 650 KB)."""
    with standin(BasicAuth) as url:
        pushed = push(PARTS, Server(url + "sparql", url + "crud", "dba", "dba"), say=quiet)
    assert pushed.triples == {GRAPH: TRIPLES}
    credentials = BasicAuth.CREDENTIALS
    puts = [(size > 0, authorization) for method, size, authorization in StandIn.seen
            if method == "PUT"]
    assert puts == [(False, None), (False, credentials), (True, credentials)]
    updates = [authorization for method, _, authorization in StandIn.seen if method == "POST"]
    assert updates == [credentials]  # the MOVE, up front too
