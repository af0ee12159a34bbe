"""A listing's English name and short description are indexed: English queries find them
through the real index even when the query-time vocabulary does not know the words."""

from __future__ import annotations

from storefront.search import SearchQuery, reindex_all, search

LUC_NGAN = 7582  # Xã Lục Ngạn, Bắc Ninh


def ids(text: str) -> list[int]:
    return search(SearchQuery(text=text)).ids


def _listing(make, name: str, **kw):
    return make.listing(name=name, origin_commune=make.commune(LUC_NGAN), **kw)


def test_an_english_name_is_found_by_its_words(make):
    # Neither Vietnamese name says vải or chè: only the English names can match.
    lychee = _listing(make, "Quả đặc sản Hồng Xuân", name_en="Riverbank lychee")
    tea = _listing(make, "Sản phẩm đồi Tân Cương", name_en="Tan Cuong green tea")
    _listing(make, "Gạo nếp cái hoa vàng")
    assert ids("lychee") == [lychee.id]
    assert ids("riverbank") == [lychee.id]  # a word no vocabulary holds
    assert ids("green tea") == [tea.id]
    assert ids("Green  TEA") == [tea.id]


def test_the_english_summary_is_searchable_below_names(make):
    by_summary = _listing(
        make, "Quả đặc sản Hồng Xuân", summary_en="Sun-dried moonflower petals, hand picked."
    )
    by_name = _listing(make, "Sản phẩm Hồng Xuân", name_en="Moonflower tea")
    assert ids("moonflower") == [by_name.id, by_summary.id]


def test_without_an_english_name_nothing_english_matches(make):
    _listing(make, "Quả đặc sản Hồng Xuân")
    assert ids("riverbank") == []


def test_an_edit_of_the_english_name_reindexes_and_a_rebuild_keeps_it(make, db):
    listing = _listing(make, "Quả đặc sản Hồng Xuân")
    assert ids("riverbank") == []
    listing.name_en = "Riverbank lychee"
    db.session.commit()
    assert ids("riverbank") == [listing.id]
    reindex_all()
    assert ids("riverbank") == [listing.id]
