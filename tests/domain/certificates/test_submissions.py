"""Certificates submitted by a cooperative: the rules, numbers unique whatever their case, and a
scan."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest

from storefront.core.clock import today as shop_today
from storefront.core.errors import InvalidInput, InvalidUpload
from storefront.core.files import Upload
from storefront.domain.certificates.submissions import CertificateInput, submit_certificate
from tests.fixtures import factories
from tests.fixtures.seller import seller, state

pytestmark = pytest.mark.usefixtures("english")


PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def cert_input(**overrides) -> CertificateInput:
    values = {
        "number": "55/QĐ-UBND",
        "stars": 3,
        "product_name": "Mật ong",
        "issuing_authority": "UBND tỉnh Bắc Giang",
        "issued_on": shop_today() - timedelta(days=30),
    }
    values.update(overrides)
    return CertificateInput(**values)


def scan() -> Upload:
    return Upload("scan.pdf", io.BytesIO(PDF))


@pytest.mark.parametrize(
    ("field", "overrides"),
    [
        ("stars", {"stars": 2}),
        ("stars", {"stars": 6}),
        ("issued_on", {"issued_on": shop_today() + timedelta(days=1)}),
        ("expires_on", {"expires_on": shop_today() - timedelta(days=40)}),
        ("expires_on", {"issued_on": date(2020, 1, 1)}),  # 36 months later is past
        ("number", {"number": "  "}),
        ("product_name", {"product_name": ""}),
    ],
)
def test_certificate_rules(app, db, field, overrides):
    user, coop = seller()
    before = state()
    with pytest.raises(InvalidInput) as caught:
        submit_certificate(coop.id, user, cert_input(**overrides), scan())
    assert caught.value.details["field"] == field
    assert state() == before


def test_certificate_numbers_are_unique_whatever_their_case(app, db):
    user, coop = seller()
    _u, other = seller()
    factories.certificate(other, number="DEMO-9/QD-UBND")
    with pytest.raises(InvalidInput) as caught:
        submit_certificate(coop.id, user, cert_input(number="demo-9/qd-ubnd"), scan())
    assert caught.value.details["field"] == "number"


def test_a_scan_is_required(app, db):
    user, coop = seller()
    with pytest.raises(InvalidUpload):
        submit_certificate(coop.id, user, cert_input(), None)
