"""A cooperative's public page: who it is, the OCOP certificates it holds now and its public
products, as cards (cached per catalog version like every other card)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from storefront.core import clock
from storefront.core.errors import NotFound
from storefront.domain.catalog.cards import ListingCard, public_cards
from storefront.domain.catalog.visibility import public_listing_clause
from storefront.domain.cooperatives.members import can_preview
from storefront.extensions import db
from storefront.models import (
    Certificate,
    CertificateStatus,
    Cooperative,
    CooperativeStatus,
    Listing,
    User,
)


@dataclass(frozen=True)
class CooperativePage:
    cooperative: Cooperative
    # Verified and valid today: what a buyer can check on /verify/<number>. Submitted,
    # rejected, revoked and expired ones are the cooperative's business, not the public's.
    certificates: list[Certificate]
    cards: list[ListingCard]  # its public listings, by name
    preview: bool  # not approved: shown only to its members and PFA staff


def cooperative_page(slug: str, viewer: User | None) -> CooperativePage:
    """The page of the cooperative `slug`: public once approved; before that (or when
    rejected or suspended) only its members and PFA staff see it, marked as a preview;
    anyone else gets NotFound."""
    coop = db.session.scalar(
        # AdminUnit.parent is joined by the relationship itself: commune and province at once.
        select(Cooperative).where(Cooperative.slug == slug).options(joinedload(Cooperative.commune))
    )
    if coop is None:
        raise NotFound("cooperative")
    preview = coop.status is not CooperativeStatus.APPROVED
    if preview and not can_preview(viewer, coop.id):
        raise NotFound("cooperative")
    today = clock.today()
    certificates = list(
        db.session.scalars(
            select(Certificate)
            .where(
                Certificate.cooperative_id == coop.id,
                Certificate.status == CertificateStatus.VERIFIED,
                Certificate.expires_on >= today,
            )
            .order_by(Certificate.stars.desc(), Certificate.product_name, Certificate.id)
        )
    )
    ids = list(
        db.session.scalars(
            select(Listing.id)
            .where(Listing.cooperative_id == coop.id, public_listing_clause(today))
            .order_by(Listing.name, Listing.id)
        )
    )
    return CooperativePage(coop, certificates, public_cards(ids), preview)
