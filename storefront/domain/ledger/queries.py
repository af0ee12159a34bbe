"""What the finance pages read from the ledger: a cooperative's balance, its entries with a
running balance, its monthly statement, who can be paid out, the platform's summary. Every
function runs a fixed number of queries, however many entries there are.

A cooperative's balance (what the market owes it) = -(COOPERATIVE_PAYABLE[coop] +
COOPERATIVE_CASH[coop]): sales net of commission, less the cash on delivery it collected and
kept, less what it has been paid out. It is negative when the cooperative kept more cash than
it earned (it owes the market the commission on that cash).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, and_, case, func, or_, select

from storefront.core import clock
from storefront.core.db import aware
from storefront.extensions import db
from storefront.models import (
    Cooperative,
    LedgerAccount,
    LedgerEntry,
    LedgerKind,
    LedgerTransaction,
    Order,
    Payout,
    PayoutAccount,
    PayoutStatus,
)
from storefront.models.ledger import PER_COOPERATIVE_ACCOUNTS

A = LedgerAccount
DEFAULT_PER_PAGE = 50


@dataclass(frozen=True)
class CooperativeBalance:
    cooperative_id: int
    earned: int  # sales net of commission, ever (credits to its payable)
    commission: int  # commission on its sales, ever
    cash_kept: int  # cash on delivery it collected and keeps, ever
    paid_out: int  # payouts paid, ever
    balance: int  # what the market owes it now: earned - cash_kept - paid_out (+ corrections)
    pending_payouts: int  # in a batch, not yet paid
    available: int  # balance - pending payouts: what a new payout may take


@dataclass(frozen=True)
class StatementLine:
    transaction_id: int
    occurred_at: datetime
    kind: LedgerKind
    memo: str
    order_number: str | None
    shipment_id: int | None
    payout_id: int | None
    gross: int  # the sale: goods + shipping fee (0 for other kinds)
    commission: int  # commission taken on it
    cash_kept: int  # cash on delivery the cooperative kept
    payout: int  # paid out to it
    amount: int  # the change of its balance (owed to it): gross - commission - cash - payout
    balance: int  # its balance after this line


@dataclass(frozen=True)
class EntriesPage:
    lines: list[StatementLine]  # newest first
    page: int
    per_page: int
    total: int  # lines in all
    balance: int  # current balance

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


@dataclass(frozen=True)
class Statement:
    cooperative_id: int
    cooperative_name: str
    year: int
    month: int
    starts_at: datetime  # first moment of the month, in the shop's time zone
    ends_at: datetime  # first moment of the next month
    opening_balance: int
    lines: list[StatementLine]  # oldest first
    closing_balance: int  # opening + the lines' amounts
    totals: dict[str, int] = field(default_factory=dict)  # gross, commission, cash_kept, payout


@dataclass(frozen=True)
class PayoutCandidate:
    cooperative_id: int
    cooperative_name: str
    balance: int
    available: int
    account: PayoutAccount | None  # None: no account yet (then not eligible)

    @property
    def eligible(self) -> bool:
        return self.account is not None and self.account.verified


@dataclass(frozen=True)
class PlatformSummary:
    money_received: int  # card, transfer, payOS into the bank + COD cash collected
    received_in_bank: int
    cod_cash_collected: int
    commission_earned: int
    owed_to_cooperatives: int  # sum of positive cooperative balances
    owed_by_cooperatives: int  # sum of negative ones, as a positive number (commission on COD)
    buyer_funds_held: int  # received for orders not yet delivered
    unmatched: int  # received, matching no order yet
    refunds_owed: int
    refunds_paid: int
    paid_out: int
    bank_balance: int


# --- balances ---------------------------------------------------------------------------------


def _coop_balance_column() -> Any:
    return -func.coalesce(func.sum(LedgerEntry.amount), 0)


def cooperative_balances(cooperative_ids: Iterable[int] | None = None) -> dict[int, int]:
    """{cooperative id: balance owed to it} for these cooperatives (all with entries when
    None); a cooperative without entries is left out (0). One query."""
    stmt = (
        select(LedgerEntry.cooperative_id, _coop_balance_column())
        .where(LedgerEntry.account.in_(PER_COOPERATIVE_ACCOUNTS))
        .group_by(LedgerEntry.cooperative_id)
    )
    if cooperative_ids is not None:
        stmt = stmt.where(LedgerEntry.cooperative_id.in_(list(cooperative_ids)))
    return {int(coop): int(balance) for coop, balance in db.session.execute(stmt).all()}


def _sum_when(condition: ColumnElement[bool], value: Any) -> ColumnElement[int]:
    """SUM(value) over the rows meeting `condition`, 0 when there are none."""
    return func.coalesce(func.sum(case((condition, value))), 0)


# Cash a cooperative collected for a cash-on-delivery sale and kept.
def _cod_cash_kept() -> ColumnElement[bool]:
    return and_(
        LedgerEntry.account == A.COOPERATIVE_CASH, LedgerTransaction.kind == LedgerKind.COD_SALE
    )


def cooperative_balance(cooperative_id: int) -> CooperativeBalance:
    """One cooperative's balance and its parts. Two queries."""
    kind = LedgerTransaction.kind
    amount = LedgerEntry.amount
    payable = LedgerEntry.account == A.COOPERATIVE_PAYABLE
    row = db.session.execute(
        select(
            _sum_when(and_(payable, kind.in_([LedgerKind.SALE, LedgerKind.COD_SALE])), -amount),
            _sum_when(LedgerEntry.account == A.COMMISSION, -amount),
            _sum_when(_cod_cash_kept(), amount),
            _sum_when(and_(payable, kind == LedgerKind.PAYOUT), amount),
            _sum_when(LedgerEntry.account.in_(PER_COOPERATIVE_ACCOUNTS), -amount),
        )
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .where(LedgerEntry.cooperative_id == cooperative_id)
    ).one()
    earned, commission, cash_kept, paid_out, balance = (int(v) for v in row)
    pending = int(
        db.session.scalar(
            select(func.coalesce(func.sum(Payout.amount), 0)).where(
                Payout.cooperative_id == cooperative_id, Payout.status == PayoutStatus.PENDING
            )
        )
        or 0
    )
    return CooperativeBalance(
        cooperative_id=cooperative_id,
        earned=earned,
        commission=commission,
        cash_kept=cash_kept,
        paid_out=paid_out,
        balance=balance,
        pending_payouts=pending,
        available=balance - pending,
    )


# --- lines ------------------------------------------------------------------------------------


def _lines_query(cooperative_id: int) -> Any:
    """Per transaction touching the cooperative: its parts, as columns."""
    kind = LedgerTransaction.kind
    amount = LedgerEntry.amount
    payable = LedgerEntry.account == A.COOPERATIVE_PAYABLE
    sale = kind.in_([LedgerKind.SALE, LedgerKind.COD_SALE])
    gross = _sum_when(and_(sale, or_(payable, LedgerEntry.account == A.COMMISSION)), -amount)
    commission = _sum_when(LedgerEntry.account == A.COMMISSION, -amount)
    cash = _sum_when(LedgerEntry.account == A.COOPERATIVE_CASH, amount)
    payout = _sum_when(and_(payable, kind == LedgerKind.PAYOUT), amount)
    change = _sum_when(LedgerEntry.account.in_(PER_COOPERATIVE_ACCOUNTS), -amount)
    return (
        select(
            LedgerTransaction.id,
            LedgerTransaction.occurred_at,
            LedgerTransaction.kind,
            LedgerTransaction.memo,
            Order.number,
            LedgerTransaction.shipment_id,
            LedgerTransaction.payout_id,
            gross,
            commission,
            cash,
            payout,
            change,
        )
        .join(LedgerEntry, LedgerEntry.transaction_id == LedgerTransaction.id)
        .outerjoin(Order, Order.id == LedgerTransaction.order_id)
        .where(LedgerEntry.cooperative_id == cooperative_id)
        .group_by(
            LedgerTransaction.id,
            LedgerTransaction.occurred_at,
            LedgerTransaction.kind,
            LedgerTransaction.memo,
            Order.number,
            LedgerTransaction.shipment_id,
            LedgerTransaction.payout_id,
        )
        .having(func.sum(case((LedgerEntry.account.in_(PER_COOPERATIVE_ACCOUNTS), 1), else_=0)) > 0)
    )


def _line(row: Any, balance: int) -> StatementLine:
    return StatementLine(
        transaction_id=int(row[0]),
        occurred_at=aware(row[1]),
        kind=LedgerKind(row[2]),
        memo=row[3],
        order_number=row[4],
        shipment_id=row[5],
        payout_id=row[6],
        gross=int(row[7]),
        commission=int(row[8]),
        cash_kept=int(row[9]),
        payout=int(row[10]),
        amount=int(row[11]),
        balance=balance,
    )


def _balance_where(cooperative_id: int, *clauses: Any) -> int:
    total = db.session.scalar(
        select(_coop_balance_column())
        .select_from(LedgerEntry)
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .where(
            LedgerEntry.cooperative_id == cooperative_id,
            LedgerEntry.account.in_(PER_COOPERATIVE_ACCOUNTS),
            *clauses,
        )
    )
    return int(total or 0)


def cooperative_entries(
    cooperative_id: int, *, page: int = 1, per_page: int = DEFAULT_PER_PAGE
) -> EntriesPage:
    """The cooperative's ledger lines, newest first, `per_page` a page, each with its balance
    after it (the running balance). Lines are ordered by (occurred_at, id). Four queries."""
    page = max(1, int(page))
    per_page = max(1, min(int(per_page), 500))
    balance = _balance_where(cooperative_id)
    base = _lines_query(cooperative_id).subquery()
    total = int(db.session.scalar(select(func.count()).select_from(base)) or 0)
    rows = db.session.execute(
        _lines_query(cooperative_id)
        .order_by(LedgerTransaction.occurred_at.desc(), LedgerTransaction.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    lines: list[StatementLine] = []
    if rows:
        first_occurred, first_id = rows[0][1], rows[0][0]
        # The balance after the page's newest line: the sum up to and including it.
        running = _balance_where(
            cooperative_id,
            or_(
                LedgerTransaction.occurred_at < first_occurred,
                and_(
                    LedgerTransaction.occurred_at == first_occurred,
                    LedgerTransaction.id <= first_id,
                ),
            ),
        )
        for row in rows:
            lines.append(_line(row, running))
            running -= int(row[11])
    return EntriesPage(lines=lines, page=page, per_page=per_page, total=total, balance=balance)


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    """The month's first moment and the next month's, in the shop's time zone."""
    if not (1 <= month <= 12) or not (2000 <= year <= 9999):
        raise ValueError("no such month")
    zone = clock.zone()
    start = datetime.combine(date(year, month, 1), time(), zone)
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return start, datetime.combine(nxt, time(), zone)


def monthly_statement(cooperative_id: int, year: int, month: int) -> Statement:
    """The cooperative's statement for a month (shop time): the opening balance, every line
    that occurred in the month (oldest first, each with its running balance) and the closing
    balance = opening + the lines' amounts. For the page and its CSV. Three queries."""
    starts_at, ends_at = month_bounds(year, month)
    # Compared in UTC: SQLite stores UTC without its offset.
    start_utc, end_utc = starts_at.astimezone(UTC), ends_at.astimezone(UTC)
    name = db.session.scalar(select(Cooperative.legal_name).where(Cooperative.id == cooperative_id))
    opening = _balance_where(cooperative_id, LedgerTransaction.occurred_at < start_utc)
    rows = db.session.execute(
        _lines_query(cooperative_id)
        .where(LedgerTransaction.occurred_at >= start_utc, LedgerTransaction.occurred_at < end_utc)
        .order_by(LedgerTransaction.occurred_at, LedgerTransaction.id)
    ).all()
    lines, running = [], opening
    for row in rows:
        running += int(row[11])
        lines.append(_line(row, running))
    totals = {
        "gross": sum(line.gross for line in lines),
        "commission": sum(line.commission for line in lines),
        "cash_kept": sum(line.cash_kept for line in lines),
        "payout": sum(line.payout for line in lines),
        "amount": sum(line.amount for line in lines),
    }
    return Statement(
        cooperative_id=cooperative_id,
        cooperative_name=name or "",
        year=year,
        month=month,
        starts_at=starts_at,
        ends_at=ends_at,
        opening_balance=opening,
        lines=lines,
        closing_balance=running,
        totals=totals,
    )


def statement_months(cooperative_id: int) -> list[tuple[int, int]]:
    """The (year, month) pairs, shop time, newest first, from the cooperative's first ledger
    line to this month: the statements there are to choose from. One query."""
    first = db.session.scalar(
        select(func.min(LedgerTransaction.occurred_at))
        .join(LedgerEntry, LedgerEntry.transaction_id == LedgerTransaction.id)
        .where(LedgerEntry.cooperative_id == cooperative_id)
    )
    today = clock.today()
    if first is None:
        return [(today.year, today.month)]
    start = aware(first).astimezone(clock.zone()).date()
    months, (y, m) = [], (today.year, today.month)
    while (y, m) >= (start.year, start.month):
        months.append((y, m))
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return months


# --- payouts and the platform -----------------------------------------------------------------


def payout_threshold() -> int:
    """LEDGER_PAYOUT_THRESHOLD: the least balance (đồng) a payout batch pays out."""
    return int(current_app.config.get("LEDGER_PAYOUT_THRESHOLD", 200_000))


def payout_candidates(threshold: int | None = None) -> list[PayoutCandidate]:
    """Cooperatives whose available balance (balance less pending payouts) is at least
    `threshold` (default LEDGER_PAYOUT_THRESHOLD), largest first, with their payout account
    (check `.eligible`: only a verified account is paid). Three queries."""
    threshold = payout_threshold() if threshold is None else int(threshold)
    balances = cooperative_balances()
    pending = dict(
        db.session.execute(
            select(Payout.cooperative_id, func.sum(Payout.amount))
            .where(Payout.status == PayoutStatus.PENDING)
            .group_by(Payout.cooperative_id)
        ).all()
    )
    available = {
        coop: balance - int(pending.get(coop, 0))
        for coop, balance in balances.items()
        if balance - int(pending.get(coop, 0)) >= max(threshold, 1)
    }
    if not available:
        return []
    rows = db.session.execute(
        select(Cooperative.id, Cooperative.legal_name, PayoutAccount)
        .outerjoin(PayoutAccount, PayoutAccount.cooperative_id == Cooperative.id)
        .where(Cooperative.id.in_(list(available)))
    ).all()
    candidates = [
        PayoutCandidate(coop_id, name, balances[coop_id], available[coop_id], account)
        for coop_id, name, account in rows
    ]
    candidates.sort(key=lambda c: (-c.available, c.cooperative_id))
    return candidates


def eligible_for_payout(threshold: int | None = None) -> list[PayoutCandidate]:
    """payout_candidates() with a verified payout account: what a batch would pay."""
    return [c for c in payout_candidates(threshold) if c.eligible]


def account_totals() -> dict[LedgerAccount, int]:
    """Every account's balance (debit positive), all cooperatives together. One query."""
    rows = db.session.execute(
        select(LedgerEntry.account, func.sum(LedgerEntry.amount)).group_by(LedgerEntry.account)
    ).all()
    totals = {account: 0 for account in LedgerAccount}
    totals.update({LedgerAccount(account): int(total) for account, total in rows})
    return totals


def platform_summary() -> PlatformSummary:
    """The platform's figures, all time. Three queries."""
    totals = account_totals()
    kind = LedgerTransaction.kind
    amount = LedgerEntry.amount
    bank = LedgerEntry.account == A.BANK
    row = db.session.execute(
        select(
            _sum_when(and_(bank, kind == LedgerKind.RECEIVED), amount),
            _sum_when(_cod_cash_kept(), amount),
            _sum_when(and_(bank, kind == LedgerKind.REFUND_SENT), -amount),
            _sum_when(and_(bank, kind == LedgerKind.PAYOUT), -amount),
        ).join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
    ).one()
    received, cod, refunds_paid, paid_out = (int(v) for v in row)
    balances = cooperative_balances().values()
    return PlatformSummary(
        money_received=received + cod,
        received_in_bank=received,
        cod_cash_collected=cod,
        commission_earned=-totals[A.COMMISSION],
        owed_to_cooperatives=sum(b for b in balances if b > 0),
        owed_by_cooperatives=-sum(b for b in balances if b < 0),
        buyer_funds_held=-totals[A.BUYER_FUNDS],
        unmatched=-totals[A.UNMATCHED],
        refunds_owed=-totals[A.REFUNDS_OWED],
        refunds_paid=refunds_paid,
        paid_out=paid_out,
        bank_balance=totals[A.BANK],
    )
