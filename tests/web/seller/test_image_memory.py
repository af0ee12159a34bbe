"""Hostile photos cannot blow up a worker's memory: a tiny file claiming 40 megapixels is
refused from its header, and the largest photo we accept is decoded small.

Each upload runs in a fresh Python process (tests/web/seller/image_memory_worker.py) through
the real seller route, so its peak memory is its own and not the test process's.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from storefront.models import ListingImage
from tests.fixtures import factories
from tests.fixtures.seller import counts, files_under, png_bytes, seller

ROOT = Path(__file__).resolve().parents[3]
MEMORY_BUDGET_MB = 150


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def zero_png(width: int, height: int) -> bytes:
    """A real, complete RGB PNG of black pixels: ~120 KB on disk for 40 megapixels, compressed
    a row at a time so that building it costs the test no memory."""
    compressor = zlib.compressobj(9)
    row = b"\x00" * (1 + 3 * width)  # filter byte "none", then the pixels
    body = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunks = _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", body) + _chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + chunks


def jpeg_claiming(width: int, height: int) -> bytes:
    """A small real JPEG whose frame header (SOF0) claims another size."""
    data = bytearray(png_bytes((16, 16), fmt="JPEG"))
    sof = data.index(b"\xff\xc0")
    # FFC0, length (2), precision (1), then height and width.
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def pillow_jpeg(path: Path, width: int, height: int) -> Path:
    """A real photo-sized JPEG, drawn by Pillow in its own process (it needs the memory the
    worker must not)."""
    script = (
        "import sys; from PIL import Image, ImageDraw\n"
        "w, h = int(sys.argv[2]), int(sys.argv[3])\n"
        "image = Image.new('RGB', (w, h), (90, 140, 60))\n"
        "box = (w // 4, h // 4, w * 3 // 4, h * 3 // 4)\n"
        "ImageDraw.Draw(image).ellipse(box, fill=(200, 40, 40))\n"
        "image.save(sys.argv[1], 'JPEG', quality=80)\n"
    )
    subprocess.run([sys.executable, "-c", script, str(path), str(width), str(height)], check=True)
    return path


def upload_in_fresh_worker(app, user, listing, files: list[Path]) -> dict:
    folder = files[0].parent
    job = {
        "database": app.extensions["sqlalchemy"].engine.url.render_as_string(hide_password=False),
        "upload_dir": app.config["UPLOAD_DIR"],
        "search_dir": str(folder / "worker-search"),
        "outbox_dir": str(folder / "worker-outbox"),
        "email": user.email,
        "password": factories.PASSWORD,
        "listing_id": listing.id,
        "files": [str(path) for path in files],
    }
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "tests.web.seller.image_memory_worker", json.dumps(job)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(  # shown with -s: the numbers behind the assertion
        f"{[p.name for p in files]}: status {result['status']}, "
        f"RSS +{result['rss_growth_mb']} MB (from {result['rss_before_mb']} MB; startup peak"
        f" {result['startup_peak_mb']} MB), CPU {result['cpu_seconds']} s"
    )
    return result


def write(folder: Path, name: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


HOSTILE = {
    "png-40mp": lambda: [("bomb.png", zero_png(8000, 5000))],
    "three-png-40mp": lambda: [(f"bomb{i}.png", zero_png(8000, 5000)) for i in range(3)],
    "jpeg-80mp": lambda: [("bomb.jpg", jpeg_claiming(10_000, 8000))],
    "png-too-long-side": lambda: [("strip.png", zero_png(20_000, 500))],
}


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_a_huge_photo_is_refused_without_growing_the_worker(app, db, tmp_path, kind):
    user, coop = seller()
    listing = factories.listing(coop=coop)
    files = [write(tmp_path / "in", name, data) for name, data in HOSTILE[kind]()]
    assert all(path.stat().st_size < 200_000 for path in files)  # tiny on disk
    uploads = Path(app.config["UPLOAD_DIR"])
    files_before, rows_before = files_under(uploads), counts()

    result = upload_in_fresh_worker(app, user, listing, files)

    assert result["status"] == 400
    assert files[0].name in result["page"]  # the refusal names the file
    assert files_under(uploads) == files_before
    assert counts() == rows_before
    assert db.session.query(ListingImage).count() == 0
    assert result["rss_growth_mb"] < MEMORY_BUDGET_MB


def test_the_largest_allowed_photos_are_stored_within_the_memory_budget(app, db, tmp_path):
    user, coop = seller()
    listing = factories.listing(coop=coop)
    folder = tmp_path / "in"
    folder.mkdir()
    files = [
        pillow_jpeg(folder / "camera.jpg", 6000, 4000),  # 24 megapixels
        write(folder, "scan.png", zero_png(5000, 5000)),  # 25 megapixels
    ]

    result = upload_in_fresh_worker(app, user, listing, files)

    assert result["status"] == 302
    db.session.expire_all()
    photos = db.session.query(ListingImage).order_by(ListingImage.position).all()
    assert len(photos) == 2
    stored = files_under(Path(app.config["UPLOAD_DIR"]) / "listings")
    for photo in photos:
        assert {f"{photo.filename}-{s}.webp" for s in ("thumb", "card", "gallery")} <= stored
    assert result["rss_growth_mb"] < MEMORY_BUDGET_MB
