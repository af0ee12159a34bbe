"""The catalog sorted by buyers' rating ("Đánh giá cao") and by sales ("Bán chạy"), and the
filter "Từ 4 sao đánh giá", on /products and /search, on both search engines."""

from __future__ import annotations

import pytest

from storefront.search import SearchQuery, search
from tests.fixtures.app import count_queries
from tests.fixtures.pages import card_names, html
from tests.fixtures.review_rows import add_review, set_sold


@pytest.fixture
def app(search_app):
    """These pages search: each test runs on each search backend (tests/fixtures/app.py)."""
    return search_app


@pytest.fixture
def rated(make):
    """Four kinds of mật ong: rated 4,5 (2 ratings), 5,0 (1), 3,0 (1), and none; sold 40,
    1 500, 0 and 12 000."""
    stock = [{"stock": 50}]
    made = {
        "hoa_vai": make.listing(name="Mật ong hoa vải", packages=stock),
        "rung": make.listing(name="Mật ong rừng", packages=stock),
        "bac_ha": make.listing(name="Mật ong bạc hà", packages=stock),
        "nhan": make.listing(name="Mật ong hoa nhãn", packages=stock),
    }
    add_review(made["hoa_vai"], 5)
    add_review(made["hoa_vai"], 4)
    add_review(made["rung"], 5)
    add_review(made["bac_ha"], 3)
    for key, sold in (("hoa_vai", 40), ("rung", 1_500), ("bac_ha", 0), ("nhan", 12_000)):
        set_sold(made[key].id, sold)
    return made


@pytest.mark.parametrize("path", ["/products", "/search?q=mat+ong"])
def test_sorted_by_rating_best_first_and_unrated_last(client, rated, path):
    joiner = "&" if "?" in path else "?"
    names = card_names(html(client.get(f"{path}{joiner}sort=rating")))
    assert names == ["Mật ong rừng", "Mật ong hoa vải", "Mật ong bạc hà", "Mật ong hoa nhãn"]


@pytest.mark.parametrize("path", ["/products", "/search?q=mat+ong"])
def test_sorted_by_sales(client, rated, path):
    joiner = "&" if "?" in path else "?"
    names = card_names(html(client.get(f"{path}{joiner}sort=best_selling")))
    assert names == ["Mật ong hoa nhãn", "Mật ong rừng", "Mật ong hoa vải", "Mật ong bạc hà"]


@pytest.mark.parametrize("path", ["/products", "/search?q=mat+ong"])
def test_rated_4_and_up(client, rated, path):
    joiner = "&" if "?" in path else "?"
    page = html(client.get(f"{path}{joiner}rating=4"))
    assert sorted(card_names(page)) == ["Mật ong hoa vải", "Mật ong rừng"]
    assert "Từ 4 sao đánh giá" in page.split('class="filter-chips"')[1]  # its chip
    assert client.get("/search/count?rating=4").get_json()["total"] == 2


def test_a_new_rating_reaches_the_index(client, rated, db):
    add_review(rated["bac_ha"], 5)  # 3 and 5: 4,0
    add_review(rated["nhan"], 4)
    found = search(SearchQuery(rating_bands=[4, 5], sort="rating"))
    assert found.ids == [rated[k].id for k in ("rung", "hoa_vai", "bac_ha", "nhan")]  # 4,0: more


def test_a_sale_that_keeps_the_shown_figure_keeps_the_index_order(client, rated):
    set_sold(rated["rung"].id, 1_599)  # still "1,5k"
    assert search(SearchQuery(sort="best_selling")).ids[:2] == [rated["nhan"].id, rated["rung"].id]
    set_sold(rated["hoa_vai"].id, 20_000)
    assert search(SearchQuery(sort="best_selling")).ids[0] == rated["hoa_vai"].id


@pytest.mark.parametrize(
    "path", ["/products", "/products?sort=rating&rating=4", "/products?sort=best_selling"]
)
def test_the_query_count_stays_small(app, client, make, db, path):
    # The Whoosh engine's count, as tests/web/shop/test_catalog.py's (the PostgreSQL engine's
    # search is two queries more: its generation and the search itself, whatever the sort).
    if app.config["SEARCH_BACKEND"] != "whoosh":
        pytest.skip("query counts are the Whoosh engine's")
    client.get(path)  # per-process reference data (unit names) loaded once

    def queries_for(n: int) -> int:
        for i in range(n):
            listing = make.listing(name=f"Vải sấy {i}", packages=[{"stock": 5}])
            add_review(listing, 4 + i % 2)
            set_sold(listing.id, 10 * i)
        with count_queries(db.engine) as statements:
            assert client.get(path).status_code == 200
        return len(statements)

    queries_for(1)  # this process's cards, whatever the tests before left (none: no log read)
    few = queries_for(2)
    many = queries_for(8)
    assert few == many
    assert many <= 6
