"""The Redis queue behind the outbox (JOBS_BACKEND=rq): RQ carries job ids, never the work.

The outbox row is the truth: RQ only says "run job 42 now". Whatever RQ loses (Redis restarted
without persistence, a worker killed mid-job) the relay hands over again once the row's lease
has run out, and a duplicate delivery is skipped by the row's claim. So RQ's own retries and
result storage are off: results are not kept, and a job RQ counts as failed is one whose
worker died, which the relay already covers.
"""

from __future__ import annotations

import logging
import uuid
from functools import partial

from flask import Flask, current_app
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue

from storefront.domain.jobs.outbox import BACKEND_EXTENSION, run_job, undispatch
from storefront.extensions import db

log = logging.getLogger(__name__)

BACKENDS = ("inline", "rq")


def init_app(app: Flask) -> None:
    """Install the backend JOBS_BACKEND names ("inline", the default, or "rq")."""
    backend = app.config.get("JOBS_BACKEND") or "inline"
    if backend not in BACKENDS:
        raise RuntimeError(f"JOBS_BACKEND must be one of {', '.join(BACKENDS)}, not {backend!r}")
    if backend == "rq":
        if not app.config.get("REDIS_URL"):
            raise RuntimeError("JOBS_BACKEND=rq needs REDIS_URL")
        app.extensions[BACKEND_EXTENSION] = partial(push, app)
    else:
        app.extensions.pop(BACKEND_EXTENSION, None)


def connection(app: Flask | None = None) -> Redis:
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    redis: Redis | None = app.extensions.get("jobs_redis")
    if redis is None:
        redis = Redis.from_url(app.config["REDIS_URL"], socket_timeout=5, socket_connect_timeout=2)
        app.extensions["jobs_redis"] = redis
    return redis


def queue(app: Flask | None = None) -> Queue:
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    return Queue(app.config.get("JOBS_QUEUE") or "ocop", connection=connection(app))


def push(app: Flask, ids: list[int]) -> None:
    """Put the jobs on the queue; if Redis cannot take them, the relay will (no error here:
    the change they follow is committed, and the rows are safe)."""
    target = queue(app)
    # RQ stops a job running longer than this; the lease (JOBS_LEASE_SECONDS) must be longer,
    # or a second worker could take a job the first is still running.
    timeout = int(app.config.get("JOBS_TIMEOUT_SECONDS", 90))
    try:
        with target.connection.pipeline() as pipe:
            for job_id in ids:
                target.enqueue_call(
                    perform,
                    args=(job_id,),
                    job_id=f"{target.name}-{job_id}-{uuid.uuid4().hex[:8]}",
                    timeout=timeout,
                    result_ttl=0,
                    failure_ttl=24 * 3600,
                    pipeline=pipe,
                )
            pipe.execute()
    except (RedisError, OSError) as error:
        log.warning("jobs %s not queued (%s): the relay will hand them over", ids, error)
        undispatch(ids)


def perform(job_id: int) -> str:
    """What a worker runs (in the app context the `jobs worker` command holds)."""
    try:
        return run_job(job_id)
    finally:
        db.session.remove()
