"""Catalog benchmark: the real app under gunicorn on loopback against a bare 24-card page.

    .venv/bin/python -m bench.catalog_bench --sizes 1000 20000 [100000] [--seconds 8]

For each size it builds (once, cached in bench/results/) a SQLite catalog of synthetic
listings across real communes, indexes it, starts gunicorn (sync workers) for the app and for
bench/bare_app.py, drives each page with a bounded closed-loop load generator on loopback,
and prints req/s and p50/p95 latency beside the bare page measured in the same run. The
ratio is the figure; absolute numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote_plus

from sqlalchemy import func, insert, select

from bench.search_bench import load_places, make_documents

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PYTHON = sys.executable
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


def build_catalog(size: int, workdir: Path) -> list[str]:
    """Create the database and index for `size` listings (reused when already built)."""
    from storefront import create_app
    from storefront.extensions import db
    from storefront.locations import load_admin_units
    from storefront.models import (
        AdminUnit,
        Certificate,
        Cooperative,
        Era,
        Level,
        Listing,
        ListingImage,
        Package,
    )
    from storefront.search import reindex_all
    from storefront.text import slugify
    from storefront.visibility import shop_today

    workdir.mkdir(parents=True, exist_ok=True)
    app = create_app(
        {
            "CONFIG": "development",
            "DEBUG": False,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'bench.sqlite3'}",
            "SEARCH_INDEX_DIR": str(workdir / "search"),
            "UPLOAD_DIR": str(workdir / "uploads"),
        }
    )
    with app.app_context():
        db.create_all()
        existing = db.session.scalar(select(func.count()).select_from(Listing))
        if existing == size:
            from storefront.search import SearchQuery, search

            if search(SearchQuery(per_page=1)).total == 0:  # built by an older index format
                started = time.perf_counter()
                print(f"  {reindex_all()} re-indexed in {time.perf_counter() - started:.1f} s")
            return list(db.session.scalars(select(Listing.slug).order_by(Listing.id).limit(500)))
        if existing:
            raise SystemExit(f"{workdir} holds {existing} listings; delete it to rebuild")
        load_admin_units()
        communes = dict(
            db.session.execute(
                select(AdminUnit.code, AdminUnit.id).where(
                    AdminUnit.era == Era.CURRENT, AdminUnit.level == Level.COMMUNE
                )
            ).all()
        )
        started = time.perf_counter()
        documents = make_documents(size, load_places())
        rng = random.Random(5)
        today = shop_today()
        coops = {}
        for doc in documents:
            coops.setdefault(doc.cooperative_id, doc)
        db.session.execute(
            insert(Cooperative),
            [
                {
                    "id": cid,
                    "legal_name": doc.cooperative_name,
                    "slug": f"htx-{cid}",
                    "registration_number": f"BENCH-{cid}",
                    "commune_id": communes[doc.commune_code],
                    "status": "approved",
                }
                for cid, doc in coops.items()
            ],
        )
        now = datetime.now(UTC)
        for chunk in range(0, size, 5000):
            part = documents[chunk : chunk + 5000]
            db.session.execute(
                insert(Certificate),
                [
                    {
                        "id": d.listing_id,
                        "cooperative_id": d.cooperative_id,
                        "number": f"BENCH-{d.listing_id}/QĐ-UBND",
                        "stars": d.stars,
                        "product_name": d.product_name,
                        "issuing_authority": "UBND tỉnh",
                        "issued_on": today - timedelta(days=400),
                        "expires_on": today + timedelta(days=30 + d.listing_id % 700),
                        "status": "verified",
                    }
                    for d in part
                ],
            )
            db.session.execute(
                insert(Listing),
                [
                    {
                        "id": d.listing_id,
                        "cooperative_id": d.cooperative_id,
                        "certificate_id": d.listing_id,
                        "ocop_group": d.ocop_group,
                        "name": d.name,
                        "slug": f"{slugify(d.name)}-{d.listing_id}",
                        "description": d.description,
                        "status": "active",
                        "origin_commune_id": communes[d.commune_code],
                        "created_at": d.created_at,
                        "updated_at": now,
                    }
                    for d in part
                ],
            )
            db.session.execute(
                insert(Package),
                [
                    {
                        "listing_id": d.listing_id,
                        "label": label,
                        "weight_grams": grams,
                        "price": max(1000, d.price * grams // 500),
                        "stock": rng.randrange(0, 40),
                        "preorder": False,
                        "position": position,
                    }
                    for d in part
                    for position, (label, grams) in enumerate(
                        [("Túi 500 g", 500), ("Hộp 1 kg", 1000), ("Thùng 5 kg", 5000)][
                            : 1 + d.listing_id % 3
                        ]
                    )
                ],
            )
            db.session.execute(
                insert(ListingImage),
                [
                    {
                        "listing_id": d.listing_id,
                        "filename": f"{d.listing_id:024x}",
                        "width": 800,
                        "height": 600,
                        "position": 0,
                    }
                    for d in part
                ],
            )
        db.session.commit()
        print(f"  {size} listings written in {time.perf_counter() - started:.1f} s", flush=True)
        started = time.perf_counter()
        indexed = reindex_all()
        print(f"  {indexed} indexed in {time.perf_counter() - started:.1f} s", flush=True)
        return list(db.session.scalars(select(Listing.slug).order_by(Listing.id).limit(500)))


class Server:
    """gunicorn with sync workers on a loopback port; stopped on exit."""

    def __init__(self, target: str, port: int, workers: int, env: dict[str, str]):
        self.port = port
        self.process = subprocess.Popen(
            [GUNICORN, "-w", str(workers), "-b", f"127.0.0.1:{port}", "--log-level", "warning",
             target],
            cwd=ROOT,
            env={**os.environ, **env},
        )
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/")
                conn.getresponse().read()
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{target} did not start on port {port}")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=20)


def drive(port: int, paths: list[str], seconds: float, concurrency: int) -> dict:
    """Closed-loop load: `concurrency` clients request `paths` round-robin for `seconds`."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def client(offset: int) -> None:
        nonlocal errors
        mine, bad, i = [], 0, offset
        while time.perf_counter() < stop_at:
            path = paths[i % len(paths)]
            i += concurrency
            started = time.perf_counter()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                conn.close()
                if response.status != 200:
                    bad += 1
            except OSError:
                bad += 1
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)
            errors += bad

    threads = [threading.Thread(target=client, args=(n,)) for n in range(concurrency)]
    begun = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - begun
    latencies.sort()
    return {
        "rps": len(latencies) / elapsed,
        "p50": statistics.median(latencies) * 1000,
        "p95": latencies[int(0.95 * (len(latencies) - 1))] * 1000,
        "errors": errors,
        "requests": len(latencies),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 20000])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    rng = random.Random(1)
    queries = ["mật ong", "vai thieu", "chè", "gom", "dac san", "lụa tơ tằm", "bắc giang",
               "gạo tám thơm", "nuoc mam", "tra hoa vang"]
    print(f"gunicorn sync workers={args.workers}, clients={args.concurrency}, "
          f"{args.seconds:.0f} s per page; ratio = req/s ÷ bare 24-card page req/s")
    bare = Server("bench.bare_app:app", 5801, args.workers, {})
    try:
        for size in args.sizes:
            workdir = RESULTS / f"catalog-{size}"
            print(f"\n== {size} listings ({workdir})", flush=True)
            slugs = build_catalog(size, workdir)
            env = {
                "FLASK_CONFIG": "production",
                "SECRET_KEY": "bench",
                "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
                "INSTANCE_PATH": str(workdir),
                "SEARCH_INDEX_DIR": str(workdir / "search"),
                "UPLOAD_DIR": str(workdir / "uploads"),
                "SESSION_COOKIE_SECURE": "false",
            }
            app = Server("wsgi:app", 5802, args.workers, env)
            try:
                pages = {
                    "bare 24 cards": (5801, ["/"]),
                    "catalog /products": (5802, ["/products"]),
                    "catalog deep pages": (
                        5802,
                        [f"/products?page={rng.randint(2, 40)}" for _ in range(50)],
                    ),
                    "catalog filtered": (
                        5802,
                        [f"/products?group={g}&stars={s}" for g in range(1, 7) for s in (3, 4, 5)],
                    ),
                    "product page": (5802, [f"/products/{slug}" for slug in slugs[:200]]),
                    "search": (5802, [f"/search?q={quote_plus(q)}" for q in queries]),
                }
                results = {}
                for name, (port, paths) in pages.items():
                    drive(port, paths, 1.0, args.concurrency)  # warm up workers and caches
                    results[name] = drive(port, paths, args.seconds, args.concurrency)
                base = results["bare 24 cards"]["rps"]
                print(f"{'page':<20} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'ratio':>6} "
                      f"{'errors':>6}")
                for name, row in results.items():
                    print(f"{name:<20} {row['rps']:>8.0f} {row['p50']:>8.1f} {row['p95']:>8.1f} "
                          f"{row['rps'] / base:>6.2f} {row['errors']:>6}", flush=True)
            finally:
                app.stop()
    finally:
        bare.stop()


if __name__ == "__main__":
    main()
