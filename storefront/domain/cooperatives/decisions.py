"""PFA decisions on cooperatives: approve or reject an application, suspend, reinstate.

Same shape as the certificate decisions (domain/certificates/decisions.py): a guarded status
change and its audit event in one commit, then the e-mail in the cooperative's language.
"""

from __future__ import annotations

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from storefront.core.db import unit_of_work
from storefront.core.errors import NotFound
from storefront.domain.audit import record_decision
from storefront.domain.decisions import (
    Notice,
    already_decided,
    clean_reason,
    cooperative_recipients,
    guarded_status_change,
    queue_notices,
    require_independent,
    require_staff,
)
from storefront.domain.status_labels import cooperative_status_label
from storefront.extensions import db
from storefront.models import Cooperative, CooperativeMember, CooperativeStatus, User


def approve_cooperative(cooperative_id: int, actor: User, *, reason: str = "") -> Cooperative:
    """Approve an applied cooperative: from now on its verified products can go on sale. When
    two staff decide at once exactly one wins; the other gets AlreadyDecided."""
    return _decide(
        cooperative_id,
        actor,
        action="cooperative.approve",
        expected=CooperativeStatus.APPLIED,
        new=CooperativeStatus.APPROVED,
        reason=reason,
        reason_required=False,
    )


def reject_cooperative(cooperative_id: int, actor: User, reason: str) -> Cooperative:
    """Refuse a cooperative's application to sell; the reason is required."""
    return _decide(
        cooperative_id,
        actor,
        action="cooperative.reject",
        expected=CooperativeStatus.APPLIED,
        new=CooperativeStatus.REJECTED,
        reason=reason,
        reason_required=True,
    )


def suspend_cooperative(cooperative_id: int, actor: User, reason: str) -> Cooperative:
    """Suspend an approved cooperative: all its listings leave the shop with this commit."""
    return _decide(
        cooperative_id,
        actor,
        action="cooperative.suspend",
        expected=CooperativeStatus.APPROVED,
        new=CooperativeStatus.SUSPENDED,
        reason=reason,
        reason_required=True,
    )


def reinstate_cooperative(cooperative_id: int, actor: User, reason: str) -> Cooperative:
    """Lift a suspension; the reason is required (what was put right)."""
    return _decide(
        cooperative_id,
        actor,
        action="cooperative.reinstate",
        expected=CooperativeStatus.SUSPENDED,
        new=CooperativeStatus.APPROVED,
        reason=reason,
        reason_required=True,
    )


def _decide(
    cooperative_id: int,
    actor: User,
    *,
    action: str,
    expected: CooperativeStatus,
    new: CooperativeStatus,
    reason: str,
    reason_required: bool,
) -> Cooperative:
    require_staff(actor)
    reason = clean_reason(reason, required=reason_required)
    # A writer from the start: the status is read, then changed (SQLite would refuse the
    # second of two staff deciding at once instead of making it wait).
    with unit_of_work(writer=True) as unit:
        coop = db.session.get(
            Cooperative,
            cooperative_id,
            options=[selectinload(Cooperative.members).joinedload(CooperativeMember.user)],
            populate_existing=True,
        )
        if coop is None:
            raise NotFound(_l("There is no such cooperative."))
        require_independent(actor, coop.id)
        if coop.status is not expected:
            raise already_decided(coop.status, cooperative_status_label)
        notice = _notice(coop, action, new, reason)
        guarded_status_change(
            Cooperative, coop.id, expected, new, reason=reason, label=cooperative_status_label
        )
        record_decision(
            actor=actor,
            action=action,
            subject=coop,
            from_status=expected.value,
            to_status=new.value,
            reason=reason,
        )
        queue_notices(unit, [notice])
    return db.session.get_one(Cooperative, cooperative_id, populate_existing=True)


def _subject(action: str, new: CooperativeStatus, name: str) -> LazyString | None:
    if action == "cooperative.approve":
        return _l("%(name)s can now sell on OCOP Market", name=name)
    if new is CooperativeStatus.REJECTED:
        return _l("Your application to sell on OCOP Market was not accepted")
    if new is CooperativeStatus.APPROVED:
        return _l("Your shop on OCOP Market is open again")
    return _l("Your cooperative's shop on OCOP Market is suspended")


def _notice(coop: Cooperative, action: str, new: CooperativeStatus, reason: str) -> Notice:
    return Notice(
        to=cooperative_recipients(coop),
        locale=coop.locale or "vi",
        subject=_subject(action, new, coop.legal_name),
        template="pfa_cooperative_decision",
        context={
            "decision": action.removeprefix("cooperative."),  # approve, reject, suspend, reinstate
            "cooperative_name": coop.legal_name,
            "reason": reason,
        },
    )
