"""The OCOP programme's numbers for the PFA dashboard, aggregated in SQL (a handful of
queries whatever the size of the catalog).

Read-only statistics: with a read replica (DATABASE_REPLICA_URL) they are read there
(core/replica.read_session; the numbers may lag the primary by the replica's delay), unless
the request reads the primary (right after the staff member's own write, see core/replica)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnClause,
    ColumnElement,
    ColumnExpressionArgument,
    case,
    distinct,
    exists,
    func,
    literal_column,
    select,
)
from sqlalchemy.orm import Session, aliased

from storefront.core import clock
from storefront.core.replica import read_session
from storefront.domain.catalog.visibility import public_listing_clause
from storefront.domain.console.queues import place_commune, place_province, with_place
from storefront.extensions import db
from storefront.models import (
    AdminUnit,
    AuditEvent,
    Certificate,
    CertificateStatus,
    Cooperative,
    CooperativeStatus,
    Listing,
    ListingStatus,
    Order,
    OrderLine,
    OrderStatus,
    Shipment,
    ShipmentStatus,
    add_months,
)

PIPELINE = ("submitted", "verified", "rejected", "revoked")
LISTING_STATES = ("live", "cooperative", "certificate", "inactive", "sold_out")
MONTHS = 12


def _dialect() -> str:
    return db.session.get_bind().dialect.name


# Constants are inlined, not bound: PostgreSQL only matches a SELECT expression with its
# GROUP BY when both are the same text, and two bind parameters never are.
def _const(text: str) -> ColumnClause[Any]:
    return literal_column(f"'{text}'")


def month_of_timestamp(column: ColumnExpressionArgument[datetime]) -> ColumnElement[str]:
    """ "YYYY-MM" of a stored UTC timestamp, in Vietnam time (UTC+7, no daylight saving)."""
    if _dialect() == "postgresql":
        return func.to_char(func.timezone(_const(clock.zone().key), column), _const("YYYY-MM"))
    return func.strftime(_const("%Y-%m"), column, _const("+7 hours"))


def month_of_date(column: ColumnExpressionArgument[date]) -> ColumnElement[str]:
    if _dialect() == "postgresql":
        return func.to_char(column, _const("YYYY-MM"))
    return func.strftime(_const("%Y-%m"), column)


def month_keys(first: date, count: int = MONTHS) -> list[str]:
    first = first.replace(day=1)
    return [add_months(first, i).strftime("%Y-%m") for i in range(count)]


@dataclass
class Place:
    code: int
    name: str
    count: int


@dataclass
class ProvinceSales:
    name: str
    orders: int
    items: int
    revenue: int  # đồng


@dataclass
class ProgrammeStats:
    today: date
    certified: int = 0
    by_province: list[Place] = field(default_factory=list)
    by_commune: list[tuple[str, str, int]] = field(default_factory=list)  # commune, province, n
    by_group: dict[int | None, int] = field(default_factory=dict)  # None: backs no listing yet
    by_stars: dict[int, int] = field(default_factory=dict)
    past_months: list[str] = field(default_factory=list)  # the last 12, oldest first
    pipeline: dict[str, list[int]] = field(default_factory=dict)
    future_months: list[str] = field(default_factory=list)  # this month and the next 11
    expiries: list[int] = field(default_factory=list)
    listings: dict[str, int] = field(default_factory=dict)
    sales: list[ProvinceSales] = field(default_factory=list)

    @property
    def listings_total(self) -> int:
        return sum(self.listings.values())

    @property
    def listings_hidden(self) -> int:
        return self.listings_total - self.listings.get("live", 0)

    @property
    def sales_total(self) -> int:
        return sum(s.revenue for s in self.sales)


def programme_stats(today: date | None = None) -> ProgrammeStats:
    today = today or clock.today()
    stats = ProgrammeStats(today=today)
    with read_session() as session:
        _certified(session, stats)
        _pipeline(session, stats)
        _expiries(session, stats)
        _listings(session, stats)
        _sales(session, stats)
    return stats


def _certified(session: Session, stats: ProgrammeStats) -> None:
    """Valid certificates (verified, not expired) by place, OCOP group and stars: one GROUP BY,
    rolled up here."""
    rows = session.execute(
        with_place(
            select(
                place_province.code,
                place_province.name,
                place_commune.name,
                Listing.ocop_group,
                Certificate.stars,
                func.count(Certificate.id),
            )
        )
        .where(
            Certificate.status == CertificateStatus.VERIFIED,
            Certificate.expires_on >= stats.today,
        )
        .group_by(
            place_province.code,
            place_province.name,
            place_commune.code,
            place_commune.name,
            Listing.ocop_group,
            Certificate.stars,
        )
    ).all()
    provinces: dict[int, Place] = {}
    communes: dict[tuple[str, str], int] = defaultdict(int)
    groups: dict[int | None, int] = defaultdict(int)
    stars: dict[int, int] = {3: 0, 4: 0, 5: 0}
    for p_code, p_name, c_name, group, star, n in rows:
        provinces.setdefault(p_code, Place(p_code, p_name, 0)).count += n
        communes[(c_name, p_name)] += n
        groups[group] += n
        stars[star] = stars.get(star, 0) + n
        stats.certified += n
    stats.by_province = sorted(provinces.values(), key=lambda p: (-p.count, p.name))
    stats.by_commune = sorted(
        ((c, p, n) for (c, p), n in communes.items()), key=lambda r: (-r[2], r[1], r[0])
    )
    stats.by_group = {g: groups.get(g, 0) for g in range(1, 7)}
    if groups.get(None):
        stats.by_group[None] = groups[None]
    stats.by_stars = dict(sorted(stars.items()))


# Audit actions counted in the pipeline: a resubmission after a rejection is a new submission.
PIPELINE_ACTIONS = {
    "certificate.submit": "submitted",
    "certificate.resubmit": "submitted",
    "certificate.verify": "verified",
    "certificate.reject": "rejected",
    "certificate.revoke": "revoked",
}


def _pipeline(session: Session, stats: ProgrammeStats) -> None:
    """Per month of the last twelve, from the audit trail: certificates submitted (and
    resubmitted), verified, rejected and revoked."""
    stats.past_months = month_keys(add_months(stats.today.replace(day=1), -(MONTHS - 1)))
    pipeline = {key: dict.fromkeys(stats.past_months, 0) for key in PIPELINE}
    month = month_of_timestamp(AuditEvent.at)
    rows = session.execute(
        select(month, AuditEvent.action, func.count())
        .where(AuditEvent.action.in_(PIPELINE_ACTIONS))
        .group_by(month, AuditEvent.action)
        .having(month >= stats.past_months[0])
    )
    for key, action, n in rows:
        if key in pipeline[PIPELINE_ACTIONS[action]]:
            pipeline[PIPELINE_ACTIONS[action]][key] += n
    stats.pipeline = {key: list(by_month.values()) for key, by_month in pipeline.items()}


def _expiries(session: Session, stats: ProgrammeStats) -> None:
    """Verified certificates expiring in each of the next twelve months (this one first)."""
    stats.future_months = month_keys(stats.today)
    end = add_months(stats.today.replace(day=1), MONTHS)
    month = month_of_date(Certificate.expires_on)
    counts = dict(
        session.execute(
            select(month, func.count())
            .where(
                Certificate.status == CertificateStatus.VERIFIED,
                Certificate.expires_on >= stats.today,
                Certificate.expires_on < end,
            )
            .group_by(month)
        ).all()
    )
    stats.expiries = [counts.get(m, 0) for m in stats.future_months]


def _listings(session: Session, stats: ProgrammeStats) -> None:
    """Listings (not archived) that are live, and why the others are hidden (the first reason
    in the order a seller would fix them)."""
    coop_ok = exists().where(
        Cooperative.id == Listing.cooperative_id,
        Cooperative.status == CooperativeStatus.APPROVED,
    )
    cert_ok = exists().where(
        Certificate.id == Listing.certificate_id,
        Certificate.cooperative_id == Listing.cooperative_id,
        Certificate.status == CertificateStatus.VERIFIED,
        Certificate.expires_on >= stats.today,
    )
    state = case(
        (public_listing_clause(stats.today), "live"),
        (~coop_ok, "cooperative"),
        (~cert_ok, "certificate"),
        (Listing.status != ListingStatus.ACTIVE, "inactive"),
        else_="sold_out",
    ).label("state")
    states = select(state).where(Listing.status != ListingStatus.ARCHIVED).subquery()
    counts: dict[str, int] = dict(
        session.execute(select(states.c.state, func.count()).group_by(states.c.state)).all()
    )
    stats.listings = {key: counts.get(key, 0) for key in LISTING_STATES}


def _sales(session: Session, stats: ProgrammeStats) -> None:
    """Orders placed through the shop, by the province of the cooperative that sold."""
    commune = aliased(AdminUnit)
    province = aliased(AdminUnit)
    rows = session.execute(
        select(
            province.name,
            func.count(distinct(OrderLine.order_id)),
            func.coalesce(func.sum(OrderLine.quantity), 0),
            func.coalesce(func.sum(OrderLine.unit_price * OrderLine.quantity), 0),
        )
        .select_from(OrderLine)
        .join(Order, Order.id == OrderLine.order_id)
        .join(Shipment, Shipment.id == OrderLine.shipment_id)
        .join(Cooperative, Cooperative.id == OrderLine.cooperative_id)
        .join(commune, commune.id == Cooperative.commune_id)
        .join(province, province.id == commune.province_id)
        .where(Order.status == OrderStatus.PLACED, Shipment.status != ShipmentStatus.CANCELLED)
        .group_by(province.code, province.name)
        .order_by(func.sum(OrderLine.unit_price * OrderLine.quantity).desc())
    ).all()
    stats.sales = [ProvinceSales(name, int(o), int(i), int(r)) for name, o, i, r in rows]
