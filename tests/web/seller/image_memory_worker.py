"""A fresh worker process that uploads photos through the real seller route and reports how
much its memory grew and how much CPU the request took, so that the measurement is not
polluted by the test process (its imports, its other tests' allocations).

Run by tests/web/seller/test_image_memory.py as
    python -m tests.web.seller.image_memory_worker '<json job>'
with the job: database (URL), upload_dir, search_dir, outbox_dir, email, password,
listing_id, files (paths on disk). Prints one JSON line: status, rss_growth_mb (the peak
during the request over the resident memory just before it), cpu_seconds.
"""

from __future__ import annotations

import io
import json
import resource
import sys
from pathlib import Path


def status_kb(field: str) -> int:
    """A field of /proc/self/status (Linux), in KB: VmRSS now, VmHWM the peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise LookupError(field)


def reset_peak() -> bool:
    """Make the peak (VmHWM) the current RSS, so that what this process did before (imports,
    create_app) does not hide what the request does. Linux ≥ 4.0."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


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
    login = client.post("/account/login", data={"email": job["email"], "password": job["password"]})
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
    startup_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rss_before = status_kb("VmRSS")
    peak_reset = reset_peak()
    cpu_before = cpu_seconds()
    response = client.post(url, data={"photos": files}, content_type="multipart/form-data")
    cpu = cpu_seconds() - cpu_before
    # Without a reset, the peak of the whole process: an upper bound that may fail falsely.
    peak = status_kb("VmHWM") if peak_reset else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "status": response.status_code,
        # The peak during the request over the RSS just before it.
        "rss_growth_mb": round(max(0, peak - rss_before) / 1024, 1),
        "rss_before_mb": round(rss_before / 1024, 1),
        "startup_peak_mb": round(startup_peak / 1024, 1),
        "cpu_seconds": round(cpu, 2),
        "page": response.get_data(as_text=True) if response.status_code != 302 else "",
    }


if __name__ == "__main__":
    print(json.dumps(main(json.loads(sys.argv[1]))))
