"""What the PFA console reads: the queues, a certificate's or cooperative's file, expiries and
the audit log. Plain functions over plain arguments; the decisions themselves live in
storefront/certificates.py and storefront/pfa/decisions.py."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, and_, func, or_, select
from sqlalchemy.orm import aliased, contains_eager, joinedload, selectinload

from storefront.core import clock
from storefront.core.errors import NotFound
from storefront.domain.catalog.visibility import public_listing_ids
from storefront.domain.certificates.decisions import needs_second_reviewer
from storefront.domain.decisions import conflict_of_interest_clause
from storefront.extensions import db
from storefront.models import (
    AdminUnit,
    AuditEvent,
    Certificate,
    CertificateReminder,
    CertificateStatus,
    Cooperative,
    CooperativeMember,
    CooperativeStatus,
    Listing,
    ListingStatus,
    Order,
    Role,
    Shipment,
    User,
)

PER_PAGE = 50

# Where a certificate's product comes from: its listing's origin commune, or, before it
# backs a listing, its cooperative's commune. Queue filters and the dashboard use the same.
place_commune = aliased(AdminUnit, name="place_commune")
place_province = aliased(AdminUnit, name="place_province")


def with_place[*Ts](stmt: Select[*Ts]) -> Select[*Ts]:
    """Join a certificate SELECT to its cooperative, its listing (if any) and its place."""
    return (
        stmt.select_from(Certificate)
        .join(Cooperative, Cooperative.id == Certificate.cooperative_id)
        .outerjoin(Listing, Listing.certificate_id == Certificate.id)
        .join(
            place_commune,
            place_commune.id == func.coalesce(Listing.origin_commune_id, Cooperative.commune_id),
        )
        .join(place_province, place_province.id == place_commune.province_id)
    )


@dataclass
class Page:
    items: list[Any]
    total: int
    page: int
    per_page: int = PER_PAGE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def _paginate(
    stmt: Select[*tuple[Any, ...]], page: int, per_page: int = PER_PAGE, *, scalars: bool = False
) -> Page:
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    page = max(1, page)
    result = db.session.execute(stmt.limit(per_page).offset((page - 1) * per_page))
    items = list(result.unique().scalars() if scalars else result.unique().all())
    return Page(items, total or 0, page, per_page)


# --- the console's front page -----------------------------------------------------------------


@dataclass
class ConsoleSummary:
    cooperatives_waiting: int
    certificates_waiting: int
    expiring_30: int
    expired_attached: int
    oldest_waiting: datetime | None


def console_summary(today: date | None = None) -> ConsoleSummary:
    """The counts on the console's front page, in one query."""
    today = today or clock.today()
    row = db.session.execute(
        select(
            select(func.count())
            .where(Cooperative.status == CooperativeStatus.APPLIED)
            .scalar_subquery(),
            select(func.count())
            .where(Certificate.status == CertificateStatus.SUBMITTED)
            .scalar_subquery(),
            select(func.count())
            .where(
                Certificate.status == CertificateStatus.VERIFIED,
                Certificate.expires_on >= today,
                Certificate.expires_on <= today + timedelta(days=30),
            )
            .scalar_subquery(),
            select(func.count())
            .select_from(_expired_attached_stmt(today).subquery())
            .scalar_subquery(),
            select(func.min(Certificate.created_at))
            .where(Certificate.status == CertificateStatus.SUBMITTED)
            .scalar_subquery(),
        )
    ).one()
    return ConsoleSummary(*row)


# --- certificate queue ------------------------------------------------------------------------


@dataclass(frozen=True)
class CertificateFilters:
    status: CertificateStatus = CertificateStatus.SUBMITTED
    province: int | None = None  # current province code
    commune: int | None = None  # current commune code
    group: int | None = None  # OCOP group of the listing the certificate backs
    stars: int | None = None
    q: str = ""

    def as_args(self) -> dict[str, Any]:
        args = {
            "status": self.status.value,
            "province": self.province,
            "commune": self.commune,
            "group": self.group,
            "stars": self.stars,
            "q": self.q or None,
        }
        return {k: v for k, v in args.items() if v is not None}


@dataclass
class QueueRow:
    certificate: Certificate
    listing: Listing | None
    commune: AdminUnit
    province: AdminUnit


def _certificate_filter_clauses(filters: CertificateFilters) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = [Certificate.status == filters.status]
    if filters.province is not None:
        clauses.append(place_province.code == filters.province)
    if filters.commune is not None:
        clauses.append(place_commune.code == filters.commune)
    if filters.group is not None:
        clauses.append(Listing.ocop_group == filters.group)
    if filters.stars is not None:
        clauses.append(Certificate.stars == filters.stars)
    if filters.q:
        like = f"%{filters.q.strip()}%"
        clauses.append(
            or_(
                Certificate.number.ilike(like),
                Certificate.product_name.ilike(like),
                Cooperative.legal_name.ilike(like),
            )
        )
    return clauses


def certificate_queue(filters: CertificateFilters, page: int = 1) -> Page:
    """Certificates in one status; those awaiting verification oldest first."""
    stmt = (
        with_place(select(Certificate, Listing, place_commune, place_province))
        .where(*_certificate_filter_clauses(filters))
        .options(contains_eager(Certificate.cooperative))
    )
    if filters.status is CertificateStatus.SUBMITTED:
        stmt = stmt.order_by(Certificate.created_at, Certificate.id)
    else:
        stmt = stmt.order_by(Certificate.updated_at.desc(), Certificate.id.desc())
    result = _paginate(stmt, page)
    result.items = [QueueRow(*row) for row in result.items]
    return result


@dataclass
class FilterOptions:
    provinces: list[tuple[int, str]]
    communes: list[tuple[int, str]]


def certificate_filter_options(filters: CertificateFilters) -> FilterOptions:
    """Provinces and communes that have certificates in this status (communes of the chosen
    province only), so every choice leads somewhere."""
    provinces = db.session.execute(
        with_place(select(place_province.code, place_province.name))
        .where(Certificate.status == filters.status)
        .distinct()
        .order_by(place_province.name)
    ).all()
    communes: Sequence[Row[int, str]] = []
    if filters.province is not None:
        communes = db.session.execute(
            with_place(select(place_commune.code, place_commune.name))
            .where(Certificate.status == filters.status, place_province.code == filters.province)
            .distinct()
            .order_by(place_commune.name)
        ).all()
    return FilterOptions(
        [(code, name) for code, name in provinces], [(code, name) for code, name in communes]
    )


def next_certificate(actor: User, after: int | None = None) -> int | None:
    """The certificate awaiting verification to open after deciding on `after`: the oldest
    one `actor` may decide, so "decide and open the next" never lands on a file the rules
    keep from them. Skipped: `after` itself (a 5-star first approval leaves it in the queue),
    those of cooperatives `actor` is not independent of (separation of duties), and those
    whose first approval `actor` gave (the two-person rule: a colleague confirms them).
    None when nothing is left."""
    stmt = (
        select(Certificate.id)
        .where(
            Certificate.status == CertificateStatus.SUBMITTED,
            ~conflict_of_interest_clause(actor.id, Certificate.cooperative_id),
            or_(
                Certificate.pending_approval.is_(None),
                Certificate.first_approved_by_id.is_(None),
                Certificate.first_approved_by_id != actor.id,
            ),
        )
        .order_by(Certificate.created_at, Certificate.id)
        .limit(1)
    )
    if after is not None:
        stmt = stmt.where(Certificate.id != after)
    return db.session.scalar(stmt)


# --- one certificate's file -------------------------------------------------------------------


@dataclass
class ListingState:
    listing: Listing
    public: bool


@dataclass
class CertificateFile:
    certificate: Certificate
    listings: list[ListingState]
    events: list[AuditEvent]
    scan_kind: str  # "image" | "pdf" | "other" | "" (no scan)
    reminders: list[CertificateReminder] = field(default_factory=list)

    @property
    def expired(self) -> bool:
        return self.certificate.is_expired(clock.today())

    @property
    def two_person(self) -> bool:
        """Whether verifying it takes two different staff members (a 5-star certificate)."""
        return needs_second_reviewer(self.certificate.stars)


def scan_kind(filename: str | None) -> str:
    if not filename:
        return ""
    extension = filename.rsplit(".", 1)[-1].lower()
    if extension in {"jpg", "jpeg", "png", "webp"}:
        return "image"
    if extension == "pdf":
        return "pdf"
    return "other"


def certificate_file(certificate_id: int) -> CertificateFile:
    """A certificate with its cooperative, the listing(s) it backs and its decisions so far."""
    cert = db.session.scalar(
        select(Certificate)
        .where(Certificate.id == certificate_id)
        .options(
            joinedload(Certificate.cooperative).joinedload(Cooperative.commune),
            joinedload(Certificate.first_approved_by),
        )
    )
    if cert is None:
        raise NotFound("certificate")
    listings = list(
        db.session.scalars(
            select(Listing)
            .where(Listing.certificate_id == cert.id)
            .options(
                joinedload(Listing.origin_commune),
                joinedload(Listing.origin_legacy_commune),
                selectinload(Listing.packages),
            )
        ).unique()
    )
    public = public_listing_ids([listing.id for listing in listings])
    return CertificateFile(
        certificate=cert,
        listings=[ListingState(listing, listing.id in public) for listing in listings],
        events=subject_history("certificate", cert.id),
        scan_kind=scan_kind(cert.scan_filename),
        reminders=list(
            db.session.scalars(
                select(CertificateReminder)
                .where(CertificateReminder.certificate_id == cert.id)
                .order_by(CertificateReminder.days_before.desc())
            )
        ),
    )


def subject_history(subject_type: str, subject_id: int) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.subject_type == subject_type, AuditEvent.subject_id == subject_id)
            .options(joinedload(AuditEvent.actor))
            .order_by(AuditEvent.at, AuditEvent.id)
        )
    )


# --- cooperatives -----------------------------------------------------------------------------


def cooperative_list(status: CooperativeStatus | None, page: int = 1) -> Page:
    """Cooperatives in one status (applications oldest first), with their commune."""
    stmt = select(Cooperative).options(
        joinedload(Cooperative.commune),
        selectinload(Cooperative.members).joinedload(CooperativeMember.user),
    )
    if status is not None:
        stmt = stmt.where(Cooperative.status == status)
    if status is CooperativeStatus.APPLIED:
        stmt = stmt.order_by(Cooperative.created_at, Cooperative.id)
    else:
        stmt = stmt.order_by(Cooperative.legal_name, Cooperative.id)
    return _paginate(stmt, page, scalars=True)


def next_cooperative(actor: User, after: int | None = None) -> int | None:
    """The application to open after deciding on `after`: the oldest one still awaiting
    approval that `actor` may decide (not `after`, none they applied for or work for)."""
    stmt = (
        select(Cooperative.id)
        .where(
            Cooperative.status == CooperativeStatus.APPLIED,
            ~conflict_of_interest_clause(actor.id, Cooperative.id),
        )
        .order_by(Cooperative.created_at, Cooperative.id)
        .limit(1)
    )
    if after is not None:
        stmt = stmt.where(Cooperative.id != after)
    return db.session.scalar(stmt)


def cooperative_status_counts() -> dict[CooperativeStatus, int]:
    rows = db.session.execute(
        select(Cooperative.status, func.count()).group_by(Cooperative.status)
    ).all()
    counts = {status: 0 for status in CooperativeStatus}
    counts.update({CooperativeStatus(status): n for status, n in rows})
    return counts


@dataclass
class CooperativeFile:
    cooperative: Cooperative
    certificates: list[Certificate]
    listing_count: int
    public_count: int
    events: list[AuditEvent]


def cooperative_file(cooperative_id: int) -> CooperativeFile:
    coop = db.session.scalar(
        select(Cooperative)
        .where(Cooperative.id == cooperative_id)
        .options(
            joinedload(Cooperative.commune),
            selectinload(Cooperative.members).joinedload(CooperativeMember.user),
        )
    )
    if coop is None:
        raise NotFound("cooperative")
    certificates = list(
        db.session.scalars(
            select(Certificate)
            .where(Certificate.cooperative_id == coop.id)
            .options(joinedload(Certificate.listing))
            .order_by(Certificate.created_at.desc())
        ).unique()
    )
    listing_ids = list(
        db.session.scalars(select(Listing.id).where(Listing.cooperative_id == coop.id))
    )
    return CooperativeFile(
        cooperative=coop,
        certificates=certificates,
        listing_count=len(listing_ids),
        public_count=len(public_listing_ids(listing_ids)),
        events=subject_history("cooperative", coop.id),
    )


# --- expiries ---------------------------------------------------------------------------------


EXPIRY_WINDOWS = (30, 60, 90)


@dataclass
class ExpiryRow:
    certificate: Certificate
    listing: Listing | None
    days_left: int
    reminders: set[int]  # days_before of the reminders already claimed


@dataclass
class Expiries:
    today: date
    windows: dict[int, list[ExpiryRow]]  # 30 → expiring within 30 days, 60 → in 31–60, ...
    expired_attached: list[ExpiryRow]


def _expired_attached_stmt(today: date) -> Select[int]:
    return (
        select(Certificate.id)
        .join(Listing, Listing.certificate_id == Certificate.id)
        .where(
            Certificate.status == CertificateStatus.VERIFIED,
            Certificate.expires_on < today,
            Listing.status != ListingStatus.ARCHIVED,
        )
    )


def expiries(today: date | None = None) -> Expiries:
    """Verified certificates expiring within 90 days, and expired ones still backing a listing."""
    today = today or clock.today()
    stmt = (
        select(Certificate, Listing)
        .outerjoin(Listing, Listing.certificate_id == Certificate.id)
        .join(Certificate.cooperative)
        .where(
            Certificate.status == CertificateStatus.VERIFIED,
            or_(
                and_(
                    Certificate.expires_on >= today,
                    Certificate.expires_on <= today + timedelta(days=max(EXPIRY_WINDOWS)),
                ),
                and_(
                    Certificate.expires_on < today,
                    Listing.id.is_not(None),
                    Listing.status != ListingStatus.ARCHIVED,
                ),
            ),
        )
        .options(contains_eager(Certificate.cooperative))
        .order_by(Certificate.expires_on, Certificate.id)
    )
    rows = db.session.execute(stmt).unique().all()
    reminders: dict[int, set[int]] = {}
    if rows:
        for cert_id, days in db.session.execute(
            select(CertificateReminder.certificate_id, CertificateReminder.days_before).where(
                CertificateReminder.certificate_id.in_([cert.id for cert, _ in rows])
            )
        ):
            reminders.setdefault(cert_id, set()).add(days)
    result = Expiries(today, {w: [] for w in EXPIRY_WINDOWS}, [])
    for cert, listing in rows:
        days_left = (cert.expires_on - today).days
        row = ExpiryRow(cert, listing, days_left, reminders.get(cert.id, set()))
        if days_left < 0:
            result.expired_attached.append(row)
        else:
            window = min(w for w in EXPIRY_WINDOWS if days_left <= w)
            result.windows[window].append(row)
    return result


# --- audit log --------------------------------------------------------------------------------

ACTIONS = (
    "certificate.first_approval",
    "certificate.verify",
    "certificate.reject",
    "certificate.revoke",
    "certificate.reinstate_proposal",
    "certificate.reinstate",
    "certificate.reinstate_decline",
    "cooperative.approve",
    "cooperative.reject",
    "cooperative.suspend",
    "cooperative.reinstate",
)


@dataclass(frozen=True)
class AuditFilters:
    actor: int | None = None  # user id
    cooperative: int | None = None
    action: str | None = None
    date_from: date | None = None  # inclusive, Vietnam dates
    date_to: date | None = None  # inclusive

    def as_args(self) -> dict[str, Any]:
        args = {
            "actor": self.actor,
            "cooperative": self.cooperative,
            "action": self.action,
            "from": self.date_from.isoformat() if self.date_from else None,
            "to": self.date_to.isoformat() if self.date_to else None,
        }
        return {k: v for k, v in args.items() if v is not None}


@dataclass
class AuditRow:
    event: AuditEvent
    actor: User | None
    cooperative_name: str
    subject_label: str


def _start_of(day: date) -> datetime:
    """Midnight in Vietnam as a UTC instant (audit times are stored in UTC)."""
    return datetime.combine(day, time.min, clock.zone()).astimezone(UTC)


def _audit_stmt(filters: AuditFilters) -> Select[*tuple[Any, ...]]:
    actor = aliased(User)
    subject_cert = aliased(Certificate)
    subject_coop = aliased(Cooperative)
    subject_order = aliased(Order)
    subject_shipment = aliased(Shipment)
    shipment_order = aliased(Order)
    stmt = (
        select(
            AuditEvent,
            actor,
            Cooperative.legal_name,
            func.coalesce(
                subject_cert.number,
                subject_coop.legal_name,
                subject_order.number,
                shipment_order.number,
                "",
            ),
        )
        .outerjoin(actor, actor.id == AuditEvent.actor_id)
        .outerjoin(Cooperative, Cooperative.id == AuditEvent.cooperative_id)
        .outerjoin(
            subject_cert,
            and_(
                AuditEvent.subject_type == "certificate",
                subject_cert.id == AuditEvent.subject_id,
            ),
        )
        .outerjoin(
            subject_coop,
            and_(
                AuditEvent.subject_type == "cooperative",
                subject_coop.id == AuditEvent.subject_id,
            ),
        )
        # Cancellations: an order, or one cooperative's part (shipment) of it, by its number.
        .outerjoin(
            subject_order,
            and_(AuditEvent.subject_type == "order", subject_order.id == AuditEvent.subject_id),
        )
        .outerjoin(
            subject_shipment,
            and_(
                AuditEvent.subject_type == "shipment",
                subject_shipment.id == AuditEvent.subject_id,
            ),
        )
        .outerjoin(shipment_order, shipment_order.id == subject_shipment.order_id)
    )
    if filters.actor is not None:
        stmt = stmt.where(AuditEvent.actor_id == filters.actor)
    if filters.cooperative is not None:
        stmt = stmt.where(AuditEvent.cooperative_id == filters.cooperative)
    if filters.action:
        stmt = stmt.where(AuditEvent.action == filters.action)
    if filters.date_from is not None:
        stmt = stmt.where(AuditEvent.at >= _start_of(filters.date_from))
    if filters.date_to is not None:
        stmt = stmt.where(AuditEvent.at < _start_of(filters.date_to + timedelta(days=1)))
    return stmt.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())


def audit_log(filters: AuditFilters, page: int = 1) -> Page:
    result = _paginate(_audit_stmt(filters), page)
    result.items = [AuditRow(*row) for row in result.items]
    return result


def iter_audit_log(filters: AuditFilters) -> Iterator[AuditRow]:
    """Every matching event, newest first, streamed in batches (for the CSV export)."""
    result = db.session.execute(_audit_stmt(filters).execution_options(yield_per=500))
    for row in result:
        yield AuditRow(*row)


@dataclass
class AuditFilterOptions:
    staff: list[tuple[int, str]]
    cooperatives: list[tuple[int, str]]
    actions: list[str]


def audit_filter_options() -> AuditFilterOptions:
    staff = db.session.execute(
        select(User.id, User.name, User.email)
        .where(
            or_(
                User.role.in_([Role.PFA, Role.ADMIN]),
                User.id.in_(select(AuditEvent.actor_id).distinct()),
            )
        )
        .order_by(User.name, User.email)
    ).all()
    cooperatives = db.session.execute(
        select(Cooperative.id, Cooperative.legal_name).order_by(Cooperative.legal_name)
    ).all()
    recorded = set(db.session.scalars(select(AuditEvent.action).distinct()))
    actions = list(ACTIONS) + sorted(recorded - set(ACTIONS))
    return AuditFilterOptions(
        staff=[(uid, name or email) for uid, name, email in staff],
        cooperatives=[(coop_id, name) for coop_id, name in cooperatives],
        actions=actions,
    )
