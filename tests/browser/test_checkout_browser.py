"""A guest buys from two cooperatives in Chromium (390 px), pays cash on delivery, and follows
each cooperative's shipment to "shipped" on the order page."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from storefront.domain.orders.fulfilment import advance_shipment
from storefront.extensions import db
from storefront.models import Order
from tests.fixtures import factories


def add_to_cart(page, slug: str, quantity: int) -> None:
    page.goto(f"/products/{slug}")
    form = page.locator("form.buy-form")
    form.locator("input[name=quantity]").fill(str(quantity))
    form.locator("button[type=submit]:not([name=buy_now])").click()  # not "Mua ngay"
    page.wait_for_url("**/cart/")


@pytest.mark.browser
def test_guest_buys_from_two_cooperatives_and_sees_both_shipped(
    page, _browser, live_server, make, artifacts_dir
):
    seller_a = make.user(email="lanh@htx-vai.vn")
    seller_b = make.user(email="son@htx-matong.vn")
    coop_a = make.cooperative(legal_name="HTX Vải thiều Phúc Hòa", owner=seller_a)
    coop_b = make.cooperative(legal_name="HTX Mật ong Sơn Động", owner=seller_b)
    lychee = make.listing(
        coop=coop_a,
        name="Vải thiều Lục Ngạn",
        packages=[{"label": "Hộp 1 kg", "price": 150_000, "stock": 5}],
    )
    honey = make.listing(
        coop=coop_b,
        name="Mật ong rừng",
        packages=[{"label": "Chai 500 ml", "price": 220_000, "stock": 5, "weight_grams": 700}],
    )
    commune = factories.commune()
    province_code, commune_code = str(commune.province.code), str(commune.code)

    add_to_cart(page, lychee.slug, 2)
    add_to_cart(page, honey.slug, 1)
    assert page.locator(".cart-link__count").inner_text() == "3"
    assert page.locator(".cart-group").count() == 2
    assert page.get_by_text("520.000 ₫").first.is_visible()  # goods: 2 × 150.000 + 220.000

    page.locator(".cart-bar button[name=checkout]").click()
    page.wait_for_url("**/checkout/")
    page.fill("#email", "lan.nguyen@example.vn")
    page.fill("#phone", "0912 345 678")
    page.fill("#recipient", "Nguyễn Thị Lan")
    page.select_option("#province", province_code)
    # JavaScript fills the commune list for the chosen province.
    page.wait_for_selector(f"#commune option[value='{commune_code}']", state="attached")
    page.select_option("#commune", commune_code)
    page.fill("#street", "12 Trần Phú")
    # The exact shipping for this commune (same province as both cooperatives) replaces the
    # estimate: 2 kg = 20.000 + 3 × 5.000, 700 g = 20.000 + 5.000.
    # Waits by selector, not wait_for_function: the page's CSP forbids the eval it polls with.
    page.locator("[data-total]", has_text=re.compile(r"^580\.000")).wait_for()
    assert page.is_checked("input[name=payment_method][value=cod]")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(artifacts_dir / "checkout-390.png"), full_page=True)
    page.click("#submit")

    page.wait_for_url(re.compile(r".*/orders/[A-Z0-9]{10}\?placed=1$"))
    number = page.locator(".order-number").inner_text().strip()
    assert page.locator(".shipment").count() == 2
    assert page.locator(".order-status").get_attribute("data-status") == "placed"
    assert page.locator(".cart-link__count").inner_text() == "0"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    db.session.expire_all()
    order = db.session.scalar(select(Order).where(Order.number == number))
    shipments = {s.cooperative_id: s.id for s in order.shipments}

    # Cooperative A marks its shipment shipped on the seller page, logged in as its member.
    seller_context = _browser.new_context(
        base_url=live_server, viewport={"width": 390, "height": 844}
    )
    seller = seller_context.new_page()
    seller.goto("/account/login")
    form = seller.locator("main form")
    form.locator("input[name=email]").fill(seller_a.email)
    form.locator("input[name=password]").fill(factories.PASSWORD)
    form.locator("button[type=submit]").click()
    seller.wait_for_load_state()
    seller.goto("/seller/shipments")
    seller.click(f"a[href='/seller/shipments/{shipments[coop_a.id]}']")
    seller.fill("#carrier", "Viettel Post")
    seller.fill("#tracking_number", "VTP123456")
    seller.locator("form[action$='/ship'] button[type=submit]").click()
    seller.wait_for_load_state()
    assert seller.locator(".shipment-status").get_attribute("data-status") == "shipped"
    # The other cooperative's shipment is not there for A.
    assert seller.goto(f"/seller/shipments/{shipments[coop_b.id]}").status == 404
    seller_context.close()

    page.reload()
    assert page.locator(".order-status").get_attribute("data-status") == "partly_shipped"
    assert page.get_by_text("VTP123456").is_visible()

    # Cooperative B through the same domain function its page calls.
    advance_shipment(
        shipments[coop_b.id],
        "ship",
        user_id=seller_b.id,
        carrier="VNPost",
        tracking_number="EMS777VN",
    )
    page.reload()
    assert page.locator(".order-status").get_attribute("data-status") == "shipped"
    statuses = page.locator(".shipment-status").evaluate_all(
        "els => els.map(e => e.dataset.status)"
    )
    assert statuses == ["shipped", "shipped"]
    assert page.get_by_text("EMS777VN").is_visible()
    page.screenshot(path=str(artifacts_dir / "order-shipped-390.png"), full_page=True)
