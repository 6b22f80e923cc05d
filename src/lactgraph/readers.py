"""Which reader turns which source file into records, by file suffix.

A module of its own so that the build and its import workers (separate processes) share
one table without importing each other.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .errors import SourceError
from .records import Product
from .sources.export import read_export_file
from .sources.page import read_page_file

Reader = Callable[[Path], tuple[list[Product], list[SourceError]]]


def _read_page(path: Path) -> tuple[list[Product], list[SourceError]]:
    return [read_page_file(path)], []


# Readers by file suffix: each turns one file into the records it holds and an error for
# each record it could not read (a page is one record; an export file, many).
READERS: dict[str, Reader] = {
    ".txt": _read_page,
    ".json": read_export_file,
    ".jsonl": read_export_file,
}


def read_source(path: Path) -> tuple[list[Product], list[SourceError]]:
    """The products of one file and an error for each part that failed; never raises a
    SourceError (a file that cannot be read at all is one error)."""
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        expected = ", ".join(sorted(READERS))
        return [], [SourceError(str(path), None, f"unknown kind of source: expected {expected}")]
    try:
        return reader(path)
    except SourceError as error:
        return [], [error]
