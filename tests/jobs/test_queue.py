"""The job outbox through Redis and RQ workers (JOBS_BACKEND=rq), against a real SMTP server
(aiosmtpd): nothing is lost when the server is down, nothing is sent twice when a worker is
killed in the middle of sending.

Needs Redis (TEST_REDIS_URL, default redis://127.0.0.1:6379/2): skipped without it. Each test
uses a queue of its own and deletes only its own keys. Runs on the suite's database (a SQLite
file, or PostgreSQL with TEST_DATABASE_URL), which the worker processes share.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from email import message_from_bytes
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import func, select, update

from storefront.cli.jobs import Worker
from storefront.core.db import unit_of_work
from storefront.domain.jobs import later, mail_later, relay_once, task
from storefront.domain.jobs import queue as job_queue
from storefront.domain.jobs.outbox import now
from storefront.models import OutboxJob

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/2")
WAIT = 60  # seconds at most for a worker or the sink; never asserted on


def redis_or_skip() -> Redis:
    redis = Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        redis.ping()
    except RedisError as error:
        pytest.skip(f"Redis is not reachable at {REDIS_URL} ({error}): the queue tests need it")
    return redis


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Sink:
    """An SMTP server that records each message by its Message-ID. `hold()` makes the next
    conversation wait after RCPT TO (the sender is mid-send) until `release()`."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[str] = []
        self.holding = False
        self.held = threading.Event()  # a sender is waiting on us
        self.released = threading.Event()
        self.controller: Controller | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.holding:
            self.holding = False
            self.held.set()
            while not self.released.is_set():
                await asyncio.sleep(0.05)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.original_content or envelope.content)
        self.received.append(message["Message-ID"])
        return "250 Message accepted"

    def start(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def hold(self) -> None:
        self.holding = True
        self.held.clear()
        self.released.clear()

    def release(self) -> None:
        self.released.set()


@pytest.fixture
def queued(app):
    """The app with JOBS_BACKEND=rq on a queue of this test's own, mail to an SMTP sink."""
    redis = redis_or_skip()
    name = f"test-jobs-{uuid.uuid4().hex[:12]}"
    sink = Sink()
    settings = {
        "JOBS_BACKEND": "rq",
        "REDIS_URL": REDIS_URL,
        "JOBS_QUEUE": name,
        "JOBS_LEASE_SECONDS": 1,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": sink.port,
        "MAIL_USE_TLS": False,
        "MAIL_TIMEOUT": 30,
    }
    saved = {key: app.config.get(key) for key in settings}
    app.config.update(settings)
    app.extensions.pop("jobs_redis", None)
    job_queue.init_app(app)
    try:
        yield name, sink
    finally:
        sink.stop()
        app.config.update(saved)
        app.extensions.pop("jobs_redis", None)
        job_queue.init_app(app)
        for key in redis.scan_iter(f"*{name}*"):
            redis.delete(key)
        redis.srem("rq:queues", f"rq:queue:{name}")
        for member in redis.smembers("rq:workers"):
            if name.encode() in member:
                redis.srem("rq:workers", member)
        redis.close()


def write_mails(count: int) -> list[int]:
    """Mails written by a committed change (handed to the queue after the commit)."""
    ids = []
    with unit_of_work() as unit:
        rows = [
            mail_later(
                unit,
                f"khach{n}@example.vn",
                f"Thư {n}",
                "email_changed",
                "vi",
                name="Lan",
                new_email="moi@example.vn",
            )
            for n in range(count)
        ]
        unit.session.flush()
        ids = [row.id for row in rows]
    return ids


def jobs(db, ids: list[int]) -> list[tuple]:
    """(attempts, done, marker) of each job; the read transaction ends at once, so that a
    worker process writing to a SQLite file is never kept waiting."""
    rows = db.session.execute(
        select(OutboxJob.attempts, OutboxJob.done_at.is_not(None), OutboxJob.marker)
        .where(OutboxJob.id.in_(ids))
        .order_by(OutboxJob.id)
    ).all()
    db.session.rollback()
    return [tuple(row) for row in rows]


def work_in_process(name: str) -> None:
    """What one `flask jobs worker --burst` does, in this process (it holds the app context)."""
    target = job_queue.queue()
    Worker([target], connection=target.connection, name=f"{name}-inproc").work(
        burst=True, logging_level="WARNING"
    )


def test_mail_waits_out_an_smtp_outage_and_arrives_once(app, db, queued):
    name, sink = queued  # the sink is down: nothing listens on its port
    ids = write_mails(3)
    work_in_process(name)
    rows = db.session.scalars(select(OutboxJob).where(OutboxJob.id.in_(ids))).all()
    assert all(r.attempts == 1 and r.done_at is None for r in rows)
    assert all("Connection refused" in r.last_error or "Errno" in r.last_error for r in rows)
    assert all(r.available_at.timestamp() > now().timestamp() for r in rows)  # backing off
    db.session.rollback()
    assert relay_once() == 0  # not due: no retry storm while the server is down

    sink.start()
    # The backoff runs out (the due time moved back rather than the test waiting for it).
    db.session.execute(update(OutboxJob).where(OutboxJob.id.in_(ids)).values(available_at=now()))
    db.session.commit()
    assert relay_once() == 3
    work_in_process(name)
    assert relay_once() == 0
    work_in_process(name)

    states = jobs(db, ids)
    assert [(attempts, done) for attempts, done, _ in states] == [(2, True)] * 3
    assert sorted(sink.received) == sorted(marker for _, _, marker in states)  # once each


def worker_process(app, name: str, tmp_path: Path) -> subprocess.Popen:
    """`flask --app wsgi jobs worker --burst` in its own process, on this test's database,
    Redis queue and SMTP sink."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "FLASK_CONFIG": "development",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SEARCH_INDEX_DIR": str(tmp_path / "search"),
        "MAIL_OUTBOX_DIR": str(tmp_path / "outbox"),
        "JOBS_BACKEND": "rq",
        "REDIS_URL": REDIS_URL,
        "JOBS_QUEUE": name,
        "JOBS_LEASE_SECONDS": "1",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(app.config["MAIL_PORT"]),
        "MAIL_USE_TLS": "0",
        "MAIL_TIMEOUT": "30",
        "PYTHONFAULTHANDLER": "1",  # SIGABRT dumps every thread's stack (see finished())
    }
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "worker", "--burst"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def finished(process: subprocess.Popen) -> str:
    """The worker's output once it exited; if it has not within WAIT, its threads' stacks
    (faulthandler, on SIGABRT) are in the output the failing assertion shows."""
    try:
        return process.communicate(timeout=WAIT)[0].decode()
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGABRT)
        output = process.communicate(timeout=WAIT)[0].decode()
        raise AssertionError(f"the worker did not exit within {WAIT} s:\n{output}") from None


def test_a_worker_killed_mid_send_is_retried_and_the_mail_arrives_once(app, db, queued, tmp_path):
    name, sink = queued
    sink.start()
    sink.hold()  # the first sender stops after RCPT TO, before the message
    [job_id] = write_mails(1)

    first = worker_process(app, name, tmp_path)
    try:
        assert sink.held.wait(WAIT), first.communicate(timeout=WAIT)[0].decode()
        first.send_signal(signal.SIGKILL)  # killed in the middle of the SMTP conversation
        first.wait(WAIT)
    finally:
        if first.poll() is None:
            first.kill()
    sink.release()
    [(attempts, done, marker)] = jobs(db, [job_id])
    assert (attempts, done) == (1, False) and sink.received == []

    # Once the dead worker's lease has run out the relay hands the job over again.
    deadline = time.monotonic() + WAIT
    while relay_once() == 0:
        assert time.monotonic() < deadline, "the relay never handed the job over again"
        time.sleep(0.2)
    second = worker_process(app, name, tmp_path)
    output = finished(second)
    assert second.returncode == 0, output

    assert jobs(db, [job_id]) == [(2, True, marker)]
    assert sink.received == [marker]  # once, under the Message-ID fixed when it was written
    assert relay_once() == 0


@task("tests.jobs.queue.two_mails")
def two_mails(to: str) -> None:
    with unit_of_work() as unit:
        for n in (1, 2):
            mail_later(
                unit, to, f"Thư {n}", "email_changed", "vi", name="Lan", new_email="moi@example.vn"
            )


def test_a_task_run_by_a_worker_queues_its_mails_which_arrive_once(app, db, queued):
    name, sink = queued
    sink.start()
    with unit_of_work() as unit:
        later(unit, two_mails, "lan@example.vn")
    work_in_process(name)  # the task, then the two e-mails it queued
    assert len(sink.received) == 2 and len(set(sink.received)) == 2
    assert relay_once() == 0
    assert db.session.scalar(select(func.count()).where(OutboxJob.done_at.is_(None))) == 0
