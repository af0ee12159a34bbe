"""Bank transfer (VietQR) orders in the domain: placed awaiting payment with a fresh unique
payment code and a pending "vietqr" payment, stock held; what the buyer reads about each
state; the payment instructions by e-mail; `expire_unpaid_orders` cancelling and restocking
only transfers of which nothing arrived in time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from vietnam_qr_pay import QRPay

from storefront.core import clock, vietqr
from storefront.core.db import aware
from storefront.core.errors import InvalidInput, NotFound, OutOfStock
from storefront.domain.orders import lifecycle, placement
from storefront.domain.orders.lifecycle import cancel_order, expire_unpaid_orders, payment_state
from storefront.domain.payments.vietqr import order_transfer_payload, transfer_status
from storefront.models import Order, OrderStatus, Payment, PaymentMethod, PaymentStatus, utcnow
from tests.fixtures.shop import (
    VIETQR_ACCOUNT,
    buy,
    details,
    fill,
    guest,
    record_transfer,
    reload,
    stock_of,
    transfer_order,
)

pytestmark = pytest.mark.usefixtures("vietqr_on")


# --- placing ----------------------------------------------------------------------------------


def test_a_transfer_order_holds_its_stock_and_waits_for_one_pending_payment(app, db, make):
    before = utcnow()
    order, package = transfer_order(make, price=150_000, quantity=2, stock=5)
    order = reload(db, order.number)
    assert order.status is OrderStatus.AWAITING_PAYMENT
    assert order.payment_method is PaymentMethod.TRANSFER
    assert stock_of(db, package.id) == 3  # held from the placement on
    assert order.payment_code and order.payment_code.startswith(vietqr.CODE_PREFIX)
    vietqr.validate("970436", "1", 1, order.payment_code)  # a code a VietQR may carry
    [payment] = order.payments
    assert (payment.provider, payment.amount, payment.currency) == ("vietqr", order.total, "vnd")
    assert payment.status is PaymentStatus.PENDING and payment.amount_received == 0
    assert order.total == 300_000 + order.shipping_total
    hold = timedelta(minutes=app.config["VIETQR_TRANSFER_HOLD_MINUTES"])
    assert before + hold <= aware(payment.expires_at) <= utcnow() + hold
    assert payment_state(order) == "transfer_awaiting"


def test_codes_are_unique_across_orders(app, db, make):
    package = make.listing(packages=[{"stock": 50}]).packages[0]
    numbers = [
        placement.place_order(
            fill(guest(), (package, 1)),
            details(payment_method=PaymentMethod.TRANSFER),
            transfer_enabled=True,
        ).number
        for _ in range(6)
    ]
    codes = db.session.scalars(select(Order.payment_code).where(Order.number.in_(numbers))).all()
    assert len(set(codes)) == 6 and all(codes)
    # Other methods carry no code.
    assert buy((package, 1)).payment_code is None


def test_a_code_already_taken_is_drawn_again(app, db, make, monkeypatch):
    first, _ = transfer_order(make)
    taken = first.payment_code
    draws = iter([taken, "OCOPNEW001"])
    monkeypatch.setattr(
        vietqr,
        "new_payment_code",
        lambda is_taken=None, attempts=10: next(c for c in draws if not is_taken(c)),
    )
    second, _ = transfer_order(make)
    assert reload(db, second.number).payment_code == "OCOPNEW001"


def test_a_collision_at_commit_rolls_back_and_places_again(app, db, make, monkeypatch):
    """Two placements drawing one code at the same moment: neither saw the other's, so the
    unique constraint refuses the second; it is placed again, whole, with a new code."""
    first, _ = transfer_order(make)
    package = make.listing(packages=[{"stock": 4}]).packages[0]
    draws = iter([first.payment_code, "OCOPRETRY1"])
    monkeypatch.setattr(placement, "new_transfer_code", lambda: next(draws))
    order = placement.place_order(
        fill(guest(), (package, 3)),
        details(payment_method=PaymentMethod.TRANSFER),
        transfer_enabled=True,
    )
    assert reload(db, order.number).payment_code == "OCOPRETRY1"
    assert stock_of(db, package.id) == 1  # taken once, not twice
    assert db.session.scalar(select(func.count()).select_from(Order)) == 2


def test_refused_when_bank_transfer_is_not_offered(app, db, make, monkeypatch):
    package = make.listing(packages=[{"stock": 3}]).packages[0]
    owner = fill(guest(), (package, 1))
    with pytest.raises(InvalidInput) as refused:
        placement.place_order(owner, details(payment_method=PaymentMethod.TRANSFER))
    assert refused.value.details.get("field") == "payment_method"
    assert stock_of(db, package.id) == 3
    assert db.session.scalar(select(func.count()).select_from(Order)) == 0


def test_no_overselling_by_transfer(app, db, make):
    package = make.listing(packages=[{"stock": 1}]).packages[0]
    placement.place_order(
        fill(guest(), (package, 1)),
        details(payment_method=PaymentMethod.TRANSFER),
        transfer_enabled=True,
    )
    with pytest.raises(OutOfStock):
        placement.place_order(
            fill(guest(), (package, 1)),
            details(payment_method=PaymentMethod.TRANSFER),
            transfer_enabled=True,
        )
    assert stock_of(db, package.id) == 0


# --- the buyer's view of the money --------------------------------------------------------------


def test_states_as_the_money_arrives(app, db, make):
    order, _ = transfer_order(make, price=100_000, quantity=1)
    number, total = order.number, order.total
    status = transfer_status(reload(db, number))
    assert (status.state, status.amount_due, status.amount_received) == (
        "transfer_awaiting",
        total,
        0,
    )
    assert status.payable and not status.final and status.seconds_left > 0

    record_transfer(number, 40_000)
    status = transfer_status(reload(db, number))
    assert (status.state, status.amount_due, status.amount_received) == (
        "partly_paid",
        total - 40_000,
        40_000,
    )
    assert status.payable and not status.final
    assert payment_state(reload(db, number)) == "partly_paid"

    record_transfer(number, total)
    status = transfer_status(reload(db, number))
    assert (status.state, status.amount_due) == ("paid", 0)
    assert not status.payable and status.final
    with pytest.raises(NotFound):
        order_transfer_payload(reload(db, number))


def test_the_hold_running_out_shows_expired_before_the_job_cancels(app, db, make):
    order, _ = transfer_order(make)
    late = aware(reload(db, order.number).payments[-1].expires_at) + timedelta(seconds=1)
    status = transfer_status(reload(db, order.number), now=late)
    assert status.state == "transfer_expired" and status.seconds_left == 0
    assert not status.payable and not status.final  # a late transfer may still be matched
    with pytest.raises(NotFound):
        order_transfer_payload(reload(db, order.number), now=late)


def test_payload_for_full_amount_then_balance(app, db, make):
    order, _ = transfer_order(make, price=120_000, quantity=1)
    number, total, code = order.number, order.total, order.payment_code
    qr = QRPay(order_transfer_payload(reload(db, number)))
    assert qr.is_valid
    assert (qr.consumer.bank_bin, qr.consumer.bank_number) == (
        VIETQR_ACCOUNT["VIETQR_BANK_BIN"],
        VIETQR_ACCOUNT["VIETQR_ACCOUNT_NUMBER"],
    )
    assert (qr.amount, qr.additional_data.purpose) == (str(total), code)
    record_transfer(number, 20_000)
    qr = QRPay(order_transfer_payload(reload(db, number)))
    assert qr.is_valid and (qr.amount, qr.additional_data.purpose) == (str(total - 20_000), code)


def test_no_payload_without_a_configured_account(app, db, make, monkeypatch):
    order, _ = transfer_order(make)
    monkeypatch.setitem(app.config, "VIETQR_ACCOUNT_NUMBER", "")
    with pytest.raises(NotFound):
        order_transfer_payload(reload(db, order.number))


def test_buyer_cancelling_frees_the_stock_and_reads_not_paid(app, db, make):
    order, package = transfer_order(make, quantity=2, stock=5)
    cancelled = cancel_order(order.number, user_id=None, granted=[order.number])
    assert not cancelled.was_placed and not cancelled.settle_payment
    assert stock_of(db, package.id) == 5
    order = reload(db, order.number)
    assert payment_state(order) == "not_paid"
    assert transfer_status(order).final


def test_a_partly_paid_order_cancelled_reads_refund_pending(app, db, make):
    order, _ = transfer_order(make)
    record_transfer(order.number, 10_000)
    cancel_order(order.number, user_id=None, granted=[order.number])
    assert payment_state(reload(db, order.number)) == "refund_pending"


# --- the e-mail ------------------------------------------------------------------------------


def test_the_buyer_gets_the_payment_instructions_and_cooperatives_nothing_yet(
    app, db, make, outbox
):
    seller = make.user(email="htx@example.vn")
    coop = make.cooperative(owner=seller)
    package = make.listing(coop=coop, packages=[{"price": 90_000, "stock": 3}]).packages[0]
    order = placement.place_order(
        fill(guest(), (package, 1)),
        details(email="lan@example.vn", payment_method=PaymentMethod.TRANSFER),
        transfer_enabled=True,
    )
    assert outbox.to("htx@example.vn") == []  # told once the money arrives
    [mail] = outbox.to("lan@example.vn")
    body = mail.get_content()
    assert order.number in mail["Subject"] and "chuyển khoản" in mail["Subject"]
    amount = f"{order.total:,}".replace(",", ".")
    for text in (
        "Vietcombank",
        "0011001234567",
        "HOP TAC XA OCOP MARKET",
        amount,
        order.payment_code,
        "/orders/link/",
    ):
        assert text in body, text
    expires = aware(reload(db, order.number).payments[-1].expires_at)
    assert "Sản phẩm được giữ cho bạn đến" in body
    local = expires.astimezone(clock.zone())
    assert local.strftime("%d/%m/%Y %H:%M") in body


# --- expiring unpaid transfers ------------------------------------------------------------------


def _expires_at(db, number):
    return aware(reload(db, number).payments[-1].expires_at)


def test_expiry_cancels_and_restocks_only_transfers_nothing_arrived_for(app, db, make, outbox):
    grace = timedelta(minutes=app.config["UNPAID_ORDER_GRACE_MINUTES"])
    abandoned, abandoned_pkg = transfer_order(make, quantity=2, stock=2, email="a@example.vn")
    partly, partly_pkg = transfer_order(make, quantity=1, stock=1)
    paid, paid_pkg = transfer_order(make, quantity=1, stock=1)
    record_transfer(partly.number, 5_000)
    record_transfer(paid.number, paid.total)
    cod = buy((make.listing(packages=[{"stock": 1}]).packages[0], 1))
    deadline = _expires_at(db, abandoned.number)

    # Past the hold but inside the grace period: nobody is cancelled yet.
    assert expire_unpaid_orders(now=deadline + grace - timedelta(seconds=5)) == []
    assert reload(db, abandoned.number).status is OrderStatus.AWAITING_PAYMENT

    later = deadline + grace + timedelta(minutes=1)
    assert expire_unpaid_orders(now=later) == [abandoned.number]
    order = reload(db, abandoned.number)
    assert order.status is OrderStatus.CANCELLED
    assert order.payments[-1].status is PaymentStatus.EXPIRED
    assert payment_state(order) == "transfer_expired"
    assert stock_of(db, abandoned_pkg.id) == 2
    # The partly paid one keeps its stock (money arrived); paid and COD orders are untouched.
    assert reload(db, partly.number).status is OrderStatus.AWAITING_PAYMENT
    assert reload(db, partly.number).payments[-1].status is PaymentStatus.PARTLY_PAID
    assert stock_of(db, partly_pkg.id) == 0
    assert reload(db, paid.number).status is OrderStatus.PLACED
    assert stock_of(db, paid_pkg.id) == 0
    assert reload(db, cod.number).status is OrderStatus.PLACED
    # The buyer is told.
    [mail] = [m for m in outbox.to("a@example.vn") if "hủy" in m["Subject"]]
    assert "Đã hết thời hạn chuyển khoản" in mail.get_content()

    # Idempotent: a second run changes nothing, the stock is given back once.
    assert expire_unpaid_orders(now=later) == []
    assert stock_of(db, abandoned_pkg.id) == 2


def test_money_arriving_before_the_job_locks_the_row_keeps_the_order(app, db, make, monkeypatch):
    """The candidates are read first, then each is locked and checked again: a transfer
    recorded in between (the bank notification) wins, and nothing is cancelled."""
    order, package = transfer_order(make, quantity=1, stock=1)
    number, order_id, package_id = order.number, order.id, package.id
    later = _expires_at(db, number) + timedelta(hours=1)
    real_end_read = lifecycle.end_read

    def notification_arrives():
        real_end_read()
        record_transfer(number, 1_000)

    monkeypatch.setattr(lifecycle, "end_read", notification_arrives)
    assert expire_unpaid_orders(now=later) == []
    assert reload(db, number).status is OrderStatus.AWAITING_PAYMENT
    assert stock_of(db, package_id) == 0
    assert db.session.scalar(select(Payment.status).where(Payment.order_id == order_id)) is (
        PaymentStatus.PARTLY_PAID
    )


def test_once_paid_the_confirmation_says_so_and_the_cooperatives_are_told(app, db, make, outbox):
    """Once the bank notification records the money, the same `order_placed` notification
    goes out again, now the paid version for the buyer and each cooperative's new shipment."""
    seller = make.user(email="htx2@example.vn")
    coop = make.cooperative(owner=seller)
    package = make.listing(coop=coop, packages=[{"price": 90_000, "stock": 3}]).packages[0]
    order = placement.place_order(
        fill(guest(), (package, 1)),
        details(email="binh@example.vn", payment_method=PaymentMethod.TRANSFER),
        transfer_enabled=True,
    )
    record_transfer(order.number, order.total)
    [instructions, confirmation] = outbox.to("binh@example.vn")
    assert "chuyển khoản" in instructions["Subject"]
    body = confirmation.get_content()
    assert "Thanh toán: chuyển khoản ngân hàng, đã nhận." in body
    assert order.payment_code not in body  # nothing more to pay: no instructions
    [shipment_mail] = outbox.to("htx2@example.vn")
    assert "Đã thanh toán bằng chuyển khoản." in shipment_mail.get_content()
