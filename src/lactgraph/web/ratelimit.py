"""A budget of SPARQL query time per client and minute, as the Wikidata Query Service has.

A few rows cost a client nothing; what is limited is the time its queries keep a worker
busy. Each client may spend `sparql_budget` seconds of query time in any sliding window of
60 seconds (0 turns the limit off). A query is admitted while the client has spent less
than that, counting both the queries that ended within the window and those still
running; the time a query took is charged when it ends. A client over budget gets 429
with `Retry-After`: the seconds until enough of its spending leaves the window.

**Who the client is.** The remote address of the connection. `X-Forwarded-For` is
believed only from a proxy named in `trusted_proxies` (addresses or networks, such as
`127.0.0.1` or `10.0.0.0/8`); the client is then the rightmost address in that header not
itself a trusted proxy, since every address to its left was written by the client and
could be anything. Without trusted proxies the header is ignored, so that nobody gets a
fresh budget by sending one.

**Limitation.** The budget lives in the memory of one process: under `gunicorn -w N` each
worker keeps its own, so a client may spend up to N times the budget. `lactgraph serve`
(one process, threads) is exact.

API::

    budget = QueryBudget(seconds=60.0)
    with budget.spending(client):      # raises OverBudget (retry_after) when spent
        pool.run(job)
    client_address(remote, forwarded_for, trusted_networks(("10.0.0.0/8",)))
"""

from __future__ import annotations

import ipaddress
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from ..errors import LactgraphError

WINDOW = 60.0  # seconds over which a client's query time is summed

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class OverBudget(LactgraphError):
    """A client spent its query time for now; retry_after is when enough will be free."""

    def __init__(self, budget: float, retry_after: int) -> None:
        super().__init__(
            f"this client has used its {budget:g} s of SPARQL query time per minute; "
            f"try again in {retry_after} s")
        self.retry_after = retry_after


@dataclass
class _Spending:
    """One client's charges (end time, seconds) in the window, and its running queries."""

    charges: deque[tuple[float, float]] = field(default_factory=deque)
    running: dict[int, float] = field(default_factory=dict)  # query id -> start time


class QueryBudget:
    """Per-client query time over a sliding window; thread-safe."""

    def __init__(self, seconds: float, window: float = WINDOW,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.window = window
        self._clock = clock
        self._clients: dict[str, _Spending] = {}
        self._lock = threading.Lock()
        self._next_id = 0
        self._next_sweep = 0.0

    @property
    def enabled(self) -> bool:
        return self.seconds > 0

    @contextmanager
    def spending(self, client: str) -> Iterator[None]:
        """Run the block as one of client's queries: refused when over budget, then charged."""
        if not self.enabled:
            yield
            return
        query_id = self._admit(client)
        try:
            yield
        finally:
            self._charge(client, query_id)

    def _admit(self, client: str) -> int:
        with self._lock:
            now = self._clock()
            self._sweep(now)
            spending = self._clients.setdefault(client, _Spending())
            self._expire(spending, now)
            spent = (sum(cost for _, cost in spending.charges)
                     + sum(now - start for start in spending.running.values()))
            if spent >= self.seconds:
                raise OverBudget(self.seconds, self._retry_after(spending, spent, now))
            self._next_id += 1
            spending.running[self._next_id] = now
            return self._next_id

    def _charge(self, client: str, query_id: int) -> None:
        with self._lock:
            now = self._clock()
            spending = self._clients.setdefault(client, _Spending())
            started = spending.running.pop(query_id, now)
            spending.charges.append((now, now - started))

    def _expire(self, spending: _Spending, now: float) -> None:
        while spending.charges and spending.charges[0][0] <= now - self.window:
            spending.charges.popleft()

    def _retry_after(self, spending: _Spending, spent: float, now: float) -> int:
        """Whole seconds until the charges leaving the window bring spent under budget."""
        for ended, cost in spending.charges:
            spent -= cost
            if spent < self.seconds:
                return max(1, math.ceil(ended + self.window - now))
        return max(1, math.ceil(self.window))  # running queries alone exceed the budget

    def _sweep(self, now: float) -> None:
        """Forget clients with nothing in the window, once a window (bounded memory)."""
        if now < self._next_sweep:
            return
        self._next_sweep = now + self.window
        for client, spending in list(self._clients.items()):
            self._expire(spending, now)
            if not spending.charges and not spending.running:
                del self._clients[client]


def trusted_networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    """The configured proxies as networks; a bad entry is an error at start, not per request."""
    networks = []
    for proxy in proxies:
        try:
            networks.append(ipaddress.ip_network(proxy, strict=False))
        except ValueError:
            raise LactgraphError(f"trusted_proxies: {proxy!r} is not an IP address or "
                                 "network") from None
    return tuple(networks)


def _trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(remote: str | None, forwarded_for: str | None,
                   networks: tuple[Network, ...]) -> str:
    """Who a request is from: the remote address, or what trusted proxies say it is."""
    client = remote or "unknown"
    if not forwarded_for or not _trusted(client, networks):
        return client
    for hop in reversed([hop.strip() for hop in forwarded_for.split(",")]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return client  # a hop no proxy would write: keep the last one we trust
        client = hop
        if not _trusted(hop, networks):
            return client
    return client
