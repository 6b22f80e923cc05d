"""Fixtures of the link tests: the fixture graphs and a loopback Wikidata-like endpoint."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..conftest import ROOT
from .endpoint import LoopbackEndpoint

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "link"
OUR_GRAPH = FIXTURES / "graph"
WIKIDATA = FIXTURES / "wikidata.ttl"


@pytest.fixture
def wikidata() -> Iterator[LoopbackEndpoint]:
    """A fresh endpoint (fresh request counts) serving the Wikidata-modelled fixture."""
    with LoopbackEndpoint([WIKIDATA]) as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def served_wikidata(start_server, tmp_path_factory):
    """`lactgraph serve` itself, with the Wikidata-modelled fixture as its graph."""
    folder = tmp_path_factory.mktemp("wikidata-graph")
    shutil.copy(WIKIDATA, folder)
    return start_server("--graph", str(folder))


@pytest.fixture(params=["lactgraph-serve", "oxigraph-stub"])
def endpoint_url(request) -> str:
    """The SPARQL endpoint URL of lactgraph's own server, then of the loopback stub."""
    if request.param == "lactgraph-serve":
        return request.getfixturevalue("served_wikidata").url + "sparql"
    return request.getfixturevalue("wikidata").url


# `lactgraph` with the link commands registered, whether or not cli.ADDERS has them yet.
_MAIN = ("import sys; from lactgraph import cli; from lactgraph.link.cli import add_link_commands;"
         " add_link_commands in cli.ADDERS or cli.ADDERS.append(add_link_commands);"
         " sys.exit(cli.main(sys.argv[1:]))")


def lactgraph(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run the real command line in a subprocess, as a user would."""
    return subprocess.run([sys.executable, "-c", _MAIN, *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={**os.environ, **(env or {})})
