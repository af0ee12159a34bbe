"""Listing photos and buyers' review photos: re-encoded, EXIF-free, under random names, in
fixed sizes, kept in the media storage (core/storage.py: UPLOAD_DIR or an S3-compatible
bucket), each kind under its own key prefix ("listings/", "reviews/")."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from flask import Flask, current_app, url_for
from PIL import Image, ImageOps

from storefront.core import storage as media_storage_module
from storefront.core.files import REDUCING_GAP
from storefront.core.storage import media_storage

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
    stem = secrets.token_hex(12)
    storage = media_storage()
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
        _delete_image(stem, key)  # no size left behind by a failure halfway
        raise
    return StoredImage(stem=stem, width=gallery.width, height=gallery.height)


def delete_listing_image(stem: str) -> None:
    _delete_image(stem, listing_image_key)


def delete_review_image(stem: str) -> None:
    _delete_image(stem, review_image_key)


def _delete_image(stem: str, key: Callable[[str, str], str]) -> None:
    storage = media_storage()
    for size in SIZES:
        storage.delete(key(stem, size))


def init_app(app: Flask) -> None:
    media_storage_module.init_app(app)
    app.add_template_global(listing_image_url)
    app.add_template_global(review_image_url)
