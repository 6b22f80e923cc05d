"""Untranslated entries: the source fills an English field it has no translation for with
the Spanish text (DESIGN.md §1), and its English page shows that text. Published as English,
such a commentary would be Spanish tagged `@en`, its citations counted twice; both readers
ask this module whether an English commentary is Spanish in fact.

The test is the share of function words, which a commentary of a few sentences holds by
the dozen: words that are common in one language and not words of the other.
"""

from __future__ import annotations

import re

_SPANISH = frozenset({
    "de", "la", "el", "los", "las", "del", "que", "y", "se", "por", "con", "una", "para",
    "es", "su", "al", "lo", "como", "más", "pero", "sus", "le", "ya", "este", "esta", "son",
    "también", "fue", "ha", "sobre", "entre", "sin"})
_ENGLISH = frozenset({
    "the", "of", "and", "to", "is", "with", "for", "that", "are", "was", "be", "by", "this",
    "it", "which", "from", "as", "has", "an", "or", "not", "their", "its", "been", "were"})
_WORD = re.compile(r"[^\W\d_]+")


def reads_as_spanish(text: str) -> bool:
    """Whether a text given as English is Spanish: at least ten Spanish function words,
    and over four times as many as English ones."""
    spanish = english = 0
    for word in _WORD.findall(text.casefold()):
        spanish += word in _SPANISH
        english += word in _ENGLISH
    return spanish >= 10 and spanish > 4 * english
