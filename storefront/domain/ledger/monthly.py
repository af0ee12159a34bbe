"""The platform's money by month (shop time), for the admins' summary page: what came in, the
sales recognised for cooperatives, the commission earned, refunds owed and sent, payouts.

One query however many transactions: each entry falls in a month bucket (a CASE over the
months' bounds, compared in UTC as stored), summed by bucket, kind and account.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date

from sqlalchemy import and_, case, func, literal, select

from storefront.core import clock
from storefront.domain.ledger.queries import month_bounds
from storefront.extensions import db
from storefront.models import LedgerAccount, LedgerEntry, LedgerKind, LedgerTransaction

A = LedgerAccount


@dataclass
class MonthFigures:
    year: int
    month: int
    received_in_bank: int = 0  # card, transfer, payOS money that arrived
    cod_cash_collected: int = 0  # cash on delivery collected (and kept) by cooperatives
    sales: int = 0  # recognised for cooperatives: goods + shipping, before commission
    commission: int = 0  # the platform's commission on those sales
    owed_change: int = 0  # how much more (or less) the market owes cooperatives after it
    refunds_owed: int = 0  # refunds that became owed to buyers
    refunds_paid: int = 0  # refunds sent back
    paid_out: int = 0  # payouts marked paid

    @property
    def money_received(self) -> int:
        return self.received_in_bank + self.cod_cash_collected

    @property
    def key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def last_months(count: int, today: date | None = None) -> list[tuple[int, int]]:
    """(year, month) of the last `count` months, this one last."""
    today = today or clock.today()
    year, month = today.year, today.month
    months = []
    for _ in range(count):
        months.append((year, month))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return list(reversed(months))


def monthly_figures(count: int = 12, today: date | None = None) -> list[MonthFigures]:
    """The last `count` months' figures, oldest first. One query."""
    months = last_months(count, today)
    bounds = [month_bounds(y, m) for y, m in months]
    occurred = LedgerTransaction.occurred_at
    bucket = case(
        *(
            (and_(occurred >= start.astimezone(UTC), occurred < end.astimezone(UTC)), literal(i))
            for i, (start, end) in enumerate(bounds)
        ),
        else_=literal(-1),
    ).label("bucket")
    # Grouped outside a subquery: PostgreSQL cannot tell that a CASE with bound parameters in
    # the SELECT list and the same CASE in GROUP BY are one expression.
    entries = (
        select(
            bucket, LedgerTransaction.kind.label("kind"), LedgerEntry.account, LedgerEntry.amount
        )
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .where(occurred >= bounds[0][0].astimezone(UTC), occurred < bounds[-1][1].astimezone(UTC))
        .subquery()
    )
    rows = db.session.execute(
        select(
            entries.c.bucket, entries.c.kind, entries.c.account, func.sum(entries.c.amount)
        ).group_by(entries.c.bucket, entries.c.kind, entries.c.account)
    ).all()
    figures = [MonthFigures(y, m) for y, m in months]
    for index, kind, account, total in rows:
        if not 0 <= int(index) < len(figures):
            continue
        f, kind, account, amount = figures[int(index)], LedgerKind(kind), A(account), int(total)
        if account is A.BANK and kind is LedgerKind.RECEIVED:
            f.received_in_bank += amount
        elif account is A.BANK and kind is LedgerKind.REFUND_SENT:
            f.refunds_paid -= amount
        elif account is A.BANK and kind is LedgerKind.PAYOUT:
            f.paid_out -= amount
        if account is A.COOPERATIVE_CASH and kind is LedgerKind.COD_SALE:
            f.cod_cash_collected += amount
        if account is A.COMMISSION:
            f.commission -= amount
        if account in (A.BUYER_FUNDS, A.COOPERATIVE_CASH) and kind in (
            LedgerKind.SALE,
            LedgerKind.COD_SALE,
        ):
            f.sales += amount
        if account is A.REFUNDS_OWED and kind is LedgerKind.REFUND_OWED:
            f.refunds_owed -= amount
        if account in (A.COOPERATIVE_PAYABLE, A.COOPERATIVE_CASH):
            f.owed_change -= amount
    return figures
