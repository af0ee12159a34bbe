"""POST /webhooks/sepay: SePay's bank notifications, authenticated by API key, stored raw
before they are processed, each provider transaction applied exactly once."""

from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import func, select

from storefront.core.db import unit_of_work
from storefront.domain.orders.lifecycle import cancel_and_restock
from storefront.models import (
    BankNotification,
    NotificationStatus,
    Order,
    OrderStatus,
    Package,
    Payment,
    PaymentStatus,
    RefundStatus,
    RefundTask,
    ShipmentStatus,
)
from tests.fixtures.shop import reload, stock_of
from tests.fixtures.transfer import notification, send_sepay, transfer_order


def count(db, model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def stored(db) -> list[BankNotification]:
    db.session.expire_all()
    return list(db.session.scalars(select(BankNotification).order_by(BankNotification.id)))


def payment_of(db, number: str) -> Payment:
    return reload(db, number).payments[-1]


@pytest.fixture
def order(make, sepay, outbox):
    """A transfer order: 2 × 150 000 đ plus shipping, 5 in stock before (3 after); the
    outbox emptied of what placing it sent."""
    package = make.listing(packages=[{"price": 150_000, "stock": 5, "weight_grams": 500}])
    found = transfer_order((package.packages[0], 2))
    found.package_id = package.packages[0].id  # for the test's stock checks
    for old in outbox.folder.glob("*.eml"):
        old.unlink()
    return found


# --- authentication and bad input: nothing recorded ------------------------------------------


def test_not_configured_answers_404(client, db, make, monkeypatch, sepay, app):
    monkeypatch.setitem(app.config, "SEPAY_WEBHOOK_API_KEY", "")
    assert send_sepay(client, notification("x", 1000)).status_code == 404
    monkeypatch.setitem(app.config, "SEPAY_WEBHOOK_API_KEY", sepay)
    monkeypatch.setitem(app.config, "VIETQR_ACCOUNT_NUMBER", "")  # transfer not offered
    assert send_sepay(client, notification("x", 1000)).status_code == 404
    assert count(db, BankNotification) == 0


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Apikey wrong-key",
        "Bearer sepay-test-key-3f9a1c",
        "sepay-test-key-3f9a1c",
        "Apikey sepay-test-key-3f9a1",
    ],
)
def test_a_wrong_or_missing_key_is_401_and_nothing_is_recorded(client, db, order, header):
    body = notification(order.payment_code, order.total)
    response = send_sepay(client, body, key=None, header=header)
    assert response.status_code == 401
    assert response.get_json()["success"] is False
    assert count(db, BankNotification) == 0
    assert payment_of(db, order.number).amount_received == 0
    assert reload(db, order.number).status is OrderStatus.AWAITING_PAYMENT


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ("{not json", "malformed JSON"),
        ("", "malformed JSON"),
        (b"\xff\xfe", "malformed JSON"),
        ("[1, 2]", "JSON object"),
        (json.dumps({"id": 1}), "missing field"),
        (json.dumps(notification("OCOP\u0000", 1000)), "NUL character"),
    ],
)
def test_malformed_bodies_are_400_and_nothing_is_recorded(client, db, order, data, error):
    response = send_sepay(client, data)
    assert response.status_code == 400
    assert error in response.get_json()["error"]
    assert count(db, BankNotification) == 0


@pytest.mark.parametrize("amount", ["300000", -300000, 0, 300000.5, 300000.0, True, None])
def test_amounts_as_strings_negatives_zero_fractions_or_bools_are_400(client, db, order, amount):
    response = send_sepay(client, notification(order.payment_code, 1, transferAmount=amount))
    assert response.status_code == 400
    assert "transferAmount" in response.get_json()["error"]
    assert count(db, BankNotification) == 0
    assert payment_of(db, order.number).amount_received == 0


def test_a_huge_body_is_refused(client, db, order):
    body = notification(order.payment_code, order.total, description="x" * 70_000)
    assert send_sepay(client, body).status_code == 400
    assert count(db, BankNotification) == 0


# --- money arriving ---------------------------------------------------------------------------


def test_the_exact_amount_pays_the_order_as_a_card_payment_would(client, db, order, outbox):
    body = notification(
        f"MBVCB.3278907687.{order.payment_code}.CT tu 0011 NGUYEN THI LAN", order.total
    )
    response = send_sepay(client, body)
    assert response.status_code == 200
    assert response.get_json() == {"success": True, "outcome": "paid"}
    placed = reload(db, order.number)
    assert placed.status is OrderStatus.PLACED
    payment = placed.payments[-1]
    assert payment.status is PaymentStatus.PAID and payment.amount_received == order.total
    [n] = stored(db)
    assert n.status is NotificationStatus.APPLIED and n.outcome == "paid"
    assert n.order_id == order.id and n.applied_amount == order.total
    assert json.loads(n.raw_body) == body  # stored raw
    assert n.transaction_id == str(body["id"]) and n.processed_at is not None
    assert n.reference_code == body["referenceCode"] and n.gateway == "Vietcombank"
    [mail] = outbox.to("lan@example.vn")
    assert order.number in mail["Subject"]
    assert "Thanh toán: chuyển khoản ngân hàng, đã nhận." in mail.get_content()


def test_a_duplicate_delivery_answers_2xx_and_changes_nothing(client, db, order, outbox):
    body = notification(order.payment_code, order.total)
    assert send_sepay(client, body).get_json()["outcome"] == "paid"
    again = send_sepay(client, body)
    assert again.status_code == 200
    assert again.get_json() == {"success": True, "outcome": "duplicate"}
    assert payment_of(db, order.number).amount_received == order.total
    assert count(db, BankNotification) == 1
    assert len(outbox.to("lan@example.vn")) == 1


def test_an_underpayment_is_partly_paid_and_a_second_transfer_completes_it(
    client, db, order, outbox
):
    first = order.total - 100_000
    response = send_sepay(client, notification(f"chuyen tien {order.payment_code}", first))
    assert response.get_json()["outcome"] == "partly_paid"
    still = reload(db, order.number)
    assert still.status is OrderStatus.AWAITING_PAYMENT
    payment = still.payments[-1]
    assert payment.status is PaymentStatus.PARTLY_PAID and payment.amount_received == first
    [told] = outbox.to("lan@example.vn")
    text = told.get_content()
    assert "100.000" in text and order.payment_code in text  # the balance, and the code

    response = send_sepay(client, notification(order.payment_code.lower(), 100_000))
    assert response.get_json()["outcome"] == "paid"
    payment = payment_of(db, order.number)
    assert payment.status is PaymentStatus.PAID and payment.amount_received == order.total
    assert reload(db, order.number).status is OrderStatus.PLACED
    assert [n.applied_amount for n in stored(db)] == [first, 100_000]


def test_an_overpayment_is_held_for_staff_and_the_order_is_untouched(client, db, order):
    response = send_sepay(client, notification(order.payment_code, order.total + 1))
    assert response.status_code == 200 and response.get_json()["outcome"] == "overpaid"
    [n] = stored(db)
    assert n.status is NotificationStatus.UNMATCHED and n.suggested_order_id == order.id
    payment = payment_of(db, order.number)
    assert payment.status is PaymentStatus.PENDING and payment.amount_received == 0


def test_a_second_transfer_over_the_balance_is_held(client, db, order):
    send_sepay(client, notification(order.payment_code, 100_000))
    response = send_sepay(client, notification(order.payment_code, order.total))
    assert response.get_json()["outcome"] == "overpaid"
    assert payment_of(db, order.number).amount_received == 100_000


def test_an_unknown_code_is_held_and_a_near_code_is_suggested(client, db, order):
    code = order.payment_code
    slipped = code[:-1] + ("A" if code[-1] != "A" else "B")
    assert send_sepay(client, notification(f"IBFT {slipped}", order.total)).get_json() == {
        "success": True,
        "outcome": "unknown_code",
    }
    assert (
        send_sepay(client, notification("chuyen tien mua hang", 5000)).get_json()["outcome"]
        == "unknown_code"
    )
    near, nothing = stored(db)
    assert near.status is NotificationStatus.UNMATCHED and near.order_id is None
    assert near.suggested_order_id == order.id  # a suggestion only: nothing applied
    assert nothing.suggested_order_id is None
    assert payment_of(db, order.number).amount_received == 0


def test_a_content_naming_two_orders_is_held(client, db, make, order):
    other = transfer_order((make.listing().packages[0], 1))
    body = notification(f"{order.payment_code} {other.payment_code}", order.total)
    assert send_sepay(client, body).get_json()["outcome"] == "ambiguous"
    assert payment_of(db, order.number).amount_received == 0
    assert payment_of(db, other.number).amount_received == 0


def test_the_code_field_sepay_filled_is_used(client, db, order):
    body = notification("chuyen tien", order.total, code=order.payment_code)
    assert send_sepay(client, body).get_json()["outcome"] == "paid"


@pytest.mark.parametrize(
    "template",
    [
        "MBVCB.3278907687.{code}.CT tu 0011004123456 NGUYEN THI LAN",
        "{lower} chuyển tiền",
        "TKThe :12345, tai BIDV. {spaced} -CTLNHIDO000001234567",
        "ACB;0123456789;{dashed}",
        "{code}thanh toan",
    ],
)
def test_mangled_contents_still_pay(client, db, order, template):
    code = order.payment_code
    content = template.format(
        code=code,
        lower=code.lower(),
        spaced=f"{code[:4]} {code[4:7]} {code[7:]}",
        dashed=f"{code[:4]}-{code[4:]}",
    )
    assert send_sepay(client, notification(content, order.total)).get_json()["outcome"] == "paid"


def test_money_going_out_is_stored_and_ignored(client, db, order):
    body = notification(order.payment_code, order.total, transferType="out")
    assert send_sepay(client, body).get_json() == {"success": True, "outcome": "outgoing"}
    [n] = stored(db)
    assert n.status is NotificationStatus.OUTGOING and n.transfer_type == "out"
    assert payment_of(db, order.number).amount_received == 0


def test_a_transfer_for_an_order_cancelled_by_the_buyer_is_held(client, db, order):
    with unit_of_work(writer=True):
        found = db.session.get(Order, order.id)
        cancel_and_restock(
            found, from_statuses=(OrderStatus.AWAITING_PAYMENT,), cancelled_by="buyer"
        )
    assert (
        send_sepay(client, notification(order.payment_code, order.total)).get_json()["outcome"]
        == "not_awaiting"
    )
    assert reload(db, order.number).status is OrderStatus.CANCELLED
    assert payment_of(db, order.number).amount_received == 0


def test_a_notification_stored_but_not_processed_is_processed_on_redelivery(
    client, db, order, monkeypatch
):
    from storefront.domain.payments import transfer

    body = notification(order.payment_code, order.total)

    def crash(*args, **kwargs):
        raise RuntimeError("the worker died")

    original = transfer.process_notification
    monkeypatch.setattr(transfer, "process_notification", crash)
    with pytest.raises(RuntimeError):
        send_sepay(client, body)
    [n] = stored(db)
    assert n.status is NotificationStatus.RECEIVED and n.processed_at is None  # stored first
    monkeypatch.setattr(transfer, "process_notification", original)
    assert send_sepay(client, body).get_json()["outcome"] == "paid"
    assert count(db, BankNotification) == 1


# --- paid after the expiry job cancelled the order --------------------------------------------


def expire(db, order) -> None:
    """What the expiry job does to an unpaid transfer order past its hold."""
    with unit_of_work(writer=True):
        payment = db.session.get(Payment, order.payments[-1].id, with_for_update=True)
        found = db.session.get(Order, order.id)
        assert cancel_and_restock(found, from_statuses=(OrderStatus.AWAITING_PAYMENT,))
        payment.status = PaymentStatus.EXPIRED


def test_paid_after_expiry_reinstates_the_order_when_stock_allows(client, db, order, outbox):
    expire(db, order)
    assert stock_of(db, order.package_id) == 5
    response = send_sepay(client, notification(order.payment_code, order.total))
    assert response.get_json()["outcome"] == "reinstated"
    back = reload(db, order.number)
    assert back.status is OrderStatus.PLACED and back.cancelled_at is None
    assert all(s.status is ShipmentStatus.NEW for s in back.shipments)
    assert back.payments[-1].status is PaymentStatus.PAID
    assert stock_of(db, order.package_id) == 3  # taken again
    [n] = stored(db)
    assert n.status is NotificationStatus.APPLIED and n.outcome == "reinstated"
    assert count(db, RefundTask) == 0
    assert len(outbox.to("lan@example.vn")) == 1  # the confirmation
    # The same notification again: nothing taken twice.
    assert send_sepay(client, json.loads(n.raw_body)).get_json()["outcome"] == "duplicate"
    assert stock_of(db, order.package_id) == 3


def test_paid_after_expiry_without_stock_becomes_a_refund_task(client, db, make, order, outbox):
    expire(db, order)
    rival = transfer_order((db.session.get(Package, order.package_id), 4))
    assert stock_of(db, order.package_id) == 1  # someone else bought it meanwhile
    response = send_sepay(client, notification(order.payment_code, order.total))
    assert response.get_json()["outcome"] == "refund_after_expiry"
    assert reload(db, order.number).status is OrderStatus.CANCELLED
    assert stock_of(db, order.package_id) == 1
    assert reload(db, rival.number).status is OrderStatus.AWAITING_PAYMENT
    [task] = db.session.scalars(select(RefundTask)).all()
    assert task.status is RefundStatus.OPEN and task.amount == order.total
    assert task.order_id == order.id and task.reason == "after_expiry"
    [n] = stored(db)
    assert n.status is NotificationStatus.REFUND and task.notification_id == n.id
    [told] = [m for m in outbox.to("lan@example.vn") if order.number in m["Subject"]]
    assert "hoàn lại" in told["Subject"]
    assert "không còn hàng" in told.get_content()


def test_paid_after_expiry_with_a_different_amount_is_held(client, db, order):
    expire(db, order)
    response = send_sepay(client, notification(order.payment_code, order.total - 1))
    assert response.get_json()["outcome"] == "not_awaiting"
    assert count(db, RefundTask) == 0
    assert reload(db, order.number).status is OrderStatus.CANCELLED


# --- twenty deliveries of one notification at once (PostgreSQL) --------------------------------


def test_twenty_concurrent_deliveries_of_one_notification_apply_it_once(app, db, order, outbox):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: the race needs PostgreSQL's row locks")
    body = notification(order.payment_code, order.total)
    db.session.remove()
    barrier = threading.Barrier(20)
    answers: list = [None] * 20

    def deliver(i: int) -> None:
        client = app.test_client()
        try:
            barrier.wait(timeout=60)
            response = send_sepay(client, body)
            answers[i] = (response.status_code, response.get_json()["outcome"])
        except Exception as error:  # noqa: BLE001 - any other outcome fails the test
            answers[i] = repr(error)

    threads = [threading.Thread(target=deliver, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert sorted(answers) == [(200, "duplicate")] * 19 + [(200, "paid")], answers
    payment = payment_of(db, order.number)
    assert payment.amount_received == order.total and payment.status is PaymentStatus.PAID
    assert reload(db, order.number).status is OrderStatus.PLACED
    assert count(db, BankNotification) == 1
    assert len(outbox.to("lan@example.vn")) == 1


def test_twenty_concurrent_partial_transfers_add_up_exactly(app, db, order, outbox):
    """Twenty different transfers of one order at once: each counted once, none lost."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: the race needs PostgreSQL's row locks")
    part = order.total // 20
    bodies = [notification(order.payment_code, part) for _ in range(19)]
    bodies.append(notification(order.payment_code, order.total - 19 * part))
    db.session.remove()
    barrier = threading.Barrier(20)
    answers: list = [None] * 20

    def deliver(i: int) -> None:
        client = app.test_client()
        try:
            barrier.wait(timeout=60)
            answers[i] = send_sepay(client, bodies[i]).get_json()["outcome"]
        except Exception as error:  # noqa: BLE001
            answers[i] = repr(error)

    threads = [threading.Thread(target=deliver, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(answers) == ["paid"] + ["partly_paid"] * 19, answers
    payment = payment_of(db, order.number)
    assert payment.amount_received == order.total and payment.status is PaymentStatus.PAID
    assert count(db, BankNotification) == 20
