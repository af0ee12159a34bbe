"""The transactional outbox: jobs written in the unit of work of the change they follow, run
once it has committed, retried with exponential backoff until done.

Writing (inside a unit of work, in the same transaction as the change):
- `mail_later(unit, to, subject, template, locale, **context)`: one e-mail;
- `later(unit, task_function, *args, **kwargs)`: a function registered with `@task(name)`
  (it reads what it needs after the commit, e.g. an order's e-mails); its JSON-able arguments
  are stored; `later_once(unit, key, task_function, ...)` the same under the caller's own
  idempotency key (one job per key).
A rolled-back unit leaves no job; a committed one always leaves its jobs.

Running (`run_job`): a runner claims the row (attempts + 1, locked until now + the lease),
closes the transaction, does the work with no transaction open, then marks it done. A failure
puts it back with `available_at` = now + backoff (JOBS_BACKOFF_SECONDS · 2^(attempts-1), at most
JOBS_BACKOFF_MAX_SECONDS), until JOBS_MAX_ATTEMPTS, when it is given up (`failed_at`, the last
error kept) and its task's give-up hook, if it has one (`@task(name, on_give_up=...)`), is
called with the job's arguments: e.g. a photo's job marks the photo failed for its owner.
A row already done, given up, or claimed by a runner whose lease has not run out is skipped:
a job delivered twice by the queue runs once.

After the commit, the unit's jobs are handed to the backend (storefront.domain.jobs.queue):
inline (the default: run right away, in this process, before the request returns) or the
Redis queue (JOBS_BACKEND=rq: workers run them). `relay_once` hands over whatever is due
and was never handed over, failed earlier, or was lost with a worker (lease run out).

Purging (`purge_finished`, the periodic job "jobs-purge" and `flask jobs purge`): done rows
are deleted JOBS_KEEP_DONE_DAYS (7) after they were done, given-up rows JOBS_KEEP_FAILED_DAYS
(30) after they were given up (staff read them with `flask jobs status`), a batch of rows
per short transaction, so a large backlog never holds the table's locks for long. A row's
key guards against a second copy only while the row is kept: the keys the shop writes are
fresh (uuid) or derived from a running job's own key, and a job is retried for hours at
most (JOBS_MAX_ATTEMPTS with its backoff), well within the days the rows are kept.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ParamSpec, TypeVar

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.orm import Session

from storefront.core import mail
from storefront.core.db import Unit, end_read, rows_matched, unit_of_work
from storefront.domain.jobs.codec import dumps, loads
from storefront.extensions import db
from storefront.models import OutboxJob
from storefront.models.jobs import JOB_KEY

log = logging.getLogger(__name__)

MAIL = "mail"
CALL = "call"

P = ParamSpec("P")
R = TypeVar("R")

# Tasks by name: what a "call" job may run. Registered where each function is defined.
TASKS: dict[str, Callable[..., Any]] = {}
# What to do when a task's job is given up, by task name (`task(..., on_give_up=...)`).
GIVE_UP_HOOKS: dict[str, Callable[..., Any]] = {}
_TASK_NAME = "__job_task__"
_UNIT_ROWS = "job_outbox_rows"


def task(
    name: str, *, on_give_up: Callable[..., Any] | None = None
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Register a function that `later()` may schedule, under a stable name (stored in rows:
    keep it when the function moves).

    `on_give_up(*args, **kwargs)` is called with the job's own arguments once its job is given
    up (JOBS_MAX_ATTEMPTS failed tries), after the row is marked so, with no transaction open:
    what the task leaves half done for a person to see (a photo "processing" forever) is put
    right there. It runs once per given-up job; if it raises, the error is logged."""

    def register(function: Callable[P, R]) -> Callable[P, R]:
        if TASKS.get(name, function) is not function:
            raise RuntimeError(f"two job tasks named {name!r}")
        TASKS[name] = function
        if on_give_up is not None:
            GIVE_UP_HOOKS[name] = on_give_up
        setattr(function, _TASK_NAME, name)
        return function

    return register


def now() -> datetime:
    """Jobs run on the wall clock (UTC), not the shop's (possibly frozen) date."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Settings:
    backend: str
    max_attempts: int
    backoff: float
    backoff_max: float
    lease: float

    def delay(self, attempts: int) -> timedelta:
        """How long a job waits after its `attempts`-th failed try."""
        seconds = min(self.backoff * 2 ** max(attempts - 1, 0), self.backoff_max)
        return timedelta(seconds=seconds)


def settings() -> Settings:
    config = current_app.config
    return Settings(
        backend=config.get("JOBS_BACKEND") or "inline",
        max_attempts=int(config.get("JOBS_MAX_ATTEMPTS", 8)),
        backoff=float(config.get("JOBS_BACKOFF_SECONDS", 30)),
        backoff_max=float(config.get("JOBS_BACKOFF_MAX_SECONDS", 3600)),
        lease=float(config.get("JOBS_LEASE_SECONDS", 120)),
    )


# --- writing ----------------------------------------------------------------------------


@dataclass
class _Running:
    """The job being run in this context: the jobs it writes get keys derived from its own,
    so a retried job writes no second copy of what a first, crashed try already wrote."""

    key: str
    written: int = 0


_running: ContextVar[_Running | None] = ContextVar("job_running", default=None)


def _key(kind: str, key: str | None) -> str:
    if key is None:
        running = _running.get()
        if running is not None:
            running.written += 1
            key = f"{running.key}/{running.written}"
        else:
            key = f"{kind}:{uuid.uuid4().hex}"
    if len(key) > JOB_KEY:
        raise ValueError(f"job key longer than {JOB_KEY}: {key!r}")
    return key


def _add(unit: Unit, kind: str, payload: dict[str, Any], key: str | None) -> OutboxJob | None:
    key = _key(kind, key)
    session = unit.session
    if session.scalar(select(OutboxJob.id).where(OutboxJob.key == key)) is not None:
        return None  # written already (a retried job, or the caller's own key): once
    moment = now()
    row = OutboxJob(
        kind=kind,
        payload=payload,
        key=key,
        created_at=moment,
        available_at=moment,
        attempts=0,
        # Handed to the backend right after the commit; if that fails, relay_once does it.
        dispatched_at=moment,
        marker=payload.get("message_id"),
    )
    session.add(row)
    rows: list[OutboxJob] | None = unit.info.get(_UNIT_ROWS)
    if rows is None:
        rows = unit.info[_UNIT_ROWS] = []
        unit.on_commit(_dispatch_rows, rows)
    rows.append(row)
    return row


def mail_later(
    unit: Unit,
    to: str,
    subject: object,
    template: str,
    locale: str,
    /,
    *,
    key: str | None = None,
    **context: Any,
) -> OutboxJob | None:
    """Send mail/<template> to `to` in `locale` once `unit` commits (core.mail.send_mail).
    The subject (a lazy string) and the context are fixed now, in `locale`; the message is
    rendered when sent, under a Message-ID made from the job's key."""
    if not to:
        return None
    with force_locale(locale):
        payload = {
            "to": to,
            "subject": str(subject),
            "template": template,
            "locale": locale,
            "context": dumps(context),
        }
    row = _add(unit, MAIL, payload, key)
    if row is not None:
        row.payload = {**payload, "message_id": mail.stable_msgid(row.key)}
        row.marker = row.payload["message_id"]
    return row


def later(
    unit: Unit, function: Callable[..., Any], /, *args: Any, **kwargs: Any
) -> OutboxJob | None:
    """Run `function(*args, **kwargs)` (a `@task`) once `unit` commits, with no transaction
    open; retried on failure, so it must be safe to run again after a partial try."""
    name = getattr(function, _TASK_NAME, None)
    if name is None or TASKS.get(name) is not function:
        raise ValueError(f"{function!r} is not a job task (@task)")
    payload = {"task": name, "args": dumps(list(args)), "kwargs": dumps(kwargs)}
    return _add(unit, CALL, payload, None)


def later_once(
    unit: Unit, key: str, function: Callable[..., Any], /, *args: Any, **kwargs: Any
) -> OutboxJob | None:
    """`later()` under the caller's idempotency key (e.g. "listing-photo:<stem>"): a second
    job with the same key is not written (None), so the work is scheduled once whatever calls
    it twice."""
    name = getattr(function, _TASK_NAME, None)
    if name is None or TASKS.get(name) is not function:
        raise ValueError(f"{function!r} is not a job task (@task)")
    payload = {"task": name, "args": dumps(list(args)), "kwargs": dumps(kwargs)}
    return _add(unit, CALL, payload, key)


def _dispatch_rows(rows: list[OutboxJob]) -> None:
    ids = [_row_id(row) for row in rows]
    dispatch([job_id for job_id in ids if job_id is not None])


def _row_id(row: OutboxJob) -> int | None:
    # The primary key from the identity map: reading row.id would reload the expired row.
    identity = db.inspect(row).identity
    return int(identity[0]) if identity else None


def dispatch(ids: list[int]) -> None:
    """Hand committed jobs to the app's backend: run them now (inline, the default), or the
    push that storefront.domain.jobs.queue.init_app installed (JOBS_BACKEND=rq)."""
    if not ids:
        return
    push: Callable[[list[int]], None] = current_app.extensions.get(BACKEND_EXTENSION, run_inline)
    push(ids)


BACKEND_EXTENSION = "jobs_push"


def run_inline(ids: list[int]) -> None:
    for job_id in ids:
        run_job(job_id)


# --- running ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Claimed:
    kind: str
    payload: dict[str, Any]
    key: str
    attempts: int


def _claim(job_id: int, moment: datetime, lease: float) -> _Claimed | None:
    with unit_of_work() as unit:
        result = unit.session.execute(
            update(OutboxJob)
            .where(
                OutboxJob.id == job_id,
                OutboxJob.done_at.is_(None),
                OutboxJob.failed_at.is_(None),
                OutboxJob.available_at <= moment,
                or_(OutboxJob.locked_until.is_(None), OutboxJob.locked_until < moment),
            )
            .values(
                attempts=OutboxJob.attempts + 1,
                locked_until=moment + timedelta(seconds=lease),
            )
            .execution_options(synchronize_session=False)
        )
        if rows_matched(result) == 0:
            return None
        kind, payload, key, attempts = unit.session.execute(
            select(OutboxJob.kind, OutboxJob.payload, OutboxJob.key, OutboxJob.attempts).where(
                OutboxJob.id == job_id
            )
        ).one()
    return _Claimed(kind, payload, key, attempts)


def run_job(job_id: int) -> str:
    """Run one job if it is due and nobody else holds it: "done", "retry" (failed, due again
    after its backoff), "failed" (given up) or "skipped" (done, not due, or held)."""
    config = settings()
    claimed = _claim(job_id, now(), config.lease)
    if claimed is None:
        return "skipped"
    token = _running.set(_Running(claimed.key))
    try:
        _perform(claimed)
    except Exception as error:  # noqa: BLE001 - kept on the row and retried
        db.session.rollback()
        return _failed(job_id, claimed, error, config)
    finally:
        _running.reset(token)
    with unit_of_work() as unit:
        unit.session.execute(
            update(OutboxJob)
            .where(OutboxJob.id == job_id)
            .values(done_at=now(), locked_until=None, last_error=None)
            .execution_options(synchronize_session=False)
        )
    return "done"


def _perform(claimed: _Claimed) -> None:
    payload = claimed.payload
    if claimed.kind == MAIL:
        context = loads(payload.get("context") or {})
        mail.send_mail(
            payload["to"],
            payload["subject"],
            payload["template"],
            payload["locale"],
            message_id=payload.get("message_id"),
            **context,
        )
        return
    if claimed.kind == CALL:
        function = TASKS.get(payload["task"])
        if function is None:
            raise LookupError(f"no job task named {payload['task']!r}")
        function(*loads(payload.get("args") or []), **loads(payload.get("kwargs") or {}))
        # A task leaves no transaction open behind it.
        session: Session = db.session()
        if session.in_transaction():
            end_read(session)
        return
    raise LookupError(f"no job kind {claimed.kind!r}")


def _failed(job_id: int, claimed: _Claimed, error: Exception, config: Settings) -> str:
    moment = now()
    given_up = claimed.attempts >= config.max_attempts
    message = f"{type(error).__name__}: {error}"[:2000]
    values: dict[str, Any] = {"last_error": message, "locked_until": None}
    if given_up:
        values["failed_at"] = moment
    else:
        values["available_at"] = moment + config.delay(claimed.attempts)
        values["dispatched_at"] = None
    with unit_of_work() as unit:
        unit.session.execute(
            update(OutboxJob)
            .where(OutboxJob.id == job_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    if given_up:
        log.error(
            "job %s (%s) given up after %s tries: %s",
            job_id,
            claimed.key,
            claimed.attempts,
            message,
        )
        _give_up(job_id, claimed)
        return "failed"
    log.warning(
        "job %s (%s) failed (try %s), retried at %s: %s",
        job_id,
        claimed.key,
        claimed.attempts,
        values["available_at"],
        message,
    )
    return "retry"


def _give_up(job_id: int, claimed: _Claimed) -> None:
    """Call the given-up job's task hook (task(..., on_give_up=...)), if it has one."""
    payload = claimed.payload
    hook = GIVE_UP_HOOKS.get(payload.get("task", "")) if claimed.kind == CALL else None
    if hook is None:
        return
    try:
        hook(*loads(payload.get("args") or []), **loads(payload.get("kwargs") or {}))
    except Exception:  # noqa: BLE001 - the job is given up already; a person reads the log
        log.exception("job %s (%s): its give-up hook failed", job_id, claimed.key)
        db.session.rollback()
        return
    session: Session = db.session()
    if session.in_transaction():
        end_read(session)


# --- relaying ---------------------------------------------------------------------------


def _due(moment: datetime, lease: float) -> Any:
    stale = moment - timedelta(seconds=lease)
    return and_(
        OutboxJob.done_at.is_(None),
        OutboxJob.failed_at.is_(None),
        OutboxJob.available_at <= moment,
        or_(OutboxJob.locked_until.is_(None), OutboxJob.locked_until < moment),
        or_(OutboxJob.dispatched_at.is_(None), OutboxJob.dispatched_at < stale),
    )


def relay_once(*, moment: datetime | None = None, limit: int = 100) -> int:
    """Hand the backend every job that is due and not in its hands: never handed over, due
    again after a failure, or handed over a lease ago and still not done (its worker died, or
    the queue lost it). Returns how many were handed over."""
    config = settings()
    moment = moment or now()
    with unit_of_work(writer=True) as unit:
        ids = list(
            unit.session.scalars(
                select(OutboxJob.id)
                .where(_due(moment, config.lease))
                .order_by(OutboxJob.available_at, OutboxJob.id)
                .limit(limit)
            )
        )
        if ids:
            unit.session.execute(
                update(OutboxJob)
                .where(OutboxJob.id.in_(ids), _due(moment, config.lease))
                .values(dispatched_at=moment)
                .execution_options(synchronize_session=False)
            )
    dispatch(ids)
    return len(ids)


def undispatch(ids: list[int]) -> None:
    """The backend could not take these jobs: the relay hands them over on its next pass."""
    with unit_of_work() as unit:
        unit.session.execute(
            update(OutboxJob)
            .where(OutboxJob.id.in_(ids), OutboxJob.done_at.is_(None))
            .values(dispatched_at=None)
            .execution_options(synchronize_session=False)
        )


# --- purging ----------------------------------------------------------------------------

PURGE_BATCH = 1000


def purge_finished(
    keep_done: timedelta,
    keep_failed: timedelta,
    *,
    batch: int = PURGE_BATCH,
    moment: datetime | None = None,
) -> dict[str, int]:
    """Delete the rows done more than `keep_done` ago and those given up more than
    `keep_failed` ago, at most `batch` rows per transaction; returns how many of each.
    Waiting rows are never touched. Idempotent: a second run finds nothing more."""
    moment = moment or now()
    finished = {
        # done_at leads the ix_job_outbox_due index; given-up rows have done_at NULL, so
        # both ranges are read from it.
        "done": and_(OutboxJob.done_at.is_not(None), OutboxJob.done_at < moment - keep_done),
        "given up": and_(
            OutboxJob.done_at.is_(None),
            OutboxJob.failed_at.is_not(None),
            OutboxJob.failed_at < moment - keep_failed,
        ),
    }
    deleted = {}
    for label, condition in finished.items():
        total = 0
        while True:
            with unit_of_work(writer=True) as unit:
                ids = list(
                    unit.session.scalars(
                        select(OutboxJob.id).where(condition).order_by(OutboxJob.id).limit(batch)
                    )
                )
                if ids:
                    unit.session.execute(
                        delete(OutboxJob)
                        .where(OutboxJob.id.in_(ids))
                        .execution_options(synchronize_session=False)
                    )
            total += len(ids)
            if len(ids) < batch:
                break
        deleted[label] = total
    return deleted
