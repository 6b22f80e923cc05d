"""The published Turtle file as sorted blocks: find a subject by binary search, patch a few.

An incremental build changes a handful of blocks in a file of millions of triples. The
file's layout (see `turtle.py`) makes that cheap: every block follows a blank line and the
blocks are sorted by subject IRI, so the block of a subject is found in a few reads
(binary search over byte offsets), and the new file is the old one with some byte ranges
replaced, the unchanged ranges copied by the kernel (`os.copy_file_range`).

A *region* is a block with the blank line before it: the file is the header followed by
regions, and replacing regions by regions keeps that shape.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import BinaryIO

_PREFIX_LINE = re.compile(r"@prefix ([^:\s]*): <([^>]*)> \.")
_UCHAR = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_SEPARATOR = b"\n\n"
_COPY_CHUNK = 1 << 30


@dataclass(frozen=True)
class Edit:
    """Replace the bytes [start, end) of the old file by text (regions, or nothing)."""

    start: int
    end: int
    text: str


class BlockFile:
    """A sorted block file opened for searching (read-only, memory-mapped)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with path.open("rb") as file:
            self.size = os.fstat(file.fileno()).st_size
            self.map = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) if self.size else b""
        end = self.map.find(_SEPARATOR)
        self.body = end + 1 if end >= 0 else self.size  # where the first region starts
        head = bytes(self.map[:self.body]).decode("utf-8")
        self.prefixes = dict(_PREFIX_LINE.findall(head))

    def close(self) -> None:
        if isinstance(self.map, mmap.mmap):
            self.map.close()

    def __enter__(self) -> BlockFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def header(self) -> str:
        return bytes(self.map[:self.body]).decode("utf-8")

    def subject_at(self, region: int) -> str:
        """The subject IRI of the block of the region starting at `region`."""
        start = region + 1
        end = self.map.find(b" ", start)
        return self.expand(bytes(self.map[start:end]).decode("utf-8"))

    def expand(self, token: str) -> str:
        """A subject as written (`<iri>` or `prefix:local`) -> its IRI."""
        if token.startswith("<"):
            return _UCHAR.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), token[1:-1])
        prefix, _, local = token.partition(":")
        return self.prefixes[prefix] + local

    def find(self, key: str) -> int:
        """The start of the first region whose subject is >= key (the file size if none)."""
        best = self.size
        low, high = self.body - 1, self.size
        while low < high:
            middle = (low + high) // 2
            separator = self.map.find(_SEPARATOR, middle, min(high + 1, self.size))
            if separator < 0:
                high = middle
            elif self.subject_at(separator + 1) >= key:
                best, high = separator + 1, middle
            else:
                low = separator + 1
        return best

    def span(self, first: str, last: str) -> tuple[int, int]:
        """The byte range of the regions whose subjects lie in [first, last]."""
        return self.find(first), self.find(last + "\0")

    def text(self, start: int, end: int) -> str:
        return bytes(self.map[start:end]).decode("utf-8")

    def regions(self) -> Iterator[tuple[str, str]]:
        """Every (subject, region text), in file order (for tests and checks)."""
        start = self.body
        while start < self.size:
            separator = self.map.find(_SEPARATOR, start + 1)
            end = separator + 1 if separator >= 0 else self.size
            yield self.subject_at(start), self.text(start, end)
            start = end


def split_regions(text: str) -> list[str]:
    """Regions text -> the regions, each starting with its blank line."""
    starts = [0, *(m.start() + 1 for m in re.finditer("\n\n", text)), len(text)]
    return [text[a:b] for a, b in pairwise(starts) if b > a]


def region_subject(region: str, expand) -> str:
    """The subject IRI of one region's block."""
    return expand(region[1:region.index(" ")])


def write_patched(old: BlockFile, edits: Iterable[Edit], out: BinaryIO) -> None:
    """The old file with the edits applied written to out, a new empty file. The edits do
    not overlap; those at one offset (insertions, then one that replaces what starts
    there) are applied in the order given."""
    edits = sorted(edits, key=lambda e: (e.start, e.end))
    texts = [edit.text.encode("utf-8") for edit in edits]
    out.flush()
    target = out.fileno()
    _allocate(target, old.size + sum(len(text) - (edit.end - edit.start)
                                     for edit, text in zip(edits, texts, strict=True)))
    source = os.open(old.path, os.O_RDONLY)
    try:
        position = 0
        for edit, text in zip(edits, texts, strict=True):
            if edit.start < position:
                raise ValueError("overlapping edits of a block file")
            _copy(source, target, position, edit.start)
            _write(target, text)
            position = edit.end
        _copy(source, target, position, old.size)
    finally:
        os.close(source)


def _allocate(target: int, size: int) -> None:
    """Give the file its blocks before it is written. Written without, it gets them when
    the kernel writes it back, and ext4 does that at once when the file is renamed over
    another (auto_da_alloc): the switch's rename of the 780 MB Turtle file of 50,000
    products waited 1.2-1.4 s for it."""
    if size > 0:
        with contextlib.suppress(OSError):  # a file system that cannot: written as is
            os.posix_fallocate(target, 0, size)


def _copy(source: int, target: int, start: int, end: int) -> None:
    while start < end:
        count = min(end - start, _COPY_CHUNK)
        try:
            done = os.copy_file_range(source, target, count, start)
        except OSError:  # not supported between these file systems: copy through memory
            done = _write(target, os.pread(source, min(count, 1 << 24), start))
        if done <= 0:
            raise OSError("short copy while patching a block file")
        start += done


def _write(target: int, data: bytes) -> int:
    view = memoryview(data)
    while view:
        view = view[os.write(target, view):]
    return len(data)
