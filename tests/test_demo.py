"""The demo seed: a believable catalog that shows every rule, and seeding twice adds nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from storefront.core.clock import today as shop_today
from storefront.core.media import listing_image_path
from storefront.core.text import fold_diacritics, slugify
from storefront.demo import DEMO_PASSWORD, seed_demo
from storefront.demo.pictures import LOOKS, render_product_picture
from storefront.domain.catalog.visibility import (
    hidden_reasons,
    public_listing_ids,
    public_listings,
)
from storefront.models import (
    AuditEvent,
    Certificate,
    CertificateStatus,
    Cooperative,
    CooperativeStatus,
    Era,
    Level,
    Listing,
    ListingStatus,
    Package,
    Role,
    User,
)

GAC_VIET_CURRENT = 7798  # Phường Vân Hà (Bắc Ninh)
GAC_VIET_LEGACY = 7792  # Phường (formerly Xã) Quảng Minh, Việt Yên, Bắc Giang


def _row_counts(db) -> dict[str, int]:
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


def _listing(db, slug: str) -> Listing:
    listing = db.session.scalar(select(Listing).where(Listing.slug == slug))
    assert listing is not None, slug
    return listing


@pytest.fixture
def seeded(db):
    report = seed_demo()
    db.session.expire_all()
    return report


def test_seed_builds_a_catalog_that_shows_every_rule(db, seeded):
    today = shop_today()
    listings = db.session.scalars(select(Listing)).all()
    public = db.session.scalars(public_listings()).all()
    assert len(listings) >= 40
    assert len(public) >= 35

    assert {listing.ocop_group for listing in public} == {1, 2, 3, 4, 5, 6}
    assert {listing.certificate.stars for listing in public} == {3, 4, 5}

    coops = db.session.scalars(select(Cooperative)).all()
    assert len(coops) >= 10
    names = " ".join(c.legal_name for c in coops)
    assert "Công ty" in names and "Hộ kinh doanh" in names and "Hợp tác xã" in names

    # The deliberate cases, each hidden for its own reason.
    expired, pending, paused, draft = (
        _listing(db, slug)
        for slug in (
            "tuong-ban-hung-yen",
            "mat-ong-hoa-vai-luc-ngan",
            "nhan-long-hung-yen",
            "banh-da-ke",
        )
    )
    assert "certificate_expired" in hidden_reasons(expired)
    assert "certificate_submitted" in hidden_reasons(pending)
    assert "listing_paused" in hidden_reasons(paused)
    assert draft.status is ListingStatus.DRAFT
    assert draft.cooperative.status is CooperativeStatus.APPLIED
    assert public_listing_ids([expired.id, pending.id, paused.id, draft.id]) == set()

    certificates = db.session.scalars(select(Certificate)).all()
    expiring = [
        c
        for c in certificates
        if c.status is CertificateStatus.VERIFIED
        and today <= c.expires_on <= today + timedelta(days=60)
    ]
    assert len(expiring) >= 3
    expiring_ids = {c.listing.id for c in expiring}
    assert public_listing_ids(expiring_ids) == expiring_ids  # still on sale until the last day
    assert all(c.number.startswith("DEMO-") for c in certificates)
    assert all(
        c.issuing_authority.startswith("Bộ Nông nghiệp") for c in certificates if c.stars == 5
    )
    assert all(c.issuing_authority.startswith("UBND ") for c in certificates if c.stars < 5)

    # Every verification is in the audit trail, made by the demo PFA staff member.
    pfa = db.session.scalar(User.by_email("hoinongdan@demo.ocop.vn"))
    audited = db.session.scalars(
        select(AuditEvent.subject_id).where(
            AuditEvent.action == "certificate.verify", AuditEvent.actor_id == pfa.id
        )
    )
    assert set(audited) == {c.id for c in certificates if c.status is CertificateStatus.VERIFIED}
    # ... and every certificate was submitted first (the dashboard's "submitted" column).
    submitted = db.session.execute(
        select(AuditEvent.subject_id, AuditEvent.to_status, AuditEvent.at).where(
            AuditEvent.action == "certificate.submit"
        )
    ).all()
    assert {row.subject_id for row in submitted} == {c.id for c in certificates}
    assert {row.to_status for row in submitted} == {"submitted"}

    packages = db.session.scalars(select(Package)).all()
    assert all(type(p.price) is int and p.price > 0 for p in packages)
    assert any(p.stock == 0 and not p.preorder for p in packages)  # one sold out
    assert any(p.stock == 0 and p.preorder for p in packages)  # one on pre-order
    public_ids = {listing.id for listing in public}
    assert any(p.listing_id in public_ids and not p.available for p in packages)

    for listing in listings:
        assert listing.slug == slugify(listing.slug) and listing.slug.isascii()
        assert 1 <= len(listing.packages) <= 3
    for listing in public:
        assert listing.images, listing.slug
        assert all(listing_image_path(i.filename, "card").exists() for i in listing.images)


def test_gac_viet_origin_keeps_the_commune_before_2025(db, seeded):
    listing = _listing(db, "tinh-chat-gac")
    assert listing.cooperative.legal_name == "Hợp tác xã Nông nghiệp Gấc Việt"
    assert listing.origin_commune.era is Era.CURRENT
    assert listing.origin_commune.code == GAC_VIET_CURRENT
    assert listing.origin_commune.name == "Phường Vân Hà"
    legacy = listing.origin_legacy_commune
    assert legacy is not None and legacy.era is Era.LEGACY and legacy.code == GAC_VIET_LEGACY
    district = legacy.parent
    assert district.level is Level.DISTRICT and district.short_name == "Việt Yên"
    assert district.parent.name == "Tỉnh Bắc Giang"
    assert listing.origin_recorded == "Xã Quảng Minh, huyện Việt Yên, tỉnh Bắc Giang"
    assert listing.certificate.stars == 3


def test_cli_seeds_the_demo_accounts_once(db, runner):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert f"password for all: {DEMO_PASSWORD}" in first.output
    roles = {
        "customer": ("khachhang@demo.ocop.vn", Role.CUSTOMER),
        "cooperative owner": ("htx@demo.ocop.vn", Role.CUSTOMER),
        "PFA staff": ("hoinongdan@demo.ocop.vn", Role.PFA),
        "admin": ("admin@demo.ocop.vn", Role.ADMIN),
    }
    for label, (email, role) in roles.items():
        assert any(label in line and email in line for line in first.output.splitlines()), label
        user = db.session.scalar(User.by_email(email))
        assert user.role is role and user.check_password(DEMO_PASSWORD)
    owner = db.session.scalar(User.by_email("htx@demo.ocop.vn"))
    assert [m.cooperative.slug for m in owner.memberships] == ["htx-vai-thieu-hong-xuan"]
    assert _listing(db, "vai-thieu-luc-ngan").cooperative.slug == "htx-vai-thieu-hong-xuan"

    # A second run finds everything and adds nothing: no row, no picture file.
    folder = listing_image_path("x", "card").parent
    before, files_before = _row_counts(db), sorted(folder.iterdir())
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    assert "nothing to add" in second.output and "htx@demo.ocop.vn" in second.output
    db.session.expire_all()
    assert _row_counts(db) == before
    assert sorted(folder.iterdir()) == files_before

    # Only what is missing is created again: here, the pictures of one listing.
    for image in _listing(db, "na-luc-nam").images:
        db.session.delete(image)
    db.session.commit()
    before = _row_counts(db)
    seed_demo()
    db.session.expire_all()
    added = {table: n - before[table] for table, n in _row_counts(db).items() if n != before[table]}
    assert added == {"listing_images": 1}
    assert _listing(db, "na-luc-nam").images


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Vải thiều Lục Ngạn", "vai-thieu-luc-ngan"),
        ("Đường phèn", "duong-phen"),
        ("Mỳ Chũ – Xuân Trường (Bắc Giang)", "my-chu-xuan-truong-bac-giang"),
        ("Khăn 180 × 55 cm", "khan-180-55-cm"),
        ("Nước mắm 43°N", "nuoc-mam-43-n"),
        ("  ĐẶC SẢN  ", "dac-san"),
    ],
)
def test_slugify(text, slug):
    assert slugify(text) == slug


def test_slugify_folds_decomposed_input_the_same():
    import unicodedata

    assert slugify(unicodedata.normalize("NFD", "Trà hoa vàng Sơn Động")) == "tra-hoa-vang-son-dong"
    assert fold_diacritics("Đắk Lắk") == "Dak Lak"


def test_every_look_draws_a_picture_with_vietnamese_text():
    for look in LOOKS:
        image = render_product_picture("Bột gấc đông lạnh", 4, look, subtitle="Vân Hà · Bắc Ninh")
        assert image.size == (800, 600) and image.mode == "RGB"
