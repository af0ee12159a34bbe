"""payOS at checkout and on the order page: offered only when configured, one link per
attempt with the fields payOS needs (signed), payOS down, the return and cancel addresses
(which change nothing), trying again (never two open links), cancelling the order."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from storefront.core.db import aware
from storefront.models import Order, OrderStatus, PaymentStatus
from tests.fixtures.payos import CLIENT_ID, sign_link_request
from tests.fixtures.shop import checkout_form, reload, stock_of

pytestmark = pytest.mark.usefixtures("english")

LINKS = "/v2/payment-requests"


def place(client, make, *, price=150_000, quantity=2, stock=5):
    package = make.listing(
        packages=[{"price": price, "stock": stock, "weight_grams": 1000}]
    ).packages[0]
    client.get("/?lang=en")  # the browser session reads English from here on
    client.post("/cart/add", data={"package_id": package.id, "quantity": quantity})
    response = client.post("/checkout/", data=checkout_form(payment_method="payos"))
    return response, package


def the_order(db) -> Order:
    db.session.expire_all()
    return db.session.scalar(select(Order))


def test_payos_is_offered_only_when_all_three_keys_are_set(client, db, make, app, monkeypatch):
    package = make.listing().packages[0]
    client.get("/?lang=en")
    client.post("/cart/add", data={"package_id": package.id, "quantity": 1})
    label = "Pay through payOS (banking app, VietQR)"
    monkeypatch.setitem(app.config, "PAYOS_CLIENT_ID", "id")
    monkeypatch.setitem(app.config, "PAYOS_API_KEY", "key")
    assert label not in client.get("/checkout/").get_data(as_text=True)  # no checksum key
    response = client.post("/checkout/", data=checkout_form(payment_method="payos"))
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Order)) == 0

    monkeypatch.setitem(app.config, "PAYOS_CHECKSUM_KEY", "checksum")
    assert label in client.get("/checkout/").get_data(as_text=True)


def test_vietnamese_checkout_names_payos_in_vietnamese(client, make, payos_fake):
    package = make.listing().packages[0]
    client.post("/cart/add", data={"package_id": package.id, "quantity": 1})
    page = client.get("/checkout/?lang=vi").get_data(as_text=True)
    assert "Thanh toán qua payOS (ứng dụng ngân hàng, VietQR)" in page


def test_a_payos_order_holds_its_stock_and_sends_the_buyer_to_one_signed_link(
    client, db, make, payos_fake, outbox
):
    response, package = place(client, make, price=150_000, quantity=2, stock=5)
    order = the_order(db)
    [payment] = order.payments
    [created] = payos_fake.calls("POST", LINKS)
    body = created.body
    assert body is not None
    assert response.status_code == 303
    assert response.headers["Location"] == f"https://pay.payos.vn/web/{payment.provider_session_id}"
    # Chromium checks a form's redirects against form-action: payOS's origin is listed.
    assert (
        "https://pay.payos.vn"
        in response.headers["Content-Security-Policy"].split("form-action", 1)[1].split(";")[0]
    )

    assert order.status is OrderStatus.AWAITING_PAYMENT
    assert stock_of(db, package.id) == 3
    assert (payment.provider, payment.status, payment.amount) == (
        "payos",
        PaymentStatus.PENDING,
        order.total,
    )
    assert aware(payment.expires_at) - aware(payment.created_at) == pytest.approx(
        timedelta(minutes=30), abs=timedelta(seconds=5)
    )
    # What payOS receives: đồng as an integer, our attempt's numeric code, a short
    # description, absolute addresses back to the order page, the expiry, a valid signature.
    assert type(body["amount"]) is int and body["amount"] == order.total
    assert body["orderCode"] == payment.id
    assert body["description"] == f"OCOP {order.number}" and len(body["description"]) <= 25
    assert sum(i["price"] * i["quantity"] for i in body["items"]) == order.total
    for key, which in (("returnUrl", "return"), ("cancelUrl", "cancelled")):
        url = urlsplit(body[key])
        assert url.scheme in ("http", "https") and url.netloc
        assert url.path == f"/orders/{order.number}" and parse_qs(url.query) == {"payos": [which]}
    assert body["expiredAt"] == int(aware(payment.expires_at).timestamp())
    assert body["signature"] == sign_link_request(body)
    assert (body["buyerName"], body["buyerPhone"], body["buyerEmail"]) == (
        "Nguyễn Thị Lan",
        "0912345678",
        "lan@example.vn",
    )
    assert created.headers["x-client-id"] == CLIENT_ID
    assert outbox.messages == []  # nobody hears of it before the money arrives


def test_payos_down_keeps_the_order_with_a_try_again_button_then_one_link(
    client, db, make, payos_fake
):
    payos_fake.down = True
    response, package = place(client, make, quantity=1, stock=1)
    order = the_order(db)
    assert response.headers["Location"] == f"/orders/{order.number}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "payOS could not be reached" in page
    assert f'action="/orders/{order.number}/pay"' in page and "Pay through payOS" in page
    assert order.status is OrderStatus.AWAITING_PAYMENT and stock_of(db, package.id) == 0
    assert payos_fake.links == {}

    payos_fake.down = False
    again = client.post(f"/orders/{order.number}/pay")
    # payOS is asked first (no link for this attempt), then the same attempt gets its link.
    [asked] = payos_fake.calls("GET", f"{LINKS}/{order.payments[0].id}")
    assert asked
    order = reload(db, order.number)
    [payment] = order.payments
    assert list(payos_fake.links) == [payment.id]
    assert again.headers["Location"].endswith(payment.provider_session_id)


def test_the_return_address_never_marks_an_order_paid(client, db, make, payos_fake):
    place(client, make)
    order = the_order(db)
    code = order.payments[0].id
    link_id = order.payments[0].provider_session_id
    page = client.get(
        f"/orders/{order.number}?payos=return&code=00&id={link_id}&cancel=false"
        f"&status=PAID&orderCode={code}"
    ).get_data(as_text=True)
    assert "Waiting for payOS to confirm your payment" in page
    order = reload(db, order.number)
    assert order.status is OrderStatus.AWAITING_PAYMENT
    assert order.payments[0].status is PaymentStatus.PENDING
    assert [r.method for r in payos_fake.requests] == ["POST"]  # only the link's creation


def test_cancelled_at_payos_then_trying_again_makes_a_new_attempt(client, db, make, payos_fake):
    place(client, make)
    order = the_order(db)
    first = order.payments[0].id
    payos_fake.links[first]["status"] = "CANCELLED"  # the buyer pressed "cancel" at payOS

    page = client.get(f"/orders/{order.number}?payos=cancelled&cancel=true").get_data(as_text=True)
    assert "Payment cancelled." in page and "Try paying again" in page
    assert f'action="/orders/{order.number}/cancel"' in page

    response = client.post(f"/orders/{order.number}/pay")
    order = reload(db, order.number)
    old, new = order.payments
    assert old.id == first and old.status is PaymentStatus.FAILED
    assert new.status is PaymentStatus.PENDING and new.amount == order.total
    assert response.headers["Location"].endswith(new.provider_session_id)
    assert [link["status"] for link in payos_fake.links.values()] == ["CANCELLED", "PENDING"]
    assert payos_fake.calls("POST", f"{LINKS}/{first}/cancel") == []


def test_trying_again_while_the_link_is_open_closes_it_first(client, db, make, payos_fake):
    place(client, make)
    order = the_order(db)
    first = order.payments[0].id
    client.post(f"/orders/{order.number}/pay")
    client.post(f"/orders/{order.number}/pay")
    assert len(payos_fake.calls("POST", f"{LINKS}/{first}/cancel")) == 1
    statuses = [link["status"] for link in payos_fake.links.values()]
    assert statuses == ["CANCELLED", "CANCELLED", "PENDING"]  # never two open links
    order = reload(db, order.number)
    assert [p.status for p in order.payments] == [
        PaymentStatus.FAILED,
        PaymentStatus.FAILED,
        PaymentStatus.PENDING,
    ]


def test_trying_again_when_payos_cannot_close_the_open_link_changes_nothing(
    client, db, make, payos_fake
):
    place(client, make)
    order = the_order(db)
    payos_fake.down = True
    response = client.post(f"/orders/{order.number}/pay")
    assert response.headers["Location"] == f"/orders/{order.number}"
    order = reload(db, order.number)
    assert [p.status for p in order.payments] == [PaymentStatus.PENDING]
    assert len(payos_fake.links) == 1


def test_trying_again_finds_a_payment_whose_webhook_was_lost(client, db, make, payos_fake, outbox):
    place(client, make)
    order = the_order(db)
    payos_fake.pay(order.payments[0].id)  # paid; the webhook never came
    response = client.post(f"/orders/{order.number}/pay")
    assert response.headers["Location"] == f"/orders/{order.number}"
    assert "payOS has received your payment." in client.get(response.headers["Location"]).get_data(
        as_text=True
    )
    order = reload(db, order.number)
    assert order.status is OrderStatus.PLACED
    assert order.payments[0].status is PaymentStatus.PAID
    assert len(payos_fake.links) == 1
    assert "lan@example.vn" in [m["To"] for m in outbox.messages]


def test_cancelling_the_order_closes_its_link_and_gives_the_stock_back(
    client, db, make, payos_fake
):
    response, package = place(client, make, quantity=2, stock=2)
    order = the_order(db)
    code = order.payments[0].id
    client.post(f"/orders/{order.number}/cancel")
    order = reload(db, order.number)
    assert order.status is OrderStatus.CANCELLED and stock_of(db, package.id) == 2
    assert payos_fake.links[code]["status"] == "CANCELLED"
    assert order.payments[0].status is PaymentStatus.FAILED
    assert client.post(f"/orders/{order.number}/pay").headers["Location"] == (
        f"/orders/{order.number}"
    )
    assert len(payos_fake.links) == 1


def test_trying_again_after_a_wrong_amount_makes_no_new_link(client, db, make, payos_fake):
    place(client, make)
    order = the_order(db)
    payos_fake.pay(order.payments[0].id, amount=order.total - 1_000)  # underpaid at payOS
    response = client.post(f"/orders/{order.number}/pay")
    assert response.headers["Location"] == f"/orders/{order.number}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "does not match its total" in page
    order = reload(db, order.number)
    assert order.status is OrderStatus.AWAITING_PAYMENT
    assert [p.status for p in order.payments] == [PaymentStatus.PENDING]
    assert order.payments[0].failure_reason.startswith("amount mismatch")
    assert (
        len(payos_fake.links) == 1
        and payos_fake.calls("POST", f"{LINKS}/{order.payments[0].id}/cancel") == []
    )
