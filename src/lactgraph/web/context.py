"""What every view needs: the settings, the store, the IRI scheme and the URL mapping."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app

from ..config import Settings
from ..errors import LactgraphError
from ..generations import current_store, hold, search_index_of, store_sources
from ..iris import IriScheme, UrlMapper
from ..search_index import SearchIndex, build_index, store_rows
from ..store import Store
from ..store.oxigraph import (
    BUILT_STORE,
    OxigraphStore,
    cached_store,
    newest_first,
    stable_name,
)
from ..store.remote import RemoteStore, dataset_graphs


@dataclass
class Site:
    settings: Settings
    store: Store
    store_dir: Path | None  # opened read-only by the SPARQL workers (None: remote)
    iris: IriScheme
    urls: UrlMapper
    _search: tuple[str, SearchIndex] | None = field(default=None, repr=False)
    _search_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def open(cls, settings: Settings) -> Site:
        """The SPARQL server of sparql_endpoint, or the embedded store: the one the last
        build left beside graph/ when it matches graph/ (opened, not loaded), else one
        loaded from graph/ into the cache."""
        iris = IriScheme(settings.base)
        urls = UrlMapper(iris.base, settings.public_url)
        if settings.sparql_endpoint:
            store = RemoteStore(settings.sparql_endpoint,
                                dataset_graphs(iris, settings.sparql_graph),
                                query_timeout=settings.query_timeout)
            store.version()  # a wrong endpoint fails here, in one line, not on every page
            data = store.graphs[0]
            if not store.ask(f"ASK {{ GRAPH <{data}> {{ ?s ?p ?o }} }}"):  # nor an empty site
                raise LactgraphError(
                    f"the SPARQL server holds nothing in the graph <{data}>: push the graph "
                    "there (lactgraph push), or set LACTGRAPH_SPARQL_GRAPH to the graph push "
                    "was given (--graph)")
            return cls(settings, store, None, iris, urls)
        if settings.store_dir:
            site = cls(settings, OxigraphStore(settings.store_dir), settings.store_dir, iris,
                       urls)
        elif built := current_store(settings):
            hold(built)  # later builds leave it in place
            site = cls(settings, OxigraphStore(built, BUILT_STORE), built, iris, urls)
        else:
            store_dir = cached_store(store_sources(settings, iris), settings.cache_path,
                                     settings.base)
            site = cls(settings, OxigraphStore(store_dir), store_dir, iris, urls)
        site.search_index()  # now, not in the first search (a minute at 50,000 products)
        return site

    def search_index(self) -> SearchIndex:
        """The name index of the store as it is now: the build's, else one gathered from
        the store into the cache once per store version (a remote store's change with it)."""
        with self._search_lock:
            version = self.store.version()
            if self._search is None or self._search[0] != version:
                path = self._search_path(version)
                while not path.exists():
                    build_index(store_rows(self.store), self.iris, path)
                    if self.store.settled(version):
                        _remove_older(path, self._gathered_prefix())
                    else:  # a push came while the names were read: they are of no version
                        path.unlink()
                        version = self.store.version()
                        path = self._search_path(version)
                self._search = (version, SearchIndex(path))
            return self._search[1]

    def _search_path(self, version: str) -> Path:
        if self.store_dir and search_index_of(self.store_dir).exists():  # a build's
            return search_index_of(self.store_dir)
        return self.settings.cache_path / f"{self._gathered_prefix()}{_digest(version)}.sqlite"

    def _gathered_prefix(self) -> str:
        """How the names of this store's gathered indexes start (one per version; the
        versions of a cached store are folders of their own, named alike)."""
        where = stable_name(self.store_dir) if self.store_dir else self.settings.sparql_endpoint
        return f"search-{_digest(f'{where} {self.iris.base}')}-"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _remove_older(kept: Path, prefix: str) -> None:
    """Remove the store's indexes of older versions but the last one, which a worker that
    has not seen the new version yet may still open (a remote store changes with each
    push: without this the cache grows by an index each time)."""
    older = newest_first(path for path in kept.parent.glob(f"{prefix}*.sqlite")
                         if path != kept)
    for path in older[1:]:
        path.unlink(missing_ok=True)


def site() -> Site:
    """The Site of the running application."""
    return current_app.extensions["lactgraph"]
