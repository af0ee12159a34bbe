"""Public listings read from the database as ListingDocuments, in bulk.

A batch costs three queries whatever its size: the listings with their cooperative,
certificate, origin units and stats (ratings, sold; joined), their lowest buyable prices, and
the pre-2025 district and province names of their current communes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import date

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session, aliased, joinedload

from storefront.core.formatting import rating_tenths, shown_sold
from storefront.domain.catalog.visibility import public_listing_clause
from storefront.models import AdminUnit, AdminUnitSuccession, Listing, ListingStats, Package
from storefront.models.locations import UNIT_PREFIXES
from storefront.search.query import ListingDocument

BATCH_SIZE = 500  # listings per query; also keeps IN lists short
DESCRIPTION_WORDS = 40  # the opening of a description says what the product is; the rest is noise


def short_name(name: str) -> str:
    """A unit's name without its type ("Huyện Lục Ngạn" → "Lục Ngạn"), as AdminUnit.short_name."""
    for prefix in UNIT_PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def _unit_names(unit: AdminUnit | None) -> list[str]:
    """Short names of a unit and its parents (commune, district, province)."""
    names = []
    while unit is not None:
        names.append(short_name(unit.name))
        unit = unit.parent
    return names


def _recorded_names(origin_recorded: str) -> list[str]:
    """The unit names of a free-text origin as recorded ("Xã Tân Hoa, Huyện Lục Ngạn, ...")."""
    return [short_name(part.strip(" ()")) for part in origin_recorded.split(",") if part.strip()]


def _opening(description: str) -> str:
    return " ".join(description.split()[:DESCRIPTION_WORDS])


def _lowest_prices(session: Session, listing_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Lowest price of a package a buyer can take, per listing (as the product card shows),
    and how many packages are in stock (pre-orders aside)."""
    rows = session.execute(
        select(Package.listing_id, func.min(Package.price), func.sum(Package.stock))
        .where(
            Package.listing_id.in_(listing_ids),
            or_(Package.stock > 0, Package.preorder.is_(True)),
        )
        .group_by(Package.listing_id)
    )
    return {listing_id: (price, int(stock or 0)) for listing_id, price, stock in rows}


def _former_names(session: Session, commune_ids: list[int]) -> dict[int, list[str]]:
    """Pre-2025 district and province names of current communes, from the 2025 successions.

    So "Việt Yên" or "Bắc Giang" still find products of communes now in Bắc Ninh, even when
    the seller recorded no pre-2025 commune.
    """
    old, district, province = aliased(AdminUnit), aliased(AdminUnit), aliased(AdminUnit)
    rows = session.execute(
        select(AdminUnitSuccession.new_id, district.name, province.name)
        .join(old, old.id == AdminUnitSuccession.old_id)
        .join(district, district.id == old.parent_id)
        .join(province, province.id == old.province_id)
        .where(AdminUnitSuccession.new_id.in_(commune_ids))
        .distinct()
    )
    names: dict[int, list[str]] = defaultdict(list)
    for commune_id, district_name, province_name in rows:
        names[commune_id] += [short_name(district_name), short_name(province_name)]
    return names


def _load(
    session: Session, where: ColumnElement[bool], today: date, limit: int | None = None
) -> list[ListingDocument]:
    """Public listings matching `where`, by id, as documents (three queries)."""
    stmt = (
        select(Listing, ListingStats)
        .outerjoin(ListingStats, ListingStats.listing_id == Listing.id)
        .where(where, public_listing_clause(today))
        .order_by(Listing.id)
        .options(
            joinedload(Listing.cooperative),
            joinedload(Listing.certificate),
            # AdminUnit.parent is joined eagerly two levels deep: commune → district → province.
            joinedload(Listing.origin_commune),
            joinedload(Listing.origin_legacy_commune),
        )
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    rows = list(session.execute(stmt).unique())
    if not rows:
        return []
    listings = [listing for listing, _stats in rows]
    stats_of = {listing.id: stats for listing, stats in rows}
    prices = _lowest_prices(session, [item.id for item in listings])
    former = _former_names(session, sorted({item.origin_commune_id for item in listings}))

    documents = []
    for item in listings:
        commune, certificate = item.origin_commune, item.certificate
        stats = stats_of[item.id]
        assert certificate is not None  # a public listing has its certificate
        province = commune.parent
        places = (
            _unit_names(commune)
            + _unit_names(item.origin_legacy_commune)
            + former.get(commune.id, [])
            + _recorded_names(item.origin_recorded or "")
        )
        documents.append(
            ListingDocument(
                listing_id=item.id,
                name=item.name,
                product_name=certificate.product_name,
                cooperative_id=item.cooperative_id,
                cooperative_name=item.cooperative.legal_name,
                ocop_group=item.ocop_group,
                stars=certificate.stars,
                province_code=province.code if province is not None else 0,
                commune_code=commune.code,
                place_names=tuple(dict.fromkeys(places)),
                description=_opening(item.description or ""),
                # A public listing always has a buyable package; 0 only if a row raced away.
                price=prices.get(item.id, (0, 0))[0],
                stock=prices.get(item.id, (0, 0))[1],
                created_at=item.created_at,
                expires_on=certificate.expires_on,
                name_en=item.name_en or "",
                summary_en=item.summary_en or "",
                rating_tenths=rating_tenths(stats.rating_sum, stats.rating_count) if stats else 0,
                rating_count=stats.rating_count if stats else 0,
                sold=shown_sold(stats.sold_count) if stats else 0,
            )
        )
    return documents


def load_documents(
    session: Session, listing_ids: Iterable[int], today: date
) -> dict[int, ListingDocument]:
    """Documents of those of `listing_ids` that are public on `today`, by listing id."""
    ids = sorted({int(i) for i in listing_ids})
    documents: dict[int, ListingDocument] = {}
    for start in range(0, len(ids), BATCH_SIZE):
        chunk = ids[start : start + BATCH_SIZE]
        documents.update((d.listing_id, d) for d in _load(session, Listing.id.in_(chunk), today))
    return documents


def iter_public_documents(
    session: Session, today: date, batch_size: int = BATCH_SIZE
) -> Iterator[list[ListingDocument]]:
    """Every public listing, in batches by ascending id (keyset paging: no OFFSET scans)."""
    last_id = 0
    while True:
        batch = _load(session, Listing.id > last_id, today, limit=batch_size)
        if not batch:
            return
        yield batch
        last_id = batch[-1].listing_id
