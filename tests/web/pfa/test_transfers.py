"""The unmatched-transfers queue (/pfa/transfers, admins only): apply a held transfer to an
order (a confirmation step first; an excess becomes a refund task), mark one for refund with a
note, record a refund as sent. Every decision audited; nothing deleted."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from storefront.extensions import db
from storefront.models import (
    AuditEvent,
    BankNotification,
    NotificationStatus,
    OrderStatus,
    PaymentStatus,
    RefundStatus,
    RefundTask,
    Role,
)
from tests.fixtures import factories
from tests.fixtures.shop import buy, reload
from tests.fixtures.transfer import notification, send_sepay, transfer_order


@pytest.fixture
def admin(make):
    return make.user(role=Role.ADMIN, name="Lê Văn Quản", email="quan@hoinongdan.vn")


@pytest.fixture
def order(make, sepay):
    package = make.listing(packages=[{"price": 100_000, "stock": 5}]).packages[0]
    return transfer_order((package, 1))


def held(client, body) -> BankNotification:
    answer = send_sepay(client, body).get_json()
    assert answer["success"] is True and answer["outcome"] in ("overpaid", "unknown_code")
    db.session.expire_all()
    return db.session.scalars(select(BankNotification).order_by(BankNotification.id.desc())).first()


def rows(db, model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def audit(db) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)))


def test_the_queue_lists_held_transfers_with_a_suggestion(client, auth, db, admin, order):
    code = order.payment_code
    slipped = code[:-1] + ("A" if code[-1] != "A" else "B")
    held(client, notification(f"MBVCB.1.{slipped}.CT tu <b>NGUYEN</b>", 77_000))
    auth.login(admin)
    page = client.get("/pfa/transfers").get_data(as_text=True)
    assert "Khoản chuyển chưa khớp" in page and "77.000" in page
    assert "&lt;b&gt;NGUYEN&lt;/b&gt;" in page  # the bank's text escaped
    assert f'value="{order.number}"' in page  # suggested in the form, to be confirmed
    assert "Không đơn hàng nào có mã trong nội dung chuyển khoản" in page
    assert 'href="/pfa/transfers"' in client.get("/pfa/").get_data(as_text=True)


def test_the_queue_page_sends_a_bounded_number_of_queries(client, auth, db, admin, order, queries):
    auth.login(admin)
    for i in range(3):
        held(client, notification(f"chuyen tien {i}", 1000 + i))
    with queries() as few:
        client.get("/pfa/transfers")
    for i in range(12):
        held(client, notification(f"chuyen tien nua {i}", 2000 + i))
    with queries() as many:
        assert client.get("/pfa/transfers").status_code == 200
    assert len(many) == len(few)


@pytest.mark.parametrize("role", ["customer", "seller", "pfa"])
def test_only_admins_may_open_or_act(client, auth, db, make, order, role):
    n = held(client, notification("chuyen tien", 5000))
    if role == "seller":
        user = make.user(email="owner@htx.vn")
        make.cooperative(owner=user)
    else:
        user = make.user(role=Role.PFA if role == "pfa" else Role.CUSTOMER, email=f"{role}@x.vn")
    auth.login(user)
    assert client.get("/pfa/transfers").status_code == 403
    for path, data in [
        (f"/pfa/transfers/{n.id}/assign", {"order_number": order.number, "confirmed": "1"}),
        (f"/pfa/transfers/{n.id}/refund", {"note": "trả lại", "confirmed": "1"}),
    ]:
        assert client.post(path, data=data).status_code == 403
    db.session.expire_all()
    assert db.session.get(BankNotification, n.id).status is NotificationStatus.UNMATCHED
    assert reload(db, order.number).payments[-1].amount_received == 0
    assert audit(db) == []


def test_anonymous_visitors_are_sent_to_log_in(client, db, order):
    n = held(client, notification("chuyen tien", 5000))
    response = client.post(f"/pfa/transfers/{n.id}/refund", data={"note": "x", "confirmed": "1"})
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    assert rows(db, RefundTask) == 0


def test_assigning_asks_for_confirmation_then_pays_the_order(
    client, auth, db, admin, order, outbox
):
    n = held(client, notification("chuyen tien cho me", order.total))
    auth.login(admin)
    confirm = client.post(f"/pfa/transfers/{n.id}/assign", data={"order_number": order.number})
    page = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "Chưa có gì thay đổi" in page
    assert "Đơn hàng được thanh toán đủ" in page
    assert reload(db, order.number).status is OrderStatus.AWAITING_PAYMENT  # nothing yet

    done = client.post(
        f"/pfa/transfers/{n.id}/assign", data={"order_number": order.number, "confirmed": "1"}
    )
    assert done.status_code == 303
    placed = reload(db, order.number)
    assert placed.status is OrderStatus.PLACED
    assert placed.payments[-1].status is PaymentStatus.PAID
    db.session.expire_all()
    n = db.session.get(BankNotification, n.id)
    assert n.status is NotificationStatus.ASSIGNED and n.resolved_by_id == admin.id
    assert n.applied_amount == order.total and n.order_id == order.id
    [event] = audit(db)
    assert event.action == "transfer.assign" and event.actor_id == admin.id
    assert event.subject_type == "order" and event.subject_id == order.id
    assert event.data["applied"] == order.total and event.data["refund"] == 0
    assert any(order.number in m["Subject"] for m in outbox.to("lan@example.vn"))
    # Twice: refused, nothing more.
    again = client.post(
        f"/pfa/transfers/{n.id}/assign",
        data={"order_number": order.number, "confirmed": "1"},
        follow_redirects=True,
    )
    assert "đã được xử lý" in again.get_data(as_text=True)
    assert len(audit(db)) == 1
    assert reload(db, order.number).payments[-1].amount_received == order.total


def test_an_overpayment_assigned_keeps_the_excess_as_a_refund_task(client, auth, db, admin, order):
    n = held(client, notification(order.payment_code, order.total + 50_000))
    assert n.outcome == "overpaid"
    auth.login(admin)
    confirm = client.post(f"/pfa/transfers/{n.id}/assign", data={"order_number": order.number})
    assert "50.000" in confirm.get_data(as_text=True)
    client.post(
        f"/pfa/transfers/{n.id}/assign", data={"order_number": order.number, "confirmed": "1"}
    )
    payment = reload(db, order.number).payments[-1]
    assert payment.amount_received == order.total and payment.status is PaymentStatus.PAID
    [task] = db.session.scalars(select(RefundTask)).all()
    assert task.amount == 50_000 and task.reason == "overpaid" and task.order_id == order.id
    assert task.status is RefundStatus.OPEN
    page = client.get("/pfa/transfers").get_data(as_text=True)
    assert "Chuyển nhiều hơn số tiền đơn hàng còn thiếu" in page and "50.000" in page


def test_assigning_part_of_the_balance_leaves_the_order_partly_paid(client, auth, db, admin, order):
    n = held(client, notification("tien hang", order.total - 1000))
    auth.login(admin)
    client.post(
        f"/pfa/transfers/{n.id}/assign", data={"order_number": order.number, "confirmed": "1"}
    )
    still = reload(db, order.number)
    assert still.status is OrderStatus.AWAITING_PAYMENT
    assert still.payments[-1].status is PaymentStatus.PARTLY_PAID
    # The rest, by the code: paid.
    answer = send_sepay(client, notification(order.payment_code, 1000)).get_json()
    assert answer["outcome"] == "paid"


@pytest.mark.parametrize("case", ["not_awaiting", "cod", "unknown"])
def test_assigning_is_refused_for_an_order_that_cannot_take_it(
    client, auth, db, make, admin, order, case
):
    n = held(client, notification("tien hang", 1000))
    if case == "not_awaiting":
        send_sepay(client, notification(order.payment_code, order.total))  # paid already
        number = order.number
    elif case == "cod":
        number = buy((make.listing().packages[0], 1)).number
    else:
        number = "ZZZZZZZZZZ"
    auth.login(admin)
    for data in ({"order_number": number}, {"order_number": number, "confirmed": "1"}):
        response = client.post(f"/pfa/transfers/{n.id}/assign", data=data, follow_redirects=True)
        page = response.get_data(as_text=True)
        assert any(
            message in page
            for message in (
                "không ở trạng thái chờ thanh toán",
                "không thanh toán bằng chuyển khoản",
                "Không có đơn hàng nào mang mã này",
            )
        ), page
    db.session.expire_all()
    assert db.session.get(BankNotification, n.id).status is NotificationStatus.UNMATCHED
    assert audit(db) == [] and rows(db, RefundTask) == 0


def test_marking_for_refund_needs_a_note_and_a_confirmation(client, auth, db, admin, order):
    n = held(client, notification("chuyen nham", 123_000))
    auth.login(admin)
    refused = client.post(
        f"/pfa/transfers/{n.id}/refund",
        data={"note": "  ", "confirmed": "1"},
        follow_redirects=True,
    )
    assert "Hãy ghi chú" in refused.get_data(as_text=True)
    assert rows(db, RefundTask) == 0
    confirm = client.post(f"/pfa/transfers/{n.id}/refund", data={"note": "Khách chuyển nhầm"})
    assert "Đánh dấu khoản chuyển này cần hoàn lại?" in confirm.get_data(as_text=True)
    assert rows(db, RefundTask) == 0
    client.post(
        f"/pfa/transfers/{n.id}/refund", data={"note": "Khách chuyển nhầm", "confirmed": "1"}
    )
    [task] = db.session.scalars(select(RefundTask)).all()
    assert task.amount == 123_000 and task.note == "Khách chuyển nhầm" and task.reason == "staff"
    db.session.expire_all()
    n = db.session.get(BankNotification, n.id)
    assert n.status is NotificationStatus.REFUND and n.note == "Khách chuyển nhầm"
    [event] = audit(db)
    assert event.action == "transfer.refund" and event.subject_type == "bank_transfer"
    assert event.reason == "Khách chuyển nhầm" and event.actor_id == admin.id

    # Sent back: recorded with the bank's reference; the task stays, closed.
    client.post(f"/pfa/refunds/{task.id}/close", data={"note": "FT2612030001", "confirmed": "1"})
    db.session.expire_all()
    task = db.session.get(RefundTask, task.id)
    assert task.status is RefundStatus.REFUNDED and task.done_note == "FT2612030001"
    assert task.done_by_id == admin.id
    assert [e.action for e in audit(db)] == ["transfer.refund", "refund.done"]
    again = client.post(
        f"/pfa/refunds/{task.id}/close", data={"note": "x", "confirmed": "1"}, follow_redirects=True
    )
    assert "đã được ghi nhận trước đó" in again.get_data(as_text=True)
    assert len(audit(db)) == 2
    assert rows(db, BankNotification) == 1 and rows(db, RefundTask) == 1  # nothing deleted
    log = client.get("/pfa/audit").get_data(as_text=True)
    assert "Đánh dấu một khoản chuyển khoản cần hoàn lại" in log


def test_decisions_need_the_csrf_token(client, auth, db, admin, order, csrf_on):
    n = held(client, notification("chuyen nham", 5000))
    login = client.get("/account/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login).group(1)
    client.post(
        "/account/login",
        data={"email": admin.email, "password": factories.PASSWORD, "csrf_token": token},
    )
    response = client.post(f"/pfa/transfers/{n.id}/refund", data={"note": "x", "confirmed": "1"})
    assert response.status_code == 400
    assert rows(db, RefundTask) == 0
