"""Card payment: the Stripe Checkout Session request (faked only at stripe-python's HTTP
client), retries, and refunds when a paid order is cancelled. Webhooks: tests/web/webhooks;
expiry and reconciliation commands: tests/cli."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from storefront.core.errors import PaymentProviderError
from storefront.domain.orders.lifecycle import payment_state
from storefront.domain.payments.card import start_card_payment
from storefront.models import Order, OrderStatus, PaymentMethod, PaymentStatus, utcnow
from tests.fixtures import factories
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

# --- creating the Checkout Session ----------------------------------------------------------------


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


# --- cancelling a paid card order: refund ---------------------------------------------------------


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
