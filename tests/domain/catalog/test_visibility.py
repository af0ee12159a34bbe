"""The visibility rule: every way a listing can stop being public, from one clause."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from storefront.core.clock import today as shop_today
from storefront.domain.catalog.visibility import (
    hidden_reasons,
    is_public,
    public_listing_ids,
    public_listings,
)
from storefront.models import CertificateStatus, CooperativeStatus, ListingStatus


def test_a_complete_listing_is_public(db, make):
    listing = make.listing()
    assert is_public(listing.id)
    assert hidden_reasons(listing) == []
    assert listing.id in {row.id for row in db.session.scalars(public_listings())}


@pytest.mark.parametrize(
    "status", [CooperativeStatus.APPLIED, CooperativeStatus.SUSPENDED, CooperativeStatus.REJECTED]
)
def test_cooperative_not_approved_hides_listing(db, make, status):
    listing = make.listing()
    listing.cooperative.status = status
    db.session.commit()
    assert not is_public(listing.id)
    assert "cooperative_not_approved" in hidden_reasons(listing)


@pytest.mark.parametrize(
    "status", [CertificateStatus.SUBMITTED, CertificateStatus.REJECTED, CertificateStatus.REVOKED]
)
def test_certificate_not_verified_hides_listing(db, make, status):
    listing = make.listing()
    listing.certificate.status = status
    db.session.commit()
    assert not is_public(listing.id)
    assert f"certificate_{status.value}" in hidden_reasons(listing)


def test_no_certificate_hides_listing(make):
    listing = make.listing(cert=None)
    assert not is_public(listing.id)
    assert "no_certificate" in hidden_reasons(listing)


def test_certificate_of_another_cooperative_does_not_back_a_listing(db, make):
    other = make.cooperative()
    listing = make.listing(cert=make.certificate(other))
    assert not is_public(listing.id)
    assert "no_certificate" in hidden_reasons(listing)


def test_expiry_is_derived_from_the_date_at_vietnam_midnight(db, make):
    today = shop_today()
    listing = make.listing()
    listing.certificate.expires_on = today
    db.session.commit()
    # Valid through its last day; hidden from the next day on, with nothing stored changing.
    assert is_public(listing.id, today)
    assert not is_public(listing.id, today + timedelta(days=1))
    assert hidden_reasons(listing, today + timedelta(days=1)) == ["certificate_expired"]
    assert listing.certificate.status is CertificateStatus.VERIFIED


def test_shop_today_uses_vietnam_time():
    # 17:30 UTC on 31 Dec is already 00:30 on 1 Jan in Hà Nội (UTC+7).
    utc = datetime(2026, 12, 31, 17, 30, tzinfo=ZoneInfo("UTC"))
    assert shop_today(utc).isoformat() == "2027-01-01"
    assert shop_today(utc - timedelta(hours=1)).isoformat() == "2026-12-31"


@pytest.mark.parametrize(
    "status", [ListingStatus.DRAFT, ListingStatus.PAUSED, ListingStatus.ARCHIVED]
)
def test_listing_not_active_is_hidden(db, make, status):
    listing = make.listing(status=status)
    assert not is_public(listing.id)
    assert f"listing_{status.value}" in hidden_reasons(listing)


def test_no_package_hides_listing(make):
    listing = make.listing(packages=[])
    assert not is_public(listing.id)
    assert hidden_reasons(listing) == ["no_package"]


def test_all_packages_sold_out_hides_listing(make):
    listing = make.listing(packages=[{"stock": 0}, {"stock": 0, "label": "Túi 500 g"}])
    assert not is_public(listing.id)
    assert hidden_reasons(listing) == ["sold_out"]


def test_one_package_in_stock_or_on_preorder_is_enough(make):
    in_stock = make.listing(packages=[{"stock": 0}, {"stock": 1, "label": "Túi 500 g"}])
    preorder = make.listing(packages=[{"stock": 0, "preorder": True}])
    assert public_listing_ids([in_stock.id, preorder.id]) == {in_stock.id, preorder.id}


def test_public_listing_ids_filters_a_mixed_batch_in_one_query(db, make):
    public = make.listing()
    paused = make.listing(status=ListingStatus.PAUSED)
    revoked = make.listing()
    revoked.certificate.status = CertificateStatus.REVOKED
    db.session.commit()
    assert public_listing_ids([public.id, paused.id, revoked.id, 999_999]) == {public.id}
    assert public_listing_ids([]) == set()


def test_clause_and_checklist_agree(db, make):
    """hidden_reasons mirrors the SQL clause: empty exactly when the listing is public."""
    listings = [
        make.listing(),
        make.listing(status=ListingStatus.PAUSED),
        make.listing(cert=None),
        make.listing(packages=[]),
        make.listing(packages=[{"stock": 0}]),
        make.listing(coop=make.cooperative(status=CooperativeStatus.SUSPENDED)),
    ]
    for listing in listings:
        assert (hidden_reasons(listing) == []) == is_public(listing.id), listing
