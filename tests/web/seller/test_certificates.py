"""Certificates from the cooperative's side: submit with a scan, correct, resend, and who may
see the scan."""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from storefront.core.clock import today as shop_today
from storefront.core.errors import InvalidTransition, NotFound
from storefront.core.files import Upload
from storefront.domain.catalog.visibility import is_public
from storefront.domain.certificates.submissions import (
    CertificateInput,
    certificate_scan,
    submit_certificate,
    update_certificate,
)
from storefront.models import AuditEvent, Certificate, CertificateStatus, Listing, Role, add_months
from tests.fixtures import factories
from tests.fixtures.seller import file_field, png_bytes, seller, state

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture(autouse=True)
def _english_pages(client):
    """These tests read the pages' English msgids; the shop itself starts in Vietnamese."""
    client.get("/?lang=en")


PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def cert_form(**overrides) -> dict:
    data = {
        "number": "1234/QĐ-UBND",
        "stars": "4",
        "product_name": "Vải thiều Lục Ngạn",
        "issuing_authority": "UBND tỉnh Bắc Giang",
        "issued_on": "2025-03-10",
        "expires_on": "",
        "scan": file_field(PDF, "quyet-dinh.pdf"),
    }
    data.update(overrides)
    return data


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


def audit(action: str) -> list[AuditEvent]:
    return list(
        __import__("storefront.extensions", fromlist=["db"]).db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action)
        )
    )


def test_submitting_a_certificate_stores_a_private_scan_and_audits(client, auth, app, db):
    user, coop = seller()
    auth.login(user)
    response = client.post(
        "/seller/certificates/new", data=cert_form(), content_type="multipart/form-data"
    )
    assert response.status_code == 302
    cert = db.session.scalar(select(Certificate))
    assert cert.status is CertificateStatus.SUBMITTED
    assert cert.cooperative_id == coop.id
    assert cert.expires_on == add_months(date(2025, 3, 10), 36) == date(2028, 3, 10)
    assert cert.scan_filename.endswith(".pdf") and "quyet" not in cert.scan_filename
    stored = Path(app.config["SCAN_DIR"]) / cert.scan_filename
    assert stored.read_bytes() == PDF
    assert not stored.is_relative_to(app.config["UPLOAD_DIR"])  # outside the public media root
    [event] = audit("certificate.submit")
    assert (event.actor_id, event.from_status, event.to_status) == (user.id, "", "submitted")
    assert event.cooperative_id == coop.id


def test_a_certificate_sent_from_a_listing_backs_it_and_the_checklist_waits_for_pfa(
    client, auth, db
):
    user, coop = seller()
    listing = factories.listing(coop=coop, cert=False)  # active, packages in stock
    auth.login(user)
    page = client.get(f"/seller/listings/{listing.id}").get_data(as_text=True)
    assert "Not on sale yet" in page
    response = client.post(
        f"/seller/certificates/new?listing={listing.id}",
        data=cert_form(listing_id=str(listing.id)),
        content_type="multipart/form-data",
    )
    assert response.headers["Location"].endswith(f"/seller/listings/{listing.id}")
    db.session.expire_all()
    assert db.session.get(Listing, listing.id).certificate.number == "1234/QĐ-UBND"
    page = client.get(f"/seller/listings/{listing.id}").get_data(as_text=True)
    assert "Waiting for PFA verification" in page
    assert "Nothing more to do on your side" in page


def test_a_rejected_certificate_is_resent_for_review(client, auth, db):
    user, coop = seller()
    cert = factories.certificate(
        coop, status=CertificateStatus.REJECTED, status_reason="Số quyết định không khớp"
    )
    auth.login(user)
    page = client.get(f"/seller/certificates/{cert.id}").get_data(as_text=True)
    assert "Số quyết định không khớp" in page  # the reviewer's reason is shown
    response = client.post(
        f"/seller/certificates/{cert.id}/edit",
        data=cert_form(number="1234/QĐ-UBND", scan=(io.BytesIO(b""), "")),
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    db.session.expire_all()
    cert = db.session.get(Certificate, cert.id)
    assert cert.status is CertificateStatus.SUBMITTED and cert.status_reason == ""
    [event] = audit("certificate.resubmit")
    assert (event.from_status, event.to_status, event.actor_id) == (
        "rejected",
        "submitted",
        user.id,
    )


@pytest.mark.parametrize(
    "change",
    [
        {"stars": 5},
        {"number": "NEW-1/QĐ-UBND"},
        {"issued_on": shop_today() - timedelta(days=10)},
        {"expires_on": shop_today() + timedelta(days=400)},
    ],
)
def test_changing_what_pfa_verified_sends_it_back_and_hides_the_listing(app, db, change):
    user, coop = seller()
    listing = factories.listing(coop=coop)
    cert = listing.certificate
    assert is_public(listing.id)
    data = cert_input(
        number=cert.number,
        stars=cert.stars,
        product_name=cert.product_name,
        issuing_authority=cert.issuing_authority,
        issued_on=cert.issued_on,
        expires_on=cert.expires_on,
    )
    for key, value in change.items():
        setattr(data, key, value)
    update_certificate(cert.id, coop.id, user, data)
    db.session.expire_all()
    assert db.session.get(Certificate, cert.id).status is CertificateStatus.SUBMITTED
    assert not is_public(listing.id)
    [event] = audit("certificate.edit")
    assert (event.from_status, event.to_status) == ("verified", "submitted")
    assert set(change) <= set(event.data["changed"])


def test_saving_a_verified_certificate_unchanged_keeps_it_verified(app, db):
    user, coop = seller()
    cert = factories.certificate(coop)
    data = cert_input(
        number=cert.number,
        stars=cert.stars,
        product_name=cert.product_name,
        issuing_authority=cert.issuing_authority,
        issued_on=cert.issued_on,
        expires_on=cert.expires_on,
    )
    update_certificate(cert.id, coop.id, user, data)
    db.session.expire_all()
    assert db.session.get(Certificate, cert.id).status is CertificateStatus.VERIFIED
    assert audit("certificate.edit") == []


def test_a_revoked_certificate_cannot_be_changed(client, auth, db):
    user, coop = seller()
    cert = factories.certificate(coop, status=CertificateStatus.REVOKED, status_reason="Hết hạn")
    before = state()
    with pytest.raises(InvalidTransition):
        update_certificate(cert.id, coop.id, user, cert_input())
    auth.login(user)
    assert client.get(f"/seller/certificates/{cert.id}/edit").status_code == 302
    response = client.post(
        f"/seller/certificates/{cert.id}/edit", data=cert_form(), content_type="multipart/form-data"
    )
    assert response.status_code == 302
    assert state() == before


# --- the scan is private --------------------------------------------------------------------------


def test_the_scan_is_served_to_members_only_never_publicly(client, auth, app, db):
    owner, coop = seller()
    cert = submit_certificate(
        coop.id, owner, cert_input(), Upload("scan.png", io.BytesIO(png_bytes()))
    )
    url = f"/seller/certificates/{cert.id}/scan"

    # Not logged in: to the login page. Public media path: not found.
    assert client.get(url).status_code == 302
    assert client.get(f"/media/certificates/{cert.scan_filename}").status_code == 404

    auth.login(owner)
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response.headers["Cache-Control"]
    auth.logout()

    stranger = factories.user()
    auth.login(stranger)
    assert client.get(url).status_code in (302, 404)  # no cooperative: sent to apply
    auth.logout()

    other_owner, _other = seller()
    auth.login(other_owner)
    assert client.get(url).status_code == 404


def test_a_pdf_scan_is_downloaded_not_rendered(client, auth, db):
    owner, coop = seller()
    cert = submit_certificate(coop.id, owner, cert_input(), scan())
    auth.login(owner)
    response = client.get(f"/seller/certificates/{cert.id}/scan")
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment")


def test_pfa_staff_may_open_any_scan_others_may_not(app, db):
    owner, coop = seller()
    cert = submit_certificate(coop.id, owner, cert_input(), scan())
    staff = factories.user(role=Role.PFA)
    assert certificate_scan(cert.id, staff).path.read_bytes() == PDF
    assert certificate_scan(cert.id, owner).mimetype == "application/pdf"
    for viewer in (None, factories.user(), seller()[0]):
        with pytest.raises(NotFound):
            certificate_scan(cert.id, viewer)
