"""Demo reviews and sales (data/reviews.toml): delivered orders of some listings, buyers'
reviews of them (some answered by the cooperative), and the listings' stats computed from
those rows, so "Đã bán 1,5k" and the ratings on cards agree with the demo's orders.

Idempotent: a listing that already has a review is left as it is.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib.resources import files
from typing import Any

from sqlalchemy import select

from storefront.domain.catalog.stats import rebuild_stats
from storefront.domain.ledger.postings import recognise_shipment_sale
from storefront.extensions import db
from storefront.models import (
    Listing,
    Order,
    OrderLine,
    OrderStatus,
    PaymentMethod,
    Review,
    Shipment,
    ShipmentStatus,
    User,
)

# Where the demo's guest buyers live (the address is what the order snapshots).
DEMO_STREET = "Số 5 phố Lý Thường Kiệt"
DEMO_ADDRESS = "Số 5 phố Lý Thường Kiệt, Phường Hoàn Kiếm, Thành phố Hà Nội"
# The earlier buyers of a listing (reviews.toml `sold` beyond its reviews): orders of at most
# this many, as a cash-on-delivery order may hold (COD_MAX_UNITS_PER_PACKAGE), spread over
# the past year.
EARLIER_ORDER_UNITS = 10
EARLIER_BUYERS = ("Trần Văn Minh", "Phạm Thị Hoa", "Lê Quốc Bảo", "Đỗ Thu Hằng", "Vũ Đức Anh")


@dataclass(frozen=True)
class ReviewSpec:
    author: str
    rating: int
    days_ago: int
    body: str = ""
    answer: str = ""
    quantity: int = 1
    customer: bool = False


@dataclass(frozen=True)
class ListingReviews:
    slug: str
    sold: int
    reviews: tuple[ReviewSpec, ...]


def review_specs() -> tuple[ListingReviews, ...]:
    raw: dict[str, Any] = tomllib.loads(
        (files("storefront.demo") / "data" / "reviews.toml").read_text("utf-8")
    )
    return tuple(
        ListingReviews(
            slug=item["slug"],
            sold=int(item.get("sold", 0)),
            reviews=tuple(ReviewSpec(**review) for review in item.get("review", [])),
        )
        for item in raw.get("listing", [])
    )


class _Orders:
    def __init__(self, now: datetime) -> None:
        self.now = now
        self.made = 0
        self.shipments: list[tuple[Shipment, datetime]] = []

    def delivered(
        self, listing: Listing, quantity: int, days_ago: int, buyer: User | None, name: str
    ) -> OrderLine:
        """One delivered cash-on-delivery order of `quantity` of the listing's first package."""
        package = listing.packages[0]
        when = self.now - timedelta(days=days_ago)
        total = package.price * quantity
        self.made += 1
        order = Order(
            number=f"DEMO{listing.id:05d}{self.made:04d}",
            user_id=buyer.id if buyer else None,
            email=buyer.email if buyer else f"khach{self.made}@demo.ocop.vn",
            phone="0912345678",
            recipient=buyer.name if buyer else name,
            street=DEMO_STREET,
            address_text=DEMO_ADDRESS,
            payment_method=PaymentMethod.COD,
            status=OrderStatus.PLACED,
            subtotal=total,
            total=total,
            created_at=when - timedelta(days=3),
            updated_at=when,
        )
        shipment = Shipment(
            order=order,
            cooperative_id=listing.cooperative_id,
            cooperative_name=listing.cooperative.legal_name,
            status=ShipmentStatus.DELIVERED,
            subtotal=total,
            packed_at=when - timedelta(days=2),
            shipped_at=when - timedelta(days=2),
            delivered_at=when,
            cash_collected_at=when,
        )
        cert = listing.certificate
        line = OrderLine(
            order=order,
            shipment=shipment,
            package_id=package.id,
            listing_id=listing.id,
            product_name=listing.name,
            package_label=package.label,
            weight_grams=package.weight_grams,
            unit_price=package.price,
            quantity=quantity,
            cooperative_id=listing.cooperative_id,
            cooperative_name=listing.cooperative.legal_name,
            certificate_number=cert.number if cert else "",
            stars=cert.stars if cert else 0,
            origin=listing.origin_recorded or listing.origin_commune.name,
            stock_taken=quantity,
        )
        db.session.add(order)
        self.shipments.append((shipment, when))
        return line

    def post_sales(self) -> None:
        """Their cash was collected: each sale in its cooperative's ledger, as a real one is
        (once the orders are flushed, one flush for all)."""
        for shipment, when in self.shipments:
            recognise_shipment_sale(shipment.id, occurred_at=when)


def seed_reviews(customer: User, now: datetime) -> dict[str, int]:
    """Delivered orders and reviews for the listings of reviews.toml that have none yet;
    then every listing's stats from the rows. Inside the caller's unit of work."""
    wanted = review_specs()
    listings = {
        listing.slug: listing
        for listing in db.session.scalars(
            select(Listing).where(Listing.slug.in_([w.slug for w in wanted]))
        )
    }
    reviewed = set(
        db.session.scalars(
            select(Review.listing_id).where(
                Review.listing_id.in_([i.id for i in listings.values()])
            )
        )
    )
    orders = _Orders(now)
    made = {"reviews": 0, "demo orders": 0}
    for spec in wanted:
        listing = listings.get(spec.slug)
        if listing is None or listing.id in reviewed or not listing.packages:
            continue
        in_reviews = sum(review.quantity for review in spec.reviews)
        earlier = spec.sold - in_reviews  # earlier buyers who did not write a review
        n = 0
        while earlier > 0:
            quantity = min(earlier, 1 + (n * 7) % EARLIER_ORDER_UNITS)
            buyer_name = EARLIER_BUYERS[n % len(EARLIER_BUYERS)]
            orders.delivered(listing, quantity, 40 + (n * 37) % 320, None, buyer_name)
            earlier -= quantity
            n += 1
        for review in spec.reviews:
            buyer = customer if review.customer else None
            line = orders.delivered(listing, review.quantity, review.days_ago, buyer, review.author)
            written = now - timedelta(days=review.days_ago) + timedelta(hours=20)
            db.session.add(
                Review(
                    order_line=line,
                    listing_id=listing.id,
                    cooperative_id=listing.cooperative_id,
                    user_id=buyer.id if buyer else None,
                    author_name=review.author,
                    rating=review.rating,
                    body=review.body,
                    package_label=line.package_label,
                    answer=review.answer,
                    answered_at=written + timedelta(hours=5) if review.answer else None,
                    created_at=written,
                    updated_at=written,
                )
            )
            made["reviews"] += 1
    made["demo orders"] = orders.made
    db.session.flush()
    orders.post_sales()
    rebuild_stats()  # joins the caller's unit: committed with the rest
    return made
