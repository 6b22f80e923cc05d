"""Settings: base IRI, public URL, paths and limits; from flags and the environment.

Passed into `create_app` and the commands, never read from globals at import time.
Every field can be set by an environment variable `LACTGRAPH_<FIELD>` (upper case), which
is how `gunicorn 'lactgraph.web:create_app()'` is configured; a list
(`LACTGRAPH_TRUSTED_PROXIES`) is comma-separated.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, fields, replace
from pathlib import Path

from .arguments import is_http_iri, is_http_url
from .errors import LactgraphError
from .vocab import DEFAULT_BASE

# `lactgraph push`'s password, read from the environment: never on the command line, where
# `ps` shows it.
PASSWORD_VARIABLE = "LACTGRAPH_SPARQL_PASSWORD"
# Triples per SPARQL Update request of a push. Virtuoso 7.2 refuses 5,000 ("SP030 ... memory
# exhausted") and 2,000 ("SP031 ... more than 10000 lines of code"); 1,000 loads.
PUSH_BATCH_SIZE = 1000

# The least each limit may be, and whether that value itself is allowed.
_LEAST = {"query_timeout": (0, False), "row_cap": (1, True), "query_workers": (1, True),
          "sparql_budget": (0, True), "max_url_bytes": (1, True),
          "document_cache_mb": (0, True)}


@dataclass(frozen=True)
class Settings:
    base: str = DEFAULT_BASE
    public_url: str | None = None  # where the server is reached, when not at the base IRI
    project_dir: Path = Path(".")
    graph_dir: Path | None = None  # default: <project_dir>/graph
    ontology: Path | None = None  # default: <project_dir>/ontology/lactgraph.ttl
    shapes: Path | None = None  # default: <project_dir>/shapes/lactgraph.ttl
    store_dir: Path | None = None  # a persistent Oxigraph store to open read-only
    cache_dir: Path | None = None  # where a store loaded from graph/ is kept between starts
    query_timeout: float = 10.0  # seconds a public SPARQL query may run
    row_cap: int = 10_000  # rows (or triples) a public SPARQL answer may carry
    query_workers: int = 2  # processes that run public SPARQL queries
    sparql_endpoint: str | None = None  # a SPARQL server to read instead (store/remote.py)
    sparql_graph: str | None = None  # its graph of the data (<base>graph/lactgraph)
    sparql_budget: float = 60.0  # seconds of SPARQL query time per client and minute (0: off)
    trusted_proxies: tuple[str, ...] = ()  # addresses whose X-Forwarded-For is believed
    query_log: Path | None = None  # a JSON-lines file of public queries (else a logger)
    max_url_bytes: int = 16 * 1024  # a longer path or query string gets 414
    document_cache_mb: float = 64.0  # rendered entity documents kept per worker (0: none)

    def __post_init__(self) -> None:
        for name, (least, allowed) in _LEAST.items():
            value = getattr(self, name)
            if not math.isfinite(value) or value < least or (value == least and not allowed):
                bound = f"{least} or more" if allowed else f"more than {least}"
                raise LactgraphError(
                    f"{name} (--{name.replace('_', '-')}, LACTGRAPH_{name.upper()}) must be "
                    f"{bound}, not {value}")
        if not is_http_iri(self.base):  # every IRI of the graph starts with it
            raise LactgraphError(f"base (--base, LACTGRAPH_BASE) {self.base!r}: expected an "
                                 "absolute http(s) IRI, such as https://w3id.org/lactgraph/")
        if self.sparql_endpoint is not None and not is_http_url(self.sparql_endpoint):
            raise LactgraphError(f"sparql_endpoint (--sparql-endpoint, LACTGRAPH_SPARQL_ENDPOINT) "
                                 f"{self.sparql_endpoint!r}: expected an http(s) URL")

    @property
    def graph_path(self) -> Path:
        return self.graph_dir or self.project_dir / "graph"

    @property
    def ontology_path(self) -> Path:
        return self.ontology or self.project_dir / "ontology" / "lactgraph.ttl"

    @property
    def shapes_path(self) -> Path:
        return self.shapes or self.project_dir / "shapes" / "lactgraph.ttl"

    @property
    def cache_path(self) -> Path:
        if self.cache_dir:
            return self.cache_dir
        root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        return Path(root) / "lactgraph"

    def with_overrides(self, **values: object) -> Settings:
        """A copy with the given fields set, ignoring those left at None."""
        return replace(self, **{k: v for k, v in values.items() if v is not None})


def _convert(name: str, text: str, kind: type) -> object:
    try:
        if kind is float:
            return float(text)
        if kind is int:
            return int(text)
    except ValueError:
        raise LactgraphError(f"LACTGRAPH_{name.upper()}={text!r}: expected a number") from None
    if kind is Path:
        return Path(text)
    if kind is tuple:
        return tuple(item.strip() for item in text.split(",") if item.strip())
    return text


_KINDS = {
    "query_timeout": float,
    "row_cap": int,
    "query_workers": int,
    "sparql_budget": float,
    "max_url_bytes": int,
    "document_cache_mb": float,
    "trusted_proxies": tuple,
    "query_log": Path,
    "project_dir": Path,
    "graph_dir": Path,
    "ontology": Path,
    "shapes": Path,
    "store_dir": Path,
    "cache_dir": Path,
}


def settings_from_env(environ: dict[str, str] | None = None) -> Settings:
    """Settings from `LACTGRAPH_*` variables, defaults for the rest."""
    environ = dict(os.environ) if environ is None else environ
    values = {}
    for field in fields(Settings):
        text = environ.get(f"LACTGRAPH_{field.name.upper()}")
        if text:
            values[field.name] = _convert(field.name, text, _KINDS.get(field.name, str))
    return Settings(**values)
