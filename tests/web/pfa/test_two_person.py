"""The two-person rule through the console (issue 11, item 3), with CSRF on as in production:
one PFA staff member cannot get a 5-star certificate verified alone, nor reinstate a revoked
one alone. The first approver sees who approved and when and a note instead of the button; a
second, different staff member gets the button; the public never sees "Còn hiệu lực" before
the second approval."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from storefront.core.clock import today as shop_today
from storefront.domain.catalog.visibility import is_public
from storefront.domain.certificates.decisions import (
    propose_reinstatement,
    revoke_certificate,
    verify_certificate,
)
from storefront.extensions import db as _db
from storefront.models import Certificate, CertificateStatus, PendingApproval, Role
from tests.fixtures import factories
from tests.fixtures.mail import mails
from tests.fixtures.pfa import audit_event_count as _events
from tests.fixtures.pfa import certificate_status as _status

VALID = "Còn hiệu lực"  # the public verification page's verdict, in the shop's language
AWAITING = "Chờ người thẩm định thứ hai"
NOTE = 'id="second-reviewer-note"'


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


def _post(client, url, token, **form):
    """A decision as the browser sends it; the page it lands on."""
    response = client.post(url, data={"csrf_token": token, **form}, follow_redirects=True)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def _refused(client, url, token, **form):
    html = _post(client, url, token, **form)
    assert "flash--error" in html and "flash--success" not in html, url
    return html


def _accepted(client, url, token, **form):
    html = _post(client, url, token, **form)
    assert "flash--success" in html and "flash--error" not in html, url
    return html


def _pending(cert_id):
    _db.session.expire_all()
    cert = _db.session.get_one(Certificate, cert_id)
    return cert.pending_approval, cert.first_approved_by_id


@pytest.fixture
def five_star(make):
    coop = make.cooperative(email="htx.sam@example.vn")
    cert = make.certificate(
        coop,
        status=CertificateStatus.SUBMITTED,
        stars=5,
        number="77/QĐ-TTg",
        product_name="Sâm Ngọc Linh",
    )
    listing = make.listing(coop=coop, cert=cert, name="Sâm Ngọc Linh Kon Tum")
    return cert, listing


@pytest.fixture
def revoked(make, staff):
    coop = make.cooperative(email="htx.che@example.vn")
    listing = make.listing(coop=coop, name="Chè Shan tuyết Suối Giàng")
    revoke_certificate(listing.certificate_id, staff, "Mẫu kiểm nghiệm không đạt")
    return _db.session.get_one(Certificate, listing.certificate_id), listing


def _public(client, cert, listing):
    """What an anonymous visitor sees: the verification page and the product page."""
    verify = client.get(f"/verify/{cert.number}").get_data(as_text=True)
    return VALID in verify, client.get(f"/products/{listing.slug}").status_code


def test_one_staff_member_cannot_verify_a_5_star_certificate_alone(
    client, db, five_star, staff, other_staff, outbox, csrf_on
):
    cert, listing = five_star
    cert_id, number, slug = cert.id, cert.number, listing.slug
    assert _public(client, cert, listing) == (False, 404)

    token = _login(client, staff)
    page = client.get(f"/pfa/certificates/{cert_id}").get_data(as_text=True)
    assert f'action="/pfa/certificates/{cert_id}/verify"' in page
    assert "Phê duyệt lần thứ nhất" in page  # the button says what it does
    assert f"/pfa/certificates/{cert_id}/confirm" not in page

    # The first step asks for a confirmation and changes nothing (issue 12).
    html = _post(client, f"/pfa/certificates/{cert_id}/verify", token)
    assert "Phê duyệt lần thứ nhất?" in html and 'name="confirmed" value="1"' in html
    assert _pending(cert_id) == (None, None)
    html = _accepted(client, f"/pfa/certificates/{cert_id}/verify", token, confirmed="1")
    assert "Đã ghi nhận lần phê duyệt thứ nhất" in html
    assert _status(cert_id) is CertificateStatus.SUBMITTED
    assert _pending(cert_id) == (PendingApproval.VERIFY, staff.id)
    # The first approver: who and when, a note instead of a button.
    assert AWAITING in html and "Nguyễn Thị Hoa" in html and NOTE in html
    assert f'action="/pfa/certificates/{cert_id}/confirm"' not in html
    assert f'action="/pfa/certificates/{cert_id}/verify"' not in html
    assert f'action="/pfa/certificates/{cert_id}/reject"' in html  # may still reject
    assert AWAITING in client.get("/pfa/certificates").get_data(as_text=True)

    # Forged POSTs by the same person, either button: refused, nothing changes.
    before = _events()
    for url in (f"/pfa/certificates/{cert_id}/confirm", f"/pfa/certificates/{cert_id}/verify"):
        html = _refused(client, url, token)
        assert "một cán bộ khác của Hội Nông dân phải xác nhận" in html
    assert _status(cert_id) is CertificateStatus.SUBMITTED
    assert _pending(cert_id) == (PendingApproval.VERIFY, staff.id)
    assert _events() == before and mails(outbox) == []
    _logout(client, token)

    # The public never sees it as valid before the second approval.
    assert _public(client, cert, listing) == (False, 404)
    assert slug not in client.get("/products").get_data(as_text=True)

    token = _login(client, other_staff)
    page = client.get(f"/pfa/certificates/{cert_id}").get_data(as_text=True)
    assert AWAITING in page and "Nguyễn Thị Hoa" in page and NOTE not in page
    assert f'action="/pfa/certificates/{cert_id}/confirm"' in page
    html = _post(client, f"/pfa/certificates/{cert_id}/confirm", token)
    assert "Sâm Ngọc Linh Kon Tum" in html and _status(cert_id) is CertificateStatus.SUBMITTED
    html = _accepted(client, f"/pfa/certificates/{cert_id}/confirm", token, confirmed="1")
    assert _status(cert_id) is CertificateStatus.VERIFIED
    assert _pending(cert_id) == (None, None)
    assert "Trần Văn Nam" in html and "Nguyễn Thị Hoa" in html  # both in the history
    assert len(mails(outbox)) == 1
    _logout(client, token)

    verify = client.get(f"/verify/{number}").get_data(as_text=True)
    assert VALID in verify
    assert client.get(f"/products/{slug}").status_code == 200
    assert is_public(listing.id)


def test_below_five_stars_the_console_verifies_in_one_step(client, auth, make, staff):
    cert = make.certificate(make.cooperative(), status=CertificateStatus.SUBMITTED, stars=4)
    auth.login(staff)
    page = client.get(f"/pfa/certificates/{cert.id}").get_data(as_text=True)
    assert "Phê duyệt lần thứ nhất" not in page and AWAITING not in page
    response = client.post(f"/pfa/certificates/{cert.id}/verify", data={"confirmed": "1"})
    assert response.status_code == 303
    assert _status(cert.id) is CertificateStatus.VERIFIED


def test_one_staff_member_cannot_reinstate_a_revoked_certificate_alone(
    client, db, revoked, staff, other_staff, outbox, csrf_on
):
    cert, listing = revoked
    cert_id = cert.id
    sent = len(mails(outbox))
    assert _public(client, cert, listing) == (False, 404)

    token = _login(client, other_staff)
    page = client.get(f"/pfa/certificates/{cert_id}").get_data(as_text=True)
    assert f'action="/pfa/certificates/{cert_id}/reinstate"' in page
    assert re.search(r'<textarea[^>]*id="reinstate-reason"[^>]*required', page)
    assert f"/pfa/certificates/{cert_id}/reinstate/confirm" not in page

    # Nothing to confirm yet; no reason, no proposal.
    _refused(client, f"/pfa/certificates/{cert_id}/reinstate/confirm", token)
    _refused(client, f"/pfa/certificates/{cert_id}/reinstate", token, reason="  ")
    assert _pending(cert_id) == (None, None)

    html = _accepted(
        client, f"/pfa/certificates/{cert_id}/reinstate", token, reason="Kiểm nghiệm lại đạt chuẩn"
    )
    assert _status(cert_id) is CertificateStatus.REVOKED
    assert _pending(cert_id) == (PendingApproval.REINSTATE, other_staff.id)
    assert "Đề xuất khôi phục chờ người thẩm định thứ hai" in html
    assert "Trần Văn Nam" in html and "Kiểm nghiệm lại đạt chuẩn" in html and NOTE in html
    assert f'action="/pfa/certificates/{cert_id}/reinstate/confirm"' not in html
    assert f'action="/pfa/certificates/{cert_id}/reinstate/decline"' in html  # withdraw

    before = _events()
    _refused(client, f"/pfa/certificates/{cert_id}/reinstate/confirm", token)
    _refused(client, f"/pfa/certificates/{cert_id}/reinstate", token, reason="Lần nữa")
    assert _status(cert_id) is CertificateStatus.REVOKED and _events() == before
    assert len(mails(outbox)) == sent
    _logout(client, token)
    assert _public(client, cert, listing) == (False, 404)

    token = _login(client, staff)
    page = client.get(f"/pfa/certificates/{cert_id}").get_data(as_text=True)
    assert NOTE not in page
    assert f'action="/pfa/certificates/{cert_id}/reinstate/confirm"' in page
    assert f'action="/pfa/certificates/{cert_id}/reinstate/decline"' in page
    _accepted(client, f"/pfa/certificates/{cert_id}/reinstate/confirm", token)
    assert _status(cert_id) is CertificateStatus.VERIFIED
    assert len(mails(outbox)) == sent + 1
    assert "khôi phục" in mails(outbox)[-1]["Subject"]
    _logout(client, token)

    assert _public(client, cert, listing) == (True, 200)
    assert listing.slug in client.get("/search?q=che shan tuyet suoi giang").get_data(as_text=True)


def test_a_proposal_can_be_turned_down(client, auth, revoked, staff, other_staff, outbox):
    cert, listing = revoked
    propose_reinstatement(cert.id, staff, "Đạt")
    auth.login(other_staff)
    response = client.post(
        f"/pfa/certificates/{cert.id}/reinstate/decline",
        data={"reason": "Thiếu hồ sơ"},
        follow_redirects=True,
    )
    assert "flash--success" in response.get_data(as_text=True)
    assert _pending(cert.id) == (None, None)
    assert _status(cert.id) is CertificateStatus.REVOKED
    assert not is_public(listing.id)


def test_an_expired_revoked_certificate_offers_no_reinstatement(client, auth, make, staff):
    cert = make.certificate(
        make.cooperative(),
        status=CertificateStatus.REVOKED,
        issued_on=shop_today() - timedelta(days=1200),
        expires_on=shop_today() - timedelta(days=1),
    )
    auth.login(staff)
    page = client.get(f"/pfa/certificates/{cert.id}").get_data(as_text=True)
    assert f"/pfa/certificates/{cert.id}/reinstate" not in page
    assert "không thể khôi phục" in page
    response = client.post(
        f"/pfa/certificates/{cert.id}/reinstate", data={"reason": "Đạt"}, follow_redirects=True
    )
    assert "flash--error" in response.get_data(as_text=True)
    assert _pending(cert.id) == (None, None)


def _new_urls(cert_id):
    return [
        f"/pfa/certificates/{cert_id}/confirm",
        f"/pfa/certificates/{cert_id}/reinstate",
        f"/pfa/certificates/{cert_id}/reinstate/confirm",
        f"/pfa/certificates/{cert_id}/reinstate/decline",
    ]


def test_the_new_decisions_need_the_csrf_token_and_post(
    client, five_star, revoked, staff, other_staff, csrf_on
):
    cert5, _ = five_star
    revoked_cert, _ = revoked
    verify_certificate(cert5.id, staff)
    propose_reinstatement(revoked_cert.id, staff, "Đạt")
    before = _events()
    token = _login(client, other_staff)
    for cert_id in (cert5.id, revoked_cert.id):
        for url in _new_urls(cert_id):
            assert client.get(url).status_code == 405, url
            assert client.post(url, data={"reason": "x"}).status_code == 400, url
    assert _events() == before
    assert _status(cert5.id) is CertificateStatus.SUBMITTED
    assert _status(revoked_cert.id) is CertificateStatus.REVOKED
    _accepted(client, f"/pfa/certificates/{cert5.id}/confirm", token, confirmed="1")


@pytest.mark.parametrize("role", [Role.CUSTOMER, None])
def test_only_staff_reach_the_new_decisions(client, auth, make, five_star, revoked, staff, role):
    cert5, _ = five_star
    revoked_cert, _ = revoked
    verify_certificate(cert5.id, staff)
    propose_reinstatement(revoked_cert.id, staff, "Đạt")
    before = _events()
    if role is not None:
        auth.login(make.user(role=role))
    for cert_id in (cert5.id, revoked_cert.id):
        for url in _new_urls(cert_id):
            response = client.post(url, data={"reason": "x"})
            assert response.status_code == (403 if role else 302), url
    assert _events() == before


def test_unknown_certificates_answer_404(client, auth, staff):
    auth.login(staff)
    for url in _new_urls(999_999):
        assert client.post(url, data={"reason": "x"}).status_code == 404, url
