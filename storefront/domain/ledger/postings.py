"""Posting ledger transactions: each event once (its unique key), balanced, append-only.

Every function here is add-only: it runs inside the caller's unit of work (the one that made
the state change the posting records) and never commits, so the state change and its postings
commit together or not at all. Posting the same event again (same key) posts nothing and
returns None: a retried webhook, a double click, a reconciliation run twice.

Concurrency: the transaction row goes in with INSERT ... ON CONFLICT (key) DO NOTHING. On
PostgreSQL a second unit inserting the same key waits for the first to commit, then inserts
nothing (and posts no entries); on SQLite writers are serialised anyway.

Signs: positive = debit, negative = credit; every transaction's entries sum to zero.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import func, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from storefront.core.db import lock_name
from storefront.extensions import db
from storefront.models import (
    LedgerAccount,
    LedgerEntry,
    LedgerKind,
    LedgerTransaction,
    Listing,
    OrderLine,
    Shipment,
    utcnow,
)
from storefront.models.ledger import PER_COOPERATIVE_ACCOUNTS

A = LedgerAccount
BPS = 10_000  # basis points in one whole


@dataclass(frozen=True)
class Posting:
    """One entry of a transaction to post: amount > 0 debits, < 0 credits the account."""

    account: LedgerAccount
    amount: int
    cooperative_id: int | None = None


class UnbalancedTransaction(ValueError):
    """A transaction whose entries do not sum to zero (a bug: nothing is posted)."""


def cooperative_lock(cooperative_id: int) -> str:
    """The lock name every posting that moves the cooperative's balance takes."""
    return f"ledger:cooperative:{cooperative_id}"


# --- commission -------------------------------------------------------------------------------


def _parse_group_rates(raw: object) -> dict[int, int]:
    """LEDGER_COMMISSION_RATE_BPS_BY_GROUP: a dict {group: bps}, or a string "1:300,4:800"."""
    if isinstance(raw, Mapping):
        return {int(group): int(bps) for group, bps in raw.items()}
    rates: dict[int, int] = {}
    for part in str(raw or "").split(","):
        if part.strip():
            group, _, bps = part.partition(":")
            rates[int(group)] = int(bps)
    return rates


def commission_rate_bps(ocop_group: int | None) -> int:
    """The platform's commission rate, in basis points (500 = 5 %), for a product of this OCOP
    group: LEDGER_COMMISSION_RATE_BPS_BY_GROUP's rate for the group if it names one, else
    LEDGER_COMMISSION_RATE_BPS. A line whose listing is gone (None) pays the default rate."""
    config = current_app.config
    default = int(config.get("LEDGER_COMMISSION_RATE_BPS", 500))
    if ocop_group is None:
        return default
    by_group = _parse_group_rates(config.get("LEDGER_COMMISSION_RATE_BPS_BY_GROUP"))
    return by_group.get(int(ocop_group), default)


def line_commission(line_total: int, rate_bps: int) -> int:
    """Commission on one order line, in whole đồng, rounded DOWN (floor): the fraction of a
    đồng stays with the cooperative. E.g. 33 333 đ at 5 % → 1 666 đ."""
    if line_total < 0 or rate_bps < 0:
        raise ValueError("line total and rate must not be negative")
    return line_total * rate_bps // BPS


def shipment_commission(shipment_id: int) -> int:
    """The commission on a shipment: the sum of its lines' commissions (each at its product's
    OCOP group rate, rounded down per line). Shipping fees carry no commission. One query."""
    rows = db.session.execute(
        select(OrderLine.unit_price, OrderLine.quantity, Listing.ocop_group)
        .outerjoin(Listing, Listing.id == OrderLine.listing_id)
        .where(OrderLine.shipment_id == shipment_id)
        .order_by(OrderLine.id)
    ).all()
    return sum(
        line_commission(price * quantity, commission_rate_bps(group))
        for price, quantity, group in rows
    )


# --- posting ----------------------------------------------------------------------------------


def _insert_ignoring_duplicate_key(values: dict[str, object]) -> int | None:
    """INSERT the transaction row unless its key exists; its id, or None for a duplicate."""
    dialect = db.session.connection().dialect.name
    stmt: postgresql.Insert | sqlite.Insert
    if dialect == "postgresql":
        stmt = postgresql.insert(LedgerTransaction).values(**values)
        stmt = stmt.on_conflict_do_nothing(index_elements=["key"])
    elif dialect == "sqlite":
        stmt = sqlite.insert(LedgerTransaction).values(**values)
        stmt = stmt.on_conflict_do_nothing(index_elements=["key"])
    else:  # pragma: no cover - the shop runs on these two
        raise RuntimeError(f"unsupported database {dialect}")
    new_id = db.session.execute(stmt.returning(LedgerTransaction.id)).scalar()
    return int(new_id) if new_id is not None else None


def post_transaction(
    kind: LedgerKind,
    key: str,
    postings: Sequence[Posting],
    *,
    order_id: int | None = None,
    shipment_id: int | None = None,
    cooperative_id: int | None = None,
    payout_id: int | None = None,
    memo: str = "",
    occurred_at: datetime | None = None,
    created_by_id: int | None = None,
) -> int | None:
    """Post one balanced transaction under `key` (unique): its id, or None if `key` was
    posted before (nothing is posted then). Zero postings are dropped; UnbalancedTransaction
    if the rest do not sum to zero, ValueError if a per-cooperative account has no
    cooperative. Add-only: the caller's unit of work commits."""
    lines = [p for p in postings if p.amount != 0]
    if sum(p.amount for p in lines) != 0:
        raise UnbalancedTransaction(f"{key}: entries sum to {sum(p.amount for p in lines)}")
    if not lines:
        return None
    for p in lines:
        if p.account in PER_COOPERATIVE_ACCOUNTS and p.cooperative_id is None:
            raise ValueError(f"{key}: {p.account} needs a cooperative")
        if type(p.amount) is not int:
            raise TypeError(f"{key}: amounts are whole đồng")
    # Postings that move a cooperative's balance queue one after the other (PostgreSQL), so
    # that a payout's balance check sees every posting before it (payouts.mark_payout_paid).
    coops = {p.cooperative_id for p in lines if p.account in PER_COOPERATIVE_ACCOUNTS}
    for coop in sorted(c for c in coops if c is not None):
        lock_name(cooperative_lock(coop))
    now = utcnow()
    transaction_id = _insert_ignoring_duplicate_key(
        {
            "kind": kind.value,
            "key": key,
            "order_id": order_id,
            "shipment_id": shipment_id,
            "cooperative_id": cooperative_id,
            "payout_id": payout_id,
            "memo": memo,
            # Stored in UTC: SQLite keeps no offset, and statements compare in UTC.
            "occurred_at": (occurred_at or now).astimezone(UTC),
            "posted_at": now,
            "created_by_id": created_by_id,
        }
    )
    if transaction_id is None:
        return None
    db.session.execute(
        insert(LedgerEntry),
        [
            {
                "transaction_id": transaction_id,
                "account": p.account,
                "cooperative_id": p.cooperative_id,
                "amount": p.amount,
            }
            for p in lines
        ],
    )
    return transaction_id


def is_posted(key: str) -> bool:
    return (
        db.session.scalar(select(LedgerTransaction.id).where(LedgerTransaction.key == key))
        is not None
    )


# --- the events -------------------------------------------------------------------------------


def _positive(amount: int, what: str) -> int:
    if type(amount) is not int or amount <= 0:
        raise ValueError(f"{what}: a positive whole number of đồng, not {amount!r}")
    return amount


def record_money_received(
    *,
    order_id: int | None,
    amount: int,
    key: str,
    method: str,
    occurred_at: datetime | None = None,
    memo: str = "",
    created_by_id: int | None = None,
) -> int | None:
    """Money arrived in the market's bank for an order (card, bank transfer, payOS): debit
    BANK, credit BUYER_FUNDS (held until the order's shipments are delivered or refunded).
    `order_id=None` for money that matches no order yet: credit UNMATCHED instead (see
    record_unmatched_assigned / record_refund_owed(source="unmatched")).

    `key` names this receipt uniquely at its source, e.g. "stripe:payment:7",
    "sepay:12345" (the provider's transaction id), "payos:<orderCode>": the transaction's key
    is "received:<key>", so the same notification twice posts once. Part payments of one
    order are separate receipts with their own keys. `method` is "card", "transfer", "payos".
    Returns the transaction id, or None if already posted. Add-only (caller commits)."""
    amount = _positive(amount, "money received")
    held = A.BUYER_FUNDS if order_id is not None else A.UNMATCHED
    return post_transaction(
        LedgerKind.RECEIVED,
        f"received:{key}",
        [Posting(A.BANK, amount), Posting(held, -amount)],
        order_id=order_id,
        memo=memo or method,
        occurred_at=occurred_at,
        created_by_id=created_by_id,
    )


def record_unmatched_assigned(
    *,
    key: str,
    amount: int,
    order_id: int,
    occurred_at: datetime | None = None,
    memo: str = "",
    created_by_id: int | None = None,
) -> int | None:
    """Staff assign money that matched no order (UNMATCHED) to an order: debit UNMATCHED,
    credit BUYER_FUNDS for the order. Key "assigned:<key>"."""
    amount = _positive(amount, "assigned amount")
    return post_transaction(
        LedgerKind.ASSIGNED,
        f"assigned:{key}",
        [Posting(A.UNMATCHED, amount), Posting(A.BUYER_FUNDS, -amount)],
        order_id=order_id,
        memo=memo,
        occurred_at=occurred_at,
        created_by_id=created_by_id,
    )


def order_funds_held(order_id: int) -> int:
    """What the ledger still holds for an order (received, not yet recognised as sales nor
    owed back): minus the balance of BUYER_FUNDS over the order's transactions. One query."""
    total = db.session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount), 0))
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .where(LedgerTransaction.order_id == order_id, LedgerEntry.account == A.BUYER_FUNDS)
    )
    return -int(total or 0)


def recognise_shipment_sale(
    shipment_id: int, *, occurred_at: datetime | None = None, created_by_id: int | None = None
) -> int | None:
    """A shipment's sale is recognised for its cooperative: when it is delivered (paid ahead:
    card, transfer, payOS) or when its cash is collected (cash on delivery). Call it in the
    unit of work that made that change. Key "sale:shipment:<id>": once per shipment.

    Gross G = subtotal + shipping fee (the shipping fee goes whole to the cooperative that
    ships); commission C = shipment_commission() (on the goods only). Postings:
      prepaid: debit BUYER_FUNDS G;        credit COOPERATIVE_PAYABLE[coop] G - C; credit
               COMMISSION C (tagged with the cooperative);
      COD:     debit COOPERATIVE_CASH[coop] G (the cash it collected and keeps); the same
               two credits. The cooperative's balance thus moves by -C: it owes the
               commission on cash it kept.
    """
    shipment = db.session.get(Shipment, shipment_id)
    if shipment is None:
        raise ValueError(f"no shipment {shipment_id}")
    order = shipment.order
    cod = order.payment_method.value == "cod"
    gross = shipment.subtotal + shipment.shipping_fee
    commission = min(shipment_commission(shipment_id), gross)
    coop = shipment.cooperative_id
    source = (
        Posting(A.COOPERATIVE_CASH, gross, coop) if cod else Posting(A.BUYER_FUNDS, gross, coop)
    )
    return post_transaction(
        LedgerKind.COD_SALE if cod else LedgerKind.SALE,
        f"sale:shipment:{shipment_id}",
        [
            source,
            Posting(A.COOPERATIVE_PAYABLE, -(gross - commission), coop),
            Posting(A.COMMISSION, -commission, coop),
        ],
        order_id=order.id,
        shipment_id=shipment_id,
        cooperative_id=coop,
        memo=f"{order.number}: {shipment.subtotal} + {shipment.shipping_fee} shipping,"
        f" commission {commission}",
        occurred_at=occurred_at,
        created_by_id=created_by_id,
    )


def record_part_refund_owed(
    shipment_id: int, *, occurred_at: datetime | None = None, created_by_id: int | None = None
) -> int | None:
    """A part of a paid-ahead order cancelled on its own (call it in the cancelling unit of
    work): its share moves from BUYER_FUNDS to REFUNDS_OWED, key
    "refund_owed:shipment:<id>". The share is the shipment's `refund_due` when set (card),
    else, for any paid-ahead order, its subtotal + shipping fee, at most what the ledger
    still holds for the order. Nothing for cash on delivery or when nothing is held."""
    shipment = db.session.get(Shipment, shipment_id)
    if shipment is None:
        return None
    order = shipment.order
    if order.payment_method.value == "cod":
        return None
    due = shipment.refund_due or min(
        shipment.subtotal + shipment.shipping_fee, order_funds_held(order.id)
    )
    if due <= 0:
        return None
    return post_transaction(
        LedgerKind.REFUND_OWED,
        f"refund_owed:shipment:{shipment_id}",
        [
            Posting(A.BUYER_FUNDS, due, shipment.cooperative_id),
            Posting(A.REFUNDS_OWED, -due),
        ],
        order_id=order.id,
        shipment_id=shipment_id,
        cooperative_id=shipment.cooperative_id,
        memo=f"{order.number}: part cancelled",
        occurred_at=occurred_at,
        created_by_id=created_by_id,
    )


def record_order_refund_owed(
    order_id: int,
    *,
    key: str,
    occurred_at: datetime | None = None,
    memo: str = "",
    created_by_id: int | None = None,
) -> int | None:
    """An order cancelled (or paid after it was cancelled): everything the ledger still holds
    for it (order_funds_held) becomes owed back: debit BUYER_FUNDS, credit REFUNDS_OWED.
    Key "refund_owed:order:<id>:<key>" (e.g. key="cancelled", or "after:<receipt key>" for
    money that came in after the cancellation). Nothing when nothing is held."""
    held = order_funds_held(order_id)
    if held <= 0:
        return None
    return post_transaction(
        LedgerKind.REFUND_OWED,
        f"refund_owed:order:{order_id}:{key}",
        [Posting(A.BUYER_FUNDS, held), Posting(A.REFUNDS_OWED, -held)],
        order_id=order_id,
        memo=memo or "order cancelled",
        occurred_at=occurred_at,
        created_by_id=created_by_id,
    )


def record_refund_owed(
    *,
    key: str,
    amount: int,
    order_id: int | None = None,
    source: str = "held",
    occurred_at: datetime | None = None,
    memo: str = "",
    created_by_id: int | None = None,
) -> int | None:
    """A refund becomes owed for a given amount: from an order's held funds (`source="held"`,
    debit BUYER_FUNDS) or from unmatched money (`source="unmatched"`, debit UNMATCHED, e.g. an
    overpayment or a transfer staff mark for refund); credit REFUNDS_OWED.
    Key "refund_owed:<key>"."""
    amount = _positive(amount, "refund owed")
    if source not in ("held", "unmatched"):
        raise ValueError("source is 'held' or 'unmatched'")
    debit = A.BUYER_FUNDS if source == "held" else A.UNMATCHED
    return post_transaction(
        LedgerKind.REFUND_OWED,
        f"refund_owed:{key}",
        [Posting(debit, amount), Posting(A.REFUNDS_OWED, -amount)],
        order_id=order_id,
        memo=memo,
        occurred_at=occurred_at,
        created_by_id=created_by_id,
    )


def record_refund_sent(
    *,
    key: str,
    amount: int,
    order_id: int | None = None,
    shipment_id: int | None = None,
    occurred_at: datetime | None = None,
    memo: str = "",
    created_by_id: int | None = None,
) -> int | None:
    """A refund went back to the buyer: debit REFUNDS_OWED, credit BANK. Key
    "refund_sent:<key>" (card: "shipment:<id>" for a part, "payment:<id>" for the rest)."""
    amount = _positive(amount, "refund sent")
    return post_transaction(
        LedgerKind.REFUND_SENT,
        f"refund_sent:{key}",
        [Posting(A.REFUNDS_OWED, amount), Posting(A.BANK, -amount)],
        order_id=order_id,
        shipment_id=shipment_id,
        memo=memo,
        occurred_at=occurred_at,
        created_by_id=created_by_id,
    )


def record_payout_paid(
    *,
    payout_id: int,
    cooperative_id: int,
    amount: int,
    occurred_at: datetime | None = None,
    memo: str = "",
    created_by_id: int | None = None,
) -> int | None:
    """A payout left the market's bank for a cooperative: debit COOPERATIVE_PAYABLE[coop],
    credit BANK. Key "payout:<id>". Called by payouts.mark_payout_paid, which checks the
    amount against the balance first (use that, not this, from the pages)."""
    amount = _positive(amount, "payout")
    return post_transaction(
        LedgerKind.PAYOUT,
        f"payout:{payout_id}",
        [
            Posting(A.COOPERATIVE_PAYABLE, amount, cooperative_id),
            Posting(A.BANK, -amount, cooperative_id),
        ],
        cooperative_id=cooperative_id,
        payout_id=payout_id,
        memo=memo,
        occurred_at=occurred_at,
        created_by_id=created_by_id,
    )


def unbalanced_transactions(ids: Iterable[int] | None = None) -> list[int]:
    """The ids of transactions whose entries do not sum to zero (there should be none)."""
    stmt = (
        select(LedgerEntry.transaction_id)
        .group_by(LedgerEntry.transaction_id)
        .having(func.sum(LedgerEntry.amount) != 0)
    )
    if ids is not None:
        stmt = stmt.where(LedgerEntry.transaction_id.in_(list(ids)))
    return list(db.session.scalars(stmt))
