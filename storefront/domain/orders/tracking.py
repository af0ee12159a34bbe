"""What the buyer's order page shows: each shipment's steps with their dates, the photo of
each line's product, and where the order stands (progress, payment, whether it can still be
cancelled). Read-only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from storefront.core.db import aware
from storefront.domain.catalog.visibility import public_listing_clause
from storefront.domain.orders.lifecycle import can_cancel, order_progress, payment_state
from storefront.extensions import db
from storefront.models import (
    Listing,
    ListingImage,
    Order,
    OrderStatus,
    PhotoStatus,
    Shipment,
    ShipmentStatus,
)

# A shipment's way to the buyer, in order; a cancelled one stops at "cancelled".
STEPS = ("placed", "packed", "shipped", "delivered")
_REACHED = {
    ShipmentStatus.NEW: 1,
    ShipmentStatus.PACKED: 2,
    ShipmentStatus.SHIPPED: 3,
    ShipmentStatus.DELIVERED: 4,
}


@dataclass(frozen=True)
class Step:
    key: str  # placed | packed | shipped | delivered | cancelled
    state: str  # done | current | todo | cancelled
    at: datetime | None  # aware; None when not reached or not recorded


@dataclass(frozen=True)
class LinePhoto:
    filename: str | None  # the cover photo's stored name
    slug: str | None  # the product page, while the listing is public


@dataclass(frozen=True)
class OrderView:
    order: Order
    placed_at: datetime  # aware
    cancelled_at: datetime | None  # aware
    progress: str
    payment: str
    can_cancel: bool
    timelines: dict[int, list[Step]]  # by shipment id
    photos: dict[int, LinePhoto]  # by listing id


def shipment_steps(order: Order, shipment: Shipment) -> list[Step]:
    """placed → packed → shipped → delivered, each done (with its date when recorded), the
    last one reached current; or placed → cancelled."""
    placed_at = aware(order.created_at)
    if shipment.status is ShipmentStatus.CANCELLED:
        return [
            Step("placed", "done", placed_at),
            Step("cancelled", "cancelled", aware(shipment.cancelled_at or order.cancelled_at)),
        ]
    reached = _REACHED[shipment.status]
    if order.status is OrderStatus.AWAITING_PAYMENT:
        reached = 1
    dates = {
        "placed": placed_at,
        "packed": aware(shipment.packed_at),
        "shipped": aware(shipment.shipped_at),
        "delivered": aware(shipment.delivered_at),
    }
    steps = []
    for index, key in enumerate(STEPS, start=1):
        if index < reached:
            state = "done"
        elif index == reached:
            state = "current"
        else:
            state = "todo"
        steps.append(Step(key, state, dates[key] if index <= reached else None))
    return steps


def line_photos(order: Order) -> dict[int, LinePhoto]:
    """Each ordered listing's cover photo, and its page while it is public (two queries)."""
    listing_ids = sorted({line.listing_id for line in order.lines if line.listing_id})
    if not listing_ids:
        return {}
    covers: dict[int, str] = {}
    for listing_id, filename in db.session.execute(
        select(ListingImage.listing_id, ListingImage.filename)
        .where(
            ListingImage.listing_id.in_(listing_ids),
            ListingImage.status == PhotoStatus.READY,
        )
        .order_by(ListingImage.listing_id, ListingImage.position, ListingImage.id)
    ):
        covers.setdefault(listing_id, filename)
    public = {
        listing_id: slug
        for listing_id, slug in db.session.execute(
            select(Listing.id, Listing.slug).where(
                Listing.id.in_(listing_ids), public_listing_clause()
            )
        )
    }
    return {
        listing_id: LinePhoto(covers.get(listing_id), public.get(listing_id))
        for listing_id in listing_ids
    }


def order_view(order: Order) -> OrderView:
    """Everything the order page shows about `order` (already loaded with its lines,
    shipments and payments)."""
    return OrderView(
        order=order,
        placed_at=aware(order.created_at),
        cancelled_at=aware(order.cancelled_at),
        progress=order_progress(order),
        payment=payment_state(order),
        can_cancel=can_cancel(order),
        timelines={s.id: shipment_steps(order, s) for s in order.shipments},
        photos=line_photos(order),
    )
