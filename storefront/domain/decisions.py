"""What every PFA staff decision shares: the staff check, the reason, the guarded status change
and the e-mail that follows the commit."""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, exists, or_, select, update

from storefront.core import mail
from storefront.core.db import Unit, rows_matched
from storefront.core.errors import AlreadyDecided, ConflictOfInterest, Forbidden, InvalidInput
from storefront.domain.jobs import mail_later
from storefront.extensions import db
from storefront.models import (
    AuditEvent,
    Certificate,
    Cooperative,
    CooperativeMember,
    MemberRole,
    User,
    utcnow,
)

logger = logging.getLogger(__name__)

REASON_MAX_LENGTH = 2000


def require_staff(actor: User | None) -> None:
    """Only PFA staff (and admins) decide; the console checks too, this is the rule itself."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_pfa_staff:
        raise Forbidden(_l("Only Farmers' Association staff can make this decision."))


# What a cooperative's own people do, as the audit trail records it: whoever did one of these for
# a cooperative worked for it (even if no longer a member) and never decides on it.
COOPERATIVE_SIDE_ACTIONS = (
    "cooperative.apply",
    "cooperative.profile",
    "certificate.submit",
    "certificate.resubmit",
    "certificate.edit",
)


def conflict_of_interest_clause(actor_id: int, cooperative_id: Any) -> ColumnElement[bool]:
    """SQL true when the user `actor_id` is not independent of the cooperative `cooperative_id`
    (an id, or a column such as Certificate.cooperative_id to filter a whole queue): a member
    of it, or the audit trail shows them acting for it."""
    member = exists().where(
        CooperativeMember.cooperative_id == cooperative_id,
        CooperativeMember.user_id == actor_id,
    )
    acted_for_it = exists().where(
        AuditEvent.actor_id == actor_id,
        AuditEvent.action.in_(COOPERATIVE_SIDE_ACTIONS),
        or_(
            AuditEvent.cooperative_id == cooperative_id,
            (AuditEvent.subject_type == "cooperative") & (AuditEvent.subject_id == cooperative_id),
        ),
    )
    return or_(member, acted_for_it)


def has_conflict_of_interest(actor: User | None, cooperative_id: int) -> bool:
    """Whether `actor` is a member of the cooperative, or the audit trail shows them acting for
    it (they applied for it, or submitted, resubmitted or edited one of its certificates)."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return False
    return bool(db.session.scalar(select(conflict_of_interest_clause(actor.id, cooperative_id))))


def require_independent(actor: User | None, cooperative_id: int) -> None:
    """Separation of duties, for every decision on a cooperative or one of its certificates:
    ConflictOfInterest when `actor` belongs to it, applied for it or submitted its certificates.
    Raised before anything changes; another staff member must decide."""
    if has_conflict_of_interest(actor, cooperative_id):
        raise ConflictOfInterest(
            _l(
                "You cannot decide on this: you applied for this cooperative, work for it or "
                "submitted its certificates. Another Farmers' Association staff member must "
                "decide."
            )
        )


def clean_reason(reason: str | None, *, required: bool) -> str:
    """The reason as it will be stored and e-mailed; InvalidInput when required and blank."""
    text = (reason or "").replace("\r\n", "\n").strip()
    if required and not text:
        raise InvalidInput(_l("Please give a reason: the cooperative will read it."))
    if len(text) > REASON_MAX_LENGTH:
        raise InvalidInput(
            _l("The reason is too long (at most %(n)d characters).", n=REASON_MAX_LENGTH)
        )
    return text


def guarded_status_change(
    model: type[Cooperative] | type[Certificate],
    row_id: int,
    expected: enum.StrEnum,
    new: enum.StrEnum,
    *,
    reason: str,
    label: Callable[[Any], str],
) -> None:
    """Move one row from `expected` to `new` status, or raise AlreadyDecided.

    `UPDATE ... SET status = :new WHERE id = :id AND status = :expected`: when two staff
    members decide on the same item at once, the database lets exactly one UPDATE match (on
    PostgreSQL the second waits for the first's row lock, then re-reads the row and matches
    nothing; on SQLite writers are serialised), so the second learns it lost from the row
    count instead of silently overwriting the first decision. `label` names a status for the
    message. Flushes nothing else and never commits: the caller's unit of work does.
    """
    result = db.session.execute(
        update(model)
        .where(model.id == row_id, model.status == expected)
        .values(status=new, status_reason=reason, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if rows_matched(result) == 1:
        return
    db.session.rollback()
    current = db.session.scalar(select(model.status).where(model.id == row_id))
    raise already_decided(current, label)


def already_decided(current: Any, label: Callable[[Any], str]) -> AlreadyDecided:
    return AlreadyDecided(
        _l(
            "Someone else has already decided on this: it is now “%(status)s”. "
            "Nothing was changed; please look at it again.",
            status=label(current),
        ),
        status=getattr(current, "value", current),
    )


@dataclass(frozen=True)
class Notice:
    """An e-mail to send once the decision is committed, with everything it needs already read
    (nothing may lazy-load from the database after the commit)."""

    to: tuple[str, ...]
    locale: str
    subject: Any  # a lazy string, translated by send_mail into `locale`
    template: str
    context: dict[str, Any] = field(default_factory=dict)


def queue_notices(unit: Unit, notices: list[Notice]) -> None:
    """Write the notices' e-mails into the job outbox of the decision's unit of work
    (storefront/domain/jobs): sent once the decision is committed, retried until they are,
    never sent if it rolls back."""
    for notice in notices:
        for to in notice.to:
            mail_later(unit, to, notice.subject, notice.template, notice.locale, **notice.context)


def send_notices(notices: list[Notice]) -> int:
    """Send now; returns how many went out. Never inside a transaction (decisions use
    queue_notices: the outbox sends them once committed).

    A failed e-mail never undoes a decision: it is logged and the decision stands.
    """
    sent = 0
    for notice in notices:
        for to in notice.to:
            try:
                mail.send_mail(to, notice.subject, notice.template, notice.locale, **notice.context)
                sent += 1
            except Exception:  # noqa: BLE001 - the commit is done; the log tells staff
                logger.exception("could not e-mail %s (%s)", to, notice.template)
    return sent


def cooperative_recipients(cooperative: Cooperative) -> tuple[str, ...]:
    """The cooperative's contact address and its active owners' addresses, each once."""
    addresses = [cooperative.email] if cooperative.email else []
    addresses += [
        m.user.email for m in cooperative.members if m.role is MemberRole.OWNER and m.user.active
    ]
    seen: dict[str, str] = {}
    for address in addresses:
        seen.setdefault(User.normalize_email(address), address)
    return tuple(seen)
