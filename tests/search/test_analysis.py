"""Vietnamese text analysis: folding, spellings, function words."""

from __future__ import annotations

from storefront.search.analysis import fold, query_terms, term, terms

# Current communes (vietnam-provinces 2026.9.0) and the pre-2025 commune of Lục Ngạn.


def test_folding_removes_every_mark_and_writes_d_for_dd():
    assert fold("Lục Ngạn") == fold("LUC NGAN") == fold("luc ngan") == "luc ngan"
    assert fold("ĐẶC SẢN") == fold("đặc sản") == "dac san"
    assert fold("Bưởi") == fold("buổi") == "buoi"


def test_decomposed_input_analyses_like_composed():
    import unicodedata

    assert terms(unicodedata.normalize("NFD", "Vải thiều")) == terms("Vải thiều")


def test_i_and_y_spellings_and_tone_placement_are_one_word():
    assert term("mỳ").exact == term("mì").exact and term("mỳ").folded == "mi"
    assert term("kỹ").exact == term("kĩ").exact
    assert term("Hoà").exact == term("hòa").exact  # old and new tone placement
    # ... but "uy" is a vowel, not a final y, and marks still tell words apart.
    assert term("thuỷ").folded == "thuy"
    assert term("bưởi").exact != term("buổi").exact
    assert term("mì").exact != term("mi").exact


def test_query_drops_function_words_and_repeats():
    assert [t.folded for t in query_terms("mật ong và gừng")] == ["mat", "ong", "gung"]
    assert [t.folded for t in query_terms("và")] == ["va"]  # nothing else left: kept
    assert [t.folded for t in query_terms("Mỳ mì chũ")] == ["mi", "chu"]
