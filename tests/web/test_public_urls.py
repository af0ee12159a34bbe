"""Absolute links in e-mails, QR codes and labels come from PUBLIC_BASE_URL, never from the
request's Host header: a reset request sent with `Host: evil.example` must not e-mail a valid
token to evil.example (issue 11, item 1)."""

from __future__ import annotations

import re

import pytest
import segno

from storefront.models import CertificateStatus, Role
from tests.fixtures.mail import mails
from tests.fixtures.shop import checkout_form
from tests.web.shop.test_verify import _matrix_of_png

PUBLIC = "https://ocop.example.vn"
FORGED = {"Host": "evil.example"}
NUMBER = "DEMO-1234/QĐ-UBND"
VERIFY_URL = f"{PUBLIC}/verify/DEMO-1234/Q%C4%90-UBND"


@pytest.fixture(autouse=True)
def public_base_url(app, monkeypatch):
    """The shop's configured address differs from both the test client's and the forger's."""
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", PUBLIC)


def text_of(message) -> str:
    """Every text part of a message (plain and HTML), decoded."""
    return "\n".join(
        part.get_content() for part in message.walk() if part.get_content_maintype() == "text"
    )


def links(message) -> list[str]:
    return re.findall(r"https?://[^\s\"'<>]+", text_of(message))


def assert_public_links_only(message, path: str) -> list[str]:
    """The message links to `path` at the public address, and to nothing at the forged host."""
    found = links(message)
    assert any(link.startswith(PUBLIC + path) for link in found), found
    assert all(link.startswith(PUBLIC + "/") for link in found), found
    assert "evil.example" not in text_of(message)
    return found


def log_in_at_the_forged_host(client, auth, user) -> None:
    """Log in, and send the session cookie to the forged host too (the test client keeps
    cookies per host, as a browser does; a forger with curl sends them anywhere)."""
    auth.login(user)
    cookie = client.get_cookie("session")
    assert cookie is not None
    client.set_cookie("session", cookie.value, domain="evil.example")


def test_a_reset_link_goes_to_the_public_address_whatever_the_host(client, make, outbox):
    make.user(email="lan@example.vn")
    response = client.post("/account/reset", data={"email": "lan@example.vn"}, headers=FORGED)
    assert response.status_code == 302
    [message] = mails(outbox)
    found = assert_public_links_only(message, "/account/reset/")
    # The link is the real one: its token opens the form to choose a new password.
    reset = next(link for link in found if "/account/reset/" in link)
    assert client.get(reset.removeprefix(PUBLIC)).status_code == 200


def test_order_mails_to_the_cooperative_and_the_buyer_link_to_the_public_address(
    client, make, outbox
):
    coop = make.cooperative(email="htx@example.vn")
    package = make.listing(coop=coop).packages[0]
    client.post("/cart/add", data={"package_id": package.id, "quantity": 1}, headers=FORGED)
    response = client.post("/checkout/", data=checkout_form(), headers=FORGED)
    assert response.status_code == 303
    [to_cooperative] = outbox.to("htx@example.vn")
    assert_public_links_only(to_cooperative, "/seller/shipments/")
    [to_buyer] = outbox.to("lan@example.vn")
    assert_public_links_only(to_buyer, "/orders/")


def test_an_invitation_links_to_the_public_address(client, auth, outbox):
    from tests.fixtures.seller import seller

    owner, _ = seller()
    log_in_at_the_forged_host(client, auth, owner)
    response = client.post(
        "/seller/members/invite",
        data={"email": "moi@example.vn", "role": "staff"},
        headers=FORGED,
    )
    assert response.status_code == 302
    [message] = mails(outbox)
    assert "moi@example.vn" in message["To"]
    assert_public_links_only(message, "/seller/invitations/")


@pytest.fixture
def valid(make):
    coop = make.cooperative()
    cert = make.certificate(coop, number=NUMBER, product_name="Vải thiều Lục Ngạn", stars=4)
    return cert


def test_qr_codes_point_to_the_public_address(client, valid):
    png = client.get("/verify/DEMO-1234/Q%C4%90-UBND/qr.png", headers=FORGED)
    assert png.status_code == 200
    assert _matrix_of_png(png.data) == segno.make(VERIFY_URL, error="m", micro=False).matrix
    page = client.get("/verify/DEMO-1234/Q%C4%90-UBND", headers=FORGED).get_data(as_text=True)
    assert f'<link rel="canonical" href="{VERIFY_URL}">' in page
    assert "evil.example" not in page


def test_the_printed_label_points_to_the_public_address(client, auth, make, valid):
    from tests.fixtures.seller import member_of

    log_in_at_the_forged_host(client, auth, member_of(valid.cooperative))
    html = client.get(f"/seller/certificates/{valid.id}/label", headers=FORGED).get_data(
        as_text=True
    )
    assert f"{PUBLIC}/verify/{NUMBER}" in html  # the address printed for people
    qr = segno.make(VERIFY_URL, error="m", micro=False)
    assert (
        qr.svg_inline(scale=1, border=2, omitsize=True, svgclass="label__qr", lineclass=None)
        in html
    )
    assert "evil.example" not in html


def test_search_engines_are_given_the_public_address(client, make):
    listing = make.listing()
    robots = client.get("/robots.txt", headers=FORGED).get_data(as_text=True)
    assert f"Sitemap: {PUBLIC}/sitemap.xml" in robots
    sitemap = client.get("/sitemap.xml", headers=FORGED).get_data(as_text=True)
    assert f"<loc>{PUBLIC}/products/{listing.slug}</loc>" in sitemap
    page = client.get(f"/products/{listing.slug}", headers=FORGED).get_data(as_text=True)
    assert f'<link rel="canonical" href="{PUBLIC}/products/{listing.slug}">' in page
    for text in (robots, sitemap, page):
        assert "evil.example" not in text


def test_a_certificate_decision_mail_links_to_the_public_address(client, auth, make, outbox):
    coop = make.cooperative(email="htx@example.vn")
    cert = make.certificate(coop, number=NUMBER, status=CertificateStatus.SUBMITTED)
    log_in_at_the_forged_host(client, auth, make.user(role=Role.PFA))
    response = client.post(
        f"/pfa/certificates/{cert.id}/verify", data={"confirmed": "1"}, headers=FORGED
    )
    assert response.status_code == 303
    [message] = outbox.to("htx@example.vn")
    assert_public_links_only(message, "/verify/")


def test_stripe_sends_the_buyer_back_to_the_public_address(client, make, stripe_fake):
    package = make.listing().packages[0]
    client.post("/cart/add", data={"package_id": package.id, "quantity": 1}, headers=FORGED)
    response = client.post("/checkout/", data=checkout_form(payment_method="card"), headers=FORGED)
    assert response.status_code == 303
    [session] = stripe_fake.calls("POST", "/v1/checkout/sessions")
    assert session.params["success_url"] == (
        f"{PUBLIC}/checkout/return?session_id={{CHECKOUT_SESSION_ID}}"
    )
    assert session.params["cancel_url"].startswith(f"{PUBLIC}/orders/")
