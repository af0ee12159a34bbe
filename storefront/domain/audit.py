"""The audit trail: every decision on a cooperative or certificate, every cancellation of an
order or part of one by a cooperative or staff, every staff decision on a bank transfer, and
every hiding of a buyer's review (or dismissal of its reports), is written here, in the same
transaction as the decision itself."""

from __future__ import annotations

from typing import Any

from storefront.extensions import db
from storefront.models import (
    AuditEvent,
    BankNotification,
    Certificate,
    Cooperative,
    Order,
    RefundTask,
    Review,
    Shipment,
    User,
)


def record_decision(
    *,
    actor: User | None,
    action: str,
    subject: Certificate | Cooperative | Order | Shipment | BankNotification | RefundTask | Review,
    from_status: str,
    to_status: str,
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add (not commit) an audit event: who, when, what, why. The caller's unit of work
    commits."""
    cooperative_id: int | None
    if isinstance(subject, Certificate):
        subject_type, cooperative_id = "certificate", subject.cooperative_id
    elif isinstance(subject, Cooperative):
        subject_type, cooperative_id = "cooperative", subject.id
    elif isinstance(subject, Shipment):
        subject_type, cooperative_id = "shipment", subject.cooperative_id
    elif isinstance(subject, BankNotification):
        subject_type, cooperative_id = "bank_transfer", None
    elif isinstance(subject, RefundTask):
        subject_type, cooperative_id = "refund_task", None
    elif isinstance(subject, Review):
        subject_type, cooperative_id = "review", subject.cooperative_id
    else:
        subject_type, cooperative_id = "order", None  # each cooperative's part: see `data`
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        action=action,
        subject_type=subject_type,
        subject_id=subject.id,
        cooperative_id=cooperative_id,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        data=data or {},
    )
    db.session.add(event)
    return event
