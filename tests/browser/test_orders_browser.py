"""The buyer's order pages in Chromium at 390 × 844 and 1280 × 800: the guest opens the signed
order link in a fresh browser, sees a timeline per shipment with the tracking number, copies
the link from the confirmation page, and nothing scrolls sideways."""

from __future__ import annotations

import pytest

from storefront.domain.order_links import order_link_token
from storefront.domain.orders.fulfilment import advance_shipment
from tests.fixtures.shop import buy


def _no_sideways_scroll(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.browser
def test_order_pages_on_a_phone_and_a_desktop(page, _browser, live_server, make, artifacts_dir):
    lan, son = make.user(email="lan@htx.vn"), make.user(email="son@htx.vn")
    coop_a = make.cooperative(
        legal_name="Hợp tác xã Sản xuất và Kinh doanh Vải thiều Phúc Hòa", owner=lan
    )
    coop_b = make.cooperative(legal_name="HTX Mật ong Sơn Động", owner=son)
    lychee = make.listing(
        coop=coop_a,
        name="Vải thiều Lục Ngạn loại đặc biệt",
        packages=[{"label": "Hộp 1 kg", "price": 150_000, "stock": 9}],
    )
    honey = make.listing(
        coop=coop_b,
        name="Mật ong rừng",
        packages=[{"label": "Chai 500 ml", "price": 220_000, "stock": 9}],
    )
    order = buy((lychee.packages[0], 2), (honey.packages[0], 1))
    shipment = next(s.id for s in order.shipments if s.cooperative_id == coop_a.id)
    advance_shipment(shipment, "pack", user_id=lan.id)
    advance_shipment(
        shipment, "ship", user_id=lan.id, carrier="Viettel Post", tracking_number="VTP123456789"
    )
    link = f"/orders/link/{order_link_token(order)}"

    # A fresh browser (no session) opens the link from the e-mail.
    response = page.goto(link)
    assert response.status == 200
    assert page.locator(".order-number").inner_text().strip() == order.number
    assert page.locator(".shipment").count() == 2
    timelines = page.locator("ol.timeline")
    assert timelines.count() == 2 and timelines.first.is_visible()
    assert page.locator("[aria-current=step]").count() == 2
    assert page.get_by_text("VTP123456789").is_visible()
    assert page.locator(".order-total").is_visible()
    _no_sideways_scroll(page, 390)
    page.screenshot(path=str(artifacts_dir / "order-detail-390.png"), full_page=True)

    # The confirmation page, as the checkout lands on it: success header, the link to keep.
    page.goto(f"/orders/{order.number}?placed=1")
    heading = page.get_by_role("heading", level=1)
    assert heading.inner_text().strip() == "Đặt hàng thành công"
    assert heading.bounding_box()["y"] < 844
    field = page.locator("#order-link-url")
    # A fresh token (its own timestamp) for the same order.
    assert "/orders/link/" + link.split("/")[-1].split(".")[0] + "." in field.input_value()
    copy = page.get_by_role("button", name="Sao chép")
    assert copy.is_visible()  # shown by orders.js
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    copy.click()
    page.get_by_text("Đã sao chép liên kết").wait_for()
    assert page.locator("ol.timeline").first.is_visible()
    _no_sideways_scroll(page, 390)
    page.screenshot(path=str(artifacts_dir / "order-confirmation-390.png"), full_page=True)

    # The lookup page and a broken link's page fit the phone too.
    page.goto("/orders/lookup")
    _no_sideways_scroll(page, 390)
    assert page.goto("/orders/link/not-a-token").status == 400
    _no_sideways_scroll(page, 390)

    desktop = _browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 800})
    wide = desktop.new_page()
    wide.goto(link)
    _no_sideways_scroll(wide, 1280)
    # Four steps in a row: the first and last dots on one line.
    dots = wide.locator("ol.timeline").first.locator(".timeline__dot")
    assert dots.count() == 4
    assert abs(dots.nth(0).bounding_box()["y"] - dots.nth(3).bounding_box()["y"]) < 2
    # The summary (totals, payment, address) sits beside the shipments.
    main, side = wide.locator(".order-layout__main"), wide.locator(".order-layout__side")
    assert side.bounding_box()["x"] > main.bounding_box()["x"] + main.bounding_box()["width"] - 1
    wide.screenshot(path=str(artifacts_dir / "order-detail-1280.png"), full_page=True)
    wide.goto(f"/orders/{order.number}?placed=1")
    _no_sideways_scroll(wide, 1280)
    wide.screenshot(path=str(artifacts_dir / "order-confirmation-1280.png"), full_page=True)
    desktop.close()
