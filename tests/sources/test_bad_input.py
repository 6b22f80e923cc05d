"""Bad input gives a SourceError naming the file, the line and what was expected."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from lactgraph.errors import SourceError
from lactgraph.sources.page import read_page, read_page_file

SEED = Path(__file__).resolve().parents[2] / "sources" / "mesotherapy.txt"
SEED_BYTES = SEED.read_bytes()
SEED_TEXT = SEED_BYTES.decode("utf-8")
CAVITATION = "  • Cavitation (Safe substance and/or breastfeeding is the best option.)"


def _line_of(text: str, fragment: str) -> int:
    return next(n for n, line in enumerate(text.split("\n"), 1) if fragment in line)


def _error(text: str) -> SourceError:
    with pytest.raises(SourceError) as caught:
        read_page(text, "page.txt")
    assert caught.value.path == "page.txt"
    return caught.value


def _edited(old: str, new: str) -> str:
    assert SEED_TEXT.count(old) == 1, old
    return SEED_TEXT.replace(old, new)


def _cut_after(fragment: str) -> str:
    return SEED_TEXT[: SEED_TEXT.index(fragment) + len(fragment)]


# --- files ------------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.txt"
    with pytest.raises(SourceError) as caught:
        read_page_file(path)
    assert (caught.value.path, caught.value.line) == (str(path), None)
    assert caught.value.message == "file not found"


def test_undecodable_byte_names_its_line(tmp_path: Path) -> None:
    lines = SEED_BYTES.split(b"\n")
    lines[5] = lines[5][:10] + b"\xff" + lines[5][10:]
    path = tmp_path / "bad.txt"
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(SourceError) as caught:
        read_page_file(path)
    assert caught.value.line == 6
    assert "0xff at column 11 is not UTF-8" in caught.value.message
    assert str(caught.value).startswith(f"{path}:6: ")


def test_undecodable_byte_after_crlf_lines(tmp_path: Path) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(b"Last update Jan. 26, 2019\r\n\r\nLikely Compatibility\r\n\xc3(\r\n")
    with pytest.raises(SourceError) as caught:
        read_page_file(path)
    assert caught.value.line == 4


@pytest.mark.parametrize(
    "encode",
    [
        lambda data: b"\xef\xbb\xbf" + data,
        lambda data: data.replace(b"\n", b"\r\n"),
        lambda data: b"\xef\xbb\xbf" + data.replace(b"\n", b"\r"),
    ],
    ids=["bom", "crlf", "bom-cr"],
)
def test_bom_and_line_breaks_do_not_change_the_result(tmp_path: Path, encode) -> None:
    path = tmp_path / "seed.txt"
    path.write_bytes(encode(SEED_BYTES))
    assert replace(read_page_file(path), source_file="") == replace(
        read_page_file(SEED), source_file=""
    )


# --- not an entry page, or cut off --------------------------------------------------------


@pytest.mark.parametrize("text", ["", "\n\n", "Hello.\n\nJust some text about cats.\n"])
def test_not_an_entry_page(text: str) -> None:
    error = _error(text)
    assert error.line is None
    assert "not an e-lactancia entry page" in error.message
    assert "'Last update'" in error.message


@pytest.mark.parametrize("character", ["\x01", "\x0c", "\x1b", "\uffff"])
def test_a_control_character_is_named_with_its_line_and_column(character: str) -> None:
    """Once imported verbatim, it made RDF/XML and SPARQL XML answers ill-formed."""
    error = _error(_edited("Mesotherapy involves", f"Meso{character}therapy involves"))
    assert error.line == _line_of(SEED_TEXT, "Mesotherapy involves")
    assert error.message == (f"control character U+{ord(character):04X} at column 5: not "
                             "text, and XML cannot carry it; remove it")


def test_reference_list_cut_off_mid_line() -> None:
    error = _error(
        _cut_after("20. Centers for Disease Control and Prevention (CDC). Outbreak of meso")
    )
    assert error.line == _line_of(SEED_TEXT, "20. Centers for Disease") == 63
    assert error.message == (
        "the page seems cut off: reference 20 has no year; expected 'Authors. Title. Journal. Year'"
    )


def test_reference_numbering_must_not_jump() -> None:
    fifth = next(line for line in SEED_TEXT.split("\n") if line.startswith("  5. "))
    error = _error(_edited(fifth + "\n", ""))
    assert error.line == _line_of(SEED_TEXT, "  6. Herreros") - 1
    assert "reference 6 where 5 was expected" in error.message


def test_commentary_without_a_level_is_a_cut_off_page() -> None:
    text = _edited("Likely Compatibility\n", "\n")
    text = text.replace(
        "Fairly safe. Mild or unlikely adverse effects. Compatible under certain circumstances. "
        "Follow-up recommended. Read Commentary.\n\nMesotherapy",
        "\nMesotherapy",
    )
    error = _error(text)
    assert error.line == _line_of(text, "Mesotherapy involves")
    assert "commentary but no risk level" in error.message
    assert "cut off" in error.message


def test_page_ending_with_a_heading() -> None:
    error = _error(_cut_after("See below the information of this related product:\n"))
    assert error.line == 18
    assert "ends with the heading 'See below the information of this related product:'" in (
        error.message
    )
    assert "cut off" in error.message


def test_item_cut_off_inside_its_parentheses() -> None:
    error = _error(_edited(CAVITATION, "  • Cavitation (Safe substance and/or"))
    assert error.line == 23
    assert "unbalanced parentheses" in error.message


# --- unknown or contradictory wording ----------------------------------------------------


def test_unknown_level_wording_of_an_alternative() -> None:
    error = _error(_edited(CAVITATION, "  • Cavitation (Totally fine.)"))
    assert error.line == _line_of(SEED_TEXT, "Cavitation") == 23
    assert "unknown level wording 'Totally fine.' for 'Cavitation'" in error.message
    assert "Safe substance and/or breastfeeding is the best option." in error.message
    assert "Likely Compatibility" in error.message
    assert str(error).startswith("page.txt:23: ")


def test_level_name_and_description_that_disagree() -> None:
    error = _error(_edited("Likely Compatibility\n", "Incompatible\n"))
    assert error.line == 6
    assert "disagree" in error.message
    assert "line 4 'Incompatible' means level 3" in error.message
    assert "means level 1" in error.message


def test_two_names_for_the_entry() -> None:
    error = _error(_edited("Mesotherapy belongs to", "Liposuction belongs to"))
    assert error.line == _line_of(SEED_TEXT, "belongs to this group")
    assert "names the entry 'Liposuction'" in error.message
    assert "'Mesotherapy'" in error.message


def test_unreadable_date() -> None:
    error = _error(_edited("Last update Jan. 26, 2019", "Last update Foo 26, 2019"))
    assert error.line == 1
    assert "cannot read the date 'Foo 26, 2019'" in error.message
    assert "30 de Agosto de 2021" in error.message


@pytest.mark.parametrize(("old", "new", "meant"), [
    ("Likely Compatibility\n", "Likely Compatibilty\n", "Likely Compatibility"),
    ("\nFairly safe. Mild", "\nFairly sfae. Mild", "Fairly safe. Mild or unlikely adverse"),
    ("Last update Jan. 26, 2019", "Last updte Jan. 26, 2019", "Last update"),
])
def test_a_misspelt_level_wording_or_date_label_is_named_at_its_line(old, new, meant):
    """A misspelt description went into the commentary without a word; a misspelt level
    name or date label made an error that named the commentary's first line instead."""
    text = _edited(old, new)
    error = _error(text)
    assert error.line == _line_of(text, new.strip()[:12])
    assert f"reads like {meant!r}"[:-1] in error.message and "misspelt" in error.message


def test_a_spanish_date_label_without_its_accents_is_read() -> None:
    text = _edited("Last update Jan. 26, 2019", "Ultima actualizacion: 26 de enero de 2019")
    assert read_page(text, "page.txt").updated == date(2019, 1, 26)


def test_items_with_levels_under_a_heading_of_names_are_an_error() -> None:
    """They became alternatives, whatever the heading said (an audit's finding)."""
    heading = "Mesotherapy is also known as"
    text = _edited(f"{heading}\n\n", f"{heading}\n\n{CAVITATION}\n\n")
    error = _error(text)
    assert error.line == _line_of(text, heading) + 2
    assert f"under {heading!r}: expected names without a level" in error.message


def test_a_date_in_the_future_is_an_error() -> None:
    """'June 22, 3024' was read, and became the dataset's latest update (an audit's)."""
    error = _error(_edited("Last update Jan. 26, 2019", "Last update Jan. 26, 3019"))
    assert error.line == 1 and "3019-01-26 is in the future" in error.message


def test_a_commentary_longer_than_the_sources_ever_were_imports_with_a_warning() -> None:
    """5.4 MB of commentary imported without a word (an audit's); the source's hold at
    most 10,000 characters."""
    paragraph = ("It is a practice without any demonstrated effectiveness, potentially harmful "
                 "and very expensive (Sivagnanam 2010, Atiyeh 2008).")
    text = _edited(paragraph, "\n\n".join([paragraph] * 200))
    product = read_page(text, "page.txt")
    assert product.warnings == [
        f"page.txt: line 8: the commentary (en) has {len(product.commentary['en']):,} "
        "characters, where the source's hold at most 10,000; imported as it is"]
    assert read_page(SEED_TEXT, "page.txt").warnings == []


def test_list_without_heading_or_levels() -> None:
    text = _edited(
        CAVITATION
        + "\n  • Cryolipolysis (Safe substance and/or breastfeeding is the best option.)",
        "  • Cavitation\n  • Cryolipolysis",
    )
    error = _error(text)
    assert error.line == 23
    assert "a list with no heading before it" in error.message


def test_prose_outside_the_commentary() -> None:
    error = _error(_edited("Total visits\n", "Total visits\n\nA stray paragraph of text.\n"))
    assert error.line == _line_of(SEED_TEXT, "Total visits") + 2
    assert "unrecognised text 'A stray paragraph of text.'" in error.message
    assert "(lines 8-16)" in error.message


def test_unknown_pharmacokinetic_variable() -> None:
    table = "Pharmacokinetics\n\nVariable  Value  Unit\nTmax  2  hours\nColour  blue  -\n\n"
    text = _edited("Total visits\n", table + "Total visits\n")
    error = _error(text)
    assert error.line == _line_of(text, "Colour")
    assert "unknown pharmacokinetic variable 'Colour'" in error.message


def test_wrong_pharmacokinetic_unit() -> None:
    table = "Pharmacokinetics\n\nVariable  Value  Unit\nTmax  2  mg\n\n"
    error = _error(_edited("Total visits\n", table + "Total visits\n"))
    assert "unit 'mg' for 'Tmax'" in error.message


def test_alternatives_and_none_at_once() -> None:
    text = _edited(
        "Other names\n",
        "We do not have alternatives for Mesotherapy since it is relatively safe.\n\nOther names\n",
    )
    error = _error(text)
    assert "lists alternatives and also says it has none" in error.message


def test_a_page_cut_off_between_references_imports_them_with_a_warning() -> None:
    """Once imported silently, the references after the cut simply missing."""
    tenth = next(line for line in SEED_TEXT.split("\n") if line.startswith("  10. "))
    product = read_page(_cut_after(tenth + "\n"), "page.txt")
    assert [reference.position for reference in product.references] == list(range(1, 11))
    assert product.warnings == [
        f"page.txt: line {_line_of(SEED_TEXT, tenth)}: the page ends with "
        "'10. Correa NE, Cataño JC, Mejía GI, Realpe T, Orozco B, Estrada S, Vélez A, Véle'… "
        "(248 characters) and no footer after it ('Help us improve this entry', 'Total "
        "visits'…): it may be cut off, its last section incomplete; imported as it is"]
    assert read_page(SEED_TEXT, "page.txt").warnings == []
