"""The job outbox on the embedded default (jobs run inline right after the commit): written in
the change's transaction, sent before the call returns, retried with exponential backoff,
done once however often it is handed over."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from storefront.core import mail as core_mail
from storefront.core.db import aware, unit_of_work
from storefront.domain.jobs import later, mail_later, relay_once, run_job, task
from storefront.domain.jobs.codec import dumps, loads
from storefront.domain.jobs.outbox import now, settings
from storefront.models import OutboxJob
from tests.fixtures.mail import mails


def write_mail(to: str = "lan@example.vn", **kw) -> int:
    with unit_of_work() as unit:
        row = mail_later(
            unit,
            to,
            "Địa chỉ đã đổi",
            "email_changed",
            "vi",
            name="Lan",
            new_email="moi@example.vn",
            **kw,
        )
        assert row is not None
        unit.session.flush()
        job_id = row.id
    return job_id


def job(db, job_id: int) -> OutboxJob:
    db.session.expire_all()
    return db.session.get(OutboxJob, job_id)


def smtp_down(monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionRefusedError("SMTP down")

    monkeypatch.setattr(core_mail, "send_mail", down)


def time_passes(db, job_id: int) -> None:
    """The job's backoff has run out (its due time moved to the past, not the clock on)."""
    db.session.execute(
        update(OutboxJob)
        .where(OutboxJob.id == job_id)
        .values(available_at=now() - timedelta(seconds=1))
    )
    db.session.commit()


def test_the_mail_is_sent_inline_right_after_the_commit(db, outbox):
    job_id = write_mail()
    [message] = mails(outbox)
    assert message["To"] == "lan@example.vn"
    assert message["Subject"] == "Địa chỉ đã đổi"
    row = job(db, job_id)
    assert row.kind == "mail" and row.attempts == 1 and row.done_at is not None
    assert message["Message-ID"] == row.marker == row.payload["message_id"]


def test_a_rolled_back_change_leaves_no_job_and_sends_nothing(db, outbox):
    with pytest.raises(RuntimeError), unit_of_work() as unit:
        mail_later(
            unit,
            "lan@example.vn",
            "x",
            "email_changed",
            "vi",
            name="Lan",
            new_email="moi@example.vn",
        )
        raise RuntimeError("the change fails")
    assert db.session.scalars(select(OutboxJob)).all() == []
    assert mails(outbox) == []


def test_a_failed_send_backs_off_and_is_retried_once(db, outbox, monkeypatch):
    real = core_mail.send_mail
    smtp_down(monkeypatch)
    job_id = write_mail()  # the change commits; the mail fails after it
    row = job(db, job_id)
    assert (row.attempts, row.done_at, row.failed_at) == (1, None, None)
    assert "SMTP down" in row.last_error
    assert aware(row.available_at) > now()  # waiting for its backoff
    assert relay_once() == 0  # not due yet: nothing is tried
    assert mails(outbox) == []

    monkeypatch.setattr(core_mail, "send_mail", real)
    time_passes(db, job_id)
    assert relay_once() == 1
    assert relay_once() == 0
    [message] = mails(outbox)
    row = job(db, job_id)
    assert row.attempts == 2 and row.done_at is not None and row.last_error is None
    assert message["Message-ID"] == row.marker  # the same Message-ID on every try


def test_the_backoff_doubles_up_to_its_ceiling(app):
    app.config.update(JOBS_BACKOFF_SECONDS=30, JOBS_BACKOFF_MAX_SECONDS=200)
    delays = [settings().delay(n).total_seconds() for n in (1, 2, 3, 4, 5)]
    assert delays == [30, 60, 120, 200, 200]


def test_a_job_is_given_up_after_its_last_attempt_and_kept(app, db, outbox, monkeypatch):
    app.config["JOBS_MAX_ATTEMPTS"] = 2
    try:
        smtp_down(monkeypatch)
        job_id = write_mail()
        time_passes(db, job_id)
        assert relay_once() == 1
        row = job(db, job_id)
        assert row.attempts == 2 and row.failed_at is not None and row.done_at is None
        assert "SMTP down" in row.last_error
        time_passes(db, job_id)
        assert relay_once() == 0  # given up: only a person starts it again
    finally:
        app.config["JOBS_MAX_ATTEMPTS"] = 8


def test_a_job_handed_over_twice_runs_once(db, outbox):
    job_id = write_mail()
    assert run_job(job_id) == "skipped"
    assert len(mails(outbox)) == 1


def test_a_job_held_by_a_live_runner_is_not_run_again(db, outbox, monkeypatch):
    smtp_down(monkeypatch)
    job_id = write_mail()
    # Another runner holds it now (claimed, its lease running).
    db.session.execute(
        update(OutboxJob)
        .where(OutboxJob.id == job_id)
        .values(
            available_at=now() - timedelta(seconds=1),
            locked_until=now() + timedelta(minutes=5),
            dispatched_at=now(),
        )
    )
    db.session.commit()
    assert relay_once() == 0
    assert run_job(job_id) == "skipped"


def test_a_job_whose_worker_died_is_handed_over_again_after_its_lease(app, db, outbox):
    with unit_of_work() as unit:
        row = mail_later(
            unit,
            "lan@example.vn",
            "x",
            "email_changed",
            "vi",
            name="Lan",
            new_email="moi@example.vn",
        )
        # As a server whose worker took the job and died: claimed, never done.
        row.dispatched_at = row.available_at = now() - timedelta(minutes=10)
        row.locked_until = now() - timedelta(minutes=8)
        row.attempts = 1
        unit.info["job_outbox_rows"].clear()  # not run after this commit: the worker had it
    assert mails(outbox) == []
    assert relay_once() == 1
    assert len(mails(outbox)) == 1
    assert relay_once() == 0


attempts: list[int] = []


@task("tests.jobs.two_mails_then_crash_once")
def two_mails_then_crash_once(to: str) -> None:
    """Writes its e-mails, then fails the first time (the crash after the commit of what it
    wrote)."""
    with unit_of_work() as unit:
        for n in (1, 2):
            mail_later(
                unit, to, f"Thư {n}", "email_changed", "vi", name="Lan", new_email="moi@example.vn"
            )
    attempts.append(1)
    if len(attempts) == 1:
        raise ConnectionError("crashed after writing its e-mails")


def test_a_retried_task_writes_its_emails_once(db, outbox):
    attempts.clear()
    with unit_of_work() as unit:
        row = later(unit, two_mails_then_crash_once, "lan@example.vn")
        unit.session.flush()
        job_id = row.id
    assert [m["Subject"] for m in mails(outbox)] == ["Thư 1", "Thư 2"]
    assert job(db, job_id).done_at is None  # the task itself failed: retried
    time_passes(db, job_id)
    assert relay_once() == 1
    assert job(db, job_id).done_at is not None and len(attempts) == 2
    assert [m["Subject"] for m in mails(outbox)] == ["Thư 1", "Thư 2"]  # none twice


given_up: list[tuple] = []


def note_give_up(order_id: int, *, reason: str) -> None:
    given_up.append((order_id, reason))
    if reason == "hook breaks":
        raise RuntimeError("the hook itself failed")


@task("tests.jobs.always_fails", on_give_up=note_give_up)
def always_fails(order_id: int, *, reason: str) -> None:
    raise ConnectionError(f"remote down ({order_id})")


def test_a_given_up_task_calls_its_give_up_hook_once_with_its_arguments(app, db, caplog):
    app.config["JOBS_MAX_ATTEMPTS"] = 3
    given_up.clear()
    try:
        with unit_of_work() as unit:
            row = later(unit, always_fails, 42, reason="storage down")
            unit.session.flush()
            job_id = row.id
        outcomes = [job(db, job_id).attempts]  # the inline try
        for _ in range(2):
            assert given_up == []  # not on a try that will be retried
            time_passes(db, job_id)
            outcomes.append(run_job(job_id))
        assert outcomes == [1, "retry", "failed"]
        assert given_up == [(42, "storage down")]
        assert job(db, job_id).failed_at is not None
        time_passes(db, job_id)
        assert run_job(job_id) == "skipped" and given_up == [(42, "storage down")]

        # A hook that raises is logged; the job stays given up, nothing is left open.
        with unit_of_work() as unit:
            row = later(unit, always_fails, 7, reason="hook breaks")
            unit.session.flush()
            job_id = row.id
        for _ in range(2):
            time_passes(db, job_id)
            run_job(job_id)
        assert given_up[-1] == (7, "hook breaks")
        assert job(db, job_id).failed_at is not None
        assert "its give-up hook failed" in caplog.text
    finally:
        app.config["JOBS_MAX_ATTEMPTS"] = 8


def test_only_registered_tasks_can_be_scheduled(db):
    with pytest.raises(ValueError), unit_of_work() as unit:
        later(unit, print, "x")


def test_arguments_keep_their_types():
    value = {
        "at": datetime(2026, 12, 3, 18, 0, tzinfo=UTC),
        "on": date(2026, 12, 31),
        "amount": Decimal("12.50"),
        "lines": ({"n": 1},),
        "none": None,
    }
    assert loads(dumps(value)) == {**value, "lines": [{"n": 1}]}
    with pytest.raises(TypeError):
        dumps(object())
