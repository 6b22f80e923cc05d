"""Accent-insensitive text: the one rule the readers, the linker and the name index share."""

from __future__ import annotations

import unicodedata


class _Unmarked(dict):
    """A `str.translate` table deleting combining characters (accents once decomposed),
    filled as characters are met: a lookup per character in C, where asking
    `unicodedata.combining` of each character in Python cost 0.7 of the 10 ms a page
    took to read (each of its lines is tried as a level wording). It remembers the Basic
    Multilingual Plane only, so that a server's searches cannot grow it past a few MB."""

    def __missing__(self, code: int) -> int | None:
        kept = None if unicodedata.combining(chr(code)) else code
        if code < _REMEMBERED:
            self[code] = kept
        return kept


_REMEMBERED = 0x10000


_UNMARKED = _Unmarked()


def without_marks(text: str) -> str:
    """The text decomposed (NFKD) without its combining marks: 'Mesoteràpia' ->
    'Mesoterapia', 'ﬁ' -> 'fi'."""
    return unicodedata.normalize("NFKD", text).translate(_UNMARKED)
