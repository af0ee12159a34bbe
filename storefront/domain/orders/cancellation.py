"""Cancelling after placement by the shop's side: a cooperative cancels its own part of an
order not yet shipped, PFA staff or an admin any order or any part. A reason is required;
stock comes back exactly once; the buyer (and, when staff cancel, the cooperative) is told by
e-mail after the commit; every cancellation is in the audit trail.

Lock order, shared with the buyer's cancellation (lifecycle.cancel_order): the order's row
first, then its parts, then the packages in id order. Two cancellations of one part queue on
the order's row; the second finds the part cancelled and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from storefront.core.db import Unit, rows_matched, unit_of_work
from storefront.core.errors import InvalidInput, InvalidTransition, NotFound
from storefront.domain import notifications as notify
from storefront.domain.audit import record_decision
from storefront.domain.decisions import REASON_MAX_LENGTH, require_staff
from storefront.domain.jobs import later
from storefront.domain.ledger import postings as ledger
from storefront.domain.orders.fulfilment import shipment_for_member
from storefront.domain.orders.lifecycle import (
    SHIPPED_OR_LATER,
    Cancelled,
    cancel_and_restock,
    current_payment,
    move_order,
    normalise_order_number,
    restock,
)
from storefront.domain.status_labels import shipment_status_label
from storefront.extensions import db
from storefront.models import (
    CANCELLED_BY_COOPERATIVE,
    CANCELLED_BY_STAFF,
    Order,
    OrderStatus,
    PaymentMethod,
    PaymentStatus,
    Shipment,
    ShipmentStatus,
    User,
    utcnow,
)

CANCELLABLE = (ShipmentStatus.NEW, ShipmentStatus.PACKED)


@dataclass(frozen=True)
class PartCancelled:
    order_id: int
    number: str
    shipment_id: int
    order_cancelled: bool  # it was the last part still open: the whole order is cancelled
    refund_due: int  # đồng owed back on the card (0 for cash on delivery)


def _reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Please give the reason for the cancellation."), field="reason")
    if len(reason) > REASON_MAX_LENGTH:
        raise InvalidInput(
            _("The reason is too long (%(num)d characters at most).", num=REASON_MAX_LENGTH),
            field="reason",
        )
    return reason


def can_cancel_part(shipment: Shipment) -> bool:
    """Whether the part shows a cancel button: its order placed, the part not yet shipped."""
    return shipment.order.status is OrderStatus.PLACED and shipment.status in CANCELLABLE


def cancel_shipment(
    shipment_id: int, reason: str | None, *, user_id: int, now: datetime | None = None
) -> PartCancelled:
    """A member of the shipment's cooperative cancels it before it is shipped. Commits once.

    NotFound for another cooperative's shipment (whatever the id); InvalidInput without a
    reason; InvalidTransition once it is shipped, delivered or cancelled. Nothing changes on
    any refusal. A card payment's share is refunded after the commit by
    payments.card.settle_cancelled_order."""
    with unit_of_work(writer=True) as unit:
        shipment = shipment_for_member(shipment_id, user_id)
        return _cancel_part(
            unit,
            shipment,
            _reason(reason),
            actor=db.session.get(User, user_id),
            cancelled_by=CANCELLED_BY_COOPERATIVE,
            now=now or utcnow(),
        )


def cancel_shipment_as_staff(
    shipment_id: int,
    reason: str | None,
    *,
    actor: User,
    order_number: str | None = None,
    now: datetime | None = None,
) -> PartCancelled:
    """PFA staff or an admin cancel one cooperative's part of any order (same rules); the
    cooperative is told too. With `order_number`, a part of another order is NotFound."""
    require_staff(actor)
    with unit_of_work(writer=True) as unit:
        shipment = db.session.get(Shipment, shipment_id)
        if shipment is None or (
            order_number is not None
            and shipment.order.number != normalise_order_number(order_number)
        ):
            raise NotFound(_("Shipment not found."))
        return _cancel_part(
            unit,
            shipment,
            _reason(reason),
            actor=actor,
            cancelled_by=CANCELLED_BY_STAFF,
            now=now or utcnow(),
        )


def _locked_order(order_id: int) -> Order:
    order = db.session.scalar(
        select(Order)
        .where(Order.id == order_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert order is not None  # a shipment always belongs to an order
    return order


def _cancel_part(
    unit: Unit,
    shipment: Shipment,
    reason: str,
    *,
    actor: User | None,
    cancelled_by: str,
    now: datetime,
) -> PartCancelled:
    order = _locked_order(shipment.order_id)
    if order.status is OrderStatus.CANCELLED:
        raise InvalidTransition(_("This order is already cancelled."))
    if order.status is not OrderStatus.PLACED:
        raise InvalidTransition(
            _("This order is not paid yet: cancel the whole order instead of one part.")
        )
    payment = current_payment(order)
    card_paid = (
        order.payment_method is PaymentMethod.CARD
        and payment is not None
        and payment.status is PaymentStatus.PAID
    )
    refund_due = shipment.subtotal + shipment.shipping_fee if card_paid else 0
    before = db.session.scalar(select(Shipment.status).where(Shipment.id == shipment.id))
    moved = rows_matched(
        db.session.execute(
            update(Shipment)
            .where(Shipment.id == shipment.id, Shipment.status.in_(CANCELLABLE))
            .values(
                status=ShipmentStatus.CANCELLED,
                cancelled_at=now,
                cancelled_by=cancelled_by,
                cancel_reason=reason,
                refund_due=refund_due,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
    )
    if moved != 1:
        raise InvalidTransition(
            _("This shipment is already %(status)s.", status=shipment_status_label(before))
        )
    restock(order.id, [shipment.id])
    ledger.record_part_refund_owed(shipment.id, occurred_at=now)
    still_open = db.session.scalar(
        select(func.count())
        .select_from(Shipment)
        .where(Shipment.order_id == order.id, Shipment.status != ShipmentStatus.CANCELLED)
    )
    order_id, number = order.id, order.number
    order_cancelled = not still_open and move_order(
        order,
        (OrderStatus.PLACED,),
        OrderStatus.CANCELLED,
        cancelled_at=now,
        cancelled_by=cancelled_by,
        cancel_reason=reason,
    )
    if order_cancelled:
        # Whatever the ledger still holds for the order (nothing, when every part's share
        # was owed back on its own) is owed back too.
        ledger.record_order_refund_owed(order_id, key="cancelled", occurred_at=now)
    record_decision(
        actor=actor,
        action="shipment.cancel",
        subject=shipment,
        from_status=str(before.value if before else ""),
        to_status=ShipmentStatus.CANCELLED.value,
        reason=reason,
        data={"order": number, "by": cancelled_by, "refund_due": refund_due},
    )
    later(
        unit,
        notify.shipment_cancelled,
        shipment.id,
        tell_cooperative=cancelled_by == CANCELLED_BY_STAFF,
    )
    return PartCancelled(order_id, number, shipment.id, order_cancelled, refund_due)


def cancel_order_as_staff(
    number: str, reason: str | None, *, actor: User, now: datetime | None = None
) -> Cancelled:
    """PFA staff or an admin cancel a whole order (awaiting payment or placed) before any part
    is shipped. Commits once; the buyer and the cooperatives are told; a card payment is
    settled after the commit (payments.card.settle_cancelled_order)."""
    require_staff(actor)
    now = now or utcnow()
    with unit_of_work(writer=True) as unit:
        order = db.session.scalar(
            select(Order).where(Order.number == normalise_order_number(number))
        )
        if order is None:
            raise NotFound(_("Order not found."))
        reason = _reason(reason)
        if order.status is OrderStatus.CANCELLED:
            raise InvalidTransition(_("This order is already cancelled."))
        if any(s.status in SHIPPED_OR_LATER for s in order.shipments):
            raise InvalidTransition(
                _(
                    "Part of this order has already been shipped: cancel the parts not yet"
                    " shipped one by one."
                )
            )
        before = order.status
        was_placed = before is OrderStatus.PLACED
        order_id, order_number = order.id, order.number
        card = order.payment_method is PaymentMethod.CARD
        cooperatives = sorted({s.cooperative_id for s in order.shipments})
        if not cancel_and_restock(
            order,
            from_statuses=(OrderStatus.AWAITING_PAYMENT, OrderStatus.PLACED),
            now=now,
            cancelled_by=CANCELLED_BY_STAFF,
            reason=reason,
        ):
            raise InvalidTransition(_("This order changed meanwhile; please reload the page."))
        record_decision(
            actor=actor,
            action="order.cancel",
            subject=order,
            from_status=before.value,
            to_status=OrderStatus.CANCELLED.value,
            reason=reason,
            data={"order": order_number, "cooperatives": cooperatives},
        )
        later(unit, notify.order_cancelled, order_id, tell_cooperatives=was_placed)
    return Cancelled(order_id, order_number, was_placed=was_placed, settle_payment=card)
