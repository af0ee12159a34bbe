"""A first visit in Chromium with CSRF protection on, as in production (issue 15, item 4):
the product page comes with no cookie and no token (a page a CDN may keep); pressing "Add to
cart" fetches a token for this visitor (static/js/buy.js) and adds at once, with no
confirmation page and no CSP violation."""

from __future__ import annotations

from sqlalchemy import select

from storefront.extensions import db
from storefront.models import CartLine


def test_a_first_visit_adds_to_the_cart_with_javascript(page, app, shop, csrf_on):
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    response = page.goto("/products/vai-thieu-luc-ngan")
    assert "set-cookie" not in response.headers
    assert response.headers["cache-control"].startswith("public, max-age=0, s-maxage=")
    assert page.context.cookies() == []
    assert page.locator('#buy-form input[name="csrf_token"]').get_attribute("value") == ""
    page.locator("#buy-quantity").fill("3")
    page.get_by_role("button", name="Thêm vào giỏ").click()
    page.wait_for_url("**/cart/")
    db.session.expire_all()
    assert db.session.scalar(select(CartLine.quantity)) == 3
    assert "Vải thiều Lục Ngạn" in page.content()
    assert not problems, problems


def test_buy_now_keeps_its_button_through_the_token_fetch(page, app, shop, csrf_on):
    page.goto("/products/vai-thieu-luc-ngan")
    page.get_by_role("button", name="Mua ngay").click()
    page.wait_for_url("**/checkout/")
    db.session.expire_all()
    assert db.session.scalar(select(CartLine.quantity)) == 1
