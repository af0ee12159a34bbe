"""The one rule for when a listing is public (DESIGN.md); catalog, search, sitemap, cart and
checkout all ask here."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from enum import StrEnum
from functools import lru_cache

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

from storefront.core import clock
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


def public_listing_clause(
    today: date | BindParameter[date] | None = None, *, stock: bool = True
) -> ColumnElement[bool]:
    """A WHERE clause true exactly for public listings.

    Public while: the cooperative is approved, the certificate is verified and not expired
    (expiry is derived from the date), the listing is active, and at least one package is in
    stock or on pre-order. `stock=False` leaves out the last condition (see
    public_listing_ids).
    """
    today = today if today is not None else clock.today()
    conditions = [
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
    ]
    if stock:
        conditions.append(
            exists().where(
                Package.listing_id == Listing.id,
                or_(Package.stock > 0, Package.preorder.is_(True)),
            )
        )
    return and_(*conditions)


def public_listings(today: date | None = None) -> Select[Listing]:
    """SELECT of the public listings, to refine with filters, ordering and paging."""
    return select(Listing).where(public_listing_clause(today))


@lru_cache(maxsize=2)
def _public_ids_statement(stock: bool) -> Select[int]:
    # Built once with bound parameters: SQLAlchemy then reuses its compiled form instead of
    # re-deriving a cache key for a fresh statement tree on every call.
    return select(Listing.id).where(
        Listing.id.in_(bindparam("ids", expanding=True)),
        public_listing_clause(bindparam("today", type_=Date), stock=stock),
    )


def public_listing_ids(
    ids: Iterable[int], today: date | None = None, *, stock: bool = True
) -> set[int]:
    """Those of `ids` that are public now (one query), e.g. to re-check a cart.

    `stock=False` is for cart lines, whose own package's stock the caller checks: a line's
    package in stock (or on pre-order) already makes its listing meet the stock condition.
    Reading the stock a second time here could disagree with the first read: under READ
    COMMITTED the last unit can sell between the two statements, and a sold-out line would
    be called "not on sale any more".
    """
    ids = list(ids)
    if not ids:
        return set()
    rows = db.session.scalars(
        _public_ids_statement(stock), {"ids": ids, "today": today or clock.today()}
    )
    return set(rows)


def is_public(listing_id: int, today: date | None = None) -> bool:
    return listing_id in public_listing_ids([listing_id], today)


class HiddenReason(StrEnum):
    """What keeps a listing from being public: one per condition of public_listing_clause."""

    COOPERATIVE_NOT_APPROVED = "cooperative_not_approved"
    NO_CERTIFICATE = "no_certificate"  # none chosen, or another cooperative's
    CERTIFICATE_SUBMITTED = "certificate_submitted"
    CERTIFICATE_REJECTED = "certificate_rejected"
    CERTIFICATE_REVOKED = "certificate_revoked"
    CERTIFICATE_EXPIRED = "certificate_expired"
    LISTING_DRAFT = "listing_draft"
    LISTING_PAUSED = "listing_paused"
    LISTING_ARCHIVED = "listing_archived"
    NO_PACKAGE = "no_package"
    SOLD_OUT = "sold_out"  # every package out of stock, none on pre-order


_CERTIFICATE_REASONS = {
    CertificateStatus.SUBMITTED: HiddenReason.CERTIFICATE_SUBMITTED,
    CertificateStatus.REJECTED: HiddenReason.CERTIFICATE_REJECTED,
    CertificateStatus.REVOKED: HiddenReason.CERTIFICATE_REVOKED,
}
_LISTING_REASONS = {
    ListingStatus.DRAFT: HiddenReason.LISTING_DRAFT,
    ListingStatus.PAUSED: HiddenReason.LISTING_PAUSED,
    ListingStatus.ARCHIVED: HiddenReason.LISTING_ARCHIVED,
}


def hidden_reasons(listing: Listing, today: date | None = None) -> list[HiddenReason]:
    """What keeps `listing` from being public; empty when it is public.

    Mirrors public_listing_clause for the seller's checklist; a test keeps the two in step.
    """
    today = today or clock.today()
    reasons = []
    if listing.cooperative.status is not CooperativeStatus.APPROVED:
        reasons.append(HiddenReason.COOPERATIVE_NOT_APPROVED)
    cert = listing.certificate
    if cert is None or cert.cooperative_id != listing.cooperative_id:
        reasons.append(HiddenReason.NO_CERTIFICATE)
    elif cert.status is not CertificateStatus.VERIFIED:
        reasons.append(_CERTIFICATE_REASONS[cert.status])
    elif cert.expires_on < today:
        reasons.append(HiddenReason.CERTIFICATE_EXPIRED)
    if listing.status is not ListingStatus.ACTIVE:
        reasons.append(_LISTING_REASONS[listing.status])
    if not listing.packages:
        reasons.append(HiddenReason.NO_PACKAGE)
    elif not any(p.available for p in listing.packages):
        reasons.append(HiddenReason.SOLD_OUT)
    return reasons
