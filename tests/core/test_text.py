"""Slugs and folded text: Vietnamese letters to ASCII."""

from __future__ import annotations

import pytest

from storefront.core.text import fold_diacritics, slugify


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
