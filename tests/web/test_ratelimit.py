"""The SPARQL budget: query time per client and minute, 429 with Retry-After past it.

A live server with a budget of 1 s over a graph where a counting query takes a few tenths
of a second: a few of them spend the budget. Other clients connect from other loopback
addresses (Linux answers on all of 127/8), one of them a trusted proxy.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from lactgraph.config import Settings, settings_from_env
from lactgraph.errors import LactgraphError
from lactgraph.web.ratelimit import OverBudget, QueryBudget, client_address, trusted_networks

from ..conftest import client

P = "http://example.org/p"
ITEMS = 1500
SLOW = f"SELECT (COUNT(*) AS ?n) WHERE {{ ?a <{P}> ?b . ?c <{P}> ?d }}"  # 2.25 M rows
QUICK = f"ASK {{ ?s <{P}> ?o }}"
PROXY = "127.0.0.3"


def ask(server, query: str, session: requests.Session | None = None,
        **headers: str) -> requests.Response:
    return (session or requests).get(
        server.url + "sparql", params={"query": query}, timeout=60,
        headers={"Accept": "application/sparql-results+json", **headers})


def write_items(folder: Path, count: int) -> Path:
    """A graph of count items with one value each: SLOW then counts count² rows."""
    (folder / "items.nt").write_text("".join(
        f'<http://example.org/item/{i}> <{P}> "{i:04d}" .\n' for i in range(count)))
    return folder


@pytest.fixture(scope="module")
def items_graph(tmp_path_factory):
    return write_items(tmp_path_factory.mktemp("budget-graph"), ITEMS)


@pytest.fixture(scope="module")
def budgeted(start_server, items_graph):
    return start_server("--graph", str(items_graph), "--sparql-budget", "1",
                        "--trusted-proxy", PROXY)


def _spend_the_budget(server, session: requests.Session | None = None) -> requests.Response:
    for _ in range(10):
        response = ask(server, SLOW, session)
        if response.status_code != 200:
            return response
    pytest.fail("ten slow queries did not spend a budget of 1 s")


def test_a_client_over_budget_gets_429_with_retry_after(budgeted):
    answered = ask(budgeted, SLOW)
    assert answered.status_code == 200, answered.text
    refused = _spend_the_budget(budgeted)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["Content-Type"].startswith("text/plain")
    assert "1 s of SPARQL query time per minute" in refused.text
    assert f"try again in {refused.headers['Retry-After']} s" in refused.text
    assert ask(budgeted, QUICK).status_code == 429  # even a cheap query waits
    page = budgeted.url + "sparql"
    in_the_page = requests.post(page, data={"query": QUICK}, timeout=10,
                                headers={"Accept": "text/html"})
    assert in_the_page.status_code == 429
    assert "SPARQL query time per minute" in in_the_page.text
    assert "<textarea" in in_the_page.text  # the query page, with the error in it


def test_other_clients_keep_their_own_budget(budgeted):
    _spend_the_budget(budgeted)
    other = ask(budgeted, QUICK, client("127.0.0.2"))
    assert other.status_code == 200
    assert other.json()["boolean"] is True


def test_forwarded_for_is_believed_only_from_a_trusted_proxy(budgeted):
    _spend_the_budget(budgeted)
    spoofed = ask(budgeted, QUICK, **{"X-Forwarded-For": "198.51.100.7"})
    assert spoofed.status_code == 429  # 127.0.0.1 is no proxy: its header is ignored
    proxy = client(PROXY)
    assert ask(budgeted, QUICK, proxy, **{"X-Forwarded-For": "198.51.100.7"}).ok
    # the rightmost address that is not a trusted proxy is the client: here 127.0.0.1
    forged = ask(budgeted, QUICK, proxy, **{"X-Forwarded-For": "198.51.100.8, 127.0.0.1"})
    assert forged.status_code == 429


def test_the_service_description_states_the_budget(budgeted):
    description = requests.get(budgeted.url + "sparql", headers={"Accept": "text/turtle"},
                               timeout=10)
    assert "1 s of query time per minute (429 with Retry-After" in description.text


def test_the_budget_and_proxies_come_from_the_environment():
    settings = settings_from_env({"LACTGRAPH_SPARQL_BUDGET": "0",
                                  "LACTGRAPH_TRUSTED_PROXIES": "10.0.0.1, 10.1.0.0/16"})
    assert settings.sparql_budget == 0.0
    assert settings.trusted_proxies == ("10.0.0.1", "10.1.0.0/16")
    assert Settings().sparql_budget == 60.0  # on by default
    with pytest.raises(LactgraphError, match=r"'10\.0\.0\.300' is not an IP address"):
        trusted_networks(("10.0.0.300",))


def test_budget_zero_turns_the_limit_off(start_server, items_graph):
    unlimited = start_server("--graph", str(items_graph), "--sparql-budget", "0")
    for _ in range(5):  # about 2 s of query time, twice what the limited server allows
        assert ask(unlimited, SLOW).status_code == 200


# --- the budget itself, on a clock the test moves ---------------------------------------

class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _spend(budget: QueryBudget, clock: Clock, who: str, seconds: float) -> None:
    with budget.spending(who):
        clock.now += seconds


def test_the_window_slides_and_retry_after_says_when():
    clock = Clock()
    budget = QueryBudget(10.0, clock=clock)
    _spend(budget, clock, "a", 4.0)  # ends at 1004
    clock.now += 10.0
    _spend(budget, clock, "a", 7.0)  # ends at 1021: 11 s spent
    with pytest.raises(OverBudget) as refused:
        _spend(budget, clock, "a", 1.0)
    # the first 4 s leave the window at 1064, which brings 11 s under 10
    assert refused.value.retry_after == 1064 - 1021
    _spend(budget, clock, "b", 1.0)  # another client is not affected
    clock.now = 1064.0
    _spend(budget, clock, "a", 1.0)


def test_running_queries_count_against_the_budget():
    clock = Clock()
    budget = QueryBudget(5.0, clock=clock)
    with budget.spending("a"):
        clock.now += 6.0  # still running, already over
        with pytest.raises(OverBudget) as refused:
            _spend(budget, clock, "a", 0.0)
    assert refused.value.retry_after == 60


def test_a_budget_of_zero_admits_everything():
    clock = Clock()
    budget = QueryBudget(0.0, clock=clock)
    for _ in range(100):
        _spend(budget, clock, "a", 10.0)


def test_clients_with_nothing_in_the_window_are_forgotten():
    clock = Clock()
    budget = QueryBudget(5.0, clock=clock)
    for who in range(1000):
        _spend(budget, clock, str(who), 0.001)
    clock.now += 61.0
    _spend(budget, clock, "late", 0.1)
    assert list(budget._clients) == ["late"]


@pytest.mark.parametrize(("remote", "forwarded", "proxies", "expected"), [
    ("192.0.2.1", "198.51.100.7", (), "192.0.2.1"),
    ("10.0.0.2", "198.51.100.7", ("10.0.0.0/8",), "198.51.100.7"),
    ("10.0.0.2", "203.0.113.1, 198.51.100.7, 10.0.0.9", ("10.0.0.0/8",), "198.51.100.7"),
    ("10.0.0.2", "10.0.0.8, 10.0.0.9", ("10.0.0.0/8",), "10.0.0.8"),
    ("10.0.0.2", "nonsense, 198.51.100.7", ("10.0.0.0/8",), "198.51.100.7"),
    ("10.0.0.2", "198.51.100.7, nonsense", ("10.0.0.0/8",), "10.0.0.2"),
    ("10.0.0.2", "", ("10.0.0.0/8",), "10.0.0.2"),
    ("::1", "2001:db8::5", ("::1",), "2001:db8::5"),
    (None, None, (), "unknown"),
])
def test_the_client_address(remote, forwarded, proxies, expected):
    assert client_address(remote, forwarded, trusted_networks(proxies)) == expected
