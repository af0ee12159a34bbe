"""A cooperative's ledger lines as its finance page and statement show them: one row per part
of each line (the goods sold, the shipping fee, the platform's commission, the cash on delivery
it kept, a payout, a refund or a correction), each with the balance after it.

queries.py gives one line per ledger transaction with its parts as columns (gross, commission,
cash kept, payout); this splits the gross of a sale into goods and shipping fee (one query for
all the lines' shipments) so that every row says what moved the balance and by how much.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from storefront.domain.ledger.queries import StatementLine
from storefront.extensions import db
from storefront.models import LedgerKind, Shipment


class RowKind(enum.StrEnum):
    SALE = "sale"  # the goods of a delivered shipment (or one whose cash was collected)
    SHIPPING = "shipping"  # the shipping fee of that shipment: the cooperative ships it
    COMMISSION = "commission"  # the platform's commission on the goods
    CASH_KEPT = "cash_kept"  # cash on delivery the cooperative collected and keeps
    PAYOUT = "payout"  # paid out to the cooperative's bank account
    REFUND = "refund"  # owed back to a buyer out of the cooperative's balance
    CORRECTION = "correction"  # a correcting transaction by staff
    OTHER = "other"


@dataclass(frozen=True)
class Row:
    transaction_id: int
    occurred_at: datetime
    kind: RowKind
    cod: bool  # part of a cash-on-delivery sale
    order_number: str | None
    shipment_id: int | None
    payout_id: int | None
    memo: str
    amount: int  # the change of the balance owed to the cooperative (đồng, signed)
    balance: int  # the balance after this row


_WHOLE_LINE_KINDS = {
    LedgerKind.PAYOUT: RowKind.PAYOUT,
    LedgerKind.REFUND_OWED: RowKind.REFUND,
    LedgerKind.REFUND_SENT: RowKind.REFUND,
    LedgerKind.CORRECTION: RowKind.CORRECTION,
}


def _shipping_fees(lines: Sequence[StatementLine]) -> dict[int, tuple[int, int]]:
    """{shipment id: (subtotal, shipping fee)} for the sales among `lines`. One query (none
    without sales)."""
    ids = {
        line.shipment_id
        for line in lines
        if line.kind in (LedgerKind.SALE, LedgerKind.COD_SALE) and line.shipment_id is not None
    }
    if not ids:
        return {}
    rows = db.session.execute(
        select(Shipment.id, Shipment.subtotal, Shipment.shipping_fee).where(Shipment.id.in_(ids))
    ).all()
    return {int(sid): (int(subtotal), int(fee)) for sid, subtotal, fee in rows}


def _parts(line: StatementLine, fees: dict[int, tuple[int, int]]) -> list[tuple[RowKind, int]]:
    """What moved the balance in `line`, in the order it happened; sums to line.amount."""
    if line.kind in (LedgerKind.SALE, LedgerKind.COD_SALE):
        parts: list[tuple[RowKind, int]] = []
        subtotal, fee = fees.get(line.shipment_id or 0, (line.gross, 0))
        if subtotal + fee != line.gross:  # not the shipment as recorded: show it whole
            subtotal, fee = line.gross, 0
        parts.append((RowKind.SALE, subtotal))
        if fee:
            parts.append((RowKind.SHIPPING, fee))
        if line.commission:
            parts.append((RowKind.COMMISSION, -line.commission))
        if line.cash_kept:
            parts.append((RowKind.CASH_KEPT, -line.cash_kept))
        rest = line.amount - sum(amount for _kind, amount in parts)
        if rest:  # anything else the transaction moved (there should be nothing)
            parts.append((RowKind.OTHER, rest))
        return [(kind, amount) for kind, amount in parts if amount]
    return [(_WHOLE_LINE_KINDS.get(line.kind, RowKind.OTHER), line.amount)]


def split_lines(lines: Sequence[StatementLine], *, newest_first: bool = False) -> list[Row]:
    """`lines` (each with its balance after it) as rows, each with its own balance after it.
    Rows keep the lines' order; within a line they run in the order they happened, or the
    other way round with `newest_first` (an entries page read from the top). One query."""
    fees = _shipping_fees(lines)
    rows: list[Row] = []
    for line in lines:
        balance = line.balance - line.amount  # before the line
        cod = line.kind is LedgerKind.COD_SALE
        mine = []
        for kind, amount in _parts(line, fees):
            balance += amount
            mine.append(
                Row(
                    transaction_id=line.transaction_id,
                    occurred_at=line.occurred_at,
                    kind=kind,
                    cod=cod,
                    order_number=line.order_number,
                    shipment_id=line.shipment_id,
                    payout_id=line.payout_id,
                    memo=line.memo,
                    amount=amount,
                    balance=balance,
                )
            )
        rows.extend(reversed(mine) if newest_first else mine)
    return rows
