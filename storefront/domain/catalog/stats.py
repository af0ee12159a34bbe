"""Listing stats: sold counts from shipped and delivered order lines, the rounded figure a
shopper sees ("Đã bán 1,2k"), and the recompute of every listing's stats from the rows.

The sold count moves in the transaction that ships a shipment (orders/fulfilment.py); a
cancellation only ever takes a shipment that was not shipped (new or packed), so nothing is
taken off. The ratings (count, sum, 1–5 histogram of visible reviews) are kept by the writing
side of reviews; `rebuild_stats` recomputes both from the rows (`flask stats rebuild`).

Only what a shopper sees of these counts is a catalog change (domain/catalog/changes.py):
the rounded sold figure (`shown_sold`) and the ratings, so a sale from 1 234 to 1 235 keeps
every cached page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from storefront.core.db import unit_of_work
from storefront.core.formatting import rating_tenths, shown_sold
from storefront.extensions import db
from storefront.models import (
    ListingStats,
    OrderLine,
    Review,
    ReviewStatus,
    Shipment,
    ShipmentStatus,
)

__all__ = ["Summary", "rating_tenths", "rebuild_stats", "record_shipped", "shown_sold"]

SOLD_STATUSES = (ShipmentStatus.SHIPPED, ShipmentStatus.DELIVERED)
RATING_COLUMNS = (
    "rating_count",
    "rating_sum",
    "rating_1",
    "rating_2",
    "rating_3",
    "rating_4",
    "rating_5",
)


@dataclass(frozen=True, slots=True)
class Summary:
    """What a card or a product page shows of a listing's stats."""

    rating_count: int = 0
    rating_sum: int = 0
    sold: int = 0  # shown_sold of the count
    histogram: tuple[int, int, int, int, int] = (0, 0, 0, 0, 0)  # 1..5

    @property
    def tenths(self) -> int:
        return rating_tenths(self.rating_sum, self.rating_count)

    @property
    def average(self) -> float | None:
        return self.tenths / 10 if self.rating_count else None


def summary_of(stats: ListingStats | None) -> Summary:
    if stats is None:
        return Summary()
    return Summary(
        rating_count=stats.rating_count,
        rating_sum=stats.rating_sum,
        sold=shown_sold(stats.sold_count),
        histogram=(stats.rating_1, stats.rating_2, stats.rating_3, stats.rating_4, stats.rating_5),
    )


def ensure_rows(listing_ids: list[int]) -> None:
    """A stats row for each listing (zeros), whoever else creates one at the same moment. A
    row of zeros shows nothing new, so it is no catalog change."""
    ids = sorted(set(listing_ids))
    if not ids:
        return
    table = cast(Table, ListingStats.__table__)
    rows = [{"listing_id": i, "updated_at": func.now()} for i in ids]
    session = db.session
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table).values(rows).on_conflict_do_nothing(index_elements=["listing_id"])
    session.execute(statement)


def record_shipped(shipment_id: int) -> None:
    """Add a shipment's quantities to its listings' sold counts, in the caller's transaction
    (the one that moved the shipment to shipped). Rows are touched in listing id order, so
    two shipments shipped at once take their locks in the same order."""
    session = db.session
    rows = [
        (int(listing_id), int(quantity or 0))
        for listing_id, quantity in session.execute(
            select(OrderLine.listing_id, func.sum(OrderLine.quantity))
            .where(OrderLine.shipment_id == shipment_id, OrderLine.listing_id.is_not(None))
            .group_by(OrderLine.listing_id)
            .order_by(OrderLine.listing_id)
        )
        if listing_id is not None
    ]
    if not rows:
        return
    ensure_rows([listing_id for listing_id, _ in rows])
    for listing_id, quantity in rows:
        # An ORM UPDATE: changes.py compares what a shopper sees before and after it.
        session.execute(
            update(ListingStats)
            .where(ListingStats.listing_id == listing_id)
            .values(sold_count=ListingStats.sold_count + quantity)
            .execution_options(synchronize_session=False)
        )


def computed_stats() -> dict[int, dict[str, int]]:
    """Every listing's stats as the rows say: visible reviews, and the quantities of lines
    whose shipment is shipped or delivered."""
    session = db.session
    stats: dict[int, dict[str, int]] = {}

    def row(listing_id: int | None) -> dict[str, int]:
        assert listing_id is not None  # the queries leave out lines of deleted listings
        return stats.setdefault(
            listing_id, {"sold_count": 0, **{name: 0 for name in RATING_COLUMNS}}
        )

    sold = session.execute(
        select(OrderLine.listing_id, func.sum(OrderLine.quantity))
        .join(Shipment, Shipment.id == OrderLine.shipment_id)
        .where(Shipment.status.in_(SOLD_STATUSES), OrderLine.listing_id.is_not(None))
        .group_by(OrderLine.listing_id)
    )
    for listing_id, quantity in sold:
        row(listing_id)["sold_count"] = int(quantity or 0)
    ratings = session.execute(
        select(
            Review.listing_id,
            func.count(),
            func.sum(Review.rating),
            *(func.sum(case((Review.rating == n, 1), else_=0)) for n in range(1, 6)),
        )
        .where(Review.status == ReviewStatus.VISIBLE, Review.listing_id.is_not(None))
        .group_by(Review.listing_id)
    )
    for listing_id, count, total, *histogram in ratings:
        values = row(listing_id)
        values["rating_count"], values["rating_sum"] = int(count), int(total or 0)
        for n, value in enumerate(histogram, start=1):
            values[f"rating_{n}"] = int(value or 0)
    return stats


def rebuild_stats() -> int:
    """Recompute every listing's stats from the rows (a backfill, or a repair); one unit of
    work. Only rows whose values differ are written, so only the listings whose shown figures
    moved are catalog changes. Returns how many rows were written."""
    with unit_of_work(writer=True):
        wanted = computed_stats()
        existing = {stats.listing_id: stats for stats in db.session.scalars(select(ListingStats))}
        written = 0
        for listing_id in sorted(set(wanted) | set(existing)):
            values = wanted.get(listing_id) or {
                "sold_count": 0,
                **{name: 0 for name in RATING_COLUMNS},
            }
            stats = existing.get(listing_id)
            if stats is None:
                if not any(values.values()):
                    continue
                db.session.add(ListingStats(listing_id=listing_id, **values))
                written += 1
            elif any(getattr(stats, name) != value for name, value in values.items()):
                for name, value in values.items():
                    setattr(stats, name, value)
                written += 1
    return written
