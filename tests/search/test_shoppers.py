"""Queries as shoppers type them, through the real index: shopping filler and words no
listing holds do not sink a query, fuzzy spellings come closest first, and a result's score
can be taken apart (flask search explain, /search?explain=1 in development)."""

from __future__ import annotations

import re

import pytest

from storefront.search import SearchQuery, engine, search
from storefront.search import explain as explain_search
from storefront.search.analysis import terms
from storefront.search.understanding import is_filler

PHUC_TRACH = 18547  # Xã Phúc Trạch, Hà Tĩnh
LUC_NGAN = 7582  # Xã Lục Ngạn, Bắc Ninh


def ids(text: str, **filters) -> list[int]:
    return search(SearchQuery(text=text, **filters)).ids


def _listing(make, name: str, *, commune: int = LUC_NGAN, **kw):
    return make.listing(name=name, origin_commune=make.commune(commune), **kw)


@pytest.fixture
def shop(make):
    made = {
        "buoi": _listing(
            make, "Bưởi Phúc Trạch", commune=PHUC_TRACH, description="Múi hồng, vị ngọt thanh."
        ),
        "mat_ong": _listing(make, "Mật ong rừng", description="Mật ong nguyên chất."),
        "mam": _listing(make, "Nước mắm cá cơm", description="Ủ chượp 12 tháng."),
        "banh_chung": _listing(make, "Bánh chưng gạo nếp"),
        "banh_da": _listing(make, "Bánh đa Kế"),
        "sanh": _listing(make, "Cây sanh dáng trực"),
        "ban": _listing(make, "Bản Cát Cát trải nghiệm"),
        "vai": _listing(make, "Vải thiều Lục Ngạn"),
        "mua_vai": _listing(make, "Trải nghiệm mùa vải"),
        "hong": _listing(make, "Hồng không hạt"),
    }
    return {key: listing.id for key, listing in made.items()}


# --- shopping filler and unknown words ---------------------------------------------------


def test_filler_words_are_dropped_and_rank_as_without_them(shop):
    assert ids("mua bưởi phúc trạch chính gốc") == ids("bưởi phúc trạch") == [shop["buoi"]]
    assert ids("mật ong rừng nguyên chất giá rẻ") == [shop["mat_ong"]]
    assert ids("cho mình hỏi nước mắm loại ngon") == ids("nước mắm") == [shop["mam"]]
    assert ids("buy organic honey online") == ids("honey") == [shop["mat_ong"]]
    assert ids("MUA   bưởi, GIÁ RẺ!") == [shop["buoi"]]
    result = search(SearchQuery(text="mua bưởi chính hãng"))
    assert result.ids == [shop["buoi"]] and result.suggestion is None and result.corrected is None


def test_filler_is_fold_aware_and_never_breaks_a_product_word(shop):
    words = terms("bán bánh bản ban mua gia re")
    assert is_filler(words[0:1]) and is_filler(words[4:5])  # "bán", "mua"
    assert not is_filler(words[1:2]) and not is_filler(words[2:3])  # "bánh", "bản"
    assert not is_filler(words[3:4])  # "ban" alone may be "bản": kept
    assert is_filler(words[5:7]) and is_filler(terms("mua ban"))  # phrases without marks
    assert ids("bán bánh chưng") == ids("bánh chưng") == [shop["banh_chung"]]
    assert set(ids("mua bánh")) == {shop["banh_chung"], shop["banh_da"]}
    assert ids("bản cát cát") == [shop["ban"]]
    assert ids("ban cat cat") == [shop["ban"]]
    assert ids("mua ban banh chung gia re") == [shop["banh_chung"]]
    # Side by side with a query word, a filler word still counts as the pair a name holds.
    assert ids("mua vai") == [shop["mua_vai"], shop["vai"]]
    # A query of filler alone is searched as typed.
    assert ids("mua") == [shop["mua_vai"]]


def test_a_word_no_listing_holds_and_no_correction_fixes_does_not_sink_the_query(shop):
    assert ids("mật ong qwzxv") == [shop["mat_ong"]]
    assert ids("wxyzq nước mắm") == [shop["mam"]]
    assert ids("qwzxv") == []  # nothing else: nothing found, no other listing "corrected" in
    # "chunx" is spelt nearly like "chung" (Bánh chưng), but no honey holds that either.
    assert ids("mật ong chunx") == [shop["mat_ong"]]
    assert ids("honey chunx") == [shop["mat_ong"]]


@pytest.mark.whoosh_only("explaining a ranking is a tool of the Whoosh engine")
def test_the_pass_that_dropped_an_unfixable_word_is_explained(shop):
    explained = explain_search(SearchQuery(text="honey chunx"))
    assert [hit.listing_id for hit in explained.hits] == [shop["mat_ong"]]
    assert explained.stage == "fuzzy, but words no spelling found dropped"


# --- fuzzy spellings ---------------------------------------------------------------------


def test_a_misspelling_finds_what_its_closest_spelling_finds(make):
    for name in ("Chanh leo", "Chanh không hạt", "Chăn bông", "Chạm gỗ", "Chè xanh"):
        _listing(make, name)
    assert ids("chanm leo")[0] == ids("chanh leo")[0]


@pytest.mark.whoosh_only("the Whoosh engine's candidate lists")
def test_fuzzy_candidates_come_closest_first_then_most_held(make):
    for name in ("Chanh leo", "Chanh không hạt", "Chăn bông", "Chạm gỗ", "Chè xanh"):
        _listing(make, name)
    assert len(ids("chanh")) == 2  # the searcher now sees them
    index = engine()
    near = index._neighbours("chanm", 2, False)
    assert {"chanh", "chan", "cham"} <= near
    closest = index._closest("chanm", near, 2)
    # One edit away only (chanh, chan, cham); chanh is held by two listings.
    assert closest[0] == "chanh" and set(closest) == {"chanh", "chan", "cham"}
    assert ids("chanm leo")[0] == ids("chanh leo")[0]


def test_short_and_right_words_are_never_spelt_into_others(shop):
    assert ids("bánh đa") == [shop["banh_da"]]  # never "Cây sanh" (đa → dáng, sanh)
    assert ids("banh da") == [shop["banh_da"]]
    honey = search(SearchQuery(text="honey"))
    assert shop["hong"] not in honey.ids and honey.suggestion is None  # never "hong"
    assert search(SearchQuery(text="hồng")).suggestion is None  # a right word stays


def test_description_words_alone_find_a_listing_only_side_by_side(make):
    # Description words are attributes of a listing found otherwise: a listing holding each
    # word of "bưởi ngọt" only apart in its description is not found, one holding "bưởi" in
    # its name and "ngọt" in its description is, and so is one whose description holds both
    # side by side (a pair).
    buoi = _listing(
        make, "Bưởi Phúc Trạch", commune=PHUC_TRACH, description="Múi hồng, vị ngọt thanh."
    )
    apart = _listing(make, "Cam Vinh", description="Không phải bưởi: cam này có vị ngọt.")
    paired = _listing(make, "Quà Tết", description="Hộp bưởi ngọt và cam.")
    found = ids("bưởi ngọt")
    assert set(found) == {buoi.id, paired.id} and apart.id not in found
    # "cam" in apart's name, "ngọt" in its description; paired holds both only apart in its
    # description ("ngọt và cam": the pair it holds is ngọt-cam, not cam-ngọt).
    assert ids("cam ngọt") == [apart.id]
    assert ids("múi hồng") == [buoi.id]


# --- explaining a result's score ---------------------------------------------------------


@pytest.mark.whoosh_only("explaining a ranking is a tool of the Whoosh engine")
def test_the_explanation_is_the_score_taken_apart(shop):
    explanation = explain_search(SearchQuery(text="bưởi ngọt"))
    assert [hit.listing_id for hit in explanation.hits] == ids("bưởi ngọt")
    hit = explanation.hits[0]
    assert hit.score == hit.parts_total > 0  # the parts are the very contributions scored
    labels = " | ".join(label for label, _ in hit.parts)
    assert "name, exact diacritics" in labels and "head-noun bonus" in labels
    assert "description" in labels  # ngọt is an attribute of the description
    assert [name for name, _ in hit.tiebreaks] == ["name_words", "stars", "in_stock", "created"]
    assert explanation.stage == "all words, relaxed"


@pytest.mark.whoosh_only("explaining a ranking is a tool of the Whoosh engine")
def test_the_explanation_tells_how_the_query_was_understood(shop):
    filler = explain_search(SearchQuery(text="mua bưởi chính hãng"))
    assert any("shopping filler" in line for line in filler.understood)
    english = explain_search(SearchQuery(text="honey"))
    assert any("English" in line and "mật ong" in line for line in english.understood)
    telex = explain_search(SearchQuery(text="maatj ong"))
    assert any("Telex" in line for line in telex.understood)
    dropped = explain_search(SearchQuery(text="mật ong qwzxv"))
    assert any("dropped from the required" in line for line in dropped.understood)
    assert dropped.stage == "all words but those no listing holds"
    fuzzy = explain_search(SearchQuery(text="buoix phuc trach"))
    for hit in fuzzy.hits:
        assert hit.score == hit.parts_total
    place = explain_search(SearchQuery(text="bưởi hà tĩnh"))
    assert any("place bonus" in label for label, _ in place.hits[0].parts)


@pytest.mark.whoosh_only("explaining a ranking is a tool of the Whoosh engine")
def test_an_explained_search_is_not_cached_and_changes_nothing(shop):
    before = search(SearchQuery(text="bưởi"))
    explain_search(SearchQuery(text="bưởi"))
    assert search(SearchQuery(text="bưởi")) == before


@pytest.mark.whoosh_only("explaining a ranking is a tool of the Whoosh engine")
def test_the_explain_command(runner, shop):
    out = runner.invoke(args=["search", "explain", "mua bưởi ngọt", "--limit", "2"])
    assert out.exit_code == 0, out.output
    assert "pass: all words" in out.output and "shopping filler" in out.output
    assert f"1. #{shop['buoi']} Bưởi Phúc Trạch" in out.output
    assert "score " in out.output and "then: name_words" in out.output


# --- /search?explain=1 -------------------------------------------------------------------


def test_the_explain_flag_is_ignored_when_off(app, client, shop):
    app.config["SEARCH_EXPLAIN"] = False
    assert not app.debug
    flagged = client.get("/search?q=bưởi&explain=1")
    assert flagged.status_code == 200
    assert b"search-explain" not in flagged.data and "no-store" not in flagged.headers.get(
        "Cache-Control", ""
    )
    body = flagged.get_data(as_text=True)
    assert "Bưởi Phúc Trạch" in body
    canonical = re.search(r'<link rel="canonical" href="([^"]+)"', body).group(1)
    assert "explain" not in canonical
    # The page without the flag never picks it up from a cached copy.
    assert "explain" not in re.search(
        r'<link rel="canonical" href="([^"]+)"', client.get("/search?q=bưởi").get_data(as_text=True)
    ).group(1)


@pytest.mark.whoosh_only("explaining a ranking is a tool of the Whoosh engine")
def test_the_explain_flag_shows_the_breakdown_in_development(app, client, shop):
    app.config["SEARCH_EXPLAIN"] = True
    try:
        page = client.get("/search?q=bưởi ngọt&explain=1")
        body = page.get_data(as_text=True)
        assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
        assert body.count('<details class="search-explain">') == 1
        assert "head-noun bonus" in body and "style=" not in body.split("search-explain")[1]
        # Never stored: the same search without the flag has no breakdown.
        again = client.get("/search?q=bưởi ngọt").get_data(as_text=True)
        assert "search-explain" not in again
        assert "search-explain" in client.get("/search?q=bưởi ngọt&explain=1").get_data(
            as_text=True
        )
    finally:
        app.config["SEARCH_EXPLAIN"] = False


# --- a product word with a place or detail no listing has ----------------------------------


def test_a_product_word_with_a_place_no_listing_comes_from_shows_that_product(shop, make):
    other_honey = _listing(make, "Mật ong bạc hà", description="Ong nuôi trên cao nguyên đá.")
    # Lý Sơn, Thái Nguyên and Mẫu Sơn are places of Vietnam no listing comes from: honey
    # from elsewhere is what the shopper wants, never nothing, and the page says what it
    # shows. Lục Ngạn is a listing's place, but not a honey's.
    for text in ("mật ong lý sơn", "mat ong thai nguyen", "honey mau son", "mật ong lục ngạn"):
        result = search(SearchQuery(text=text))
        assert set(result.ids) == {shop["mat_ong"], other_honey.id}, text
    result = search(SearchQuery(text="bưởi lý sơn"))
    assert result.ids == [shop["buoi"]] and result.corrected == "bưởi"
    # Asked exactly, the words stand as typed.
    assert search(SearchQuery(text="bưởi lý sơn", exact=True)).ids == []
    # A product word only some description holds makes no product of that kind: a sauce
    # "ướp tỏi" is not garlic from elsewhere.
    sauce = _listing(make, "Muối tôm", description="Muối tôm giã tay, ướp tỏi và ớt.")
    result = search(SearchQuery(text="tỏi lý sơn"))
    assert result.corrected != "tỏi"
    assert sauce.id not in search(SearchQuery(text="mật ong lý sơn")).ids


def test_a_vietnamese_word_with_marks_is_never_read_as_english(shop):
    # "mat" is English for a sleeping mat (chiếu); "mật" is honey's first word.
    assert ids("mật") == [shop["mat_ong"]]


def test_a_place_phrase_that_is_also_a_product_stays_a_product(shop, make):
    # "Thanh Long" is a commune's name too; as a product word it is never taken for a place.
    dragon = _listing(make, "Thanh long ruột đỏ")
    assert ids("thanh long")[0] == dragon.id
