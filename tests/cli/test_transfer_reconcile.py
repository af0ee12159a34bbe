"""`flask payments reconcile` lists the bank transfers and payments that do not match, with
Stripe configured or not."""

from __future__ import annotations

from datetime import timedelta

from storefront.core.db import unit_of_work
from storefront.domain.orders.lifecycle import cancel_and_restock
from storefront.domain.payments.transfer import refund_transfer
from storefront.extensions import db as _db
from storefront.models import BankNotification, Order, OrderStatus, Payment, Role, utcnow
from tests.fixtures.shop import reload
from tests.fixtures.transfer import notification, send_sepay, transfer_order


def mismatched_world(client, db, make):
    package = make.listing(packages=[{"price": 100_000, "stock": 10}]).packages[0]
    partly, paid, fine = (transfer_order((package, 1)) for _ in range(3))
    # a transfer matching no order
    send_sepay(client, notification("chuyen tien nham", 42_000))
    # partly paid, then past its expiry
    send_sepay(client, notification(partly.payment_code, 1_000))
    payment = reload(db, partly.number).payments[-1]
    payment.expires_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    # paid, then the order cancelled (the money is owed back)
    send_sepay(client, notification(paid.payment_code, paid.total))
    with unit_of_work(writer=True):
        cancel_and_restock(_db.session.get(Order, paid.id), from_statuses=(OrderStatus.PLACED,))
    # overpaid: held too (it names an order)
    send_sepay(client, notification(fine.payment_code, fine.total + 7))
    return partly, paid, fine


def test_reconcile_lists_transfers_that_do_not_match_without_stripe(
    client, db, make, sepay, runner
):
    partly, paid, fine = mismatched_world(client, db, make)
    result = runner.invoke(args=["payments", "reconcile"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Stripe is not configured" in out
    assert "Bank transfers matching no order (staff queue: /pfa/transfers): 2" in out
    assert "42000 đồng" in out and "chuyen tien nham" in out and "overpaid" in out
    assert "Transfer payments partly paid, past their expiry: 1" in out
    assert f"order {partly.number}: 1000 of {partly.total} received" in out
    assert "Transfer payments paid whose order is not placed: 1" in out
    assert f"order {paid.number} cancelled" in out
    assert "Refund tasks still open" not in out
    # Read only: running it changed nothing.
    assert reload(db, fine.number).payments[-1].amount_received == 0
    assert runner.invoke(args=["payments", "reconcile"]).output == out


def test_reconcile_lists_open_refund_tasks_with_stripe_configured(
    client, db, make, sepay, runner, stripe_fake
):
    send_sepay(client, notification("chuyen tien nham", 42_000))
    held = db.session.query(BankNotification).one()
    refund_transfer(held.id, "trả lại khách", actor=make.user(role=Role.ADMIN))
    result = runner.invoke(args=["payments", "reconcile"])
    assert result.exit_code == 0, result.output
    assert "Stripe is not configured" not in result.output
    assert "card and payOS payments: nothing to reconcile" in result.output
    assert "Refund tasks still open: 1" in result.output
    assert "staff order -" in result.output


def test_reconcile_says_so_when_everything_matches(client, db, make, sepay, runner):
    order = transfer_order((make.listing().packages[0], 1))
    send_sepay(client, notification(order.payment_code, order.total))
    result = runner.invoke(args=["payments", "reconcile"])
    assert "bank transfers: everything matches" in result.output
    assert db.session.query(Payment).count() == 1
