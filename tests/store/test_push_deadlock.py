"""`lactgraph push` sends again a request whose transaction the server rolled back for a
deadlock. Virtuoso's parallel loader deadlocks now and then on a fresh database (seen once in
five pushes of 195k triples); it cannot be made to on demand, so a loopback server answers
as Virtuoso does then: HTTP 500, "Virtuoso 40001 Error SR172: Transaction deadlocked"."""

from __future__ import annotations

import json
from typing import ClassVar
from urllib.parse import parse_qs

import pytest

from lactgraph import push as push_module
from lactgraph.errors import LactgraphError
from lactgraph.push import Part, Server, push
from lactgraph.rdfio import read_graph

from ..loopback import Answering, serving
from .conftest import PROJECT, quiet

DEADLOCK = (b"Virtuoso 40001 Error SR172: Transaction deadlocked\n\n"
            b"SPARQL query:\nINSERT { ... }")
GRAPH = "urn:lactgraph:test:ontology"
TRIPLES = len(read_graph([PROJECT.ontology_path]))


class Deadlocking(Answering):
    """Updates: the next of `answers` (then 200), each recorded; queries: a count of
    TRIPLES, as a server holding what was pushed would answer."""

    answers: ClassVar[list[int]] = []
    updates: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
        if "update" in form:
            self.updates.append(form["update"][0])
            status = self.answers.pop(0) if self.answers else 200
            self.answer(status, DEADLOCK if status == 500 else b"", "text/plain")
        else:
            count = {"head": {"vars": ["n"]}, "results": {"bindings": [{"n": {
                "type": "literal", "value": str(TRIPLES)}}]}}
            self.answer(200, json.dumps(count).encode(), "application/sparql-results+json")


@pytest.fixture
def endpoint(monkeypatch):
    monkeypatch.setattr(push_module, "DEADLOCK_PAUSE", 0.0)
    Deadlocking.updates = []
    with serving(Deadlocking) as url:
        yield url + "sparql-auth"


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
