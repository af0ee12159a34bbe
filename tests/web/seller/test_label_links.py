"""The printed QR label is one tap away wherever a seller sees a certificate that may have one:
the certificate list and page, the product list and page. Only a verified certificate valid
today has a label (the label page refuses any other), so only those get the link."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storefront.core.clock import today
from storefront.models import CertificateStatus
from tests.fixtures import factories
from tests.fixtures.seller import seller

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def coop(client, auth):
    client.get("/?lang=en")
    user, coop = seller()
    auth.login(user)
    return coop


def label_url(cert) -> str:
    return f"/seller/certificates/{cert.id}/label"


def test_a_valid_certificate_links_to_its_label_everywhere(client, coop):
    cert = factories.certificate(coop, product_name="Vải thiều Lục Ngạn")
    listing = factories.listing(coop=coop, cert=cert, name="Vải thiều Lục Ngạn")
    for path in (
        "/seller/certificates",
        f"/seller/certificates/{cert.id}",
        "/seller/listings",
        f"/seller/listings/{listing.id}",
    ):
        page = client.get(path).get_data(as_text=True)
        assert f'href="{label_url(cert)}"' in page, path
        assert "Print QR label" in page, path
    # ...and the link leads to a label that prints.
    assert client.get(label_url(cert)).status_code == 200


@pytest.mark.parametrize(
    "kind",
    [CertificateStatus.SUBMITTED, CertificateStatus.REJECTED, CertificateStatus.REVOKED, "expired"],
)
def test_a_certificate_without_a_label_gets_no_link(client, coop, kind):
    if kind == "expired":
        cert = factories.certificate(
            coop, issued_on=today() - timedelta(days=1200), expires_on=today() - timedelta(days=1)
        )
    else:
        cert = factories.certificate(coop, status=kind)
    listing = factories.listing(coop=coop, cert=cert)
    for path in (
        "/seller/certificates",
        f"/seller/certificates/{cert.id}",
        "/seller/listings",
        f"/seller/listings/{listing.id}",
    ):
        page = client.get(path).get_data(as_text=True)
        assert label_url(cert) not in page and "Print QR label" not in page, path


def test_a_listing_without_a_certificate_gets_no_link(client, coop):
    listing = factories.listing(coop=coop, cert=None)
    for path in ("/seller/listings", f"/seller/listings/{listing.id}"):
        assert "Print QR label" not in client.get(path).get_data(as_text=True)


def test_each_label_link_in_a_list_names_its_product(client, coop):
    for name in ("Vải thiều", "Mật ong hoa vải"):
        factories.listing(coop=coop, cert=factories.certificate(coop, product_name=name), name=name)
    certificates = client.get("/seller/certificates").get_data(as_text=True)
    listings = client.get("/seller/listings").get_data(as_text=True)
    for page in (certificates, listings):
        assert 'aria-label="Print QR label: Vải thiều"' in page
        assert 'aria-label="Print QR label: Mật ong hoa vải"' in page
