"""Catalog pages: product list and search with facets, product page, cooperative, origins, SEO."""

from __future__ import annotations

import json
import re
from xml.etree import ElementTree

import pytest

from storefront.models import (
    CertificateStatus,
    CooperativeMember,
    CooperativeStatus,
    Era,
    ListingStatus,
    MemberRole,
    OcopGroup,
    Role,
)
from tests.fixtures.app import count_queries
from tests.fixtures.pages import card_names, html
from tests.fixtures.photos import add_photos
from tests.fixtures.review_rows import add_review, set_sold

LUC_NGAN = 7582  # Xã Lục Ngạn, Bắc Ninh
TAN_HOA_LEGACY = 7567  # Xã Tân Hoa, Huyện Lục Ngạn, Tỉnh Bắc Giang (before 2025)
BAT_TRANG = 577  # Xã Bát Tràng, Hà Nội


@pytest.fixture
def shop(make):
    coop = make.cooperative(legal_name="HTX Vải thiều Hồng Xuân", slug="htx-hong-xuan")
    vai = make.listing(
        coop=coop,
        name="Vải thiều Lục Ngạn",
        slug="vai-thieu-luc-ngan",
        origin_commune=make.commune(LUC_NGAN),
        origin_legacy_commune=make.commune(TAN_HOA_LEGACY, Era.LEGACY),
        cert=make.certificate(coop, stars=4, number="DEMO-0001/QĐ-UBND"),
        packages=[
            {"label": "Hộp 1 kg", "price": 150_000, "stock": 3},
            {"label": "Thùng 5 kg", "price": 650_000, "stock": 0, "preorder": True},
        ],
        description="Quả **chín đỏ** <script>alert(1)</script>",
    )
    gom = make.listing(
        name="Gốm Bát Tràng men lam",
        slug="gom-bat-trang",
        group=OcopGroup.HANDICRAFTS,
        origin_commune=make.commune(BAT_TRANG),
        packages=[{"label": "Bình 30 cm", "price": 900_000, "stock": 2}],
    )
    return {"coop": coop, "vai": vai, "gom": gom}


# --- /products and /search ------------------------------------------------------------------


def test_products_lists_public_listings_with_facets(client, shop, make):
    make.listing(name="Sản phẩm tạm dừng", status=ListingStatus.PAUSED)
    page = html(client.get("/products"))
    assert "Vải thiều Lục Ngạn" in page and "Gốm Bát Tràng men lam" in page
    assert "Sản phẩm tạm dừng" not in page
    assert 'name="group" value="1"' in page and 'name="group" value="4"' in page
    assert 'name="stars" value="4"' in page
    assert "Thành phố Hà Nội" in page  # province facet label


def card_photos(page: str) -> list[str]:
    """The <img> tags of the page's product cards, in order."""
    return re.findall(r'<div class="card__media">\s*(<img [^>]*>)', page)


@pytest.mark.parametrize("path", ["/products", "/", "/search?q=ha+noi"])
def test_the_first_row_of_cards_loads_its_photos_at_once_and_the_rest_lazily(client, make, path):
    for n in range(4):
        add_photos(make.listing(name=f"Mật ong Hà Nội {n}"), 1)
    for _ in range(2):  # rendered, then from the cards' and pages' caches
        photos = card_photos(html(client.get(path)))
        assert len(photos) == 4, photos
        assert 'fetchpriority="high"' in photos[0] and "loading" not in photos[0]
        assert "fetchpriority" not in photos[1] and "loading" not in photos[1]
        assert all('loading="lazy"' in tag and "fetchpriority" not in tag for tag in photos[2:])


def test_filters_are_plain_get_parameters(client, shop):
    page = html(client.get("/products?group=4"))
    assert "Gốm Bát Tràng men lam" in page and "Vải thiều Lục Ngạn" not in page
    page = html(client.get("/products?price_max=200.000"))
    assert "Vải thiều Lục Ngạn" in page and "Gốm Bát Tràng men lam" not in page
    page = html(client.get(f"/products?coop={shop['coop'].id}"))
    assert "Vải thiều Lục Ngạn" in page and "Gốm Bát Tràng men lam" not in page


def test_bad_filter_values_are_ignored_with_a_message(client, shop):
    response = client.get("/products?group=abc&stars=9&page=-4&sort=drop")
    assert response.status_code == 200
    page = html(response)
    assert "Vải thiều Lục Ngạn" in page
    assert "group" in page and "stars" in page and "sort" in page  # named in the notice


def test_empty_result_offers_to_clear_filters(client, shop):
    page = html(client.get("/products?group=5"))
    assert "Không có sản phẩm nào khớp với bộ lọc này" in page or "Xóa bộ lọc" in page
    assert 'href="/products"' in page


def test_pagination_keeps_the_filters(client, make, app):
    app.config["CATALOG_PAGE_SIZE"] = 2
    try:
        for n in range(5):
            make.listing(name=f"Chè búp {n}", group=OcopGroup.DRINKS)
        page = html(client.get("/products?group=2&sort=newest"))
        assert "group=2" in re.search(r'rel="next" href="([^"]+)"', page).group(1)
        second = html(client.get("/products?group=2&sort=newest&page=2"))
        assert len(card_names(second)) == 2
    finally:
        app.config["CATALOG_PAGE_SIZE"] = 24


@pytest.mark.parametrize("q", ["luc ngan", "Lục Ngạn", "LUC NGAN", "vai thieu", "vải thiều"])
def test_search_with_or_without_diacritics(client, shop, q):
    page = html(client.get("/search", query_string={"q": q}))
    assert "Vải thiều Lục Ngạn" in page
    assert "Gốm Bát Tràng men lam" not in page


def test_search_by_former_district_name(client, shop):
    page = html(client.get("/search", query_string={"q": "Bắc Giang"}))
    assert "Vải thiều Lục Ngạn" in page


def test_search_suggests_a_spelling(client, shop):
    page = html(client.get("/search", query_string={"q": "vai thieuu"}))
    assert "vai thieu" in page and "/search?q=vai+thieu" in page


def test_search_never_shows_a_listing_hidden_after_indexing(client, shop, db, monkeypatch):
    # Make the index lag behind the database: the view's re-check still hides the listing.
    from storefront import search

    monkeypatch.setattr(search, "index_listings", lambda ids: None)
    shop["vai"].status = ListingStatus.PAUSED
    db.session.commit()
    stale = search.search(search.SearchQuery(text="vai thieu"))
    assert shop["vai"].id in stale.ids  # the index still has it...
    page = html(client.get("/search", query_string={"q": "vai thieu"}))
    assert "Vải thiều Lục Ngạn" not in card_names(page)  # ...the page does not


@pytest.mark.parametrize("path", ["/products", "/search?q=vai", "/products?group=1&stars=4"])
def test_catalog_query_count_does_not_grow_with_the_page(client, make, db, path):
    # Both counts after a change, with this process's cards and reference data (unit names)
    # from an earlier version: each reads the version's change log once (cards.py).
    client.get(path)

    def queries_for(n: int) -> int:
        for i in range(n):
            make.listing(
                name=f"Vải sấy {i}",
                packages=[{"label": f"Gói {j}", "price": 50_000 + j, "stock": 3} for j in range(3)],
            )
        with count_queries(db.engine) as statements:
            assert client.get(path).status_code == 200
        return len(statements)

    queries_for(1)  # this process's cards, whatever the tests before left (none: no log read)
    few = queries_for(2)
    many = queries_for(20)
    assert few == many
    assert many <= 6


# --- product page ---------------------------------------------------------------------------


def test_product_page_shows_badge_origin_packages_and_seo(client, shop):
    response = client.get("/products/vai-thieu-luc-ngan")
    assert response.status_code == 200
    page = html(response)
    assert "DEMO-0001/QĐ-UBND" in page
    assert "/verify/DEMO-0001/Q%C4%90-UBND" in page or "/verify/DEMO-0001/QĐ-UBND" in page
    assert "Xã Lục Ngạn, Bắc Ninh" in page
    assert "Huyện Lục Ngạn" in page and "Bắc Giang" in page  # the former units
    assert "150.000\u00a0₫" in page
    assert "Chỉ còn 3" in page  # low stock
    assert "Đặt trước" in page  # pre-order package
    assert "<script>alert(1)</script>" not in page and "<strong>chín đỏ</strong>" in page
    assert '<link rel="canonical" href="http://localhost/products/vai-thieu-luc-ngan">' in page
    assert 'property="og:title" content="Vải thiều Lục Ngạn"' in page
    data = json.loads(re.search(r'application/ld\+json"[^>]*>(.*?)</script>', page, re.S).group(1))
    assert data["@type"] == "Product"
    assert data["offers"]["priceCurrency"] == "VND"
    assert (data["offers"]["lowPrice"], data["offers"]["highPrice"]) == (150_000, 650_000)
    assert "Gốm" not in page.split("Sản phẩm khác")[0][-10:]  # related section sanity


def test_product_page_related_listings(client, shop, make):
    sibling = make.listing(coop=shop["coop"], name="Vải sấy khô", slug="vai-say-kho")
    page = html(client.get("/products/vai-thieu-luc-ngan"))
    assert "Vải sấy khô" in page
    assert "Vải thiều Lục Ngạn" in html(client.get(f"/products/{sibling.slug}"))


def test_product_page_query_count_is_small(client, shop, make, db):
    # Buyers' reviews with photos and an answer, and a sold count (issue 16): the stats come
    # with the listing, the page of reviews and their photos in one query.
    for i in range(3):
        add_review(shop["vai"], 5 - i, f"Đánh giá {i}", photos=i, answer="Cảm ơn!" * (i % 2))
    set_sold(shop["vai"].id, 1_234)
    for i in range(6):
        make.listing(coop=shop["coop"], name=f"Vải {i}")
    db.session.remove()  # cold: nothing the test loaded may stand in for the page's queries
    with count_queries(db.engine) as statements:
        page = html(client.get("/products/vai-thieu-luc-ngan"))
    assert len(statements) <= 6
    assert "Đánh giá 2" in page and "Đã bán 1,2k" in page


@pytest.mark.parametrize(
    "hide",
    [
        lambda s: setattr(s["vai"], "status", ListingStatus.PAUSED),
        lambda s: setattr(s["vai"].certificate, "status", CertificateStatus.REVOKED),
        lambda s: setattr(s["coop"], "status", CooperativeStatus.SUSPENDED),
    ],
    ids=["paused", "revoked", "suspended"],
)
def test_a_hidden_listing_is_404_to_the_public_but_previewable(client, auth, db, make, shop, hide):
    hide(shop)
    db.session.commit()
    assert client.get("/products/vai-thieu-luc-ngan").status_code == 404
    assert "vai-thieu-luc-ngan" not in html(client.get("/sitemap.xml"))
    assert "Vải thiều Lục Ngạn" not in card_names(html(client.get("/products")))

    customer = make.user()
    auth.login(customer)
    assert client.get("/products/vai-thieu-luc-ngan").status_code == 404
    auth.logout()

    member = make.user()
    db.session.add(CooperativeMember(cooperative=shop["coop"], user=member, role=MemberRole.STAFF))
    db.session.commit()
    auth.login(member)
    response = client.get("/products/vai-thieu-luc-ngan")
    assert response.status_code == 200
    assert 'name="robots" content="noindex"' in html(response)
    assert "Xem trước" in html(response)
    auth.logout()

    pfa = make.user(role=Role.PFA)
    auth.login(pfa)
    assert client.get("/products/vai-thieu-luc-ngan").status_code == 200


def test_unknown_product_is_404(client):
    assert client.get("/products/khong-co").status_code == 404


# --- cooperative, origins, sitemap, robots --------------------------------------------------


def test_cooperative_page(client, shop, make, db):
    page = html(client.get("/cooperatives/htx-hong-xuan"))
    assert "HTX Vải thiều Hồng Xuân" in page and "Vải thiều Lục Ngạn" in page
    applied = make.cooperative(status=CooperativeStatus.APPLIED, slug="htx-moi")
    assert client.get(f"/cooperatives/{applied.slug}").status_code == 404
    assert client.get("/cooperatives/khong-co").status_code == 404


def test_origins_counts_public_listings_by_province_and_commune(client, shop, make):
    make.listing(status=ListingStatus.DRAFT, origin_commune=make.commune(BAT_TRANG))
    page = html(client.get("/origins"))
    assert "Thành phố Bắc Ninh" in page and "Xã Lục Ngạn" in page
    assert re.search(r"Xã Bát Tràng</a>\s*<span[^>]*>\(1\)", page)
    assert f"commune={BAT_TRANG}" in page


def test_sitemap_lists_public_products_and_their_cooperatives(client, shop):
    response = client.get("/sitemap.xml")
    assert response.mimetype == "application/xml"
    root = ElementTree.fromstring(response.data)
    locs = {el.text for el in root.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")}
    assert "http://localhost/products/vai-thieu-luc-ngan" in locs
    assert "http://localhost/cooperatives/htx-hong-xuan" in locs


def test_robots_points_to_the_sitemap(client):
    body = client.get("/robots.txt").get_data(as_text=True)
    assert "Sitemap: http://localhost/sitemap.xml" in body
    assert "Disallow: /seller" in body


def test_pages_work_in_english(client, shop):
    client.get("/?lang=en")
    for path in [
        "/products",
        "/search?q=vai",
        "/products/vai-thieu-luc-ngan",
        "/origins",
        "/cooperatives/htx-hong-xuan",
    ]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert 'lang="en"' in html(response)
    assert "150,000\u00a0₫" in html(client.get("/products/vai-thieu-luc-ngan"))
