"""Each listing's checklist follows visibility.hidden_reasons."""

from __future__ import annotations

from datetime import timedelta
from itertools import product

import pytest

from storefront.core.clock import today as shop_today
from storefront.domain.catalog.checklist import DONE, TODO, WAITING, build_checklist
from storefront.domain.catalog.visibility import hidden_reasons, is_public
from storefront.models import CertificateStatus, CooperativeStatus, ListingStatus
from tests.fixtures import factories
from tests.fixtures.seller import seller

COOP_STATUSES = list(CooperativeStatus)
CERT_CASES = ["none", "submitted", "verified", "rejected", "revoked", "expired"]
LISTING_STATUSES = [ListingStatus.DRAFT, ListingStatus.ACTIVE, ListingStatus.PAUSED]


@pytest.fixture
def ctx(app):
    """A request context: the checklist's steps link to pages."""
    with app.test_request_context():
        yield


def _listing(coop_status, cert_case, listing_status, package_case):
    _user, coop = seller(status=coop_status)
    cert = None
    if cert_case != "none":
        today = shop_today()
        status = (
            CertificateStatus.VERIFIED if cert_case == "expired" else CertificateStatus(cert_case)
        )
        kwargs = {"status": status}
        if cert_case == "expired":
            kwargs.update(
                issued_on=today - timedelta(days=2000), expires_on=today - timedelta(days=1)
            )
        cert = factories.certificate(coop, **kwargs)
    packages = {
        "none": [],
        "sold_out": [{"stock": 0}],
        "in_stock": [{"stock": 3}],
        "preorder": [{"stock": 0, "preorder": True}],
    }[package_case]
    return factories.listing(
        coop=coop, cert=cert or False, status=listing_status, packages=packages
    )


@pytest.mark.parametrize(
    ("coop_status", "cert_case", "listing_status", "package_case"),
    [
        # Every single blocker alone, and a few combinations.
        (CooperativeStatus.APPROVED, "verified", ListingStatus.ACTIVE, "in_stock"),
        (CooperativeStatus.APPROVED, "verified", ListingStatus.ACTIVE, "preorder"),
        *[
            (s, "verified", ListingStatus.ACTIVE, "in_stock")
            for s in COOP_STATUSES[1:]
            if s != CooperativeStatus.APPROVED
        ],
        (CooperativeStatus.APPLIED, "verified", ListingStatus.ACTIVE, "in_stock"),
        *[
            (CooperativeStatus.APPROVED, c, ListingStatus.ACTIVE, "in_stock")
            for c in CERT_CASES
            if c != "verified"
        ],
        *[
            (CooperativeStatus.APPROVED, "verified", s, "in_stock")
            for s in LISTING_STATUSES
            if s != ListingStatus.ACTIVE
        ],
        *[
            (CooperativeStatus.APPROVED, "verified", ListingStatus.ACTIVE, p)
            for p in ("none", "sold_out")
        ],
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
    list(
        product([CooperativeStatus.APPROVED, CooperativeStatus.APPLIED], ["submitted", "verified"])
    ),
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
