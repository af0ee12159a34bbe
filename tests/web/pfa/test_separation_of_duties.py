"""Separation of duties through the console (issue 11, item 3): a PFA staff member who applied
for a cooperative, works for it or submitted its certificates gets no decision buttons, and a
forged POST (with a valid CSRF token) is refused and changes nothing."""

from __future__ import annotations

import io
import re
from datetime import timedelta

from storefront.core.clock import today as shop_today
from storefront.core.files import Upload
from storefront.domain.certificates.submissions import CertificateInput, submit_certificate
from storefront.domain.cooperatives.applications import (
    CooperativeApplication,
)
from storefront.extensions import db as _db
from storefront.models import (
    CertificateStatus,
    Cooperative,
    CooperativeMember,
    CooperativeStatus,
    MemberRole,
    Role,
)
from tests.fixtures import factories
from tests.fixtures.mail import mails
from tests.fixtures.pfa import applied_before_becoming_staff
from tests.fixtures.pfa import audit_event_count as _events
from tests.fixtures.pfa import certificate_status as _cert_status
from tests.fixtures.pfa import cooperative_status as _coop_status

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<<>>\n%%EOF\n"
NOTE = 'id="conflict-note"'


def _login(client, user) -> str:
    """Log in through the real form (CSRF on); the token for the following POSTs."""
    page = client.get("/account/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(
        "/account/login",
        data={
            "email": user.email,
            "password": factories.PASSWORD,
            "csrf_token": token,
        },
    )
    assert response.status_code in (302, 303)
    page = client.get("/pfa/").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _logout(client, token):
    client.post("/account/logout", data={"csrf_token": token})


def _refused(client, url, token, **form):
    response = client.post(url, data={"csrf_token": token, **form}, follow_redirects=True)
    assert response.status_code == 200, url
    html = response.get_data(as_text=True)
    assert "flash--error" in html, url
    assert "flash--success" not in html, url
    return html


def test_the_self_certification_attack_through_the_console(client, db, outbox, csrf_on):
    insider = factories.user(role=Role.PFA, email="insider@hoinongdan.vn")
    colleague = factories.user(role=Role.PFA, email="colleague@hoinongdan.vn")
    coop_id = applied_before_becoming_staff(
        insider,
        CooperativeApplication(
            legal_name="HTX Tự Duyệt",
            registration_number="SELF-2",
            address="Thôn 1",
            commune_code=factories.LUC_NGAN_COMMUNE,
            phone="0912345678",
            email="htx@example.vn",
        ),
    ).id
    before = _events()

    token = _login(client, insider)
    page = client.get(f"/pfa/cooperatives/{coop_id}").get_data(as_text=True)
    assert NOTE in page
    assert f"/pfa/cooperatives/{coop_id}/approve" not in page
    html = _refused(client, f"/pfa/cooperatives/{coop_id}/approve", token)
    assert "Hội Nông dân" in html  # the message, in the shop's language
    assert _coop_status(coop_id) is CooperativeStatus.APPLIED
    assert _events() == before
    assert mails(outbox) == []
    _logout(client, token)

    token = _login(client, colleague)
    page = client.get(f"/pfa/cooperatives/{coop_id}").get_data(as_text=True)
    assert NOTE not in page and f"/pfa/cooperatives/{coop_id}/approve" in page
    response = client.post(f"/pfa/cooperatives/{coop_id}/approve", data={"csrf_token": token})
    assert response.status_code == 303
    assert _coop_status(coop_id) is CooperativeStatus.APPROVED
    _logout(client, token)

    cert_id = submit_certificate(
        coop_id,
        _db.session.get(type(insider), insider.id),
        CertificateInput(
            number="98/QĐ-UBND",
            stars=5,
            product_name="Mật ong rừng",
            issuing_authority="UBND tỉnh Bắc Giang",
            issued_on=shop_today() - timedelta(days=30),
        ),
        Upload("scan.pdf", io.BytesIO(PDF)),
    ).id
    before, sent = _events(), len(mails(outbox))
    token = _login(client, insider)
    page = client.get(f"/pfa/certificates/{cert_id}").get_data(as_text=True)
    assert NOTE in page and f"/pfa/certificates/{cert_id}/verify" not in page
    _refused(client, f"/pfa/certificates/{cert_id}/verify", token)
    assert _cert_status(cert_id) is CertificateStatus.SUBMITTED
    assert _events() == before
    assert len(mails(outbox)) == sent


def test_a_member_gets_no_buttons_and_every_decision_is_refused(client, auth, db, outbox):
    insider = factories.user(role=Role.PFA)
    coop = factories.cooperative(status=CooperativeStatus.APPROVED, email="htx@example.vn")
    _db.session.add(
        CooperativeMember(cooperative_id=coop.id, user_id=insider.id, role=MemberRole.STAFF)
    )
    submitted = factories.certificate(coop, status=CertificateStatus.SUBMITTED, number="C-1")
    verified = factories.certificate(coop, status=CertificateStatus.VERIFIED, number="C-2")
    _db.session.commit()
    coop_id, submitted_id, verified_id = coop.id, submitted.id, verified.id
    before = _events()
    auth.login(insider)
    for url in (
        f"/pfa/cooperatives/{coop_id}",
        f"/pfa/certificates/{submitted_id}",
        f"/pfa/certificates/{verified_id}",
    ):
        page = client.get(url).get_data(as_text=True)
        assert NOTE in page and 'name="reason"' not in page, url

    _refused(client, f"/pfa/cooperatives/{coop_id}/suspend", "", reason="Vi phạm")
    assert _coop_status(coop_id) is CooperativeStatus.APPROVED
    _db.session.get(Cooperative, coop_id).status = CooperativeStatus.SUSPENDED
    _db.session.commit()
    _refused(client, f"/pfa/cooperatives/{coop_id}/reinstate", "", reason="Đã khắc phục")
    assert _coop_status(coop_id) is CooperativeStatus.SUSPENDED
    _db.session.get(Cooperative, coop_id).status = CooperativeStatus.APPLIED
    _db.session.commit()
    _refused(client, f"/pfa/cooperatives/{coop_id}/approve", "")
    _refused(client, f"/pfa/cooperatives/{coop_id}/reject", "", reason="Không đạt")
    assert _coop_status(coop_id) is CooperativeStatus.APPLIED
    _refused(client, f"/pfa/certificates/{submitted_id}/verify", "")
    _refused(client, f"/pfa/certificates/{submitted_id}/reject", "", reason="Sai số")
    _refused(client, f"/pfa/certificates/{verified_id}/revoke", "", reason="Giả")
    assert _cert_status(submitted_id) is CertificateStatus.SUBMITTED
    assert _cert_status(verified_id) is CertificateStatus.VERIFIED
    assert _events() == before
    assert mails(outbox) == []
