"""The seller's dashboard figures and each listing's checklist."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storefront.core.clock import today as shop_today
from storefront.domain.workspace import dashboard
from storefront.models import CertificateStatus
from tests.fixtures import factories
from tests.fixtures.seller import seller
from tests.fixtures.shop import buy


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


# --- dashboard figures ----------------------------------------------------------------------------


def test_expiring_certificates_within_60_days(client, auth, db):
    user, coop = seller()
    today = shop_today()
    soon = factories.certificate(
        coop, issued_on=today - timedelta(days=1000), expires_on=today + timedelta(days=59)
    )
    factories.certificate(
        coop, issued_on=today - timedelta(days=1000), expires_on=today + timedelta(days=61)
    )
    factories.certificate(
        coop,
        status=CertificateStatus.REVOKED,
        issued_on=today - timedelta(days=1000),
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
