"""The audit trail: every decision on a cooperative or certificate is written here, in the
same transaction as the decision itself."""

from __future__ import annotations

from typing import Any

from storefront.extensions import db
from storefront.models import AuditEvent, Certificate, Cooperative, User


def record_decision(
    *,
    actor: User | None,
    action: str,
    subject: Certificate | Cooperative,
    from_status: str,
    to_status: str,
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add (not commit) an audit event: who, when, what, why. The caller's unit of work
    commits."""
    if isinstance(subject, Certificate):
        subject_type, cooperative_id = "certificate", subject.cooperative_id
    else:
        subject_type, cooperative_id = "cooperative", subject.id
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
