"""What the finance pages read: entries with a running balance, monthly statements (shop
time), balances and the platform summary, in a bounded number of lq."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from storefront.core import clock
from storefront.core.db import unit_of_work
from storefront.domain.ledger import postings
from storefront.domain.ledger import queries as lq
from storefront.domain.ledger.postings import Posting
from storefront.domain.orders.fulfilment import advance_shipment
from storefront.models import LedgerAccount, LedgerKind
from tests.domain.ledger.helpers import seller_with_package
from tests.fixtures.shop import buy

A = LedgerAccount


def cod_sale(package, owner, quantity: int, at: datetime) -> int:
    """A COD order of `quantity`, shipped and its cash collected at `at`; its shipment's id."""
    [shipment] = buy((package, quantity)).shipments
    advance_shipment(
        shipment.id, "ship", user_id=owner.id, carrier="GHN", tracking_number="1", now=at
    )
    advance_shipment(shipment.id, "collect_cash", user_id=owner.id, now=at)
    return shipment.id


def credit(coop_id: int, amount: int, at: datetime, key: str) -> None:
    with unit_of_work():
        postings.post_transaction(
            LedgerKind.CORRECTION,
            key,
            [Posting(A.BANK, amount), Posting(A.COOPERATIVE_PAYABLE, -amount, coop_id)],
            occurred_at=at,
            memo=key,
        )


def test_monthly_statement_opens_where_the_last_one_closed(app, db, make):
    owner, coop, package = seller_with_package(make, price=100_000)
    credit(coop.id, 1_000_000, datetime(2026, 10, 5, 3, tzinfo=UTC), "october")
    # 20:00 UTC on 31 October is 03:00 on 1 November in Vietnam: November's.
    cod_sale(package, owner, 1, datetime(2026, 10, 31, 20, tzinfo=UTC))
    credit(coop.id, 250_000, datetime(2026, 11, 15, 9, tzinfo=UTC), "november")
    # 17:30 UTC on 30 November is 00:30 on 1 December in Vietnam: December's.
    credit(coop.id, 40_000, datetime(2026, 11, 30, 17, 30, tzinfo=UTC), "december")

    october = lq.monthly_statement(coop.id, 2026, 10)
    november = lq.monthly_statement(coop.id, 2026, 11)
    december = lq.monthly_statement(coop.id, 2026, 12)
    assert (october.opening_balance, october.closing_balance) == (0, 1_000_000)
    assert [line.memo for line in october.lines] == ["october"]
    assert november.opening_balance == october.closing_balance
    assert [line.kind for line in november.lines] == [LedgerKind.COD_SALE, LedgerKind.CORRECTION]
    sale = november.lines[0]
    assert (sale.gross - sale.commission - sale.cash_kept, sale.amount) == (-5_000, -5_000)
    assert sale.commission == 5_000 and sale.cash_kept == sale.gross
    assert sale.order_number is not None
    assert november.closing_balance == 1_000_000 - 5_000 + 250_000
    assert november.closing_balance == november.opening_balance + november.totals["amount"]
    assert [line.balance for line in november.lines] == [995_000, 1_245_000]
    assert (december.opening_balance, december.closing_balance) == (1_245_000, 1_285_000)
    assert december.closing_balance == lq.cooperative_balance(coop.id).balance
    assert lq.monthly_statement(coop.id, 2026, 9).lines == []
    with pytest.raises(ValueError):
        lq.month_bounds(2026, 13)


def test_entries_page_newest_first_with_the_running_balance(app, db, make, queries):
    coop = make.cooperative()
    amounts = [100, 250, 400, 80, 1_000, 7]
    for i, amount in enumerate(amounts):
        credit(coop.id, amount, datetime(2026, 11, 1 + i, tzinfo=UTC), f"c{i}")
    running = [sum(amounts[: i + 1]) for i in range(len(amounts))]
    coop_id = coop.id

    with queries() as statements:
        first = lq.cooperative_entries(coop_id, page=1, per_page=4)
    assert len(statements) <= 4
    assert [line.amount for line in first.lines] == [7, 1_000, 80, 400]
    assert [line.balance for line in first.lines] == running[::-1][:4]
    assert (first.total, first.pages, first.balance) == (6, 2, sum(amounts))
    second = lq.cooperative_entries(coop.id, page=2, per_page=4)
    assert [line.balance for line in second.lines] == running[::-1][4:]
    assert lq.cooperative_entries(coop.id, page=3, per_page=4).lines == []


def test_balances_and_the_summary_take_a_fixed_number_of_queries(app, db, make, queries):
    coops = [make.cooperative().id for _ in range(5)]
    for n, coop in enumerate(coops):
        for k in range(3):
            credit(coop, 10_000 * (n + 1), datetime(2026, 11, 1 + k, tzinfo=UTC), f"{n}:{k}")
    with queries() as statements:
        balances = lq.cooperative_balances()
        summary = lq.platform_summary()
        candidates = lq.payout_candidates(50_000)
    assert len(statements) <= 8
    assert balances == {coop: 30_000 * (n + 1) for n, coop in enumerate(coops)}
    assert summary.owed_to_cooperatives == sum(balances.values())
    assert [c.cooperative_id for c in candidates] == list(reversed(coops[1:]))
    assert not any(c.eligible for c in candidates)  # no payout account yet


def test_statement_months_run_from_the_first_line_to_now(app, db, make):
    coop = make.cooperative()
    with clock.frozen(datetime(2027, 1, 10, tzinfo=UTC)):
        assert lq.statement_months(coop.id) == [(2027, 1)]
        credit(coop.id, 5, datetime(2026, 11, 20, tzinfo=UTC), "first")
        assert lq.statement_months(coop.id) == [(2027, 1), (2026, 12), (2026, 11)]
