"""Slugs and folded text: Vietnamese letters to ASCII."""

from __future__ import annotations

import pytest

from storefront.core.text import fold_diacritics, slugify, unit_sort_key, vietnamese_sort_key


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Vải thiều Lục Ngạn", "vai-thieu-luc-ngan"),
        ("Đường phèn", "duong-phen"),
        ("Mỳ Chũ – Xuân Trường (Bắc Giang)", "my-chu-xuan-truong-bac-giang"),
        ("Khăn 180 × 55 cm", "khan-180-55-cm"),
        ("Nước mắm 43°N", "nuoc-mam-43-n"),
        ("  ĐẶC SẢN  ", "dac-san"),
    ],
)
def test_slugify(text, slug):
    assert slugify(text) == slug


def test_slugify_folds_decomposed_input_the_same():
    import unicodedata

    assert slugify(unicodedata.normalize("NFD", "Trà hoa vàng Sơn Động")) == "tra-hoa-vang-son-dong"
    assert fold_diacritics("Đắk Lắk") == "Dak Lak"


def test_vietnamese_sort_key_sorts_as_a_vietnamese_dictionary():
    names = ["Cần Thơ", "Cao Bằng", "Cà Mau", "Đà Nẵng", "Điện Biên", "Gia Lai", "Dương Nội"]
    assert sorted(names, key=vietnamese_sort_key) == [
        "Cà Mau",  # a, then a space before any letter
        "Cao Bằng",
        "Cần Thơ",  # â after a
        "Dương Nội",
        "Đà Nẵng",  # đ after every d
        "Điện Biên",
        "Gia Lai",
    ]
    # Tones only break ties, in the dictionary's order: none, huyền, hỏi, ngã, sắc, nặng.
    assert sorted(["mạ", "má", "mã", "mả", "mà", "ma"], key=vietnamese_sort_key) == [
        "ma",
        "mà",
        "mả",
        "mã",
        "má",
        "mạ",
    ]
    assert vietnamese_sort_key("Ô LONG") == vietnamese_sort_key("ô long")


def test_units_sort_on_their_names_without_tinh_or_xa():
    units = ["Thành phố Cần Thơ", "Tỉnh Cao Bằng", "Tỉnh Cà Mau", "Thành phố Đà Nẵng"]
    assert sorted(units, key=unit_sort_key) == [
        "Tỉnh Cà Mau",
        "Tỉnh Cao Bằng",
        "Thành phố Cần Thơ",
        "Thành phố Đà Nẵng",
    ]
    assert sorted(["Xã Bình Giang", "Phường Bình Đức"], key=unit_sort_key) == [
        "Phường Bình Đức",
        "Xã Bình Giang",
    ]
