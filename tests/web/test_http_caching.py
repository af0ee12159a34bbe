"""HTTP caching of the anonymous catalog (issue 15, item 4): a first visit's catalog, search,
product, cooperative, origins and verify pages set no cookie and may be kept by a CDN
(Cache-Control public with an ETag from the catalog version); If-None-Match gets 304 with no
body; anyone with a cookie of the shop's gets private pages. Add-to-cart from a public page
(which holds no CSRF token) works without JavaScript by a confirmation page, and a cross-site
POST is refused and changes nothing."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from storefront.models import Cart, CartLine, CertificateStatus
from tests.fixtures.app import count_queries
from tests.fixtures.pages import card_names, html

# Browsers ask again each visit (a 304 when nothing changed); shared caches keep it 30 s.
PUBLIC = "public, max-age=0, s-maxage=30, stale-while-revalidate=60"
PRIVATE = "private, no-cache"


def csrf_token_of(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]*)"', page).group(1)


@pytest.fixture
def pages(shop):
    number = shop["vai"].certificate.number
    return [
        "/",
        "/products",
        "/products?group=1",
        "/search?q=vai",
        "/products/vai-thieu-luc-ngan",
        "/cooperatives/htx-hong-xuan",
        "/origins",
        "/verify/",
        f"/verify/{quote(number)}",
    ]


def visitor(app):
    """A new browser: no cookies (each request in its own app context: the `client` fixture
    must be requested)."""
    return app.test_client()


def lines_in_carts(db) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count(CartLine.id)))


def test_a_first_visit_gets_public_pages_without_a_cookie(app, client, pages):
    for url in pages:
        browser = visitor(app)
        response = browser.get(url)
        assert response.status_code == 200, url
        assert "Set-Cookie" not in response.headers, url
        assert response.headers["Cache-Control"] == PUBLIC, url
        assert re.fullmatch(r'"[0-9a-f]{32}"', response.headers["ETag"]), url
        assert "Cookie" in response.headers["Vary"], url
        assert browser.get_cookie("session") is None


def test_the_product_page_form_holds_no_token_but_knows_where_to_get_one(app, client, shop):
    page = html(visitor(app).get("/products/vai-thieu-luc-ngan"))
    assert csrf_token_of(page) == ""
    assert 'data-token-url="/cart/token"' in page and "js/buy.js" in page


def test_if_none_match_gets_304_with_no_body(app, client, db, pages):
    for url in pages:
        browser = visitor(app)
        tag = browser.get(url).headers["ETag"]
        again = browser.get(url, headers={"If-None-Match": tag})
        assert again.status_code == 304, url
        assert again.data == b"", url
        assert again.headers["ETag"] == tag and again.headers["Cache-Control"] == PUBLIC
        # A cache refreshing its copy keeps the stored policy, whose nonce fits the body.
        assert "Content-Security-Policy" not in again.headers
        assert "Set-Cookie" not in again.headers
        other = browser.get(url, headers={"If-None-Match": '"something-else"'})
        assert other.status_code == 200 and other.data
    # A catalog page's 304 is answered before rendering: the catalog version, nothing else.
    tag = client.get("/products").headers["ETag"]
    with count_queries(db.engine) as statements:
        assert client.get("/products", headers={"If-None-Match": tag}).status_code == 304
    assert len(statements) == 1 and "catalog_state" in statements[0]


def test_the_etag_moves_when_the_catalog_changes(app, client, db, make, shop):
    product = "/products/vai-thieu-luc-ngan"
    before = {url: client.get(url).headers["ETag"] for url in ("/products", product, "/")}
    make.listing(name="Chè Tân Cương", slug="che-tan-cuong")  # published: a new public listing
    after_publish = client.get("/products", headers={"If-None-Match": before["/products"]})
    assert after_publish.status_code == 200
    assert "Chè Tân Cương" in card_names(html(after_publish))
    assert after_publish.headers["ETag"] != before["/products"]
    assert client.get("/", headers={"If-None-Match": before["/"]}).status_code == 200

    tag = client.get(product).headers["ETag"]
    shop["vai"].certificate.status = CertificateStatus.REVOKED
    db.session.commit()
    # Revoked: the product is gone, not answered "not modified" from the old version.
    assert client.get(product, headers={"If-None-Match": tag}).status_code == 404
    catalog = client.get("/products", headers={"If-None-Match": after_publish.headers["ETag"]})
    assert catalog.status_code == 200
    assert "Vải thiều Lục Ngạn" not in card_names(html(catalog))


def test_the_etag_follows_the_language(app, client, shop):
    vi = client.get("/products").headers["ETag"]
    assert client.get("/products?lang=vi").headers["ETag"] != vi  # another URL
    assert visitor(app).get("/products", headers={"If-None-Match": vi}).status_code == 304


def test_choosing_a_language_sets_a_cookie_and_makes_pages_private(app, client, shop):
    browser = visitor(app)
    english = browser.get("/products?lang=en")
    assert ">Log in<" in html(english)
    assert "ocop_lang=en" in english.headers["Set-Cookie"]
    assert english.headers["Cache-Control"] == PRIVATE and "ETag" not in english.headers
    later = browser.get("/products/vai-thieu-luc-ngan")  # the choice sticks
    assert '<html lang="en">' in html(later)
    assert later.headers["Cache-Control"] == PRIVATE and "ETag" not in later.headers
    back = browser.get("/products?lang=vi")
    assert "ocop_lang=vi" in back.headers["Set-Cookie"] and ">Đăng nhập<" in html(back)
    # Vietnamese asked for by a new visitor: the default, nothing to remember.
    plain = visitor(app).get("/products?lang=vi")
    assert "Set-Cookie" not in plain.headers and plain.headers["Cache-Control"] == PUBLIC


def test_a_visitor_with_a_cart_gets_private_pages(app, client, db, shop):
    browser = visitor(app)
    added = browser.post("/cart/add", data={"package_id": shop["vai"].packages[0].id})
    assert added.status_code == 303 and browser.get_cookie("ocop_cart") is not None
    page = browser.get("/products")
    assert page.headers["Cache-Control"] == PRIVATE and "ETag" not in page.headers
    assert 'class="cart-link__count" aria-hidden="true">1<' in html(page)
    assert "Cookie" in page.headers["Vary"]
    # The anonymous public copy still says 0, and never the cart's 1.
    fresh = visitor(app).get("/products")
    assert fresh.headers["Cache-Control"] == PUBLIC
    assert 'class="cart-link__count" aria-hidden="true">0<' in html(fresh)


def test_a_logged_in_visitor_gets_private_pages(client, auth, make, shop):
    auth.login(make.user(email="lan@example.vn"))
    for url in ("/products", "/products/vai-thieu-luc-ngan", "/origins", "/verify/"):
        response = client.get(url)
        assert response.headers["Cache-Control"] == PRIVATE, url
        assert "ETag" not in response.headers
        assert "lan@example.vn" in html(response)


# --- add to cart from a public page -----------------------------------------------------------


def test_a_first_visit_adds_to_the_cart_without_javascript(app, client, db, shop, csrf_on):
    browser = visitor(app)
    page = html(browser.get("/products/vai-thieu-luc-ngan"))
    package_id = shop["vai"].packages[0].id
    sent = {
        "csrf_token": csrf_token_of(page),
        "package_id": package_id,
        "quantity": "2",
        "next": "/products/vai-thieu-luc-ngan",
    }
    confirm = browser.post("/cart/add", data=sent)
    # Not added, not lost: a page to confirm it, with a fresh token of this visitor's.
    assert confirm.status_code == 200
    assert lines_in_carts(db) == 0
    form = html(confirm)
    assert "Vải thiều Lục Ngạn (Hộp 1 kg)" in form and 'name="quantity" value="2"' in form
    assert confirm.headers["Cache-Control"] == "no-store"
    token = csrf_token_of(form)
    assert token
    done = browser.post("/cart/add", data={**sent, "csrf_token": token})
    assert done.status_code == 303 and done.headers["Location"].endswith("/cart/")
    assert lines_in_carts(db) == 1
    assert 'class="cart-link__count" aria-hidden="true">2<' in html(browser.get("/products"))


def test_a_first_visit_adds_with_the_token_the_page_fetches(app, client, db, shop, csrf_on):
    browser = visitor(app)
    browser.get("/products/vai-thieu-luc-ngan")
    fetched = browser.get("/cart/token")  # what static/js/buy.js does on the first touch
    assert fetched.headers["Cache-Control"] == "no-store"
    token = fetched.get_json()["token"]
    added = browser.post(
        "/cart/add",
        data={"csrf_token": token, "package_id": shop["vai"].packages[0].id, "buy_now": "1"},
        headers={"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"},
    )
    assert added.status_code == 303 and added.headers["Location"].endswith("/checkout/")
    assert lines_in_carts(db) == 1


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Origin": "http://localhost.evil.example", "Sec-Fetch-Site": "cross-site"},
    ],
)
def test_a_cross_site_post_is_refused_and_changes_nothing(app, client, db, shop, csrf_on, headers):
    package_id = shop["vai"].packages[0].id
    victim, other = visitor(app), visitor(app)
    victim.get("/cart/token")
    own_token = victim.get("/cart/token").get_json()["token"]
    others_token = other.get("/cart/token").get_json()["token"]
    for token in ("", others_token, own_token):
        response = victim.post(
            "/cart/add", data={"csrf_token": token, "package_id": package_id}, headers=headers
        )
        assert response.status_code == 403
    assert lines_in_carts(db) == 0
    assert db.session.scalar(select(func.count(Cart.id))) == 0
    assert victim.get_cookie("ocop_cart") is None


def test_another_visitors_token_adds_nothing(app, client, db, shop, csrf_on):
    package_id = shop["vai"].packages[0].id
    victim, attacker = visitor(app), visitor(app)
    victim.get("/cart/token")
    stolen = attacker.get("/cart/token").get_json()["token"]
    answer = victim.post("/cart/add", data={"csrf_token": stolen, "package_id": package_id})
    assert answer.status_code == 200 and "Vải thiều Lục Ngạn" in html(answer)  # to confirm
    assert lines_in_carts(db) == 0


def test_every_other_post_keeps_csrfprotect(app, client, db, shop, csrf_on):
    browser = visitor(app)
    browser.get("/cart/token")
    assert browser.post("/cart/save", data={"save": "1"}).status_code == 400
    assert browser.post("/orders/lookup", data={"number": "1", "phone": "1"}).status_code == 400
