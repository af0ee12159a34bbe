"""`flask jobs ...` on the embedded default, and the periodic jobs the scheduler starts: the same
functions as the cron commands."""

from __future__ import annotations

from croniter import croniter
from sqlalchemy import update

from storefront.cli.jobs import PERIODIC, run_periodic
from storefront.core import mail as core_mail
from storefront.core.db import unit_of_work
from storefront.domain.jobs import mail_later
from storefront.domain.jobs.outbox import now
from storefront.models import OutboxJob
from tests.fixtures.mail import mails


def test_every_scheduled_job_exists_and_has_a_valid_time(app):
    schedule = app.config["JOBS_SCHEDULE"]
    assert set(schedule) == set(PERIODIC)
    assert all(croniter.is_valid(cron) for cron in schedule.values())


def test_periodic_jobs_run_the_cron_commands_work(app, db, make):
    make.user()
    assert run_periodic("cart-purge-guest-carts") == 0
    assert run_periodic("orders-expire-unpaid") == []
    assert run_periodic("certificates-remind") == {"claimed": 0, "sent": 0, "failed": 0}
    assert run_periodic("payments-reconcile") == {}


def test_relay_once_from_cron_retries_a_failed_mail(app, db, runner, outbox, monkeypatch):
    real = core_mail.send_mail

    def down(*args, **kwargs):
        raise ConnectionRefusedError("SMTP down")

    monkeypatch.setattr(core_mail, "send_mail", down)
    with unit_of_work() as unit:
        mail_later(
            unit,
            "lan@example.vn",
            "x",
            "email_changed",
            "vi",
            name="Lan",
            new_email="moi@example.vn",
        )
    result = runner.invoke(args=["jobs", "status"])
    assert "waiting: 1" in result.output and "done: 0" in result.output

    monkeypatch.setattr(core_mail, "send_mail", real)
    db.session.execute(update(OutboxJob).values(available_at=now()))
    db.session.commit()
    result = runner.invoke(args=["jobs", "relay", "--once"])
    assert result.exit_code == 0 and "1 job(s) handed over" in result.output
    assert len(mails(outbox)) == 1
    assert "done: 1" in runner.invoke(args=["jobs", "status"]).output


def test_the_worker_needs_the_queue_backend(app, runner):
    result = runner.invoke(args=["jobs", "worker", "--burst"])
    assert result.exit_code != 0 and "JOBS_BACKEND" in result.output
