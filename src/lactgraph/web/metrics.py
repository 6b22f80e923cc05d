"""/metrics in the Prometheus text format: what the server answers and what SPARQL costs.

- `lactgraph_http_requests_total{route, method, status}`: every answer, by URL rule
  (`/<kind>/<key>`, never the path itself, so that the series stay few), method and status;
- `lactgraph_sparql_query_duration_seconds{outcome}`: the time of each public query
  (`ok`, `bad_query`, `not_acceptable`, `timeout`, `failed`); its `_count` counts them;
- `lactgraph_sparql_timeouts_total`, `lactgraph_sparql_rate_limited_total`: queries
  stopped at the deadline, and refused with 429 before running;
- `lactgraph_sparql_worker_restarts_total{reason}`: worker processes replaced, killed at
  the deadline (`timeout`) or at the fast lane's limit (`fast_lane`: the query goes on in
  another worker), or found dead or broken (`died`);
- `lactgraph_document_cache_requests_total{result}`: entity documents answered from the
  worker's cache of rendered documents (`hit`), rendered (`miss`), or answered 304 to a
  client naming the current ETag before either (`revalidated`), and
  `lactgraph_document_cache_bytes`, what that cache holds;
- the process's own CPU, memory and file descriptors (`process_*`).

Each app has its own registry (two apps in one process do not mix their counts). No label
holds a client address or a query: those belong in the query log, not in a time series.
Under `gunicorn -w N` each worker process counts its own requests and a scrape sees one of
them; run `lactgraph serve` (threads, one process) when the counts must be whole.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, Response, current_app, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
)

from ..store.querypool import QueryPool
from .document_cache import DocumentCache

_KEY = "lactgraph.metrics"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"})
_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    """The app's metrics, in a registry of their own."""

    def __init__(self, documents: DocumentCache) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "lactgraph_http_requests", "HTTP requests answered, by URL rule, method and status.",
            ("route", "method", "status"), registry=self.registry)
        self.query_seconds = Histogram(
            "lactgraph_sparql_query_duration_seconds",
            "Time of public SPARQL queries, by outcome.", ("outcome",), buckets=_BUCKETS,
            registry=self.registry)
        self.timeouts = Counter(
            "lactgraph_sparql_timeouts", "SPARQL queries stopped at the deadline.",
            registry=self.registry)
        self.rate_limited = Counter(
            "lactgraph_sparql_rate_limited",
            "SPARQL queries refused (429) because their client had spent its budget.",
            registry=self.registry)
        self.worker_restarts = Counter(
            "lactgraph_sparql_worker_restarts", "SPARQL worker processes replaced, by reason.",
            ("reason",), registry=self.registry)
        self.documents = Counter(
            "lactgraph_document_cache_requests",
            "Entity documents answered from the cache of rendered documents, or rendered.",
            ("result",), registry=self.registry)
        Gauge("lactgraph_document_cache_bytes", "Bytes of rendered documents kept.",
              registry=self.registry).set_function(lambda: documents.size)
        ProcessCollector(registry=self.registry)

    def count_request(self, response: Response) -> Response:
        """Count an answer (an `after_request` function)."""
        route = request.url_rule.rule if request.url_rule else "(no route)"
        method = request.method if request.method in _METHODS else "(other)"
        self.requests.labels(route, method, str(response.status_code)).inc()
        return response

    def observe_query(self, outcome: str, seconds: float) -> None:
        """Record one public query that ran (or was refused) after `seconds`."""
        self.query_seconds.labels(outcome).observe(seconds)
        if outcome == "timeout":
            self.timeouts.inc()

    def exposition(self) -> Response:
        response = Response(generate_latest(self.registry), content_type=CONTENT_TYPE_LATEST)
        response.headers["Cache-Control"] = "no-store"
        return response


def metrics() -> Metrics:
    """The running app's metrics."""
    return current_app.extensions[_KEY]


def query_pool(store_dir: Path, workers: int, timeout: float) -> QueryPool:
    """A worker pool whose restarts this app's metrics count, by reason."""
    restarts = metrics().worker_restarts
    return QueryPool(store_dir, workers, timeout,
                     on_replace=lambda reason: restarts.labels(reason).inc())


def init_app(app: Flask, documents: DocumentCache) -> None:
    """Count every answer and serve /metrics."""
    app.extensions[_KEY] = found = Metrics(documents)
    app.after_request(found.count_request)
    app.add_url_rule("/metrics", "metrics", found.exposition)
