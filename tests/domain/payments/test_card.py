"""Card payment: the Stripe Checkout Session request (faked only at stripe-python's HTTP
client), webhooks signed with Stripe's own scheme, forward-only states, expiry, reconciliation
and refunds."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from storefront.core.errors import PaymentProviderError
from storefront.domain.orders.lifecycle import expire_unpaid_orders, payment_state
from storefront.domain.payments.card import start_card_payment
from storefront.models import (
    Order,
    OrderStatus,
    Package,
    Payment,
    PaymentMethod,
    PaymentStatus,
    ShipmentStatus,
    WebhookEvent,
    utcnow,
)
from tests.fixtures import factories
from tests.fixtures.shop import buy, event, send_webhook

SUCCESS = "http://localhost/checkout/return?session_id={CHECKOUT_SESSION_ID}"
CANCEL = "http://localhost/orders/X"


def stock_of(db, package_id: int) -> int:
    return db.session.scalar(select(Package.stock).where(Package.id == package_id))


def reload(db, number: str) -> Order:
    db.session.expire_all()
    return db.session.scalar(select(Order).where(Order.number == number))


def card_order(db, make, stripe_fake, *, price=150_000, quantity=2, stock=10):
    """A card order placed and sent to (fake) Stripe: returns the order number, session, package."""
    package = make.listing(
        packages=[{"price": price, "stock": stock, "weight_grams": 1000}]
    ).packages[0]
    order = buy((package, quantity), payment_method=PaymentMethod.CARD)
    number = order.number
    start_card_payment(number, success_url=SUCCESS, cancel_url=CANCEL)
    session = stripe_fake.sessions[reload(db, number).payments[-1].provider_session_id]
    return number, session, package


# --- creating the Checkout Session -------------------------------------------------------------------


def test_card_checkout_creates_a_stripe_session_in_vnd_and_redirects(client, db, make, stripe_fake):
    package = make.listing(
        packages=[{"label": "Hộp 1 kg", "price": 150_000, "weight_grams": 1000}]
    ).packages[0]
    client.post("/cart/add", data={"package_id": package.id, "quantity": 2})
    page = client.get("/checkout/?lang=en").get_data(as_text=True)
    assert "Card (Stripe)" in page
    commune = factories.commune()
    response = client.post(
        "/checkout/",
        data={
            "email": "lan@example.vn",
            "phone": "0912345678",
            "recipient": "Lan",
            "province": str(commune.province.code),
            "commune": str(commune.code),
            "street": "12 Trần Phú",
            "payment_method": "card",
            "address_id": "new",
            "submit": "1",
        },
    )
    order = db.session.scalar(select(Order))
    payment = order.payments[-1]
    assert response.status_code == 303
    assert (
        response.headers["Location"]
        == f"https://checkout.stripe.test/c/pay/{payment.provider_session_id}"
    )
    assert order.status is OrderStatus.AWAITING_PAYMENT
    assert stock_of(db, package.id) == 8  # held while the buyer pays

    [call] = stripe_fake.calls("POST", "/v1/checkout/sessions")
    p = call.params
    assert call.headers["Authorization"] == "Bearer sk_test_fake"
    assert call.headers["Idempotency-Key"] == f"ocop-checkout-{order.number}-{payment.id}"
    assert p["mode"] == "payment"
    assert p["line_items[0][price_data][currency]"] == "vnd"
    # VND is zero-decimal: 150.000 ₫ is unit_amount=150000, not 15000000.
    assert p["line_items[0][price_data][unit_amount]"] == "150000"
    assert p["line_items[0][quantity]"] == "2"
    assert p["line_items[0][price_data][product_data][name]"].endswith("Hộp 1 kg")
    shipping = order.shipping_total
    assert shipping == 35_000
    assert p["line_items[1][price_data][unit_amount]"] == str(shipping)
    assert p["line_items[1][quantity]"] == "1"
    assert "line_items[2][quantity]" not in p
    assert p["client_reference_id"] == order.number
    assert p["metadata[order_number]"] == order.number
    assert p["payment_intent_data[metadata][order_number]"] == order.number
    assert p["customer_email"] == "lan@example.vn"
    assert p["success_url"].endswith("/checkout/return?session_id={CHECKOUT_SESSION_ID}")
    expires_in = int(p["expires_at"]) - time.time()
    assert 30 * 60 < expires_in <= 31 * 60 + 5  # Stripe's minimum is 30 minutes
    assert (
        stripe_fake.sessions[payment.provider_session_id]["amount_total"] == order.total == 335_000
    )


def test_success_page_shows_the_real_status_and_never_marks_paid(client, db, make, stripe_fake):
    number, session, _ = card_order(db, make, stripe_fake)
    page = client.get(f"/checkout/return?session_id={session['id']}&lang=en").get_data(as_text=True)
    assert "Awaiting card payment" in page
    assert reload(db, number).status is OrderStatus.AWAITING_PAYMENT
    assert client.get("/checkout/return?session_id=cs_unknown").status_code == 404

    send_webhook(client, event("checkout.session.completed", stripe_fake.pay(session["id"])))
    page = client.get(f"/checkout/return?session_id={session['id']}&lang=en").get_data(as_text=True)
    assert "Payment received" in page


def test_stripe_down_keeps_the_order_and_the_same_key_is_reused(app, db, make, stripe_fake):
    package = make.listing().packages[0]
    number = buy((package, 1), payment_method=PaymentMethod.CARD).number
    stripe_fake.fail_next = [(400, {"error": {"type": "invalid_request_error", "message": "boom"}})]
    with pytest.raises(PaymentProviderError):
        start_card_payment(number, success_url=SUCCESS, cancel_url=CANCEL)
    order = reload(db, number)
    assert (
        order.status is OrderStatus.AWAITING_PAYMENT
        and order.payments[-1].provider_session_id is None
    )

    url = start_card_payment(number, success_url=SUCCESS, cancel_url=CANCEL)
    first, second = stripe_fake.calls("POST", "/v1/checkout/sessions")
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"]
    assert url.startswith("https://checkout.stripe.test/")
    # Asking again reopens the same open session instead of creating another.
    assert start_card_payment(number, success_url=SUCCESS, cancel_url=CANCEL) == url
    assert len(stripe_fake.calls("POST", "/v1/checkout/sessions")) == 2


def test_a_late_retry_opens_a_new_attempt_with_a_new_key(app, db, make, stripe_fake):
    package = make.listing().packages[0]
    number = buy((package, 1), payment_method=PaymentMethod.CARD).number
    start_card_payment(
        number, success_url=SUCCESS, cancel_url=CANCEL, now=utcnow() + timedelta(minutes=5)
    )
    order = reload(db, number)
    old, new = order.payments
    assert old.status is PaymentStatus.FAILED and new.status is PaymentStatus.PENDING
    [call] = stripe_fake.calls("POST", "/v1/checkout/sessions")
    assert call.headers["Idempotency-Key"] == f"ocop-checkout-{number}-{new.id}"


# --- webhooks -----------------------------------------------------------------------------------------


def test_completed_webhook_marks_the_order_paid_and_tells_the_cooperatives(
    client, db, make, stripe_fake, outbox
):
    coop_owner = make.user(email="owner@htx.vn")
    coop = make.cooperative(owner=coop_owner)
    package = make.listing(coop=coop, packages=[{"price": 200_000}]).packages[0]
    number = buy((package, 1), payment_method=PaymentMethod.CARD).number
    start_card_payment(number, success_url=SUCCESS, cancel_url=CANCEL)
    session_id = reload(db, number).payments[-1].provider_session_id
    assert outbox.messages == []  # nothing to fulfil before the payment

    response = send_webhook(
        client, event("checkout.session.completed", stripe_fake.pay(session_id))
    )
    assert response.status_code == 200
    assert response.get_json()["outcome"] == "paid"
    order = reload(db, number)
    assert order.status is OrderStatus.PLACED
    assert order.payments[-1].status is PaymentStatus.PAID
    assert order.payments[-1].provider_payment_id == f"pi_{session_id}"
    assert payment_state(order) == "paid"
    assert [m["To"] for m in outbox.messages] == ["lan@example.vn", "owner@htx.vn"]


@pytest.mark.parametrize("attack", ["tampered", "wrong_secret", "stale", "no_header"])
def test_webhooks_without_a_valid_fresh_signature_are_rejected(
    client, db, make, stripe_fake, attack
):
    number, session, _ = card_order(db, make, stripe_fake)
    payload = json.dumps(event("checkout.session.completed", stripe_fake.pay(session["id"])))
    if attack == "tampered":
        response = send_webhook(client, payload, body=payload.replace('"paid"', '"paid" ', 1))
    elif attack == "wrong_secret":
        response = send_webhook(client, payload, secret="whsec_someone_else")
    elif attack == "stale":
        response = send_webhook(client, payload, timestamp=int(time.time()) - 301)
    else:
        response = client.post(
            "/webhooks/stripe", data=payload, headers={"Content-Type": "application/json"}
        )
    assert response.status_code == 400
    assert reload(db, number).status is OrderStatus.AWAITING_PAYMENT
    assert db.session.scalar(select(func.count()).select_from(WebhookEvent)) == 0


def test_a_signature_within_five_minutes_is_accepted(client, db, make, stripe_fake):
    number, session, _ = card_order(db, make, stripe_fake)
    payload = json.dumps(event("checkout.session.completed", stripe_fake.pay(session["id"])))
    assert send_webhook(client, payload, timestamp=int(time.time()) - 240).status_code == 200
    assert reload(db, number).status is OrderStatus.PLACED


def test_duplicate_delivery_is_a_no_op(client, db, make, stripe_fake, outbox):
    number, session, _ = card_order(db, make, stripe_fake)
    paid = event("checkout.session.completed", stripe_fake.pay(session["id"]), event_id="evt_once")
    assert send_webhook(client, paid).get_json()["outcome"] == "paid"
    mails = len(outbox.messages)
    again = send_webhook(client, paid)
    assert again.status_code == 200 and again.get_json()["outcome"] == "duplicate"
    assert db.session.scalar(select(func.count()).select_from(WebhookEvent)) == 1
    assert len(outbox.messages) == mails


def test_events_in_any_order_end_right(client, db, make, stripe_fake):
    number, session, package = card_order(db, make, stripe_fake, quantity=2, stock=10)
    paid = stripe_fake.pay(session["id"])
    assert (
        send_webhook(client, event("checkout.session.completed", paid)).get_json()["outcome"]
        == "paid"
    )
    # Completed twice (two event ids), then a late "expired": nothing moves backwards.
    assert (
        send_webhook(client, event("checkout.session.completed", paid)).get_json()["outcome"]
        == "already_paid"
    )
    expired = dict(paid, status="expired")
    assert (
        send_webhook(client, event("checkout.session.expired", expired)).get_json()["outcome"]
        == "no_change"
    )
    assert (
        send_webhook(client, event("checkout.session.async_payment_failed", paid)).get_json()[
            "outcome"
        ]
        == "no_change"
    )
    order = reload(db, number)
    assert order.status is OrderStatus.PLACED and order.payments[-1].status is PaymentStatus.PAID
    assert stock_of(db, package.id) == 8


def test_expired_session_cancels_and_restocks_exactly_once(client, db, make, stripe_fake):
    number, session, package = card_order(db, make, stripe_fake, quantity=3, stock=5)
    assert stock_of(db, package.id) == 2
    expired = dict(session, status="expired")
    assert (
        send_webhook(client, event("checkout.session.expired", expired)).get_json()["outcome"]
        == "cancelled"
    )
    assert (
        send_webhook(client, event("checkout.session.expired", expired)).get_json()["outcome"]
        == "no_change"
    )
    assert expire_unpaid_orders(now=utcnow() + timedelta(hours=2)) == []
    order = reload(db, number)
    assert order.status is OrderStatus.CANCELLED
    assert order.payments[-1].status is PaymentStatus.EXPIRED
    assert all(s.status is ShipmentStatus.CANCELLED for s in order.shipments)
    assert stock_of(db, package.id) == 5


def test_money_arriving_after_the_order_expired_is_refunded(client, db, make, stripe_fake):
    number, session, package = card_order(db, make, stripe_fake, quantity=1, stock=3)
    send_webhook(client, event("checkout.session.expired", dict(session, status="expired")))
    paid = stripe_fake.pay(session["id"])
    response = send_webhook(client, event("checkout.session.completed", paid))
    assert response.get_json()["outcome"] == "paid_after_cancel"
    order = reload(db, number)
    assert order.status is OrderStatus.CANCELLED  # the stock went back once; it stays back
    assert stock_of(db, package.id) == 3
    [refund] = stripe_fake.calls("POST", "/v1/refunds")
    assert refund.params["payment_intent"] == paid["payment_intent"]
    assert order.payments[-1].status is PaymentStatus.REFUNDED
    assert payment_state(order) == "refunded"


def test_amount_or_currency_mismatch_never_marks_paid(client, db, make, stripe_fake):
    number, session, _ = card_order(db, make, stripe_fake)
    paid = stripe_fake.pay(session["id"])
    for wrong in (dict(paid, amount_total=paid["amount_total"] - 1), dict(paid, currency="usd")):
        response = send_webhook(client, event("checkout.session.completed", wrong))
        assert response.get_json()["outcome"] == "amount_mismatch"
    order = reload(db, number)
    assert order.status is OrderStatus.AWAITING_PAYMENT
    assert order.payments[-1].status is PaymentStatus.PENDING
    assert "amount mismatch" in order.payments[-1].failure_reason
    # Not abandoned either: a person has to look, so expiry leaves it alone.
    assert expire_unpaid_orders(now=utcnow() + timedelta(hours=2)) == []


def test_asynchronous_payments(client, db, make, stripe_fake):
    number, session, package = card_order(db, make, stripe_fake, quantity=1, stock=4)
    settling = dict(session, status="complete", payment_status="unpaid", payment_intent="pi_async")
    assert (
        send_webhook(client, event("checkout.session.completed", settling)).get_json()["outcome"]
        == "processing"
    )
    assert payment_state(reload(db, number)) == "processing"
    assert expire_unpaid_orders(now=utcnow() + timedelta(hours=2)) == []  # still settling
    succeeded = dict(settling, payment_status="paid")
    assert (
        send_webhook(
            client, event("checkout.session.async_payment_succeeded", succeeded)
        ).get_json()["outcome"]
        == "paid"
    )
    assert reload(db, number).status is OrderStatus.PLACED

    number, session, package = card_order(db, make, stripe_fake, quantity=1, stock=4)
    failed = dict(session, status="complete", payment_status="unpaid")
    assert (
        send_webhook(client, event("checkout.session.async_payment_failed", failed)).get_json()[
            "outcome"
        ]
        == "cancelled"
    )
    order = reload(db, number)
    assert (
        order.status is OrderStatus.CANCELLED and order.payments[-1].status is PaymentStatus.FAILED
    )
    assert stock_of(db, package.id) == 4


def test_unknown_event_types_are_acknowledged_and_ignored(client, stripe_fake, db):
    response = send_webhook(
        client, event("customer.created", {"id": "cus_1", "object": "customer"})
    )
    assert response.status_code == 200 and response.get_json()["outcome"] == "ignored"
    response = send_webhook(
        client, event("checkout.session.completed", {"id": "cs_nobody", "metadata": {}})
    )
    assert response.get_json()["outcome"] == "unknown_session"


def test_webhook_is_off_without_stripe_keys(client):
    assert client.post("/webhooks/stripe", data="{}").status_code == 404


# --- expiry and reconciliation (CLI) -----------------------------------------------------------------------


def test_expire_unpaid_cli_cancels_abandoned_card_orders_once(
    app, db, make, stripe_fake, runner, monkeypatch
):
    number, session, package = card_order(db, make, stripe_fake, quantity=2, stock=2)
    fresh, _, fresh_package = card_order(db, make, stripe_fake, quantity=1, stock=1)
    cod = buy((make.listing().packages[0], 1)).number
    payment = reload(db, number).payments[-1]
    payment.expires_at = utcnow() - timedelta(minutes=16)  # past expiry and the 15-minute grace
    db.session.commit()

    result = runner.invoke(args=["orders", "expire-unpaid"])
    assert result.exit_code == 0, result.output
    assert f"expired {number}" in result.output
    assert reload(db, number).status is OrderStatus.CANCELLED
    assert stock_of(db, package.id) == 2
    assert reload(db, fresh).status is OrderStatus.AWAITING_PAYMENT
    assert stock_of(db, fresh_package.id) == 0
    assert reload(db, cod).status is OrderStatus.PLACED

    again = runner.invoke(args=["orders", "expire-unpaid"])
    assert "0 unpaid order(s) cancelled" in again.output
    assert stock_of(db, package.id) == 2
    # Stripe's own expired event arriving afterwards changes nothing either.
    client = app.test_client()
    send_webhook(client, event("checkout.session.expired", dict(session, status="expired")))
    assert stock_of(db, package.id) == 2


def test_reconcile_cli_applies_stripes_answer_for_stuck_payments(
    app, db, make, stripe_fake, runner
):
    paid_number, paid_session, _ = card_order(db, make, stripe_fake)
    gone_number, gone_session, gone_package = card_order(db, make, stripe_fake, quantity=1, stock=1)
    open_number, _, _ = card_order(db, make, stripe_fake)
    stripe_fake.pay(paid_session["id"])  # the webhook never arrived
    stripe_fake.sessions[gone_session["id"]]["status"] = "expired"
    for payment in db.session.scalars(select(Payment)):
        payment.created_at = utcnow() - timedelta(minutes=20)
    db.session.commit()

    result = runner.invoke(args=["payments", "reconcile"])
    assert result.exit_code == 0, result.output
    assert (
        "paid: 1" in result.output
        and "cancelled: 1" in result.output
        and "still_open: 1" in result.output
    )
    assert reload(db, paid_number).status is OrderStatus.PLACED
    assert reload(db, gone_number).status is OrderStatus.CANCELLED
    assert stock_of(db, gone_package.id) == 1
    assert reload(db, open_number).status is OrderStatus.AWAITING_PAYMENT

    result = runner.invoke(args=["payments", "reconcile"])
    assert "paid" not in result.output and "cancelled" not in result.output
    assert stock_of(db, gone_package.id) == 1


# --- cancelling a paid card order: refund ---------------------------------------------------------------------


def test_cancelling_a_paid_card_order_refunds_it_in_full(client, db, make, stripe_fake, outbox):
    number, session, package = card_order(db, make, stripe_fake, quantity=2, stock=5)
    send_webhook(client, event("checkout.session.completed", stripe_fake.pay(session["id"])))
    with client.session_transaction() as browser:
        browser["order_access"] = [number]
    response = client.post(f"/orders/{number}/cancel")
    assert response.status_code == 303
    order = reload(db, number)
    assert order.status is OrderStatus.CANCELLED
    assert stock_of(db, package.id) == 5
    [refund] = stripe_fake.calls("POST", "/v1/refunds")
    assert refund.params["payment_intent"] == f"pi_{session['id']}"
    assert refund.headers["Idempotency-Key"] == f"ocop-refund-{number}-{order.payments[-1].id}"
    assert order.payments[-1].status is PaymentStatus.REFUNDED
    assert order.payments[-1].provider_refund_id.startswith("re_test_")
    page = client.get(f"/orders/{number}?lang=en").get_data(as_text=True)
    assert "Refunded" in page and "Cancelled" in page


def test_a_failed_refund_stays_pending_and_reconcile_retries_it(
    client, db, make, stripe_fake, runner
):
    number, session, package = card_order(db, make, stripe_fake, quantity=1, stock=5)
    send_webhook(client, event("checkout.session.completed", stripe_fake.pay(session["id"])))
    with client.session_transaction() as browser:
        browser["order_access"] = [number]
    stripe_fake.fail_next = [(400, {"error": {"type": "api_error", "message": "try later"}})]
    client.post(f"/orders/{number}/cancel")
    order = reload(db, number)
    assert order.status is OrderStatus.CANCELLED and stock_of(db, package.id) == 5
    assert order.payments[-1].status is PaymentStatus.PAID
    assert payment_state(order) == "refund_pending"
    assert "Refund pending" in client.get(f"/orders/{number}?lang=en").get_data(as_text=True)

    result = runner.invoke(args=["payments", "reconcile"])
    assert "refunded: 1" in result.output
    first, second = stripe_fake.calls("POST", "/v1/refunds")
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"]
    assert payment_state(reload(db, number)) == "refunded"
    assert "refunded" not in runner.invoke(args=["payments", "reconcile"]).output
    assert len(stripe_fake.calls("POST", "/v1/refunds")) == 2


def test_cancelling_an_unpaid_card_order_closes_its_checkout_page(client, db, make, stripe_fake):
    number, session, package = card_order(db, make, stripe_fake, quantity=1, stock=5)
    with client.session_transaction() as browser:
        browser["order_access"] = [number]
    client.post(f"/orders/{number}/cancel")
    assert stripe_fake.calls("POST", f"/v1/checkout/sessions/{session['id']}/expire")
    assert stock_of(db, package.id) == 5
    # Stripe's expired event for the closed session restocks nothing a second time.
    send_webhook(client, event("checkout.session.expired", stripe_fake.sessions[session["id"]]))
    assert stock_of(db, package.id) == 5
    assert reload(db, number).payments[-1].status is PaymentStatus.EXPIRED


def test_completed_and_expired_racing_never_leave_a_mixed_state(app, db, make, stripe_fake):
    import threading

    from storefront.domain.payments.card import handle_stripe_event
    from storefront.extensions import db as _db

    for _round in range(5):
        number, session, package = card_order(db, make, stripe_fake, quantity=1, stock=1)
        package_id = package.id
        paid = stripe_fake.pay(session["id"])
        events = [
            event("checkout.session.completed", paid),
            event("checkout.session.expired", dict(session, status="expired")),
        ]
        db.session.remove()
        barrier = threading.Barrier(2)
        outcomes: list = [None, None]

        def deliver(i: int, events=events, outcomes=outcomes, barrier=barrier) -> None:
            with app.app_context():
                try:
                    barrier.wait(timeout=30)
                    outcomes[i] = handle_stripe_event(events[i])
                except Exception as error:  # noqa: BLE001
                    outcomes[i] = repr(error)
                finally:
                    _db.session.remove()

        threads = [threading.Thread(target=deliver, args=(i,)) for i in (0, 1)]
        [t.start() for t in threads]
        [t.join(timeout=60) for t in threads]

        order = reload(db, number)
        payment = order.payments[-1]
        assert set(outcomes) in ({"paid", "no_change"}, {"cancelled", "paid_after_cancel"}), (
            outcomes
        )
        if order.status is OrderStatus.PLACED:
            assert payment.status is PaymentStatus.PAID and stock_of(db, package_id) == 0
        else:  # expired first: the stock went back once, and the late money is refunded
            assert order.status is OrderStatus.CANCELLED
            assert payment.status is PaymentStatus.REFUNDED and stock_of(db, package_id) == 1
