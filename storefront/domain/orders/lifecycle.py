"""Orders after placement: who may see them, their overall status, cancelling and expiring
unpaid ones. Every state change is a guarded UPDATE, so each happens exactly once."""

from __future__ import annotations

import secrets
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, and_, exists, func, or_, select, update
from sqlalchemy.orm import selectinload

from storefront.core.db import end_read, rows_matched, unit_of_work
from storefront.core.errors import InvalidPhone, InvalidTransition, NotFound
from storefront.core.phones import normalize_vn_phone
from storefront.domain import notifications as notify
from storefront.domain.jobs import later
from storefront.domain.ledger import postings as ledger
from storefront.extensions import db
from storefront.models import (
    CANCELLED_BY_BUYER,
    Order,
    OrderLine,
    OrderStatus,
    Package,
    Payment,
    PaymentMethod,
    PaymentStatus,
    Shipment,
    ShipmentStatus,
    utcnow,
)

# Printable and unambiguous: no 0/O, no 1/I. 32 symbols × 10 = 50 bits, not guessable.
ORDER_NUMBER_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
ORDER_NUMBER_LENGTH = 10

SHIPPED_OR_LATER = (ShipmentStatus.SHIPPED, ShipmentStatus.DELIVERED)


def new_order_number() -> str:
    """A fresh order number, checked unused (add-only: runs inside the placement's unit)."""
    while True:
        number = "".join(secrets.choice(ORDER_NUMBER_ALPHABET) for _ in range(ORDER_NUMBER_LENGTH))
        if not db.session.scalar(select(exists().where(Order.number == number))):
            return number


def normalise_order_number(raw: str) -> str:
    """What a person typed: spaces and dashes dropped, upper case, O→0-free lookalikes kept."""
    return "".join(ch for ch in (raw or "").upper() if ch.isalnum())[:16]


# --- who may see an order -----------------------------------------------------------------


def _order_query(number: str) -> Select[Order]:
    return (
        select(Order)
        .where(Order.number == normalise_order_number(number))
        .options(
            selectinload(Order.lines),
            # Each shipment's lines too: the order page lists them per cooperative.
            selectinload(Order.shipments).selectinload(Shipment.lines),
            selectinload(Order.payments),
        )
    )


def order_for_viewer(number: str, *, user_id: int | None, granted: Collection[str] = ()) -> Order:
    """The order, if the viewer owns it or proved it in this browser session (placed it,
    opened its signed link, or gave its number and phone); otherwise NotFound, so that numbers
    cannot be probed."""
    order = db.session.scalar(_order_query(number))
    if order is None:
        raise NotFound(_("Order not found."))
    owns = order.user_id is not None and order.user_id == user_id
    if not owns and order.number not in granted:
        raise NotFound(_("Order not found."))
    return order


def find_guest_order(number: str, phone: str) -> Order:
    """The order with this number and phone (typed in any usual Vietnamese way: "0912 345
    678", "+84 912 345 678"), or NotFound: the same answer for a wrong number, a wrong phone
    and a phone that is not one, so that neither can be probed."""
    try:
        phone = normalize_vn_phone(phone)
    except InvalidPhone:
        phone = ""
    order = db.session.scalar(
        select(Order).where(Order.number == normalise_order_number(number), Order.phone == phone)
    )
    if order is None or not phone:
        raise NotFound(_("No order matches this order number and phone number."))
    return order


def orders_of_user(user_id: int) -> list[Order]:
    return list(
        db.session.scalars(
            select(Order)
            .where(Order.user_id == user_id)
            .options(
                selectinload(Order.lines),
                selectinload(Order.shipments),
                selectinload(Order.payments),
            )
            .order_by(Order.created_at.desc(), Order.id.desc())
        )
    )


# --- derived status -----------------------------------------------------------------------


def order_progress(order: Order) -> str:
    """The order's overall status, derived from its state and its shipments'."""
    if order.status is OrderStatus.CANCELLED:
        return "cancelled"
    if order.status is OrderStatus.AWAITING_PAYMENT:
        return "awaiting_payment"
    statuses = [s.status for s in order.shipments if s.status is not ShipmentStatus.CANCELLED]
    if statuses and all(s is ShipmentStatus.DELIVERED for s in statuses):
        return "delivered"
    if statuses and all(s in SHIPPED_OR_LATER for s in statuses):
        return "shipped"
    if any(s in SHIPPED_OR_LATER for s in statuses):
        return "partly_shipped"
    if any(s is ShipmentStatus.PACKED for s in statuses):
        return "processing"
    return "placed"


def current_payment(order: Order) -> Payment | None:
    return order.payments[-1] if order.payments else None


def payment_state(order: Order) -> str:
    """What the buyer should read about the money."""
    payment = current_payment(order)
    if payment is None:
        return "none"
    if payment.status is PaymentStatus.REFUNDED:
        return "refunded"
    if payment.status is PaymentStatus.PAID:
        # Money taken for an order that is cancelled is owed back: the refund is under way.
        return "refund_pending" if order.status is OrderStatus.CANCELLED else "paid"
    if order.payment_method is PaymentMethod.COD:
        return "cod_cancelled" if order.status is OrderStatus.CANCELLED else "cod_due"
    if order.payment_method is PaymentMethod.TRANSFER:
        return _transfer_state(order, payment)
    if payment.status is PaymentStatus.PENDING:
        if order.status is OrderStatus.CANCELLED:
            return "not_paid"
        return "processing" if payment.provider_payment_id else "awaiting"
    return payment.status.value  # failed, expired


def _transfer_state(order: Order, payment: Payment) -> str:
    """A bank transfer not (fully) paid: waiting for it, part of it arrived, or over."""
    cancelled = order.status is OrderStatus.CANCELLED
    if payment.status is PaymentStatus.PARTLY_PAID:
        # Money arrived for an order that is cancelled: it is owed back.
        return "refund_pending" if cancelled else "partly_paid"
    if payment.status is PaymentStatus.PENDING:
        return "not_paid" if cancelled else "transfer_awaiting"
    if payment.status is PaymentStatus.EXPIRED:
        return "transfer_expired"
    return payment.status.value  # failed


def can_cancel(order: Order) -> bool:
    return order.status is not OrderStatus.CANCELLED and not any(
        s.status in SHIPPED_OR_LATER for s in order.shipments
    )


# --- cancelling (add-only helpers shared with payments) -------------------------------------


def move_order(
    order: Order, from_statuses: Iterable[OrderStatus], to: OrderStatus, **values: Any
) -> bool:
    """Guarded state change: true only for the one unit of work that made it."""
    result = db.session.execute(
        update(Order)
        .where(Order.id == order.id, Order.status.in_(list(from_statuses)))
        .values(status=to, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(order)
    return rows_matched(result) == 1


def restock(order_id: int, shipment_ids: Collection[int] | None = None) -> None:
    """Give back what the order's lines (or those of these shipments) took off stock,
    packages in id order (the order placement locks them in, so the two cannot deadlock).
    Called only by the unit of work whose guarded UPDATE cancelled them: exactly once."""
    stmt = select(OrderLine.package_id, func.sum(OrderLine.stock_taken)).where(
        OrderLine.order_id == order_id,
        OrderLine.package_id.is_not(None),
        OrderLine.stock_taken > 0,
    )
    if shipment_ids is not None:
        stmt = stmt.where(OrderLine.shipment_id.in_(list(shipment_ids)))
    rows = db.session.execute(
        stmt.group_by(OrderLine.package_id).order_by(OrderLine.package_id)
    ).all()
    for package_id, units in rows:
        db.session.execute(
            update(Package)
            .where(Package.id == package_id)
            .values(stock=Package.stock + int(units))
            .execution_options(synchronize_session=False)
        )


def cancel_and_restock(
    order: Order,
    *,
    from_statuses: Iterable[OrderStatus],
    now: datetime | None = None,
    cancelled_by: str = "",
    reason: str = "",
) -> bool:
    """Cancel the order, its parts not yet cancelled, and give their stock back; add-only,
    no commit.

    False when the order had already left `from_statuses` (someone else cancelled it first):
    then nothing is given back, which is what makes restocking happen exactly once. A part a
    cooperative cancelled earlier gave its stock back then and is left as it is.
    Raises InvalidTransition if a part has meanwhile been shipped.
    """
    order_id = order.id
    now = now or utcnow()
    if not move_order(
        order,
        from_statuses,
        OrderStatus.CANCELLED,
        cancelled_at=now,
        cancelled_by=cancelled_by,
        cancel_reason=reason,
    ):
        return False
    # Read after the order's row is ours: a part cancelled meanwhile has committed by now.
    parts = db.session.execute(
        select(Shipment.id, Shipment.status).where(Shipment.order_id == order_id)
    ).all()
    live = [shipment_id for shipment_id, status in parts if status is not ShipmentStatus.CANCELLED]
    cancelled = rows_matched(
        db.session.execute(
            update(Shipment)
            .where(
                Shipment.id.in_(live),
                Shipment.status.in_([ShipmentStatus.NEW, ShipmentStatus.PACKED]),
            )
            .values(
                status=ShipmentStatus.CANCELLED,
                updated_at=utcnow(),
                cancelled_at=now,
                cancelled_by=cancelled_by,
                cancel_reason=reason,
            )
            .execution_options(synchronize_session=False)
        )
    )
    if cancelled != len(live):
        # A cooperative shipped its part while we were cancelling: the whole unit rolls back.
        raise InvalidTransition(_("Part of this order has already been shipped."))
    restock(order_id, live)
    # Money the ledger holds for the order (paid ahead) is owed back to the buyer.
    ledger.record_order_refund_owed(order_id, key="cancelled", occurred_at=now)
    return True


@dataclass(frozen=True)
class Cancelled:
    order_id: int
    number: str
    was_placed: bool  # cooperatives had been told to fulfil it
    settle_payment: bool  # a card payment to refund, or a checkout page to close


def cancel_order(
    number: str, *, user_id: int | None, granted: Collection[str] = (), now: datetime | None = None
) -> Cancelled:
    """The buyer cancels before anything is shipped: stock back once, shipments cancelled.

    Commits once. A card payment is then settled outside the transaction by
    payments.services.settle_cancelled_order (refund, or closing the checkout page).
    """
    with unit_of_work(writer=True) as unit:
        order = order_for_viewer(number, user_id=user_id, granted=granted)
        if order.status is OrderStatus.CANCELLED:
            raise InvalidTransition(_("This order is already cancelled."))
        if not can_cancel(order):
            raise InvalidTransition(_("Part of this order has already been shipped."))
        was_placed = order.status is OrderStatus.PLACED
        order_id, order_number = order.id, order.number
        card = order.payment_method is PaymentMethod.CARD
        if not cancel_and_restock(
            order,
            from_statuses=(OrderStatus.AWAITING_PAYMENT, OrderStatus.PLACED),
            now=now,
            cancelled_by=CANCELLED_BY_BUYER,
        ):
            raise InvalidTransition(_("This order changed meanwhile; please reload the page."))
        # Buyer (and the cooperatives, if they had been told to fulfil it) hear of it.
        later(unit, notify.order_cancelled, order_id, tell_cooperatives=was_placed)
    return Cancelled(order_id, order_number, was_placed=was_placed, settle_payment=card)


# --- unpaid card and bank transfer orders -----------------------------------------------------


def _abandoned(payment: Payment) -> bool:
    """A pending payment nothing has come of: a card attempt with no payment in flight, or a
    bank transfer of which not one đồng arrived (a partly paid one is money received: the
    reconciliation settles it, never this job)."""
    if payment.status is not PaymentStatus.PENDING:
        return False
    if payment.provider == "vietqr":
        return payment.amount_received == 0
    return payment.provider == "stripe" and payment.provider_payment_id is None


def expire_unpaid_orders(now: datetime | None = None) -> list[str]:
    """Cancel and restock card orders whose checkout page expired, and bank transfer orders
    whose hold (VIETQR_TRANSFER_HOLD_MINUTES) ran out, plus a grace period, with no payment:
    the payment becomes "expired" and the buyer is told. One unit of work per order;
    idempotent. Returns the cancelled numbers."""
    now = now or utcnow()
    grace = timedelta(minutes=int(current_app.config["UNPAID_ORDER_GRACE_MINUTES"]))
    candidates = db.session.execute(
        select(Order.id, Payment.id)
        .join(Payment, Payment.order_id == Order.id)
        .where(
            Order.status == OrderStatus.AWAITING_PAYMENT,
            Payment.status == PaymentStatus.PENDING,
            or_(
                and_(
                    Payment.provider == "stripe",
                    # A completed session with an asynchronous payment in flight is not
                    # abandoned.
                    Payment.provider_payment_id.is_(None),
                ),
                and_(Payment.provider == "vietqr", Payment.amount_received == 0),
            ),
            Payment.expires_at < now - grace,
        )
        .order_by(Order.id)
    ).all()
    end_read()  # each order below is a unit of work of its own
    expired = []
    for order_id, payment_id in candidates:
        with unit_of_work(writer=True) as unit:
            # Payment row first, then the order: the same lock order as the webhook.
            payment = db.session.get(
                Payment, payment_id, with_for_update=True, populate_existing=True
            )
            order = db.session.get(Order, order_id)
            assert payment is not None and order is not None  # selected above, never deleted
            number = order.number
            # Checked again on the locked row: a bank notification may have come meanwhile.
            done = _abandoned(payment) and cancel_and_restock(
                order, from_statuses=(OrderStatus.AWAITING_PAYMENT,), now=now
            )
            if done:
                payment.status = PaymentStatus.EXPIRED
                later(unit, notify.order_cancelled, order_id)
        if done:
            expired.append(number)
    return expired
