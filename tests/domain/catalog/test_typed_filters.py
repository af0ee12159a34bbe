"""Stars and "OCOP" typed into the search box, read as the stars filter and cut from the text."""

from __future__ import annotations

import unicodedata

import pytest

from storefront.domain.catalog.typed_filters import TypedFilters, filters_in_text


@pytest.mark.parametrize(
    ("typed", "text", "stars"),
    [
        ("mật ong 5 sao", "mật ong", (5,)),
        ("Mật ong 5 Sao", "Mật ong", (5,)),
        ("mat ong 4 sao", "mat ong", (4,)),
        ("chè 3sao", "chè", (3,)),
        ("OCOP 4*", "", (4,)),
        ("mật ong 5★", "mật ong", (5,)),
        ("năm sao", "", (5,)),
        ("bốn sao Bắc Giang", "Bắc Giang", (4,)),
        ("5-star honey", "honey", (5,)),
        ("five stars tea", "tea", (5,)),
        # "or more": this many stars and up.
        ("chè 4 sao trở lên", "chè", (4, 5)),
        ("từ 4 sao", "", (4, 5)),
        ("4+ sao", "", (4, 5)),
        ("3 sao+ vải", "vải", (3, 4, 5)),
        # Two asked: both.
        ("4 sao 5 sao", "", (4, 5)),
        # OCOP: every listing is one.
        ("ocop", "", ()),
        ("sản phẩm OCOP Bắc Giang", "Bắc Giang", ()),
        ("san pham ocop 5 sao bac giang", "bac giang", (5,)),
        ("Gạo ST25 đạt chuẩn OCOP", "Gạo ST25", ()),
        ("hàng OCOP", "", ()),
        # Beside typed filters, generic and shopping words alone say nothing: dropped (they
        # would be required, and few listings write them: "đặc sản 5 sao" found none).
        ("sản phẩm 5 sao", "", (5,)),
        ("đặc sản 5 sao", "", (5,)),
        ("Hàng 5 SAO", "", (5,)),
        ("mua đặc sản 4 sao", "", (4,)),
        ("bán 5 sao", "", (5,)),
        ("bản 5 sao", "bản", (5,)),  # a village, not "bán": kept
        ("đặc sản Bắc Giang 5 sao", "đặc sản Bắc Giang", (5,)),  # something else asked
    ],
)
def test_stars_and_ocop_are_read_and_cut_from_the_text(typed, text, stars):
    assert filters_in_text(typed) == TypedFilters(text, stars)


@pytest.mark.parametrize(
    "typed",
    [
        "mật ong",
        "2 sao",  # not OCOP's stars: left as typed
        "15 sao",
        "1.5 sao",
        "Sao Đỏ",  # a name holding "Sao"
        "sao vàng",
        "ocopmart",
        "",
    ],
)
def test_other_text_is_left_as_typed(typed):
    assert filters_in_text(typed) is None


def test_a_text_typed_decomposed_is_read_the_same():
    typed = unicodedata.normalize("NFD", "Mật ong rừng 5 sao")  # (macOS, some keyboards)
    assert filters_in_text(typed) == TypedFilters("Mật ong rừng", (5,))


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("gạo dưới 100k", TypedFilters("gạo", price_max=100_000)),
        ("gạo dưới 100.000đ", TypedFilters("gạo", price_max=100_000)),
        ("gao duoi 100 nghin", TypedFilters("gao", price_max=100_000)),
        ("mật ong không quá 300.000 VND", TypedFilters("mật ong", price_max=300_000)),
        ("dưới 500000", TypedFilters("", price_max=500_000)),  # no unit, but after "dưới"
        ("trên 1,5tr", TypedFilters("", price_min=1_500_000)),
        ("quà tết từ 1 triệu", TypedFilters("quà tết", price_min=1_000_000)),
        ("trà từ 200 đến 500 nghìn", TypedFilters("trà", price_min=200_000, price_max=500_000)),
        ("trà 200k-500k", TypedFilters("trà", price_min=200_000, price_max=500_000)),
        ("200-500k chè", TypedFilters("chè", price_min=200_000, price_max=500_000)),
        ("500k - 200k", TypedFilters("", price_min=200_000, price_max=500_000)),
        # An amount alone is a budget.
        ("quà tết 500k", TypedFilters("quà tết", price_max=500_000)),
        ("mật ong giá 250.000", TypedFilters("mật ong", price_max=250_000)),
        # Orders.
        ("mật ong rẻ nhất", TypedFilters("mật ong", sort="price_asc")),
        ("chè bán chạy nhất", TypedFilters("chè", sort="best_selling")),
        ("gạo mới nhất", TypedFilters("gạo", sort="newest")),
        # All at once.
        (
            "OCOP 5 sao dưới 300k mật ong rẻ nhất",
            TypedFilters("mật ong", (5,), None, 300_000, "price_asc"),
        ),
    ],
)
def test_prices_and_orders_are_read_and_cut_from_the_text(typed, expected):
    assert filters_in_text(typed) == expected


@pytest.mark.parametrize(
    "typed",
    [
        "gạo ST25",
        "nước mắm 40 độ đạm",
        "homestay 2 ngày 1 đêm",
        "gạo 5kg",
        "mật ong 500g",
        "vải lụa 5m",
        "gạo mới",  # new rice, not the newest
        "tủ 3 cánh",
        "dưới 500",  # 500 đồng is no price
        "mua 3d",
        "1,5",
    ],
)
def test_numbers_that_are_no_price_are_left_as_typed(typed):
    assert filters_in_text(typed) is None
