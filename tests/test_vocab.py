"""Every known wording of a risk level maps to its number."""

import pytest

from lactgraph.vocab import RISK_LEVELS, level_for_wording


@pytest.mark.parametrize(
    ("wording", "level"),
    [
        ("Very Low Risk", 0),
        ("Compatible", 0),
        ("Not risky for breastfeeding or infant.", 0),
        ("Producto seguro y / o la lactancia materna es la mejor opción.", 0),
        ("Likely Compatibility", 1),
        ("Compatibilidad probable", 1),
        ("fairly safe. mild or unlikely adverse effects. compatible under certain "
         "circumstances. follow-up recommended. read commentary.", 1),
        ("Moderately safe. Probably compatible. Mild risk possible. Follow up recommended. "
         "Read the Comment.", 1),
        ("Limited compatibility", 2),
        ("High Risk", 2),
        ("Poorly safe. Evaluate carefully. Use safer alternative or interrupt breastfeeding 3 "
         "to 7 T ½ (elimination half-lives). Read the Comment.", 2),
        ("Incompatible", 3),
        ("Very unsafe. Contraindicated. Use of an alternative or cessation of breastfeeding. "
         "Read the Comment.", 3),
    ],
)
def test_wordings_map_to_levels(wording, level):
    assert level_for_wording(wording) == level


def test_unknown_wording_is_none():
    assert level_for_wording("Probably fine") is None


def test_long_texts_are_looked_up_by_their_fold():
    """A long text is ruled out from its beginning only when that beginning alone folds
    longer than any wording: a wording drowned in punctuation and spaces is still one."""
    assert level_for_wording("High Risk" + " . ," * 400) == 2
    assert level_for_wording("  Very    Low --- Risk  " + "!" * 1000) == 0
    assert level_for_wording("High Risk. " + "Ibuprofen is excreted in milk. " * 40) is None


def test_four_levels_with_both_languages():
    assert [r.level for r in RISK_LEVELS] == [0, 1, 2, 3]
    for risk in RISK_LEVELS:
        for names in (risk.risk_name, risk.compatibility_name, risk.description):
            assert set(names) == {"en", "es"}
