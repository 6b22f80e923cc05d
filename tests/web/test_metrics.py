"""/metrics: the Prometheus text format, parsed by prometheus_client's own parser, and
counters that move with what the server did (answers, query outcomes, timeouts, 429s,
worker restarts)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from ..conftest import client
from .routes import FIXTURE_GRAPH

EXPENSIVE = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?b . ?c ?q ?d . ?e ?r ?f }"
QUICK = "ASK { ?s ?p ?o }"
RESTARTS = "lactgraph_sparql_worker_restarts_total"
REASONS = ("fast_lane", "timeout", "died")

Samples = dict[tuple[str, frozenset], float]


@pytest.fixture(scope="module")
def metered(start_server):
    """A 1 s deadline and a budget of 1 s: one query past the deadline spends the budget.

    Two queries from another client first start both query workers, so that no start-up
    time is charged to the budget of the client under test."""
    server = start_server("--graph", str(FIXTURE_GRAPH), "--query-timeout", "1",
                          "--sparql-budget", "1")
    warm = client("127.0.0.2")
    for _ in range(2):
        warm.get(server.url + "sparql", params={"query": QUICK}, timeout=30)
    return server


def scrape(server) -> Samples:
    response = requests.get(server.url + "metrics", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(response.text)
            for sample in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def restarts(samples: Samples) -> dict[str, float]:
    """Worker restarts so far, by reason."""
    return {reason: value(samples, RESTARTS, reason=reason) for reason in REASONS}


def sparql(server, query: str) -> requests.Response:
    return requests.get(server.url + "sparql", params={"query": query}, timeout=30,
                        headers={"Accept": "application/sparql-results+json"})


def test_the_exposition_names_and_describes_every_metric(metered):
    response = requests.get(metered.url + "metrics", timeout=10)
    families = {family.name: family for family in text_string_to_metric_families(response.text)}
    for name, kind in [("lactgraph_http_requests", "counter"),
                       ("lactgraph_sparql_query_duration_seconds", "histogram"),
                       ("lactgraph_sparql_timeouts", "counter"),
                       ("lactgraph_sparql_rate_limited", "counter"),
                       ("lactgraph_sparql_worker_restarts", "counter"),
                       ("process_resident_memory_bytes", "gauge")]:
        assert families[name].type == kind
        assert families[name].documentation
    assert response.headers["Cache-Control"] == "no-store"


def test_counters_move_with_requests_and_queries(metered):
    before = scrape(metered)
    assert requests.get(metered.url + "product/ibuprofen.ttl", timeout=10).status_code == 200
    assert requests.get(metered.url + "product/nothing.ttl", timeout=10).status_code == 404
    assert sparql(metered, QUICK).status_code == 200
    assert sparql(metered, "SELECT WHERE {").status_code == 400
    assert sparql(metered, EXPENSIVE).status_code == 503  # stopped at 1 s: the budget is spent
    assert sparql(metered, QUICK).status_code == 429
    after = scrape(metered)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    requests_total = "lactgraph_http_requests_total"
    entity_rule = next(dict(labels)["route"] for name, labels in after
                       if name == requests_total and dict(labels)["route"].endswith(":kind>/<key>"))
    assert moved(requests_total, route=entity_rule, method="GET", status="200") == 1
    assert moved(requests_total, route=entity_rule, method="GET", status="404") == 1
    assert moved(requests_total, route="/sparql", method="GET", status="429") == 1
    assert moved(requests_total, route="/metrics", method="GET", status="200") == 1
    durations = "lactgraph_sparql_query_duration_seconds"
    for outcome in ("ok", "bad_query", "timeout"):
        assert moved(f"{durations}_count", outcome=outcome) == 1, outcome
    assert moved(f"{durations}_sum", outcome="timeout") >= 0.9
    assert moved(f"{durations}_bucket", outcome="timeout", le="0.5") == 0
    assert moved(f"{durations}_bucket", outcome="timeout", le="+Inf") == 1
    assert moved("lactgraph_sparql_timeouts_total") == 1
    assert moved("lactgraph_sparql_rate_limited_total") == 1
    # the expensive query left the fast lane (its worker replaced), then was stopped at 1 s
    assert moved(RESTARTS, reason="fast_lane") == 1
    assert moved(RESTARTS, reason="timeout") == 1
    assert moved(RESTARTS, reason="died") == 0


def test_a_query_that_left_the_fast_lane_goes_straight_to_the_other_worker(metered):
    """The second time, the known-slow query costs one restart (its time-out), not two.
    Each run from a client of its own: one such query spends a client's 1 s budget."""
    query = EXPENSIVE + " # a text of its own: known to no other test"
    counts = [restarts(scrape(metered))]
    for address in ("127.0.0.3", "127.0.0.4"):
        answer = client(address).get(metered.url + "sparql", params={"query": query},
                                     timeout=30)
        assert answer.status_code == 503, answer.text
        counts.append(restarts(scrape(metered)))
    moved = [{reason: after[reason] - before[reason] for reason in REASONS}
             for before, after in pairwise(counts)]
    assert moved == [{"fast_lane": 1, "timeout": 1, "died": 0},
                     {"fast_lane": 0, "timeout": 1, "died": 0}]


@pytest.fixture(scope="module")
def three_workers(start_server):
    """A fast lane and two other query workers, a 2 s deadline, no budget."""
    server = start_server("--graph", str(FIXTURE_GRAPH), "--query-timeout", "2",
                          "--query-workers", "3", "--sparql-budget", "0")
    assert sparql(server, QUICK).status_code == 200
    return server


def test_a_query_waiting_for_the_fast_lane_follows_its_twin_out_of_it(three_workers):
    """Two copies of a new expensive query at once: the second waits for the fast lane
    while the first leaves it, then goes straight to the other workers. One fast-lane
    exit and two time-outs; two exits if the second ran its own fast-lane time."""
    query = EXPENSIVE + " # twins"
    before = restarts(scrape(three_workers))
    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(lambda _: sparql(three_workers, query), range(2)))
    assert [answer.status_code for answer in answers] == [503, 503]
    after = restarts(scrape(three_workers))
    assert {reason: after[reason] - before[reason] for reason in REASONS} == {
        "fast_lane": 1, "timeout": 2, "died": 0}


def test_paths_do_not_become_series(metered):
    """Routes are labelled by their rule, so a crawler cannot make a series per URL."""
    for key in ("a", "b", "c"):
        requests.get(metered.url + f"group/{key}.ttl", timeout=10)
    requests.request("BREW", metered.url, timeout=10)
    routes = {dict(labels).get("route") for (name, labels) in scrape(metered)
              if name == "lactgraph_http_requests_total"}
    assert not any(route and "group/" in route for route in routes)
    methods = {dict(labels).get("method") for (name, labels) in scrape(metered)
               if name == "lactgraph_http_requests_total"}
    assert "BREW" not in methods and "(other)" in methods
