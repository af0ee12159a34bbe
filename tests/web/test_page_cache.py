"""The catalog version and what is cached under it: whole anonymous pages, the page chrome,
product cards. Cached pages must never outlive a change that would alter them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import update

from storefront.core.markup import compact_html
from storefront.models import CertificateStatus, Package
from tests.fixtures.app import count_queries
from tests.fixtures.catalog import stored_version
from tests.fixtures.pages import card_names, html, without_csrf_token

ROOT = Path(__file__).resolve().parents[2]  # the repository


def csrf_token_of(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


@pytest.fixture
def index_frozen(app):
    """The search index stops following commits (a failed or queued index update)."""
    app.config["SEARCH_AUTO_INDEX"] = False
    try:
        yield
    finally:
        app.config["SEARCH_AUTO_INDEX"] = True


# --- the version ----------------------------------------------------------------------------


def sell(db, package_id: int, units: int) -> None:
    """Take stock the way checkout does: one guarded bulk UPDATE, then commit."""
    taken = db.session.execute(
        update(Package)
        .where(Package.id == package_id, Package.stock >= units)
        .values(stock=Package.stock - units)
    ).rowcount
    assert taken == 1
    db.session.commit()


def test_a_sale_no_shopper_can_see_keeps_every_cache(client, db, shop, app):
    from storefront.search import index_generation

    package_id = shop["vai"].packages[0].id
    page = html(client.get("/products/vai-thieu-luc-ngan"))
    assert "Còn hàng" in page
    before, generation = stored_version(db), index_generation()
    sell(db, package_id, 2)  # 30 → 28: still just "in stock"
    assert (stored_version(db), index_generation()) == (before, generation)
    with count_queries(db.engine) as statements:
        again = html(client.get("/products/vai-thieu-luc-ngan"))
    assert without_csrf_token(again) == without_csrf_token(page)
    assert len(statements) == 1
    sell(db, package_id, 23)  # 28 → 5: "only 5 left"
    assert stored_version(db) == before + 1
    assert "Chỉ còn 5" in html(client.get("/products/vai-thieu-luc-ngan"))
    sell(db, package_id, 5)  # sold out: the listing leaves the catalog at once
    assert stored_version(db) == before + 2
    assert client.get("/products/vai-thieu-luc-ngan").status_code == 404
    assert "Vải thiều Lục Ngạn" not in card_names(html(client.get("/products")))
    assert "Vải thiều Lục Ngạn" not in card_names(html(client.get("/search?q=vai")))


# --- anonymous pages --------------------------------------------------------------------------


def test_a_repeated_anonymous_catalog_page_costs_one_query(client, db, shop):
    first = html(client.get("/products"))
    with count_queries(db.engine) as statements:
        again = html(client.get("/products"))
    assert again == first
    assert len(statements) == 1 and "catalog_state" in statements[0]


def test_a_repeated_anonymous_product_page_costs_one_query(client, db, shop):
    client.get("/products/vai-thieu-luc-ngan")
    with count_queries(db.engine) as statements:
        page = html(client.get("/products/vai-thieu-luc-ngan"))
    assert "Vải thiều Lục Ngạn" in page
    assert len(statements) == 1 and "catalog_state" in statements[0]


def test_a_price_change_shows_at_once_on_cached_pages(client, db, shop):
    assert "150.000" in html(client.get("/products"))
    assert "150.000" in html(client.get("/products/vai-thieu-luc-ngan"))
    shop["vai"].packages[0].price = 175_000
    db.session.commit()
    catalog = html(client.get("/products"))
    product = html(client.get("/products/vai-thieu-luc-ngan"))
    assert "175.000" in catalog and "150.000" not in catalog
    assert "175.000" in product and "150.000" not in product


def test_a_stale_index_cannot_bring_back_a_hidden_listing_from_the_cache(
    client, db, shop, index_frozen
):
    assert "Vải thiều Lục Ngạn" in card_names(html(client.get("/products")))
    assert client.get("/products/vai-thieu-luc-ngan").status_code == 200
    shop["vai"].certificate.status = CertificateStatus.REVOKED
    db.session.commit()  # the index still lists it; the version has moved on
    assert "Vải thiều Lục Ngạn" not in card_names(html(client.get("/products")))
    assert "Vải thiều Lục Ngạn" not in card_names(html(client.get("/search?q=vai+thieu")))
    assert client.get("/products/vai-thieu-luc-ngan").status_code == 404
    assert "Gốm Bát Tràng men lam" in card_names(html(client.get("/products")))


def test_each_visitor_gets_their_own_csrf_token_from_a_cached_product_page(
    app, client, shop, csrf_on
):
    # A first visit's page is public and holds no token (tests/web/test_http_caching.py);
    # a visitor with a session (here started as static/js/buy.js does) gets private pages,
    # cached with their own token filled in.
    first, second = client, app.test_client()  # two visitors, two sessions
    first.get("/cart/token")
    second.get("/cart/token")
    token_1 = csrf_token_of(html(first.get("/products/vai-thieu-luc-ngan")))
    page_2 = html(second.get("/products/vai-thieu-luc-ngan"))  # served from the cache
    token_2 = csrf_token_of(page_2)
    assert token_1 != token_2
    assert "csrf-token-slot" not in page_2
    package_id = shop["vai"].packages[0].id
    stolen = second.post("/cart/add", data={"package_id": package_id, "csrf_token": token_1})
    # Not added: the answer asks the visitor to confirm, with a token of their own.
    assert stolen.status_code == 200 and csrf_token_of(html(stolen)) not in ("", token_1)
    assert 'class="cart-link__count" aria-hidden="true">0<' in html(second.get("/products"))
    own = second.post("/cart/add", data={"package_id": package_id, "csrf_token": token_2})
    assert own.status_code == 303
    assert 'class="cart-link__count" aria-hidden="true">1<' in html(second.get("/products"))
    assert 'class="cart-link__count" aria-hidden="true">0<' in html(first.get("/products"))


def test_logged_in_pages_are_never_the_anonymous_copy(client, auth, make, shop):
    client.get("/products")
    client.get("/products/vai-thieu-luc-ngan")
    buyer = make.user(email="mai@example.vn")
    auth.login(buyer)
    for path in ("/products", "/products/vai-thieu-luc-ngan"):
        page = html(client.get(path))
        assert "mai@example.vn" in page and 'class="logout-form"' in page
    auth.logout()
    assert "mai@example.vn" not in html(client.get("/products"))


def test_a_waiting_message_is_shown_not_swallowed_by_the_cache(client, shop):
    client.get("/products/vai-thieu-luc-ngan")
    response = client.post(
        "/cart/add",
        data={
            "package_id": shop["vai"].packages[0].id,
            "quantity": "0",
            "next": "/products/vai-thieu-luc-ngan",
        },
    )
    assert response.status_code == 303
    page = html(client.get("/products/vai-thieu-luc-ngan"))
    assert 'class="flash flash--error"' in page
    assert 'class="flash' not in html(client.get("/products/vai-thieu-luc-ngan"))


# --- chrome and markup ------------------------------------------------------------------------


def test_the_cached_header_follows_language_search_text_and_current_page(client, shop):
    search = html(client.get("/search?q=v%E1%BA%A3i"))
    assert 'value="vải"' in search
    assert 'value="vải"' not in html(client.get("/products"))
    english = html(client.get("/products?lang=en"))
    assert ">Log in<" in english and ">Đăng nhập<" in html(client.get("/products?lang=vi"))
    origins = html(client.get("/origins"))
    assert re.search(r'href="/origins"\s+aria-current="page"', origins)
    assert not re.search(r'href="/origins"\s+aria-current="page"', html(client.get("/products")))


def test_compacting_drops_indentation_but_keeps_preformatted_text():
    assert compact_html("<p>\n      a\n      <b>b</b>\n</p>") == "<p>\na\n<b>b</b>\n</p>"
    kept = "<pre>\n  x\n    y</pre>"
    assert compact_html(kept) == kept
    assert compact_html("<textarea>\n  x</textarea>") == "<textarea>\n  x</textarea>"


def test_every_icon_the_templates_use_is_in_the_sprite():
    sprite = (ROOT / "static" / "img" / "icons.svg").read_text()
    symbols = set(re.findall(r'<symbol id="([\w-]+)"', sprite))
    used = set()
    for template in (ROOT / "templates").rglob("*.html"):
        text = template.read_text()
        used |= set(re.findall(r'(?<!\w)icon\("([\w-]+)"[,)]', text))
        if re.search(r'(?<!\w)icon\("group-" ~', text):
            used |= {f"group-{n}" for n in range(1, 7)}
    assert used and used <= symbols, used - symbols


def test_whole_pages_are_kept_within_their_own_bound(client, shop, monkeypatch):
    from storefront.web import catalog_cache

    monkeypatch.setitem(catalog_cache._LIMITS, "pages", 3)
    for n in range(6):  # a crawler's random query strings
        client.get(f"/products?utm={n}")
    cache = client.application.extensions["catalog_markup"]
    assert len(cache.pages) == 3
    # The newest three stay (key[5] is the query string).
    assert {key[5] for key in cache.pages} == {b"utm=3", b"utm=4", b"utm=5"}


def test_with_template_auto_reload_pages_are_rendered_each_time(app, client, shop):
    app.jinja_env.auto_reload = True  # development: an edited template must show at once
    try:
        client.get("/products")
        client.get("/products/vai-thieu-luc-ngan")
        assert not app.extensions["catalog_markup"].pages
    finally:
        app.jinja_env.auto_reload = False
    client.get("/products")
    assert len(app.extensions["catalog_markup"].pages) == 1
