"""Every public SPARQL query is admitted, timed and written down in one place.

The protocol front (sparql.py) hands a job to `run_query` instead of to the pool: the
client's budget admits it or raises `OverBudget` (429), the metrics record its outcome and
time, and the query log gets a line, whatever happened (a refused SERVICE, a syntax error,
a timeout, a 429 are what an operator looks for).

The budget and the log are made once per app by `init_app(app, settings)`.
"""

from __future__ import annotations

import time
from typing import Protocol

from flask import Flask, current_app, request

from ..config import Settings
from ..querylog import QueryLog, entry
from ..store.querypool import (
    QueryAnswer,
    QueryJob,
    QueryRefused,
    QuerySyntaxError,
    QueryTimeout,
)
from .metrics import metrics
from .ratelimit import OverBudget, QueryBudget, client_address, trusted_networks

_KEY = "lactgraph.accounting"
STATUS = {"ok": 200, "bad_query": 400, "not_acceptable": 406, "rate_limited": 429,
          "failed": 500, "timeout": 503}


class Runner(Protocol):
    """What answers public queries: the worker pool, or a remote store."""

    def run(self, job: QueryJob) -> QueryAnswer: ...


class Accounting:
    """The app's query budget, its trusted proxies and its query log."""

    def __init__(self, settings: Settings) -> None:
        self.budget = QueryBudget(settings.sparql_budget)
        self.networks = trusted_networks(settings.trusted_proxies)
        self.log = QueryLog(settings.query_log)

    def client(self) -> str:
        """The address the request is from (X-Forwarded-For only from trusted proxies)."""
        return client_address(request.remote_addr, request.headers.get("X-Forwarded-For"),
                              self.networks)


def _outcome(error: BaseException | None, answer: QueryAnswer | None) -> str:
    if answer is not None:
        return "ok" if answer.media_type else "not_acceptable"
    if isinstance(error, OverBudget):
        return "rate_limited"
    if isinstance(error, QueryRefused | QuerySyntaxError):
        return "bad_query"
    if isinstance(error, QueryTimeout):
        return "timeout"
    return "failed"


def run_query(pool: Runner, job: QueryJob) -> QueryAnswer:
    """The pool's answer to a public query, charged to its client, measured and logged."""
    accounting: Accounting = current_app.extensions[_KEY]
    client = accounting.client()
    started = time.monotonic()
    answer: QueryAnswer | None = None
    error: BaseException | None = None
    try:
        with accounting.budget.spending(client):
            answer = pool.run(job)
        return answer
    except BaseException as raised:
        error = raised
        raise
    finally:
        seconds = time.monotonic() - started
        outcome = _outcome(error, answer)
        if outcome == "rate_limited":
            metrics().rate_limited.inc()
        else:
            metrics().observe_query(outcome, seconds)
        accounting.log.write(entry(job.query, seconds, answer.count if answer else 0,
                                   STATUS[outcome], outcome, client))


def init_app(app: Flask, settings: Settings) -> None:
    app.extensions[_KEY] = Accounting(settings)
