"""The transactional outbox: work to do after a commit, written in the same transaction.

A domain change that must be followed by something slow or remote ("send this e-mail",
"settle this cancelled order") adds an OutboxJob row in its own unit of work, so the work is
recorded if and only if the change is. storefront/domain/jobs runs the rows: inline right
after the commit (one machine), or through the queue's workers (JOBS_BACKEND=rq).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storefront.extensions import Base
from storefront.models.base import utcnow

JOB_KIND = 40
JOB_KEY = 200


class OutboxJob(Base):
    """One piece of work. Done once `done_at` is set; given up once `failed_at` is set (after
    JOBS_MAX_ATTEMPTS tries, the last error kept); otherwise waiting for `available_at`.

    `key` is the idempotency key: a second row with the same key is never written, and a row
    is claimed by one runner at a time (`locked_until`), so its work is done once. `marker` is
    what the work recorded of itself before its remote step (an e-mail's Message-ID)."""

    __tablename__ = "job_outbox"
    __table_args__ = (Index("ix_job_outbox_due", "done_at", "failed_at", "available_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(JOB_KIND))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    key: Mapped[str] = mapped_column(String(JOB_KEY), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    available_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    marker: Mapped[str | None] = mapped_column(String(255))
    dispatched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    failed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
