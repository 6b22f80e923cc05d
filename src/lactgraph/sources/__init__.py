"""Readers of entry sources: text renderings of e-lactancia.org entry pages.

`page.read_page_file` is the entry point; `references`, `citations` and
`pharmacokinetics` parse the parts of a page that have a grammar of their own.
Nothing here imports rdflib: readers produce `records`, `to_rdf` makes the graph.
"""

from __future__ import annotations

import re

from ..text import CharTable, without_marks

_NOT_WORD = re.compile(r"[\W_]")
_SPACED = CharTable(lambda char: " " if _NOT_WORD.fullmatch(char) else char)


def fold(text: str) -> str:
    """Compare names and labels without case, accents or punctuation: the words of the
    text, unmarked and case-folded, joined by single spaces.

    Shared by every reader so that "Galmés" and "galmes", "T½" and "T1/2" meet.
    """
    return " ".join(without_marks(text).casefold().translate(_SPACED).split())


def quoted(text: str, limit: int = 80) -> str:
    """`repr(text)` for an error message, cut after `limit` characters: input lines may be
    megabytes long, and an error must stay one readable line."""
    return repr(text) if len(text) <= limit else f"{text[:limit]!r}… ({len(text)} characters)"
