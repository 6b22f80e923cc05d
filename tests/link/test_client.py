"""The polite SPARQL client: User-Agent, back-off on 429 honouring Retry-After, the cache."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from lactgraph.link.client import USER_AGENT, LinkError, SparqlClient, retry_after

from .conftest import WIKIDATA
from .endpoint import Answer, LoopbackEndpoint

TAXA = ("SELECT ?item WHERE { ?item <http://www.wikidata.org/prop/direct/P31> "
        "<http://www.wikidata.org/entity/Q16521> } ORDER BY ?item")
TOO_MANY = "429 Too Many Requests"


def taxa(rows) -> list[str]:
    return [str(row["item"]).rsplit("/", 1)[1] for row in rows]


def test_a_query_is_answered_with_our_user_agent(wikidata):
    client = SparqlClient(wikidata.url)
    assert taxa(client.select(TAXA)) == ["Q90000003", "Q90000004", "Q90000005", "Q90000006"]
    assert re.fullmatch(r"lactgraph/\S+ \(\+https://w3id\.org/lactgraph/; linker\)", USER_AGENT)
    assert [seen.user_agent for seen in wikidata.seen] == [USER_AGENT]


def test_429_with_retry_after_waits_that_long_then_succeeds():
    script = [Answer(TOO_MANY, [("Retry-After", "1")])]
    with LoopbackEndpoint([WIKIDATA], script) as endpoint:
        client = SparqlClient(endpoint.url)
        assert len(client.select(TAXA)) == 4
    first, second = endpoint.seen
    assert second.at - first.at >= 1.0  # real time: the server saw us wait as asked
    assert client.requests == 2


def test_back_off_without_retry_after_grows_and_gives_up_after_max_retries():
    script = [Answer(TOO_MANY)] * 4
    waits: list[float] = []
    with LoopbackEndpoint([WIKIDATA], script) as endpoint:
        client = SparqlClient(endpoint.url, max_retries=3, sleep=waits.append)
        with pytest.raises(LinkError, match=r"still answering 429 after 4 tries; try again"):
            client.select(TAXA)
    assert waits == [1.0, 2.0, 4.0]
    assert endpoint.requests == 4


def test_503_retry_after_is_honoured_too_and_capped_waits_are_refused():
    script = [Answer("503 Service Unavailable", [("Retry-After", "7")]),
              Answer(TOO_MANY, [("Retry-After", "3600")])]
    waits: list[float] = []
    with LoopbackEndpoint([WIKIDATA], script) as endpoint:
        client = SparqlClient(endpoint.url, max_wait=60, sleep=waits.append)
        with pytest.raises(LinkError, match=r"answered 429 asking to wait 3600 s \(more than 60 s"):
            client.select(TAXA)
    assert waits == [7.0]  # never retried earlier than asked
    assert endpoint.requests == 2


def test_retry_after_reads_seconds_and_http_dates():
    now = datetime(2025, 1, 2, 12, 0, 0, tzinfo=UTC)
    assert retry_after("120", now) == 120.0
    assert retry_after("Thu, 02 Jan 2025 12:00:30 GMT", now) == 30.0
    assert retry_after("Thu, 02 Jan 2025 11:00:00 GMT", now) == 0.0
    assert retry_after("soon", now) is None
    assert retry_after(None, now) is None


def test_answers_are_cached_by_endpoint_and_query(tmp_path, wikidata):
    first = SparqlClient(wikidata.url, tmp_path)
    rows = first.select(TAXA)
    again = SparqlClient(wikidata.url, tmp_path)
    assert again.select(TAXA) == rows
    assert (again.requests, again.cache_hits) == (0, 1)
    assert wikidata.requests == 1
    again.select(TAXA.replace("Q16521", "Q2095"))  # another query: asked
    assert wikidata.requests == 2
    with LoopbackEndpoint([WIKIDATA]) as other:  # another endpoint: asked
        SparqlClient(other.url, tmp_path).select(TAXA)
        assert other.requests == 1


def test_a_damaged_cache_entry_is_asked_again(tmp_path, wikidata):
    SparqlClient(wikidata.url, tmp_path).select(TAXA)
    for entry in tmp_path.rglob("*.json"):
        entry.write_text("{not json")
    client = SparqlClient(wikidata.url, tmp_path)
    assert len(client.select(TAXA)) == 4
    assert client.requests == 1


def test_errors_are_one_line(wikidata):
    with pytest.raises(LinkError, match=r"QueryBadFormed") as bad:
        SparqlClient(wikidata.url).select("SELECT WHERE {")
    assert "\n" not in str(bad.value)
    with LoopbackEndpoint() as gone:
        url = gone.url
    with pytest.raises(LinkError, match=r"cannot connect"):
        SparqlClient(url, timeout=5).select(TAXA)
