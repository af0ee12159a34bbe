"""The one rule for when a listing is public (DESIGN.md); catalog, search, sitemap, cart and
checkout all ask here."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Date,
    Select,
    and_,
    bindparam,
    exists,
    or_,
    select,
)

from storefront.extensions import db
from storefront.models import (
    Certificate,
    CertificateStatus,
    Cooperative,
    CooperativeStatus,
    Listing,
    ListingStatus,
    Package,
)

SHOP_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def shop_today(now: datetime | None = None) -> date:
    """Today in Vietnam: a certificate expires at midnight Asia/Ho_Chi_Minh, not UTC."""
    return (now or datetime.now(SHOP_TZ)).astimezone(SHOP_TZ).date()


def public_listing_clause(
    today: date | BindParameter[date] | None = None,
) -> ColumnElement[bool]:
    """A WHERE clause true exactly for public listings.

    Public while: the cooperative is approved, the certificate is verified and not expired
    (expiry is derived from the date), the listing is active, and at least one package is in
    stock or on pre-order.
    """
    today = today if today is not None else shop_today()
    return and_(
        Listing.status == ListingStatus.ACTIVE,
        exists().where(
            Cooperative.id == Listing.cooperative_id,
            Cooperative.status == CooperativeStatus.APPROVED,
        ),
        exists().where(
            Certificate.id == Listing.certificate_id,
            Certificate.cooperative_id == Listing.cooperative_id,
            Certificate.status == CertificateStatus.VERIFIED,
            Certificate.expires_on >= today,
        ),
        exists().where(
            Package.listing_id == Listing.id,
            or_(Package.stock > 0, Package.preorder.is_(True)),
        ),
    )


def public_listings(today: date | None = None) -> Select[Listing]:
    """SELECT of the public listings, to refine with filters, ordering and paging."""
    return select(Listing).where(public_listing_clause(today))


@lru_cache(maxsize=1)
def _public_ids_statement() -> Select[int]:
    # Built once with bound parameters: SQLAlchemy then reuses its compiled form instead of
    # re-deriving a cache key for a fresh statement tree on every call.
    return select(Listing.id).where(
        Listing.id.in_(bindparam("ids", expanding=True)),
        public_listing_clause(bindparam("today", type_=Date)),
    )


def public_listing_ids(ids: Iterable[int], today: date | None = None) -> set[int]:
    """Those of `ids` that are public now (one query), e.g. to re-check a cart."""
    ids = list(ids)
    if not ids:
        return set()
    rows = db.session.scalars(
        _public_ids_statement(), {"ids": ids, "today": today or shop_today()}
    )
    return set(rows)


def is_public(listing_id: int, today: date | None = None) -> bool:
    return listing_id in public_listing_ids([listing_id], today)


def hidden_reasons(listing: Listing, today: date | None = None) -> list[str]:
    """Codes of what keeps `listing` from being public; empty when it is public.

    Mirrors public_listing_clause for the seller's checklist; a test keeps the two in step.
    """
    today = today or shop_today()
    reasons = []
    if listing.cooperative.status is not CooperativeStatus.APPROVED:
        reasons.append("cooperative_not_approved")
    cert = listing.certificate
    if cert is None or cert.cooperative_id != listing.cooperative_id:
        reasons.append("no_certificate")
    elif cert.status is not CertificateStatus.VERIFIED:
        reasons.append(f"certificate_{cert.status.value}")
    elif cert.expires_on < today:
        reasons.append("certificate_expired")
    if listing.status is not ListingStatus.ACTIVE:
        reasons.append(f"listing_{listing.status.value}")
    if not listing.packages:
        reasons.append("no_package")
    elif not any(p.available for p in listing.packages):
        reasons.append("sold_out")
    return reasons
