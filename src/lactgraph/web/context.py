"""What every view needs: the settings, the store, the IRI scheme and the URL mapping."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from ..config import Settings
from ..iris import IriScheme, UrlMapper
from ..store import Store
from ..store.oxigraph import OxigraphStore, cached_store, rdf_files


@dataclass
class Site:
    settings: Settings
    store: Store
    store_dir: Path  # opened read-only by the SPARQL worker processes too
    iris: IriScheme
    urls: UrlMapper

    @classmethod
    def open(cls, settings: Settings) -> Site:
        if settings.store_dir:
            store_dir = settings.store_dir
        else:
            files = rdf_files([settings.graph_path, settings.ontology_path, settings.shapes_path])
            store_dir = cached_store(files, settings.cache_path, settings.base)
        iris = IriScheme(settings.base)
        return cls(settings, OxigraphStore(store_dir), store_dir, iris,
                   UrlMapper(iris.base, settings.public_url))


def site() -> Site:
    """The Site of the running application."""
    return current_app.extensions["lactgraph"]
