"""Catalog queries: public listings loaded with everything a product card shows."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ..extensions import db
from ..models import AdminUnit, Cooperative, Listing
from ..visibility import public_listings


def card_loader_options():
    """Eager loads for a product card: a fixed number of queries whatever the page size."""
    return (
        joinedload(Listing.cooperative).load_only(Cooperative.legal_name, Cooperative.slug),
        joinedload(Listing.certificate),
        joinedload(Listing.origin_commune).joinedload(AdminUnit.parent),
        selectinload(Listing.packages),
        selectinload(Listing.images),
    )


def newest_public_listings(limit: int = 12) -> list[Listing]:
    stmt = (
        public_listings()
        .options(*card_loader_options())
        .order_by(Listing.created_at.desc(), Listing.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt).unique())


def count_public_listings() -> int:
    from sqlalchemy import func

    return db.session.scalar(select(func.count()).select_from(public_listings().subquery()))
