"""A log of the public SPARQL queries: what was asked, by whom, how long it took, how it ended.

One JSON object per line, so that `jq` or a few lines of Python can answer "which queries
time out", "who sends this query", "what did the slow minute at 03:12 run":

    {"time": "2025-01-02T03:04:05.678Z", "sha256": "...", "query": "SELECT ...",
     "duration": 0.042, "rows": 12, "status": 200, "outcome": "ok", "client": "192.0.2.7"}

The query is *normalised* (comments removed, runs of white space made one space; strings
and IRIs untouched), so that the same query typed twice has the same `sha256` however it
was indented. A normalised query longer than `MAX_LOGGED_CHARS` is cut in the log (and
says so with `"cut": true`); its hash is always of the whole.

The log goes to the file `query_log` (LACTGRAPH_QUERY_LOG; appended, one `write` per line,
so that several server processes can share it) or, without one, to the `lactgraph.queries`
logger at INFO, for the host's logging to route.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from .errors import LactgraphError
from .store.querypool import tokens  # the lexer that also decides what is refused

LOGGER = "lactgraph.queries"
MAX_LOGGED_CHARS = 16 * 1024


def normalise(query: str) -> str:
    """The query without comments, each run of white space one space, strings kept as sent."""
    parts: list[str] = []
    gap = False
    for kind, text in tokens(query):
        if kind == "comment" or text.isspace():
            gap = True
            continue
        if gap and parts:
            parts.append(" ")
        parts.append(text)
        gap = False
    return "".join(parts)


def query_hash(normalised: str) -> str:
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Entry:
    """One line of the log."""

    time: str
    sha256: str
    query: str
    duration: float
    rows: int
    status: int
    outcome: str
    client: str
    cut: bool = False


def entry(query: str, duration: float, rows: int, status: int, outcome: str,
          client: str) -> Entry:
    """The log entry of one query (normalised, hashed, cut to MAX_LOGGED_CHARS)."""
    normal = normalise(query)
    stamp = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return Entry(stamp, query_hash(normal), normal[:MAX_LOGGED_CHARS], round(duration, 6),
                 rows, status, outcome, client, cut=len(normal) > MAX_LOGGED_CHARS)


class QueryLog:
    """Where entries go: an append-only file, or the `lactgraph.queries` logger."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._logger = logging.getLogger(LOGGER)
        self._lock = threading.Lock()
        self._fd: int | None = None
        if path is not None:
            try:
                self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            except OSError as error:
                raise LactgraphError(f"{path}: cannot open the query log "
                                     f"({error.strerror})") from None

    def write(self, record: Entry) -> None:
        """Append one entry (whole lines only, even with several writers)."""
        line = json.dumps(asdict(record), ensure_ascii=False)
        if self._fd is None:
            self._logger.info("%s", line)
            return
        with self._lock:
            os.write(self._fd, (line + "\n").encode("utf-8"))
