"""A fresh worker process that uploads photos through the real seller route and reports how
much its memory grew and how much CPU the request took, so that the measurement is not
polluted by the test process (its imports, its other tests' allocations).

Run by tests/web/seller/test_image_memory.py as
    python -m tests.web.seller.image_memory_worker '<json job>'
with the job: database (URL), upload_dir, search_dir, outbox_dir, email, password,
listing_id, files (paths on disk). Prints one JSON line: status, rss_growth_mb, cpu_seconds.
"""

from __future__ import annotations

import io
import json
import resource
import sys
from pathlib import Path


def current_rss_kb() -> int:
    """The resident set size right now (Linux), in KB; ru_maxrss is the peak, also in KB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # pragma: no cover - not Linux


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main(job: dict) -> dict:
    from PIL import Image

    from storefront import create_app

    app = create_app(
        {
            "CONFIG": "testing",
            "SQLALCHEMY_DATABASE_URI": job["database"],
            "UPLOAD_DIR": job["upload_dir"],
            "SEARCH_INDEX_DIR": job["search_dir"],
            "MAIL_OUTBOX_DIR": job["outbox_dir"],
        }
    )
    client = app.test_client()
    login = client.post(
        "/account/login", data={"email": job["email"], "password": job["password"]}
    )
    assert login.status_code == 302, login.status_code
    url = f"/seller/listings/{job['listing_id']}/photos"

    # Warm up everything but the hostile file: the route, its error page, every decoder.
    for fmt in ("PNG", "JPEG", "WEBP"):
        Image.new("RGB", (8, 8)).save(io.BytesIO(), fmt)
    warm = client.post(
        url,
        data={"photos": [(io.BytesIO(b"not an image"), "warm.png")]},
        content_type="multipart/form-data",
    )
    assert warm.status_code == 400, warm.status_code

    files = [(io.BytesIO(Path(path).read_bytes()), Path(path).name) for path in job["files"]]
    rss_before = current_rss_kb()
    cpu_before = cpu_seconds()
    response = client.post(url, data={"photos": files}, content_type="multipart/form-data")
    cpu = cpu_seconds() - cpu_before
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "status": response.status_code,
        # Peak during the request over the RSS just before it: an upper bound on the growth.
        "rss_growth_mb": round(max(0, peak - rss_before) / 1024, 1),
        "cpu_seconds": round(cpu, 2),
        "page": response.get_data(as_text=True) if response.status_code != 302 else "",
    }


if __name__ == "__main__":
    print(json.dumps(main(json.loads(sys.argv[1]))))
