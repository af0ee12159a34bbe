"""A guest pays by bank transfer (VietQR) in Chromium at 390 × 844: chooses it at checkout,
sees the QR and the payment code, copies the code, and when the bank's notification arrives
(SePay's format, its API key, POSTed to the live server's /webhooks/sepay, the content mangled
as banks do) the page says "Đã thanh toán" by itself, without a reload. Then the same page at
1280 px: the QR beside the details, and a short transfer asking for the balance."""

from __future__ import annotations

import json
import re
import urllib.request

import pytest
from sqlalchemy import select

from storefront.extensions import db
from storefront.models import Order
from tests.fixtures import factories
from tests.fixtures.transfer import SEPAY_KEY, notification


@pytest.fixture
def sepay_key(app, monkeypatch):
    monkeypatch.setitem(app.config, "SEPAY_WEBHOOK_API_KEY", SEPAY_KEY)


def bank_says(live_server: str, content: str, amount: int) -> dict:
    """SePay's notification of an incoming transfer, signed with the API key, sent over HTTP
    to the running shop as SePay sends it."""
    request = urllib.request.Request(
        f"{live_server}/webhooks/sepay",
        data=json.dumps(notification(content, amount)).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Apikey {SEPAY_KEY}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        return json.loads(response.read())


def _drawn(image) -> bool:
    """Whether the image loads and decodes: `decode()` waits for the fetch (a src the page's
    script has just swapped may still be loading) and rejects if the image is broken."""
    return image.evaluate("img => img.decode().then(() => img.naturalWidth > 0)")


def _no_sideways_scroll(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.browser
@pytest.mark.usefixtures("vietqr_on", "sepay_key")
def test_a_guest_pays_by_vietqr_and_the_page_turns_paid(
    page, _browser, live_server, make, artifacts_dir
):
    lychee = make.listing(
        name="Vải thiều Lục Ngạn",
        packages=[{"label": "Hộp 1 kg", "price": 150_000, "stock": 5}],
    )
    commune = factories.commune()
    page.goto(f"/products/{lychee.slug}")
    form = page.locator("form.buy-form")
    form.locator("input[name=quantity]").fill("2")
    form.locator("button[type=submit]:not([name=buy_now])").click()
    page.wait_for_url("**/cart/")
    page.locator(".cart-bar button[name=checkout]").click()
    page.wait_for_url("**/checkout/")

    page.fill("#phone", "0912 345 678")
    page.fill("#recipient", "Nguyễn Thị Lan")
    page.select_option("#province", str(commune.province.code))
    page.wait_for_selector(f"#commune option[value='{commune.code}']", state="attached")
    page.select_option("#commune", str(commune.code))
    page.fill("#street", "12 Trần Phú")
    transfer = page.locator("label.choice-card--transfer")
    assert "Chuyển khoản ngân hàng (VietQR)" in transfer.inner_text()
    transfer.click()
    assert page.is_checked("input[name=payment_method][value=transfer]")
    page.click("#submit")

    page.wait_for_url(re.compile(r".*/orders/[A-Z0-9]{10}\?placed=1$"))
    number = page.locator(".order-number").first.inner_text().strip()
    db.session.expire_all()
    order = db.session.scalar(select(Order).where(Order.number == number))
    code, total = order.payment_code, order.total

    heading = page.get_by_role("heading", level=1)
    assert heading.inner_text().strip() == "Đã nhận đơn hàng: mời bạn chuyển khoản"
    qr = page.locator("img[data-transfer-qr]")
    qr.wait_for()
    assert qr.is_visible() and _drawn(qr)
    assert qr.bounding_box()["width"] >= 200  # big enough to scan from another screen
    assert page.locator(".transfer__code").inner_text().strip() == code
    assert page.locator(".transfer__account").inner_text().strip() == "0011001234567"
    # The countdown (JavaScript) beside the printed deadline.
    countdown = page.locator("[data-countdown-value]")
    countdown.wait_for()
    assert re.fullmatch(r"(29|30):\d\d", countdown.inner_text().strip())
    _no_sideways_scroll(page, 390)
    page.screenshot(path=str(artifacts_dir / "transfer-awaiting-390.png"), full_page=True)

    # Copy the payment code and the amount (plain digits) to the clipboard.
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Sao chép mã thanh toán").click()
    page.locator(".transfer__copied", has_text="Đã sao chép").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == code
    page.get_by_role("button", name="Sao chép số tiền").click()
    assert page.evaluate("navigator.clipboard.readText()") == str(total)

    # The bank says the money arrived: the page changes by itself, no reload.
    page.evaluate("window.stillTheSamePage = true")
    mangled = f"MBVCB.8812.{code[:4].lower()} {code[4:]}.CT tu 0912345678 NGUYEN THI LAN"
    assert bank_says(live_server, mangled, total) == {"success": True, "outcome": "paid"}
    status = page.locator("[data-transfer-message]")
    status.filter(has_text="Đã thanh toán").wait_for(timeout=15_000)
    assert status.get_attribute("aria-live") == "polite"
    assert page.evaluate("window.stillTheSamePage === true")
    assert page.locator(".payment-status").inner_text().strip() == "Đã thanh toán"
    assert page.locator(".order-status").first.get_attribute("data-status") == "placed"
    assert not page.locator("img[data-transfer-qr]").is_visible()
    page.screenshot(path=str(artifacts_dir / "transfer-paid-390.png"), full_page=True)

    # A refresh shows the paid order page.
    page.reload()
    assert page.locator(".payment-status").inner_text().strip() == "Đã thanh toán"
    assert page.locator("img[data-transfer-qr]").count() == 0


@pytest.mark.browser
@pytest.mark.usefixtures("vietqr_on", "sepay_key")
def test_the_transfer_panel_on_a_desktop_and_the_balance_after_a_short_transfer(
    _browser, live_server, make, artifacts_dir
):
    from storefront.domain.order_links import order_link_token  # noqa: PLC0415
    from tests.fixtures.shop import transfer_order  # noqa: PLC0415

    order, _ = transfer_order(make, price=150_000, quantity=1)
    total = order.total
    link = f"/orders/link/{order_link_token(order)}"
    context = _browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 800})
    wide = context.new_page()
    wide.goto(link)
    qr, details = wide.locator(".transfer__qr"), wide.locator(".transfer__manual")
    assert qr.bounding_box()["x"] + qr.bounding_box()["width"] <= details.bounding_box()["x"]
    _no_sideways_scroll(wide, 1280)
    wide.screenshot(path=str(artifacts_dir / "transfer-awaiting-1280.png"), full_page=True)

    # 50.000 ₫ arrive: the page asks for the balance, with a new QR, by itself.
    src = wide.locator("img[data-transfer-qr]").get_attribute("src")
    assert bank_says(live_server, f"{order.payment_code} chuyen truoc", 50_000)["outcome"] == (
        "partly_paid"
    )
    wide.locator("[data-transfer-message]", has_text="Đã nhận 50.000").wait_for(timeout=15_000)
    balance = f"{total - 50_000:,}".replace(",", ".")
    assert wide.locator("[data-transfer-amount]").inner_text().startswith(balance)
    new_src = wide.locator("img[data-transfer-qr]").get_attribute("src")
    assert new_src != src and new_src.endswith(f"due={total - 50_000}")
    assert _drawn(wide.locator("img[data-transfer-qr]"))
    context.close()
