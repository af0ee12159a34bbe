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
