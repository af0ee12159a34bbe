"""The English UI shows a listing's English name (cards, product page, title, structured data)
and its English short description; the Vietnamese UI is unchanged. Pages and cards are cached
per language, so neither language is ever served the other's copy."""

from __future__ import annotations

import json
import re

import pytest

from tests.fixtures.pages import card_names, html


@pytest.fixture
def app(search_app):
    """These pages search: each test runs on each search backend (tests/fixtures/app.py)."""
    return search_app


@pytest.fixture
def listings(make):
    named = make.listing(
        name="Vải thiều Lục Ngạn",
        slug="vai-thieu",
        name_en="Luc Ngan lychee",
        summary_en="Tree-ripened, thick and juicy.",
        description="Quả chín đỏ, hái lúc sáng sớm.",
    )
    plain = make.listing(name="Mỳ Chũ Xuân Trường", slug="my-chu")
    return named, plain


def _jsonld(page: str) -> dict:
    return json.loads(re.search(r'application/ld\+json"[^>]*>(.*?)</script>', page, re.S)[1])


def _title(page: str) -> str:
    return re.search(r"<title>(.*?)</title>", page, re.S)[1]


def _h1(page: str) -> str:
    return re.search(r'<h1 class="product-title">(.*?)</h1>', page, re.S)[1]


def test_english_product_page_uses_the_english_name_and_keeps_the_vietnamese_one(client, listings):
    page = html(client.get("/products/vai-thieu?lang=en"))
    assert _h1(page) == "Luc Ngan lychee"
    assert _title(page).startswith("Luc Ngan lychee · ")
    assert '<meta property="og:title" content="Luc Ngan lychee">' in page
    assert '<p class="product-name-vi" lang="vi">Vải thiều Lục Ngạn</p>' in page
    assert '<p class="product-summary-en">Tree-ripened, thick and juicy.</p>' in page
    data = _jsonld(page)
    assert data["name"] == "Luc Ngan lychee"
    assert data["description"] == "Tree-ripened, thick and juicy."


def test_vietnamese_product_page_is_unchanged(client, listings):
    client.get("/products/vai-thieu?lang=en")  # the English copy is cached first
    page = html(client.get("/products/vai-thieu?lang=vi"))
    assert _h1(page) == "Vải thiều Lục Ngạn"
    assert _title(page).startswith("Vải thiều Lục Ngạn · ")
    assert "Luc Ngan lychee" not in page
    assert "Tree-ripened" not in page
    assert "product-name-vi" not in page
    data = _jsonld(page)
    assert data["name"] == "Vải thiều Lục Ngạn"
    assert data["description"] == "Quả chín đỏ, hái lúc sáng sớm."


def test_without_an_english_name_the_english_ui_shows_the_vietnamese_name(client, listings):
    page = html(client.get("/products/my-chu?lang=en"))
    assert _h1(page) == "Mỳ Chũ Xuân Trường"
    assert "product-name-vi" not in page
    assert "product-summary-en" not in page


@pytest.mark.parametrize("first", ["en", "vi"])
def test_cards_follow_the_language_whichever_was_cached_first(client, listings, first):
    second = "vi" if first == "en" else "en"
    expected = {
        "en": ["Luc Ngan lychee", "Mỳ Chũ Xuân Trường"],
        "vi": ["Vải thiều Lục Ngạn", "Mỳ Chũ Xuân Trường"],
    }
    for lang in (first, second, first):
        page = html(client.get(f"/products?lang={lang}"))
        assert sorted(card_names(page)) == sorted(expected[lang])
        assert ("Luc Ngan lychee" in page) == (lang == "en")


def test_related_cards_on_a_product_page_use_the_english_name(client, listings):
    client.get("/products/my-chu?lang=vi")
    page = html(client.get("/products/my-chu?lang=en"))
    assert "Luc Ngan lychee" in card_names(page)
    vietnamese = html(client.get("/products/my-chu?lang=vi"))
    assert "Luc Ngan lychee" not in vietnamese
