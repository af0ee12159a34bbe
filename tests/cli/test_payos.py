"""`flask orders expire-unpaid` and `flask payments reconcile` for payOS: payOS is asked
before an order is cancelled, an open link is closed there first, a paid order whose webhook
was lost is placed instead, and nothing happens twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from storefront.core.errors import PaymentProviderError
from storefront.domain.payments import payos
from storefront.models import OrderStatus, Payment, PaymentStatus, utcnow
from tests.fixtures.payos import payos_order, send_payos_webhook
from tests.fixtures.shop import reload, stock_of


def age(db, number: str, **delta) -> None:
    """Move the order's current attempt back in time (its expiry, and its creation)."""
    payment = reload(db, number).payments[-1]
    payment.expires_at = utcnow() - timedelta(**delta)
    payment.created_at = utcnow() - timedelta(minutes=60)
    db.session.commit()


def test_expire_unpaid_asks_payos_first_and_cancels_only_what_is_unpaid(
    app, db, make, payos_fake, runner, client
):
    expired, expired_code, expired_package = payos_order(make, quantity=2, stock=2)
    still_open, open_code, open_package = payos_order(make, quantity=1, stock=1)
    paid, paid_code, paid_package = payos_order(make, quantity=1, stock=1)
    fresh, _, fresh_package = payos_order(make, quantity=1, stock=1)
    payos_fake.links[expired_code]["status"] = "EXPIRED"
    lost = payos_fake.pay(paid_code)  # paid at payOS; its webhook was lost
    for number in (expired, still_open, paid):
        age(db, number, minutes=16)  # past expiry and the 15-minute grace

    result = runner.invoke(args=["orders", "expire-unpaid"])
    assert result.exit_code == 0, result.output
    assert f"expired {expired}" in result.output and f"expired {still_open}" in result.output
    assert "2 unpaid order(s) cancelled" in result.output
    assert reload(db, expired).status is OrderStatus.CANCELLED
    assert reload(db, expired).payments[-1].status is PaymentStatus.EXPIRED
    assert stock_of(db, expired_package.id) == 2
    # The link still open at payOS was closed there before its order was cancelled.
    assert payos_fake.links[open_code]["status"] == "CANCELLED"
    assert reload(db, still_open).status is OrderStatus.CANCELLED
    assert stock_of(db, open_package.id) == 1
    # Paid at payOS: placed, never cancelled.
    assert reload(db, paid).status is OrderStatus.PLACED
    assert reload(db, paid).payments[-1].status is PaymentStatus.PAID
    assert stock_of(db, paid_package.id) == 0
    assert reload(db, fresh).status is OrderStatus.AWAITING_PAYMENT
    assert stock_of(db, fresh_package.id) == 0

    again = runner.invoke(args=["orders", "expire-unpaid"])
    assert "0 unpaid order(s) cancelled" in again.output
    assert stock_of(db, expired_package.id) == 2
    # The lost webhook arriving afterwards is a duplicate of what the expiry applied.
    late = send_payos_webhook(client, lost)
    assert late.status_code == 200 and late.get_json()["outcome"] == "duplicate"


def test_expire_unpaid_leaves_orders_payos_cannot_be_asked_about(app, db, make, payos_fake, runner):
    number, code, package = payos_order(make, quantity=1, stock=1)
    age(db, number, minutes=16)
    payos_fake.down = True
    result = runner.invoke(args=["orders", "expire-unpaid"])
    assert "0 unpaid order(s) cancelled" in result.output
    assert reload(db, number).status is OrderStatus.AWAITING_PAYMENT
    assert stock_of(db, package.id) == 0
    payos_fake.down = False
    assert f"expired {number}" in runner.invoke(args=["orders", "expire-unpaid"]).output
    assert payos_fake.links[code]["status"] == "CANCELLED"
    assert stock_of(db, package.id) == 1


def test_expire_unpaid_cancels_an_order_whose_link_was_never_created(
    app, db, make, payos_fake, runner
):
    payos_fake.down = True
    with pytest.raises(PaymentProviderError):
        payos_order(make, quantity=1, stock=1)
    payos_fake.down = False
    number = db.session.scalar(select(Payment).order_by(Payment.id.desc())).order.number
    age(db, number, minutes=16)
    assert f"expired {number}" in runner.invoke(args=["orders", "expire-unpaid"]).output
    assert payos_fake.links == {}


def test_reconcile_applies_payos_answers_and_a_late_webhook_is_a_duplicate(
    app, db, make, payos_fake, runner, client
):
    paid, paid_code, _ = payos_order(make)
    still_open, _, _ = payos_order(make)
    cancelled, cancelled_code, _ = payos_order(make)
    webhook = payos_fake.pay(paid_code)  # the webhook was lost
    payos_fake.down = True
    from storefront.domain.orders.lifecycle import cancel_order

    cancel_order(cancelled, user_id=None, granted=[cancelled])  # payOS unreachable meanwhile
    payos.settle_cancelled_order(reload(db, cancelled).id)
    payos_fake.down = False
    assert payos_fake.links[cancelled_code]["status"] == "PENDING"
    for payment in db.session.scalars(select(Payment)):
        payment.created_at = utcnow() - timedelta(minutes=20)
    db.session.commit()

    result = runner.invoke(args=["payments", "reconcile"])
    assert result.exit_code == 0, result.output
    assert "payos_paid: 1" in result.output
    assert "payos_link_pending: 1" in result.output
    assert "payos_link_closed: 1" in result.output
    assert reload(db, paid).status is OrderStatus.PLACED
    assert reload(db, still_open).status is OrderStatus.AWAITING_PAYMENT
    assert payos_fake.links[cancelled_code]["status"] == "CANCELLED"

    again = runner.invoke(args=["payments", "reconcile"])
    assert "payos_paid" not in again.output and "payos_link_closed" not in again.output
    late = send_payos_webhook(client, webhook)
    assert late.status_code == 200 and late.get_json()["outcome"] == "duplicate"
