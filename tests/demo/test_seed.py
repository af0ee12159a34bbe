"""The demo seed: a believable catalog that shows every rule (seeding twice: tests/cli)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from storefront.core.clock import today as shop_today
from storefront.core.media import listing_image_path
from storefront.core.text import slugify
from storefront.demo import seed_demo
from storefront.domain.catalog.visibility import hidden_reasons, public_listing_ids, public_listings
from storefront.extensions import db as _db
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
    User,
)
from storefront.search import SearchQuery, search
from tests.fixtures.app import app_state

GAC_VIET_CURRENT = 7798  # Phường Vân Hà (Bắc Ninh)
GAC_VIET_LEGACY = 7792  # Phường (formerly Xã) Quảng Minh, Việt Yên, Bắc Giang


def _listing(db, slug: str) -> Listing:
    listing = db.session.scalar(select(Listing).where(Listing.slug == slug))
    assert listing is not None, slug
    return listing


@pytest.fixture(scope="module")
def app(_app, tmp_path_factory):
    """One app state for the module: its tests only read the demo, seeded once."""
    with app_state(_app, tmp_path_factory.mktemp("demo")) as app:
        yield app


@pytest.fixture(scope="module")
def seeded(app):
    report = seed_demo()
    _db.session.expire_all()
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

    # The demo's accounts are verified, and its staff and admin belong to no cooperative.
    demo_users = db.session.scalars(select(User).where(User.email.like("%@demo.ocop.vn"))).all()
    assert demo_users and all(u.email_verified_at is not None for u in demo_users)
    assert not [m for u in demo_users if u.is_pfa_staff for m in u.memberships]

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


def test_some_demo_listings_have_an_english_name_that_english_search_finds(db, seeded):
    lychee = _listing(db, "vai-thieu-luc-ngan")
    assert lychee.name_en == "Luc Ngan lychee" and lychee.summary_en
    assert _listing(db, "my-chu-xuan-truong").name_en == ""
    named = db.session.scalars(select(Listing).where(Listing.name_en != "")).all()
    assert len(named) >= 5
    assert all(len(item.summary_en) <= 300 for item in named)
    tea = _listing(db, "che-bup-tan-cuong")
    assert tea.id in search(SearchQuery(text="green tea")).ids[:3]


def test_some_demo_listings_have_reviews_and_sold_counts_that_agree_with_the_orders(
    db, seeded, client
):
    from storefront.domain.catalog.stats import computed_stats
    from storefront.models import ListingStats, Review

    lychee = _listing(db, "vai-thieu-luc-ngan")
    stats = db.session.get(ListingStats, lychee.id)
    assert stats.sold_count == 126 and stats.rating_count == 5
    reviews = db.session.scalars(select(Review).where(Review.listing_id == lychee.id)).all()
    assert any(r.answer for r in reviews) and any(not r.answer for r in reviews)
    assert all(r.order_line.listing_id == lychee.id for r in reviews)
    # The stats are those the rows give (as `flask stats rebuild` would compute them).
    for listing_id, values in computed_stats().items():
        row = db.session.get(ListingStats, listing_id)
        assert {k: getattr(row, k) for k in values} == values
    page = client.get("/products/vai-thieu-luc-ngan").get_data(as_text=True)
    assert "Đã bán 126" in page and "5 đánh giá" in page and "Trả lời của" in page
    fish_sauce = client.get("/products?sort=best_selling").get_data(as_text=True)
    assert "Đã bán 1,5k" in fish_sauce


def test_demo_orders_are_ones_a_buyer_could_place_and_are_in_the_ledger(db, seeded):
    """No order line of more units than cash on delivery allows (one had 15,416 fish-sauce
    bottles, which made the programme's sales 2.4 billion đồng), and each delivered demo
    shipment's sale is in its cooperative's ledger, so the seller's finance page agrees with
    its dashboard."""
    from storefront.models import LedgerTransaction, OrderLine, Shipment, ShipmentStatus

    lines = db.session.scalars(select(OrderLine)).all()
    assert lines and max(line.quantity for line in lines) <= 10
    delivered = db.session.scalars(
        select(Shipment.id).where(Shipment.status == ShipmentStatus.DELIVERED)
    ).all()
    posted = set(db.session.scalars(select(LedgerTransaction.shipment_id)))
    assert delivered and set(delivered) <= posted


def test_demo_cooperative_addresses_do_not_repeat_their_commune(db, seeded):
    """The address is the street or hamlet; pages add the commune and province (the PFA page
    read "Làng Kế, phường Bắc Giang, Bắc Ninh, Phường Bắc Giang, Bắc Ninh")."""
    from storefront.core.text import fold_diacritics
    from storefront.models import Cooperative

    for coop in db.session.scalars(select(Cooperative)):
        commune = fold_diacritics(coop.commune.name).lower()  # "phuong vi khe"
        assert commune not in fold_diacritics(coop.address).lower(), coop.address
