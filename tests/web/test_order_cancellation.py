"""Cancellation through the pages: a cooperative cancels its own part from its shipment page,
PFA staff and admins any order or part from the console (POST, CSRF, a reason); the buyer's
order page shows the cancellation and its reason; the seller's views show cancelled parts; the
console lists refunds still owed."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from storefront.domain.orders.fulfilment import advance_shipment
from storefront.domain.payments.card import start_card_payment
from storefront.extensions import db as _db
from storefront.models import (
    AuditEvent,
    OrderStatus,
    Package,
    PaymentMethod,
    Role,
    Shipment,
    ShipmentStatus,
)
from tests.fixtures.factories import PASSWORD
from tests.fixtures.shop import CANCEL, SUCCESS, buy, event, reload, send_webhook


def html(response) -> str:
    return response.get_data(as_text=True)


def part(shipment_id: int) -> Shipment:
    _db.session.expire_all()
    return _db.session.get(Shipment, shipment_id)


def stock(package_id: int) -> int:
    _db.session.expire_all()
    return _db.session.scalar(select(Package.stock).where(Package.id == package_id))


@pytest.fixture
def order(make):
    """A guest's cash-on-delivery order: 3 from cooperative A, 2 from cooperative B."""
    seller_a, seller_b = make.user(email="a@htx.vn"), make.user(email="b@htx.vn")
    coop_a = make.cooperative(legal_name="HTX Vải thiều", owner=seller_a)
    coop_b = make.cooperative(legal_name="HTX Mật ong", owner=seller_b)
    a = make.listing(coop=coop_a, packages=[{"stock": 10}]).packages[0]
    b = make.listing(coop=coop_b, packages=[{"stock": 10}]).packages[0]
    placed = buy((a, 3), (b, 2))
    parts = {s.cooperative_id: s.id for s in placed.shipments}
    return {
        "number": placed.number,
        "seller_a": seller_a,
        "seller_b": seller_b,
        "a": parts[coop_a.id],
        "b": parts[coop_b.id],
        "package_a": a.id,
    }


def as_buyer(client, number: str) -> None:
    with client.session_transaction() as browser:
        browser["order_access"] = [number]


# --- the cooperative --------------------------------------------------------------------------


def test_a_cooperative_cancels_its_part_from_the_shipment_page(client, auth, order, outbox):
    auth.login(order["seller_a"])
    page = html(client.get(f"/seller/shipments/{order['a']}"))
    assert "Hủy kiện hàng này" in page and 'name="reason"' in page

    response = client.post(f"/seller/shipments/{order['a']}/cancel", data={"reason": " "})
    assert response.status_code == 303
    assert part(order["a"]).status is ShipmentStatus.NEW and stock(order["package_a"]) == 7
    assert "Vui lòng nêu lý do hủy." in html(client.get(f"/seller/shipments/{order['a']}"))

    reason = "Hết hàng <b>do mưa đá</b>"
    response = client.post(f"/seller/shipments/{order['a']}/cancel", data={"reason": reason})
    assert response.status_code == 303
    assert part(order["a"]).status is ShipmentStatus.CANCELLED and stock(order["package_a"]) == 10
    page = html(client.get(f"/seller/shipments/{order['a']}"))
    assert "Hết hàng &lt;b&gt;do mưa đá&lt;/b&gt;" in page  # escaped
    assert "Hủy kiện hàng này" not in page  # no second cancellation offered
    listing = html(client.get("/seller/shipments?show=done"))
    assert order["number"] in listing and "Đã hủy" in listing and "do mưa đá" in listing

    # A second POST (a double click) changes nothing.
    client.post(f"/seller/shipments/{order['a']}/cancel", data={"reason": "lần nữa"})
    assert stock(order["package_a"]) == 10
    assert len(_db.session.scalars(select(AuditEvent)).all()) == 1

    # The buyer's page shows it, with the reason; the other part goes on.
    auth.logout()
    as_buyer(client, order["number"])
    page = html(client.get(f"/orders/{order['number']}"))
    assert "Đã bị hợp tác xã hủy." in page and "do mưa đá" in page and "<b>do" not in page
    assert reload(_db, order["number"]).status is OrderStatus.PLACED


def test_a_shipped_part_cannot_be_cancelled(client, auth, order):
    advance_shipment(
        order["a"], "ship", user_id=order["seller_a"].id, carrier="VNPost", tracking_number="E1"
    )
    auth.login(order["seller_a"])
    assert "Hủy kiện hàng này" not in html(client.get(f"/seller/shipments/{order['a']}"))
    response = client.post(f"/seller/shipments/{order['a']}/cancel", data={"reason": "Hủy"})
    assert response.status_code == 303
    assert part(order["a"]).status is ShipmentStatus.SHIPPED
    assert "Đã gửi hàng" in html(client.get(f"/seller/shipments/{order['a']}"))


def test_cancelling_needs_the_csrf_token_and_a_post(app, client, order, csrf_on):
    login_page = html(client.get("/account/login"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    client.post(
        "/account/login",
        data={"email": "a@htx.vn", "password": PASSWORD, "csrf_token": token},
    )
    url = f"/seller/shipments/{order['a']}/cancel"
    assert client.post(url, data={"reason": "Hết hàng"}).status_code == 400
    assert client.get(url).status_code == 405
    assert part(order["a"]).status is ShipmentStatus.NEW
    page = html(client.get(f"/seller/shipments/{order['a']}"))
    form_token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(url, data={"reason": "Hết hàng", "csrf_token": form_token})
    assert response.status_code == 303 and part(order["a"]).status is ShipmentStatus.CANCELLED


# --- the PFA console --------------------------------------------------------------------------


def console_urls(order) -> list[tuple[str, str]]:
    number = order["number"]
    return [
        ("GET", "/pfa/orders"),
        ("GET", f"/pfa/orders?q={number}"),
        ("GET", f"/pfa/orders/{number}"),
        ("POST", f"/pfa/orders/{number}/cancel"),
        ("POST", f"/pfa/orders/{number}/parts/{order['a']}/cancel"),
    ]


def test_only_staff_and_admins_reach_the_order_console(client, auth, make, order):
    for method, url in console_urls(order):
        response = client.open(url, method=method, data={"reason": "x"})
        assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    for user in (make.user(), order["seller_a"]):
        auth.login(user)
        for method, url in console_urls(order):
            assert client.open(url, method=method, data={"reason": "x"}).status_code == 403, url
        auth.logout()
    assert reload(_db, order["number"]).status is OrderStatus.PLACED
    assert part(order["a"]).status is ShipmentStatus.NEW
    for role in (Role.PFA, Role.ADMIN):
        auth.login(make.user(role=role))
        for method, url in console_urls(order)[:3]:
            assert client.open(url, method=method).status_code == 200, url
        auth.logout()


def test_staff_cancel_a_part_then_the_order_from_the_console(client, auth, staff, order, outbox):
    auth.login(staff)
    number = order["number"]
    page = html(client.get(f"/pfa/orders/{number}"))
    assert "Hủy phần này" in page and "Hủy cả đơn hàng" in page
    # A part of another order, and an unknown order: 404, nothing changes.
    other = buy((_db.session.get(Package, order["package_a"]), 1), phone="0987654321")
    assert (
        client.post(
            f"/pfa/orders/{other.number}/parts/{order['a']}/cancel", data={"reason": "x"}
        ).status_code
        == 404
    )
    assert client.post("/pfa/orders/ZZZZZZZZZZ/cancel", data={"reason": "x"}).status_code == 404
    assert part(order["a"]).status is ShipmentStatus.NEW

    response = client.post(
        f"/pfa/orders/{number}/parts/{order['a']}/cancel", data={"reason": "HTX tạm dừng bán"}
    )
    assert response.status_code == 303
    assert part(order["a"]).cancelled_by == "staff"
    assert {m["To"] for m in outbox.messages} >= {"lan@example.vn", "a@htx.vn"}

    assert client.post(f"/pfa/orders/{number}/cancel", data={"reason": ""}).status_code == 303
    assert reload(_db, number).status is OrderStatus.PLACED  # no reason, no cancellation
    client.post(f"/pfa/orders/{number}/cancel", data={"reason": "Đơn giữ hàng"})
    assert reload(_db, number).status is OrderStatus.CANCELLED
    assert stock(order["package_a"]) == 9  # 10, less the other order's unit: back once

    audit = html(client.get("/pfa/audit"))
    assert "Đã hủy đơn hàng" in audit and "Đã hủy phần đơn hàng của một hợp tác xã" in audit
    assert f'href="/pfa/orders/{number}"' in audit

    auth.logout()
    as_buyer(client, number)
    page = html(client.get(f"/orders/{number}"))
    assert "bởi Hội Nông dân" in page and "Đơn giữ hàng" in page
    assert "Đã bị Hội Nông dân hủy." in page and "HTX tạm dừng bán" in page


def test_the_console_lists_refunds_still_owed(client, auth, staff, make, stripe_fake, runner):
    seller = make.user(email="a@htx.vn")
    coop = make.cooperative(owner=seller)
    package = make.listing(coop=coop, packages=[{"stock": 10}]).packages[0]
    other = make.listing(coop=make.cooperative(), packages=[{"stock": 10}]).packages[0]
    placed = buy((package, 2), (other, 1), payment_method=PaymentMethod.CARD)
    number = placed.number
    start_card_payment(number, success_url=SUCCESS, cancel_url=CANCEL)
    session_id = reload(_db, number).payments[-1].provider_session_id
    send_webhook(client, event("checkout.session.completed", stripe_fake.pay(session_id)))
    shipment_id = next(s.id for s in reload(_db, number).shipments if s.cooperative_id == coop.id)

    stripe_fake.fail_next = [(400, {"error": {"type": "api_error", "message": "later"}})]
    auth.login(seller)
    client.post(f"/seller/shipments/{shipment_id}/cancel", data={"reason": "Hết hàng"})
    auth.logout()
    assert part(shipment_id).refund_id is None

    auth.login(staff)
    owed = html(client.get("/pfa/orders?owed=1"))
    assert number in owed
    assert "còn nợ, chưa hoàn" in html(client.get(f"/pfa/orders/{number}"))
    auth.logout()
    as_buyer(client, number)
    assert "Đang chờ hoàn" in html(client.get(f"/orders/{number}"))

    runner.invoke(args=["payments", "reconcile"])
    auth.login(staff)
    assert number not in html(client.get("/pfa/orders?owed=1"))
    auth.logout()
    as_buyer(client, number)
    page = html(client.get(f"/orders/{number}"))
    assert "Đã hoàn" in page and "Đang chờ hoàn" not in page
    assert len(stripe_fake.calls("POST", "/v1/refunds")) == 1
