"""The published JSON-LD context: readable keys for the graph's terms, as package data.

The file `data/context.jsonld` is written against the default base IRI. Data under
another base gets the same context with the data's namespaces moved (the vocabulary's
stay, as in the graph), and a server maps its IRIs as it maps those of its documents, so
that the keys of a document it serves expand to the IRIs of the Turtle it serves. The
context is always used as an object in hand: nothing here (or in a caller) fetches a
context over the network.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

from .link.prefixes import rebase
from .vocab import DEFAULT_BASE


@cache
def _packaged() -> dict[str, Any]:
    text = resources.files("lactgraph").joinpath("data/context.jsonld").read_text("utf-8")
    return json.loads(text)


def _mapped(value: Any, change: Callable[[str], str]) -> Any:
    """The JSON value with change applied to every string value (not to keys)."""
    if isinstance(value, str):
        return change(value)
    if isinstance(value, dict):
        return {key: _mapped(item, change) for key, item in value.items()}
    if isinstance(value, list):
        return [_mapped(item, change) for item in value]
    return value


def context_document(base: str = DEFAULT_BASE,
                     to_url: Callable[[str], str] | None = None) -> dict[str, Any]:
    """The whole context document ({"@context": {...}}) for data under base (the
    vocabulary's IRIs stay where they are); to_url then maps its IRIs as a server maps
    those of the documents it serves."""
    document = _packaged() if base == DEFAULT_BASE else _mapped(
        _packaged(), lambda value: rebase(value, base))
    return _mapped(document, to_url or str)  # a new value: the packaged one stays as read


def context(base: str = DEFAULT_BASE,
            to_url: Callable[[str], str] | None = None) -> dict[str, Any]:
    """The context object itself (the value of "@context"), as context_document."""
    return context_document(base, to_url)["@context"]
