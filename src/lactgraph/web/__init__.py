"""The web layer: `create_app()` wires settings, the store and one blueprint per area."""

from __future__ import annotations

from flask import Flask

from ..config import Settings, settings_from_env
from .context import Site


def create_app(settings: Settings | None = None) -> Flask:
    """The WSGI application (for `lactgraph serve` and `gunicorn 'lactgraph.web:create_app()'`)."""
    settings = settings or settings_from_env()
    app = Flask(__name__)
    app.json.sort_keys = False
    app.extensions["lactgraph"] = Site.open(settings)

    from . import entities, meta, pages, sparql

    for module in (sparql, entities, pages, meta):
        app.register_blueprint(module.blueprint)

    @app.get("/healthz")
    def healthz() -> tuple[str, int, dict[str, str]]:
        return "ok\n", 200, {"Content-Type": "text/plain; charset=utf-8"}

    return app
