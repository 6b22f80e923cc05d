"""The graph behind the web layer: a small interface, so that an embedded Oxigraph store
and a remote SPARQL server can serve the same pages."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime

from rdflib import Graph
from rdflib.term import Node

# rdflib's store for the small graphs answers and documents are made of: not context-aware,
# and about twice as fast to fill as the default Memory store (measured: 2.1 vs 4.4 ms for
# 500 triples), which is a good part of an entity document's time.
FAST_STORE = "SimpleMemory"


class Store(ABC):
    """What the web layer needs of a graph: SPARQL in, rdflib terms out."""

    @abstractmethod
    def select(self, query: str) -> list[dict[str, Node]]:
        """Rows of a SELECT query; an unbound variable is absent from its row."""

    @abstractmethod
    def construct(self, query: str) -> Graph:
        """The graph of a CONSTRUCT or DESCRIBE query."""

    @abstractmethod
    def ask(self, query: str) -> bool:
        """The answer of an ASK query."""

    @abstractmethod
    def named_graphs(self) -> list[str]:
        """The names of the graphs a query can read by name (`GRAPH <name>`), in order."""

    @abstractmethod
    def version(self) -> str:
        """A token that changes whenever the data changes (for ETags)."""

    def settled(self, version: str) -> bool:
        """Whether what was read since `version()` gave `version` belongs to that version:
        the version asked again now is the same. (A store that remembers its version for a
        while, as the remote one does, can change under its readers meanwhile.)"""
        return self.version() == version

    @abstractmethod
    def modified(self) -> datetime | None:
        """When the data last changed, to the second (for Last-Modified); None if unknown."""
