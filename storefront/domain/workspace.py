"""What a cooperative's dashboard shows: listings live, paused and in draft, open shipments,
this month's sales, buyers' average rating and the share of reviews answered, certificates
about to expire, and packages running low."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import func, select

from storefront.core import clock
from storefront.domain.catalog.listings import low_stock_packages, status_counts
from storefront.domain.catalog.reviews import CooperativeRatings, cooperative_ratings
from storefront.domain.certificates.submissions import expiring_certificates
from storefront.extensions import db
from storefront.models import (
    Certificate,
    Order,
    OrderLine,
    OrderStatus,
    Package,
    Shipment,
    ShipmentStatus,
)

CLOSED_SHIPMENTS = (ShipmentStatus.DELIVERED, ShipmentStatus.CANCELLED)


@dataclass
class Dashboard:
    live: int  # public right now, by the visibility rule
    on_sale_hidden: int  # put on sale, but something (certificate, stock...) keeps it hidden
    paused: int
    drafts: int
    open_shipments: int
    sales_this_month: int  # đồng
    expiring: list[Certificate]
    low_stock: list[Package]
    ratings: CooperativeRatings  # its visible reviews: count, average, answered


def month_bounds(now: datetime) -> tuple[datetime, datetime]:
    """The start of this month and of the next, in Vietnam, as UTC instants."""
    local = now.astimezone(clock.zone())
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if start.month == 12:
        next_month = start.replace(year=start.year + 1, month=1)
    else:
        next_month = start.replace(month=start.month + 1)
    return start.astimezone(UTC), next_month.astimezone(UTC)


def open_shipment_count(cooperative_id: int) -> int:
    """Shipments the cooperative still has to fulfil: not delivered or cancelled, of orders
    placed (a card order still waiting for its payment is not theirs to pack yet)."""
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Shipment)
            .join(Order, Order.id == Shipment.order_id)
            .where(
                Shipment.cooperative_id == cooperative_id,
                Shipment.status.not_in(CLOSED_SHIPMENTS),
                Order.status == OrderStatus.PLACED,
            )
        )
        or 0
    )


def sales_in(cooperative_id: int, start: datetime, end: datetime) -> int:
    """Đồng sold by the cooperative in [start, end): its lines of orders not cancelled."""
    total = db.session.scalar(
        select(func.coalesce(func.sum(OrderLine.unit_price * OrderLine.quantity), 0))
        .select_from(OrderLine)
        .join(Shipment, Shipment.id == OrderLine.shipment_id)
        .join(Order, Order.id == OrderLine.order_id)
        .where(
            Shipment.cooperative_id == cooperative_id,
            Shipment.status != ShipmentStatus.CANCELLED,
            Order.status != OrderStatus.CANCELLED,
            Order.created_at >= start,
            Order.created_at < end,
        )
    )
    return int(total or 0)


def dashboard(cooperative_id: int, now: datetime | None = None) -> Dashboard:
    now = now or clock.now()
    today: date = clock.today(now)
    counts = status_counts(cooperative_id)
    start, end = month_bounds(now)
    return Dashboard(
        live=counts["live"],
        on_sale_hidden=counts["active"] - counts["live"],
        paused=counts["paused"],
        drafts=counts["draft"],
        open_shipments=open_shipment_count(cooperative_id),
        sales_this_month=sales_in(cooperative_id, start, end),
        expiring=expiring_certificates(cooperative_id, today),
        low_stock=low_stock_packages(cooperative_id),
        ratings=cooperative_ratings(cooperative_id),
    )
