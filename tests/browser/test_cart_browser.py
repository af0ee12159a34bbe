"""The cart on a phone (390×844) in Chromium: the checkout button in the sticky bar without
scrolling, no sideways scroll, a − / + stepper that saves itself (and, without JavaScript, as a
plain form), and a typed quantity that the checkout button saves."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storefront.extensions import db
from storefront.models import CartLine

PHONE = {"width": 390, "height": 844}


def saved(package_id: int) -> int | None:
    db.session.expire_all()
    return db.session.scalar(select(CartLine.quantity).where(CartLine.package_id == package_id))


def fill(page, *packages) -> None:
    """Put one of each package in this browser's cart (its cookie) through the add route."""
    for package in packages:
        response = page.request.post(
            "/cart/add", form={"package_id": str(package.id), "quantity": "1"}
        )
        assert response.ok


def wait_until_saved(page, package_id: int, quantity: int) -> None:
    """The background save has reached the database (polled; the page says "saved")."""
    for _ in range(50):
        if saved(package_id) == quantity:
            return
        page.wait_for_timeout(100)
    assert saved(package_id) == quantity


def two_cooperatives(make):
    lychee = make.listing(
        coop=make.cooperative(legal_name="HTX Vải thiều Phúc Hòa"),
        name="Vải thiều Lục Ngạn sấy khô loại đặc biệt",
        packages=[{"label": "Hộp 1 kg", "price": 150_000, "stock": 5}],
    ).packages[0]
    honey = make.listing(
        coop=make.cooperative(legal_name="HTX Mật ong Sơn Động"),
        name="Mật ong rừng",
        packages=[{"label": "Chai 500 ml", "price": 220_000, "stock": 5, "weight_grams": 700}],
    ).packages[0]
    return lychee, honey


@pytest.mark.browser
def test_cart_on_a_phone_saves_the_stepper_and_keeps_checkout_in_view(
    page, _browser, live_server, make, artifacts_dir
):
    lychee, honey = two_cooperatives(make)
    fill(page, lychee, honey)
    page.goto("/cart/")
    assert page.locator(".cart-group").count() == 2

    # The next step is on the first screen, in the bar at the bottom, without scrolling.
    checkout = page.locator(".cart-bar button[name=checkout]")
    assert checkout.is_visible()
    box = checkout.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"]
    assert page.evaluate("window.scrollY") == 0
    assert page.locator(".cart-summary__checkout").is_hidden()  # the bar's button only
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # Stepper buttons sit side by side with the box, not stacked.
    line = page.locator(f".cart-line:has(input[name='quantity-{_line_id(lychee.id)}'])")
    minus, plus = line.locator("[data-step='-1']"), line.locator("[data-step='1']")
    box_minus, box_plus = minus.bounding_box(), plus.bounding_box()
    assert abs(box_minus["y"] - box_plus["y"]) < 2 and box_plus["x"] > box_minus["x"]
    page.screenshot(path=str(artifacts_dir / "cart-390.png"))
    page.screenshot(path=str(artifacts_dir / "cart-390-full.png"), full_page=True)

    # + twice: saved in the background, the totals follow, the bar stays.
    plus.click()
    plus.click()
    wait_until_saved(page, lychee.id, 3)
    # Goods: 3 × 150.000 + 220.000.
    page.locator(".cart-summary__rows dd", has_text="670.000").wait_for(state="attached")
    # Total in the bar, with shipping to another province: 3 kg 80.000, 700 g 40.000.
    assert page.locator(".cart-bar__total strong").inner_text() == "790.000\u00a0₫"
    page.locator("[data-cart-status]", has_text="Đã lưu giỏ hàng").wait_for()
    assert page.locator(".cart-link__count").inner_text() == "4"
    # − once.
    line.locator("[data-step='-1']").click()
    wait_until_saved(page, lychee.id, 2)
    # Up to the stock (5): + turns off there.
    box = line.locator(".stepper__input")
    box.fill("5")
    box.press("Tab")
    wait_until_saved(page, lychee.id, 5)
    # The page has the saved cart back (5 × 150.000 + 220.000) before the next edit: saved
    # in the database is not yet shown, and an edit typed meanwhile races the page's swap.
    page.locator(".cart-summary__rows dd", has_text="970.000").wait_for(state="attached")
    assert line.locator("[data-step='1']").is_disabled()
    # A refused quantity explains itself and changes nothing.
    box = line.locator(".stepper__input")
    box.fill("0")
    box.press("Enter")
    page.locator(".notice-error").wait_for()
    assert saved(lychee.id) == 5
    assert line.locator(".stepper__input").get_attribute("aria-invalid") == "true"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # Typed, never "saved" by hand: the checkout button saves it on the way.
    honey_box = page.locator(f"input[name='quantity-{_line_id(honey.id)}']")
    line.locator(".stepper__input").fill("2")
    honey_box.fill("3")
    page.locator(".cart-bar button[name=checkout]").click()
    page.wait_for_url("**/checkout/")
    assert saved(lychee.id) == 2 and saved(honey.id) == 3

    desktop = _browser.new_context(
        base_url=live_server,
        viewport={"width": 1280, "height": 800},
        storage_state=page.context.storage_state(),
    )
    wide = desktop.new_page()
    wide.goto("/cart/")
    assert wide.locator(".cart-bar").is_hidden()
    summary = wide.locator(".cart-summary").bounding_box()
    lines = wide.locator(".cart-layout__lines").bounding_box()
    assert summary["x"] > lines["x"] + lines["width"] - 1  # a column beside the lines
    assert wide.locator(".cart-summary__checkout").is_visible()
    quantity_box = wide.locator(".stepper__input").first.bounding_box()
    assert quantity_box["width"] < 80
    wide.screenshot(path=str(artifacts_dir / "cart-1280.png"), full_page=True)
    desktop.close()


@pytest.mark.browser
def test_cart_without_javascript_is_a_plain_form(_browser, live_server, make, artifacts_dir):
    lychee, honey = two_cooperatives(make)
    context = _browser.new_context(base_url=live_server, viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    fill(page, lychee, honey)
    page.goto("/cart/")
    assert page.locator("[data-cart-update]").is_visible()  # "Update cart" without JS
    line = page.locator(f".cart-line:has(input[name='quantity-{_line_id(lychee.id)}'])")
    line.locator("[data-step='1']").click()
    page.wait_for_load_state()
    assert saved(lychee.id) == 2
    assert page.locator(f"input[name='quantity-{_line_id(lychee.id)}']").input_value() == "2"
    # Typed and Enter: the form's default button saves, it does not step any line.
    page.locator(f"input[name='quantity-{_line_id(honey.id)}']").fill("4")
    page.locator(f"input[name='quantity-{_line_id(honey.id)}']").press("Enter")
    page.wait_for_load_state()
    assert saved(honey.id) == 4 and saved(lychee.id) == 2
    # Typed, then straight to checkout.
    page.locator(f"input[name='quantity-{_line_id(lychee.id)}']").fill("3")
    page.locator(".cart-bar button[name=checkout]").click()
    page.wait_for_url("**/checkout/")
    assert saved(lychee.id) == 3
    context.close()


def _line_id(package_id: int) -> int:
    db.session.expire_all()
    return db.session.scalar(select(CartLine.id).where(CartLine.package_id == package_id))
