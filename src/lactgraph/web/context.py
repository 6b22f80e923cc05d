"""What every view needs: the settings, the store, the IRI scheme and the URL mapping."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from ..config import Settings
from ..generations import current_store
from ..iris import IriScheme, UrlMapper
from ..rdfio import rdf_paths
from ..store import Store
from ..store.oxigraph import BUILT_STORE, OxigraphStore, Source, cached_store
from ..store.remote import RemoteStore, dataset_graphs


@dataclass
class Site:
    settings: Settings
    store: Store
    store_dir: Path | None  # opened read-only by the SPARQL workers (None: remote)
    iris: IriScheme
    urls: UrlMapper

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
            return cls(settings, store, None, iris, urls)
        if settings.store_dir:
            return cls(settings, OxigraphStore(settings.store_dir), settings.store_dir, iris,
                       urls)
        built = current_store(settings)
        if built:
            return cls(settings, OxigraphStore(built, BUILT_STORE), built, iris, urls)
        store_dir = cached_store(store_sources(settings, iris), settings.cache_path,
                                 settings.base)
        return cls(settings, OxigraphStore(store_dir), store_dir, iris, urls)


def store_sources(settings: Settings, iris: IriScheme) -> list[Source]:
    """The graph's files, each in `<base>graph/<name>`, then the ontology and the shapes in
    graphs named by their own IRIs (so `GRAPH ?g` tells data from vocabulary)."""
    data = [(path, f"{iris.base}graph/{path.stem}") for path in rdf_paths([settings.graph_path])]
    return [*data, (settings.ontology_path, iris.ontology), (settings.shapes_path, iris.shapes)]


def site() -> Site:
    """The Site of the running application."""
    return current_app.extensions["lactgraph"]
