"""Catalog filters: removable chips for the active filters, the filter sheet's live result
count (/search/count), sort in the results bar, and the plain form without JavaScript."""

from __future__ import annotations

import html as htmllib
import re
from urllib.parse import parse_qsl, urlsplit

import pytest

from storefront.domain.catalog.version import current as catalog_version
from storefront.models import Listing, OcopGroup
from storefront.search import engine as search_engine
from tests.fixtures.app import count_queries
from tests.fixtures.pages import card_names, html


@pytest.fixture
def app(search_app):
    """These pages search: each test runs on each search backend (tests/fixtures/app.py)."""
    return search_app


LUC_NGAN = 7582  # Xã Lục Ngạn, Bắc Ninh
BAT_TRANG = 577  # Xã Bát Tràng, Hà Nội


@pytest.fixture
def shop(make):
    """Five public listings: three fruit of one cooperative in Lục Ngạn (4 and 5 stars), two
    handicrafts of Bát Tràng (3 stars), at prices from 90.000 to 900.000 đồng."""
    fruit = make.cooperative(legal_name="HTX Vải thiều Hồng Xuân")
    pottery = make.cooperative(legal_name="HTX Gốm Bát Tràng")
    luc_ngan, bat_trang = make.commune(LUC_NGAN), make.commune(BAT_TRANG)

    def four():
        return make.certificate(fruit, stars=4)

    def five():
        return make.certificate(fruit, stars=5)

    def three():
        return make.certificate(pottery, stars=3)

    listings = [
        make.listing(
            coop=fruit,
            cert=four(),
            name="Vải thiều Lục Ngạn",
            origin_commune=luc_ngan,
            packages=[{"price": 150_000}],
        ),
        make.listing(
            coop=fruit,
            cert=four(),
            name="Vải sấy Lục Ngạn",
            origin_commune=luc_ngan,
            packages=[{"price": 90_000}],
        ),
        make.listing(
            coop=fruit,
            cert=five(),
            name="Mật ong vải Lục Ngạn",
            origin_commune=luc_ngan,
            packages=[{"price": 250_000}],
        ),
        make.listing(
            coop=pottery,
            cert=three(),
            name="Gốm men lam",
            group=OcopGroup.HANDICRAFTS,
            origin_commune=bat_trang,
            packages=[{"price": 900_000}],
        ),
        make.listing(
            coop=pottery,
            cert=three(),
            name="Gốm men rạn",
            group=OcopGroup.HANDICRAFTS,
            origin_commune=bat_trang,
            packages=[{"price": 400_000}],
        ),
    ]
    return {
        "fruit": fruit,
        "pottery": pottery,
        "listings": listings,
        "bac_ninh": luc_ngan.province.code,
        "ha_noi": bat_trang.province.code,
    }


def chips(page: str) -> dict[str, dict[str, list[str]]]:
    """The active-filter chips: visible label → the parameters of the URL it links to."""
    found = {}
    block = re.search(r'<ul class="filter-chips".*?</ul>', page, re.S)
    if block is None:
        return found
    for href, inner in re.findall(
        r'<a class="filter-chip[^"]*" href="([^"]+)">(.*?)</a>', block.group(0), re.S
    ):
        label = re.sub(r'<span class="visually-hidden">.*?</span>|<[^>]+>|×', "", inner)
        url = urlsplit(htmllib.unescape(href))
        params: dict[str, list[str]] = {}
        for key, value in parse_qsl(url.query):
            params.setdefault(key, []).append(value)
        label = re.sub(r"[ \t\n]+", " ", htmllib.unescape(label)).strip()  # keeps nbsp
        found[label] = {"path": [url.path], **params}
    return found


# --- chips ----------------------------------------------------------------------------------


def test_no_chips_without_a_filter(client, shop):
    page = html(client.get("/products"))
    assert chips(page) == {}
    assert 'class="filter-chips"' not in page


def test_each_active_filter_has_a_chip_linking_to_the_page_without_it(client, shop):
    fruit, pottery = shop["fruit"].id, shop["pottery"].id
    query = (
        f"/products?group=1&group=4&stars=4&province={shop['bac_ninh']}&commune={LUC_NGAN}"
        f"&coop={fruit}&coop={pottery}&price_min=100.000&price_max=300000&sort=price_asc&page=2"
    )
    found = chips(html(client.get(query)))
    base = {
        "group": ["1", "4"],
        "stars": ["4"],
        "province": [str(shop["bac_ninh"])],
        "commune": [str(LUC_NGAN)],
        "coop": [str(fruit), str(pottery)],
        "price_min": ["100.000"],
        "price_max": ["300000"],
        "sort": ["price_asc"],
    }

    def without(name, value=None):
        expected = {"path": ["/products"], **{k: list(v) for k, v in base.items()}}
        kept = [v for v in expected[name] if value is not None and v != value]
        if kept:
            expected[name] = kept
        else:
            del expected[name]
        return expected

    assert found["Thực phẩm"] == without("group", "1")
    assert found["Thủ công mỹ nghệ"] == without("group", "4")
    assert found["4 sao OCOP"] == without("stars")
    assert found["Thành phố Bắc Ninh"] == without("province")
    assert found["Xã Lục Ngạn"] == without("commune")
    assert found["HTX Vải thiều Hồng Xuân"] == without("coop", str(fruit))
    assert found["HTX Gốm Bát Tràng"] == without("coop", str(pottery))
    price = without("price_min")
    del price["price_max"]
    assert found["Giá: 100.000\u00a0₫ – 300.000\u00a0₫"] == price
    # "Clear all" keeps the search words and the sort, nothing else (and page 1).
    assert found["Xóa tất cả"] == {"path": ["/products"], "sort": ["price_asc"]}
    assert len(found) == 9  # one chip per value, and no other


def test_price_chips_for_one_bound(client, shop):
    assert chips(html(client.get("/products?price_min=200000")))["Giá: từ 200.000\u00a0₫"] == {
        "path": ["/products"]
    }
    assert chips(html(client.get("/products?price_max=200000&stars=3")))[
        "Giá: đến 200.000\u00a0₫"
    ] == {"path": ["/products"], "stars": ["3"]}


def test_search_chips_keep_the_search_words(client, shop):
    found = chips(html(client.get("/search", query_string={"q": "gốm", "stars": "3"})))
    assert found["3 sao OCOP"] == {"path": ["/search"], "q": ["gốm"]}
    assert found["Xóa tất cả"] == {"path": ["/search"], "q": ["gốm"]}


def test_a_chip_link_restores_the_list(client, shop):
    filtered = html(client.get("/products?group=4&stars=3"))
    assert set(card_names(filtered)) == {"Gốm men lam", "Gốm men rạn"}
    href = chips(filtered)["Thủ công mỹ nghệ"]
    unfiltered = html(
        client.get("/products", query_string={k: v for k, v in href.items() if k != "path"})
    )
    assert set(card_names(unfiltered)) == {"Gốm men lam", "Gốm men rạn"}  # only 3 stars
    everything = html(client.get(chips(filtered)["Xóa tất cả"]["path"][0]))
    assert len(card_names(everything)) == 5


def test_a_chosen_filter_that_matches_nothing_can_still_be_taken_off(client, shop):
    # No 5-star listing in Hà Nội: the index counts no Hà Nội listing with 5 stars, yet the
    # province stays ticked in the form and has its chip.
    page = html(client.get(f"/products?stars=5&province={shop['ha_noi']}"))
    assert card_names(page) == []
    assert re.search(rf'name="province" value="{shop["ha_noi"]}" checked', page)
    assert chips(page)["Thành phố Hà Nội"] == {"path": ["/products"], "stars": ["5"]}


def test_chips_are_translated(client, shop):
    client.get("/?lang=en")
    found = chips(html(client.get("/products?stars=4&price_max=100000")))
    assert "4-star OCOP" in found and "Clear all" in found
    assert "Price: up to 100,000\u00a0₫" in found


# --- the results bar and the form without JavaScript -----------------------------------------


def test_filters_are_a_plain_form_with_sort_in_the_results_bar(client, shop):
    page = html(client.get("/products?stars=4"))
    form = re.search(
        r'<form class="facets" id="catalog-filters" method="get" action="/products"'
        r".*?</form>",
        page,
        re.S,
    ).group(0)
    assert '<button type="submit" class="button facets__apply"' in form
    assert "Áp dụng bộ lọc" in form
    assert 'data-show-label="Xem 2 sản phẩm"' in form  # the sheet's button before any choice
    # The sort select sits in the bar above the results but belongs to the same form, with a
    # submit button for browsers without JavaScript.
    bar = re.search(r'<div class="catalog-bar">.*?</div>\s*</div>', page, re.S).group(0)
    assert 'href="#filters"' in bar and "Bộ lọc (1)" in bar
    assert '<select id="catalog-sort" name="sort" form="catalog-filters">' in bar
    assert re.search(
        r'<noscript><button type="submit" form="catalog-filters"[^>]*>Sắp xếp'
        r"</button></noscript>",
        bar,
    )
    # Nothing is folded by a script: no <details open> to close on load.
    assert "<details" not in page.split('<div class="catalog">')[1]
    assert 'href="/static/css/filters.css' in page and 'src="/static/js/filters.js' in page


def test_sort_and_filters_still_combine(client, shop):
    page = html(client.get("/products?group=1&sort=price_asc"))
    assert card_names(page) == ["Vải sấy Lục Ngạn", "Vải thiều Lục Ngạn", "Mật ong vải Lục Ngạn"]
    assert '<option value="price_asc" selected>' in page
    page = html(client.get("/products?group=1&sort=price_desc&price_max=200000"))
    assert card_names(page) == ["Vải thiều Lục Ngạn", "Vải sấy Lục Ngạn"]


# --- the live count -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "total"),
    [
        ("", 5),
        ("group=1", 3),
        ("group=1&group=4", 5),
        ("stars=4", 2),
        ("stars=4&stars=5", 3),
        ("group=4&price_min=500.000", 1),
        ("price_max=200000", 2),
        ("province={bac_ninh}&stars=5", 1),
        ("province={ha_noi}&stars=5", 0),
        ("coop={pottery}", 2),
        (f"commune={LUC_NGAN}", 3),
        ("q=gom", 2),
        ("q=lục+ngạn&price_min=100000", 2),
        ("q=vai&sort=price_desc&page=3", 3),  # sort and page do not change the total
        ("stars=9&group=abc", 5),  # invalid values are ignored, as on the page
    ],
)
def test_count_is_the_total_the_page_would_list(client, shop, query, total):
    query = query.format(
        bac_ninh=shop["bac_ninh"], ha_noi=shop["ha_noi"], pottery=shop["pottery"].id
    )
    response = client.get(f"/search/count?{query}")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.json["total"] == total
    assert response.json["label"] == f"Xem {total} sản phẩm"
    # The same as the page for these parameters says and shows.
    page = html(client.get(f"/{'search' if 'q=' in query else 'products'}?{query}"))
    assert f'id="result-count">{total} sản phẩm</h2>' in page
    if "page=" not in query:
        assert len(card_names(page)) == total


def test_count_follows_the_language(client, shop):
    client.get("/?lang=en")
    assert client.get("/search/count?group=4").json["label"] == "Show 2 products"
    assert client.get("/search/count?stars=5").json["label"] == "Show 1 product"


def test_count_is_cheap_and_changes_nothing(client, shop, db):
    version = catalog_version()
    client.get("/search/count?group=1")  # the index is open, the session settled
    with count_queries(db.engine) as statements:
        response = client.get("/search/count?group=1&stars=4")
    assert response.json["total"] == 2
    # No listing row is loaded: the index answers (a request may still read the catalog
    # version or the session's account, never the products).
    assert not [s for s in statements if "FROM listings" in s or "FROM packages" in s]
    assert len(statements) <= 2
    assert catalog_version() == version
    assert db.session.query(Listing).count() == 5
    assert "Set-Cookie" not in response.headers or "session=" not in response.headers["Set-Cookie"]
    assert response.headers["X-Robots-Tag"] == "noindex"
    assert client.post("/search/count?group=1").status_code in (400, 405)  # GET only


@pytest.mark.parametrize("extra", ["_anchor=x", "_external=1&_scheme=javascript", "_method=GET"])
def test_parameters_the_page_does_not_read_stay_out_of_its_links(
    client, shop, app, monkeypatch, extra
):
    # The chips and the page links are built with url_for from the request's parameters:
    # one named like url_for's own arguments was a 500, or a link to elsewhere.
    monkeypatch.setitem(app.config, "CATALOG_PAGE_SIZE", 2)
    page = client.get(f"/products?stars=4&stars=5&utm_source=zalo&{extra}")
    assert page.status_code == 200
    links = [htmllib.unescape(h) for h in re.findall(r'<a [^>]*href="([^"]*)"', html(page))]
    own = [link for link in links if link.startswith("/products?")]
    assert "/products?stars=5" in own and "/products?stars=4" in own  # the chips
    assert "/products?stars=4&stars=5&page=2" in own  # the next page
    assert not [link for link in links if "_anchor" in link or "javascript" in link]
    # (The language switch keeps every parameter but url_for's: it serves every page.)
    assert not [link for link in own if "utm_source" in link and "lang=" not in link]
    # The canonical URL too: the filters alone.
    assert re.search(
        r'<link rel="canonical" href="[^"]*/products\?stars=4&amp;stars=5">', html(page)
    )


def test_a_broad_search_says_about_how_many_and_shows_no_counts_beside_the_filters(
    app, client, make, search_backend, monkeypatch
):
    if search_backend != "postgres":
        pytest.skip("the PostgreSQL engine estimates a broad search's counts; Whoosh counts all")
    # Past 8 matches this engine counts one listing in eight (SEARCH_EXACT_COUNTS_UP_TO).
    monkeypatch.setattr(search_engine(), "exact_counts_up_to", 8)
    coop = make.cooperative(legal_name="HTX Vải thiều Hồng Xuân")
    listings = [make.listing(coop=coop, name=f"Vải thiều loại {n}") for n in range(40)]
    make.listing(name="Bình gốm men lam")
    about = 8 * sum(1 for listing in listings if listing.id % 8 == 0)

    page = html(client.get("/search?q=vải"))
    assert f'id="result-count">Khoảng {about} sản phẩm</h2>' in page
    assert 'class="facet-count"' not in page and 'name="stars"' in page
    assert len(card_names(page)) == 24  # the page itself is whole
    assert f'data-show-label="Xem khoảng {about} sản phẩm"' in page
    count = client.get("/search/count?q=vải").json
    assert count == {"total": about, "estimated": True, "label": f"Xem khoảng {about} sản phẩm"}
    # A narrow search is counted exactly, as before.
    narrow = html(client.get("/search?q=gốm"))
    assert 'id="result-count">1 sản phẩm</h2>' in narrow and 'class="facet-count"' in narrow


def test_words_found_only_outside_the_filters_offer_to_clear_them_with_the_count(client, shop):
    # The fruit are all foods: among handicrafts "vải" finds nothing, and the page says how
    # many products clearing the filter shows, the same as the search without it.
    without = html(client.get("/search?q=vải"))
    found = re.search(r'id="result-count">(\d+) sản phẩm</h2>', without)
    assert found and int(found.group(1)) == 3
    page = html(client.get("/search?q=vải&group=4"))
    assert 'id="result-count">0 sản phẩm</h2>' in page
    assert '<a class="button" href="/search?q=v%E1%BA%A3i">Bỏ bộ lọc để xem 3 sản phẩm</a>' in page
