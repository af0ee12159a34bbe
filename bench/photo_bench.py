"""Listing photo upload: what the request costs with the photo's job inline and with workers.

    .venv/bin/python -m bench photos [--rounds 20] [--size 4000x3000]

A fresh SQLite database in a temporary folder; each round uploads one camera-sized JPEG
through `add_photos` (the domain function the seller's upload view calls). "inline" is the
embedded default: the job makes the sizes after the commit, before the call returns.
"queued" is JOBS_BACKEND=rq as the request sees it: the job is handed to a queue (here a list)
and the request returns after checking and keeping the original; "job" is what a worker then
spends on it (run_job). Medians, in milliseconds.
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
from pathlib import Path

from PIL import Image
from sqlalchemy import select

from storefront import create_app
from storefront.core.files import Upload
from storefront.domain.catalog.listings import add_photos, delete_photo
from storefront.domain.jobs import run_job
from storefront.domain.jobs.outbox import BACKEND_EXTENSION
from storefront.domain.locations import admin_units_loaded, load_admin_units
from storefront.extensions import db
from storefront.models import (
    AdminUnit,
    Cooperative,
    CooperativeMember,
    CooperativeStatus,
    Listing,
    ListingStatus,
    MemberRole,
    User,
)


def seller_listing() -> tuple[User, Cooperative, Listing]:
    """An approved cooperative's owner and a draft listing of theirs."""
    commune = db.session.scalar(select(AdminUnit).where(AdminUnit.code == 7582))
    user = User(email="lan@example.vn", name="Lan")
    user.set_password("a long enough password")
    coop = Cooperative(
        legal_name="HTX Ảnh",
        slug="htx-anh",
        registration_number="BENCH-1",
        commune=commune,
        status=CooperativeStatus.APPROVED,
    )
    listing = Listing(
        cooperative=coop,
        ocop_group=1,
        name="Vải thiều",
        slug="vai-thieu",
        status=ListingStatus.DRAFT,
        origin_commune=commune,
    )
    db.session.add_all(
        [user, coop, listing, CooperativeMember(cooperative=coop, user=user, role=MemberRole.OWNER)]
    )
    db.session.commit()
    return user, coop, listing


def camera_jpeg(width: int, height: int) -> bytes:
    """A photo-like JPEG (a gradient with noise compresses like a real one, not like a flat
    colour)."""
    gradient = Image.linear_gradient("L").resize((width, height))
    noise = Image.effect_noise((width // 8, height // 8), 60).resize((width, height))
    image = Image.merge(
        "RGB", (gradient, noise, gradient.transpose(Image.Transpose.FLIP_LEFT_RIGHT))
    )
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88)
    return out.getvalue()


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench photos", description=__doc__)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--size", default="4000x3000")
    args = parser.parse_args(argv)
    width, height = (int(n) for n in args.size.split("x"))
    data = camera_jpeg(width, height)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        app = create_app(
            {
                "CONFIG": "testing",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.sqlite3'}",
                **{
                    key: str(folder / key.lower())
                    for key in (
                        "SEARCH_INDEX_DIR",
                        "UPLOAD_DIR",
                        "SCAN_DIR",
                        "PRIVATE_MEDIA_DIR",
                        "MAIL_OUTBOX_DIR",
                    )
                },
            }
        )
        with app.app_context():
            db.create_all()
            if not admin_units_loaded():
                load_admin_units()
            user, coop, listing = seller_listing()
            times: dict[str, list[float]] = {"inline": [], "queued": [], "job": []}
            queued: list[int] = []

            def upload() -> int:
                [photo] = add_photos(listing.id, coop.id, user, [Upload("p.jpg", io.BytesIO(data))])
                return photo.id

            for round_ in range(args.rounds + 2):
                app.extensions.pop(BACKEND_EXTENSION, None)
                start = time.perf_counter()
                photo_id = upload()
                inline = time.perf_counter() - start
                delete_photo(listing.id, photo_id, coop.id, user)

                app.extensions[BACKEND_EXTENSION] = queued.extend
                start = time.perf_counter()
                photo_id = upload()
                request = time.perf_counter() - start
                start = time.perf_counter()
                run_job(queued.pop())
                job = time.perf_counter() - start
                delete_photo(listing.id, photo_id, coop.id, user)
                if round_ >= 2:  # the first rounds warm up
                    times["inline"].append(inline)
                    times["queued"].append(request)
                    times["job"].append(job)
            app.extensions.pop(BACKEND_EXTENSION, None)
        ms = {kind: statistics.median(values) * 1000 for kind, values in times.items()}
        print(
            f"photo upload {width}x{height} JPEG ({len(data) // 1024} KB), {args.rounds} rounds"
            f" (median): request with the job inline {ms['inline']:.1f} ms; with workers"
            f" {ms['queued']:.1f} ms (the job then {ms['job']:.1f} ms on a worker)"
        )


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
