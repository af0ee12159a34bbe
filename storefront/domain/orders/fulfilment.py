"""Cooperatives fulfil their own shipments: new → packed → shipped → delivered, and for cash
on delivery, cash collected. Only members of the shipment's cooperative may move it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import joinedload, selectinload

from storefront.core.db import rows_matched, unit_of_work
from storefront.core.errors import InvalidInput, InvalidTransition, NotFound
from storefront.domain import notifications as notify
from storefront.domain.catalog.stats import record_shipped
from storefront.domain.jobs import later
from storefront.domain.ledger import postings as ledger
from storefront.domain.status_labels import shipment_status_label
from storefront.extensions import db
from storefront.models import (
    CooperativeMember,
    Order,
    OrderStatus,
    Payment,
    PaymentMethod,
    PaymentStatus,
    Shipment,
    ShipmentStatus,
    limits,
    utcnow,
)

# Which states each step may start from; anything else is refused (forward only).
STEPS: dict[str, tuple[tuple[ShipmentStatus, ...], ShipmentStatus]] = {
    "pack": ((ShipmentStatus.NEW,), ShipmentStatus.PACKED),
    "ship": ((ShipmentStatus.NEW, ShipmentStatus.PACKED), ShipmentStatus.SHIPPED),
    "deliver": ((ShipmentStatus.SHIPPED,), ShipmentStatus.DELIVERED),
}


def _member_clause(user_id: int) -> ColumnElement[bool]:
    return Shipment.cooperative_id.in_(
        select(CooperativeMember.cooperative_id).where(CooperativeMember.user_id == user_id)
    )


def shipments_for_member(
    user_id: int,
    *,
    cooperative_id: int | None = None,
    statuses: Iterable[ShipmentStatus] | None = None,
) -> list[Shipment]:
    """The shipments of the cooperatives `user_id` works for (or of one of them), newest
    first. Unpaid card orders are left out: nothing is fulfilled before it is paid."""
    stmt = (
        select(Shipment)
        .join(Order, Order.id == Shipment.order_id)
        .where(_member_clause(user_id), Order.status != OrderStatus.AWAITING_PAYMENT)
        .options(joinedload(Shipment.order), selectinload(Shipment.lines))
        .order_by(Shipment.created_at.desc(), Shipment.id.desc())
    )
    if cooperative_id is not None:
        stmt = stmt.where(Shipment.cooperative_id == cooperative_id)
    if statuses:
        stmt = stmt.where(Shipment.status.in_(list(statuses)))
    return list(db.session.scalars(stmt).unique())


def shipment_for_member(shipment_id: int, user_id: int) -> Shipment:
    """One shipment of the user's own cooperative; NotFound for any other, whatever the id."""
    shipment = db.session.scalar(
        select(Shipment)
        .where(Shipment.id == shipment_id, _member_clause(user_id))
        .options(joinedload(Shipment.order), selectinload(Shipment.lines))
    )
    if shipment is None or shipment.order.status is OrderStatus.AWAITING_PAYMENT:
        raise NotFound(_("Shipment not found."))
    return shipment


def allowed_steps(shipment: Shipment) -> list[str]:
    """The buttons the seller sees."""
    if shipment.order.status is not OrderStatus.PLACED:
        return []
    steps = [name for name, (sources, _to) in STEPS.items() if shipment.status in sources]
    if (
        shipment.order.payment_method is PaymentMethod.COD
        and shipment.status in (ShipmentStatus.SHIPPED, ShipmentStatus.DELIVERED)
        and shipment.cash_collected_at is None
    ):
        steps.append("collect_cash")
    return steps


def advance_shipment(
    shipment_id: int,
    step: str,
    *,
    user_id: int,
    carrier: str = "",
    tracking_number: str = "",
    now: datetime | None = None,
) -> Shipment:
    """Move a shipment one step ("pack", "ship", "deliver") or record "collect_cash".

    Commits once. The guarded UPDATE (status still one it may leave, order still placed)
    makes a double click or a race with the buyer's cancellation fail cleanly. The caller
    Every change is e-mailed to the buyer once committed.
    """
    now = now or utcnow()
    with unit_of_work(writer=True) as unit:
        shipment = shipment_for_member(shipment_id, user_id)
        if shipment.order.status is not OrderStatus.PLACED:
            raise InvalidTransition(_("This order is not open for fulfilment."))
        if step == "collect_cash":
            _collect_cash(shipment, now)
        elif step in STEPS:
            values: dict[str, Any] = {}
            if step == "ship":
                # The carrier is required; a tracking number only when the carrier gives one
                # (a cooperative delivering its parcels itself has none to give).
                carrier, tracking_number = carrier.strip(), tracking_number.strip()
                if not carrier:
                    raise InvalidInput(
                        _("Enter who delivers the parcel: the carrier, or that you deliver it."),
                        field="carrier",
                    )
                if len(carrier) > limits.CARRIER:
                    raise InvalidInput(_("80 characters at most."), field="carrier")
                if len(tracking_number) > limits.TRACKING_NUMBER:
                    raise InvalidInput(_("80 characters at most."), field="tracking_number")
                # Shipped straight from "new": it was packed then too, so the step has a date.
                values = {
                    "carrier": carrier,
                    "tracking_number": tracking_number,
                    "shipped_at": now,
                    "packed_at": func.coalesce(Shipment.packed_at, now),
                }
            elif step == "pack":
                values = {"packed_at": now}
            elif step == "deliver":
                values = {"delivered_at": now}
            sources, target = STEPS[step]
            moved = rows_matched(
                db.session.execute(
                    update(Shipment)
                    .where(
                        Shipment.id == shipment.id,
                        Shipment.status.in_(list(sources)),
                        # The buyer's cancellation moves the order first: then nothing ships.
                        Shipment.order_id.in_(
                            select(Order.id).where(Order.status == OrderStatus.PLACED)
                        ),
                    )
                    .values(status=target, updated_at=now, **values)
                    .execution_options(synchronize_session=False)
                )
            )
            if moved != 1:
                raise InvalidTransition(
                    _("This shipment is already %(status)s.", status=_status_label(shipment))
                )
            if step == "ship":
                # "Đã bán N" counts shipped and delivered quantities, moved with the status.
                record_shipped(shipment.id)
            if step == "deliver" and shipment.order.payment_method is not PaymentMethod.COD:
                # Paid ahead: the sale is the cooperative's once delivered (COD: once the
                # cash is collected, below).
                ledger.recognise_shipment_sale(shipment.id, occurred_at=now, created_by_id=user_id)
        else:
            raise InvalidInput(_("Unknown action."))
        later(unit, notify.shipment_changed, shipment_id)
    return shipment


def _collect_cash(shipment: Shipment, now: datetime) -> None:
    order = shipment.order
    if order.payment_method is not PaymentMethod.COD:
        raise InvalidTransition(_("This order was paid by card."))
    moved = rows_matched(
        db.session.execute(
            update(Shipment)
            .where(
                Shipment.id == shipment.id,
                Shipment.cash_collected_at.is_(None),
                Shipment.status.in_([ShipmentStatus.SHIPPED, ShipmentStatus.DELIVERED]),
            )
            .values(cash_collected_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    )
    if moved != 1:
        raise InvalidTransition(_("Cash for this shipment is already recorded."))
    ledger.recognise_shipment_sale(shipment.id, occurred_at=now)
    # Cash for every shipment is in: the order's cash-on-delivery payment is paid.
    outstanding = db.session.scalar(
        select(Shipment.id)
        .where(
            Shipment.order_id == order.id,
            Shipment.status != ShipmentStatus.CANCELLED,
            Shipment.cash_collected_at.is_(None),
        )
        .limit(1)
    )
    if outstanding is None:
        db.session.execute(
            update(Payment)
            .where(
                Payment.order_id == order.id,
                Payment.provider == "cod",
                Payment.status == PaymentStatus.PENDING,
            )
            .values(status=PaymentStatus.PAID, updated_at=now)
            .execution_options(synchronize_session=False)
        )


def _status_label(shipment: Shipment) -> str:
    """The shipment's status as the pages name it ("Đã gửi"), from the one list of labels."""
    db.session.refresh(shipment, ["status"])  # where the UPDATE found it, not where we did
    return shipment_status_label(shipment.status)
