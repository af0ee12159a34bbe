"""Issue 12, point 9 (PFA): verifying and revoking take a confirmation, and queue decisions can
open the next file.

The first POST of "Xác minh" or "Thu hồi" shows what the decision will do (the certificate, its
cooperative and stars, which products go on or off sale) and changes nothing: no status, no
audit event, no e-mail; only the confirming POST (CSRF token, `confirmed=1`) decides. "… và mở
hồ sơ tiếp theo" lands on the oldest file this staff member may decide, and on the queue with
"Hết hồ sơ chờ xử lý" once there is none."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from storefront.domain.catalog.visibility import is_public
from storefront.domain.certificates.decisions import verify_certificate
from storefront.extensions import db as _db
from storefront.models import (
    CertificateStatus,
    Cooperative,
    CooperativeMember,
    CooperativeStatus,
    ListingStatus,
    MemberRole,
    utcnow,
)
from tests.fixtures import factories
from tests.fixtures.mail import mails
from tests.fixtures.pfa import audit_event_count as _events
from tests.fixtures.pfa import certificate_status as _status
from tests.fixtures.pfa import cooperative_status as _coop_status

EMPTY = "Hết hồ sơ chờ xử lý"


def _login(client, user) -> str:
    """Log in through the real form (CSRF on); the token for the following POSTs."""
    page = client.get("/account/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post(
        "/account/login",
        data={
            "email": user.email,
            "password": factories.PASSWORD,
            "csrf_token": token,
        },
    )
    page = client.get("/pfa/").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _submitted(make, coop=None, days_ago=0, **kw):
    cert = make.certificate(
        coop or make.cooperative(email="htx@example.vn"), status=CertificateStatus.SUBMITTED, **kw
    )
    cert.created_at = utcnow() - timedelta(days=days_ago)
    _db.session.commit()
    return cert


# --- the confirmation step --------------------------------------------------------------------


def test_verifying_takes_a_confirming_post(client, make, staff, outbox, csrf_on):
    coop = make.cooperative(legal_name="HTX Vải thiều Tân Hoa", email="htx@example.vn")
    cert = _submitted(make, coop, number="1234/QĐ-UBND", product_name="Vải thiều Lục Ngạn")
    on_sale = make.listing(coop=coop, cert=cert, name="Vải thiều sấy hộp 1 kg")
    url = f"/pfa/certificates/{cert.id}/verify"
    token = _login(client, staff)
    before = _events()

    assert client.get(url).status_code == 405  # a GET never decides
    response = client.post(url, data={"csrf_token": token})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Xác minh giấy chứng nhận này?" in html
    for text in ("1234/QĐ-UBND", "Vải thiều Lục Ngạn", "HTX Vải thiều Tân Hoa", "4 sao"):
        assert text in html, text
    assert "Vải thiều sấy hộp 1 kg" in html.split("Các sản phẩm này được bày bán ngay", 1)[1]
    assert "Các sản phẩm này vẫn bị ẩn" not in html
    assert 'name="confirmed" value="1"' in html
    assert f'href="/pfa/certificates/{cert.id}"' in html  # "Quay lại"
    # The first step changed nothing.
    assert _status(cert.id) is CertificateStatus.SUBMITTED
    assert _events() == before and mails(outbox) == []
    assert not is_public(on_sale.id)

    # The confirming POST needs the token too.
    assert client.post(url, data={"confirmed": "1"}).status_code == 400
    assert _status(cert.id) is CertificateStatus.SUBMITTED

    response = client.post(url, data={"csrf_token": token, "confirmed": "1"}, follow_redirects=True)
    assert "flash--success" in response.get_data(as_text=True)
    assert _status(cert.id) is CertificateStatus.VERIFIED
    assert _events() == before + 1 and len(mails(outbox)) == 1
    assert is_public(on_sale.id)


def test_the_confirmation_says_which_products_stay_hidden_and_why(client, auth, make, staff):
    coop = make.cooperative()
    cert = _submitted(make, coop)
    paused = make.listing(coop=coop, cert=cert, name="Vải thiều tươi", status=ListingStatus.PAUSED)
    auth.login(staff)
    html = client.post(f"/pfa/certificates/{cert.id}/verify").get_data(as_text=True)
    stays = html.split("Các sản phẩm này vẫn bị ẩn", 1)[1]
    assert "Vải thiều tươi" in stays and "Đang ẩn: bản nháp hoặc tạm ngừng bán" in stays
    assert "Các sản phẩm này được bày bán ngay" not in html
    client.post(f"/pfa/certificates/{cert.id}/verify", data={"confirmed": "1"})
    assert _status(cert.id) is CertificateStatus.VERIFIED and not is_public(paused.id)


def test_revoking_takes_a_confirming_post(client, make, staff, outbox, csrf_on):
    coop = make.cooperative(email="htx@example.vn")
    listing = make.listing(coop=coop, name="Miến dong Bình Liêu")
    cert_id = listing.certificate_id
    url = f"/pfa/certificates/{cert_id}/revoke"
    token = _login(client, staff)
    before = _events()

    # No reason: refused at the first step, no confirmation page.
    response = client.post(url, data={"csrf_token": token, "reason": " "}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "flash--error" in html and "Thu hồi giấy chứng nhận này?" not in html

    response = client.post(url, data={"csrf_token": token, "reason": "Giấy chứng nhận giả"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Thu hồi giấy chứng nhận này?" in html
    off_sale = html.split("Các sản phẩm này bị ngừng bán ngay", 1)[1]
    assert "Miến dong Bình Liêu" in off_sale
    assert re.search(r'<textarea[^>]*name="reason"[^>]*required[^>]*>Giấy chứng nhận giả<', html)
    assert "mở hồ sơ tiếp theo" not in html  # revoking is no queue decision
    assert _status(cert_id) is CertificateStatus.VERIFIED
    assert _events() == before and mails(outbox) == []
    assert is_public(listing.id)

    response = client.post(
        url, data={"csrf_token": token, "reason": "Giấy chứng nhận giả", "confirmed": "1"}
    )
    assert response.status_code == 303
    assert _status(cert_id) is CertificateStatus.REVOKED
    assert not is_public(listing.id)
    assert len(mails(outbox)) == 1


def test_a_decision_that_would_be_refused_is_refused_at_the_first_step(client, auth, make, staff):
    coop = make.cooperative()
    _db.session.add(
        CooperativeMember(cooperative_id=coop.id, user_id=staff.id, role=MemberRole.STAFF)
    )
    _db.session.commit()
    cert = _submitted(make, coop)
    expired = _submitted(
        make,
        issued_on=utcnow().date() - timedelta(days=1200),
        expires_on=utcnow().date() - timedelta(days=2),
    )
    auth.login(staff)
    for cert_id in (cert.id, expired.id):
        response = client.post(f"/pfa/certificates/{cert_id}/verify", follow_redirects=True)
        html = response.get_data(as_text=True)
        assert "flash--error" in html and 'name="confirmed"' not in html
        assert _status(cert_id) is CertificateStatus.SUBMITTED
    assert client.post("/pfa/certificates/999999/verify").status_code == 404


def test_a_5_star_first_approval_and_its_confirmation_each_ask_first(
    client, auth, make, staff, other_staff
):
    cert = _submitted(make, stars=5)
    listing = make.listing(coop=cert.cooperative, cert=cert, name="Sâm Ngọc Linh")
    auth.login(staff)
    html = client.post(f"/pfa/certificates/{cert.id}/verify").get_data(as_text=True)
    assert "Phê duyệt lần thứ nhất?" in html
    assert "Sau khi được xác nhận, các sản phẩm này sẽ được bày bán" in html
    assert cert.pending_approval is None
    client.post(f"/pfa/certificates/{cert.id}/verify", data={"confirmed": "1"})
    auth.logout()
    auth.login(other_staff)
    html = client.post(f"/pfa/certificates/{cert.id}/confirm").get_data(as_text=True)
    assert "Xác nhận phê duyệt lần thứ hai và xác minh?" in html and "Sâm Ngọc Linh" in html
    assert _status(cert.id) is CertificateStatus.SUBMITTED and not is_public(listing.id)
    client.post(f"/pfa/certificates/{cert.id}/confirm", data={"confirmed": "1"})
    assert _status(cert.id) is CertificateStatus.VERIFIED and is_public(listing.id)


# --- decide and open the next -----------------------------------------------------------------


@pytest.fixture
def queue(make, staff, other_staff):
    """Five certificates awaiting verification, oldest first: the first is decided; the second
    is a 5-star certificate `staff` gave the first approval; the third belongs to a cooperative
    `staff` works for; the fourth is the next `staff` may decide; the fifth is the newest."""
    own = make.cooperative()
    _db.session.add(
        CooperativeMember(cooperative_id=own.id, user_id=staff.id, role=MemberRole.STAFF)
    )
    _db.session.commit()
    first = _submitted(make, days_ago=5)
    approved = _submitted(make, days_ago=4, stars=5)
    verify_certificate(approved.id, staff)
    conflicted = _submitted(make, own, days_ago=3)
    fourth = _submitted(make, days_ago=2)
    newest = _submitted(make, days_ago=1)
    return first, approved, conflicted, fourth, newest


def test_decide_and_open_the_next_skips_what_the_rules_forbid(client, auth, staff, queue):
    first, approved, conflicted, fourth, newest = queue
    auth.login(staff)
    page = client.get(f"/pfa/certificates/{first.id}").get_data(as_text=True)
    assert 'name="then" value="next"' in page  # "Từ chối và mở hồ sơ tiếp theo"
    assert "Từ chối và mở hồ sơ tiếp theo" in page

    response = client.post(
        f"/pfa/certificates/{first.id}/reject", data={"reason": "Sai số", "then": "next"}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/pfa/certificates/next?after={first.id}"
    response = client.get(response.headers["Location"])
    assert response.headers["Location"] == f"/pfa/certificates/{fourth.id}"
    assert _status(first.id) is CertificateStatus.REJECTED

    # The confirmation page offers the same; verifying lands on the newest.
    html = client.post(f"/pfa/certificates/{fourth.id}/verify").get_data(as_text=True)
    assert "Xác nhận và mở hồ sơ tiếp theo" in html
    response = client.post(
        f"/pfa/certificates/{fourth.id}/verify",
        data={"confirmed": "1", "then": "next"},
        follow_redirects=True,
    )
    assert response.request.path == f"/pfa/certificates/{newest.id}"
    assert _status(fourth.id) is CertificateStatus.VERIFIED

    # The last one this staff member may decide: back to the queue, told it is empty.
    response = client.post(
        f"/pfa/certificates/{newest.id}/verify",
        data={"confirmed": "1", "then": "next"},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert response.request.path == "/pfa/certificates"
    assert EMPTY in html and "flash--success" in html
    # Still in the queue for a colleague: the 5-star one and the conflicted one.
    assert _status(approved.id) is CertificateStatus.SUBMITTED
    assert _status(conflicted.id) is CertificateStatus.SUBMITTED


def test_a_refused_decision_stays_on_its_file(client, auth, staff, other_staff, queue):
    first, *_ = queue
    auth.login(other_staff)
    client.post(f"/pfa/certificates/{first.id}/reject", data={"reason": "Sai số"})
    auth.logout()
    auth.login(staff)
    response = client.post(
        f"/pfa/certificates/{first.id}/verify", data={"confirmed": "1", "then": "next"}
    )
    assert response.headers["Location"] == f"/pfa/certificates/{first.id}"


def test_the_queue_offers_the_oldest_file(client, auth, staff, queue):
    first, *_ = queue
    auth.login(staff)
    page = client.get("/pfa/certificates").get_data(as_text=True)
    assert 'href="/pfa/certificates/next"' in page
    assert client.get("/pfa/certificates/next").headers["Location"] == (
        f"/pfa/certificates/{first.id}"
    )
    # Hostile or unknown `after`: ignored or harmless.
    for after in ("x", "-1", "9" * 30, "999999"):
        response = client.get("/pfa/certificates/next", query_string={"after": after})
        assert response.status_code == 303, after


def test_decide_and_open_the_next_application(client, auth, make, staff):
    later = make.cooperative(status=CooperativeStatus.APPLIED, legal_name="HTX Chè Tân Cương")
    earlier = make.cooperative(status=CooperativeStatus.APPLIED, legal_name="HTX Mật ong Mèo Vạc")
    earlier.created_at = later.created_at - timedelta(days=1)
    _db.session.commit()
    auth.login(staff)
    assert 'href="/pfa/cooperatives/next"' in client.get("/pfa/cooperatives").get_data(as_text=True)
    page = client.get(f"/pfa/cooperatives/{earlier.id}").get_data(as_text=True)
    assert "Duyệt và mở hồ sơ tiếp theo" in page and "Từ chối và mở hồ sơ tiếp theo" in page

    response = client.post(
        f"/pfa/cooperatives/{earlier.id}/approve", data={"then": "next"}, follow_redirects=True
    )
    assert response.request.path == f"/pfa/cooperatives/{later.id}"
    assert _coop_status(earlier.id) is CooperativeStatus.APPROVED

    response = client.post(
        f"/pfa/cooperatives/{later.id}/reject",
        data={"reason": "Thiếu giấy phép", "then": "next"},
        follow_redirects=True,
    )
    assert response.request.path == "/pfa/cooperatives"
    assert EMPTY in response.get_data(as_text=True)
    assert _coop_status(later.id) is CooperativeStatus.REJECTED

    # Suspending is no queue decision: it stays on the cooperative.
    response = client.post(
        f"/pfa/cooperatives/{earlier.id}/suspend", data={"reason": "Hàng giả", "then": "next"}
    )
    assert response.headers["Location"] == f"/pfa/cooperatives/{earlier.id}"
    assert _db.session.get(Cooperative, earlier.id) is not None
