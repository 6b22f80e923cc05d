"""A polite SPARQL client for public endpoints (Wikidata's first of all).

What the Wikidata Query Service asks of robots, done once here: a User-Agent that says who
we are and where to read about us; one request at a time (a lock, and an optional pause
between requests); on 429 or 503, waiting as long as Retry-After says (never retrying
earlier: if the endpoint asks for more than `max_wait`, we stop and say so), else backing
off exponentially, for at most `max_retries` retries. Answers are cached on disk, keyed by
endpoint and query, so a second run over the same graph sends nothing.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import logging
import threading
import time
import urllib.error
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rdflib import BNode, Literal, URIRef
from rdflib.term import Node
from SPARQLWrapper import JSON, POST, URLENCODED, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

from .. import __version__
from ..errors import LactgraphError
from ..rdfio import write_atomically

USER_AGENT = f"lactgraph/{__version__} (+https://w3id.org/lactgraph/; linker)"
RETRY_STATUSES = (429, 503)

log = logging.getLogger(__name__)

Row = dict[str, Node]


class LinkError(LactgraphError):
    """The endpoint could not be asked, or would not answer."""


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _term(binding: dict[str, str]) -> Node:
    kind, value = binding.get("type"), binding.get("value", "")
    if kind == "uri":
        return URIRef(value)
    if kind == "bnode":
        return BNode(value)
    if binding.get("xml:lang"):
        return Literal(value, lang=binding["xml:lang"])
    datatype = binding.get("datatype")
    return Literal(value, datatype=URIRef(datatype) if datatype else None)


def rows(results: dict[str, Any]) -> list[Row]:
    """SPARQL JSON results as rows of rdflib terms."""
    bindings = results.get("results", {}).get("bindings", [])
    return [{name: _term(value) for name, value in row.items()} for row in bindings]


class SparqlClient:
    """SELECT queries against one endpoint, politely, with an on-disk cache of answers."""

    def __init__(
        self,
        endpoint: str,
        cache_dir: Path | None = None,
        *,
        user_agent: str = USER_AGENT,
        timeout: float = 60.0,
        max_retries: int = 4,
        max_wait: float = 120.0,
        pause: float = 0.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.endpoint = endpoint
        self.cache_dir = cache_dir
        self.user_agent = user_agent
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_wait = max_wait
        self.pause = pause
        self.sleep = sleep
        self.clock = clock
        self.requests = 0  # HTTP requests sent (retries included)
        self.cache_hits = 0
        self._lock = threading.Lock()
        self._last_request: float | None = None

    def select(self, query: str) -> list[Row]:
        """The rows of a SELECT query, from the cache if it was asked before."""
        results = self._cached(query)
        if results is None:
            results = self._fetch(query)
            self._store(query, results)
        else:
            self.cache_hits += 1
        return rows(results)

    # -- cache ---------------------------------------------------------------------------

    def _cache_path(self, query: str) -> Path | None:
        if self.cache_dir is None:
            return None
        key = hashlib.sha256(f"{self.endpoint}\n{query}".encode()).hexdigest()
        return self.cache_dir / key[:2] / f"{key}.json"

    def _cached(self, query: str) -> dict[str, Any] | None:
        path = self._cache_path(query)
        if path is None or not path.is_file():
            return None
        try:
            entry = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            return None  # a damaged entry is asked again
        if entry.get("endpoint") != self.endpoint or entry.get("query") != query:
            return None
        return entry.get("results")

    def _store(self, query: str, results: dict[str, Any]) -> None:
        path = self._cache_path(query)
        if path is not None:
            entry = {"endpoint": self.endpoint, "query": query, "results": results}
            write_atomically(path, json.dumps(entry, ensure_ascii=False).encode("utf-8"))

    # -- network -------------------------------------------------------------------------

    def _wait_turn(self) -> None:
        if self._last_request is not None and self.pause > 0:
            remaining = self.pause - (self.clock() - self._last_request)
            if remaining > 0:
                self.sleep(remaining)

    def _request(self, query: str) -> dict[str, Any]:
        sparql = SPARQLWrapper(self.endpoint, agent=self.user_agent)
        sparql.setMethod(POST)
        sparql.setRequestMethod(URLENCODED)
        sparql.setReturnFormat(JSON)
        sparql.setTimeout(max(1, round(self.timeout)))
        sparql.setQuery(query)
        results = sparql.queryAndConvert()
        if not isinstance(results, dict):
            raise LinkError(f"{self.endpoint}: the answer is not SPARQL JSON results")
        return results

    def _delay(self, error: urllib.error.HTTPError, attempt: int) -> float:
        """How long to wait before the next try; raises when we should not try again."""
        asked = retry_after(error.headers.get("Retry-After") if error.headers else None)
        if asked is not None and asked > self.max_wait:
            raise LinkError(f"{self.endpoint}: answered {error.code} asking to wait {asked:.0f} s "
                            f"(more than {self.max_wait:.0f} s); try again later")
        if attempt >= self.max_retries:
            raise LinkError(f"{self.endpoint}: still answering {error.code} after "
                            f"{attempt + 1} tries; try again later")
        return asked if asked is not None else min(2.0 ** attempt, self.max_wait)

    def _fetch(self, query: str) -> dict[str, Any]:
        with self._lock:  # one request at a time, even if callers use threads
            attempt = 0
            while True:
                self._wait_turn()
                self.requests += 1
                try:
                    return self._request(query)
                except urllib.error.HTTPError as error:
                    if error.code not in RETRY_STATUSES:
                        raise LinkError(f"{self.endpoint}: HTTP {error.code} "
                                        f"{error.reason}") from None
                    delay = self._delay(error, attempt)
                    log.info("%s answered %s; waiting %.1f s", self.endpoint, error.code, delay)
                    self.sleep(delay)
                    attempt += 1
                except SPARQLWrapperException as error:
                    first = str(error).strip().splitlines()[0] if str(error).strip() else ""
                    raise LinkError(f"{self.endpoint}: {type(error).__name__}: "
                                    f"{first}") from None
                except urllib.error.URLError as error:
                    raise LinkError(f"{self.endpoint}: cannot connect ({error.reason})") from None
                except (TimeoutError, ValueError) as error:
                    raise LinkError(f"{self.endpoint}: {error or type(error).__name__}") from None
                finally:
                    self._last_request = self.clock()
