"""Catalog queries: public listings loaded with everything a page shows, in few queries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import aliased, joinedload, selectinload
from sqlalchemy.orm.interfaces import LoaderOption

from storefront.core.errors import NotFound
from storefront.core.text import unit_sort_key
from storefront.domain.catalog.visibility import public_listing_clause, public_listings
from storefront.domain.cooperatives.members import can_preview
from storefront.extensions import db
from storefront.models import AdminUnit, Cooperative, Listing, ListingStats, User

if TYPE_CHECKING:
    pass


def card_loader_options() -> tuple[LoaderOption, ...]:
    """Eager loads for a product card: two queries whatever the page size (the packages,
    a few a listing, joined in the listings' own; the photos after them)."""
    return (
        joinedload(Listing.cooperative).load_only(Cooperative.legal_name, Cooperative.slug),
        joinedload(Listing.certificate),
        joinedload(Listing.origin_commune),
        joinedload(Listing.packages),
        selectinload(Listing.images),
    )


def detail_loader_options() -> tuple[LoaderOption, ...]:
    """Everything the product page shows, in one query."""
    return (
        joinedload(Listing.cooperative),
        joinedload(Listing.certificate),
        joinedload(Listing.origin_commune),
        # The pre-2025 commune's district and province, in the same query (the relationship's
        # own join depth stops one short of the province from here).
        joinedload(Listing.origin_legacy_commune)
        .joinedload(AdminUnit.parent)
        .joinedload(AdminUnit.parent),
        joinedload(Listing.packages),
        joinedload(Listing.images),
    )


def public_listings_by_ids(ids: list[int]) -> list[tuple[Listing, ListingStats | None]]:
    """Load listings for cards in the order of `ids`, with their stats (ratings, sold; joined
    in the same query), dropping any that are not public now.

    Search results pass through here, so a stale index can never show a hidden listing.
    """
    if not ids:
        return []
    stmt = (
        public_listings()
        .where(Listing.id.in_(ids))
        .outerjoin(ListingStats, ListingStats.listing_id == Listing.id)
        .add_columns(ListingStats)
        .options(*card_loader_options())
    )
    by_id = {listing.id: (listing, stats) for listing, stats in db.session.execute(stmt).unique()}
    return [by_id[i] for i in ids if i in by_id]


@dataclass
class ListingView:
    listing: Listing
    preview: bool  # not public: shown only to its cooperative and PFA staff, clearly marked
    stats: ListingStats | None = None  # ratings and sold count (None: nothing yet)


def listing_for_view(slug: str, viewer: User | None) -> ListingView:
    """The product page's listing: public, or a preview for those allowed; else NotFound."""

    def load(stmt: Select[Any]) -> tuple[Listing, ListingStats | None] | None:
        """The listing and its stats, in one query."""
        return (
            db.session.execute(
                stmt.where(Listing.slug == slug)
                .outerjoin(ListingStats, ListingStats.listing_id == Listing.id)
                .add_columns(ListingStats)
                .options(*detail_loader_options())
            )
            .unique()
            .first()
        )
        return None if row is None else (row[0], row[1])

    row = load(public_listings())
    if row is not None:
        return ListingView(row[0], preview=False, stats=row[1])
    row = load(select(Listing))
    if row is not None and can_preview(viewer, row[0].cooperative_id):
        return ListingView(row[0], preview=True, stats=row[1])
    raise NotFound("listing")


@dataclass
class OriginNode:
    code: int
    name: str
    count: int
    children: list[OriginNode]


def origin_tree() -> list[OriginNode]:
    """Provinces → communes (current units) with their number of public listings; one query."""
    commune = aliased(AdminUnit)
    province = aliased(AdminUnit)
    rows = db.session.execute(
        select(province.code, province.name, commune.code, commune.name, func.count(Listing.id))
        .select_from(Listing)
        .join(commune, commune.id == Listing.origin_commune_id)
        .join(province, province.id == commune.province_id)
        .where(public_listing_clause())
        .group_by(province.code, province.name, commune.code, commune.name)
        .order_by(province.name, commune.name)
    ).all()
    provinces: dict[int, OriginNode] = {}
    for p_code, p_name, c_code, c_name, count in rows:
        node = provinces.setdefault(p_code, OriginNode(p_code, p_name, 0, []))
        node.children.append(OriginNode(c_code, c_name, count, []))
        node.count += count
    for node in provinces.values():
        node.children.sort(key=lambda child: unit_sort_key(child.name))
    return sorted(provinces.values(), key=lambda node: (-node.count, unit_sort_key(node.name)))


def sitemap_entries() -> tuple[list[tuple[str, object]], list[str]]:
    """(slug, last change) of every public listing, and slugs of cooperatives that have one."""
    listings = db.session.execute(
        select(Listing.slug, Listing.updated_at, Listing.cooperative_id)
        .where(public_listing_clause())
        .order_by(Listing.id)
    ).all()
    coop_ids = {row.cooperative_id for row in listings}
    coops = (
        db.session.scalars(
            select(Cooperative.slug).where(Cooperative.id.in_(coop_ids)).order_by(Cooperative.slug)
        ).all()
        if coop_ids
        else []
    )
    return [(row.slug, row.updated_at) for row in listings], list(coops)
