"""The accent-insensitive rule every comparison of names shares (`lactgraph.text`)."""

import re
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from lactgraph.sources import fold
from lactgraph.text import _UNMARKED, without_marks


def _by_definition(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@given(st.text())
def test_without_marks_is_nfkd_without_combining_characters(text):
    assert without_marks(text) == _by_definition(text)


@given(st.text())
def test_fold_is_its_definition(text):
    """Unmarked, case-folded, every run of non-word characters (and "_") one space, no
    space at either end: what `fold` computes with translation tables, by its rule."""
    expected = re.sub(r"[\W_]+", " ", _by_definition(text).casefold()).strip()
    assert fold(text) == expected


def test_fold_sees_every_character_as_its_rule_does():
    """Each character of the Basic Multilingual Plane between two letters (the tables are
    filled character by character: a wrong entry would show here)."""
    for code in range(0x10000):
        if 0xD800 <= code < 0xE000:
            continue
        text = f"a{chr(code)}b{chr(code)}"
        expected = re.sub(r"[\W_]+", " ", _by_definition(text).casefold()).strip()
        assert fold(text) == expected, hex(code)


def test_examples():
    assert without_marks("Mesoteràpia") == "Mesoterapia"
    assert without_marks("\ufb01") == "fi"  # a compatibility decomposition
    assert without_marks("\u05e9\u05c1") == "\u05e9"  # a Hebrew point, not a Latin accent
    assert fold("Galmés  T½ — Ñandú") == "galmes t1 2 nandu"


def test_the_table_remembers_only_the_basic_plane():
    """A search for rare characters must not grow every worker's table without bound."""
    rare = "".join(map(chr, range(0x20000, 0x20400)))  # CJK Extension B: none combining
    before = len(_UNMARKED)
    assert without_marks(rare) == rare
    assert len(_UNMARKED) == before
    assert without_marks("\u00e9") == "e" and 0x301 in _UNMARKED
