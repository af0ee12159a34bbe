"""The seller's dashboard figures: listing counts, open shipments, sales by Vietnamese month,
expiring certificates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from storefront.domain.workspace import dashboard, month_bounds
from storefront.models import (
    CertificateStatus,
    ListingStatus,
    Order,
    OrderStatus,
    Shipment,
    ShipmentStatus,
)
from tests.fixtures import factories
from tests.fixtures.seller import seller
from tests.fixtures.shop import buy


def test_listing_counts_follow_visibility(app, db):
    _user, coop = seller()
    factories.listing(coop=coop)  # live
    factories.listing(coop=coop, packages=[{"stock": 0}])  # on sale, sold out: hidden
    factories.listing(
        coop=coop, cert=factories.certificate(coop, status=CertificateStatus.SUBMITTED)
    )
    factories.listing(coop=coop, status=ListingStatus.PAUSED)
    factories.listing(coop=coop, status=ListingStatus.DRAFT)
    factories.listing(coop=coop, status=ListingStatus.DRAFT)
    factories.listing(coop=coop, status=ListingStatus.ARCHIVED, cert=False)
    factories.listing()  # another cooperative's
    figures = dashboard(coop.id)
    assert (figures.live, figures.on_sale_hidden, figures.paused, figures.drafts) == (1, 2, 1, 2)


def test_open_shipments_and_sales_this_month(app, db):
    _user, coop = seller()
    listing = factories.listing(coop=coop, packages=[{"price": 150_000, "stock": 50}])
    other = factories.listing(packages=[{"price": 99_000, "stock": 50}])
    package = listing.packages[0]

    buy((package, 2), (other.packages[0], 1))  # 300.000 ₫ for this cooperative
    buy((package, 1))  # 150.000 ₫
    cancelled = buy((package, 3))
    shipped = buy((package, 1))
    old = buy((package, 4))

    db.session.execute(
        update(Order).where(Order.id == cancelled.id).values(status=OrderStatus.CANCELLED)
    )
    db.session.execute(
        update(Shipment)
        .where(Shipment.order_id == shipped.id)
        .values(status=ShipmentStatus.DELIVERED)
    )
    now = datetime.now(UTC)
    start, _end = month_bounds(now)
    db.session.execute(
        update(Order).where(Order.id == old.id).values(created_at=start - timedelta(seconds=1))
    )
    db.session.commit()

    figures = dashboard(coop.id, now=now)
    # first, second, old are open (old is last month's, but still to send); shipped is done.
    assert figures.open_shipments == 3
    assert figures.sales_this_month == 300_000 + 150_000 + 150_000  # shipped counts as a sale


def test_month_bounds_are_vietnam_months():
    # 31 January 17:30 UTC is already 1 February 00:30 in Vietnam: February's sales.
    start, end = month_bounds(datetime(2026, 1, 31, 17, 30, tzinfo=UTC))
    assert start == datetime(2026, 1, 31, 17, 0, tzinfo=UTC)  # 1 February 00:00 in Vietnam
    assert end == datetime(2026, 2, 28, 17, 0, tzinfo=UTC)
    start, end = month_bounds(datetime(2026, 12, 15, tzinfo=UTC))
    assert (start.month, end.year, end.month) == (11, 2026, 12)  # 30 Nov 17:00 → 31 Dec 17:00
