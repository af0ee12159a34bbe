"""Property test: whatever happens to real orders, the ledger adds up.

Hypothesis draws a sequence of order events and runs each through the shop's own domain
functions on a real database (SQLite, or PostgreSQL with TEST_DATABASE_URL): place (cash on
delivery or card), pay by card (the webhook's function, Stripe faked at its HTTP client),
ship, deliver, collect cash, cancel the order (buyer), cancel one part (cooperative), refund
(the after-commit settlement, sometimes with Stripe failing once), make a payout batch, mark
a payout paid, cancel a payout; bank transfers: place a transfer order, and a SePay
notification arriving for one (partly pay, pay the balance, overpay) or matching no order.

After the sequence, every refund still owed is sent, and then:
- every ledger transaction sums to zero;
- no payout took a cooperative's balance below zero, and no cooperative was paid out more
  than it earned (paid_out <= earned, and after each payout balance >= 0);
- the money identity holds, with every figure on the left computed from the orders, Stripe's
  refunds and the payouts, not from the ledger:

      money received (card payments paid + COD cash collected + every incoming bank transfer)
    = Σ cooperative balances (owed to them now)
    + Σ COD cash the cooperatives collected and kept
    + Σ paid out to cooperatives
    + commission earned by the platform
    + refunds owed + refunds paid
    + buyer funds still held (paid, not yet delivered)
    + unmatched transfers (waiting for staff)

  and each term matches its independent computation: commission = Σ over recognised
  shipments of Σ floor(line total × rate / 10 000); each cooperative's balance = Σ (gross −
  commission) of its recognised shipments − cash it kept − paid out; refunds paid = Σ the
  refunds Stripe sent plus the refund tasks staff closed; unmatched = the transfers held in the
  staff queue; buyer funds held = money applied to orders − sales recognised − refunds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest
import sqlalchemy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from storefront.core.errors import DomainError
from storefront.core.sepay import parse_notification
from storefront.domain.ledger import payouts, postings
from storefront.domain.ledger import queries as lq
from storefront.domain.orders.cancellation import cancel_shipment
from storefront.domain.orders.fulfilment import advance_shipment
from storefront.domain.orders.lifecycle import cancel_order
from storefront.domain.payments.card import (
    handle_stripe_event,
    settle_cancelled_order,
    start_card_payment,
)
from storefront.domain.payments.transfer import receive_bank_notification
from storefront.extensions import db
from storefront.models import (
    BankNotification,
    Cooperative,
    Listing,
    NotificationStatus,
    OcopGroup,
    Order,
    OrderLine,
    OrderStatus,
    Package,
    Payment,
    PaymentMethod,
    PaymentStatus,
    Payout,
    PayoutStatus,
    RefundStatus,
    RefundTask,
    Role,
    Shipment,
    ShipmentStatus,
)
from tests.fixtures.shop import CANCEL, SUCCESS, buy, event
from tests.fixtures.transfer import notification, transfer_order

GROUP_RATES = "4:800"  # handicrafts pay 8 %, the rest the default 5 %
API_ERROR = (400, {"error": {"type": "api_error", "message": "try later"}})

pick = st.integers(min_value=0, max_value=20)  # which of the orders (or parts) it acts on
steps = st.one_of(
    st.tuples(st.just("ship"), pick),
    st.tuples(st.just("deliver"), pick),
    st.tuples(st.just("collect_cash"), pick),
    st.tuples(st.just("pay"), pick),
    st.tuples(st.just("cancel_part"), pick, st.booleans()),
    st.tuples(st.just("cancel_order"), pick, st.booleans()),
    st.tuples(st.just("refund"), pick),
    st.tuples(st.just("batch"), st.sampled_from([1, 50_000, 200_000])),
    st.tuples(st.just("mark_paid"), pick),
    st.tuples(st.just("cancel_payout"), pick),
    # A bank transfer for one of the transfer orders: part of the balance, all of it, more.
    st.tuples(st.just("transfer"), pick, st.sampled_from(["part", "balance", "over", "nocode"])),
    st.tuples(
        st.just("place"),
        st.sampled_from(["cod", "card", "transfer"]),
        st.lists(
            st.tuples(st.integers(min_value=0, max_value=3), st.integers(1, 3)),
            min_size=1,
            max_size=3,
            unique_by=lambda item: item[0],
        ),
    ),
)


@dataclass
class World:
    owners: list = field(default_factory=list)  # (owner user, cooperative id)
    packages: list = field(default_factory=list)  # (package id, cooperative index)
    orders: list[str] = field(default_factory=list)
    admin: object = None
    transfers: int = 0  # bank notifications sent so far (their SePay ids)


def build_world(make) -> World:
    world = World(admin=make.user(role=Role.ADMIN))
    staff = make.user(role=Role.PFA)
    for i in range(3):
        owner = make.user()
        coop = make.cooperative(owner=owner)
        world.owners.append((owner, coop.id))
        if i < 2:  # the third has no verified payout account: never paid out
            payouts.set_payout_account(
                coop.id,
                actor=owner,
                bank_bin="970436",
                account_number=f"00112233{i}",
                holder_name="HTX",
            )
            payouts.verify_payout_account(coop.id, actor=staff)
    specs = [
        (0, OcopGroup.FOOD, 33_333),
        (0, OcopGroup.HANDICRAFTS, 120_000),
        (1, OcopGroup.DRINKS, 45_500),
        (2, OcopGroup.FOOD, 99_999),
    ]
    for coop_index, group, price in specs:
        listing = make.listing(
            coop=db.session.get(Cooperative, world.owners[coop_index][1]),
            group=group,
            packages=[{"price": price, "stock": 10_000, "weight_grams": 700}],
        )
        world.packages.append((listing.packages[0].id, coop_index))
    return world


def _orders(world: World) -> list[Order]:
    db.session.expire_all()
    return list(
        db.session.scalars(select(Order).where(Order.number.in_(world.orders)).order_by(Order.id))
    )


def _order(world: World, index: int) -> Order | None:
    orders = _orders(world)
    return orders[index % len(orders)] if orders else None


def _shipment(world: World, index: int) -> tuple[Shipment, object] | None:
    """One of the parts of all the orders, and the owner of its cooperative."""
    parts = [s for order in _orders(world) for s in order.shipments]
    if not parts:
        return None
    shipment = parts[index % len(parts)]
    owner = next(o for o, coop in world.owners if coop == shipment.cooperative_id)
    return shipment, owner


def run_step(world: World, step: tuple, stripe_fake) -> None:
    kind = step[0]
    if kind == "place":
        items = [(db.session.get(Package, world.packages[i][0]), q) for i, q in step[2]]
        if step[1] == "transfer":
            world.orders.append(transfer_order(*items).number)
            return
        method = PaymentMethod.CARD if step[1] == "card" else PaymentMethod.COD
        number = buy(*items, payment_method=method).number
        world.orders.append(number)
        if method is PaymentMethod.CARD:
            start_card_payment(number, success_url=SUCCESS, cancel_url=CANCEL)
    elif kind == "pay":  # one of the card orders still waiting (cancelled ones too: late money)
        waiting = [
            o.payments[-1].provider_session_id
            for o in _orders(world)
            if o.payment_method is PaymentMethod.CARD
            and stripe_fake.sessions[o.payments[-1].provider_session_id]["status"] == "open"
        ]
        if not waiting:
            return
        session_id = waiting[step[1] % len(waiting)]
        handle_stripe_event(event("checkout.session.completed", stripe_fake.pay(session_id)))
    elif kind in ("ship", "deliver", "collect_cash"):
        found = _shipment(world, step[1])
        if found is None:
            return
        shipment, owner = found
        if kind != "ship" and shipment.status in (ShipmentStatus.NEW, ShipmentStatus.PACKED):
            advance_shipment(
                shipment.id, "ship", user_id=owner.id, carrier="GHN", tracking_number="1"
            )
        advance_shipment(shipment.id, kind, user_id=owner.id, carrier="GHN", tracking_number="1")
    elif kind == "cancel_order":
        order = _order(world, step[1])
        if order is None:
            return
        cancelled = cancel_order(order.number, user_id=None, granted=[order.number])
        if step[2]:
            stripe_fake.fail_next = [API_ERROR]
        if cancelled.settle_payment:
            settle_cancelled_order(cancelled.order_id)
        stripe_fake.fail_next = []
    elif kind == "cancel_part":
        found = _shipment(world, step[1])
        if found is None:
            return
        shipment, owner = found
        cancelled = cancel_shipment(shipment.id, "Hết hàng", user_id=owner.id)
        if step[2]:
            stripe_fake.fail_next = [API_ERROR]
        if cancelled.refund_due or cancelled.order_cancelled:
            settle_cancelled_order(cancelled.order_id)
        stripe_fake.fail_next = []
    elif kind == "refund":
        order = _order(world, step[1])
        if order is not None:
            settle_cancelled_order(order.id)
    elif kind == "transfer":
        transfers = [o for o in _orders(world) if o.payment_method is PaymentMethod.TRANSFER]
        if not transfers:
            return
        order = transfers[step[1] % len(transfers)]
        payment = order.payments[-1]
        balance = max(payment.amount - payment.amount_received, 0)
        amount = {
            "part": max(balance // 3, 1_000),
            "balance": max(balance, 1_000),
            "over": balance + 7_000,
            "nocode": 12_345,
        }[step[2]]
        content = "chuyen tien" if step[2] == "nocode" else f"CK {order.payment_code} thanh toan"
        world.transfers += 1
        body = notification(content, amount, transaction_id=world.transfers)
        receive_bank_notification(json.dumps(body), parse_notification(body))
    elif kind == "batch":
        payouts.create_payout_batch(actor=world.admin, threshold=step[1])
    elif kind in ("mark_paid", "cancel_payout"):
        pending = db.session.scalars(
            select(Payout.id).where(Payout.status == PayoutStatus.PENDING).order_by(Payout.id)
        ).all()
        if not pending:
            return
        payout_id = pending[step[1] % len(pending)]
        if kind == "cancel_payout":
            payouts.cancel_payout(payout_id, "Ngân hàng trả lại", actor=world.admin)
            return
        coop = db.session.get(Payout, payout_id).cooperative_id
        payouts.mark_payout_paid(payout_id, actor=world.admin)
        # A payout never takes the balance below zero.
        assert lq.cooperative_balances([coop]).get(coop, 0) >= 0


def expected_commission(shipment_id: int) -> int:
    rows = db.session.execute(
        select(OrderLine.unit_price, OrderLine.quantity, Listing.ocop_group)
        .join(Listing, Listing.id == OrderLine.listing_id)
        .where(OrderLine.shipment_id == shipment_id)
    ).all()
    return sum(p * q * (800 if g == OcopGroup.HANDICRAFTS else 500) // 10_000 for p, q, g in rows)


def check_the_books(world: World, stripe_fake) -> None:
    db.session.expire_all()
    assert postings.unbalanced_transactions() == []

    # From the orders, Stripe and the payouts alone.
    card_received = sum(
        p.amount
        for p in db.session.scalars(
            select(Payment).where(
                Payment.provider == "stripe",
                Payment.status.in_([PaymentStatus.PAID, PaymentStatus.REFUNDED]),
            )
        )
    )
    paid_amounts = {
        f"pi_{p.provider_session_id}": p.amount
        for p in db.session.scalars(select(Payment).where(Payment.provider == "stripe"))
    }
    refunds_paid = sum(
        r["amount"] if r["amount"] is not None else paid_amounts[r["payment_intent"]]
        for r in stripe_fake.refunds
    )
    earned: dict[int, int] = {coop: 0 for _o, coop in world.owners}
    cash_kept: dict[int, int] = dict.fromkeys(earned, 0)
    commission = recognised_prepaid = 0
    for shipment in db.session.scalars(select(Shipment)):
        gross = shipment.subtotal + shipment.shipping_fee
        cod = shipment.order.payment_method is PaymentMethod.COD
        if cod and shipment.cash_collected_at is not None:
            cash_kept[shipment.cooperative_id] += gross
        elif cod or shipment.status is not ShipmentStatus.DELIVERED:
            continue
        else:
            recognised_prepaid += gross
        c = expected_commission(shipment.id)
        commission += c
        earned[shipment.cooperative_id] += gross - c
    cod_received = sum(cash_kept.values())
    incoming = list(
        db.session.scalars(select(BankNotification).where(BankNotification.transfer_type == "in"))
    )
    transfer_received = sum(n.amount for n in incoming)
    unmatched = sum(n.amount for n in incoming if n.status is NotificationStatus.UNMATCHED)
    transfer_applied = sum(
        p.amount_received
        for p in db.session.scalars(select(Payment).where(Payment.provider == "vietqr"))
    )
    tasks_closed = sum(
        t.amount
        for t in db.session.scalars(
            select(RefundTask).where(RefundTask.status == RefundStatus.REFUNDED)
        )
    )
    paid_out: dict[int, int] = dict.fromkeys(earned, 0)
    for payout in db.session.scalars(select(Payout).where(Payout.status == PayoutStatus.PAID)):
        paid_out[payout.cooperative_id] += payout.amount

    summary = lq.platform_summary()
    balances = lq.cooperative_balances()
    assert summary.money_received == card_received + cod_received + transfer_received
    assert summary.unmatched == unmatched
    assert summary.commission_earned == commission
    assert summary.refunds_paid == refunds_paid + tasks_closed
    assert summary.refunds_owed >= 0  # card refunds are all sent by now; transfers' may be owed
    assert summary.paid_out == sum(paid_out.values())
    assert summary.cod_cash_collected == cod_received
    for coop in earned:
        assert balances.get(coop, 0) == earned[coop] - cash_kept[coop] - paid_out[coop]
        assert paid_out[coop] <= earned[coop]  # never paid more than it earned
    # Held = paid, less what was delivered, less what went back.
    refunds_of_orders = refunds_paid + tasks_closed + summary.refunds_owed
    # The refunds of money that never reached an order (overpaid excess, a transfer marked
    # for refund, a payment after expiry) come out of the unmatched transfers, not the orders.
    from_unmatched = transfer_received - transfer_applied - unmatched
    assert summary.buyer_funds_held == (
        card_received + transfer_applied - recognised_prepaid - (refunds_of_orders - from_unmatched)
    )
    assert summary.buyer_funds_held >= 0
    assert summary.money_received == (
        sum(balances.values())
        + sum(cash_kept.values())
        + sum(paid_out.values())
        + summary.commission_earned
        + summary.refunds_owed
        + summary.refunds_paid
        + summary.buyer_funds_held
        + summary.unmatched
    )
    for order in db.session.scalars(select(Order)):
        held = postings.order_funds_held(order.id)
        assert held >= 0
        if order.status is OrderStatus.CANCELLED:
            assert held == 0  # a cancelled order's money is owed back (and here, sent)


RESET_TABLES = (
    "refund_tasks",
    "bank_notifications",
    "ledger_entries",
    "ledger_transactions",
    "payouts",
    "payout_batches",
    "webhook_events",
    "payments",
    "order_lines",
    "shipments",
    "orders",
    "cart_lines",
    "carts",
)


def forget_the_orders(world: World, stripe_fake) -> None:
    """Before each example: no orders, no ledger, no payouts (the cooperatives, their
    verified accounts and their packages stay: building them each time is most of the cost).
    Ledger rows are removed here only, as a test's cleanup: TRUNCATE on PostgreSQL (its
    triggers refuse DELETE), Core DELETE on SQLite (past the ORM's refusal)."""
    db.session.rollback()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text(f"TRUNCATE {', '.join(RESET_TABLES)} RESTART IDENTITY CASCADE"))
    else:
        for name in RESET_TABLES:
            db.session.execute(db.metadata.tables[name].delete())
    db.session.commit()
    world.orders.clear()
    stripe_fake.sessions.clear()
    stripe_fake.refunds.clear()
    stripe_fake.replays.clear()
    stripe_fake.fail_next = []


@pytest.fixture
def fast_sqlite(db):
    """SQLite without an fsync at each commit, for this test only (it commits thousands of
    times; durability means nothing in a test database). New connections afterwards are
    back to the default."""
    if db.engine.dialect.name != "sqlite":
        yield
        return

    def no_fsync(dbapi_connection, _record, _proxy):
        dbapi_connection.execute("PRAGMA synchronous = OFF")

    db.session.remove()
    sqlalchemy.event.listen(db.engine, "checkout", no_fsync)
    try:
        yield
    finally:
        sqlalchemy.event.remove(db.engine, "checkout", no_fsync)
        db.session.remove()
        db.engine.dispose()


def test_the_ledger_adds_up_whatever_happens_to_the_orders(
    app, make, stripe_fake, sepay, fast_sqlite
):
    app.config["LEDGER_COMMISSION_RATE_BPS_BY_GROUP"] = GROUP_RATES
    world = build_world(make)

    @settings(
        max_examples=40,
        deadline=None,
        derandomize=True,  # the same sequences on every run and in CI
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(st.lists(steps, min_size=4, max_size=20))
    def any_sequence(seq):
        forget_the_orders(world, stripe_fake)
        # Orders up front, so that the drawn events have something to act on: cash on
        # delivery, card paid, card not yet paid; each from two cooperatives.
        run_step(world, ("place", "cod", [(0, 1), (2, 2)]), stripe_fake)
        run_step(world, ("place", "card", [(1, 1), (3, 3)]), stripe_fake)
        run_step(world, ("pay", 0), stripe_fake)
        run_step(world, ("place", "card", [(0, 3), (2, 1)]), stripe_fake)
        run_step(world, ("place", "transfer", [(1, 2), (3, 1)]), stripe_fake)
        run_step(world, ("transfer", 0, "part"), stripe_fake)
        for step in seq:
            try:
                run_step(world, step, stripe_fake)
            except DomainError:
                db.session.rollback()  # refused: nothing changed, as the pages would say
        for order in _orders(world):  # the reconciliation sends whatever is still owed
            settle_cancelled_order(order.id)
        check_the_books(world, stripe_fake)

    try:
        any_sequence()
    finally:
        app.config["LEDGER_COMMISSION_RATE_BPS_BY_GROUP"] = ""
