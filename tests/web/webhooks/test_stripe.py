"""Stripe's webhooks: signed with Stripe's own scheme and fresh, delivered twice or out of order,
forward-only states, expiry and late money refunded."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from storefront.domain.orders.lifecycle import expire_unpaid_orders, payment_state
from storefront.domain.payments.card import start_card_payment
from storefront.models import (
    OrderStatus,
    PaymentMethod,
    PaymentStatus,
    ShipmentStatus,
    WebhookEvent,
    utcnow,
)
from tests.fixtures.shop import (
    CANCEL,
    SUCCESS,
    buy,
    card_order,
    event,
    reload,
    send_webhook,
    stock_of,
)


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
    assert response.status_code == 409  # signed but about no payment: Stripe retries it


def test_webhook_is_off_without_stripe_keys(client):
    assert client.post("/webhooks/stripe", data="{}").status_code == 404


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
