"""Every route of the app, as the tests that walk them all need it: rules, sample URLs, and
a way to send a request exactly as written.

The rules come from the app's own URL map (so a new blueprint is walked as soon as it is
registered); a sample path fills each variable with a value that names something in the
fixture graph, or the first choice of an `any(...)` variable. `send` writes the path and
query as given (`requests` would re-encode `%zz` or `%00`).
"""

from __future__ import annotations

import http.client
import re
from dataclasses import dataclass
from pathlib import Path

from werkzeug.routing.converters import AnyConverter, NumberConverter

from lactgraph.config import Settings
from lactgraph.web import create_app

ROOT = Path(__file__).resolve().parent.parent.parent
FIXTURE_GRAPH = ROOT / "tests" / "fixtures" / "web" / "graph"
SAMPLES = {"kind": "product", "key": "ibuprofen", "extension": "ttl", "filename": "style.css"}
_VARIABLE = re.compile(r"<(?:[^:>]+:)?(\w+)(?:\([^)]*\))?>")


@dataclass(frozen=True)
class Route:
    rule: str
    endpoint: str
    methods: frozenset[str]
    choices: dict[str, tuple[str, ...]]  # the values of each any(...) variable
    numbers: frozenset[str]  # the int and float variables

    @property
    def variables(self) -> list[str]:
        return _VARIABLE.findall(self.rule)

    def path(self, values: dict[str, str] | None = None) -> str:
        """The rule with each variable replaced (values are inserted as given: raw)."""
        values = values or {}
        return _VARIABLE.sub(lambda m: values.get(m.group(1), self.sample(m.group(1))),
                             self.rule)

    def sample(self, variable: str) -> str:
        if variable in self.choices:
            choices = self.choices[variable]
            return SAMPLES[variable] if SAMPLES.get(variable) in choices else choices[0]
        if variable in self.numbers:
            return "1"
        return SAMPLES.get(variable, "x")


def app_routes(cache_dir: Path, graph: Path = FIXTURE_GRAPH) -> list[Route]:
    """The routes of an app serving graph (built in this process, its store cached)."""
    app = create_app(Settings(project_dir=ROOT, graph_dir=graph, cache_dir=cache_dir))
    routes = []
    for rule in app.url_map.iter_rules():
        choices = {name: tuple(sorted(converter.items))
                   for name, converter in rule._converters.items()
                   if isinstance(converter, AnyConverter)}
        numbers = frozenset(name for name, converter in rule._converters.items()
                            if isinstance(converter, NumberConverter))
        routes.append(Route(rule.rule, rule.endpoint, frozenset(rule.methods or ()), choices,
                            numbers))
    return sorted(routes, key=lambda route: route.rule)


def send(port: int, method: str, target: str, headers: dict[str, str], payload: bytes
         ) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.putrequest(method, target, skip_host="Host" in headers,
                              skip_accept_encoding=True)
        for header, text in headers.items():
            connection.putheader(header, text.encode("latin-1"))
        if payload or method in ("POST", "PUT", "PATCH"):
            connection.putheader("Content-Length", str(len(payload)))
        connection.endheaders(payload or None)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()
