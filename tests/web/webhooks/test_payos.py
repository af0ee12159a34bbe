"""payOS's webhook: signed with the checksum key (checked by the SDK), handled exactly once,
the amount matched, payOS's "confirm webhook" call answered, money for a cancelled order
kept for staff."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from storefront.domain.orders.lifecycle import payment_state
from storefront.domain.payments import payos
from storefront.models import OrderStatus, PaymentStatus, WebhookEvent
from tests.fixtures.payos import (
    SAMPLE_DATA,
    URLS,
    payos_order,
    send_payos_webhook,
    sign,
    webhook_body,
)
from tests.fixtures.shop import reload, stock_of


def events() -> int:
    from storefront.extensions import db

    return db.session.scalar(select(func.count()).select_from(WebhookEvent))


def test_a_signed_payment_marks_the_order_paid_and_tells_the_cooperatives(
    client, db, make, payos_fake, outbox
):
    owner = make.user(email="owner@htx.vn")
    number, code, _ = payos_order(make, coop=make.cooperative(owner=owner))
    assert outbox.messages == []
    body = payos_fake.pay(code)

    response = send_payos_webhook(client, body)
    assert response.status_code == 200
    assert response.get_json()["outcome"] == "paid"
    order = reload(db, number)
    payment = order.payments[-1]
    assert order.status is OrderStatus.PLACED
    assert payment.status is PaymentStatus.PAID
    assert payment.amount_received == order.total
    assert payment.provider_payment_id == body["data"]["reference"]
    assert payment_state(order) == "paid"
    assert [m["To"] for m in outbox.messages] == ["lan@example.vn", "owner@htx.vn"]
    buyer_mail, cooperative_mail = (m.get_body(("plain",)).get_content() for m in outbox.messages)
    assert "Thanh toán: đã nhận qua payOS." in buyer_mail
    assert "Đã thanh toán qua payOS." in cooperative_mail
    [event] = db.session.scalars(select(WebhookEvent)).all()
    assert (event.provider, event.event_id) == ("payos", f"{code}:{body['data']['reference']}")


@pytest.mark.parametrize("attack", ["tampered", "wrong_key", "no_signature", "not_json", "no_data"])
def test_webhooks_without_a_valid_signature_are_rejected_and_nothing_is_recorded(
    client, db, make, payos_fake, attack
):
    number, code, _ = payos_order(make)
    body = payos_fake.pay(code)
    if attack == "tampered":
        body["data"]["amount"] = 1  # after signing
        response = send_payos_webhook(client, body)
    elif attack == "wrong_key":
        response = send_payos_webhook(client, webhook_body(body["data"], key="someone-else"))
    elif attack == "no_signature":
        del body["signature"]
        response = send_payos_webhook(client, body)
    elif attack == "not_json":
        response = send_payos_webhook(client, "{not json")
    else:
        response = send_payos_webhook(client, json.dumps({"code": "00", "signature": "x"}))
    assert response.status_code == 400
    assert reload(db, number).status is OrderStatus.AWAITING_PAYMENT
    assert reload(db, number).payments[-1].status is PaymentStatus.PENDING
    assert events() == 0


def test_a_duplicate_delivery_changes_nothing(client, db, make, payos_fake, outbox):
    number, code, _ = payos_order(make)
    body = payos_fake.pay(code)
    assert send_payos_webhook(client, body).get_json()["outcome"] == "paid"
    mails = len(outbox.messages)
    again = send_payos_webhook(client, body)
    assert again.status_code == 200 and again.get_json()["outcome"] == "duplicate"
    assert len(outbox.messages) == mails
    assert events() == 1
    assert reload(db, number).payments[-1].amount_received == reload(db, number).total


def test_a_wrong_amount_is_kept_for_staff_and_not_applied(client, db, make, payos_fake, runner):
    number, code, package = payos_order(make, quantity=1, stock=1)
    total = reload(db, number).total
    body = payos_fake.pay(code, amount=total - 10_000)

    response = send_payos_webhook(client, body)
    assert response.status_code == 200 and response.get_json()["outcome"] == "amount_mismatch"
    order = reload(db, number)
    payment = order.payments[-1]
    assert order.status is OrderStatus.AWAITING_PAYMENT
    assert payment.status is PaymentStatus.PENDING and payment.amount_received == 0
    assert payment.failure_reason.startswith("amount mismatch")
    assert str(total - 10_000) in payment.failure_reason
    [event] = db.session.scalars(select(WebhookEvent)).all()
    assert event.type == "amount_mismatch" and json.loads(event.payload)["amount"] == total - 10_000
    assert stock_of(db, package.id) == 0

    result = runner.invoke(args=["payments", "reconcile"])
    assert f"payOS mismatch: order {number}: amount mismatch" in result.output


def test_payos_confirm_webhook_call_is_answered_and_not_recorded(client, db, payos_fake):
    response = send_payos_webhook(client, webhook_body(dict(SAMPLE_DATA)))
    assert response.status_code == 200
    assert response.get_json() == {"success": True, "outcome": "unknown_order"}
    assert events() == 0


def test_the_webhook_is_off_without_payos_keys(client, db):
    response = send_payos_webhook(client, webhook_body(dict(SAMPLE_DATA)))
    assert response.status_code == 404


def test_the_sdk_verifies_the_signature_the_way_payos_documents_it(app, payos_fake):
    data = dict(SAMPLE_DATA, orderCode=987)
    # The documented form: fields sorted by name, key=value joined by &, HMAC-SHA256.
    text = "&".join(f"{k}={data[k]}" for k in sorted(data))
    import hashlib
    import hmac

    expected = hmac.new(
        app.config["PAYOS_CHECKSUM_KEY"].encode(), text.encode(), hashlib.sha256
    ).hexdigest()
    assert sign(data) == expected
    verified = payos.gateway.verify_webhook(json.dumps(webhook_body(data)).encode())
    assert verified.order_code == 987


def test_money_for_an_order_cancelled_meanwhile_is_recorded_as_owed_back(
    client, db, make, payos_fake, runner
):
    number, code, package = payos_order(make, quantity=1, stock=1)
    body = payos_fake.pay(code)  # paid at payOS, then the buyer cancels before the webhook
    payos_fake.links[code]["status"] = "PENDING"  # payOS has not settled it yet
    from storefront.domain.orders.lifecycle import cancel_order

    cancel_order(number, user_id=None, granted=[number])
    assert stock_of(db, package.id) == 1

    response = send_payos_webhook(client, body)
    assert response.get_json()["outcome"] == "paid_after_cancel"
    order = reload(db, number)
    assert order.status is OrderStatus.CANCELLED
    assert order.payments[-1].status is PaymentStatus.PAID
    assert payment_state(order) == "refund_pending"
    result = runner.invoke(args=["payments", "reconcile"])
    assert f"payOS mismatch: order {number}: paid after the order was cancelled" in result.output


def test_a_late_payment_of_a_replaced_attempt_places_the_order_and_closes_the_new_link(
    client, db, make, payos_fake
):
    number, first, _ = payos_order(make)
    payos_fake.links[first]["status"] = "CANCELLED"
    payos.start_payos_payment(number, urls=URLS)  # a new attempt, a new link
    second = reload(db, number).payments[-1].id
    payos_fake.links[first]["status"] = "PENDING"  # say payOS had the first one paying
    response = send_payos_webhook(client, payos_fake.pay(first))
    assert response.get_json()["outcome"] == "paid"
    order = reload(db, number)
    assert order.status is OrderStatus.PLACED
    assert [p.status for p in order.payments] == [PaymentStatus.PAID, PaymentStatus.FAILED]
    assert payos_fake.links[second]["status"] == "CANCELLED"


def test_ten_deliveries_of_one_payment_at_once_apply_it_once(app, db, make, payos_fake, outbox):
    import threading

    from storefront.extensions import db as _db

    number, code, package = payos_order(make, quantity=1, stock=1)
    package_id = package.id
    data = payos.gateway.verify_webhook(json.dumps(payos_fake.pay(code)).encode())
    db.session.remove()
    barrier = threading.Barrier(10)
    outcomes: list = [None] * 10

    def deliver(i: int) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                outcomes[i] = payos.handle_webhook(data)
            except Exception as error:  # noqa: BLE001
                outcomes[i] = repr(error)
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=deliver, args=(i,)) for i in range(10)]
    [t.start() for t in threads]
    [t.join(timeout=60) for t in threads]

    assert sorted(outcomes) == ["duplicate"] * 9 + ["paid"], outcomes
    order = reload(db, number)
    assert order.status is OrderStatus.PLACED
    assert order.payments[-1].amount_received == order.total
    assert stock_of(db, package_id) == 0
    assert events() == 1
    assert [m["To"] for m in outbox.messages].count("lan@example.vn") == 1
