"""Uploads are checked by decoding them; anything else is refused with nothing stored."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from storefront.core.errors import InvalidUpload
from storefront.core.files import (
    MAX_IMAGE_BYTES,
    MAX_SCAN_BYTES,
    Upload,
    decode_image,
    prepare_scan,
)
from storefront.domain.catalog.listings import add_photos
from storefront.models import Certificate, ListingImage
from tests.fixtures.seller import counts, file_field, files_under, jpeg_with_exif, png_bytes, seller


def upload(data: bytes, name: str = "photo.png") -> Upload:
    return Upload(filename=name, stream=io.BytesIO(data))


def png_header_only(width: int, height: int) -> bytes:
    """A valid PNG signature and IHDR claiming a huge size, with a tiny compressed body: a
    decompression bomb's header, without the memory."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


# --- decoding rules -------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_jpeg_png_and_webp_decode(app, fmt):
    image = decode_image(upload(png_bytes(fmt=fmt), f"photo.{fmt.lower()}"))
    assert image.size == (64, 48)


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"<script>alert(1)</script>", "photo.png"),  # the extension lies
        (b"GIF89a" + b"\x00" * 100, "photo.gif"),
        (png_bytes(fmt="GIF"), "photo.png"),  # a real image, in a format we do not take
        (png_bytes(fmt="BMP"), "photo.jpg"),
        (b"%PDF-1.7\n%%EOF", "photo.jpg"),
        (png_bytes()[:60], "photo.png"),  # truncated
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, "photo.png"),  # the magic bytes alone
    ],
)
def test_anything_but_a_real_photo_is_refused(app, data, name):
    with pytest.raises(InvalidUpload) as caught:
        decode_image(upload(data, name))
    assert "JPEG, PNG" in caught.value.message  # in either language


def test_more_than_5_mb_is_refused_before_decoding(app):
    with pytest.raises(InvalidUpload) as caught:
        decode_image(upload(png_bytes() + b"\x00" * MAX_IMAGE_BYTES))
    assert "5 MB" in caught.value.message


@pytest.mark.parametrize("size", [(8000, 5001), (20000, 20000), (100_000, 100_000)])
def test_more_than_40_megapixels_is_refused_from_the_header(app, size):
    with pytest.raises(InvalidUpload) as caught:
        decode_image(upload(png_header_only(*size)))
    assert "megapixel" in caught.value.message  # in either language


def test_stored_photos_are_re_encoded_without_exif(app, db):
    user, coop = seller()
    from tests.fixtures import factories

    listing = factories.listing(coop=coop)
    [photo] = add_photos(listing.id, coop.id, user, [upload(jpeg_with_exif(), "camera.jpg")])
    folder = Path(app.config["UPLOAD_DIR"]) / "listings"
    for size in ("thumb", "card", "gallery"):
        stored = folder / f"{photo.filename}-{size}.webp"
        raw = stored.read_bytes()
        assert b"SecretCam" not in raw
        with Image.open(stored) as image:
            assert image.format == "WEBP"
            assert not image.getexif()
    assert "camera" not in photo.filename


# --- certificate scans ----------------------------------------------------------------------------


def test_a_pdf_is_recognised_by_its_magic_bytes(app):
    scan = prepare_scan(upload(b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF", "scan.jpg"))
    assert scan.extension == "pdf"


def test_a_scan_photo_is_re_encoded_in_its_own_format(app):
    scan = prepare_scan(upload(jpeg_with_exif(), "scan.pdf"))
    assert scan.extension == "jpg"
    assert b"SecretCam" not in scan.data


@pytest.mark.parametrize(
    "data",
    [b"PDF-1.4 but not at the start", b"\x00%PDF-1.4", b"hello", png_bytes(fmt="GIF")],
)
def test_a_scan_that_is_neither_pdf_nor_photo_is_refused(app, data):
    with pytest.raises(InvalidUpload) as caught:
        prepare_scan(upload(data, "scan.pdf"))
    assert "PDF" in caught.value.message


def test_a_pdf_over_10_mb_is_refused(app):
    with pytest.raises(InvalidUpload) as caught:
        prepare_scan(upload(b"%PDF-1.4\n" + b"0" * MAX_SCAN_BYTES, "scan.pdf"))
    assert "10 MB" in caught.value.message


def test_a_scan_photo_over_5_mb_is_refused(app):
    with pytest.raises(InvalidUpload) as caught:
        prepare_scan(upload(png_bytes() + b"\x00" * MAX_IMAGE_BYTES, "scan.png"))
    assert "5 MB" in caught.value.message


# --- through the pages: nothing stored on refusal ------------------------------------------------


BAD_PHOTOS = [
    pytest.param(b"not an image at all", "vai.jpg", id="text-named-jpg"),
    pytest.param(png_bytes(fmt="GIF"), "vai.png", id="gif-named-png"),
    pytest.param(png_header_only(10_000, 10_000), "bomb.png", id="decompression-bomb"),
    pytest.param(png_bytes() + b"\x00" * MAX_IMAGE_BYTES, "big.png", id="over-5mb"),
]


@pytest.mark.parametrize(("data", "name"), BAD_PHOTOS)
def test_a_bad_photo_upload_stores_no_file_and_no_row(client, auth, app, db, data, name):
    from tests.fixtures import factories

    user, coop = seller()
    listing = factories.listing(coop=coop)
    auth.login(user)
    uploads = Path(app.config["UPLOAD_DIR"])
    files_before, rows_before = files_under(uploads), counts()

    response = client.post(
        f"/seller/listings/{listing.id}/photos",
        data={"photos": [file_field(png_bytes(), "good.png"), file_field(data, name)]},
        content_type="multipart/form-data",
    )

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert name in page  # the error names the file that was refused
    assert files_under(uploads) == files_before  # not even the good photo of the batch
    assert counts() == rows_before
    assert db.session.query(ListingImage).count() == 0


def test_a_good_photo_upload_stores_every_size_and_one_row(client, auth, app, db):
    from tests.fixtures import factories

    user, coop = seller()
    listing = factories.listing(coop=coop)
    auth.login(user)
    response = client.post(
        f"/seller/listings/{listing.id}/photos",
        data={
            "photos": [
                file_field(png_bytes(), "a.png"),
                file_field(png_bytes(fmt="WEBP"), "b.webp"),
            ]
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    photos = db.session.query(ListingImage).order_by(ListingImage.position).all()
    assert [p.position for p in photos] == [0, 1]
    listing_files = files_under(Path(app.config["UPLOAD_DIR"]) / "listings")
    for photo in photos:
        assert {f"{photo.filename}-{s}.webp" for s in ("thumb", "card", "gallery")} <= listing_files


def test_a_bad_certificate_scan_stores_no_file_and_no_row(client, auth, app, db):
    user, coop = seller()
    auth.login(user)
    scans = Path(app.config["SCAN_DIR"])
    before = files_under(scans)
    response = client.post(
        "/seller/certificates/new",
        data={
            "number": "77/QĐ-UBND",
            "stars": "4",
            "product_name": "Vải thiều",
            "issuing_authority": "UBND tỉnh Bắc Giang",
            "issued_on": "2025-03-01",
            "scan": file_field(b"MZ\x90\x00 an executable", "scan.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "PDF" in response.get_data(as_text=True)
    assert files_under(scans) == before
    assert db.session.query(Certificate).count() == 0


def test_a_bad_logo_creates_no_cooperative(client, auth, app, db):
    from tests.fixtures import factories

    user = factories.user()
    auth.login(user)
    before = counts()
    logos = Path(app.config["UPLOAD_DIR"]) / "logos"
    logo_files = files_under(logos)
    response = client.post(
        "/seller/apply",
        data={
            "legal_name": "HTX Logo Hỏng",
            "registration_number": "LOGO-1",
            "province": "24",
            "commune": "7582",
            "address": "Thôn 1",
            "phone": "0912345678",
            "email": "htx@example.vn",
            "logo": file_field(b"<svg onload=alert(1)>", "logo.png"),
            "submit": "1",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "JPEG, PNG" in response.get_data(as_text=True)  # in either language
    assert counts() == before
    assert files_under(logos) == logo_files
