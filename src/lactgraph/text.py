"""Accent-insensitive text: the one rule the readers, the linker and the name index share."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable


class CharTable(dict):
    """A `str.translate` table computed character by character as characters are met:
    a lookup per character in C, where a rule asked of each character in Python (or a
    regular expression substituting runs) costs a millisecond on a page's lines, each of
    which is tried as a level wording. It remembers the Basic Multilingual Plane only, so
    that a server's searches cannot grow it past a few MB."""

    def __init__(self, rule: Callable[[str], str | None]) -> None:
        super().__init__()
        self.rule = rule  # a character -> what replaces it (None: deleted)

    def __missing__(self, code: int) -> str | None:
        replaced = self.rule(chr(code))
        if code < _REMEMBERED:
            self[code] = replaced
        return replaced


_REMEMBERED = 0x10000


_UNMARKED = CharTable(lambda char: None if unicodedata.combining(char) else char)


def without_marks(text: str) -> str:
    """The text decomposed (NFKD) without its combining marks: 'Mesoteràpia' ->
    'Mesoterapia', 'ﬁ' -> 'fi'."""
    if text.isascii():  # nothing to decompose, no marks
        return text
    return unicodedata.normalize("NFKD", text).translate(_UNMARKED)
