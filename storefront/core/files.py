"""Files people upload — listing photos, cooperative logos, certificate scans — checked by
decoding them, never by their name or declared type, and written only once they pass."""

from __future__ import annotations

import secrets
import shutil
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import IO

from flask import current_app, url_for
from flask_babel import gettext as _
from PIL import Image, ImageOps

from storefront.core.errors import InvalidUpload
from storefront.core.storage import media_storage

MAX_IMAGE_BYTES = 5 * 1024 * 1024
# A decoded pixel takes up to 4 bytes: 25 megapixels is 100 MB of memory, the most one photo may
# cost a worker (a 126 KB PNG can claim 40 megapixels). Every camera photo fits; a longer side
# than MAX_IMAGE_SIDE is a strip no product photo needs.
MAX_IMAGE_PIXELS = 25_000_000
MAX_IMAGE_SIDE = 10_000
# Transparency costs twice: Pillow resizes through a premultiplied copy of the whole image.
MAX_IMAGE_PIXELS_WITH_ALPHA = 12_000_000
# Shrunk while decoding to this multiple of the largest size kept, never below it: resizing from
# twice the size looks as good as from the original (Pillow's `reducing_gap`).
REDUCING_GAP = 2
MAX_SCAN_BYTES = 10 * 1024 * 1024
IMAGE_FORMATS = ("JPEG", "PNG", "WEBP")
PDF_MAGIC = b"%PDF-"

# Pillow's own bomb guard (it refuses twice this outright); decode_image checks the exact
# limit from the header before any pixel is decoded.
Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS

LOGO_SIZES = {"thumb": 96, "card": 320}
LOGO_LARGEST = max(LOGO_SIZES.values())
SCAN_EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "PDF": "pdf"}
SCAN_MIMETYPES = {
    "jpg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "pdf": "application/pdf",
}


@dataclass(frozen=True)
class Upload:
    """An uploaded file as the domain sees it: the name the person gave it, and its bytes."""

    filename: str
    stream: IO[bytes]

    @property
    def display_name(self) -> str:
        return Path(self.filename or "").name[:80] or _("the file")


@dataclass(frozen=True)
class PreparedScan:
    """A certificate scan that passed the checks, ready to be written."""

    data: bytes
    extension: str


def _read_at_most(upload: Upload, limit: int) -> bytes:
    data = upload.stream.read(limit + 1)
    if len(data) > limit:
        raise InvalidUpload(
            _(
                "“%(name)s” is larger than %(mb)d MB. Please choose a smaller file.",
                name=upload.display_name,
                mb=limit // (1024 * 1024),
            ),
            field="file",
        )
    if not data:
        raise InvalidUpload(_("“%(name)s” is empty.", name=upload.display_name), field="file")
    return data


def _not_an_image(upload: Upload) -> InvalidUpload:
    return InvalidUpload(
        _(
            "“%(name)s” is not a JPEG, PNG or WebP photo. Please choose a photo in one of"
            " these formats.",
            name=upload.display_name,
        ),
        field="file",
    )


def _not_a_scan(upload: Upload) -> InvalidUpload:
    return InvalidUpload(
        _(
            "“%(name)s” is not a PDF or a JPEG, PNG or WebP image of the certificate.",
            name=upload.display_name,
        ),
        field="file",
    )


def _too_many_pixels(upload: Upload, limit: int = MAX_IMAGE_PIXELS) -> InvalidUpload:
    return InvalidUpload(
        _(
            "“%(name)s” has too many pixels (more than %(mp)d megapixels). Please resize it.",
            name=upload.display_name,
            mp=limit // 1_000_000,
        ),
        field="file",
    )


def _too_long_a_side(upload: Upload) -> InvalidUpload:
    return InvalidUpload(
        _(
            "“%(name)s” is too wide or too tall (more than %(px)s pixels on a side). Please"
            " resize it.",
            name=upload.display_name,
            px=f"{MAX_IMAGE_SIDE:,}",
        ),
        field="file",
    )


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        image.mode == "P" and "transparency" in image.info
    )


def _check_size(upload: Upload, image: Image.Image) -> None:
    """Refuse by the size (and mode) the header claims, before a single pixel is decoded."""
    width, height = image.size
    limit = MAX_IMAGE_PIXELS_WITH_ALPHA if _has_alpha(image) else MAX_IMAGE_PIXELS
    if width * height > limit:
        raise _too_many_pixels(upload, limit)
    if max(width, height) > MAX_IMAGE_SIDE:
        raise _too_long_a_side(upload)


def _shrink_while_decoding(image: Image.Image, longest: int) -> Image.Image:
    """Decode `image` (opened, not loaded) no larger than needed for sizes up to `longest`
    pixels on the longest side: a JPEG decodes at 1/2, 1/4 or 1/8 scale (draft), then any
    image is reduced by a whole factor, so the full-size copy is never kept (nor, for a
    JPEG, ever made)."""
    width, height = image.size
    scale = longest * REDUCING_GAP / max(width, height)
    if scale < 1:
        if image.format == "JPEG":
            image.draft(None, (max(1, int(width * scale)), max(1, int(height * scale))))
        image.load()
        if image.mode == "P":  # reduce() cannot average palette indexes
            image = image.convert("RGBA" if "transparency" in image.info else "RGB")
        elif image.mode in ("1", "I;16", "I;16B", "I;16L"):
            image = image.convert("L")
        factor = int(max(image.size) / (longest * REDUCING_GAP))
        if factor > 1:
            image = image.reduce(factor)
    else:
        image.load()
    return image


def _decode(
    upload: Upload,
    data: bytes,
    not_image: Callable[[Upload], InvalidUpload] = _not_an_image,
    longest: int | None = None,
) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # The header gives the size without decoding pixels: refuse a bomb before load().
            with Image.open(BytesIO(data), formats=IMAGE_FORMATS) as probe:
                _check_size(upload, probe)
                probe.verify()
            # verify() leaves the image unusable; decode a fresh one for real.
            image: Image.Image = Image.open(BytesIO(data), formats=IMAGE_FORMATS)
            _check_size(upload, image)
            fmt = image.format
            if longest is None:
                image.load()
            else:
                image = _shrink_while_decoding(image, longest)
    except InvalidUpload:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(upload) from None
    except Exception:  # noqa: BLE001 - a decoder can fail in many ways on hostile input
        raise not_image(upload) from None
    if fmt not in IMAGE_FORMATS:
        raise not_image(upload)
    return image


def decode_image(upload: Upload, longest: int | None = None) -> Image.Image:
    """The decoded photo, or InvalidUpload: at most 5 MB, 25 megapixels (12 with transparency)
    and 10,000 pixels on a side, JPEG/PNG/WebP. With `longest`, decoded only as large as sizes
    up to that many pixels need: between 2 and 4 times `longest` (or whole, if smaller)."""
    return _decode(upload, _read_at_most(upload, MAX_IMAGE_BYTES), longest=longest)


def check_image(upload: Upload) -> None:
    """Refuse a photo by its size in bytes and its header alone (cheap: nothing is decoded),
    so that a batch with one bad file costs nothing; the stream is rewound for decode_image."""
    data = _read_at_most(upload, MAX_IMAGE_BYTES)
    upload.stream.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(BytesIO(data), formats=IMAGE_FORMATS) as probe:
                _check_size(upload, probe)
    except InvalidUpload:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(upload) from None
    except Exception:  # noqa: BLE001 - a parser can fail in many ways on hostile input
        raise _not_an_image(upload) from None


def check_photo(upload: Upload) -> bytes:
    """The photo's bytes once its type is known from its content, not its name: the checks of
    check_image (size in bytes, the header's size and pixels, decompression bombs), then the
    decoder's own check of the file's structure (verify(): chunk checksums, markers), all
    without decoding a pixel. Refused with the same messages as decode_image. A file whose
    pixels are broken still passes: decoding it (the photo's job) finds that."""
    data = _read_at_most(upload, MAX_IMAGE_BYTES)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(BytesIO(data), formats=IMAGE_FORMATS) as probe:
                _check_size(upload, probe)
                fmt = probe.format
                probe.verify()
    except InvalidUpload:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(upload) from None
    except Exception:  # noqa: BLE001 - a parser can fail in many ways on hostile input
        raise _not_an_image(upload) from None
    if fmt not in IMAGE_FORMATS:
        raise _not_an_image(upload)
    return data


def prepare_scan(upload: Upload) -> PreparedScan:
    """A certificate scan: a PDF (by its magic bytes, ≤ 10 MB) or a photo (the photo checks).

    Images are re-encoded in their own format, which drops EXIF and anything hidden after
    the pixels; a PDF is kept as sent and only ever served to members and PFA staff.
    """
    data = _read_at_most(upload, MAX_SCAN_BYTES)
    if data.startswith(PDF_MAGIC):
        return PreparedScan(data=data, extension="pdf")
    if len(data) > MAX_IMAGE_BYTES:
        # Only a PDF may use the larger allowance.
        raise InvalidUpload(
            _(
                "“%(name)s” is larger than %(mb)d MB. Please choose a smaller file.",
                name=upload.display_name,
                mb=MAX_IMAGE_BYTES // (1024 * 1024),
            ),
            field="file",
        )
    image = _decode(upload, data, not_image=_not_a_scan)
    fmt = image.format
    assert fmt is not None  # _decode opened it as one of IMAGE_FORMATS, and kept it whole
    ImageOps.exif_transpose(image, in_place=True)  # no copy of a scan that needs no turn
    out = BytesIO()
    if fmt == "JPEG":
        if image.mode != "RGB":  # convert() copies even an RGB image: a second full size
            image = image.convert("RGB")
        image.save(out, "JPEG", quality=90)
    elif fmt == "PNG":
        if image.mode not in ("1", "L", "LA", "P", "RGB", "RGBA"):
            image = image.convert("RGBA")
        image.save(out, "PNG", optimize=True)
    else:
        if image.mode not in ("RGB", "RGBA"):
            image = image.convert("RGBA" if "transparency" in image.info else "RGB")
        image.save(out, "WEBP", quality=90)
    return PreparedScan(data=out.getvalue(), extension=SCAN_EXTENSIONS[fmt])


# --- certificate scans: private, served only through an authorised view ----------------------


def scan_folder() -> Path:
    """Where scans are written: SCAN_DIR, outside the public media root (UPLOAD_DIR)."""
    return Path(current_app.config["SCAN_DIR"])


def legacy_scan_folder() -> Path:
    # Scans were once written to UPLOAD_DIR/certificates; those left there are still read and
    # deleted (until `move_legacy_scans` has moved them), never served by the media route.
    return Path(current_app.config["UPLOAD_DIR"]) / "certificates"


def _checked_scan_name(filename: str) -> str:
    # Names are ours (random hex + extension); refuse anything else rather than trust it.
    if not filename or "/" in filename or "\\" in filename or filename.startswith("."):
        raise ValueError(f"not a scan file name: {filename!r}")
    return filename


def scan_path(filename: str) -> Path:
    """The scan's file: in SCAN_DIR, or where it was stored before SCAN_DIR existed."""
    path = scan_folder() / _checked_scan_name(filename)
    if not path.exists():
        legacy = legacy_scan_folder() / filename
        if legacy.is_file():
            return legacy
    return path


def store_scan(scan: PreparedScan) -> str:
    """Write the scan under a random name; returns the name."""
    folder = scan_folder()
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}.{scan.extension}"
    (folder / name).write_bytes(scan.data)
    return name


def delete_scan(filename: str | None) -> None:
    if filename:
        (scan_folder() / _checked_scan_name(filename)).unlink(missing_ok=True)
        (legacy_scan_folder() / filename).unlink(missing_ok=True)


def move_legacy_scans() -> int:
    """Move scans left in UPLOAD_DIR/certificates to SCAN_DIR; returns how many moved."""
    legacy = legacy_scan_folder()
    if not legacy.is_dir():
        return 0
    target = scan_folder()
    target.mkdir(parents=True, exist_ok=True)
    moved = 0
    for path in sorted(legacy.iterdir()):
        if path.is_file() and not (target / path.name).exists():
            shutil.move(path, target / path.name)
            moved += 1
    return moved


def scan_mimetype(filename: str) -> str:
    return SCAN_MIMETYPES.get(filename.rsplit(".", 1)[-1], "application/octet-stream")


# --- cooperative logos: public, like listing photos ---------------------------------------------


def logo_key(stem: str, size: str) -> str:
    return f"logos/{stem}-{size}.webp"


def logo_path(stem: str, size: str) -> Path:
    """Where the local storage (MEDIA_STORAGE=local) keeps that size."""
    return Path(current_app.config["UPLOAD_DIR"]) / logo_key(stem, size)


def logo_url(stem: str | None, size: str = "card") -> str:
    if not stem:
        return ""
    key = logo_key(stem, size)
    return media_storage().url(key) or url_for("main.media", filename=key)


def store_logo(image: Image.Image) -> str:
    """Write every size of a decoded logo under a new random stem (write_logo); returns it.
    An uploaded logo goes through its job instead (domain/cooperatives/logo.py)."""
    stem = secrets.token_hex(12)
    write_logo(image, stem)
    return stem


def write_logo(image: Image.Image, stem: str) -> None:
    """Write every size of a decoded logo under `stem`, re-encoded (no EXIF), keeping its
    proportions (a second run writes the same names again). Never inside a unit of work:
    resizing must not hold the write lock."""
    image = ImageOps.exif_transpose(image)
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    storage = media_storage()
    try:
        for size, longest in LOGO_SIZES.items():
            variant = image.copy()
            variant.thumbnail((longest, longest))
            out = BytesIO()
            variant.save(out, "WEBP", quality=85)
            storage.save(logo_key(stem, size), out.getvalue(), "image/webp")
    except BaseException:
        delete_logo(stem)  # no size left behind by a failure halfway
        raise


def delete_logo(stem: str | None) -> None:
    if stem:
        storage = media_storage()
        for size in LOGO_SIZES:
            storage.delete(logo_key(stem, size))
