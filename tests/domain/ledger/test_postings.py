"""Each order event posts its balanced ledger transaction once, in the same unit of work as
the state change; ledger rows are never changed."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError

from storefront.core.db import unit_of_work
from storefront.core.errors import InvalidTransition
from storefront.domain.ledger import postings
from storefront.domain.ledger.postings import Posting, UnbalancedTransaction
from storefront.domain.ledger.queries import cooperative_balance, platform_summary
from storefront.domain.orders.cancellation import cancel_shipment
from storefront.domain.orders.fulfilment import advance_shipment
from storefront.domain.orders.lifecycle import cancel_order
from storefront.domain.payments.card import (
    handle_stripe_event,
    settle_cancelled_order,
    start_card_payment,
)
from storefront.extensions import db as _db
from storefront.models import (
    LedgerAccount,
    LedgerEntry,
    LedgerIsAppendOnly,
    LedgerKind,
    LedgerTransaction,
    OcopGroup,
    PaymentMethod,
)
from tests.domain.ledger.helpers import (
    card_paid_order,
    postings_of,
    reload_order,
    seller_with_package,
    ship_and_deliver,
    transaction_count,
)
from tests.fixtures.shop import CANCEL, SUCCESS, buy, event

A = LedgerAccount


def test_cod_cash_collected_recognises_the_sale_less_commission(app, db, make):
    owner, coop, package = seller_with_package(make, price=150_000)
    order = buy((package, 2))
    [shipment] = order.shipments
    gross = shipment.subtotal + shipment.shipping_fee
    assert shipment.subtotal == 300_000

    ship_and_deliver(shipment.id, owner.id)
    assert transaction_count() == 0  # cash on delivery: nothing until the cash is in
    advance_shipment(shipment.id, "collect_cash", user_id=owner.id)

    commission = 300_000 * 500 // 10_000  # 5 % of the goods, none of the shipping fee
    assert postings_of(f"sale:shipment:{shipment.id}") == {
        ("cooperative_cash", coop.id): gross,
        ("cooperative_payable", coop.id): -(gross - commission),
        ("commission", coop.id): -commission,
    }
    balance = cooperative_balance(coop.id)
    assert (balance.earned, balance.cash_kept, balance.commission) == (
        gross - commission,
        gross,
        commission,
    )
    assert balance.balance == -commission  # it kept the cash: it owes the commission
    with pytest.raises(InvalidTransition):
        advance_shipment(shipment.id, "collect_cash", user_id=owner.id)
    assert transaction_count() == 1


def test_a_card_order_is_received_then_recognised_per_shipment_on_delivery(
    app, db, make, stripe_fake
):
    owner_a, coop_a, a = seller_with_package(make, price=100_000)
    owner_b, coop_b, b = seller_with_package(make, price=40_000)
    number = card_paid_order(stripe_fake, (a, 1), (b, 3))
    order = reload_order(number)
    payment = order.payments[-1]
    assert postings_of(f"received:stripe:payment:{payment.id}") == {
        ("bank", None): order.total,
        ("buyer_funds", None): -order.total,
    }
    assert postings.order_funds_held(order.id) == order.total

    shipments = {s.cooperative_id: s for s in order.shipments}
    ship_and_deliver(shipments[coop_a.id].id, owner_a.id, deliver=False)
    assert transaction_count() == 1  # shipped is not delivered
    advance_shipment(shipments[coop_a.id].id, "deliver", user_id=owner_a.id)
    s = shipments[coop_a.id]
    gross_a = s.subtotal + s.shipping_fee
    assert postings_of(f"sale:shipment:{s.id}") == {
        ("buyer_funds", coop_a.id): gross_a,
        ("cooperative_payable", coop_a.id): -(gross_a - 5_000),
        ("commission", coop_a.id): -5_000,
    }
    assert cooperative_balance(coop_a.id).balance == gross_a - 5_000
    assert cooperative_balance(coop_b.id).balance == 0
    ship_and_deliver(shipments[coop_b.id].id, owner_b.id)
    assert postings.order_funds_held(order.id) == 0

    summary = platform_summary()
    assert summary.money_received == order.total
    assert summary.commission_earned == 5_000 + 6_000
    assert summary.buyer_funds_held == 0
    assert summary.owed_to_cooperatives == order.total - 11_000


def test_the_same_webhook_twice_posts_the_money_once(app, db, make, stripe_fake):
    _owner, _coop, package = seller_with_package(make)
    number = card_paid_order(stripe_fake, (package, 1))
    order = reload_order(number)
    session = stripe_fake.sessions[order.payments[-1].provider_session_id]
    # A second event (another id) saying the same: the payment is already paid.
    assert handle_stripe_event(event("checkout.session.completed", session)) == "already_paid"
    # And the posting itself is idempotent by its key, whoever calls it again.
    with unit_of_work():
        again = postings.record_money_received(
            order_id=order.id,
            amount=order.total,
            key=f"stripe:payment:{order.payments[-1].id}",
            method="card",
        )
    assert again is None
    assert transaction_count() == 1
    assert platform_summary().money_received == order.total


def test_commission_per_line_rounds_down_and_follows_the_ocop_group(app, db, make):
    app.config["LEDGER_COMMISSION_RATE_BPS_BY_GROUP"] = "4:800,2:0"
    try:
        owner, coop, food = seller_with_package(make, price=33_333)
        craft = make.listing(
            coop=coop, group=OcopGroup.HANDICRAFTS, packages=[{"price": 12_345, "stock": 9}]
        ).packages[0]
        drink = make.listing(
            coop=coop, group=OcopGroup.DRINKS, packages=[{"price": 99_999, "stock": 9}]
        ).packages[0]
        order = buy((food, 1), (craft, 3), (drink, 1))
        [shipment] = order.shipments
        # 33 333 × 5 % = 1 666.65 → 1 666; 37 035 × 8 % = 2 962.8 → 2 962; drinks 0 %.
        assert postings.shipment_commission(shipment.id) == 1_666 + 2_962
        assert postings.commission_rate_bps(None) == 500
        assert postings.line_commission(19, 500) == 0
    finally:
        app.config["LEDGER_COMMISSION_RATE_BPS_BY_GROUP"] = ""


def test_a_cancelled_card_part_is_owed_then_refunded_and_the_rest_is_sold(
    app, db, make, stripe_fake
):
    owner_a, coop_a, a = seller_with_package(make, price=100_000)
    owner_b, coop_b, b = seller_with_package(make, price=60_000)
    number = card_paid_order(stripe_fake, (a, 1), (b, 1))
    order = reload_order(number)
    parts = {s.cooperative_id: s for s in order.shipments}
    part_b = parts[coop_b.id]
    due = part_b.subtotal + part_b.shipping_fee

    cancel_shipment(part_b.id, "Hết hàng", user_id=owner_b.id)
    assert postings_of(f"refund_owed:shipment:{part_b.id}") == {
        ("buyer_funds", coop_b.id): due,
        ("refunds_owed", None): -due,
    }
    assert platform_summary().refunds_owed == due
    settle_cancelled_order(order.id)
    assert postings_of(f"refund_sent:shipment:{part_b.id}") == {
        ("refunds_owed", None): due,
        ("bank", None): -due,
    }
    settle_cancelled_order(order.id)  # the reconciliation again: nothing more
    ship_and_deliver(parts[coop_a.id].id, owner_a.id)
    summary = platform_summary()
    assert (summary.refunds_owed, summary.refunds_paid, summary.buyer_funds_held) == (0, due, 0)
    assert summary.bank_balance == order.total - due
    assert cooperative_balance(coop_b.id).balance == 0


def test_a_cancelled_card_order_owes_everything_back_once(app, db, make, stripe_fake):
    _owner, _coop, package = seller_with_package(make)
    number = card_paid_order(stripe_fake, (package, 2))
    order = reload_order(number)
    cancel_order(number, user_id=None, granted=[number])
    assert postings_of(f"refund_owed:order:{order.id}:cancelled") == {
        ("buyer_funds", None): order.total,
        ("refunds_owed", None): -order.total,
    }
    settle_cancelled_order(order.id)
    payment = reload_order(number).payments[-1]
    assert postings_of(f"refund_sent:payment:{payment.id}") == {
        ("refunds_owed", None): order.total,
        ("bank", None): -order.total,
    }
    summary = platform_summary()
    assert (summary.money_received, summary.refunds_paid, summary.bank_balance) == (
        order.total,
        order.total,
        0,
    )


def test_money_arriving_after_the_cancellation_is_owed_back(app, db, make, stripe_fake):
    _owner, _coop, package = seller_with_package(make)
    order = buy((package, 1), payment_method=PaymentMethod.CARD)
    number = order.number
    start_card_payment(number, success_url=SUCCESS, cancel_url=CANCEL)
    session_id = reload_order(number).payments[-1].provider_session_id
    cancel_order(number, user_id=None, granted=[number])
    assert transaction_count() == 0  # nothing held: nothing owed
    outcome = handle_stripe_event(event("checkout.session.completed", stripe_fake.pay(session_id)))
    assert outcome == "paid_after_cancel"
    order = reload_order(number)
    summary = platform_summary()
    # settle_cancelled_order ran after the commit: owed, then refunded.
    assert summary.money_received == summary.refunds_paid == order.total
    assert summary.refunds_owed == summary.buyer_funds_held == 0


def test_unbalanced_or_malformed_transactions_are_refused(app, db, make):
    coop = make.cooperative()
    with unit_of_work():
        with pytest.raises(UnbalancedTransaction):
            postings.post_transaction(
                LedgerKind.CORRECTION, "x", [Posting(A.BANK, 100), Posting(A.COMMISSION, -99)]
            )
        with pytest.raises(ValueError):
            postings.post_transaction(
                LedgerKind.CORRECTION,
                "y",
                [Posting(A.BANK, 100), Posting(A.COOPERATIVE_PAYABLE, -100)],  # whose?
            )
        with pytest.raises(ValueError):
            postings.record_money_received(order_id=None, amount=0, key="z", method="transfer")
        with pytest.raises(ValueError):
            postings.record_money_received(order_id=None, amount=-5, key="z", method="transfer")
        ok = postings.post_transaction(
            LedgerKind.CORRECTION,
            "correction:1",
            [Posting(A.COMMISSION, 100, coop.id), Posting(A.COOPERATIVE_PAYABLE, -100, coop.id)],
            memo="commission charged twice",
        )
    assert ok is not None and transaction_count() == 1
    assert cooperative_balance(coop.id).balance == 100
    assert postings.unbalanced_transactions() == []


def test_unmatched_money_can_be_assigned_or_owed_back(app, db, make):
    _owner, _coop, package = seller_with_package(make)
    order = buy((package, 1))
    with unit_of_work():
        postings.record_money_received(
            order_id=None, amount=500_000, key="sepay:1", method="transfer"
        )
        postings.record_unmatched_assigned(key="sepay:1", amount=300_000, order_id=order.id)
        postings.record_refund_owed(key="sepay:1", amount=200_000, source="unmatched")
        postings.record_refund_sent(key="sepay:1", amount=200_000)
    summary = platform_summary()
    assert (summary.unmatched, summary.buyer_funds_held, summary.refunds_paid) == (
        0,
        300_000,
        200_000,
    )
    assert postings.order_funds_held(order.id) == 300_000


def test_ledger_rows_cannot_be_changed_or_removed(app, db, make):
    with unit_of_work():
        postings.record_money_received(order_id=None, amount=1_000, key="t:1", method="transfer")
    entry = db.session.scalars(select(LedgerEntry)).first()
    entry.amount = 5
    with pytest.raises(LedgerIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    transaction = db.session.scalars(select(LedgerTransaction)).first()
    db.session.delete(transaction)
    with pytest.raises(LedgerIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(LedgerIsAppendOnly):
        db.session.execute(update(LedgerEntry).values(amount=1))
    db.session.rollback()
    with pytest.raises(LedgerIsAppendOnly):
        db.session.execute(delete(LedgerTransaction))
    db.session.rollback()
    assert platform_summary().money_received == 1_000


def test_postgresql_itself_refuses_changes_and_unbalanced_transactions(app, db):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the triggers are PostgreSQL's")
    with unit_of_work():
        postings.record_money_received(order_id=None, amount=1_000, key="t:2", method="transfer")
    for statement in (
        "UPDATE ledger_entries SET amount = amount * 2",
        "DELETE FROM ledger_entries",
        "UPDATE ledger_transactions SET memo = 'edited'",
        "DELETE FROM ledger_transactions",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(text(statement))
        db.session.rollback()
    # An unbalanced transaction written past the domain is refused at commit.
    tx = db.session.execute(
        text(
            "INSERT INTO ledger_transactions (kind, key, memo, occurred_at, posted_at)"
            " VALUES ('correction', 'raw:1', '', now(), now()) RETURNING id"
        )
    ).scalar()
    db.session.execute(
        text(
            "INSERT INTO ledger_entries (transaction_id, account, amount)"
            " VALUES (:tx, 'bank', 10), (:tx, 'commission', -9)"
        ),
        {"tx": tx},
    )
    with pytest.raises(DBAPIError, match="does not balance"):
        db.session.commit()
    db.session.rollback()
    assert transaction_count() == 1


def test_the_same_event_posted_at_once_by_many_requests_posts_once(app, db):
    """Ten requests post the same receipt at the same moment (a notification delivered ten
    times): one transaction; the others find the key taken and post nothing, without error."""
    requests = 10
    db.session.remove()
    barrier = threading.Barrier(requests)
    results: list = [None] * requests

    def attempt(i: int) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=60)
                with unit_of_work(writer=True):
                    results[i] = postings.record_money_received(
                        order_id=None, amount=250_000, key="sepay:777", method="transfer"
                    )
            except Exception as error:  # noqa: BLE001 - any other outcome fails the test below
                results[i] = repr(error)
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    posted = [r for r in results if isinstance(r, int)]
    assert len(posted) == 1 and results.count(None) == requests - 1, results
    assert transaction_count() == 1
    assert platform_summary().unmatched == 250_000
