"""Public certificate verification: verdicts in words, numbers with "/" and Vietnamese letters in
URLs, accent-insensitive search, QR codes to the absolute URL, the cooperative's print label."""

from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
import segno
from flask import url_for

from storefront.core.clock import today as shop_today
from storefront.domain.certificates.decisions import revoke_certificate
from storefront.domain.certificates.labels import verification_url
from storefront.models import CertificateStatus, CooperativeStatus, Role

SHOP_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def _url(app, number: str, endpoint: str = "verify.certificate") -> str:
    with app.test_request_context():
        return url_for(endpoint, number=number)


@pytest.fixture
def valid(make):
    coop = make.cooperative(legal_name="HTX Nông sản Đông Phú")
    cert = make.certificate(
        coop,
        number="DEMO-1234/QĐ-UBND",
        product_name="Vải thiều Lục Ngạn",
        stars=4,
        issuing_authority="UBND tỉnh Bắc Giang",
    )
    listing = make.listing(
        coop=coop,
        cert=cert,
        name="Vải thiều Lục Ngạn hộp quà",
        origin_legacy_commune=make.commune(make.TAN_HOA_LEGACY_COMMUNE, era=make.Era.LEGACY),
    )
    return cert, listing


def test_a_valid_certificate_says_so_in_big_words_with_its_details(app, client, valid):
    cert, listing = valid
    response = client.get(_url(app, cert.number))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'class="verdict verdict--valid"' in html
    assert "verdict__icon" in html  # an icon with the words, never colour alone
    assert ">Còn hiệu lực<" in html or ">Valid<" in html
    for text in (
        "DEMO-1234/QĐ-UBND",
        "Vải thiều Lục Ngạn",
        "HTX Nông sản Đông Phú",
        "UBND tỉnh Bắc Giang",
        "Xã Lục Ngạn",
        "Tân Hoa",  # origin: today's commune and the former one
        cert.expires_on.strftime("%d/%m/%Y"),
        cert.issued_on.strftime("%d/%m/%Y"),
        "Vải thiều Lục Ngạn hộp quà",  # the live listing it backs
    ):
        assert text in html, text
    assert "4-star OCOP" in html or "OCOP 4 sao" in html or "4 sao" in html


def test_english_words(app, client, valid):
    cert, _ = valid
    html = client.get(_url(app, cert.number) + "?lang=en").get_data(as_text=True)
    assert ">Valid<" in html


@pytest.mark.parametrize(
    "number",
    [
        "DEMO-1234/QĐ-UBND",
        "Số 12/2024/QĐ-UBND ngày 5/3",  # spaces, two slashes
        "68#/QĐ-BNN&PTNT?x=1",  # characters that mean something in a URL
        "100%/GCN-ĐỒNG THÁP",
        "1234/QĐ-UBND/",  # a trailing slash
    ],
)
def test_numbers_round_trip_through_the_url(app, client, make, number):
    cert = make.certificate(make.cooperative(), number=number)
    url = _url(app, number)
    assert url.startswith("/verify/")
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    assert cert.product_name in response.get_data(as_text=True)
    # The QR code endpoints take the same number.
    assert client.get(_url(app, number, "verify.qr_svg")).status_code == 200
    assert client.get(_url(app, number, "verify.qr_png")).status_code == 200


def test_a_hand_encoded_url_and_decomposed_letters_find_the_certificate(app, client, valid):
    cert, _ = valid
    assert client.get("/verify/" + quote("DEMO-1234/QĐ-UBND", safe="/")).status_code == 200
    decomposed = unicodedata.normalize("NFD", "DEMO-1234/QĐ-UBND")
    assert client.get("/verify/" + quote(decomposed, safe="/")).status_code == 200


def test_a_loosely_typed_number_redirects_to_the_certificate(app, client, valid):
    response = client.get("/verify/demo-1234/qd-ubnd")
    assert response.status_code == 301
    assert response.headers["Location"].endswith(_url(app, "DEMO-1234/QĐ-UBND"))


def test_revoked_certificate_says_revoked(app, client, valid, staff):
    cert, listing = valid
    revoke_certificate(cert.id, staff, "Không đạt khi kiểm tra lại")
    response = client.get(_url(app, cert.number))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "verdict verdict--revoked" in html
    assert "Không đạt khi kiểm tra lại" not in html  # the internal reason is not public
    assert "Vải thiều Lục Ngạn hộp quà" not in html  # no longer on sale


def test_expired_certificate_says_expired(app, client, make):
    cert = make.certificate(
        make.cooperative(),
        issued_on=shop_today() - timedelta(days=1200),
        expires_on=shop_today() - timedelta(days=3),
    )
    html = client.get(_url(app, cert.number)).get_data(as_text=True)
    assert "verdict verdict--expired" in html


@pytest.mark.parametrize("status", [CertificateStatus.SUBMITTED, CertificateStatus.REJECTED])
def test_submitted_and_rejected_are_not_verified_by_us(app, client, make, status):
    cert = make.certificate(make.cooperative(), status=status, product_name="Chè Tân Cương")
    response = client.get(_url(app, cert.number))
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "verdict--unknown" in html
    assert "Chè Tân Cương" not in html  # nothing about it is vouched for
    assert client.get(_url(app, cert.number, "verify.qr_svg")).status_code == 404


def test_an_unknown_number_gets_a_friendly_not_found_page(app, client):
    response = client.get("/verify/9999/QĐ-UBND")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "9999/QĐ-UBND" in html
    assert "verify-search" in html  # a search box to try again, not an error page
    assert "Error 404" not in html and "Lỗi 404" not in html


# --- search -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query", ["vai thieu", "VẢI THIỀU lục ngạn", "dong phu", "Đông Phú", "nong san dong"]
)
def test_search_ignores_accents_and_case(client, valid, query):
    html = client.get("/verify/", query_string={"q": query}).get_data(as_text=True)
    assert "Vải thiều Lục Ngạn" in html, query


def test_a_full_number_in_the_search_box_goes_to_its_page(app, client, valid):
    for query in ("DEMO-1234/QĐ-UBND", "demo-1234/qd-ubnd", " demo-1234 / qđ-ubnd "):
        response = client.get("/verify/", query_string={"q": query})
        assert response.status_code == 302, query
        assert response.headers["Location"].endswith(_url(app, "DEMO-1234/QĐ-UBND"))


def test_search_lists_only_what_we_vouched_for(client, make):
    coop = make.cooperative()
    make.certificate(coop, status=CertificateStatus.SUBMITTED, product_name="Miến dong Bình Liêu")
    make.certificate(coop, status=CertificateStatus.REVOKED, product_name="Miến dong Tân Hòa")
    html = client.get("/verify/", query_string={"q": "mien dong"}).get_data(as_text=True)
    assert "Miến dong Tân Hòa" in html and "verdict-pill--revoked" in html
    assert "Miến dong Bình Liêu" not in html


def test_search_without_a_match(client, valid):
    response = client.get("/verify/", query_string={"q": "sầu riêng"})
    assert response.status_code == 200
    assert "verdict--unknown" in response.get_data(as_text=True)


def test_the_search_page(client):
    response = client.get("/verify")
    assert response.status_code in (301, 308)
    html = client.get("/verify/").get_data(as_text=True)
    assert 'name="q"' in html


# --- QR codes ---------------------------------------------------------------------------------


def test_qr_codes_point_to_the_absolute_verification_url(app, client, valid):
    cert, _ = valid
    svg = client.get(_url(app, cert.number, "verify.qr_svg"))
    png = client.get(_url(app, cert.number, "verify.qr_png"))
    assert svg.mimetype == "image/svg+xml" and png.mimetype == "image/png"
    assert svg.data.startswith(b"<svg") and png.data.startswith(b"\x89PNG")
    expected = "http://localhost" + _url(app, cert.number)
    with app.test_request_context():
        assert verification_url(cert.number) == expected
    # The PNG's modules are exactly those of a QR code of the expected URL.
    assert _matrix_of_png(png.data) == segno.make(expected, error="m", micro=False).matrix


def _matrix_of_png(data: bytes, scale: int = 10, border: int = 4):
    """Read the modules back from a segno PNG (one module = scale × scale pixels)."""
    from io import BytesIO

    from PIL import Image

    image = Image.open(BytesIO(data)).convert("L")
    size = image.width // scale - 2 * border
    return tuple(
        bytearray(
            1
            if image.getpixel(
                ((border + col) * scale + scale // 2, (border + row) * scale + scale // 2)
            )
            < 128
            else 0
            for col in range(size)
        )
        for row in range(size)
    )


def test_qr_url_uses_the_configured_public_address(app, valid, monkeypatch):
    cert, _ = valid
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://ocop.hoinongdan.vn")
    with app.app_context():  # a cron job or an e-mail: no request
        url = verification_url(cert.number)
    assert url == "https://ocop.hoinongdan.vn/verify/DEMO-1234/Q%C4%90-UBND"


def test_product_page_links_to_the_verification_page(app, client, valid):
    cert, listing = valid
    html = client.get(f"/products/{listing.slug}").get_data(as_text=True)
    assert f'href="{_url(app, cert.number)}"' in html


# --- expiry at midnight, Vietnam time, with no job running ----------------------------------


def test_a_certificate_expires_at_vietnam_midnight_everywhere(app, client, make, clock):
    last_day = datetime(2026, 3, 31, tzinfo=SHOP_TZ).date()
    clock.moment = datetime(2026, 3, 31, 23, 59, tzinfo=SHOP_TZ)
    coop = make.cooperative()
    cert = make.certificate(
        coop,
        issued_on=last_day - timedelta(days=1000),
        expires_on=last_day,
        product_name="Gà đồi Yên Thế",
    )
    listing = make.listing(coop=coop, cert=cert, name="Gà đồi Yên Thế nguyên con")

    def everywhere():
        return {
            "catalog": listing.slug in client.get("/products").get_data(as_text=True),
            "search": listing.slug in client.get("/search?q=ga doi yen the").get_data(as_text=True),
            "sitemap": listing.slug in client.get("/sitemap.xml").get_data(as_text=True),
            "product": client.get(f"/products/{listing.slug}").status_code == 200,
            "verify": "verdict--valid" in client.get(_url(app, cert.number)).get_data(as_text=True),
        }

    assert everywhere() == dict.fromkeys(
        ("catalog", "search", "sitemap", "product", "verify"), True
    )
    # 17:00 UTC is midnight in Hà Nội: the next day has begun there, though not in London.
    clock.moment = datetime(2026, 3, 31, 17, 0, tzinfo=SHOP_TZ.__class__("UTC"))
    assert everywhere() == dict.fromkeys(
        ("catalog", "search", "sitemap", "product", "verify"), False
    )
    html = client.get(_url(app, cert.number)).get_data(as_text=True)
    assert "verdict--expired" in html
    assert make.certificate  # nothing was stored: the status is still "verified"
    from storefront.extensions import db

    db.session.expire_all()
    assert db.session.get(type(cert), cert.id).status is CertificateStatus.VERIFIED


# --- the cooperative's label ------------------------------------------------------------------


@pytest.fixture
def member(make, valid):
    cert, _ = valid
    user = make.user(email="xa.vien@example.vn")
    from storefront.extensions import db
    from storefront.models import CooperativeMember, MemberRole

    db.session.add(
        CooperativeMember(cooperative_id=cert.cooperative_id, user=user, role=MemberRole.STAFF)
    )
    db.session.commit()
    return user


def test_a_member_prints_the_label(app, client, auth, valid, member):
    cert, _ = valid
    auth.login(member)
    response = client.get(f"/seller/certificates/{cert.id}/label")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<svg class="label__qr"' in html or "label__qr" in html
    assert cert.number in html and cert.product_name in html and "★★★★☆" in html
    assert "http://localhost/verify/DEMO-1234/QĐ-UBND" in html  # readable for people
    expected_qr = segno.make(
        "http://localhost/verify/DEMO-1234/Q%C4%90-UBND", error="m", micro=False
    )
    assert (
        expected_qr.svg_inline(
            scale=1, border=2, omitsize=True, svgclass="label__qr", lineclass=None
        )
        in html
    )
    # The print styles are in a stylesheet of their own (the CSP allows no inline <style>).
    assert "/static/css/labels.css" in html
    assert "@media print" in client.get("/static/css/labels.css").get_data(as_text=True)
    sheet = client.get(f"/seller/certificates/{cert.id}/label?sheet=1").get_data(as_text=True)
    assert sheet.count('class="label"') == 12


def test_label_for_strangers_is_not_found(app, client, auth, make, valid):
    cert, _ = valid
    assert client.get(f"/seller/certificates/{cert.id}/label").status_code == 302  # log in first
    auth.login(make.user())
    assert client.get(f"/seller/certificates/{cert.id}/label").status_code == 404
    auth.logout()
    auth.login(make.user(role=Role.PFA))  # staff are not members either
    assert client.get(f"/seller/certificates/{cert.id}/label").status_code == 404
    assert client.get("/seller/certificates/999999/label").status_code == 404


def test_no_label_before_verification(app, client, auth, make, member, valid):
    cert, _ = valid
    pending = make.certificate(cert.cooperative, status=CertificateStatus.SUBMITTED)
    auth.login(member)
    response = client.get(f"/seller/certificates/{pending.id}/label")
    assert response.status_code == 409
    assert "verified" in response.get_data(as_text=True) or "xác minh" in response.get_data(
        as_text=True
    )


def test_unapproved_cooperative_is_not_linked_from_the_verify_page(app, client, make, valid):
    cert, _ = valid
    cert.cooperative.status = CooperativeStatus.SUSPENDED
    from storefront.extensions import db

    db.session.commit()
    html = client.get(_url(app, cert.number)).get_data(as_text=True)
    assert "/cooperatives/" not in html.split("verify-facts")[1].split("</dl>")[0]
