"""`flask orders expire-unpaid` and `flask payments reconcile`: abandoned card orders and stuck
payments."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from storefront.models import OrderStatus, Payment, utcnow
from tests.fixtures.shop import buy, card_order, event, reload, send_webhook, stock_of


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
