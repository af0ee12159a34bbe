"""`flask --app wsgi jobs ...`: the job outbox's relay, the queue's workers and its scheduler.

- `jobs relay`: hands due jobs to the backend, every JOBS_RELAY_INTERVAL seconds (`--once`:
  one pass, e.g. from cron on one machine, where it retries failed e-mails inline);
- `jobs worker`: runs queued jobs (JOBS_BACKEND=rq); one job at a time per process, start as
  many processes as needed;
- `jobs scheduler`: the periodic jobs (JOBS_SCHEDULE) put on the queue by RQ's cron
  scheduler; run exactly one. The cron commands (`certificates remind`, `orders
  expire-unpaid`, `payments reconcile`, `cart purge-guest-carts`, `reviews remind`) still work
  as before: both call the same functions.
- `jobs status`: how many jobs wait, are done or were given up.
- `jobs purge`: deletes done rows after JOBS_KEEP_DONE_DAYS and given-up rows after
  JOBS_KEEP_FAILED_DAYS, in batches (the periodic job "jobs-purge" does the same).
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import time
from collections.abc import Callable
from datetime import timedelta
from types import FrameType

import click
from flask import current_app
from flask.cli import AppGroup
from rq import SimpleWorker
from rq.cron import CronScheduler
from sqlalchemy import func, select

from storefront.cli.orders import expire_unpaid
from storefront.cli.payments import reconcile
from storefront.domain.cart import purge_guest_carts_older_than
from storefront.domain.certificates.reminders import send_expiry_reminders
from storefront.domain.jobs import purge_finished, relay_once
from storefront.domain.jobs import queue as job_queue
from storefront.domain.jobs.outbox import PURGE_BATCH
from storefront.domain.reviews.reminders import send_review_reminders
from storefront.extensions import db
from storefront.models import OutboxJob

log = logging.getLogger(__name__)

jobs_cli = AppGroup("jobs", help="Jobs after a commit: relay, workers, periodic jobs.")


def _remind() -> object:
    run = send_expiry_reminders()
    return {"claimed": len(run.claimed), "sent": run.sent, "failed": run.failed}


def _expire_unpaid() -> object:
    return expire_unpaid()


def _reconcile() -> object:
    return dict(reconcile(10))


def _purge_carts() -> object:
    return purge_guest_carts_older_than(timedelta(days=30))


def _review_reminders() -> object:
    run = send_review_reminders()
    return {"claimed": run.claimed, "mailed": run.mailed}


def _purge_jobs() -> object:
    config = current_app.config
    return purge_finished(
        timedelta(days=config["JOBS_KEEP_DONE_DAYS"]),
        timedelta(days=config["JOBS_KEEP_FAILED_DAYS"]),
    )


# The periodic jobs, by the names JOBS_SCHEDULE gives them a time: the same functions as the
# cron commands, with the commands' defaults.
PERIODIC: dict[str, Callable[[], object]] = {
    "certificates-remind": _remind,
    "orders-expire-unpaid": _expire_unpaid,
    "payments-reconcile": _reconcile,
    "cart-purge-guest-carts": _purge_carts,
    "reviews-remind": _review_reminders,
    "jobs-purge": _purge_jobs,
}


def run_periodic(name: str) -> object:
    """What the scheduler puts on the queue: one periodic job, run by a worker (in the app
    context its `jobs worker` command holds). Each is idempotent: a run repeated by a second
    scheduler, or after a crash, changes nothing more."""
    try:
        result = PERIODIC[name]()
        log.info("periodic job %s: %s", name, result)
        return result
    finally:
        db.session.remove()


class _Stop:
    requested = False

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        self.requested = True


@jobs_cli.command("relay")
@click.option("--once", is_flag=True, help="One pass, then exit (cron).")
def relay_command(once: bool) -> None:
    """Hand due jobs to the backend: new ones a server could not queue, failed ones due again,
    and those a dead worker left (after JOBS_LEASE_SECONDS)."""
    if once:
        click.echo(f"{relay_once()} job(s) handed over")
        return
    stop = _Stop()
    signal.signal(signal.SIGTERM, stop)
    interval = float(current_app.config.get("JOBS_RELAY_INTERVAL", 1))
    while not stop.requested:
        try:
            handed = relay_once()
        except Exception:  # noqa: BLE001 - a database or Redis outage: try again
            log.exception("jobs relay: pass failed")
            db.session.remove()
            handed = 0
        db.session.remove()
        if not handed:
            time.sleep(interval)


def _require_queue() -> None:
    if current_app.config.get("JOBS_BACKEND") != "rq":
        raise click.UsageError(
            "JOBS_BACKEND is not 'rq': jobs run inline after each commit (no worker needed)."
        )


class Worker(SimpleWorker):
    """RQ's SimpleWorker with its control channel (stop/kill commands) polled every second.

    RQ listens on it with a 60 s wait; when the UNSUBSCRIBE reply arrives before that thread
    waits again, redis-py's stop() waits the whole 60 s out, so a burst worker (or one told
    to stop) could take a minute to exit after its last job."""

    CONTROL_POLL_SECONDS = 1.0

    def subscribe(self) -> None:
        self.log.info("Worker %s: subscribing to channel %s", self.name, self.pubsub_channel_name)
        self.pubsub = self.connection.pubsub()
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        # (RQ declares the attribute as None; it holds the thread, as in RQ's own subscribe.)
        self.pubsub_thread = self.pubsub.run_in_thread(  # type: ignore[assignment]
            sleep_time=self.CONTROL_POLL_SECONDS,
            daemon=True,
            exception_handler=self._pubsub_exception_handler,
        )


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Exit once the queue is empty.")
@click.option("--name", default="", help="The worker's name (default: host, pid).")
def worker_command(burst: bool, name: str) -> None:
    """Run queued jobs, one at a time (JOBS_BACKEND=rq)."""
    _require_queue()
    target = job_queue.queue()
    worker = Worker(
        [target],
        connection=target.connection,
        name=name or f"{target.name}-{socket.gethostname()}-{os.getpid()}",
    )
    worker.work(burst=burst, logging_level="INFO")


@jobs_cli.command("scheduler")
def scheduler_command() -> None:
    """Put the periodic jobs on the queue at the times JOBS_SCHEDULE gives (RQ's cron
    scheduler); run exactly one."""
    _require_queue()
    target = job_queue.queue()
    scheduler = CronScheduler(connection=target.connection)
    for name, cron in current_app.config["JOBS_SCHEDULE"].items():
        if cron:
            scheduler.register(
                run_periodic,
                target.name,
                args=(name,),
                cron=cron,
                name=f"{target.name}-{name}",  # its history in Redis, per shop
                job_timeout=1800,
                result_ttl=7 * 24 * 3600,
            )
    scheduler.start()


@jobs_cli.command("status")
def status_command() -> None:
    """How many jobs wait, are done, or were given up (and the last errors of those)."""
    waiting = OutboxJob.done_at.is_(None) & OutboxJob.failed_at.is_(None)
    counts = {
        "waiting": db.session.scalar(select(func.count()).where(waiting)),
        "done": db.session.scalar(select(func.count()).where(OutboxJob.done_at.is_not(None))),
        "given up": db.session.scalar(select(func.count()).where(OutboxJob.failed_at.is_not(None))),
    }
    for label, count in counts.items():
        click.echo(f"{label}: {count}")
    for job_id, key, error in db.session.execute(
        select(OutboxJob.id, OutboxJob.key, OutboxJob.last_error)
        .where(OutboxJob.failed_at.is_not(None))
        .order_by(OutboxJob.id.desc())
        .limit(20)
    ):
        click.echo(f"  #{job_id} {key}: {error}")


@jobs_cli.command("purge")
@click.option("--done-days", type=int, default=None, help="Default: JOBS_KEEP_DONE_DAYS.")
@click.option("--failed-days", type=int, default=None, help="Default: JOBS_KEEP_FAILED_DAYS.")
@click.option(
    "--batch",
    type=int,
    default=PURGE_BATCH,
    show_default=True,
    help="Rows deleted per transaction.",
)
def purge_command(done_days: int | None, failed_days: int | None, batch: int) -> None:
    """Delete jobs done more than --done-days ago and given up more than --failed-days ago
    (waiting jobs stay); idempotent, for cron."""
    config = current_app.config
    done = config["JOBS_KEEP_DONE_DAYS"] if done_days is None else done_days
    failed = config["JOBS_KEEP_FAILED_DAYS"] if failed_days is None else failed_days
    if min(done, failed) < 1 or batch < 1:
        raise click.BadParameter("days and batch must be at least 1")
    deleted = purge_finished(timedelta(days=done), timedelta(days=failed), batch=batch)
    click.echo(f"{deleted['done']} done and {deleted['given up']} given-up job(s) deleted")
