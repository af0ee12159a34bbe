"""The PFA console's pages: who may open them, POST + CSRF for every decision, queues and their
filters, the review page with its scan, expiries, the audit log and its CSV, the dashboard."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from storefront.core.clock import today as shop_today
from storefront.domain.catalog.visibility import is_public
from storefront.extensions import db as _db
from storefront.models import (
    AuditEvent,
    Certificate,
    CertificateStatus,
    Cooperative,
    CooperativeMember,
    CooperativeStatus,
    ListingStatus,
    MemberRole,
    OcopGroup,
    Order,
    OrderLine,
    OrderStatus,
    PaymentMethod,
    Role,
    Shipment,
    ShipmentStatus,
)
from storefront.web.pfa.csvexport import safe_cell
from tests.fixtures.mail import mails

BAT_TRANG = 577  # Xã Bát Tràng, Hà Nội
LUC_NGAN = 7582  # Xã Lục Ngạn, Bắc Ninh
HA_NOI, BAC_NINH = 1, 24

GET_PAGES = [
    "/pfa/",
    "/pfa/certificates",
    "/pfa/certificates?status=verified",
    "/pfa/cooperatives",
    "/pfa/expiries",
    "/pfa/audit",
    "/pfa/audit.csv",
    "/pfa/programme",
    "/pfa/programme.csv",
]


@pytest.fixture
def submitted(make):
    coop = make.cooperative(email="htx@example.vn")
    cert = make.certificate(coop, status=CertificateStatus.SUBMITTED, product_name="Vải thiều")
    listing = make.listing(coop=coop, cert=cert, name="Vải thiều sấy")
    return cert, listing


def _status(cert_id):
    _db.session.expire_all()
    return _db.session.scalar(select(Certificate.status).where(Certificate.id == cert_id))


# --- who may come in --------------------------------------------------------------------------


def _post_urls(cert_id, coop_id):
    return [
        f"/pfa/certificates/{cert_id}/verify",
        f"/pfa/certificates/{cert_id}/reject",
        f"/pfa/certificates/{cert_id}/revoke",
        f"/pfa/cooperatives/{coop_id}/approve",
        f"/pfa/cooperatives/{coop_id}/reject",
        f"/pfa/cooperatives/{coop_id}/suspend",
        f"/pfa/cooperatives/{coop_id}/reinstate",
    ]


def test_anonymous_visitors_are_sent_to_log_in(client, submitted):
    cert, listing = submitted
    pages = GET_PAGES + [
        f"/pfa/certificates/{cert.id}",
        f"/pfa/certificates/{cert.id}/scan",
        f"/pfa/cooperatives/{cert.cooperative_id}",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/account/login" in response.headers["Location"]
    for url in _post_urls(cert.id, cert.cooperative_id):
        assert client.post(url, data={"reason": "x"}).status_code == 302, url
    assert _status(cert.id) is CertificateStatus.SUBMITTED


def test_customers_and_sellers_are_refused(client, auth, make, submitted):
    cert, _ = submitted
    seller = make.user(email="seller@example.vn")
    _db.session.add(
        CooperativeMember(cooperative_id=cert.cooperative_id, user=seller, role=MemberRole.OWNER)
    )
    _db.session.commit()
    for user in (make.user(), seller):
        auth.login(user)
        for url in GET_PAGES + [
            f"/pfa/certificates/{cert.id}",
            f"/pfa/certificates/{cert.id}/scan",
        ]:
            assert client.get(url).status_code == 403, (user, url)
        for url in _post_urls(cert.id, cert.cooperative_id):
            assert client.post(url, data={"reason": "x"}).status_code == 403, url
        auth.logout()
    assert _status(cert.id) is CertificateStatus.SUBMITTED
    assert _db.session.scalars(select(AuditEvent)).all() == []


@pytest.mark.parametrize("role", [Role.PFA, Role.ADMIN])
def test_staff_and_admins_open_every_page(client, auth, make, submitted, role):
    cert, _ = submitted
    auth.login(make.user(role=role))
    for url in GET_PAGES + [
        f"/pfa/certificates/{cert.id}",
        f"/pfa/cooperatives/{cert.cooperative_id}",
    ]:
        assert client.get(url).status_code == 200, url
        assert client.get(url + ("&" if "?" in url else "?") + "lang=en").status_code == 200, url


def test_decisions_are_post_only(client, auth, staff, submitted):
    cert, _ = submitted
    auth.login(staff)
    for url in _post_urls(cert.id, cert.cooperative_id):
        assert client.get(url).status_code == 405, url
    assert _status(cert.id) is CertificateStatus.SUBMITTED


def test_decisions_need_the_csrf_token(app, client, auth, staff, submitted, csrf_on):
    cert, listing = submitted
    login_page = client.get("/account/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    client.post(
        "/account/login",
        data={"email": staff.email, "password": "correct horse battery", "csrf_token": token},
    )
    for url in _post_urls(cert.id, cert.cooperative_id):
        assert client.post(url, data={"reason": "x"}).status_code == 400, url
    assert _status(cert.id) is CertificateStatus.SUBMITTED

    # With the token from the review page the decision goes through, once confirmed (issue 12:
    # the first POST shows what it will do; the confirming POST decides).
    page = client.get(f"/pfa/certificates/{cert.id}").get_data(as_text=True)
    form_token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(f"/pfa/certificates/{cert.id}/verify", data={"csrf_token": form_token})
    assert response.status_code == 200
    assert _status(cert.id) is CertificateStatus.SUBMITTED
    assert (
        client.post(f"/pfa/certificates/{cert.id}/verify", data={"confirmed": "1"}).status_code
        == 400
    )  # the confirming POST needs the token too
    response = client.post(
        f"/pfa/certificates/{cert.id}/verify", data={"csrf_token": form_token, "confirmed": "1"}
    )
    assert response.status_code == 303
    assert _status(cert.id) is CertificateStatus.VERIFIED


# --- deciding through the console -------------------------------------------------------------


def test_verify_from_the_review_page(client, auth, staff, submitted, outbox):
    cert, listing = submitted
    auth.login(staff)
    page = client.get(f"/pfa/certificates/{cert.id}").get_data(as_text=True)
    assert f'action="/pfa/certificates/{cert.id}/verify"' in page
    response = client.post(
        f"/pfa/certificates/{cert.id}/verify", data={"confirmed": "1"}, follow_redirects=True
    )
    assert response.status_code == 200
    assert "flash--success" in response.get_data(as_text=True)
    assert _status(cert.id) is CertificateStatus.VERIFIED
    assert is_public(listing.id)
    assert "Vải thiều sấy" in client.get("/search?q=vai thieu").get_data(as_text=True)
    assert len(mails(outbox)) == 1


def test_a_reason_is_required_and_a_missing_one_changes_nothing(
    client, auth, staff, submitted, outbox
):
    cert, _ = submitted
    auth.login(staff)
    response = client.post(
        f"/pfa/certificates/{cert.id}/reject", data={"reason": "  "}, follow_redirects=True
    )
    html = response.get_data(as_text=True)
    assert "flash--error" in html
    assert "reason" in html.lower() or "lý do" in html.lower()
    assert _status(cert.id) is CertificateStatus.SUBMITTED
    assert mails(outbox) == []
    # The form asks for it before sending, too.
    page = client.get(f"/pfa/certificates/{cert.id}").get_data(as_text=True)
    assert re.search(r'<textarea[^>]*name="reason"[^>]*required', page)


def test_the_second_staff_member_is_told_it_was_already_decided(
    client, auth, staff, other_staff, submitted
):
    cert, _ = submitted
    auth.login(staff)
    client.post(f"/pfa/certificates/{cert.id}/verify", data={"confirmed": "1"})
    auth.logout()
    auth.login(other_staff)
    response = client.post(
        f"/pfa/certificates/{cert.id}/reject", data={"reason": "Sai số"}, follow_redirects=True
    )
    html = response.get_data(as_text=True)
    assert "flash--error" in html
    assert "already decided" in html or "đã" in html
    assert _status(cert.id) is CertificateStatus.VERIFIED


def test_revoke_takes_the_product_off_everywhere_in_the_same_request(client, auth, staff, make):
    listing = make.listing(name="Miến dong Bình Liêu")
    cert_id, slug = listing.certificate_id, listing.slug
    assert slug in client.get("/products").get_data(as_text=True)
    assert slug in client.get("/search?q=mien dong binh lieu").get_data(as_text=True)
    assert slug in client.get("/sitemap.xml").get_data(as_text=True)

    auth.login(staff)
    response = client.post(
        f"/pfa/certificates/{cert_id}/revoke",
        data={"reason": "Giấy chứng nhận giả", "confirmed": "1"},
    )
    assert response.status_code == 303
    auth.logout()

    assert slug not in client.get("/products").get_data(as_text=True)
    assert slug not in client.get("/search?q=mien dong binh lieu").get_data(as_text=True)
    assert slug not in client.get("/sitemap.xml").get_data(as_text=True)
    assert client.get(f"/products/{slug}").status_code == 404


def test_cooperative_decisions_from_the_console(client, auth, staff, make, outbox):
    coop = make.cooperative(status=CooperativeStatus.APPLIED, email="htx@example.vn")
    auth.login(staff)
    assert coop.legal_name in client.get("/pfa/cooperatives").get_data(as_text=True)
    assert coop.legal_name in client.get("/pfa/").get_data(as_text=True)
    assert client.post(f"/pfa/cooperatives/{coop.id}/approve").status_code == 303
    assert (
        client.post(f"/pfa/cooperatives/{coop.id}/suspend", data={"reason": ""}).status_code == 303
    )
    _db.session.expire_all()
    assert _db.session.get(Cooperative, coop.id).status is CooperativeStatus.APPROVED
    client.post(f"/pfa/cooperatives/{coop.id}/suspend", data={"reason": "Hàng giả"})
    _db.session.expire_all()
    assert _db.session.get(Cooperative, coop.id).status is CooperativeStatus.SUSPENDED
    page = client.get(f"/pfa/cooperatives/{coop.id}").get_data(as_text=True)
    assert "Hàng giả" in page and "/reinstate" in page
    assert client.post(f"/pfa/cooperatives/{coop.id}/bogus").status_code == 404


# --- queues -----------------------------------------------------------------------------------


def test_certificate_queue_is_oldest_first_and_filters(client, auth, staff, make, db):
    hanoi_coop = make.cooperative(commune=make.commune(BAT_TRANG))
    bacninh_coop = make.cooperative()
    now = datetime.now(UTC)
    old = make.certificate(
        hanoi_coop,
        status=CertificateStatus.SUBMITTED,
        stars=3,
        product_name="Gốm Bát Tràng",
        created_at=now - timedelta(days=9),
    )
    mid = make.certificate(
        bacninh_coop,
        status=CertificateStatus.SUBMITTED,
        stars=4,
        product_name="Vải thiều Lục Ngạn",
        created_at=now - timedelta(days=5),
    )
    new = make.certificate(
        bacninh_coop,
        status=CertificateStatus.SUBMITTED,
        stars=5,
        product_name="Rượu làng Vân",
        created_at=now - timedelta(days=1),
    )
    make.listing(
        coop=hanoi_coop,
        cert=old,
        group=OcopGroup.HANDICRAFTS,
        origin_commune=make.commune(BAT_TRANG),
    )
    make.listing(coop=bacninh_coop, cert=new, group=OcopGroup.DRINKS)
    make.certificate(bacninh_coop, status=CertificateStatus.VERIFIED, product_name="Đã xác minh")
    auth.login(staff)

    def names(**args):
        html = client.get("/pfa/certificates", query_string=args).get_data(as_text=True)
        return re.findall(r'class="queue__title"[^>]*>([^<]+)<', html)

    assert names() == ["Gốm Bát Tràng", "Vải thiều Lục Ngạn", "Rượu làng Vân"]
    assert names(province=HA_NOI) == ["Gốm Bát Tràng"]
    assert names(province=BAC_NINH) == ["Vải thiều Lục Ngạn", "Rượu làng Vân"]
    assert names(province=HA_NOI, commune=BAT_TRANG) == ["Gốm Bát Tràng"]
    assert names(province=BAC_NINH, commune=BAT_TRANG) == []
    assert names(group=2) == ["Rượu làng Vân"]
    assert names(group=4) == ["Gốm Bát Tràng"]
    assert names(stars=4) == ["Vải thiều Lục Ngạn"]
    assert names(q="Gốm") == ["Gốm Bát Tràng"]
    assert names(q=new.number) == ["Rượu làng Vân"]
    assert names(status="verified") == ["Đã xác minh"]
    assert names(stars="abc", group=99) == names()  # nonsense filters are ignored
    # The commune choices are those of the chosen province.
    html = client.get("/pfa/certificates", query_string={"province": HA_NOI}).get_data(as_text=True)
    assert f'<option value="{BAT_TRANG}"' in html and f'<option value="{LUC_NGAN}"' not in html
    del mid


# --- review page and scans --------------------------------------------------------------------


def _store_scan(app, name: str, data: bytes) -> str:
    folder = Path(app.config["SCAN_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    return name


def test_review_page_shows_fields_scan_listing_and_history(app, client, auth, staff, make, db):
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(buffer, "PNG")
    coop = make.cooperative(legal_name="HTX Mật ong Hoa Ban")
    cert = make.certificate(
        coop,
        status=CertificateStatus.SUBMITTED,
        number="77/QĐ-UBND",
        scan_filename=_store_scan(app, "a1b2c3.png", buffer.getvalue()),
    )
    make.listing(coop=coop, cert=cert, name="Mật ong hoa ban 500 ml")
    db.session.add(
        AuditEvent(
            actor_id=staff.id,
            action="certificate.reject",
            subject_type="certificate",
            subject_id=cert.id,
            cooperative_id=coop.id,
            from_status="submitted",
            to_status="rejected",
            reason="Ảnh mờ, chụp lại",
        )
    )
    db.session.commit()
    auth.login(staff)
    html = client.get(f"/pfa/certificates/{cert.id}").get_data(as_text=True)
    for text in (
        "77/QĐ-UBND",
        cert.product_name,
        cert.issuing_authority,
        "HTX Mật ong Hoa Ban",
        "Mật ong hoa ban 500 ml",
        "Ảnh mờ, chụp lại",
        staff.name,
    ):
        assert text in html, text
    assert f'<img class="scan" src="/pfa/certificates/{cert.id}/scan"' in html

    scan = client.get(f"/pfa/certificates/{cert.id}/scan")
    assert scan.status_code == 200 and scan.mimetype == "image/png"
    assert scan.data == buffer.getvalue()
    assert scan.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in scan.headers["Cache-Control"]


def test_pdf_scans_open_in_a_tab_of_their_own(app, client, auth, staff, make):
    cert = make.certificate(
        make.cooperative(),
        status=CertificateStatus.SUBMITTED,
        scan_filename=_store_scan(app, "d4e5f6.pdf", b"%PDF-1.4\n%%EOF\n"),
    )
    auth.login(staff)
    page = client.get(f"/pfa/certificates/{cert.id}")
    html = page.get_data(as_text=True)
    # An <object> would show nothing: the policy allows none (it was one until 2026-12-06).
    assert "object-src 'none'" in page.headers["Content-Security-Policy"]
    assert "<object" not in html
    assert f'href="/pfa/certificates/{cert.id}/scan" target="_blank" rel="noopener"' in html
    inline = client.get(f"/pfa/certificates/{cert.id}/scan")
    assert inline.mimetype == "application/pdf"
    assert not inline.headers.get("Content-Disposition", "").startswith("attachment")
    response = client.get(f"/pfa/certificates/{cert.id}/scan?download=1")
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment")


def test_no_scan(client, auth, staff, make):
    cert = make.certificate(make.cooperative(), status=CertificateStatus.SUBMITTED)
    auth.login(staff)
    assert client.get(f"/pfa/certificates/{cert.id}/scan").status_code == 404
    assert client.get("/pfa/certificates/999999").status_code == 404


# --- expiries ---------------------------------------------------------------------------------


def test_expiries_page(client, auth, staff, make):
    today = shop_today()
    coop = make.cooperative()

    def cert(days, **kw):
        return make.certificate(
            coop,
            issued_on=today - timedelta(days=1000),
            expires_on=today + timedelta(days=days),
            **kw,
        )

    soon, later, latest, far = (
        cert(10, product_name="Hết hạn 10"),
        cert(45, product_name="Hết hạn 45"),
        cert(80, product_name="Hết hạn 80"),
        cert(200, product_name="Còn lâu"),
    )
    expired = cert(-5, product_name="Đã hết hạn")
    make.listing(coop=coop, cert=expired, name="Vẫn gắn giấy hết hạn")
    revoked = cert(20, product_name="Đã thu hồi", status=CertificateStatus.REVOKED)
    auth.login(staff)
    html = client.get("/pfa/expiries").get_data(as_text=True)

    def section(anchor):
        return html.split(f'id="{anchor}"')[1].split("</section>")[0]

    assert "Hết hạn 10" in section("within-30") and "Hết hạn 45" not in section("within-30")
    assert "Hết hạn 45" in section("within-60")
    assert "Hết hạn 80" in section("within-90")
    assert "Đã hết hạn" in section("expired") and "Vẫn gắn giấy hết hạn" in section("expired")
    assert "Còn lâu" not in html and "Đã thu hồi" not in html
    del soon, later, latest, far, revoked


# --- audit log --------------------------------------------------------------------------------


def test_audit_log_filters_and_csv(client, auth, staff, other_staff, make, db):
    coop_a = make.cooperative(legal_name="HTX An Bình")
    coop_b = make.cooperative(legal_name="HTX Bảo Lộc")
    cert_a = make.certificate(coop_a, number="1/QĐ-UBND")
    cert_b = make.certificate(coop_b, number="2/QĐ-UBND")
    t0 = datetime(2026, 5, 10, 3, 0, tzinfo=UTC)  # 10:00 in Hà Nội

    def event(actor, action, cert, at, reason=""):
        db.session.add(
            AuditEvent(
                actor_id=actor.id,
                action=action,
                subject_type="certificate",
                subject_id=cert.id,
                cooperative_id=cert.cooperative_id,
                from_status="verified",
                to_status="revoked",
                reason=reason,
                at=at,
            )
        )

    event(staff, "certificate.verify", cert_a, t0)
    event(
        other_staff,
        "certificate.revoke",
        cert_b,
        t0 + timedelta(days=1),
        reason='=HYPERLINK("http://evil.example","bấm vào"), "trích dẫn"\nxuống dòng',
    )
    # 23:30 in Hà Nội on 11 May is still 11 May there (16:30 UTC).
    event(staff, "certificate.revoke", cert_a, datetime(2026, 5, 11, 16, 30, tzinfo=UTC), "-1+2")
    db.session.commit()
    auth.login(staff)

    def reasons(**args):
        html = client.get("/pfa/audit", query_string=args).get_data(as_text=True)
        return len(re.findall(r"<tr>\s*<td[^>]*><time", html))

    assert reasons() == 3
    assert reasons(actor=staff.id) == 2
    assert reasons(cooperative=coop_b.id) == 1
    assert reasons(action="certificate.revoke") == 2
    assert reasons(**{"from": "2026-05-11"}) == 2
    assert reasons(**{"from": "2026-05-11", "to": "2026-05-11"}) == 2
    assert reasons(**{"to": "2026-05-10"}) == 1

    response = client.get("/pfa/audit.csv", query_string={"action": "certificate.revoke"})
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:4] == ["time", "staff", "staff_email", "action"]
    assert len(rows) == 3
    by_subject = {row[5]: row for row in rows[1:]}
    evil = by_subject["2/QĐ-UBND"]
    assert evil[9] == "'" + '=HYPERLINK("http://evil.example","bấm vào"), "trích dẫn"\nxuống dòng'
    assert evil[1] == other_staff.name and evil[6] == "HTX Bảo Lộc"
    assert evil[0] == "2026-05-11T10:00:00+07:00"
    assert by_subject["1/QĐ-UBND"][9] == "'-1+2"


@pytest.mark.parametrize(
    "value, expected",
    [
        ("=1+1", "'=1+1"),
        ("+84 912", "'+84 912"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("Bình thường", "Bình thường"),
        (12, 12),
        (-3, -3),
        (None, ""),
    ],
)
def test_csv_cells_never_start_a_formula(value, expected):
    assert safe_cell(value) == expected


# --- programme dashboard ----------------------------------------------------------------------


def _order(
    db,
    listing,
    quantity,
    price,
    *,
    status=OrderStatus.PLACED,
    shipment_status=ShipmentStatus.NEW,
    number="A1",
):
    coop = listing.cooperative
    order = Order(
        number=number,
        email="buyer@example.vn",
        phone="0900000000",
        recipient="Khách",
        street="1 Phố Huế",
        address_text="1 Phố Huế, Hà Nội",
        payment_method=PaymentMethod.COD,
        status=status,
        subtotal=price * quantity,
        total=price * quantity,
    )
    shipment = Shipment(
        order=order,
        cooperative_id=coop.id,
        cooperative_name=coop.legal_name,
        subtotal=price * quantity,
        status=shipment_status,
    )
    order.lines.append(
        OrderLine(
            shipment=shipment,
            listing_id=listing.id,
            product_name=listing.name,
            package_label="Hộp",
            weight_grams=1000,
            unit_price=price,
            quantity=quantity,
            cooperative_id=coop.id,
            cooperative_name=coop.legal_name,
            certificate_number="x",
            stars=4,
            origin="x",
        )
    )
    db.session.add(order)
    db.session.commit()


def test_programme_dashboard_numbers(client, auth, staff, make, db, queries):
    from storefront.domain.console.dashboard import programme_stats

    today = shop_today()
    hanoi = make.cooperative(commune=make.commune(BAT_TRANG))
    bacninh = make.cooperative()
    a = make.listing(
        coop=hanoi,
        group=OcopGroup.HANDICRAFTS,
        origin_commune=make.commune(BAT_TRANG),
        cert=make.certificate(hanoi, stars=5),
    )
    b = make.listing(coop=bacninh, group=OcopGroup.FOOD, cert=make.certificate(bacninh, stars=4))
    make.listing(
        coop=bacninh,
        group=OcopGroup.FOOD,
        cert=make.certificate(bacninh, stars=4),
        status=ListingStatus.PAUSED,
    )
    make.listing(coop=bacninh, group=OcopGroup.FOOD, packages=[{"stock": 0}])
    make.certificate(bacninh, stars=3)  # certified, not on sale yet
    make.certificate(bacninh, status=CertificateStatus.REVOKED)  # not certified
    make.certificate(
        bacninh, issued_on=today - timedelta(days=1200), expires_on=today - timedelta(days=1)
    )  # expired: not certified
    expiring = make.certificate(
        bacninh, issued_on=today - timedelta(days=1000), expires_on=today + timedelta(days=40)
    )
    db.session.add(
        AuditEvent(
            actor_id=staff.id,
            action="certificate.verify",
            subject_type="certificate",
            subject_id=expiring.id,
            cooperative_id=bacninh.id,
        )
    )
    db.session.add(
        AuditEvent(
            actor_id=staff.id,
            action="certificate.submit",
            subject_type="certificate",
            subject_id=expiring.id,
            cooperative_id=bacninh.id,
        )
    )
    db.session.commit()
    _order(db, a, 2, 300_000, number="A1")
    _order(db, b, 3, 150_000, number="A2")
    _order(db, b, 9, 150_000, number="A3", status=OrderStatus.CANCELLED)
    _order(db, b, 9, 150_000, number="A4", shipment_status=ShipmentStatus.CANCELLED)

    with queries() as statements:
        stats = programme_stats()
    assert len(statements) <= 8, statements

    assert stats.certified == 6  # a, b, the paused one, the sold-out one, the 3★, expiring
    assert {p.name: p.count for p in stats.by_province} == {
        "Thành phố Hà Nội": 1,
        "Thành phố Bắc Ninh": 5,
    }
    assert stats.by_stars == {3: 1, 4: 4, 5: 1}
    assert stats.by_group[4] == 1 and stats.by_group[1] == 3 and stats.by_group[None] == 2
    assert stats.listings == {
        "live": 2,
        "cooperative": 0,
        "certificate": 0,
        "inactive": 1,
        "sold_out": 1,
    }
    this_month = today.strftime("%Y-%m")
    assert stats.pipeline["verified"][stats.past_months.index(this_month)] == 1
    assert stats.pipeline["submitted"][stats.past_months.index(this_month)] == 1
    expiry_month = (today + timedelta(days=40)).strftime("%Y-%m")
    assert stats.expiries[stats.future_months.index(expiry_month)] >= 1
    sales = {s.name: (s.orders, s.items, s.revenue) for s in stats.sales}
    assert sales == {"Thành phố Hà Nội": (1, 2, 600_000), "Thành phố Bắc Ninh": (1, 3, 450_000)}

    auth.login(staff)
    with queries() as statements:
        html = client.get("/pfa/programme").get_data(as_text=True)
    assert len(statements) <= 14, len(statements)
    assert html.count('<svg class="chart"') >= 6
    assert html.count("<table") >= 7
    assert "600.000" in html and "Thành phố Hà Nội" in html

    text = client.get("/pfa/programme.csv").get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text)))
    assert ["sales_by_province", "Thành phố Hà Nội", "revenue_vnd", "600000"] in rows
    assert ["certified_by_stars", "4", "certificates", "4"] in rows


def test_dashboard_with_nothing_in_it(client, auth, staff):
    auth.login(staff)
    response = client.get("/pfa/programme")
    assert response.status_code == 200


def test_queue_and_review_pages_keep_a_fixed_number_of_queries(client, auth, staff, make, queries):
    auth.login(staff)

    def count(url):
        with queries() as statements:
            assert client.get(url).status_code == 200
        return len(statements)

    coop = make.cooperative()
    for _ in range(2):
        make.listing(coop=coop, cert=make.certificate(coop, status=CertificateStatus.SUBMITTED))
    few = {url: count(url) for url in ("/pfa/certificates", "/pfa/", "/pfa/expiries", "/pfa/audit")}
    for _ in range(8):
        other = make.cooperative()
        make.listing(coop=other, cert=make.certificate(other, status=CertificateStatus.SUBMITTED))
    many = {url: count(url) for url in few}
    assert many == few
    assert max(few.values()) <= 12, few


def test_history_times_are_valid_html_datetimes(client, auth, staff, make, db):
    # A <time datetime> takes at most three digits of a second (Nu HTML Checker): whole seconds.
    cert = make.certificate(make.cooperative(), status=CertificateStatus.SUBMITTED)
    db.session.add(
        AuditEvent(
            actor_id=staff.id,
            action="certificate.reject",
            subject_type="certificate",
            subject_id=cert.id,
            cooperative_id=cert.cooperative_id,
            from_status="submitted",
            to_status="rejected",
            reason="Ảnh mờ",
            at=datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=UTC),
        )
    )
    db.session.commit()
    auth.login(staff)
    for path in (f"/pfa/certificates/{cert.id}", "/pfa/audit"):
        page = client.get(path).get_data(as_text=True)
        stamps = re.findall(r'<time datetime="([^"]+)"', page)
        assert stamps, path
        whole_seconds = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\+00:00)?"
        assert all(re.fullmatch(whole_seconds, s) for s in stamps), stamps
