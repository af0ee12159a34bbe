"""Purging the job outbox: done rows after JOBS_KEEP_DONE_DAYS, given-up rows after
JOBS_KEEP_FAILED_DAYS, in batches; waiting rows never."""

from __future__ import annotations

import itertools
from datetime import timedelta

from sqlalchemy import event, func, select

from storefront.cli.jobs import run_periodic
from storefront.domain.jobs import purge_finished
from storefront.domain.jobs.outbox import now
from storefront.models import OutboxJob

DAY = timedelta(days=1)
_numbers = itertools.count()


def add_rows(db, count: int, *, done_days_ago=None, failed_days_ago=None) -> list[str]:
    """`count` rows, done or given up that many days ago (or waiting); returns their keys."""
    moment = now()
    keys = []
    for _ in range(count):
        key = f"test:{next(_numbers)}"
        created = moment - 60 * DAY
        db.session.add(
            OutboxJob(
                kind="mail",
                payload={},
                key=key,
                created_at=created,
                available_at=created,
                attempts=1,
                done_at=None if done_days_ago is None else moment - done_days_ago * DAY,
                failed_at=None if failed_days_ago is None else moment - failed_days_ago * DAY,
                last_error=None if failed_days_ago is None else "SMTP down",
            )
        )
        keys.append(key)
    db.session.commit()
    return keys


def kept_keys(db) -> set[str]:
    db.session.expire_all()
    return set(db.session.scalars(select(OutboxJob.key)))


def test_old_done_and_old_given_up_rows_go_the_rest_stay(app, db):
    add_rows(db, 3, done_days_ago=8)
    recent_done = add_rows(db, 2, done_days_ago=6)
    add_rows(db, 2, failed_days_ago=31)
    recent_failed = add_rows(db, 2, failed_days_ago=8)  # older than the done rows' limit
    waiting = add_rows(db, 2)

    deleted = purge_finished(7 * DAY, 30 * DAY)

    assert deleted == {"done": 3, "given up": 2}
    assert kept_keys(db) == set(recent_done + recent_failed + waiting)
    assert purge_finished(7 * DAY, 30 * DAY) == {"done": 0, "given up": 0}  # idempotent


def test_a_backlog_is_deleted_in_batches_of_short_transactions(app, db):
    add_rows(db, 7, done_days_ago=10)
    add_rows(db, 1)
    deletes = []

    def count(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("DELETE"):
            deletes.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    commits = []
    event.listen(engine, "commit", lambda conn: commits.append(1))
    try:
        assert purge_finished(7 * DAY, 30 * DAY, batch=3) == {"done": 7, "given up": 0}
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(deletes) == 3  # 3 + 3 + 1, each at most `batch` rows
    assert len(commits) >= 3  # each batch committed on its own
    assert db.session.scalar(select(func.count()).select_from(OutboxJob)) == 1


def test_the_cron_command_and_the_periodic_job_purge_alike(app, db, runner):
    add_rows(db, 2, done_days_ago=8)
    add_rows(db, 1, done_days_ago=3)
    add_rows(db, 1, failed_days_ago=40)

    result = runner.invoke(args=["jobs", "purge"])  # the settings' 7 and 30 days
    assert result.exit_code == 0, result.output
    assert "2 done and 1 given-up job(s) deleted" in result.output

    result = runner.invoke(args=["jobs", "purge", "--done-days", "2", "--batch", "1"])
    assert result.exit_code == 0 and "1 done and 0 given-up" in result.output
    assert runner.invoke(args=["jobs", "purge", "--done-days", "0"]).exit_code != 0

    add_rows(db, 1, done_days_ago=9)
    app.config["JOBS_KEEP_DONE_DAYS"] = 10
    assert run_periodic("jobs-purge") == {"done": 0, "given up": 0}
    app.config["JOBS_KEEP_DONE_DAYS"] = 7
    assert run_periodic("jobs-purge") == {"done": 1, "given up": 0}
    assert kept_keys(db) == set()
