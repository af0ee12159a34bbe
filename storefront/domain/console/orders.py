"""PFA read model for orders: finding one (number, phone, e-mail), the ones with a refund
still owed, and one order with everything the console shows of it."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, exists, func, or_, select
from sqlalchemy.orm import selectinload

from storefront.core.errors import NotFound
from storefront.domain.console.queues import Page, _paginate
from storefront.domain.orders.lifecycle import normalise_order_number
from storefront.extensions import db
from storefront.models import (
    Order,
    OrderStatus,
    Payment,
    PaymentMethod,
    PaymentStatus,
    Shipment,
    ShipmentStatus,
    User,
)


def refund_owed_clause() -> ColumnElement[bool]:
    """A card order with money to give back: cancelled and still paid, or a part cancelled on
    its own whose refund has not gone out."""
    still_paid = exists().where(
        Payment.order_id == Order.id,
        Payment.provider == "stripe",
        Payment.status == PaymentStatus.PAID,
    )
    part_owed = exists().where(
        Shipment.order_id == Order.id,
        Shipment.status == ShipmentStatus.CANCELLED,
        Shipment.refund_due > 0,
        Shipment.refund_id.is_(None),
    )
    return (Order.payment_method == PaymentMethod.CARD) & (
        ((Order.status == OrderStatus.CANCELLED) & still_paid) | part_owed
    )


def order_list(q: str = "", *, refunds_owed: bool = False, page: int = 1) -> Page:
    """Orders, newest first: matching `q` (order number, phone digits or e-mail), or only
    those with a refund owed."""
    stmt = select(Order).options(selectinload(Order.shipments), selectinload(Order.payments))
    q = (q or "").strip()[:100]
    if q:
        digits = "".join(ch for ch in q if ch.isdigit() and ch.isascii())
        if digits.startswith("84") and len(digits) > 9:
            digits = "0" + digits[2:]
        conditions = [
            Order.number == normalise_order_number(q),
            func.lower(Order.email) == User.normalize_email(q),
        ]
        if len(digits) >= 9:
            conditions.append(Order.phone == digits)
        stmt = stmt.where(or_(*conditions))
    if refunds_owed:
        stmt = stmt.where(refund_owed_clause())
    return _paginate(stmt.order_by(Order.created_at.desc(), Order.id.desc()), page, scalars=True)


def order_for_console(number: str) -> Order:
    order = db.session.scalar(
        select(Order)
        .where(Order.number == normalise_order_number(number))
        .options(
            selectinload(Order.lines),
            selectinload(Order.shipments).selectinload(Shipment.lines),
            selectinload(Order.payments),
        )
    )
    if order is None:
        raise NotFound(_("Order not found."))
    return order
