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


# --- stars and "OCOP" typed into the box -----------------------------------------------------


@pytest.fixture
def starred(make):
    """Honey at 5 and 4 stars, tea at 5, each from a cooperative of its own."""

    def listing(stars: int, name: str, coop: str):
        cooperative = make.cooperative(legal_name=coop)
        return make.listing(
            coop=cooperative, name=name, cert=make.certificate(cooperative, stars=stars)
        )

    return [
        listing(5, "Mật ong bạc hà Mèo Vạc", "HTX Bạc hà Mèo Vạc"),
        listing(4, "Mật ong hoa nhãn Hưng Yên", "HTX Nhãn lồng Tiên Lữ"),
        listing(5, "Chè Shan tuyết Phìn Hồ", "HTX Chè Phìn Hồ"),
    ]


def test_stars_typed_in_the_box_become_the_stars_filter(client, starred):
    page = client.get("/search", query_string={"q": "mật ong 5 sao", "group": "1", "page": "2"})
    assert page.status_code == 302
    assert "Set-Cookie" not in page.headers  # anonymous and cacheable, as the page it sends to
    assert page.headers["Location"] == "/search?group=1&q=m%E1%BA%ADt+ong&stars=5"
    shown = client.get(page.headers["Location"])
    assert card_names(html(shown)) == ["Mật ong bạc hà Mèo Vạc"]
    # The filter is shown as a ticked one, removable; the box holds the words alone.
    assert 'href="/search?group=1&amp;q=m%E1%BA%ADt+ong"' in html(shown)
    assert 'value="mật ong"' in html(shown)


def test_stars_or_more_and_stars_already_ticked_are_both_kept(client, starred):
    page = client.get("/search", query_string={"q": "mat ong 4 sao tro len"})
    assert page.headers["Location"] == "/search?q=mat+ong&stars=4&stars=5"
    shown = client.get(page.headers["Location"])
    assert sorted(card_names(html(shown))) == [
        "Mật ong bạc hà Mèo Vạc",
        "Mật ong hoa nhãn Hưng Yên",
    ]
    ticked = client.get("/search", query_string={"q": "chè 5 sao", "stars": "4"})
    assert ticked.headers["Location"] == "/search?stars=4&stars=5&q=ch%C3%A8"


def test_ocop_alone_is_the_catalog_and_with_stars_its_starred_part(client, starred):
    page = client.get("/search", query_string={"q": "OCOP", "sort": "relevance"})
    assert page.headers["Location"] == "/products"
    assert len(card_names(html(client.get("/products")))) == 3
    five = client.get("/search", query_string={"q": "sản phẩm OCOP 5 sao"})
    assert five.headers["Location"] == "/products?stars=5"
    assert sorted(card_names(html(client.get(five.headers["Location"])))) == [
        "Chè Shan tuyết Phìn Hồ",
        "Mật ong bạc hà Mèo Vạc",
    ]


def test_generic_words_beside_stars_are_the_starred_catalog(client, starred):
    for typed in ("đặc sản 5 sao", "sản phẩm 5 sao", "hàng 5 sao"):
        page = client.get("/search", query_string={"q": typed})
        assert page.headers["Location"] == "/products?stars=5", typed
    assert sorted(card_names(html(client.get("/products?stars=5")))) == [
        "Chè Shan tuyết Phìn Hồ",
        "Mật ong bạc hà Mèo Vạc",
    ]


def test_searching_exactly_reads_stars_as_words(client, starred):
    page = client.get("/search", query_string={"q": "mật ong 5 sao", "exact": "1"})
    assert page.status_code == 200
    assert "Kết quả cho “mật ong 5 sao”" in html(page)


def test_nothing_of_those_stars_says_the_filters_are_why(client, starred):
    page = client.get("/search", query_string={"q": "chè 4 sao"}, follow_redirects=True)
    assert card_names(html(page)) == []
    assert "Không có sản phẩm nào khớp với “chè” cùng các bộ lọc này." in html(page)
    assert 'href="/search?q=ch%C3%A8"' in html(page)  # the chip that removes the stars


def test_a_price_and_an_order_typed_become_the_price_range_and_the_sort(client, make):
    for name, price in (("Gạo tám Hải Hậu", 90_000), ("Gạo ST25 Sóc Trăng", 180_000)):
        make.listing(name=name, packages=[{"label": "Túi 5 kg", "price": price, "stock": 5}])
    page = client.get("/search", query_string={"q": "gạo dưới 100k"})
    assert page.headers["Location"] == "/search?q=g%E1%BA%A1o&price_max=100000"
    assert card_names(html(client.get(page.headers["Location"]))) == ["Gạo tám Hải Hậu"]
    ranged = client.get("/search", query_string={"q": "gạo từ 150 đến 200 nghìn rẻ nhất"})
    assert ranged.headers["Location"] == (
        "/search?q=g%E1%BA%A1o&price_min=150000&price_max=200000&sort=price_asc"
    )
    cheapest = client.get("/search", query_string={"q": "gạo rẻ nhất"}, follow_redirects=True)
    assert card_names(html(cheapest)) == ["Gạo tám Hải Hậu", "Gạo ST25 Sóc Trăng"]
    # A price chosen on the page stays; relevance, the order of any text, is no choice.
    kept = client.get(
        "/search", query_string={"q": "gạo dưới 100k", "price_max": "200000", "sort": "relevance"}
    )
    assert kept.headers["Location"] == "/search?price_max=200000&sort=relevance&q=g%E1%BA%A1o"
    ordered = client.get("/search", query_string={"q": "gạo bán chạy", "sort": "relevance"})
    assert ordered.headers["Location"] == "/search?sort=best_selling&q=g%E1%BA%A1o"


def test_a_rewritten_search_keeps_only_the_pages_own_parameters(client, starred):
    # url_for's own arguments must not come from the URL ("_external" with "_scheme" made a
    # 500, or an absolute URL elsewhere); unknown names are dropped, the language is kept.
    page = client.get(
        "/search",
        query_string={
            "q": "mật ong 5 sao",
            "_external": "1",
            "_scheme": "javascript",
            "_anchor": 'x"',
            "utm_source": "zalo",
            "lang": "en",
        },
    )
    assert page.status_code == 302
    assert page.headers["Location"] == "/search?lang=en&q=m%E1%BA%ADt+ong&stars=5"
