"""Errors the user can act on: each names where the problem is and what was expected."""

from __future__ import annotations


class LactgraphError(Exception):
    """Base of every error lactgraph reports without a traceback."""


class SourceError(LactgraphError):
    """An input file that cannot be read as what it should be."""

    def __init__(self, path: str, line: int | None, message: str) -> None:
        self.path = path
        self.line = line
        self.message = message
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {message}")
