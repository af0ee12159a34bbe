"""Catalog benchmark: the real app under gunicorn on loopback against a bare 24-card page.

    .venv/bin/python -m bench.catalog_bench --sizes 1000 20000 [100000] [--seconds 8]
        [--profiles embedded production] [--database-url URL] [--redis-url URL]

Two profiles, each printing its own table:

- embedded (the default of `make run`): a SQLite file, the Whoosh index in a folder, caches
  in each worker's memory;
- production: PostgreSQL (`--database-url`, default BENCH_DATABASE_URL or
  postgresql+psycopg://postgres@127.0.0.1:5432/ocop_bench; one schema per size,
  `bench_<size>`, so each size is built once), SEARCH_BACKEND=postgres, the shared caches and
  rate limits in Redis (`--redis-url`, default BENCH_REDIS_URL or redis://127.0.0.1:6379/12;
  that Redis database is emptied first).

HTTP caching is on in both (HTTP_CACHE_MAX_AGE's default): wrk sends no cookie, so every page
it asks for is a public one (Cache-Control: public, an ETag, no Set-Cookie). wrk sends no
If-None-Match, so each request is answered with the whole page.

For each size it builds (once, cached in bench/results/ or in the schema) a catalog of
synthetic listings across real communes, indexes it, starts gunicorn (sync workers) for the
app and for bench/bare_app.py, drives each page with wrk (closed loop, loopback; apt-get
install wrk) in slices alternating with the bare page, and prints req/s and p50/p95 latency
beside the bare page's req/s from the same slices, and the CPU time per request of each
side (the gunicorn workers' user + system time from /proc, and in production that of the
PostgreSQL processes serving the benchmark's database): on a shared machine the CPU ratio
moves less than req/s. The ratio is the figure; absolute numbers depend on the machine.
Then, in-process, the first catalog and product page after a change shoppers can see
(caches cold), with the SQL count and time of that first /products.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote, quote_plus

from sqlalchemy import create_engine, event, func, insert, select, text
from sqlalchemy.engine import make_url

from bench.search_bench import load_places, make_documents

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PYTHON = sys.executable
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
# BENCH_PORT: another free pair of loopback ports when several benchmarks share a machine.
BARE_PORT = int(os.environ.get("BENCH_PORT", "5801"))
APP_PORT = BARE_PORT + 1
WRK = shutil.which("wrk")
DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/ocop_bench"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")


@dataclass(frozen=True)
class Profile:
    """Where one size's catalog lives and how the app is configured to serve it."""

    name: str  # "embedded" or "production"
    size: int
    database_url: str = DATABASE_URL
    redis_url: str = REDIS_URL

    @property
    def workdir(self) -> Path:
        suffix = "" if self.name == "embedded" else "-pg"
        return RESULTS / f"catalog{suffix}-{self.size}"

    @property
    def schema(self) -> str:
        return f"bench_{self.size}"

    @property
    def database(self) -> str:
        if self.name == "embedded":
            return f"sqlite:///{self.workdir / 'bench.sqlite3'}"
        # The size's own schema first; the extensions (unaccent, pg_trgm) live in public.
        url = make_url(self.database_url)
        options = quote(f"-csearch_path={self.schema},public")
        return (
            url.render_as_string(hide_password=False)
            + ("&" if url.query else "?")
            + f"options={options}"
        )

    def config(self) -> dict[str, object]:
        """Settings for an app in this process (create_app's overrides)."""
        settings: dict[str, object] = {
            "SQLALCHEMY_DATABASE_URI": self.database,
            "SEARCH_INDEX_DIR": str(self.workdir / "search"),
            "UPLOAD_DIR": str(self.workdir / "uploads"),
        }
        if self.name == "production":
            settings.update(
                SEARCH_BACKEND="postgres",
                REDIS_URL=self.redis_url,
                REDIS_CACHE_PREFIX=f"ocop-bench:{self.size}",
            )
        return settings

    def environment(self) -> dict[str, str]:
        """The same for gunicorn, as FLASK_CONFIG=production reads them."""
        env = {
            "FLASK_CONFIG": "production",
            "SECRET_KEY": "bench",
            "DATABASE_URL": self.database,
            "INSTANCE_PATH": str(self.workdir),
            "SEARCH_INDEX_DIR": str(self.workdir / "search"),
            "UPLOAD_DIR": str(self.workdir / "uploads"),
            "SESSION_COOKIE_SECURE": "false",
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{APP_PORT}",
        }
        if self.name == "production":
            env.update(
                SEARCH_BACKEND="postgres",
                REDIS_URL=self.redis_url,
                REDIS_CACHE_PREFIX=f"ocop-bench:{self.size}",
                RATELIMIT_STORAGE_URI=self.redis_url,
            )
        return env

    def prepare(self) -> None:
        """Production: the database and the size's schema exist, with the extensions in
        public; Redis is emptied (a page cached by an earlier run is not a measurement)."""
        if self.name == "embedded":
            return
        url = make_url(self.database_url)
        server = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with server.connect() as conn:
            if not conn.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": url.database}
            ):
                conn.execute(text(f'CREATE DATABASE "{url.database}"'))
        server.dispose()
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            for extension in ("unaccent", "pg_trgm"):
                conn.execute(text(f"CREATE EXTENSION IF NOT EXISTS {extension} SCHEMA public"))
            conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"'))
        engine.dispose()
        import redis

        redis.Redis.from_url(self.redis_url).flushdb()


def build_catalog(profile: Profile) -> list[str]:
    """Create the database and index for the profile's listings (reused when already built)."""
    from storefront import create_app
    from storefront.core import clock
    from storefront.core.text import slugify
    from storefront.domain.locations import load_admin_units
    from storefront.extensions import db
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

    size, workdir = profile.size, profile.workdir
    workdir.mkdir(parents=True, exist_ok=True)
    profile.prepare()
    app = create_app({"CONFIG": "development", "DEBUG": False, **profile.config()})
    with app.app_context():
        db.create_all()
        existing = db.session.scalar(select(func.count()).select_from(Listing))
        if existing == size:
            from storefront.search import SearchQuery, search

            if search(SearchQuery(per_page=1)).total == 0:  # built by an older index format
                started = time.perf_counter()
                print(f"  {reindex_all()} re-indexed in {time.perf_counter() - started:.1f} s")
            return public_slugs()
        if existing:
            raise SystemExit(f"{profile.database} holds {existing} listings; delete it to rebuild")
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
        today = clock.today()
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
        if profile.name == "production":
            # What autovacuum would do a while after a bulk load: without it the planner
            # takes the fresh tables for empty and loads a page's cards in seconds.
            with db.engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
        return public_slugs()


def public_slugs() -> list[str]:
    """Slugs of public listings for the product page (a hidden one would answer 404)."""
    from storefront.domain.catalog.visibility import public_listing_clause
    from storefront.extensions import db
    from storefront.models import Listing

    return list(
        db.session.scalars(
            select(Listing.slug).where(public_listing_clause()).order_by(Listing.id).limit(500)
        )
    )


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process so far (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _database_backends(database: str) -> list[int]:
    """PostgreSQL server processes serving connections to `database` (on this machine)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if title.startswith("postgres: ") and f" {database} " in title:
                found.append(int(entry.name))
    return found


SERVERS: dict[int, Server] = {}


class Server:
    """gunicorn with sync workers on a loopback port; stopped on exit."""

    def __init__(
        self, target: str, port: int, workers: int, env: dict[str, str], database: str = ""
    ):
        self.port = port
        self.database = database  # PostgreSQL: its server processes count as the app's CPU
        SERVERS[port] = self
        self.process = subprocess.Popen(
            [
                GUNICORN,
                "-w",
                str(workers),
                "-b",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
                target,
            ],
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

    def cpu_seconds(self) -> float:
        """CPU used so far by the workers (and the database processes serving them)."""
        try:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
            pids = [int(p) for p in children.read_text().split()]
        except OSError:
            pids = []
        if self.database:
            pids += _database_backends(self.database)
        return sum(_cpu_seconds(pid) for pid in pids)

    def stop(self) -> None:
        SERVERS.pop(self.port, None)
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=20)


def drive(port: int, paths: list[str], seconds: int, concurrency: int) -> dict:
    """Closed-loop load from wrk (a separate C process): `concurrency` connections request
    `paths` in turn for `seconds`. Returns its totals and latency percentiles."""
    if WRK is None:
        raise SystemExit("the catalog benchmark drives load with wrk: apt-get install wrk")
    server = SERVERS.get(port)
    cpu_before = server.cpu_seconds() if server else 0.0
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as listing:
        listing.write("\n".join(paths) + "\n")
        listing.flush()
        completed = subprocess.run(
            [
                WRK,
                "-t1",
                f"-c{concurrency}",
                f"-d{seconds}s",
                "--timeout",
                "10s",
                "-s",
                str(ROOT / "bench" / "wrk_paths.lua"),
                f"http://127.0.0.1:{port}",
                "--",
                listing.name,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    run = json.loads(completed.stdout.strip().splitlines()[-1])
    run["cpu_s"] = (server.cpu_seconds() - cpu_before) if server else 0.0
    return run


def interleaved(paths: list[str], seconds: float, rounds: int, concurrency: int):
    """The page and the bare page in alternating slices, so both see the same machine.

    A shared 2-core machine drifts by tens of percent within a minute; measuring the two in
    turns (bare, page, bare, page, ...) and pooling each side keeps the ratio honest.
    """
    warm(APP_PORT, paths)
    drive(APP_PORT, paths, 1, concurrency)
    drive(BARE_PORT, ["/"], 1, concurrency)
    page_runs, bare_runs = [], []
    slice_seconds = max(1, round(seconds / rounds))  # wrk counts whole seconds
    for _ in range(rounds):
        bare_runs.append(drive(BARE_PORT, ["/"], slice_seconds, concurrency))
        page_runs.append(drive(APP_PORT, paths, slice_seconds, concurrency))
    return pooled(page_runs), pooled(bare_runs)


def warm(port: int, paths: list[str], passes: int = 6) -> None:
    """Request every path a few times, so each worker has it cached: the figures are for a
    steady catalog (cold pages are timed apart, by cold_costs)."""
    for _ in range(passes):
        for path in dict.fromkeys(paths):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", path)
            conn.getresponse().read()
            conn.close()


def cold_costs(profile: Profile, slugs: list[str], rounds: int = 20) -> dict[str, float]:
    """In-process: milliseconds of a page right after a change shoppers can see (a price
    edit: the index and every cache keyed by the catalog version are cold then), median of
    `rounds`, and the SQL statements of that first /products. A sale that leaves what
    shoppers see unchanged (30 units to 29) moves nothing and keeps the caches warm."""
    from storefront import create_app
    from storefront.domain.catalog import version
    from storefront.extensions import db
    from storefront.models import Listing, Package

    app = create_app(
        {"CONFIG": "development", "DEBUG": False, "RATELIMIT_ENABLED": False, **profile.config()}
    )
    execute = version._execute

    def held_execute(cursor, sql):  # the version's reads on its own connection count too
        counted[0] += 1
        return execute(cursor, sql)

    version._execute = held_execute
    client = app.test_client()
    costs: dict[str, list[float]] = {"/products": [], "product page": []}
    statements: list[int] = []
    with app.app_context():
        engine = db.engine
    counted = [0]

    def count(*_args: object) -> None:
        counted[0] += 1

    for n in range(rounds):
        for name, path in (("/products", "/products"), ("product page", f"/products/{slugs[n]}")):
            with app.app_context():  # a price edit: re-index, new catalog version
                package = db.session.scalar(
                    select(Package).join(Listing).where(Listing.slug == slugs[-1]).limit(1)
                )
                package.price += 1000 if n % 2 else -1000
                db.session.commit()
            counted[0] = 0
            event.listen(engine, "before_cursor_execute", count)
            started = time.perf_counter()
            assert client.get(path).status_code == 200
            costs[name].append((time.perf_counter() - started) * 1000)
            event.remove(engine, "before_cursor_execute", count)
            if name == "/products":
                statements.append(counted[0])
    result = {name: statistics.median(values) for name, values in costs.items()}
    result["/products SQL statements"] = statistics.median(statements)
    return result


def pooled(runs: list[dict]) -> dict:
    """Req/s over all slices; latency percentiles as the median of the slices' percentiles."""
    return {
        "rps": sum(run["requests"] for run in runs) / sum(run["duration_us"] for run in runs) * 1e6,
        "p50": statistics.median(run["p50_us"] for run in runs) / 1000,
        "p95": statistics.median(run["p95_us"] for run in runs) / 1000,
        "errors": sum(run["errors"] for run in runs),
        # CPU of the server's workers (and its database processes) per request: unlike req/s,
        # barely moved by what else runs on the machine.
        "cpu_ms": sum(run["cpu_s"] for run in runs)
        / max(1, sum(r["requests"] for r in runs))
        * 1000,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 20000])
    parser.add_argument("--seconds", type=float, default=8.0, help="per page, bare page apart")
    parser.add_argument("--rounds", type=int, default=4, help="bare/page alternations per page")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--profiles",
        nargs="+",
        choices=("embedded", "production"),
        default=["embedded", "production"],
    )
    parser.add_argument("--database-url", default=DATABASE_URL, help="production profile")
    parser.add_argument("--redis-url", default=REDIS_URL, help="production profile")
    args = parser.parse_args(argv)

    print(
        f"gunicorn sync workers={args.workers}, clients={args.concurrency}, "
        f"{args.seconds:.0f} s per page; ratio = req/s ÷ bare 24-card page req/s; "
        "CPU = ms of CPU per request (the workers, and PostgreSQL's processes serving them), "
        "CPU ratio = bare CPU ÷ page CPU"
    )
    bare = Server("bench.bare_app:app", BARE_PORT, args.workers, {})
    try:
        for size in args.sizes:
            for name in args.profiles:
                run_profile(Profile(name, size, args.database_url, args.redis_url), args)
    finally:
        bare.stop()


QUERIES = [
    "mật ong",
    "vai thieu",
    "chè",
    "gom",
    "dac san",
    "lụa tơ tằm",
    "bắc giang",
    "gạo tám thơm",
    "nuoc mam",
    "tra hoa vang",
]


def run_profile(profile: Profile, args: argparse.Namespace) -> None:
    """One size in one profile: build, serve, drive every page, then the cold pages."""
    where = profile.workdir if profile.name == "embedded" else profile.schema
    print(f"\n== {profile.size} listings, {profile.name} profile ({where})", flush=True)
    slugs = build_catalog(profile)
    rng = random.Random(1)  # the same deep pages in both profiles
    pages = {
        "catalog /products": ["/products"],
        "catalog deep pages": [f"/products?page={rng.randint(2, 40)}" for _ in range(50)],
        "catalog filtered": [
            f"/products?group={g}&stars={s}" for g in range(1, 7) for s in (3, 4, 5)
        ],
        "product page": [f"/products/{slug}" for slug in slugs[:200]],
        "search": [f"/search?q={quote_plus(q)}" for q in QUERIES],
    }
    database = "" if profile.name == "embedded" else str(make_url(profile.database).database)
    app = Server("wsgi:app", APP_PORT, args.workers, profile.environment(), database)
    try:
        print(
            f"{'page':<20} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} "
            f"{'bare r/s':>9} {'ratio':>6} {'CPU':>6} {'bare CPU':>8} {'CPU ratio':>9} "
            f"{'errors':>6}"
        )
        for name, paths in pages.items():
            row, bare_row = interleaved(paths, args.seconds, args.rounds, args.concurrency)
            print(
                f"{name:<20} {row['rps']:>8.0f} {row['p50']:>8.1f} {row['p95']:>8.1f} "
                f"{bare_row['rps']:>9.0f} {row['rps'] / bare_row['rps']:>6.2f} "
                f"{row['cpu_ms']:>6.2f} {bare_row['cpu_ms']:>8.2f} "
                f"{bare_row['cpu_ms'] / max(row['cpu_ms'], 1e-9):>9.2f} "
                f"{row['errors']:>6}",
                flush=True,
            )
    finally:
        app.stop()
    cold = cold_costs(profile, slugs)
    print(
        "right after a visible catalog change (caches cold, in-process): "
        f"/products {cold['/products']:.1f} ms "
        f"({cold['/products SQL statements']:.0f} SQL statements), "
        f"product page {cold['product page']:.1f} ms",
        flush=True,
    )


if __name__ == "__main__":
    main()
