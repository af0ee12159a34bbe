"""Two servers, one market: the production profile (docs/deployment.md) proven end to end.

Two gunicorn servers with their own instance folders share one PostgreSQL database (with
SEARCH_BACKEND=postgres) and one Redis (caches, rate limits, the job queue), and one job
worker sends the e-mail through an SMTP sink. What a visitor does on one server shows on the
other: a listing published through A is found on B within a second; a certificate revoked
through B is gone from A's pages at once; log-in attempts count across both; an order's
e-mail arrives exactly once; a photo uploaded through A is processed by the worker and shown
on B.

Runs on PostgreSQL (TEST_DATABASE_URL) with Redis at REDIS_URL_FOR_TESTS (default
127.0.0.1:6379, database 5, emptied first); skips with the reason otherwise.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import time
import uuid
from urllib.parse import urlsplit

import pytest
from PIL import Image
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.deploy import cluster

REDIS_URL = os.environ.get("REDIS_URL_FOR_TESTS", "redis://127.0.0.1:6379/5")
PASSWORD = "ocop-demo-2026"
SELLER = "htx@demo.ocop.vn"
PFA = "hoinongdan@demo.ocop.vn"
WORKER = ["flask", "--app", "wsgi", "jobs", "worker"]


def _skip_reason() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        return "the two-server test runs on PostgreSQL: set TEST_DATABASE_URL"
    redis = urlsplit(REDIS_URL)
    if not cluster.reachable(redis.hostname or "127.0.0.1", redis.port or 6379):
        return f"no Redis at {REDIS_URL}"
    if not (cluster.BIN / "gunicorn").exists():
        return "gunicorn is not installed (pip install -e '.[prod]')"
    try:
        import aiosmtpd  # noqa: F401
    except ImportError:
        return "aiosmtpd is not installed (pip install -e '.[dev]')"
    return None


pytestmark = pytest.mark.skipif(_skip_reason() is not None, reason=_skip_reason() or "")


def _database(worker: str) -> str:
    """A fresh database of its own on the test server."""
    parsed = make_url(
        os.environ["TEST_DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://")
    )
    name = f"two_servers_{worker}"
    server = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    server.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


def _empty_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


class Cluster:
    def __init__(self, a: str, b: str, sink: cluster.MailSink, db_url: str) -> None:
        self.a, self.b, self.sink = a, b, sink
        self.engine = create_engine(db_url)

    def scalar(self, sql: str, **params):
        with self.engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()

    def row(self, sql: str, **params):
        with self.engine.connect() as conn:
            return conn.execute(text(sql), params).one()


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    root = tmp_path_factory.mktemp("two-servers")
    logs = root / "logs"
    logs.mkdir()
    db_url = _database(worker)
    _empty_redis()
    port_a, port_b, smtp_port = cluster.free_port(), cluster.free_port(), cluster.free_port()
    sink = cluster.MailSink(smtp_port)
    sink.start()
    shared = {
        "FLASK_CONFIG": "production",
        "SECRET_KEY": "two-servers-" + uuid.uuid4().hex,
        "DATABASE_URL": db_url,
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port_a}",
        "SESSION_COOKIE_SECURE": "false",
        "HSTS_MAX_AGE": "0",
        "SEARCH_BACKEND": "postgres",
        "REDIS_URL": REDIS_URL,
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_port),
        "MAIL_USE_TLS": "false",
        # Photos on one disk both servers read (an S3-compatible store or a shared volume in
        # production); everything else per server.
        "UPLOAD_DIR": str(root / "shared" / "uploads"),
        "SCAN_DIR": str(root / "shared" / "scans"),
        "PRIVATE_MEDIA_DIR": str(root / "shared" / "private"),
        "JOBS_BACKEND": "rq",
        "JOBS_QUEUE": "two-servers-" + uuid.uuid4().hex[:8],
    }
    env_a = cluster.environment(**shared, INSTANCE_PATH=str(root / "a"))
    env_b = cluster.environment(**shared, INSTANCE_PATH=str(root / "b"))
    cluster.flask(env_a, "db", "upgrade")
    cluster.flask(env_a, "seed-demo")
    world = Cluster(f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}", sink, db_url)
    # A listing of the demo seller's that is off sale when the servers start, so that no
    # server could have it in a search index of its own.
    listing_id = world.scalar(
        """SELECT l.id FROM listings l
           JOIN cooperative_members m ON m.cooperative_id = l.cooperative_id
           JOIN users u ON u.id = m.user_id
           WHERE u.email = :email AND l.status = 'active' ORDER BY l.id LIMIT 1""",
        email=SELLER,
    )
    with world.engine.begin() as conn:
        conn.execute(
            text("UPDATE listings SET status = 'paused' WHERE id = :id"), {"id": listing_id}
        )
    for env in (env_a, env_b):
        cluster.flask(env, "search", "reindex")
    processes = [
        cluster.gunicorn("a", port_a, env_a, logs),
        cluster.gunicorn("b", port_b, env_b, logs),
        cluster.start("worker", [str(cluster.BIN / WORKER[0]), *WORKER[1:]], env_a, logs),
    ]
    try:
        with cluster.running(processes):
            cluster.wait_for_http(processes[0], world.a + "/healthz")
            cluster.wait_for_http(processes[1], world.b + "/healthz")
            world.paused_listing_id = listing_id
            world.processes = processes
            yield world
    finally:
        sink.stop()
        world.engine.dispose()
        for process in processes:
            print(f"--- {process.name}\n{process.output()[-4000:]}")
        shutil.rmtree(root / "shared", ignore_errors=True)


def _found(base: str, path: str, slug: str) -> bool:
    page = cluster.Browser(base)
    try:
        return f"/products/{slug}" in page.get(path).text
    finally:
        page.close()


def test_a_listing_published_through_a_is_found_on_b_within_a_second(servers):
    slug, name, coop = servers.row(
        "SELECT slug, name, cooperative_id FROM listings WHERE id = :id",
        id=servers.paused_listing_id,
    )
    search = "/search?q=" + name
    # The catalog holds more than a page: its cooperative's products, where it must show.
    catalog = f"/products?coop={coop}"
    assert not _found(servers.b, search, slug), "a paused listing must not be found"
    assert not _found(servers.b, catalog, slug)

    seller = cluster.Browser(servers.a)
    assert seller.log_in(SELLER, PASSWORD).status_code == 200
    page = seller.get(f"/seller/listings/{servers.paused_listing_id}")
    resumed = seller.submit(page, f"/listings/{servers.paused_listing_id}/resume")
    assert resumed.status_code == 200
    published = time.monotonic()

    assert cluster.wait_until(lambda: _found(servers.b, search, slug), timeout=1.0), (
        "not found by /search on B within 1 s"
    )
    assert cluster.wait_until(
        lambda: _found(servers.b, catalog, slug),
        timeout=max(0.0, 1.0 - (time.monotonic() - published)),
    ), "not on /products on B within 1 s"


def test_a_certificate_revoked_through_b_is_gone_from_a_at_once(servers):
    visitor = cluster.Browser(servers.a)
    shown = re.findall(r'href="/products/([a-z0-9-]+)"', visitor.get("/products").text)
    slug, certificate_id = servers.row(
        """SELECT l.slug, l.certificate_id FROM listings l
           JOIN certificates c ON c.id = l.certificate_id
           WHERE l.slug = ANY(:shown) AND c.status = 'verified' AND c.stars < 5
           ORDER BY l.id DESC LIMIT 1""",
        shown=list(dict.fromkeys(shown)),
    )
    # A's caches hold the pages first.
    for _ in range(2):
        assert visitor.get(f"/products/{slug}").status_code == 200
        assert f"/products/{slug}" in visitor.get("/products").text

    staff = cluster.Browser(servers.b)
    assert staff.log_in(PFA, PASSWORD).status_code == 200
    page = staff.get(f"/pfa/certificates/{certificate_id}")
    asked = staff.submit(
        page,
        f"/certificates/{certificate_id}/revoke",
        {"reason": "Kiểm tra lại: sản phẩm không còn đạt tiêu chuẩn."},
    )
    done = staff.submit(
        asked,
        f"/certificates/{certificate_id}/revoke",
        {"reason": "Kiểm tra lại: sản phẩm không còn đạt tiêu chuẩn.", "confirmed": "1"},
    )
    assert done.status_code == 200
    assert (
        servers.scalar("SELECT status FROM certificates WHERE id = :id", id=certificate_id)
        == "revoked"
    )

    assert visitor.get(f"/products/{slug}").status_code in {404, 410}
    assert f"/products/{slug}" not in visitor.get("/products").text


def test_log_in_attempts_count_across_both_servers(servers):
    email = f"nobody-{uuid.uuid4().hex[:8]}@example.vn"  # unknown e-mails are limited alike
    answers = []
    for base in (servers.a, servers.b, servers.a, servers.b, servers.a, servers.b):
        visitor = cluster.Browser(base)
        page = visitor.get("/account/login")
        answers.append(
            visitor.submit(
                page, "/account/login", {"email": email, "password": "wrong"}
            ).status_code
        )
        visitor.close()
    # LOGIN_LIMIT_PER_ACCOUNT is 5 a minute: the sixth attempt, on either server, is refused.
    assert 429 not in answers[:5], answers
    assert answers[5] == 429, answers


def test_an_order_e_mail_is_sent_exactly_once(servers):
    email = f"khach-{uuid.uuid4().hex[:8]}@example.vn"
    slug = servers.scalar(
        """SELECT l.slug FROM listings l JOIN certificates c ON c.id = l.certificate_id
           JOIN packages p ON p.listing_id = l.id
           WHERE l.status = 'active' AND c.status = 'verified' AND p.stock > 5
           ORDER BY l.id LIMIT 1"""
    )
    commune = servers.row(
        """SELECT c.code, p.code FROM admin_units c JOIN admin_units p ON p.id = c.parent_id
           WHERE c.era = 'current' AND c.level = 'commune' ORDER BY c.code LIMIT 1"""
    )
    buyer = cluster.Browser(servers.a)
    product = buyer.get(f"/products/{slug}")
    assert product.status_code == 200
    added = buyer.submit(product, "/cart/add")
    # Without JavaScript, a public (cookie-free) page's form carries no token of this
    # visitor's: the shop asks once to confirm, with a fresh one (docs/security.md).
    if "confirm-add__form" in added.text:
        added = buyer.submit(added, "/cart/add")
    assert added.status_code == 200
    checkout = buyer.get("/checkout/")
    placed = buyer.submit(
        checkout,
        "/checkout/",
        {
            "email": email,
            "phone": "0912345678",
            "recipient": "Nguyễn Thị Lan",
            "province": str(commune[1]),
            "commune": str(commune[0]),
            "street": "12 Trần Phú",
            "payment_method": "cod",
            "address_id": "new",
        },
        button="submit",
    )
    assert placed.status_code == 200, placed.text[:2000]
    number = re.search(r"OCOP-\d+|\b\d{6,}\b", placed.text)
    assert number, "the confirmation page names the order"

    assert cluster.wait_until(lambda: len(servers.sink.to(email)) >= 1, timeout=30, interval=0.2)
    time.sleep(3)  # a second copy, if one were coming, would have come by now
    assert len(servers.sink.to(email)) == 1


def test_a_photo_uploaded_through_a_is_processed_by_the_worker_and_shown_on_b(servers):
    """The upload keeps the original privately and queues its job; the worker makes the
    sizes; B's product page shows it and serves it from the shared folder."""
    listing_id, slug = servers.row(
        """SELECT l.id, l.slug FROM listings l
           JOIN cooperative_members m ON m.cooperative_id = l.cooperative_id
           JOIN users u ON u.id = m.user_id
           JOIN certificates c ON c.id = l.certificate_id
           WHERE u.email = :email AND l.status = 'active' AND c.status = 'verified'
             AND l.id <> :paused
           ORDER BY l.id LIMIT 1""",
        email=SELLER,
        paused=servers.paused_listing_id,
    )
    picture = io.BytesIO()
    Image.new("RGB", (900, 600), (30, 140, 70)).save(picture, "JPEG")
    seller = cluster.Browser(servers.a)
    try:
        assert seller.log_in(SELLER, PASSWORD).status_code == 200
        page = seller.get(f"/seller/listings/{listing_id}")
        form = cluster.form_to(page.text, f"/listings/{listing_id}/photos", str(page.url))
        uploaded = seller.client.post(
            f"/seller/listings/{listing_id}/photos",
            data=form.fields,
            files={"photos": ("anh-moi.jpg", picture.getvalue(), "image/jpeg")},
            headers={"Referer": str(page.url)},
        )
        assert uploaded.status_code == 200
    finally:
        seller.close()
    stem = servers.scalar(
        "SELECT filename FROM listing_images WHERE listing_id = :id ORDER BY id DESC LIMIT 1",
        id=listing_id,
    )
    assert cluster.wait_until(
        lambda: (
            servers.scalar("SELECT status FROM listing_images WHERE filename = :s", s=stem)
            == "ready"
        ),
        timeout=30,
        interval=0.1,
    ), "the worker did not process the photo"
    visitor = cluster.Browser(servers.b)
    try:
        assert cluster.wait_until(
            lambda: f"listings/{stem}-gallery.webp" in visitor.get(f"/products/{slug}").text,
            timeout=2,
        )
        served = visitor.get(f"/media/listings/{stem}-card.webp")
        assert served.status_code == 200 and served.content[:4] == b"RIFF"
        assert visitor.get(f"/media/originals/{stem}").status_code == 404
    finally:
        visitor.close()
