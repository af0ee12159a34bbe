"""Money paid online other than by card reaches the settlement ledger: each bank transfer (SePay
notification) and each payOS payment posts once; money that matches no order waits in
UNMATCHED until staff assign it to an order or send it back."""

from __future__ import annotations

from sqlalchemy import func, select

from storefront.domain.ledger.queries import account_totals
from storefront.domain.payments.transfer import assign_transfer, close_refund, refund_transfer
from storefront.extensions import db as _db
from storefront.models import (
    BankNotification,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    Order,
    RefundTask,
    Role,
)
from tests.domain.ledger.helpers import reload_order, seller_with_package, ship_and_deliver
from tests.fixtures.payos import payos_order, send_payos_webhook
from tests.fixtures.transfer import notification, send_sepay, transfer_order

A = LedgerAccount


def totals() -> dict[LedgerAccount, int]:
    _db.session.expire_all()
    return account_totals()


def every_transaction_balances() -> bool:
    sums = _db.session.scalars(
        select(func.sum(LedgerEntry.amount)).group_by(LedgerEntry.transaction_id)
    ).all()
    return all(total == 0 for total in sums)


def transactions() -> int:
    return _db.session.scalar(select(func.count()).select_from(LedgerTransaction)) or 0


def test_a_transfer_paid_in_two_parts_is_received_twice_and_sold_on_delivery(
    client, db, make, sepay
):
    owner, _coop, package = seller_with_package(make, price=100_000)
    order = transfer_order((package, 2))
    total = order.total
    send_sepay(client, notification(f"CK {order.payment_code}", 50_000))
    assert totals()[A.BANK] == 50_000 and totals()[A.BUYER_FUNDS] == -50_000
    body = notification(f"{order.payment_code} phan con lai", total - 50_000)
    send_sepay(client, body)
    send_sepay(client, body)  # redelivered: posts nothing more
    assert totals()[A.BANK] == total and totals()[A.BUYER_FUNDS] == -total
    assert transactions() == 2

    ship_and_deliver(reload_order(order.number).shipments[0].id, owner.id)
    after = totals()
    assert after[A.BUYER_FUNDS] == 0  # everything received is now sold
    assert -after[A.COOPERATIVE_PAYABLE] - after[A.COMMISSION] == total
    assert every_transaction_balances()


def test_unmatched_money_is_held_then_assigned_or_sent_back(client, db, make, sepay):
    admin = make.user(role=Role.ADMIN)
    package = make.listing(packages=[{"price": 100_000, "stock": 5}]).packages[0]
    order = transfer_order((package, 1))
    send_sepay(client, notification("chuyen tien don hang", order.total + 20_000))
    send_sepay(client, notification("nham tai khoan", 33_000))
    assert totals()[A.UNMATCHED] == -(order.total + 20_000 + 33_000)
    first, second = db.session.scalars(select(BankNotification).order_by(BankNotification.id))

    assign_transfer(first.id, order.number, actor=admin)  # the excess becomes a refund task
    after = totals()
    assert after[A.BUYER_FUNDS] == -order.total
    assert after[A.REFUNDS_OWED] == -20_000 and after[A.UNMATCHED] == -33_000

    refund_transfer(second.id, "chuyển nhầm, trả lại người gửi", actor=admin)
    assert totals()[A.UNMATCHED] == 0 and totals()[A.REFUNDS_OWED] == -53_000
    for task in db.session.scalars(select(RefundTask).order_by(RefundTask.id)).all():
        close_refund(task.id, "FT26120300123", actor=admin)
    final = totals()
    assert final[A.REFUNDS_OWED] == 0
    assert final[A.BANK] == order.total  # what stays in the bank is the order's money
    assert every_transaction_balances()


def test_a_payos_payment_posts_once(client, db, make, payos_fake):
    number, code, _package = payos_order(make)
    body = payos_fake.pay(code)
    assert send_payos_webhook(client, body).status_code == 200
    assert send_payos_webhook(client, body).status_code == 200  # redelivered
    order = db.session.scalar(select(Order).where(Order.number == number))
    assert totals()[A.BANK] == order.total and totals()[A.BUYER_FUNDS] == -order.total
    assert transactions() == 1 and every_transaction_balances()
