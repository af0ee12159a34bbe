"""Listing photos and buyers' review photos: re-encoded, EXIF-free, under random names, in
fixed sizes, kept in the media storage (core/storage.py: UPLOAD_DIR or an S3-compatible
bucket), each kind under its own key prefix ("listings/", "reviews/").

Two ways in for a listing or review photo: `store_listing_image` / `store_review_image` write
every size of a decoded image at once (the demo, fixtures); an upload is kept as sent in the
private storage (`store_original`, the same for listing photos, review photos and logos) and
its sizes made later by its job (`process_listing_original`, `process_review_original`,
`process_logo_original`), under the same stem, so a retried job writes the same names again."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from flask import Flask, current_app, url_for
from PIL import Image, ImageOps

from storefront.core import storage as media_storage_module
from storefront.core.files import LOGO_LARGEST, REDUCING_GAP, Upload, decode_image, write_logo
from storefront.core.storage import media_storage, private_storage

# name → longest side in pixels. Cards are 4:3 crops; the gallery keeps the aspect ratio.
SIZES = {"thumb": 160, "card": 480, "gallery": 1200}
LARGEST = max(SIZES.values())  # decode_image(upload, longest=LARGEST) decodes no larger
CARD_ASPECT = (4, 3)
FORMAT, EXTENSION, CONTENT_TYPE = "WEBP", "webp", "image/webp"


@dataclass(frozen=True)
class StoredImage:
    stem: str
    width: int
    height: int


def upload_root() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


def listing_image_key(stem: str, size: str) -> str:
    return f"listings/{stem}-{size}.{EXTENSION}"


def listing_image_path(stem: str, size: str) -> Path:
    """Where the local storage (MEDIA_STORAGE=local) keeps that size."""
    return upload_root() / listing_image_key(stem, size)


def original_key(stem: str) -> str:
    """The upload as sent (a listing or review photo, a logo), in the private storage until
    its sizes are made."""
    return f"originals/{stem}"


def listing_image_url(stem: str, size: str = "card") -> str:
    key = listing_image_key(stem, size)
    return media_storage().url(key) or url_for("main.media", filename=key)


def review_image_key(stem: str, size: str) -> str:
    return f"reviews/{stem}-{size}.{EXTENSION}"


def review_image_url(stem: str, size: str = "card") -> str:
    key = review_image_key(stem, size)
    return media_storage().url(key) or url_for("main.media", filename=key)


def _within(size: tuple[int, int], longest: int) -> tuple[int, int]:
    width, height = size
    if max(width, height) <= longest:
        return size
    scale = longest / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def store_listing_image(image: Image.Image) -> StoredImage:
    """A listing's photo: see _store_image."""
    return _store_image(image, listing_image_key)


def store_review_image(image: Image.Image) -> StoredImage:
    """A buyer's review photo: the same sizes and checks as a listing's, under "reviews/"."""
    return _store_image(image, review_image_key)


def _store_image(image: Image.Image, key: Callable[[str, str], str]) -> StoredImage:
    """Write every size of an already-decoded image; returns the random stem and the size
    of its gallery picture (the largest kept).

    Re-encoding from pixels drops EXIF and anything else hidden in the original file. Called
    before the unit of work that records the photo, never inside it: resizing must not hold
    the database's write lock. The image is turned upright in place, then only the gallery
    size is made from it (never a full-size copy); the smaller sizes come from the gallery.
    """
    return _write_sizes(image, secrets.token_hex(12), key)


def _write_sizes(
    image: Image.Image,
    stem: str,
    key: Callable[[str, str], str] = listing_image_key,
    storage: media_storage_module.MediaStorage | None = None,
) -> StoredImage:
    ImageOps.exif_transpose(image, in_place=True)  # the camera's rotation, before EXIF is gone
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    gallery_size = _within(image.size, SIZES["gallery"])
    gallery = (
        image
        if gallery_size == image.size
        else image.resize(gallery_size, Image.Resampling.LANCZOS, reducing_gap=REDUCING_GAP)
    )
    del image
    storage = storage or media_storage()
    try:
        for size, longest in SIZES.items():
            if size == "card":
                box = (longest, longest * CARD_ASPECT[1] // CARD_ASPECT[0])
                variant = ImageOps.fit(gallery, box)
            elif size == "gallery":
                variant = gallery
            else:
                variant = gallery.resize(_within(gallery.size, longest), Image.Resampling.LANCZOS)
            out = BytesIO()
            variant.save(out, FORMAT, quality=82, method=4)
            storage.save(key(stem, size), out.getvalue(), CONTENT_TYPE)
    except BaseException:
        _delete_image(stem, key, storage)  # no size left behind by a failure halfway
        raise
    return StoredImage(stem=stem, width=gallery.width, height=gallery.height)


def store_original(data: bytes) -> str:
    """Keep an upload that passed the checks (core/files.check_photo) as sent, in the private
    storage, under a new random stem; returns the stem. Nothing public refers to it. The same
    for a listing photo, a review photo and a logo: the job says what becomes of it."""
    stem = secrets.token_hex(12)
    private_storage().save(original_key(stem), data, "application/octet-stream")
    return stem


def process_listing_original(stem: str) -> StoredImage | None:
    """Make every size of the original kept under `stem`, under that same stem (a second run
    writes the same names again); None when there is no original (already processed, or
    deleted). InvalidUpload when its pixels do not decode. The original stays: the caller
    deletes it once the photo is recorded ready."""
    image = _decode_original(stem, LARGEST)
    return None if image is None else _write_sizes(image, stem)


def process_review_original(stem: str, *, hidden: bool) -> StoredImage | None:
    """As process_listing_original, for a review photo: its sizes at its public address, or
    (`hidden`: its review is hidden) where withdraw_review_image keeps them, in the private
    storage."""
    image = _decode_original(stem, LARGEST)
    if image is None:
        return None
    if hidden:
        return _write_sizes(image, stem, hidden_review_image_key, private_storage())
    return _write_sizes(image, stem, review_image_key)


def process_logo_original(stem: str) -> bool:
    """As process_listing_original, for a logo (core/files.write_logo): False when there is
    no original."""
    image = _decode_original(stem, LOGO_LARGEST)
    if image is None:
        return False
    write_logo(image, stem)
    return True


def _decode_original(stem: str, longest: int) -> Image.Image | None:
    stored = private_storage().open(original_key(stem))
    if stored is None:
        return None
    return decode_image(Upload(filename=stem, stream=BytesIO(stored.data)), longest=longest)


def delete_original(stem: str) -> None:
    private_storage().delete(original_key(stem))


def delete_listing_photo_files(stem: str) -> None:
    """Every file of an uploaded photo: its sizes, and its original if still kept."""
    delete_listing_image(stem)
    delete_original(stem)


def delete_listing_image(stem: str) -> None:
    _delete_image(stem, listing_image_key)


def hidden_review_image_key(stem: str, size: str) -> str:
    """Where a hidden review's photo is kept: the private storage, under no public address."""
    return f"hidden-reviews/{stem}-{size}.{EXTENSION}"


def withdraw_review_image(stem: str) -> None:
    """Take a hidden review's photo off its public address: each size moved to the private
    storage (a size already moved, or gone, is skipped: running again changes nothing)."""
    _move_image(stem, media_storage(), review_image_key, private_storage(), hidden_review_image_key)


def restore_review_image(stem: str) -> None:
    """Put a photo withdrawn by withdraw_review_image back at its public address."""
    _move_image(stem, private_storage(), hidden_review_image_key, media_storage(), review_image_key)


def _move_image(
    stem: str,
    source: media_storage_module.MediaStorage,
    source_key: Callable[[str, str], str],
    target: media_storage_module.MediaStorage,
    target_key: Callable[[str, str], str],
) -> None:
    for size in SIZES:
        stored = source.open(source_key(stem, size))
        if stored is None:
            continue
        target.save(target_key(stem, size), stored.data, stored.content_type)  # then, only
        source.delete(source_key(stem, size))  # then: a failure between leaves a copy


def open_review_image(stem: str, size: str) -> media_storage_module.StoredObject | None:
    """A review photo's size wherever it is (public, or withdrawn): for staff pages."""
    if size not in SIZES:
        return None
    return media_storage().open(review_image_key(stem, size)) or private_storage().open(
        hidden_review_image_key(stem, size)
    )


def delete_review_image(stem: str) -> None:
    _delete_image(stem, review_image_key)
    private = private_storage()
    for size in SIZES:
        private.delete(hidden_review_image_key(stem, size))


def _delete_image(
    stem: str,
    key: Callable[[str, str], str],
    storage: media_storage_module.MediaStorage | None = None,
) -> None:
    storage = storage or media_storage()
    for size in SIZES:
        storage.delete(key(stem, size))


def init_app(app: Flask) -> None:
    media_storage_module.init_app(app)
    app.add_template_global(listing_image_url)
    app.add_template_global(review_image_url)
