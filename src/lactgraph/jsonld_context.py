"""The published JSON-LD context: readable keys for the graph's terms, as package data.

The file `data/context.jsonld` is written against the default base IRI. A server whose
base or origin differs gets the same context with the base replaced, so that the keys of
a document it serves expand to the IRIs of the Turtle it serves. The context is always
used as an object in hand: nothing here (or in a caller) fetches a context over the
network.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from typing import Any

from .vocab import DEFAULT_BASE


@cache
def _packaged() -> dict[str, Any]:
    text = resources.files("lactgraph").joinpath("data/context.jsonld").read_text("utf-8")
    return json.loads(text)


def _rebased(value: Any, base: str) -> Any:
    if isinstance(value, str):
        return base + value[len(DEFAULT_BASE):] if value.startswith(DEFAULT_BASE) else value
    if isinstance(value, dict):
        return {key: _rebased(item, base) for key, item in value.items()}
    if isinstance(value, list):
        return [_rebased(item, base) for item in value]
    return value


def context_document(base: str = DEFAULT_BASE) -> dict[str, Any]:
    """The whole context document ({"@context": {...}}) for IRIs under base."""
    if base == DEFAULT_BASE:
        return copy.deepcopy(_packaged())
    return _rebased(_packaged(), base)


def context(base: str = DEFAULT_BASE) -> dict[str, Any]:
    """The context object itself (the value of "@context"), for IRIs under base."""
    return context_document(base)["@context"]
