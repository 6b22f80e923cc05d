"""The two stores on the same data: the embedded Oxigraph store of the project's graph, and
a throwaway Virtuoso holding that graph as `lactgraph push` puts it there."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lactgraph.config import Settings
from lactgraph.generations import store_sources
from lactgraph.iris import IriScheme
from lactgraph.push import Pushed, Server, dataset_parts, push
from lactgraph.store.oxigraph import OxigraphStore, cached_store
from lactgraph.store.remote import RemoteStore, dataset_graphs

from ..conftest import ROOT
from ..virtuoso import PASSWORD, USER, Virtuoso, start_virtuoso

PROJECT = Settings(project_dir=ROOT)
IRIS = IriScheme(PROJECT.base)


def loader(virtuoso: Virtuoso, graph_store: bool = True, password: str = PASSWORD) -> Server:
    """How `lactgraph push` reaches the test server: Digest auth as dba; the Graph Store
    Protocol for staging, or SPARQL Update batches without it."""
    return Server(virtuoso.sparql_auth, virtuoso.graph_store if graph_store else None,
                  USER, password, timeout=60)


def quiet(line: str) -> None:
    """push's progress lines, unwanted in test output."""


@pytest.fixture(scope="session")
def virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Virtuoso]:
    server = start_virtuoso(tmp_path_factory.mktemp("virtuoso"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def pushed(virtuoso: Virtuoso) -> Pushed:
    """The project's graph, ontology and shapes, pushed to Virtuoso."""
    return push(dataset_parts(PROJECT), loader(virtuoso), say=quiet)


@pytest.fixture(scope="session")
def remote(virtuoso: Virtuoso, pushed: Pushed) -> RemoteStore:
    return RemoteStore(virtuoso.sparql, dataset_graphs(IRIS), version_ttl=0)


@pytest.fixture(scope="session")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> OxigraphStore:
    cache = tmp_path_factory.mktemp("embedded-store")
    return OxigraphStore(cached_store(store_sources(PROJECT, IRIS), cache, PROJECT.base))
