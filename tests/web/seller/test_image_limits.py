"""Limits on photos: refused by the header's size, capped per upload and per listing, decoded
no larger than the sizes kept, and never kept or resized while the database's write lock is
held."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import create_engine, text

from storefront.core import files as core_files
from storefront.core.errors import InvalidUpload
from storefront.core.files import MAX_IMAGE_SIDE, Upload, check_image, decode_image
from storefront.domain.catalog import listings as listing_domain
from storefront.domain.catalog import photos as photo_jobs
from storefront.domain.catalog.listings import add_photos
from storefront.domain.certificates import submissions
from storefront.domain.certificates.submissions import submit_certificate
from storefront.domain.cooperatives import logo as logo_jobs
from storefront.domain.cooperatives.applications import (
    CooperativeApplication,
    apply_for_cooperative,
)
from storefront.extensions import db as _db
from storefront.models import ListingImage, ListingStatus, limits
from tests.fixtures import factories
from tests.fixtures.seller import counts, file_field, files_under, png_bytes, seller
from tests.web.seller.test_certificates import cert_input
from tests.web.seller.test_image_memory import _chunk, jpeg_claiming, zero_png
from tests.web.seller.test_uploads import png_header_only


def upload(data: bytes, name: str = "photo.png") -> Upload:
    return Upload(filename=name, stream=io.BytesIO(data))


# --- the header decides, before any pixel is decoded ---------------------------------------------


@pytest.mark.parametrize(
    ("size", "words"),
    [
        ((5000, 5001), "megapixel"),  # 25,005,000 pixels
        ((8000, 5000), "megapixel"),  # the 126 KB, 40-megapixel PNG of issue 11
        ((MAX_IMAGE_SIDE + 1, 100), "pixels on a side"),
        ((100, 20_000), "pixels on a side"),
    ],
)
def test_a_photo_is_refused_by_the_size_its_header_claims(app, english, size, words):
    for check in (check_image, decode_image):
        with pytest.raises(InvalidUpload) as caught:
            check(upload(png_header_only(*size), "huge.png"))
        assert words in caught.value.message
        assert "huge.png" in caught.value.message


def rgba_png_header(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    body = zlib.compress(b"\x00" * 1024)
    chunks = _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", body) + _chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + chunks


def test_transparency_halves_the_pixels_allowed(app, english):
    """Resizing a transparent image goes through a premultiplied copy: twice the memory."""
    with pytest.raises(InvalidUpload) as caught:
        check_image(upload(rgba_png_header(4000, 3001), "cutout.png"))
    assert "more than 12 megapixels" in caught.value.message
    check_image(upload(rgba_png_header(4000, 3000), "cutout.png"))  # 12 megapixels: fine
    check_image(upload(png_header_only(5000, 5000), "photo.png"))  # no alpha: 25 are fine


def test_a_huge_jpeg_is_refused_by_its_header(app, english):
    with pytest.raises(InvalidUpload) as caught:
        decode_image(upload(jpeg_claiming(7000, 4000), "huge.jpg"))  # 28 megapixels
    assert "megapixel" in caught.value.message


def test_the_refusal_is_translated(app):
    with pytest.raises(InvalidUpload) as caught:
        check_image(upload(png_header_only(100, 20_000), "huge.png"))
    assert "điểm ảnh mỗi cạnh" in caught.value.message


def test_25_megapixels_is_allowed_and_decoded_only_as_large_as_needed(app):
    whole = decode_image(upload(zero_png(5000, 5000)))
    assert whole.size == (5000, 5000)
    small = decode_image(upload(zero_png(5000, 5000)), longest=1200)
    # Reduced by a whole factor to between twice and four times the size kept.
    assert 2 * 1200 <= max(small.size) < 4 * 1200
    assert small.size[0] == small.size[1]


def test_a_big_jpeg_is_decoded_at_a_fraction_of_its_size(app):
    buffer = io.BytesIO()
    Image.new("RGB", (4000, 3000), (90, 140, 60)).save(buffer, "JPEG")
    image = decode_image(upload(buffer.getvalue(), "big.jpg"), longest=480)
    assert 2 * 480 <= max(image.size) < 4 * 480  # decoded at 1/4 scale, not 4000 × 3000
    assert image.size[0] * 3 == image.size[1] * 4


# --- how many photos ---------------------------------------------------------------------------


def test_too_many_photos_in_one_upload_are_refused_and_nothing_is_stored(client, auth, app, db):
    user, coop = seller()
    listing = factories.listing(coop=coop)
    auth.login(user)
    uploads = Path(app.config["UPLOAD_DIR"])
    files_before, rows_before = files_under(uploads), counts()
    n = limits.PHOTOS_PER_UPLOAD + 1
    response = client.post(
        f"/seller/listings/{listing.id}/photos",
        data={"photos": [file_field(png_bytes(), f"p{i}.png") for i in range(n)]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert f"chọn tối đa {limits.PHOTOS_PER_UPLOAD} ảnh" in response.get_data(as_text=True)
    assert files_under(uploads) == files_before
    assert counts() == rows_before


def test_a_listing_holds_at_most_its_limit_of_photos(app, db, english):
    user, coop = seller()
    listing = factories.listing(coop=coop)
    per_upload = limits.PHOTOS_PER_UPLOAD
    while len(listing.images) + per_upload <= limits.LISTING_PHOTOS:
        add_photos(listing.id, coop.id, user, [upload(png_bytes()) for _ in range(per_upload)])
        db.session.refresh(listing)
    room = limits.LISTING_PHOTOS - len(listing.images)
    if room:
        add_photos(listing.id, coop.id, user, [upload(png_bytes()) for _ in range(room)])
    files_before = files_under(Path(app.config["UPLOAD_DIR"]))
    with pytest.raises(InvalidUpload) as caught:
        add_photos(listing.id, coop.id, user, [upload(png_bytes())])
    assert f"at most {limits.LISTING_PHOTOS} photos" in caught.value.message
    assert db.session.query(ListingImage).count() == limits.LISTING_PHOTOS
    assert files_under(Path(app.config["UPLOAD_DIR"])) == files_before


def test_a_photo_that_fails_its_check_after_others_were_kept_leaves_no_file(app, db):
    user, coop = seller()
    listing = factories.listing(coop=coop)
    folders = [Path(app.config["UPLOAD_DIR"]), Path(app.config["PRIVATE_MEDIA_DIR"])]
    before = [files_under(folder) for folder in folders]
    # The second file's header is fine; its structure is not (cut short after the header).
    batch = [upload(png_bytes(), "good.png"), upload(png_bytes()[:60], "broken.png")]
    with pytest.raises(InvalidUpload) as caught:
        add_photos(listing.id, coop.id, user, batch)
    assert "broken.png" in caught.value.message
    assert [files_under(folder) for folder in folders] == before  # the good original went too
    assert db.session.query(ListingImage).count() == 0


# --- never inside the write lock -----------------------------------------------------------------


def write_lock_is_free(app) -> bool:
    """No unit of work is open and, on SQLite, another connection can take the write lock."""
    if _db.session.info.get("unit_of_work") is not None:
        return False
    if _db.engine.dialect.name != "sqlite":
        return True
    other = create_engine(_db.engine.url, connect_args={"timeout": 0})
    try:
        with other.connect() as connection:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            connection.execute(text("ROLLBACK"))
        return True
    except Exception:  # noqa: BLE001 - "database is locked"
        return False
    finally:
        other.dispose()


def spy(monkeypatch, module, name: str, app, seen: list[bool]):
    real = getattr(module, name)

    def watched(*args, **kwargs):
        seen.append(write_lock_is_free(app))
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, watched)


def test_photos_are_kept_and_resized_outside_the_write_lock(app, db, monkeypatch):
    """The request keeps the originals before its unit; the job resizes after the commit."""
    user, coop = seller()
    listing = factories.listing(coop=coop)
    kept: list[bool] = []
    resized: list[bool] = []
    spy(monkeypatch, listing_domain, "store_original", app, kept)
    spy(monkeypatch, photo_jobs, "process_listing_original", app, resized)
    add_photos(listing.id, coop.id, user, [upload(png_bytes()), upload(png_bytes())])
    assert kept == [True, True]
    assert resized == [True, True]
    assert db.session.query(ListingImage).count() == 2


def test_a_logo_is_kept_and_resized_outside_the_write_lock(app, db, monkeypatch):
    """As a photo: the request keeps the original before its unit; the job resizes it after
    the commit."""
    user = factories.user()
    kept: list[bool] = []
    resized: list[bool] = []
    spy(monkeypatch, logo_jobs, "store_original", app, kept)
    spy(monkeypatch, logo_jobs, "process_logo_original", app, resized)
    coop = apply_for_cooperative(
        user,
        CooperativeApplication(
            legal_name="HTX Ảnh Nhỏ",
            registration_number="LOGO-2",
            address="Thôn 1",
            commune_code=factories.LUC_NGAN_COMMUNE,
            phone="0912345678",
            email="htx@example.vn",
        ),
        logo=upload(png_bytes((800, 600)), "logo.png"),
    )
    assert kept == [True] and resized == [True]
    db.session.refresh(coop)
    assert coop.logo and core_files.logo_path(coop.logo, "card").exists()


def test_a_scan_is_written_before_the_write_lock(app, db, monkeypatch):
    user, coop = seller()
    seen: list[bool] = []
    spy(monkeypatch, submissions, "store_scan", app, seen)
    spy(monkeypatch, submissions, "prepare_scan", app, seen)
    cert = submit_certificate(coop.id, user, cert_input(), upload(png_bytes(), "scan.png"))
    assert seen == [True, True]
    assert cert.scan_filename


def test_photos_written_before_a_unit_that_fails_are_deleted(app, db, monkeypatch):
    """The listing is archived by someone else while the photos are being resized: the unit
    refuses them, and the files already written go."""
    user, coop = seller()
    listing = factories.listing(coop=coop)
    real = listing_domain.store_original

    def store_then_archive(data):
        stored = real(data)
        other = create_engine(_db.engine.url)
        with other.begin() as connection:
            connection.execute(
                text("UPDATE listings SET status = :s WHERE id = :i"),
                {"s": ListingStatus.ARCHIVED.value, "i": listing.id},
            )
        other.dispose()
        return stored

    monkeypatch.setattr(listing_domain, "store_original", store_then_archive)
    folders = [Path(app.config["UPLOAD_DIR"]), Path(app.config["PRIVATE_MEDIA_DIR"])]
    before = [files_under(folder) for folder in folders]
    with pytest.raises(Exception, match="archived|lưu trữ"):
        add_photos(listing.id, coop.id, user, [upload(png_bytes())])
    assert [files_under(folder) for folder in folders] == before
    assert db.session.query(ListingImage).count() == 0
