"""Uploaded media: listing photos and logos are public; certificate scans never leave through
/media/, however `../` is spelled, and only their cooperative's members and PFA staff get them."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image

from storefront.core.clock import today
from storefront.core.files import (
    Upload,
    delete_scan,
    legacy_scan_folder,
    scan_folder,
    scan_path,
    store_logo,
)
from storefront.core.media import store_listing_image
from storefront.domain.certificates.submissions import CertificateInput, submit_certificate
from storefront.models import Role
from tests.fixtures import factories
from tests.fixtures.seller import member_of, png_bytes, seller

# Every spelling of "up one folder" an attacker might try, put between a public folder and the
# private one. Some decode to `../` (once or twice), some only look like it to a human or to a
# lax decoder (full-width characters, overlong UTF-8), some end the name early (NUL).
TRAVERSALS = [
    "..%2f",
    "..%2F",
    "..%252f",
    "..%25252f",
    "..%5c",
    "..%5C",
    "..\\",
    "%2e%2e/",
    "%2e%2e%2f",
    ".%2e/",
    "%2e./",
    "%252e%252e%252f",
    "..／",  # U+FF0F FULLWIDTH SOLIDUS, raw
    "..%ef%bc%8f",  # the same, percent-encoded
    "．．/",  # U+FF0E FULLWIDTH FULL STOP twice
    "%ef%bc%8e%ef%bc%8e/",
    "..%c0%af",  # overlong '/'
    "..%e0%80%af",
    "..%c0%2f",
    "..%c1%9c",  # overlong '\'
    "%c0%ae%c0%ae/",  # overlong '.'
    "..%00/",
    "%00../",
    "../",
    "./../",
    "..//",
    ".././",
    "x/../../",
    "x/..%2f..%2f",
    "..;/",
]


@pytest.fixture(params=["scan_dir", "legacy"])
def scan(request, app, db):
    """An existing certificate scan on disk: in SCAN_DIR, or where scans were stored before it
    (UPLOAD_DIR/certificates, inside the public media root) and are still read from."""
    owner, coop = seller()
    cert = submit_certificate(
        coop.id,
        owner,
        _input(),
        Upload("scan.png", io.BytesIO(png_bytes(color=(1, 2, 3)))),
    )
    path = scan_path(cert.scan_filename)
    assert path.is_file() and path.parent == Path(app.config["SCAN_DIR"])
    if request.param == "legacy":
        legacy = legacy_scan_folder()
        legacy.mkdir(parents=True)
        path = path.rename(legacy / path.name)
        assert scan_path(cert.scan_filename) == path
    return cert, path.read_bytes(), path, owner, coop


def _input() -> CertificateInput:
    return CertificateInput(
        number="99/QĐ-UBND",
        stars=4,
        product_name="Chè Shan tuyết",
        issuing_authority="UBND tỉnh Hà Giang",
        issued_on=today() - timedelta(days=10),
    )


def _attack_urls(app, filename: str, path: Path) -> list[str]:
    urls = []
    for public in ("listings", "logos"):
        for up in TRAVERSALS:
            urls.append(f"/media/{public}/{up}certificates/{filename}")
    absolute = str(path)  # /tmp/.../uploads/certificates/<name> or wherever scans now live
    old = str(Path(app.config["UPLOAD_DIR"]) / "certificates" / filename)
    for target in {absolute, old}:
        urls += [
            f"/media/{target}",  # → /media//tmp/...: an absolute path after the prefix
            f"/media/listings/{target}",
            f"/media/listings//{target}",
            f"/media/listings/%2f{target.lstrip('/')}",
            f"/media/listings/..%2f..%2f..%2f..%2f..%2f..%2f..%2f..%2f{target.lstrip('/')}",
        ]
    urls += [
        f"/media/certificates/{filename}",
        f"/media//certificates/{filename}",
        f"/media/./certificates/{filename}",
        f"/media/listings/{filename}",
        f"/media/logos/{filename}",
        f"/media/listings//../certificates/{filename}",
        f"/media/listings/..%2fcertificates/{filename}%00.webp",
        f"/media/listings%2f..%2fcertificates%2f{filename}",
        f"/media/%2e%2e/uploads/certificates/{filename}",
        f"/media/listings/..%2f..%2fuploads%2fcertificates/{filename}",
    ]
    return urls


def _answers(client, url: str):
    """Every response on the way (redirects followed, within the app)."""
    response = client.get(url, follow_redirects=True)
    return [*response.history, response]


def test_no_spelling_of_dotdot_serves_a_scan_through_media(app, client, auth, scan):
    cert, data, path, _owner, _coop = scan
    urls = _attack_urls(app, cert.scan_filename, path)
    customer = factories.user()
    stranger, _other = seller()
    leaks, errors, odd = [], [], []
    for who in (None, customer, stranger):
        if who is not None:
            auth.login(who)
        for url in urls:
            answers = _answers(client, url)
            final = answers[-1]
            for answer in answers:
                if answer.status_code >= 500:
                    errors.append((who and who.email, url, answer.status_code))
            if data in final.data or final.status_code == 200:
                leaks.append((who and who.email, url, final.status_code))
            elif final.status_code not in (400, 404):
                odd.append((who and who.email, url, final.status_code))
        if who is not None:
            auth.logout()
    assert leaks == []
    assert errors == []
    assert odd == []
    assert len(urls) > 60


def test_listing_photos_and_logos_are_still_public(app, client):
    photo = store_listing_image(Image.new("RGB", (300, 200), (10, 200, 30)))
    logo = store_logo(Image.new("RGB", (120, 120), (200, 10, 30)))
    for url in (
        f"/media/listings/{photo.stem}-card.webp",
        f"/media/listings/{photo.stem}-thumb.webp",
        f"/media/listings/{photo.stem}-gallery.webp",
        f"/media/logos/{logo}-card.webp",
        f"/media/logos/{logo}-thumb.webp",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.mimetype == "image/webp"
        assert response.data[:4] == b"RIFF"
        assert (
            "public" in response.headers["Cache-Control"]
            or "max-age" in response.headers["Cache-Control"]
        )
    assert client.get(f"/media/listings/{photo.stem}-huge.webp").status_code == 404
    assert client.get(f"/media/logos/{photo.stem}-card.webp").status_code == 404
    assert client.get("/media/listings/").status_code == 404
    assert client.get("/media/listings").status_code == 404
    assert client.get("/media/other/x.webp").status_code == 404


def test_the_scan_routes_serve_members_and_pfa_staff_and_hide_it_from_others(
    app, client, auth, scan
):
    cert, data, _path, owner, coop = scan
    seller_url = f"/seller/certificates/{cert.id}/scan"
    pfa_url = f"/pfa/certificates/{cert.id}/scan"
    staff_member = member_of(coop, user=factories.user())  # another member of the owning one

    for member in (owner, staff_member):
        auth.login(member)
        response = client.get(seller_url)
        assert response.status_code == 200
        assert response.data == data
        assert "no-store" in response.headers["Cache-Control"]
        auth.logout()

    for role in (Role.PFA, Role.ADMIN):
        auth.login(factories.user(role=role))
        response = client.get(pfa_url)
        assert response.status_code == 200
        assert response.data == data
        assert "no-store" in response.headers["Cache-Control"]
        auth.logout()

    # Logged in, but neither a member nor PFA staff: not found, the same as a missing id.
    stranger, _other = seller()
    for who in (factories.user(), stranger):
        auth.login(who)
        for url in (seller_url, f"/seller/certificates/{cert.id + 1000}/scan"):
            response = client.get(url)
            assert response.status_code == 404, (who.email, url)
            assert data not in response.data
        assert client.get(pfa_url).status_code in (403, 404)  # the console is staff-only
        auth.logout()

    # Anonymous: sent to log in, whatever the id.
    for url in (seller_url, f"/seller/certificates/{cert.id + 1000}/scan"):
        response = client.get(url)
        assert response.status_code == 302 and data not in response.data


def test_scans_left_in_the_old_folder_are_moved_and_deleted_from_either_place(app, runner, scan):
    cert, data, path, _owner, _coop = scan
    result = runner.invoke(args=["certificates", "move-scans"])
    assert result.exit_code == 0, result.output
    moved = scan_folder() / cert.scan_filename
    assert moved.read_bytes() == data
    assert not (legacy_scan_folder() / cert.scan_filename).exists()
    assert ("scans moved: 1" if path != moved else "scans moved: 0") in result.output
    assert scan_path(cert.scan_filename) == moved

    legacy_scan_folder().mkdir(parents=True, exist_ok=True)
    (legacy_scan_folder() / "old.pdf").write_bytes(b"%PDF-1.4")
    delete_scan("old.pdf")
    delete_scan(cert.scan_filename)
    assert not (legacy_scan_folder() / "old.pdf").exists() and not moved.exists()
