"""Readers of entry sources: text renderings of e-lactancia.org entry pages.

`page.read_page_file` is the entry point; `references`, `citations` and
`pharmacokinetics` parse the parts of a page that have a grammar of their own.
Nothing here imports rdflib: readers produce `records`, `to_rdf` makes the graph.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from ..text import CharTable, without_marks

_NOT_WORD = re.compile(r"[\W_]")
# Characters XML 1.0 cannot carry, even escaped: in the graph they would make every RDF/XML
# document and SPARQL XML answer that holds them ill-formed. Tab and line breaks are text.
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
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



def control_character(text: str) -> int | None:
    """Where the first character of `text` that is not text (a control character such as
    U+0001, which XML cannot carry) is; None when there is none."""
    found = _NOT_TEXT.search(text)
    return None if found is None else found.start()


def control_message(text: str, index: int, place: str) -> str:
    """The error for the control character at text[index], found at `place`."""
    return (f"control character U+{ord(text[index]):04X} at {place}: not text, and XML "
            "cannot carry it; remove it")


def future_date(day: date) -> str | None:
    """Why a source's date cannot be, or None: after tomorrow (time zones apart), no entry
    was made or updated then (a typo, 3009 for 2009, would date the whole dataset)."""
    if day > date.today() + timedelta(days=1):
        return f"{day.isoformat()} is in the future; expected the date it was written"
    return None


MAX_COMMENTARY = 10_000  # characters of a commentary in one language: the source's limit


def long_commentary(where: str, language: str, text: str) -> list[str]:
    """A warning for a commentary longer than the source ever held (DESIGN.md §1): more
    than the commentary may have been read as it (a page's footer, another entry)."""
    if len(text) <= MAX_COMMENTARY:
        return []
    return [f"{where}: the commentary ({language}) has {len(text):,} characters, where the "
            f"source's hold at most {MAX_COMMENTARY:,}; imported as it is"]
