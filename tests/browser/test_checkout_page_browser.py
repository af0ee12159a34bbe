"""The checkout page in Chromium at 390×844: "Đặt hàng" in the sticky bar on the first screen,
no sideways scroll, the error summary takes the focus, the province and commune comboboxes
filter Hà Nội's 126 communes by folded input ("hoan kiem", "dong da"), by keyboard; a guest
orders without an e-mail. Screenshots at 390 and 1280 px."""

from __future__ import annotations

import re
import unicodedata

import pytest
from sqlalchemy import select

from storefront.extensions import db
from storefront.models import Address, AdminUnit, Era, Level, Order
from tests.fixtures import factories


def fold(text: str) -> str:
    """As the combobox compares: lower case, no diacritics, đ → d."""
    bare = unicodedata.normalize("NFD", text.lower())
    return "".join(ch for ch in bare if not unicodedata.combining(ch)).replace("đ", "d")


def unit(name: str, level: Level) -> AdminUnit:
    return db.session.scalar(
        select(AdminUnit).where(
            AdminUnit.name == name, AdminUnit.level == level, AdminUnit.era == Era.CURRENT
        )
    )


def add_to_cart(page, slug: str) -> None:
    page.goto(f"/products/{slug}")
    page.locator("form.buy-form button[type=submit]:not([name=buy_now])").click()
    page.wait_for_url("**/cart/")


def scroll_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def shown_options(page, combobox: str) -> list[str]:
    return page.locator(f"#{combobox}-listbox [role=option]").all_inner_texts()


@pytest.mark.browser
def test_checkout_on_a_phone(page, _browser, live_server, make, artifacts_dir):
    listing = make.listing(
        name="Vải thiều Lục Ngạn", packages=[{"label": "Hộp 1 kg", "price": 150_000}]
    )
    hanoi = unit("Thành phố Hà Nội", Level.PROVINCE)
    hoan_kiem = unit("Phường Hoàn Kiếm", Level.COMMUNE)
    add_to_cart(page, listing.slug)
    page.goto("/checkout/")

    # "Đặt hàng" in the sticky bar, on the first screen; nothing wider than the phone.
    bar = page.locator(".checkout-bar")
    submit = bar.locator("#submit")
    assert submit.is_visible()
    box, bar_box = submit.bounding_box(), bar.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= 844
    assert abs(bar_box["y"] + bar_box["height"] - 844) <= 1  # stuck to the bottom
    assert scroll_width(page) <= 390
    page.screenshot(path=str(artifacts_dir / "checkout-page-390.png"))

    # Ordering with nothing filled in: the summary takes the focus and links to
    # each field; its commune link focuses the combobox standing for the hidden select.
    # Enter in a field means "Đặt hàng" (not the no-JavaScript "Xem xã, phường" button).
    page.fill("#phone", "0912 345")
    with page.expect_navigation():
        page.press("#phone", "Enter")
    summary = page.locator("[data-error-summary]")
    assert page.evaluate("document.activeElement.hasAttribute('data-error-summary')")
    links = summary.locator("a").evaluate_all("links => links.map(a => a.hash)")
    assert links == ["#phone", "#recipient", "#province", "#commune", "#street"]
    assert page.input_value("#phone") == "0912 345"  # what was typed is kept
    assert scroll_width(page) <= 390
    page.screenshot(path=str(artifacts_dir / "checkout-errors-390.png"))
    summary.locator("a[href='#commune']").click()
    assert page.evaluate("document.activeElement.id") == "commune-combobox"
    summary.locator("a[href='#phone']").click()
    assert page.evaluate("document.activeElement.id") == "phone"

    # The province: "ha noi" finds "Thành phố Hà Nội"; Enter takes it.
    province = page.locator("#province-combobox")
    assert province.get_attribute("role") == "combobox"
    assert province.get_attribute("aria-expanded") == "false"
    province.click()
    province.fill("ha noi")
    assert shown_options(page, "province-combobox") == ["Thành phố Hà Nội"]
    assert province.get_attribute("aria-expanded") == "true"
    province.press("Enter")
    assert page.eval_on_selector("#province", "s => s.value") == str(hanoi.code)
    assert province.get_attribute("aria-expanded") == "false"
    page.wait_for_selector(f"#commune option[value='{hoan_kiem.code}']", state="attached")
    assert page.locator("#commune option").count() == 127  # 126 communes and the prompt

    # The commune: folded input filters the 126; ↓ moves, Enter picks, Esc closes.
    commune = page.locator("#commune-combobox")
    commune.click()
    assert len(shown_options(page, "commune-combobox")) == 126
    commune.fill("hoan kiem")
    assert shown_options(page, "commune-combobox") == ["Phường Hoàn Kiếm"]
    active = commune.get_attribute("aria-activedescendant")
    assert page.locator(f"#{active}").inner_text() == "Phường Hoàn Kiếm"
    page.screenshot(path=str(artifacts_dir / "checkout-combobox-390.png"))
    commune.press("Enter")
    assert page.eval_on_selector("#commune", "s => s.value") == str(hoan_kiem.code)
    assert commune.input_value() == "Phường Hoàn Kiếm"

    commune.fill("dong")  # "d" finds "Đ", "o" finds "ô" and "ố"
    found = shown_options(page, "commune-combobox")
    assert {"Phường Đống Đa", "Xã Đông Anh"} <= set(found) and len(found) < 126
    assert all("dong" in fold(name) for name in found), found
    commune.press("ArrowDown")
    assert commune.get_attribute("aria-activedescendant") == "commune-combobox-listbox-1"
    commune.press("Escape")
    assert commune.get_attribute("aria-expanded") == "false"
    assert commune.input_value() == "Phường Hoàn Kiếm"  # the typing undone, the choice kept
    assert page.eval_on_selector("#commune", "s => s.value") == str(hoan_kiem.code)

    # The exact shipping to Hà Nội (another province than the cooperative's) is shown.
    page.locator("[data-bar-total]", has_text=re.compile(r"^\d")).wait_for()
    assert page.locator("[data-estimate-note]").is_hidden()

    # A guest with no e-mail orders.
    page.fill("#recipient", "Nguyễn Thị Lan")
    page.fill("#phone", "0912 345 678")
    page.fill("#street", "12 Hàng Trống")
    submit.click()
    page.wait_for_url(re.compile(r".*/orders/[A-Z0-9]{10}\?placed=1$"))
    db.session.expire_all()
    order = db.session.scalar(select(Order))
    assert (order.email, order.phone, order.commune_id) == ("", "0912345678", hoan_kiem.id)


@pytest.mark.browser
def test_checkout_on_a_desktop_puts_the_summary_beside_the_form(
    _browser, live_server, make, artifacts_dir
):
    listing = make.listing(name="Mật ong rừng", packages=[{"label": "Chai 500 ml"}])
    context = _browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        add_to_cart(page, listing.slug)
        page.goto("/checkout/")
        form = page.locator(".checkout-main").bounding_box()
        summary = page.locator(".checkout-summary").bounding_box()
        assert summary["x"] >= form["x"] + form["width"]
        assert summary["y"] == pytest.approx(form["y"], abs=2)
        submit = page.locator("#submit").bounding_box()
        assert submit["y"] + submit["height"] <= 800  # "Đặt hàng" without scrolling
        assert scroll_width(page) <= 1280
        page.screenshot(path=str(artifacts_dir / "checkout-page-1280.png"), full_page=True)
    finally:
        context.close()


@pytest.mark.browser
def test_a_customer_with_a_saved_address_orders_in_two_taps(page, make, artifacts_dir):
    user = make.user(email="khach@example.vn")
    home = unit("Phường Hoàn Kiếm", Level.COMMUNE)
    work = factories.commune()
    db.session.add_all(
        [
            Address(
                user=user,
                recipient="Trần Văn Nam",
                phone="0987654321",
                street="18 Hàng Trống",
                commune=home,
                is_default=True,
            ),
            Address(
                user=user,
                recipient="Trần Văn Nam",
                phone="0987654321",
                street="5 Lê Lợi",
                commune=work,
            ),
        ]
    )
    db.session.commit()
    listing = make.listing(name="Vải thiều Lục Ngạn", packages=[{"stock": 5}])
    page.goto("/account/login")
    form = page.locator("main form")
    form.locator("input[name=email]").fill(user.email)
    form.locator("input[name=password]").fill(factories.PASSWORD)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    add_to_cart(page, listing.slug)

    page.locator(".cart-bar button[name=checkout]").click()  # tap 1
    page.wait_for_url("**/checkout/")
    current = page.locator("[data-address-current]")
    assert "18 Hàng Trống" in current.inner_text()
    assert page.locator("#phone").is_hidden()  # no form to fill: the saved address is chosen
    assert page.is_checked("input[name=payment_method][value=cod]")
    assert page.locator("#submit").bounding_box()["y"] < 844
    assert scroll_width(page) <= 390

    # "Đổi" lists the addresses; the card follows the choice, and "another address" opens
    # the form.
    page.locator(".address-picker__summary").click()
    page.locator("label[for='address_id-1']").click()
    assert "5 Lê Lợi" in current.inner_text()
    page.locator("label[for='address_id-2']").click()
    assert page.locator("#phone").is_visible()
    page.locator("label[for='address_id-0']").click()
    assert "18 Hàng Trống" in current.inner_text() and page.locator("#phone").is_hidden()
    page.screenshot(path=str(artifacts_dir / "checkout-customer-390.png"), full_page=True)

    page.locator("#submit").click()  # tap 2
    page.wait_for_url(re.compile(r".*/orders/[A-Z0-9]{10}\?placed=1$"))
    db.session.expire_all()
    order = db.session.scalar(select(Order))
    assert (order.user_id, order.street, order.email) == (user.id, "18 Hàng Trống", user.email)
