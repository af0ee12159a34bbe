"""Seeding the demo: the specs of storefront/demo/data/ (read by specs.py) turned into rows.

Idempotent: rows are looked up by their natural keys (e-mail, cooperative slug or registration
number, certificate number, listing slug) and only what is missing is created, in one
transaction. Dates are relative to today in Vietnam, so the deliberate cases (certificates
about to expire, one expired) stay true whenever the demo is seeded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from storefront.core import clock
from storefront.core.db import unit_of_work
from storefront.core.media import delete_listing_image, store_listing_image
from storefront.core.text import slugify
from storefront.demo import specs
from storefront.demo.pictures import render_product_picture
from storefront.demo.reviews import seed_reviews
from storefront.demo.specs import DEMO_PASSWORD, ItemSpec
from storefront.domain.locations import admin_units_loaded, load_admin_units
from storefront.extensions import db
from storefront.models import (
    Address,
    AdminUnit,
    AuditEvent,
    Certificate,
    CertificateStatus,
    Cooperative,
    CooperativeMember,
    CooperativeStatus,
    Era,
    Level,
    Listing,
    ListingImage,
    MemberRole,
    Package,
    User,
    add_months,
    default_expiry,
    utcnow,
)

# Units were reorganised on this day: a certificate issued before it names the old province.
REORGANISED_ON = date(2025, 7, 1)
# The agriculture and environment ministries merged on this day (5★ certificates are national).
MINISTRY_MERGED_ON = date(2025, 3, 1)


def certificate_number(spec: ItemSpec) -> str:
    """ "DEMO-1021/QĐ-UBND" (province, 3–4★) or "DEMO-2011/QĐ-BNNMT" (ministry, 5★)."""
    suffix = "QĐ-BNNMT" if spec.stars == 5 else "QĐ-UBND"
    return f"DEMO-{spec.certificate_no}/{suffix}"


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def _as_recorded(unit: AdminUnit) -> str:
    """ "Xã Tân Hoa, huyện Lục Ngạn, tỉnh Bắc Giang", the way a certificate writes it."""
    parts, parent = [unit.name], unit.parent
    while parent is not None:
        parts.append(_lower_first(parent.name))
        parent = parent.parent
    return ", ".join(parts)


def _province_of(unit: AdminUnit) -> AdminUnit:
    while unit.parent is not None:
        unit = unit.parent
    return unit


def _issuing_authority(stars: int, issued_on: date, then: AdminUnit, now: AdminUnit) -> str:
    """The ministry for 5★; for 3–4★ the province's People's Committee as it was named then."""
    if stars == 5:
        if issued_on >= MINISTRY_MERGED_ON:
            return "Bộ Nông nghiệp và Môi trường"
        return "Bộ Nông nghiệp và Phát triển nông thôn"
    province = then if issued_on < REORGANISED_ON else now
    return f"UBND {_lower_first(province.name)}"


def _sku(slug: str, label: str) -> str:
    initials = "".join(word[0] for word in slug.split("-") if word).upper()
    return f"{initials}-{slugify(label).upper().replace('-', '')}"[:60]


@dataclass
class _Seeder:
    today: date
    created: dict[str, int] = field(default_factory=dict)
    new_images: list[str] = field(default_factory=list)
    units: dict[tuple[Era, int], AdminUnit] = field(default_factory=dict)

    def count(self, kind: str, n: int = 1) -> None:
        self.created[kind] = self.created.get(kind, 0) + n

    def load_units(self) -> None:
        wanted = {
            Era.CURRENT: {c.commune for c in specs.cooperatives()}
            | {i.commune for i in specs.items()}
            | {a.address[1] for a in specs.accounts() if a.address is not None},
            Era.LEGACY: {i.legacy for i in specs.items() if i.legacy is not None},
        }
        for era, codes in wanted.items():
            rows = db.session.scalars(
                select(AdminUnit).where(
                    AdminUnit.era == era,
                    AdminUnit.level == Level.COMMUNE,
                    AdminUnit.code.in_(codes),
                )
            )
            self.units.update({(era, unit.code): unit for unit in rows})
            missing = sorted(codes - {code for (e, code) in self.units if e == era})
            if missing:
                raise RuntimeError(f"{era.value} communes missing from admin_units: {missing}")

    def unit(self, era: Era, code: int) -> AdminUnit:
        return self.units[(era, code)]

    # accounts

    def accounts(self) -> dict[str, User]:
        emails = [a.email for a in specs.accounts()]
        users = {u.email: u for u in db.session.scalars(select(User).where(User.email.in_(emails)))}
        for spec in specs.accounts():
            if spec.email in users:
                continue
            # The demo's addresses are the shop's own: verified, so every flow can be tried.
            user = User(
                email=spec.email, name=spec.name, role=spec.role, email_verified_at=utcnow()
            )
            user.set_password(DEMO_PASSWORD)
            self.count("accounts")
            if spec.address is not None:
                street, commune = spec.address
                user.addresses.append(
                    Address(
                        recipient=spec.name,
                        phone="0900000000",
                        street=street,
                        commune=self.unit(Era.CURRENT, commune),
                        is_default=True,
                    )
                )
                self.count("addresses")
            db.session.add(user)
            users[spec.email] = user
        db.session.flush()
        return users

    # cooperatives

    def cooperatives(self, users: dict[str, User], pfa: User) -> dict[str, Cooperative]:
        slugs = {spec.key: slugify(spec.short_name) for spec in specs.cooperatives()}
        existing = db.session.scalars(
            select(Cooperative).where(
                Cooperative.slug.in_(slugs.values())
                | Cooperative.registration_number.in_(
                    [c.registration_number for c in specs.cooperatives()]
                )
            )
        ).all()
        by_slug = {c.slug: c for c in existing}
        by_number = {c.registration_number: c for c in existing}
        coops: dict[str, Cooperative] = {}
        approved_at = datetime.combine(self.today - timedelta(days=1200), time(9), clock.zone())
        for spec in specs.cooperatives():
            slug = slugs[spec.key]
            coop = by_slug.get(slug) or by_number.get(spec.registration_number)
            if coop is None:
                coop = Cooperative(
                    legal_name=spec.legal_name,
                    slug=slug,
                    registration_number=spec.registration_number,
                    address=spec.address,
                    commune=self.unit(Era.CURRENT, spec.commune),
                    email=f"{slug}@demo.ocop.vn",
                    description=spec.description,
                    status=spec.status,
                )
                db.session.add(coop)
                db.session.flush()
                self.count("cooperatives")
                if spec.status is CooperativeStatus.APPROVED:
                    self.audit(
                        pfa, "cooperative.approve", coop, CooperativeStatus.APPLIED, approved_at
                    )
            coops[spec.key] = coop
            owner = users.get(spec.owner) if spec.owner else None
            if owner is not None and owner.is_pfa_staff:
                raise RuntimeError(f"{owner.email} is PFA staff or admin: never a member")
            if owner is not None and not any(m.user_id == owner.id for m in coop.members):
                coop.members.append(CooperativeMember(user=owner, role=MemberRole.OWNER))
                self.count("memberships")
        db.session.flush()
        return coops

    def audit(
        self,
        actor: User | None,
        action: str,
        subject: Cooperative | Certificate,
        before: CooperativeStatus | CertificateStatus | None,
        at: datetime,
        after: CertificateStatus | None = None,
    ) -> None:
        """Record the step that put `subject` in its current state (or in `after`), as the
        shop would have."""
        is_coop = isinstance(subject, Cooperative)
        db.session.add(
            AuditEvent(
                at=at,
                actor=actor,
                action=action,
                subject_type="cooperative" if is_coop else "certificate",
                subject_id=subject.id,
                cooperative_id=(
                    subject.id if isinstance(subject, Cooperative) else subject.cooperative_id
                ),
                from_status=before.value if before is not None else "",
                to_status=(after or subject.status).value,
                data={"source": "seed-demo"},
            )
        )
        self.count("audit events")

    # certificates and listings

    def certificate(
        self, spec: ItemSpec, coop: Cooperative, pfa: User, existing: dict[str, Certificate]
    ) -> Certificate | None:
        if spec.stars is None:
            return None
        number = certificate_number(spec)
        if number in existing:
            return existing[number]
        if spec.expires_in_days is not None:
            issued_on = add_months(self.today + timedelta(days=spec.expires_in_days), -36)
        else:
            issued_on = self.today - timedelta(days=spec.issued_days_ago)
        current = self.unit(Era.CURRENT, spec.commune)
        legacy = self.unit(Era.LEGACY, spec.legacy) if spec.legacy is not None else current
        cert = Certificate(
            cooperative=coop,
            number=number,
            stars=spec.stars,
            product_name=spec.certified_name or spec.name,
            issuing_authority=_issuing_authority(
                spec.stars, issued_on, _province_of(legacy), _province_of(current)
            ),
            issued_on=issued_on,
            expires_on=default_expiry(issued_on),
            status=spec.certificate_status,
        )
        db.session.add(cert)
        db.session.flush()
        self.count("certificates")
        # Every certificate came in through the seller workspace: the programme dashboard's
        # "submitted" column counts these.
        submitter = next((m.user for m in coop.members if m.role is MemberRole.OWNER), None)
        submitted_on = min(issued_on + timedelta(days=3), self.today)
        self.audit(
            submitter,
            "certificate.submit",
            cert,
            None,
            datetime.combine(submitted_on, time(9), clock.zone()),
            after=CertificateStatus.SUBMITTED,
        )
        if cert.status is CertificateStatus.VERIFIED:
            verified_on = min(issued_on + timedelta(days=10), self.today)
            at = datetime.combine(verified_on, time(10), clock.zone())
            self.audit(pfa, "certificate.verify", cert, CertificateStatus.SUBMITTED, at)
        existing[number] = cert
        return cert

    def listings(self, coops: dict[str, Cooperative], pfa: User) -> list[tuple[Listing, ItemSpec]]:
        numbers = [certificate_number(i) for i in specs.items() if i.stars is not None]
        certificates = {
            c.number: c
            for c in db.session.scalars(select(Certificate).where(Certificate.number.in_(numbers)))
        }
        listings = {
            item.slug: item
            for item in db.session.scalars(
                select(Listing)
                .where(Listing.slug.in_([i.slug for i in specs.items()]))
                .options(selectinload(Listing.images))
            )
        }
        now = clock.now()
        result = []
        for position, spec in enumerate(specs.items()):
            listing = listings.get(spec.slug)
            if listing is None:
                coop = coops[spec.coop]
                cert = self.certificate(spec, coop, pfa, certificates)
                if cert is not None and cert.listing is not None:
                    cert = None  # one product per certificate: never steal another listing's
                listing = self.listing(spec, coop, cert, now - timedelta(hours=3 * position))
            result.append((listing, spec))
        return result

    def listing(
        self, spec: ItemSpec, coop: Cooperative, cert: Certificate | None, created_at: datetime
    ) -> Listing:
        current = self.unit(Era.CURRENT, spec.commune)
        legacy = self.unit(Era.LEGACY, spec.legacy) if spec.legacy is not None else None
        # The pre-2025 commune belongs to the record when the certificate was issued under
        # the old units (or the source names it, like the seed article for Gấc Việt).
        if legacy is not None and not spec.keep_legacy:
            if cert is None or cert.issued_on >= REORGANISED_ON:
                legacy = None
        listing = Listing(
            cooperative=coop,
            certificate=cert,
            ocop_group=int(spec.group),
            name=spec.name,
            slug=spec.slug,
            description=spec.description,
            name_en=spec.name_en,
            summary_en=spec.summary_en,
            status=spec.status,
            origin_commune=current,
            origin_legacy_commune=legacy,
            origin_recorded=spec.recorded or _as_recorded(legacy or current),
            created_at=created_at,
            updated_at=created_at,
        )
        for position, pack in enumerate(spec.packs):
            listing.packages.append(
                Package(
                    label=pack.label,
                    weight_grams=pack.grams,
                    price=pack.price,
                    stock=pack.stock,
                    preorder=pack.preorder,
                    sku=_sku(spec.slug, pack.label),
                    position=position,
                )
            )
        db.session.add(listing)
        db.session.flush()
        self.count("listings")
        self.count("packages", len(spec.packs))
        return listing

    # pictures

    def pictures(self, listings: list[tuple[Listing, ItemSpec]]) -> None:
        for listing, spec in listings:
            if listing.images:
                continue  # never duplicate: only a listing without pictures gets them
            commune = listing.origin_commune
            subtitle = f"{commune.short_name} · {_province_of(commune).short_name}"
            for variant in range(spec.pictures):
                picture = render_product_picture(
                    spec.name,
                    spec.stars,
                    spec.look,
                    subtitle=subtitle,
                    seed=spec.slug,
                    variant=variant,
                )
                stored = store_listing_image(picture)
                self.new_images.append(stored.stem)
                listing.images.append(
                    ListingImage(
                        filename=stored.stem,
                        width=stored.width,
                        height=stored.height,
                        alt=spec.name,
                        position=variant,
                    )
                )
                self.count("pictures")
        db.session.flush()

    def delete_new_images(self) -> None:
        for stem in self.new_images:
            delete_listing_image(stem)


def _customer_email() -> str:
    return next(a.email for a in specs.accounts() if a.label == "customer")


def seed_demo(progress: Callable[[str], None] = lambda message: None) -> dict[str, Any]:
    """Create whatever of the demo catalog and accounts is missing, in one transaction.

    Returns {"password": ..., "accounts": {role label: e-mail}}.
    """
    if not admin_units_loaded():
        progress("Loading administrative units from vietnam-provinces ...")
        load_admin_units(progress=lambda step: progress(f"  {step} ..."))

    seeder = _Seeder(today=clock.today())
    with unit_of_work() as unit:
        unit.on_rollback(seeder.delete_new_images)  # files written for rows never committed
        seeder.load_units()
        progress("Demo accounts ...")
        users = seeder.accounts()
        pfa = users[specs.pfa_email()]
        progress("Cooperatives ...")
        coops = seeder.cooperatives(users, pfa)
        progress("Certificates, listings and packages ...")
        listings = seeder.listings(coops, pfa)
        progress("Product pictures ...")
        seeder.pictures(listings)
        progress("Buyers' reviews and sales ...")
        for kind, count in seed_reviews(users[_customer_email()], clock.now()).items():
            if count:
                seeder.count(kind, count)

    if seeder.created:
        progress("Created: " + ", ".join(f"{n} {kind}" for kind, n in seeder.created.items()))
    else:
        progress("The demo data is already complete; nothing to add.")
    return {"password": DEMO_PASSWORD, "accounts": {a.label: a.email for a in specs.accounts()}}
