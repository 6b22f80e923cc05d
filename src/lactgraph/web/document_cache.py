"""Rendered documents, kept in each worker process: an LRU bounded in bytes.

A document about an entity is a function of its ETag's parts (the store version, the
public base, the IRI, the format, the software version), so the ETag keys it: a new
build, another origin or another release is another key, never a stale answer. A hit
skips the store's queries and the rendering (20-35 ms of CPU a document at 50,000
products) and answers a conditional GET without them too. Popular entries are asked
again and again; a harvester asking each once gains nothing, and loses nothing.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

from cachetools import LRUCache
from flask import Flask, current_app

_EXTENSION = "lactgraph.documents"


@dataclass(frozen=True)
class Rendered:
    body: bytes
    modified: datetime | None  # Last-Modified


class DocumentCache:
    """Documents by ETag, at most `megabytes` of bodies (0: keep none)."""

    def __init__(self, megabytes: float) -> None:
        self.capacity = int(megabytes * (1 << 20))
        self._documents: LRUCache[str, Rendered] = LRUCache(
            max(self.capacity, 1), getsizeof=lambda rendered: len(rendered.body))
        self._lock = threading.Lock()  # an LRU reorders itself on every read

    def get(self, etag: str) -> Rendered | None:
        with self._lock:
            return self._documents.get(etag)

    def put(self, etag: str, rendered: Rendered) -> None:
        """Keep a document, evicting the least recently used; one larger than the whole
        cache is not kept."""
        if len(rendered.body) > self.capacity:
            return
        with self._lock:
            self._documents[etag] = rendered

    @property
    def size(self) -> int:
        """Bytes of documents kept."""
        with self._lock:
            return int(self._documents.currsize)


def install(app: Flask, megabytes: float) -> DocumentCache:
    app.extensions[_EXTENSION] = cache = DocumentCache(megabytes)
    return cache


def documents() -> DocumentCache:
    """The cache of the running application."""
    return current_app.extensions[_EXTENSION]
