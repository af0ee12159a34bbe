"""Query understanding and graceful matching, through the real index: keyboard leftovers,
synonyms, English, place names, attributes, most-words, fuzzy and corrected searches."""

from __future__ import annotations

import pytest

from storefront.models import OcopGroup
from storefront.search import SearchQuery, search
from storefront.search.analysis import query_terms
from storefront.search.understanding import decode_keys, understand, vocabulary

LUC_NGAN = 7582  # Xã Lục Ngạn, Bắc Ninh (before 2025: Bắc Giang)
MEO_VAC = 769  # Xã Mèo Vạc, Tuyên Quang (before 2025: Hà Giang)
PHUC_TRACH = 18547  # Xã Phúc Trạch, Hà Tĩnh
HUE = 19819  # a commune of Huế (Thừa Thiên Huế until January 2025)
BUON_MA_THUOT = 24133  # Phường Buôn Ma Thuột, Đắk Lắk
BAT_TRANG = 577  # Xã Bát Tràng, Hà Nội
DO_LUONG = 17662  # Xã Đô Lương, Nghệ An


def ids(text: str, **filters) -> list[int]:
    return search(SearchQuery(text=text, **filters)).ids


def _listing(make, name: str, *, commune: int = LUC_NGAN, **kw):
    return make.listing(name=name, origin_commune=make.commune(commune), **kw)


@pytest.fixture
def shop(make):
    made = {
        "vai": _listing(make, "Vải thiều Lục Ngạn", description="Quả chín đỏ, vị ngọt sắc."),
        "mat_ong": _listing(make, "Mật ong bạc hà", commune=MEO_VAC),
        "buoi": _listing(
            make, "Bưởi Phúc Trạch", commune=PHUC_TRACH, description="Múi hồng, vị ngọt thanh."
        ),
        "cu_do": _listing(make, "Kẹo cu đơ Giang Đình", commune=PHUC_TRACH),
        "mam": _listing(make, "Nước mắm cá cơm", commune=HUE),
        "cafe": _listing(
            make, "Cà phê Robusta rang mộc", commune=BUON_MA_THUOT, group=OcopGroup.DRINKS
        ),
        "tra": _listing(make, "Trà xanh búp", group=OcopGroup.DRINKS),
        "lap": _listing(make, "Lạp xưởng tươi"),
        "gao": _listing(make, "Gạo tám xoan Hải Hậu"),
        "bun": _listing(make, "Bún gạo khô"),
        "gom": _listing(make, "Gốm men lam", commune=BAT_TRANG, group=OcopGroup.HANDICRAFTS),
        "thanh_long": _listing(make, "Thanh long ruột đỏ"),
    }
    return {key: listing.id for key, listing in made.items()}


def test_keyboard_leftovers_decode_to_the_letters_without_marks():
    assert decode_keys("vaij") == "vai"  # Telex: tone key left at the end
    assert decode_keys("thieeu") == "thieu"  # doubled vowel for ê
    assert decode_keys("maatj") == "mat"
    assert decode_keys("duwa") == "dua"  # w for ư
    assert decode_keys("ddaof") == "dao"  # dd for đ
    assert decode_keys("mam5") == "mam" and decode_keys("d9ao2") == "dao"  # VNI digits
    assert decode_keys("honey") is None  # nothing to decode


def test_telex_and_vni_leftovers_find_the_product(shop):
    assert ids("vaij thieeu luc ngan") == [shop["vai"]]
    assert ids("maatj ong bac ha") == [shop["mat_ong"]]
    assert ids("nuoc mam5") == [shop["mam"]]
    assert ids("buwowir phucs trachj") == [shop["buoi"]]


def test_a_known_word_is_never_decoded(shop):
    # "tras" is not a word; "tra" is, and stays as typed in "tra xanh".
    assert ids("tra xanh") == [shop["tra"]]
    assert ids("tras xanh") == [shop["tra"]]


def test_synonyms_and_abbreviations(shop):
    assert ids("cafe") == [shop["cafe"]]
    assert ids("café robusta") == [shop["cafe"]]
    assert ids("chè xanh") == [shop["tra"]]  # chè and trà are one
    assert ids("lap suong") == [shop["lap"]]
    assert ids("lạp sườn") == [shop["lap"]]
    assert ids("cafe BMT") == [shop["cafe"]]


def test_english_names_of_product_types(shop):
    assert ids("lychee") == [shop["vai"]]
    assert ids("fish sauce") == [shop["mam"]]
    assert ids("honey") == [shop["mat_ong"]]
    assert ids("green tea") == [shop["tra"]]
    assert ids("pomelo") == [shop["buoi"]]


def test_an_english_product_type_is_found_where_listings_say_what_they_are(make):
    """Its Vietnamese words match a listing's name or product type, not the same syllables
    in a description, a place or a group's name: "incense" is "hương", "hương vị" is in
    descriptions; "turmeric" is "nghệ", as in "mỹ nghệ" and Nghệ An; "orange" is "cam"."""
    incense = _listing(make, "Hương trầm Yên Bái", group=OcopGroup.HERBS)
    turmeric = _listing(make, "Tinh bột nghệ vàng", group=OcopGroup.HERBS)
    orange = _listing(make, "Cam sành Hà Giang")
    flavour = _listing(make, "Chè lam Phủ Quảng", description="Hương vị gừng, mạch nha.")
    craft = _listing(make, "Tranh làng Sình", group=OcopGroup.HANDICRAFTS)  # "mỹ nghệ"
    from_nghe_an = _listing(make, "Kẹo lạc Đô Lương", commune=DO_LUONG)
    cam_in_description = _listing(make, "Mứt gừng", description="Có vị cam thảo.")
    assert ids("incense") == [incense.id]
    assert ids("nhang") == [incense.id]  # synonyms.toml `in_names`: the same rule
    assert ids("turmeric") == [turmeric.id]
    assert ids("orange") == [orange.id]
    # The same words typed in Vietnamese still find every listing that holds them.
    assert set(ids("hương")) == {incense.id, flavour.id}
    assert set(ids("nghệ")) == {turmeric.id, craft.id, from_nghe_an.id}
    assert set(ids("cam")) == {orange.id, cam_in_description.id}
    # A two-word type still matches as a phrase, in a description too.
    in_description = _listing(make, "Trải nghiệm bản Lác", description="Tour du lịch bản Lác.")
    assert in_description.id in ids("trip")


def test_an_english_tour_finds_tourism_by_its_group_name(make):
    """A tourism listing that never says "du lịch" is found by "tour": its OCOP group's name
    says it (the pair "du lịch" in the group's words)."""
    village = _listing(make, "Làng gốm Thanh Hà", group=OcopGroup.TOURISM)
    _listing(make, "Gạo tám xoan Hải Hậu", description="Đặc sản du lịch.")  # apart: no
    assert village.id in ids("tour")
    assert ids("excursion") == ids("tour")


def test_the_did_you_mean_leaves_english_and_right_words_alone(shop):
    for text in ("honey", "mango", "bưởi ngọt", "ngọt"):
        assert search(SearchQuery(text=text)).suggestion is None, text
    mango = search(SearchQuery(text="mango"))
    assert mango.ids == [] and mango.corrected is None


def test_a_place_reaching_further_wins_over_one_it_overlaps():
    """ "trà sơn la" is tea from Sơn La, though Trà Sơn is a commune some listing comes from
    too: read left to right, "trà sơn" would leave a stray "la"."""
    places = {"tra_son", "son_la", "tra_vinh"}
    clauses = understand(query_terms("trà sơn la"), lambda word: True, places.__contains__)
    assert [(c.place, [t.folded for t in c.typed]) for c in clauses] == [
        (None, ["tra"]),
        ("son_la", ["son", "la"]),
    ]
    alone = understand(query_terms("trà sơn"), lambda word: True, places.__contains__)
    assert [c.place for c in alone] == ["tra_son"]
    vinh = understand(query_terms("trà vinh"), lambda word: True, places.__contains__)
    assert [c.place for c in vinh] == ["tra_vinh"]


def test_the_vocabulary_is_large_enough():
    english = [key for key, values in vocabulary().phrases.items() if values]
    assert len(english) >= 120


def test_description_words_are_attributes_below_name_matches(shop, make):
    sweet_in_name = _listing(make, "Bưởi ngọt Đoan Hùng")
    assert ids("bưởi ngọt") == [sweet_in_name.id, shop["buoi"]]
    # The attribute alone in a description is not enough for a two-word query: nothing is
    # "gốm ngọt", so the product word alone is searched, and the page says so.
    assert ids("gốm ngọt", exact=True) == []
    alone = search(SearchQuery(text="gốm ngọt"))
    assert alone.ids == [shop["gom"]] and alone.corrected == "gốm"


def test_a_place_name_is_matched_whole_like_a_filter(shop):
    # Kẹo cu đơ Giang Đình (Hà Tĩnh) holds "hà" and "giang", and "giang" in its name; the
    # honey comes from Mèo Vạc, Hà Giang before 2025.
    assert ids("hà giang")[0] == shop["mat_ong"]
    assert ids("mat ong ha giang") == [shop["mat_ong"]]


def test_the_january_2025_rename_of_hue(shop):
    assert ids("thừa thiên huế") == [shop["mam"]]
    assert ids("nuoc mam thua thien hue") == [shop["mam"]]
    assert ids("nước mắm tt huế") == [shop["mam"]]


def test_the_head_noun_ranks_first(shop):
    # Rice before rice noodles, though both names hold "gạo".
    assert ids("gạo") == [shop["gao"], shop["bun"]]


def test_most_words_when_all_find_nothing(shop):
    # No listing holds "thơm": the listing holding the other four words is found.
    assert ids("gạo tám thơm hải hậu") == [shop["gao"]]
    assert ids("vai gom") == []  # two words: both still required


def test_fuzzy_and_an_unfinished_last_word(shop):
    assert ids("thanh longg") == [shop["thanh_long"]]
    assert ids("thanh lon") == [shop["thanh_long"]]
    assert ids("buoi phuc trahc") == [shop["buoi"]]  # letters swapped


def test_nothing_found_runs_the_suggestion_and_says_so(shop):
    result = search(SearchQuery(text="vai tieu"))  # both words exist, never together
    assert result.ids == [shop["vai"]] and result.corrected == "vai thieu"
    exact = search(SearchQuery(text="vai tieu", exact=True))
    assert exact.ids == [] and exact.corrected is None


def test_a_product_and_a_word_none_of_it_holds_finds_the_product_alone(shop, make):
    """ "gạo ngon": no rice says "ngon" (a sweet's description does), and two words are both
    required, so the rice alone is searched and the page says so ("Kết quả cho gạo"). Not
    when the other word names a product too ("vải gốm": which one?), nor when it is unknown
    (then it is dropped or corrected, as before)."""
    _listing(make, "Kẹo lạc", description="Giòn ngon, ít ngọt.")
    rice = search(SearchQuery(text="gạo ngon"))
    assert rice.corrected == "gạo" and rice.ids[0] == shop["gao"]
    assert set(rice.ids) == {shop["gao"], shop["bun"]}
    assert search(SearchQuery(text="gạo ngon", exact=True)).ids == []
    both = search(SearchQuery(text="vải gốm"))
    assert both.ids == [] and both.corrected is None
    unknown = search(SearchQuery(text="gạo xyzzy"))  # the unknown word is dropped instead
    assert unknown.ids[0] == shop["gao"] and unknown.corrected is None


def test_two_right_words_are_not_corrected_into_a_pair_no_name_holds(shop, make):
    """ "bánh đa" holds two words spelt right, never together: "bánh" is not "corrected" to
    "bình" because a bonsai pot's name has "bình" and its description "đá". A known word is
    replaced only when the new word and a neighbour stand together in some name ("vai
    thieu"); the query then says it found nothing."""
    cake = _listing(make, "Bánh tráng phơi sương")
    _listing(make, "Bình gốm men rạn", description="Đế đá xanh, dáng thon.")
    for text in ("bánh đa", "banh da"):
        result = search(SearchQuery(text=text))
        # The product word alone ("bánh", said as a correction), never the pot.
        assert result.ids == [cake.id] and result.corrected in ("bánh", "banh"), text
    assert search(SearchQuery(text="binh da")).total == 1  # what "bình đá" does match
    assert search(SearchQuery(text="vai tieu")).corrected == "vai thieu"


def test_stars_then_stock_break_ties(make):
    coop = make.cooperative()
    preorder = _listing(
        make,
        "Chè búp",
        coop=coop,
        cert=make.certificate(coop, stars=4),
        packages=[{"stock": 0, "preorder": True}],
    )
    in_stock = _listing(make, "Chè búp", coop=coop, cert=make.certificate(coop, stars=4))
    five = _listing(make, "Chè búp", coop=coop, cert=make.certificate(coop, stars=5))
    assert ids("chè búp") == [five.id, in_stock.id, preorder.id]
