"""The seller's dashboard figures and each listing's checklist."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import product

import pytest
from sqlalchemy import update

from storefront.domain.catalog.checklist import DONE, TODO, WAITING, build_checklist
from storefront.domain.catalog.visibility import hidden_reasons, is_public, shop_today
from storefront.domain.cooperatives.workspace import dashboard, month_bounds
from storefront.models import (
    CertificateStatus,
    CooperativeStatus,
    ListingStatus,
    Order,
    OrderStatus,
    Shipment,
    ShipmentStatus,
)
from tests.fixtures import factories
from tests.fixtures.seller import seller
from tests.fixtures.shop import buy


@pytest.fixture
def ctx(app):
    """A request context: the checklist's steps link to pages."""
    with app.test_request_context():
        yield

COOP_STATUSES = list(CooperativeStatus)
CERT_CASES = ["none", "submitted", "verified", "rejected", "revoked", "expired"]
LISTING_STATUSES = [ListingStatus.DRAFT, ListingStatus.ACTIVE, ListingStatus.PAUSED]
PACKAGE_CASES = ["none", "sold_out", "in_stock", "preorder"]


def _listing(coop_status, cert_case, listing_status, package_case):
    _user, coop = seller(status=coop_status)
    cert = None
    if cert_case != "none":
        today = shop_today()
        status = CertificateStatus.VERIFIED if cert_case == "expired" else CertificateStatus(cert_case)
        kwargs = {"status": status}
        if cert_case == "expired":
            kwargs.update(issued_on=today - timedelta(days=2000), expires_on=today - timedelta(days=1))
        cert = factories.certificate(coop, **kwargs)
    packages = {
        "none": [],
        "sold_out": [{"stock": 0}],
        "in_stock": [{"stock": 3}],
        "preorder": [{"stock": 0, "preorder": True}],
    }[package_case]
    return factories.listing(coop=coop, cert=cert or False, status=listing_status, packages=packages)


@pytest.mark.parametrize(
    ("coop_status", "cert_case", "listing_status", "package_case"),
    [
        # Every single blocker alone, and a few combinations.
        (CooperativeStatus.APPROVED, "verified", ListingStatus.ACTIVE, "in_stock"),
        (CooperativeStatus.APPROVED, "verified", ListingStatus.ACTIVE, "preorder"),
        *[(s, "verified", ListingStatus.ACTIVE, "in_stock") for s in COOP_STATUSES[1:] if s != CooperativeStatus.APPROVED],
        (CooperativeStatus.APPLIED, "verified", ListingStatus.ACTIVE, "in_stock"),
        *[(CooperativeStatus.APPROVED, c, ListingStatus.ACTIVE, "in_stock") for c in CERT_CASES if c != "verified"],
        *[(CooperativeStatus.APPROVED, "verified", s, "in_stock") for s in LISTING_STATUSES if s != ListingStatus.ACTIVE],
        *[(CooperativeStatus.APPROVED, "verified", ListingStatus.ACTIVE, p) for p in ("none", "sold_out")],
        (CooperativeStatus.APPLIED, "submitted", ListingStatus.DRAFT, "none"),
        (CooperativeStatus.SUSPENDED, "rejected", ListingStatus.PAUSED, "sold_out"),
    ],
)
def test_the_checklist_is_public_exactly_when_the_rule_says_so(
    app, db, ctx, coop_status, cert_case, listing_status, package_case
):
    listing = _listing(coop_status, cert_case, listing_status, package_case)
    checklist = build_checklist(listing)
    assert checklist.public == is_public(listing.id)
    assert checklist.reasons == hidden_reasons(listing)
    # Every reason shows up as a step that is not done.
    assert checklist.public == all(step.state == DONE for step in checklist.steps)


@pytest.mark.parametrize(
    ("coop_status", "cert_case"),
    list(product([CooperativeStatus.APPROVED, CooperativeStatus.APPLIED], ["submitted", "verified"])),
)
def test_waiting_for_pfa_when_only_pfa_side_blockers_remain(app, db, ctx, coop_status, cert_case):
    listing = _listing(coop_status, cert_case, ListingStatus.ACTIVE, "in_stock")
    checklist = build_checklist(listing)
    pfa_side = coop_status is CooperativeStatus.APPLIED or cert_case == "submitted"
    assert checklist.waiting_for_pfa is pfa_side
    assert checklist.public is not pfa_side


def test_a_seller_blocker_means_not_just_waiting(app, db, ctx):
    listing = _listing(CooperativeStatus.APPROVED, "submitted", ListingStatus.ACTIVE, "sold_out")
    checklist = build_checklist(listing)
    assert not checklist.waiting_for_pfa
    states = {step.key: step.state for step in checklist.steps}
    assert states == {"cooperative": DONE, "certificate": WAITING, "packages": TODO, "status": DONE}


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_the_checklist_page_speaks_both_languages(client, auth, db, locale):
    user, coop = seller()
    cert = factories.certificate(coop, status=CertificateStatus.SUBMITTED)
    listing = factories.listing(coop=coop, cert=cert)
    auth.login(user)
    response = client.get(f"/seller/listings/{listing.id}?lang={locale}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f'<html lang="{locale}"' in page
    assert cert.number in page


# --- dashboard figures ------------------------------------------------------------------------------


def test_listing_counts_follow_visibility(app, db):
    _user, coop = seller()
    factories.listing(coop=coop)  # live
    factories.listing(coop=coop, packages=[{"stock": 0}])  # on sale, sold out: hidden
    factories.listing(coop=coop, cert=factories.certificate(coop, status=CertificateStatus.SUBMITTED))
    factories.listing(coop=coop, status=ListingStatus.PAUSED)
    factories.listing(coop=coop, status=ListingStatus.DRAFT)
    factories.listing(coop=coop, status=ListingStatus.DRAFT)
    factories.listing(coop=coop, status=ListingStatus.ARCHIVED, cert=False)
    factories.listing()  # another cooperative's
    figures = dashboard(coop.id)
    assert (figures.live, figures.on_sale_hidden, figures.paused, figures.drafts) == (1, 2, 1, 2)


def test_open_shipments_and_sales_this_month(app, db):
    _user, coop = seller()
    listing = factories.listing(coop=coop, packages=[{"price": 150_000, "stock": 50}])
    other = factories.listing(packages=[{"price": 99_000, "stock": 50}])
    package = listing.packages[0]

    buy((package, 2), (other.packages[0], 1))  # 300.000 ₫ for this cooperative
    buy((package, 1))  # 150.000 ₫
    cancelled = buy((package, 3))
    shipped = buy((package, 1))
    old = buy((package, 4))

    db.session.execute(
        update(Order).where(Order.id == cancelled.id).values(status=OrderStatus.CANCELLED)
    )
    db.session.execute(
        update(Shipment)
        .where(Shipment.order_id == shipped.id)
        .values(status=ShipmentStatus.DELIVERED)
    )
    now = datetime.now(UTC)
    start, _end = month_bounds(now)
    db.session.execute(
        update(Order).where(Order.id == old.id).values(created_at=start - timedelta(seconds=1))
    )
    db.session.commit()

    figures = dashboard(coop.id, now=now)
    # first, second, old are open (old is last month's, but still to send); shipped is done.
    assert figures.open_shipments == 3
    assert figures.sales_this_month == 300_000 + 150_000 + 150_000  # shipped counts as a sale


def test_month_bounds_are_vietnam_months():
    # 31 January 17:30 UTC is already 1 February 00:30 in Vietnam: February's sales.
    start, end = month_bounds(datetime(2026, 1, 31, 17, 30, tzinfo=UTC))
    assert start == datetime(2026, 1, 31, 17, 0, tzinfo=UTC)  # 1 February 00:00 in Vietnam
    assert end == datetime(2026, 2, 28, 17, 0, tzinfo=UTC)
    start, end = month_bounds(datetime(2026, 12, 15, tzinfo=UTC))
    assert (start.month, end.year, end.month) == (11, 2026, 12)  # 30 Nov 17:00 → 31 Dec 17:00


def test_expiring_certificates_within_60_days(client, auth, db):
    user, coop = seller()
    today = shop_today()
    soon = factories.certificate(coop, issued_on=today - timedelta(days=1000), expires_on=today + timedelta(days=59))
    factories.certificate(coop, issued_on=today - timedelta(days=1000), expires_on=today + timedelta(days=61))
    factories.certificate(
        coop, status=CertificateStatus.REVOKED, issued_on=today - timedelta(days=1000),
        expires_on=today + timedelta(days=10),
    )
    figures = dashboard(coop.id)
    assert [c.id for c in figures.expiring] == [soon.id]
    auth.login(user)
    page = client.get("/seller/").get_data(as_text=True)
    assert soon.number in page


def test_the_dashboard_page_shows_the_figures(client, auth, db):
    user, coop = seller()
    listing = factories.listing(coop=coop, packages=[{"price": 150_000, "stock": 2}])
    buy((listing.packages[0], 1))
    auth.login(user)
    page = client.get("/seller/").get_data(as_text=True)
    assert "150.000\u00a0₫" in page  # sales this month, in đồng
    assert "1 left" in page or "còn 1" in page.lower()  # running low
