"""The web layer: `create_app()` wires settings, the store and one blueprint per area."""

from __future__ import annotations

import sys

from flask import Flask

from ..config import Settings, settings_from_env
from ..errors import LactgraphError
from . import accounting, cors, document_cache, metrics, security
from .context import Site

MAX_REQUEST_BYTES = 1024 * 1024  # a SPARQL query or form larger than this gets 413


def _startup_error(error: LactgraphError) -> Exception:
    """The error a server cannot start with. Under gunicorn, as its AppImportError: it
    prints that one line and stops, where any other exception is a traceback from every
    worker it starts."""
    gunicorn_errors = sys.modules.get("gunicorn.errors")
    return gunicorn_errors.AppImportError(str(error)) if gunicorn_errors else error


def create_app(settings: Settings | None = None) -> Flask:
    """The WSGI application (for `lactgraph serve` and `gunicorn 'lactgraph.web:create_app()'`)."""
    settings = settings or settings_from_env()
    app = Flask(__name__)
    app.json.sort_keys = False
    app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    try:
        app.extensions["lactgraph"] = Site.open(settings)
    except LactgraphError as error:
        raise _startup_error(error) from None

    from . import collections, dumps, entities, mappings, meta, pages, search, sitemap, sparql

    for module in (sparql, entities, pages, search, meta, mappings, collections, dumps,
                   sitemap):
        app.register_blueprint(module.blueprint)
    cors.init_app(app)
    security.init_app(app, settings.max_url_bytes)
    metrics.init_app(app, document_cache.install(app, settings.document_cache_mb))
    accounting.init_app(app, settings)

    @app.get("/healthz")
    def healthz() -> tuple[str, int, dict[str, str]]:
        return "ok\n", 200, {"Content-Type": "text/plain; charset=utf-8"}

    return app
