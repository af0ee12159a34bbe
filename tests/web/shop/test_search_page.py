"""The search page when nothing matched what was typed: the corrected search's results, said
so, with a link to search exactly."""

from __future__ import annotations

import pytest

from tests.fixtures.pages import card_names, html


@pytest.fixture
def app(search_app):
    """These pages search: each test runs on each search backend (tests/fixtures/app.py)."""
    return search_app


LUC_NGAN = 7582  # Xã Lục Ngạn, Bắc Ninh


def test_nothing_found_shows_the_corrected_search_and_a_link_to_search_exactly(client, make):
    make.listing(name="Vải thiều Lục Ngạn", origin_commune=make.commune(LUC_NGAN))
    make.listing(name="Hồ tiêu Chư Sê", origin_commune=make.commune(LUC_NGAN))
    page = client.get("/search", query_string={"q": "vai tieu"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert card_names(html(page)) == ["Vải thiều Lục Ngạn"]
    assert "Đang hiển thị kết quả cho <strong>vai thieu</strong>" in text
    assert "Tìm chính xác “vai tieu”" in text
    assert 'href="/search?q=vai+tieu&amp;exact=1"' in text

    exact = client.get("/search", query_string={"q": "vai tieu", "exact": "1"})
    assert card_names(html(exact)) == []
    assert "Đang hiển thị kết quả cho" not in exact.get_data(as_text=True)
