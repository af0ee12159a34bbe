"""Photos and logos in an S3-compatible bucket (MEDIA_STORAGE=s3), against moto's in-process S3:
uploads land in the bucket with their type, pages serve them, deletions reach the bucket, a
failed unit leaves nothing behind, and certificate scans never go there."""

from __future__ import annotations

import io
from pathlib import Path

import boto3
import pytest
from moto import mock_aws
from PIL import Image
from sqlalchemy import create_engine, select, text

from storefront.core import storage as storage_module
from storefront.core.files import Upload, delete_logo, logo_url, store_logo
from storefront.core.media import SIZES, listing_image_url, original_key
from storefront.core.storage import (
    LocalStorage,
    S3Storage,
    make_private_storage,
    make_storage,
    media_storage,
    private_storage,
)
from storefront.domain.catalog import listings as listing_domain
from storefront.domain.catalog.listings import add_photos
from storefront.domain.jobs import run_job
from storefront.domain.jobs.outbox import BACKEND_EXTENSION
from storefront.extensions import db as _db
from storefront.models import Certificate, ListingImage, ListingStatus
from tests.fixtures import factories
from tests.fixtures.seller import file_field, files_under, jpeg_with_exif, png_bytes, seller

BUCKET = "ocop-media"
PREFIX = "shop/"
CDN = "https://cdn.example.vn/media"


@pytest.fixture
def s3(app, monkeypatch):
    """The app on a moto bucket for this test; its media storage made afresh, and forgotten
    after."""
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        for key, value in {
            "MEDIA_STORAGE": "s3",
            "S3_BUCKET": BUCKET,
            "S3_REGION": "us-east-1",
            "S3_ACCESS_KEY_ID": "testing",
            "S3_SECRET_ACCESS_KEY": "testing",
            "S3_PREFIX": PREFIX,
            "S3_PUBLIC_BASE_URL": "",
            "S3_ENDPOINT_URL": None,
        }.items():
            monkeypatch.setitem(app.config, key, value)
        monkeypatch.setitem(app.extensions, storage_module.EXTENSION_KEY, None)
        monkeypatch.setitem(app.extensions, storage_module.PRIVATE_EXTENSION_KEY, None)
        yield client


def keys(client) -> set[str]:
    listed = client.list_objects_v2(Bucket=BUCKET)
    return {item["Key"] for item in listed.get("Contents", [])}


def photo_keys(stem: str) -> set[str]:
    return {f"{PREFIX}listings/{stem}-{size}.webp" for size in SIZES}


def test_the_storage_follows_the_settings(app, monkeypatch):
    assert isinstance(media_storage(), LocalStorage)
    assert media_storage().root == Path(app.config["UPLOAD_DIR"])  # type: ignore[union-attr]
    storage = make_storage(
        {
            "MEDIA_STORAGE": "s3",
            "S3_BUCKET": "b",
            "S3_ENDPOINT_URL": "https://s3.example.vn",
            "S3_REGION": "hn-1",
            "S3_ACCESS_KEY_ID": "k",
            "S3_SECRET_ACCESS_KEY": "s",
            "S3_PREFIX": "p/",
            "S3_PUBLIC_BASE_URL": "https://cdn.example.vn/",
        }
    )
    assert isinstance(storage, S3Storage)
    assert storage.client.meta.endpoint_url == "https://s3.example.vn"
    assert storage.client.meta.region_name == "hn-1"
    assert storage.url("logos/a-card.webp") == "https://cdn.example.vn/p/logos/a-card.webp"
    with pytest.raises(RuntimeError, match="S3_BUCKET"):
        make_storage({"MEDIA_STORAGE": "s3", "S3_BUCKET": ""})
    with pytest.raises(RuntimeError, match="MEDIA_STORAGE"):
        make_storage({"MEDIA_STORAGE": "ftp"})
    for bad in ("../scans/x.pdf", "listings/../../x", "x.webp", "listings/.hidden"):
        with pytest.raises(ValueError):
            storage.url(bad)


def test_an_uploaded_photo_lands_in_the_bucket_and_the_product_page_serves_it(
    client, auth, app, db, s3
):
    user, coop = seller()
    listing = factories.listing(coop=coop)
    auth.login(user)
    uploads_before = files_under(Path(app.config["UPLOAD_DIR"]))
    response = client.post(
        f"/seller/listings/{listing.id}/photos",
        data={"photos": [file_field(jpeg_with_exif(), "camera.jpg")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    [photo] = db.session.query(ListingImage).all()
    assert keys(s3) == photo_keys(photo.filename)
    for key in photo_keys(photo.filename):
        stored = s3.get_object(Bucket=BUCKET, Key=key)
        assert stored["ContentType"] == "image/webp"
        data = stored["Body"].read()
        assert data[:4] == b"RIFF" and b"SecretCam" not in data  # re-encoded, no EXIF
    # Nothing was written to the local folder.
    assert files_under(Path(app.config["UPLOAD_DIR"])) == uploads_before

    # Without a public address, the page links /media/, which streams the object.
    page = client.get(f"/products/{listing.slug}").get_data(as_text=True)
    gallery = f"/media/listings/{photo.filename}-gallery.webp"
    assert gallery in page
    served = client.get(gallery)
    assert served.status_code == 200
    assert served.mimetype == "image/webp"
    assert (
        served.data
        == s3.get_object(Bucket=BUCKET, Key=f"{PREFIX}listings/{photo.filename}-gallery.webp")[
            "Body"
        ].read()
    )
    assert "max-age=86400" in served.headers["Cache-Control"]
    again = client.get(gallery, headers={"If-None-Match": served.headers["ETag"]})
    assert again.status_code == 304
    assert client.get(f"/media/listings/{photo.filename}-huge.webp").status_code == 404
    assert client.get("/media/listings/0000-card.webp").status_code == 404

    # Deleting the photo deletes its objects.
    response = client.post(f"/seller/listings/{listing.id}/photos/{photo.id}/delete")
    assert response.status_code == 302
    assert db.session.query(ListingImage).count() == 0
    assert keys(s3) == set()
    assert client.get(gallery).status_code == 404


def test_with_a_public_address_pages_link_the_bucket(client, app, db, s3, monkeypatch):
    monkeypatch.setitem(app.config, "S3_PUBLIC_BASE_URL", CDN)
    user, coop = seller()
    listing = factories.listing(coop=coop)
    [photo] = add_photos(listing.id, coop.id, user, [Upload("a.png", io.BytesIO(png_bytes()))])
    with app.test_request_context():
        assert listing_image_url(photo.filename, "card") == (
            f"{CDN}/{PREFIX}listings/{photo.filename}-card.webp"
        )
    page = client.get(f"/products/{listing.slug}").get_data(as_text=True)
    assert f"{CDN}/{PREFIX}listings/{photo.filename}-gallery.webp" in page


def test_a_failed_unit_deletes_the_objects_it_wrote(app, db, s3, monkeypatch):
    """The listing is archived by someone else while the photos are being resized: the unit
    refuses them, and the objects already written go."""
    user, coop = seller()
    listing = factories.listing(coop=coop)
    real = listing_domain.store_original
    written: list[str] = []

    def store_then_archive(data):
        stored = real(data)
        written.append(stored)
        other = create_engine(_db.engine.url)
        with other.begin() as connection:
            connection.execute(
                text("UPDATE listings SET status = :s WHERE id = :i"),
                {"s": ListingStatus.ARCHIVED.value, "i": listing.id},
            )
        other.dispose()
        return stored

    monkeypatch.setattr(listing_domain, "store_original", store_then_archive)
    with pytest.raises(Exception, match="archived|lưu trữ"):
        add_photos(listing.id, coop.id, user, [Upload("a.png", io.BytesIO(png_bytes()))])
    assert written  # it did reach the bucket first
    assert keys(s3) == set()
    assert db.session.query(ListingImage).count() == 0


def test_logos_live_in_the_bucket_too(app, client, s3):
    stem = store_logo(Image.new("RGB", (500, 300), (200, 10, 30)))
    expected = {f"{PREFIX}logos/{stem}-{size}.webp" for size in ("thumb", "card")}
    assert keys(s3) == expected
    assert (
        s3.get_object(Bucket=BUCKET, Key=f"{PREFIX}logos/{stem}-card.webp")["ContentType"]
        == "image/webp"
    )
    with app.test_request_context():
        url = logo_url(stem)
    assert url == f"/media/logos/{stem}-card.webp"
    served = client.get(url)
    assert served.status_code == 200 and served.data[:4] == b"RIFF"
    delete_logo(stem)
    assert keys(s3) == set()


def test_a_certificate_scan_never_goes_to_the_bucket(client, auth, app, db, s3, monkeypatch):
    """Scans stay in SCAN_DIR whatever MEDIA_STORAGE says: no object, so no public address of
    the bucket or CDN can reach one, and /media/ does not serve one either."""
    monkeypatch.setitem(app.config, "S3_PUBLIC_BASE_URL", CDN)
    user, coop = seller()
    auth.login(user)
    pdf = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF"
    response = client.post(
        "/seller/certificates/new",
        data={
            "number": "78/QĐ-UBND",
            "stars": "4",
            "product_name": "Vải thiều",
            "issuing_authority": "UBND tỉnh Bắc Giang",
            "issued_on": "2025-03-01",
            "scan": file_field(pdf, "scan.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    cert = db.session.query(Certificate).one()
    assert (Path(app.config["SCAN_DIR"]) / cert.scan_filename).read_bytes() == pdf
    assert keys(s3) == set()
    for folder in ("certificates", "scans", "listings", "logos"):
        assert client.get(f"/media/{folder}/{cert.scan_filename}").status_code == 404
    page = client.get(f"/seller/certificates/{cert.id}").get_data(as_text=True)
    assert CDN not in page


def test_an_original_waits_under_the_private_prefix_with_no_address(app, db, s3, monkeypatch):
    """Until its job has run, an upload is kept as sent (EXIF and all) under
    S3_PRIVATE_PREFIX: never given a public address, even with S3_PUBLIC_BASE_URL set."""
    monkeypatch.setitem(app.config, "S3_PUBLIC_BASE_URL", CDN)
    queued: list[int] = []
    monkeypatch.setitem(app.extensions, BACKEND_EXTENSION, queued.extend)
    user, coop = seller()
    listing = factories.listing(coop=coop)
    [photo] = add_photos(listing.id, coop.id, user, [Upload("a.jpg", io.BytesIO(jpeg_with_exif()))])
    stem = photo.filename
    original = f"private/originals/{stem}"
    assert keys(s3) == {original}
    stored = s3.get_object(Bucket=BUCKET, Key=original)
    assert stored["CacheControl"] == "private, no-store"
    assert b"SecretCam" in stored["Body"].read()
    assert private_storage().url(original_key(stem)) is None

    assert run_job(queued.pop()) == "done"
    assert keys(s3) == photo_keys(stem)  # the sizes, public; the original gone


def test_the_private_prefix_cannot_be_the_public_one(app):
    settings = {"MEDIA_STORAGE": "s3", "S3_BUCKET": "b", "S3_REGION": "us-east-1"}
    with pytest.raises(RuntimeError, match="S3_PRIVATE_PREFIX"):
        make_private_storage({**settings, "S3_PREFIX": "shop/", "S3_PRIVATE_PREFIX": "shop/"})
    storage = make_private_storage({**settings, "S3_PREFIX": "shop/"})
    assert isinstance(storage, S3Storage)
    assert storage.object_key("originals/x") == "private/originals/x"
    assert storage.url("originals/x") is None
    other = make_private_storage({**settings, "S3_PRIVATE_BUCKET": "vault"})
    assert isinstance(other, S3Storage) and other.bucket == "vault"


def test_a_logo_and_a_review_photo_wait_privately_and_are_made_in_the_bucket(
    app, db, s3, monkeypatch, make
):
    """Logos and review photos take the listing photos' path: the original under the private
    prefix until the job; then the sizes, public (a hidden review's: private)."""
    from storefront.domain.cooperatives.profile import ProfileChange, update_profile
    from storefront.domain.reviews.moderation import hide_review
    from storefront.domain.reviews.writing import ReviewInput, save_review
    from storefront.models import ReviewPhoto, Role
    from tests.fixtures.reviews import order_of, shop

    queued: list[int] = []
    user, coop = seller()
    monkeypatch.setitem(app.extensions, BACKEND_EXTENSION, queued.extend)
    change = ProfileChange(description="", phone="0912345678", email="a@example.vn", address="x")
    update_profile(coop.id, user, change, logo=Upload("l.jpg", io.BytesIO(jpeg_with_exif())))
    stem = db.session.get(type(coop), coop.id).pending_logo
    assert keys(s3) == {f"private/originals/{stem}"}
    assert run_job(queued.pop()) == "done"
    assert keys(s3) == {f"{PREFIX}logos/{stem}-{size}.webp" for size in ("thumb", "card")}

    _, _, listing = shop(make)
    buyer = make.user(name="Nguyễn Thị Lan")
    bought = order_of(listing, buyer=buyer)
    queued.clear()
    review = save_review(
        bought.line_id,
        buyer,
        ReviewInput(rating=5, photos=[Upload("r.jpg", io.BytesIO(jpeg_with_exif()))]),
    )
    review_id = review.id
    photo = db.session.scalars(select(ReviewPhoto).where(ReviewPhoto.review_id == review_id)).one()
    photo_stem, photo_job = photo.filename, queued.pop()
    before = keys(s3)
    assert f"private/originals/{photo_stem}" in before
    hide_review(review_id, make.user(role=Role.PFA), "Không phù hợp")
    for job_id in [*queued, photo_job]:
        run_job(job_id)
    hidden = {f"private/hidden-reviews/{photo_stem}-{size}.webp" for size in SIZES}
    assert keys(s3) - before == hidden
    assert not any(key.startswith(f"{PREFIX}reviews/") for key in keys(s3))
