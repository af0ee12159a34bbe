"""Bank transfers: money arriving for an order paid by VietQR, told by a bank-notification
service (SePay), and the staff queue for transfers that match no order.

Exactly once: every authentic notification is first stored raw in its own commit (the
provider's transaction id is unique, so a redelivery finds its row and changes nothing), then
processed in a second unit of work that locks the notification's row, then the payment's,
then moves the order: the same lock order as card payments and the expiry job. E-mails go
after the commit.

`record_bank_transfer` is the one place where money for an order counts: a later ledger hooks
"money received" there.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from storefront.core.db import Unit, aware, end_read, rows_matched, unit_of_work
from storefront.core.errors import InvalidInput, InvalidTransition, NotFound
from storefront.core.sepay import BankTransfer
from storefront.core.transfer_codes import candidate_codes, near_codes
from storefront.domain import notifications as notify
from storefront.domain.audit import record_decision
from storefront.domain.jobs import later
from storefront.domain.ledger import postings as ledger
from storefront.domain.orders.lifecycle import move_order, normalise_order_number
from storefront.extensions import db
from storefront.models import (
    BankNotification,
    NotificationStatus,
    Order,
    OrderLine,
    OrderStatus,
    Package,
    Payment,
    PaymentMethod,
    PaymentStatus,
    RefundStatus,
    RefundTask,
    Shipment,
    ShipmentStatus,
    User,
    utcnow,
)

log = logging.getLogger(__name__)

SEPAY = "sepay"
VIETQR = "vietqr"  # the provider of a transfer order's Payment
WAITING = (PaymentStatus.PENDING, PaymentStatus.PARTLY_PAID)
DUPLICATE = "duplicate"


# --- receiving a notification -----------------------------------------------------------------


def _store(raw_body: str, transfer: BankTransfer, provider: str, now: datetime) -> int | None:
    """The notification's row, committed; None if this transaction id is already stored."""
    try:
        with unit_of_work(writer=True):
            notification = BankNotification(
                provider=provider,
                transaction_id=transfer.transaction_id,
                received_at=now,
                raw_body=raw_body,
                gateway=transfer.gateway,
                transaction_date=transfer.transaction_date,
                account_number=transfer.account_number,
                transfer_type=transfer.transfer_type,
                amount=transfer.amount,
                content=transfer.content,
                code=transfer.code,
                reference_code=transfer.reference_code,
                status=NotificationStatus.RECEIVED,
                outcome="",
                applied_amount=0,
                note="",
            )
            db.session.add(notification)
            db.session.flush()
            return notification.id
    except IntegrityError:
        return None  # delivered before (or at this very moment, by another request)


def receive_bank_notification(
    raw_body: str, transfer: BankTransfer, *, provider: str = SEPAY, now: datetime | None = None
) -> str:
    """Store an authentic notification, then process it; returns what happened
    ("duplicate" for one already processed). A notification stored by an earlier delivery
    that failed before processing it is processed now."""
    now = now or utcnow()
    notification_id = _store(raw_body, transfer, provider, now)
    if notification_id is None:
        notification_id = db.session.scalar(
            select(BankNotification.id).where(
                BankNotification.provider == provider,
                BankNotification.transaction_id == transfer.transaction_id,
            )
        )
        end_read()
        if notification_id is None:  # the other delivery rolled back: store it after all
            notification_id = _store(raw_body, transfer, provider, now)
            if notification_id is None:
                return DUPLICATE
    try:
        return process_notification(notification_id, now=now)
    except InvalidTransition:
        # The order changed under us (cancelled as the money came): everything rolled back;
        # once more, it now sees the order as it is (and holds the transfer for staff).
        return process_notification(notification_id, now=now)


def _locked_notification(notification_id: int) -> BankNotification | None:
    return db.session.scalar(
        select(BankNotification)
        .where(BankNotification.id == notification_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _locked_payment(order_id: int) -> Payment | None:
    """The order's latest bank-transfer payment, its row locked (then its order is read)."""
    return db.session.scalar(
        select(Payment)
        .where(Payment.order_id == order_id, Payment.provider == VIETQR)
        .order_by(Payment.id.desc())
        .limit(1)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def process_notification(notification_id: int, *, now: datetime | None = None) -> str:
    """Apply a stored notification exactly once (its row locked; processed_at set)."""
    now = now or utcnow()
    with unit_of_work(writer=True) as unit:
        notification = _locked_notification(notification_id)
        if notification is None or notification.processed_at is not None:
            return DUPLICATE
        notification.processed_at = now
        if notification.transfer_type != "in":
            notification.status, notification.outcome = NotificationStatus.OUTGOING, "outgoing"
            return "outgoing"
        codes = candidate_codes(notification.code, notification.content)
        order_ids = (
            list(db.session.scalars(select(Order.id).where(Order.payment_code.in_(codes))))
            if codes
            else []
        )
        if len(order_ids) != 1:
            outcome = "ambiguous" if order_ids else "unknown_code"
            _hold(notification, outcome)
            if not order_ids:
                notification.suggested_order_id = _suggestion(notification)
            return outcome
        return _apply(unit, notification, order_ids[0], now=now, actor=None)


def _receipt(notification: BankNotification) -> str:
    """The ledger's key for the money of one bank notification (its provider's transaction)."""
    return f"{notification.provider}:{notification.transaction_id}"


def _received(notification: BankNotification, order_id: int | None, amount: int) -> None:
    """The notification's money is in the market's bank: held for the order, or (order_id
    None) unmatched until staff assign it or send it back. Posted once per notification."""
    ledger.record_money_received(
        order_id=order_id,
        amount=amount,
        key=_receipt(notification),
        method="transfer",
        memo=f"bank transfer {notification.transaction_id}",
    )


def _hold(notification: BankNotification, outcome: str, order_id: int | None = None) -> None:
    """Into the unmatched-transfers queue, for staff (its money unmatched in the ledger)."""
    _received(notification, None, notification.amount)
    notification.status, notification.outcome = NotificationStatus.UNMATCHED, outcome
    notification.suggested_order_id = order_id
    log.warning(
        "bank transfer %s (%s đồng) held for staff: %s",
        notification.transaction_id,
        notification.amount,
        outcome,
    )


def _suggestion(notification: BankNotification) -> int | None:
    """The one order whose code is a typing slip away from the content, if exactly one."""
    near = sorted(near_codes(notification.code, notification.content))
    found: set[int] = set()
    for start in range(0, len(near), 500):
        found.update(
            db.session.scalars(
                select(Order.id).where(Order.payment_code.in_(near[start : start + 500]))
            )
        )
    return found.pop() if len(found) == 1 else None


# --- applying money to an order ---------------------------------------------------------------


def record_bank_transfer(unit: Unit, order: Order, payment: Payment, amount: int) -> str:
    """Money received for a transfer order still awaiting payment (its payment row locked,
    `amount` at most the balance): "paid" once the amount is reached (the order is placed,
    buyer and cooperatives told, as for a card payment), else "partly_paid" (the buyer is
    told the balance). Add-only; the caller's unit commits."""
    balance = payment.amount - payment.amount_received
    assert 0 < amount <= balance, (amount, balance)
    payment.amount_received += amount
    order_id = order.id
    if payment.amount_received < payment.amount:
        payment.status = PaymentStatus.PARTLY_PAID
        later(unit, notify.transfer_balance_due, order_id)
        return "partly_paid"
    payment.status = PaymentStatus.PAID
    if move_order(order, (OrderStatus.AWAITING_PAYMENT,), OrderStatus.PLACED):
        later(unit, notify.order_placed, order_id)
        return "paid"
    raise InvalidTransition(_("This order changed meanwhile; please reload the page."))


@dataclass(frozen=True)
class Applied:
    outcome: str
    applied: int = 0
    refund: int = 0


def _take_stock_again(order: Order) -> bool:
    """Every line's stock taken again for a cancelled order being reinstated, or nothing
    (False). Packages locked in id order, as placement does; add-only."""
    rows = db.session.execute(
        select(OrderLine.package_id, func.sum(OrderLine.stock_taken))
        .where(OrderLine.order_id == order.id, OrderLine.stock_taken > 0)
        .group_by(OrderLine.package_id)
        .order_by(OrderLine.package_id)
    ).all()
    wanted: dict[int, int] = {}
    for package_id, units in rows:
        if package_id is None:
            return False  # a package was deleted since
        wanted[int(package_id)] = int(units)
    stock = dict(
        db.session.execute(
            select(Package.id, Package.stock)
            .where(Package.id.in_(list(wanted)))
            .order_by(Package.id)
            .with_for_update()
        ).all()
    )
    if any(stock.get(package_id, 0) < units for package_id, units in wanted.items()):
        return False
    for package_id, units in wanted.items():
        taken = db.session.execute(
            update(Package)
            .where(Package.id == package_id, Package.stock >= units)
            .values(stock=Package.stock - units, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        assert rows_matched(taken) == 1  # checked under the lock just above
    return True


def _reinstate(unit: Unit, order: Order, payment: Payment, amount: int) -> bool:
    """Paid in full after the expiry job cancelled the order: back to placed, paid, if every
    line's stock can be taken again; else False and nothing changed."""
    if not _take_stock_again(order):
        return False
    order_id = order.id
    if not move_order(
        order, (OrderStatus.CANCELLED,), OrderStatus.PLACED, cancelled_at=None, cancel_reason=""
    ):
        raise InvalidTransition(_("This order changed meanwhile; please reload the page."))
    db.session.execute(
        update(Shipment)
        .where(Shipment.order_id == order_id, Shipment.status == ShipmentStatus.CANCELLED)
        .values(status=ShipmentStatus.NEW, cancelled_at=None, cancel_reason="", updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    payment.amount_received += amount
    payment.status = PaymentStatus.PAID
    later(unit, notify.order_placed, order_id)
    return True


def _refund_task(
    notification: BankNotification | None,
    order_id: int | None,
    amount: int,
    reason: str,
    note: str = "",
) -> RefundTask:
    task = RefundTask(
        notification_id=notification.id if notification is not None else None,
        order_id=order_id,
        amount=amount,
        reason=reason,
        note=note,
        status=RefundStatus.OPEN,
        done_note="",
    )
    db.session.add(task)
    return task


def _apply(
    unit: Unit,
    notification: BankNotification,
    order_id: int,
    *,
    now: datetime,
    actor: User | None,
) -> str:
    """The notification's money for this order (its rows locked in order: notification,
    payment, order). Unattended (actor None): exactly the balance or less; anything else is
    held for staff. Staff (actor): an overpayment applies the balance and the excess becomes
    a refund task; an order not awaiting payment is refused."""
    payment = _locked_payment(order_id)
    order = db.session.get(Order, order_id, populate_existing=True)
    assert order is not None  # found by its code or number just before; never deleted
    amount = notification.amount
    if payment is None or order.payment_method is not PaymentMethod.TRANSFER:
        if actor is not None:
            raise InvalidTransition(_("This order is not paid by bank transfer."))
        _hold(notification, "not_transfer", order_id)
        return "not_transfer"
    balance = payment.amount - payment.amount_received
    waiting = order.status is OrderStatus.AWAITING_PAYMENT and payment.status in WAITING
    if not waiting:
        if actor is not None:
            raise InvalidTransition(_("This order is not awaiting payment."))
        expired = order.status is OrderStatus.CANCELLED and payment.status is PaymentStatus.EXPIRED
        if expired and amount == balance:
            return _after_expiry(unit, notification, order, payment, now)
        _hold(notification, "not_awaiting", order_id)
        return "not_awaiting"
    if amount > balance and actor is None:
        _hold(notification, "overpaid", order_id)
        return "overpaid"
    applied = min(amount, balance)
    if actor is None:
        _received(notification, order_id, applied)
    else:  # the money was posted unmatched when it was held: now it is the order's
        ledger.record_unmatched_assigned(
            key=_receipt(notification), amount=applied, order_id=order_id, created_by_id=actor.id
        )
    outcome = record_bank_transfer(unit, order, payment, applied)
    notification.order_id, notification.applied_amount = order_id, applied
    notification.outcome = outcome
    if actor is None:
        notification.status = NotificationStatus.APPLIED
    else:
        notification.status = NotificationStatus.ASSIGNED
        notification.resolved_at, notification.resolved_by_id = now, actor.id
        if amount > applied:
            ledger.record_refund_owed(
                key=f"overpaid:{_receipt(notification)}",
                amount=amount - applied,
                order_id=order_id,
                source="unmatched",
                memo="overpaid",
                created_by_id=actor.id,
            )
            _refund_task(notification, order_id, amount - applied, "overpaid")
    return outcome


def _after_expiry(
    unit: Unit,
    notification: BankNotification,
    order: Order,
    payment: Payment,
    now: datetime,
) -> str:
    order_id, amount = order.id, notification.amount
    notification.order_id = order_id
    if _reinstate(unit, order, payment, amount):
        _received(notification, order_id, amount)
        notification.status, notification.outcome = NotificationStatus.APPLIED, "reinstated"
        notification.applied_amount = amount
        record_decision(
            actor=None,
            action="transfer.reinstate",
            subject=order,
            from_status=OrderStatus.CANCELLED.value,
            to_status=OrderStatus.PLACED.value,
            data={"notification": notification.id, "amount": amount},
        )
        return "reinstated"
    notification.status, notification.outcome = NotificationStatus.REFUND, "refund_after_expiry"
    _received(notification, None, amount)
    ledger.record_refund_owed(
        key=f"after_expiry:{_receipt(notification)}",
        amount=amount,
        order_id=order_id,
        source="unmatched",
        memo="paid after the order expired",
    )
    _refund_task(notification, order_id, amount, "after_expiry")
    later(unit, notify.transfer_refund_due, order_id, amount)
    return "refund_after_expiry"


# --- the staff queue --------------------------------------------------------------------------


QUEUE_LIMIT = 200


@dataclass(frozen=True)
class TransferQueue:
    unmatched: list[BankNotification]
    refunds: list[RefundTask]


def transfer_queue() -> TransferQueue:
    """Unmatched transfers (oldest first) and open refund tasks, each list bounded, with the
    orders they name loaded in the same few queries."""
    unmatched = list(
        db.session.scalars(
            select(BankNotification)
            .where(BankNotification.status == NotificationStatus.UNMATCHED)
            .options(
                selectinload(BankNotification.order), selectinload(BankNotification.suggested_order)
            )
            .order_by(BankNotification.received_at, BankNotification.id)
            .limit(QUEUE_LIMIT)
        )
    )
    refunds = list(
        db.session.scalars(
            select(RefundTask)
            .where(RefundTask.status == RefundStatus.OPEN)
            .options(selectinload(RefundTask.order), selectinload(RefundTask.notification))
            .order_by(RefundTask.created_at, RefundTask.id)
            .limit(QUEUE_LIMIT)
        )
    )
    return TransferQueue(unmatched, refunds)


def unmatched_transfer(notification_id: int) -> BankNotification:
    notification = db.session.get(BankNotification, notification_id)
    if notification is None:
        raise NotFound(_("Transfer not found."))
    return notification


def open_refund(refund_id: int) -> RefundTask:
    task = db.session.get(RefundTask, refund_id)
    if task is None:
        raise NotFound(_("Refund task not found."))
    return task


@dataclass(frozen=True)
class AssignPreview:
    notification: BankNotification
    order: Order
    balance: int
    applied: int
    excess: int


def _order_by_number(number: str) -> Order:
    order = db.session.scalar(select(Order).where(Order.number == normalise_order_number(number)))
    if order is None:
        raise InvalidInput(_("No order has this number."))
    return order


def _require_unmatched(notification: BankNotification) -> None:
    if notification.status is not NotificationStatus.UNMATCHED:
        raise InvalidTransition(_("This transfer has already been dealt with."))


def preview_assignment(notification_id: int, order_number: str) -> AssignPreview:
    """What assigning would do (nothing changes): refused as the assignment itself would be."""
    notification = unmatched_transfer(notification_id)
    _require_unmatched(notification)
    order = _order_by_number(order_number)
    payment = next((p for p in reversed(order.payments) if p.provider == VIETQR), None)
    if payment is None or order.payment_method is not PaymentMethod.TRANSFER:
        raise InvalidTransition(_("This order is not paid by bank transfer."))
    if order.status is not OrderStatus.AWAITING_PAYMENT or payment.status not in WAITING:
        raise InvalidTransition(_("This order is not awaiting payment."))
    balance = payment.amount - payment.amount_received
    applied = min(balance, notification.amount)
    return AssignPreview(notification, order, balance, applied, notification.amount - applied)


def assign_transfer(
    notification_id: int, order_number: str, *, actor: User, now: datetime | None = None
) -> Applied:
    """Staff apply an unmatched transfer to an order awaiting payment: as if it had carried
    the order's code; an excess over the balance becomes a refund task. Audited."""
    now = now or utcnow()
    with unit_of_work(writer=True) as unit:
        notification = _locked_notification(notification_id)
        if notification is None:
            raise NotFound(_("Transfer not found."))
        _require_unmatched(notification)
        order = _order_by_number(order_number)
        order_id, number = order.id, order.number
        outcome = _apply(unit, notification, order_id, now=now, actor=actor)
        applied = notification.applied_amount
        subject = db.session.get(Order, order_id)
        assert subject is not None  # never deleted
        record_decision(
            actor=actor,
            action="transfer.assign",
            subject=subject,
            from_status=NotificationStatus.UNMATCHED.value,
            to_status=outcome,
            data={
                "notification": notification.id,
                "transaction": notification.transaction_id,
                "order": number,
                "amount": notification.amount,
                "applied": applied,
                "refund": notification.amount - applied,
            },
        )
    return Applied(outcome, applied, notification.amount - applied)


def refund_transfer(
    notification_id: int, note: str, *, actor: User, now: datetime | None = None
) -> RefundTask:
    """Staff mark an unmatched transfer to be sent back (a note saying why is required)."""
    note = (note or "").strip()
    if not note:
        raise InvalidInput(_("Write a note: why is this transfer refunded, and to whom?"))
    if len(note) > 2000:
        raise InvalidInput(_("The note is too long (2,000 characters at most)."))
    now = now or utcnow()
    with unit_of_work(writer=True):
        notification = _locked_notification(notification_id)
        if notification is None:
            raise NotFound(_("Transfer not found."))
        _require_unmatched(notification)
        notification.status = NotificationStatus.REFUND
        notification.resolved_at, notification.resolved_by_id = now, actor.id
        notification.note = note
        ledger.record_refund_owed(
            key=f"marked:{_receipt(notification)}",
            amount=notification.amount,
            order_id=notification.order_id,
            source="unmatched",
            memo="marked for refund by staff",
            created_by_id=actor.id,
        )
        task = _refund_task(notification, notification.order_id, notification.amount, "staff", note)
        db.session.flush()
        record_decision(
            actor=actor,
            action="transfer.refund",
            subject=notification,
            from_status=NotificationStatus.UNMATCHED.value,
            to_status=NotificationStatus.REFUND.value,
            reason=note,
            data={
                "transaction": notification.transaction_id,
                "amount": notification.amount,
                "refund_task": task.id,
            },
        )
    return task


def close_refund(refund_id: int, note: str, *, actor: User, now: datetime | None = None) -> None:
    """Staff record that a refund task's money was sent back (with the bank's reference)."""
    note = (note or "").strip()
    if not note:
        raise InvalidInput(_("Write a note: how was the money sent back (bank reference)?"))
    if len(note) > 2000:
        raise InvalidInput(_("The note is too long (2,000 characters at most)."))
    now = now or utcnow()
    with unit_of_work(writer=True):
        done = db.session.execute(
            update(RefundTask)
            .where(RefundTask.id == refund_id, RefundTask.status == RefundStatus.OPEN)
            .values(status=RefundStatus.REFUNDED, done_at=now, done_by_id=actor.id, done_note=note)
            .execution_options(synchronize_session=False)
        )
        if rows_matched(done) != 1:
            open_refund(refund_id)  # NotFound if there is none
            raise InvalidTransition(_("This refund has already been recorded."))
        task = open_refund(refund_id)
        db.session.refresh(task)
        ledger.record_refund_sent(
            key=f"refund_task:{task.id}",
            amount=task.amount,
            order_id=task.order_id,
            occurred_at=now,
            memo=note[:200],
            created_by_id=actor.id,
        )
        record_decision(
            actor=actor,
            action="refund.done",
            subject=task,
            from_status=RefundStatus.OPEN.value,
            to_status=RefundStatus.REFUNDED.value,
            reason=note,
            data={"amount": task.amount, "order": task.order_id, "reason": task.reason},
        )


# --- what does not match (the reconciliation's report) ----------------------------------------


@dataclass(frozen=True)
class Mismatch:
    kind: str  # unmatched, partly_paid_expired, refund_open, paid_not_placed
    id: int
    amount: int
    detail: str


def transfer_mismatches(*, now: datetime | None = None) -> list[Mismatch]:
    """Transfers and payments that do not match, for `flask payments reconcile`: unmatched
    notifications, partly-paid payments past their expiry, open refund tasks, and transfer
    payments marked paid whose order is not placed."""
    now = now or utcnow()
    found: list[Mismatch] = []
    for n in db.session.scalars(
        select(BankNotification)
        .where(BankNotification.status == NotificationStatus.UNMATCHED)
        .order_by(BankNotification.id)
    ):
        found.append(
            Mismatch(
                "unmatched",
                n.id,
                n.amount,
                f"{n.transaction_id} {n.transaction_date} {n.outcome}: {n.content[:80]}",
            )
        )
    for payment, number in db.session.execute(
        select(Payment, Order.number)
        .join(Order, Order.id == Payment.order_id)
        .where(
            Payment.provider == VIETQR,
            Payment.status == PaymentStatus.PARTLY_PAID,
            Payment.expires_at < now,
        )
        .order_by(Payment.id)
    ):
        expires = aware(payment.expires_at)
        found.append(
            Mismatch(
                "partly_paid_expired",
                payment.id,
                payment.amount_received,
                f"order {number}: {payment.amount_received} of {payment.amount}"
                f" received, expired {expires:%Y-%m-%d %H:%M} UTC",
            )
        )
    for task, number in db.session.execute(
        select(RefundTask, Order.number)
        .outerjoin(Order, Order.id == RefundTask.order_id)
        .where(RefundTask.status == RefundStatus.OPEN)
        .order_by(RefundTask.id)
    ):
        found.append(
            Mismatch("refund_open", task.id, task.amount, f"{task.reason} order {number or '-'}")
        )
    for payment_id, amount, number, status in db.session.execute(
        select(Payment.id, Payment.amount_received, Order.number, Order.status)
        .join(Order, Order.id == Payment.order_id)
        .where(
            Payment.provider == VIETQR,
            Payment.status == PaymentStatus.PAID,
            Order.status != OrderStatus.PLACED,
        )
        .order_by(Payment.id)
    ):
        found.append(Mismatch("paid_not_placed", payment_id, amount, f"order {number} {status}"))
    end_read()
    return found
