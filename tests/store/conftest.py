"""The two stores on the same data: the embedded Oxigraph store of the project's graph, and
a throwaway Virtuoso holding that graph as `lactgraph push` puts it there."""

from __future__ import annotations

import pytest

from lactgraph.config import Settings
from lactgraph.generations import store_sources
from lactgraph.iris import IriScheme
from lactgraph.push import Pushed
from lactgraph.store.oxigraph import OxigraphStore, cached_store
from lactgraph.store.remote import RemoteStore, dataset_graphs

from ..conftest import ROOT
from ..virtuoso import Virtuoso

PROJECT = Settings(project_dir=ROOT)
IRIS = IriScheme(PROJECT.base)


@pytest.fixture(scope="session")
def remote(virtuoso: Virtuoso, pushed: Pushed) -> RemoteStore:
    return RemoteStore(virtuoso.sparql, dataset_graphs(IRIS), version_ttl=0)


@pytest.fixture(scope="session")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> OxigraphStore:
    cache = tmp_path_factory.mktemp("embedded-store")
    return OxigraphStore(cached_store(store_sources(PROJECT, IRIS), cache, PROJECT.base))
