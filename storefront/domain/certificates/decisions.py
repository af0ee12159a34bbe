"""Certificate decisions by PFA staff: verify, reject, revoke, reinstate (reminders: reminders.py).

Every decision is one unit of work: a guarded change plus its audit event, committed once; the
cooperative's e-mail goes out after the commit, in the cooperative's language.
The search index follows on its own (storefront.domain.catalog.changes, after the commit).

The two-person rule: a 5-star certificate is verified, and a revoked certificate reinstated,
only when two different PFA staff members (admins count as staff) approve. The first approval
(verify_certificate on a 5-star certificate, propose_reinstatement) is written on the
certificate (pending_approval, first_approved_by, first_approved_at) and in the audit trail,
and changes nothing the public sees; a second, different staff member confirms it
(confirm_verification, confirm_reinstatement). Whoever gave the first approval cannot give the
second (SecondReviewerRequired). A rejection, a change by the cooperative or a declined
reinstatement voids a first approval. Separation of duties (require_independent) applies to
both approvals.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import joinedload, selectinload

from storefront.core import clock
from storefront.core.db import rows_matched, unit_of_work
from storefront.core.errors import (
    AlreadyDecided,
    CertificateExpired,
    NotFound,
    SecondReviewerRequired,
)
from storefront.domain.audit import record_decision
from storefront.domain.catalog.visibility import HiddenReason, hidden_reasons, public_listing_ids
from storefront.domain.certificates.labels import verification_url
from storefront.domain.decisions import (
    Notice,
    already_decided,
    clean_reason,
    cooperative_recipients,
    queue_notices,
    require_independent,
    require_staff,
)
from storefront.domain.status_labels import certificate_status_label
from storefront.extensions import db
from storefront.models import (
    Certificate,
    CertificateStatus,
    Cooperative,
    CooperativeMember,
    Listing,
    PendingApproval,
    User,
    utcnow,
)

# Certificates of this many stars (the national level) are verified by two staff members.
SECOND_REVIEW_STARS = 5

# What a decision writes to clear a first approval (it is kept in the audit trail).
_NO_FIRST_APPROVAL: dict[str, Any] = {
    "pending_approval": None,
    "first_approved_by_id": None,
    "first_approved_at": None,
    "first_approval_reason": "",
}


def needs_second_reviewer(stars: int) -> bool:
    """Whether verifying a certificate of this many stars takes two different staff members."""
    return stars >= SECOND_REVIEW_STARS


# --- verification -----------------------------------------------------------------------------


def verify_certificate(certificate_id: int, actor: User) -> Certificate:
    """Verify a submitted certificate, checked against the official decision.

    Below five stars this is the decision. A 5-star certificate needs two different staff
    members: this records the first approval (the certificate stays submitted and off sale)
    and confirm_verification, by someone else, verifies it.
    """
    require_staff(actor)
    with unit_of_work() as unit:
        cert = _load_for_decision(certificate_id)
        seen = _expect(cert, actor, CertificateStatus.SUBMITTED)
        _refuse_if_expired(cert)
        if needs_second_reviewer(cert.stars):
            if cert.pending_approval is not None:
                raise _already_approved(cert, actor)
            _give_first_approval(cert, seen, actor, PendingApproval.VERIFY, reason="")
            record_decision(
                actor=actor,
                action="certificate.first_approval",
                subject=cert,
                from_status=seen.status.value,
                to_status=seen.status.value,
                data={"awaits": PendingApproval.VERIFY.value},
            )
        else:
            _guarded_change(cert.id, seen, status=CertificateStatus.VERIFIED, status_reason="")
            _record(actor, "certificate.verify", cert, seen, CertificateStatus.VERIFIED)
            queue_notices(unit, [_decision_notice(cert, "verified", "")])
    return _reloaded(certificate_id)


def confirm_verification(certificate_id: int, actor: User) -> Certificate:
    """The second approval of a 5-star certificate: verified, by a staff member other than the
    first approver (SecondReviewerRequired otherwise); the cooperative is told."""
    require_staff(actor)
    with unit_of_work() as unit:
        cert = _load_for_decision(certificate_id)
        seen = _expect(cert, actor, CertificateStatus.SUBMITTED)
        first = _first_approval(cert, PendingApproval.VERIFY, actor)
        _refuse_if_expired(cert)
        _guarded_change(
            cert.id, seen, status=CertificateStatus.VERIFIED, status_reason="", **_NO_FIRST_APPROVAL
        )
        _record(
            actor,
            "certificate.verify",
            cert,
            seen,
            CertificateStatus.VERIFIED,
            data={"first_approval": first},
        )
        queue_notices(unit, [_decision_notice(cert, "verified", "")])
    return _reloaded(certificate_id)


def reject_certificate(certificate_id: int, actor: User, reason: str) -> Certificate:
    """Refuse a submitted certificate; the reason is required and sent to the cooperative.
    Any staff member may, also after a first approval (which it voids)."""
    require_staff(actor)
    reason = clean_reason(reason, required=True)
    with unit_of_work() as unit:
        cert = _load_for_decision(certificate_id)
        seen = _expect(cert, actor, CertificateStatus.SUBMITTED)
        voided = _approval_record(cert) if cert.pending_approval is not None else None
        _guarded_change(
            cert.id,
            seen,
            status=CertificateStatus.REJECTED,
            status_reason=reason,
            **_NO_FIRST_APPROVAL,
        )
        _record(
            actor,
            "certificate.reject",
            cert,
            seen,
            CertificateStatus.REJECTED,
            reason=reason,
            data={"voided_first_approval": voided} if voided else None,
        )
        queue_notices(unit, [_decision_notice(cert, "rejected", reason)])
    return _reloaded(certificate_id)


def revoke_certificate(certificate_id: int, actor: User, reason: str) -> Certificate:
    """Withdraw a verified certificate: its listing stops being public with this commit."""
    require_staff(actor)
    reason = clean_reason(reason, required=True)
    with unit_of_work() as unit:
        cert = _load_for_decision(certificate_id)
        seen = _expect(cert, actor, CertificateStatus.VERIFIED)
        _guarded_change(cert.id, seen, status=CertificateStatus.REVOKED, status_reason=reason)
        _record(actor, "certificate.revoke", cert, seen, CertificateStatus.REVOKED, reason=reason)
        queue_notices(unit, [_decision_notice(cert, "revoked", reason)])
    return _reloaded(certificate_id)


# --- reinstatement ----------------------------------------------------------------------------


def propose_reinstatement(certificate_id: int, actor: User, reason: str) -> Certificate:
    """The first approval of a revoked certificate's reinstatement (reason required, sent to the
    cooperative once confirmed). It stays revoked until another staff member confirms; an
    expired certificate cannot be reinstated (the cooperative submits the renewed one)."""
    require_staff(actor)
    reason = clean_reason(reason, required=True)
    with unit_of_work():
        cert = _load_for_decision(certificate_id)
        seen = _expect(cert, actor, CertificateStatus.REVOKED)
        if cert.pending_approval is not None:
            raise _already_approved(cert, actor)
        _refuse_if_expired(cert)
        _give_first_approval(cert, seen, actor, PendingApproval.REINSTATE, reason=reason)
        record_decision(
            actor=actor,
            action="certificate.reinstate_proposal",
            subject=cert,
            from_status=seen.status.value,
            to_status=seen.status.value,
            reason=reason,
            data={"awaits": PendingApproval.REINSTATE.value},
        )
    return _reloaded(certificate_id)


def confirm_reinstatement(certificate_id: int, actor: User) -> Certificate:
    """The second approval of a reinstatement, by a staff member other than the one who
    proposed it: the certificate is verified again and its listings public again (if nothing
    else hides them); the cooperative is told, with the proposal's reason."""
    require_staff(actor)
    with unit_of_work() as unit:
        cert = _load_for_decision(certificate_id)
        seen = _expect(cert, actor, CertificateStatus.REVOKED)
        first = _first_approval(cert, PendingApproval.REINSTATE, actor)
        _refuse_if_expired(cert)
        reason = cert.first_approval_reason
        _guarded_change(
            cert.id,
            seen,
            status=CertificateStatus.VERIFIED,
            status_reason=reason,
            **_NO_FIRST_APPROVAL,
        )
        _record(
            actor,
            "certificate.reinstate",
            cert,
            seen,
            CertificateStatus.VERIFIED,
            reason=reason,
            data={"first_approval": first},
        )
        queue_notices(unit, [_decision_notice(cert, "reinstated", reason)])
    return _reloaded(certificate_id)


def decline_reinstatement(certificate_id: int, actor: User, reason: str = "") -> Certificate:
    """Turn down a proposed reinstatement (or withdraw one's own): the certificate stays revoked
    and the proposal is void. Internal to the Farmers' Association: no e-mail."""
    require_staff(actor)
    reason = clean_reason(reason, required=False)
    with unit_of_work():
        cert = _load_for_decision(certificate_id)
        seen = _expect(cert, actor, CertificateStatus.REVOKED)
        if cert.pending_approval is not PendingApproval.REINSTATE:
            raise _nothing_to_confirm()
        first = _approval_record(cert)
        _guarded_change(cert.id, seen, **_NO_FIRST_APPROVAL)
        record_decision(
            actor=actor,
            action="certificate.reinstate_decline",
            subject=cert,
            from_status=seen.status.value,
            to_status=seen.status.value,
            reason=reason,
            data={"first_approval": first},
        )
    return _reloaded(certificate_id)


# --- what a decision would do, before staff confirm it ----------------------------------------

# Why a listing stays off sale, in the words of the console's listing states.
_HIDDEN_BECAUSE = {
    HiddenReason.COOPERATIVE_NOT_APPROVED: "cooperative",
    HiddenReason.NO_CERTIFICATE: "certificate",
    HiddenReason.CERTIFICATE_SUBMITTED: "certificate",
    HiddenReason.CERTIFICATE_REJECTED: "certificate",
    HiddenReason.CERTIFICATE_REVOKED: "certificate",
    HiddenReason.CERTIFICATE_EXPIRED: "certificate",
    HiddenReason.LISTING_DRAFT: "inactive",
    HiddenReason.LISTING_PAUSED: "inactive",
    HiddenReason.LISTING_ARCHIVED: "inactive",
    HiddenReason.NO_PACKAGE: "sold_out",
    HiddenReason.SOLD_OUT: "sold_out",
}
_CERTIFICATE_STATE = {
    HiddenReason.CERTIFICATE_SUBMITTED,
    HiddenReason.CERTIFICATE_REJECTED,
    HiddenReason.CERTIFICATE_REVOKED,
}


class Step(enum.StrEnum):
    """A decision that asks for a confirmation before it is made."""

    VERIFY = "verify"  # below five stars: verified at once
    FIRST_APPROVAL = "first_approval"  # a 5-star certificate's first approval
    SECOND_APPROVAL = "second_approval"  # ... and its confirmation, which verifies it
    REVOKE = "revoke"


@dataclass
class DecisionPreview:
    """What a verification or revocation would do, read (nothing changed) for the page where
    staff confirm it: the listings that go on sale or off sale with it, and those that stay
    hidden for another reason (a key of the console's listing states: "cooperative",
    "certificate", "inactive", "sold_out")."""

    certificate: Certificate
    step: Step
    reason: str = ""
    goes_public: list[Listing] = field(default_factory=list)
    goes_hidden: list[Listing] = field(default_factory=list)
    stays_hidden: list[tuple[Listing, str]] = field(default_factory=list)


def preview_decision(
    certificate_id: int, actor: User, decision: str, reason: str = ""
) -> DecisionPreview:
    """The confirmation step of `decision` ("verify", "confirm" — the second approval — or
    "revoke"): the same refusals as the decision itself (not staff, not independent, already
    decided, expired, the two-person rule, a missing reason), raised now so nobody confirms a
    decision that cannot be made; nothing is written."""
    require_staff(actor)
    if decision == "revoke":
        reason = clean_reason(reason, required=True)
    cert = _load_for_decision(certificate_id)
    if decision == "revoke":
        _expect(cert, actor, CertificateStatus.VERIFIED)
        step = Step.REVOKE
    else:
        _expect(cert, actor, CertificateStatus.SUBMITTED)
        if decision == "confirm":
            _first_approval(cert, PendingApproval.VERIFY, actor)
            step = Step.SECOND_APPROVAL
        elif needs_second_reviewer(cert.stars):
            if cert.pending_approval is not None:
                raise _already_approved(cert, actor)
            step = Step.FIRST_APPROVAL
        else:
            step = Step.VERIFY
        _refuse_if_expired(cert)
    preview = DecisionPreview(certificate=cert, step=step, reason=reason)
    listings = list(
        db.session.scalars(
            select(Listing)
            .where(Listing.certificate_id == cert.id)
            .options(joinedload(Listing.cooperative), selectinload(Listing.packages))
            .order_by(Listing.name, Listing.id)
        ).unique()
    )
    public = public_listing_ids([listing.id for listing in listings])
    today = clock.today()
    for listing in listings:
        if step is Step.REVOKE:
            if listing.id in public:
                preview.goes_hidden.append(listing)
            else:
                preview.stays_hidden.append((listing, _hidden_because(listing, today)))
            continue
        # Verified, would it be public? Every condition but the certificate's state.
        others = [r for r in hidden_reasons(listing, today) if r not in _CERTIFICATE_STATE]
        if others:
            preview.stays_hidden.append((listing, _HIDDEN_BECAUSE[others[0]]))
        else:
            preview.goes_public.append(listing)
    return preview


def _hidden_because(listing: Listing, today: date) -> str:
    reasons = hidden_reasons(listing, today)
    return _HIDDEN_BECAUSE[reasons[0]] if reasons else "certificate"


# --- the guarded change -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Seen:
    """What a decision read of the certificate: its status and any first approval. The guarded
    UPDATE matches only a row still like this, so no decision acts on a certificate that
    changed since it was read."""

    status: CertificateStatus
    pending: PendingApproval | None
    by_id: int | None
    at: datetime | None

    def where(self) -> list[ColumnElement[bool]]:
        clauses = [Certificate.status == self.status]
        if self.pending is None:
            clauses.append(Certificate.pending_approval.is_(None))
        else:
            clauses += [
                Certificate.pending_approval == self.pending,
                Certificate.first_approved_by_id == self.by_id,
                Certificate.first_approved_at == self.at,
            ]
        return clauses


def _guarded_change(certificate_id: int, seen: _Seen, **values: Any) -> None:
    """`UPDATE certificates SET ... WHERE id = :id AND <still as seen>`, or raise AlreadyDecided.

    As in storefront.domain.decisions.guarded_status_change: when two staff members act on the
    same certificate at once (two confirmations, a confirmation and a rejection, two first
    approvals, a confirmation and the cooperative's edit), the database lets exactly one
    UPDATE match; the other learns it lost from the row count and changes nothing. Never
    commits: the caller's unit of work does.
    """
    result = db.session.execute(
        update(Certificate)
        .where(Certificate.id == certificate_id, *seen.where())
        .values(updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    if rows_matched(result) == 1:
        return
    db.session.rollback()
    current = db.session.scalar(select(Certificate.status).where(Certificate.id == certificate_id))
    if current is not seen.status:
        raise already_decided(current, certificate_status_label)
    raise AlreadyDecided(
        _l(
            "Someone has just approved this certificate, confirmed or voided an approval of it, "
            "or the cooperative changed it. Nothing was changed; please look at it again."
        ),
        status=current.value if current is not None else None,
    )


def _expect(cert: Certificate, actor: User, status: CertificateStatus) -> _Seen:
    """Refuse a decision by someone not independent of the cooperative, or on a certificate
    not in `status`; what was read, for the guarded UPDATE."""
    require_independent(actor, cert.cooperative_id)
    if cert.status is not status:
        raise already_decided(cert.status, certificate_status_label)
    return _Seen(
        cert.status, cert.pending_approval, cert.first_approved_by_id, cert.first_approved_at
    )


def _give_first_approval(
    cert: Certificate, seen: _Seen, actor: User, kind: PendingApproval, *, reason: str
) -> None:
    _guarded_change(
        cert.id,
        seen,
        pending_approval=kind,
        first_approved_by_id=actor.id,
        first_approved_at=utcnow(),
        first_approval_reason=reason,
    )


def _first_approval(cert: Certificate, kind: PendingApproval, actor: User) -> dict[str, Any]:
    """The first approval `actor` is about to confirm, as the audit trail keeps it; refused
    when there is none, or when `actor` gave it."""
    if cert.pending_approval is not kind:
        raise _nothing_to_confirm()
    if cert.first_approved_by_id == actor.id:
        raise _same_person(kind)
    return _approval_record(cert)


def _approval_record(cert: Certificate) -> dict[str, Any]:
    """Who gave the first approval and when, with their name as it was (for the audit trail)."""
    approver = cert.first_approved_by
    at = cert.first_approved_at
    return {
        "kind": cert.pending_approval.value if cert.pending_approval else None,
        "by_id": cert.first_approved_by_id,
        "by": (approver.name or approver.email) if approver is not None else "",
        "at": at.isoformat() if at is not None else None,
        "reason": cert.first_approval_reason,
    }


def _same_person(kind: PendingApproval) -> SecondReviewerRequired:
    if kind is PendingApproval.REINSTATE:
        return SecondReviewerRequired(
            _l(
                "You proposed this reinstatement: a second, different Farmers' Association staff "
                "member must confirm it. Nothing was changed."
            )
        )
    return SecondReviewerRequired(
        _l(
            "You gave the first approval of this 5-star certificate: a second, different "
            "Farmers' Association staff member must confirm it. Nothing was changed."
        )
    )


def _already_approved(cert: Certificate, actor: User) -> SecondReviewerRequired | AlreadyDecided:
    """A first approval asked for twice: by its giver (refused, 403) or by someone else (who
    should confirm it instead, after looking at it again)."""
    assert cert.pending_approval is not None
    if cert.first_approved_by_id == actor.id:
        return _same_person(cert.pending_approval)
    return AlreadyDecided(
        _l(
            "Another staff member has already given the first approval. Nothing was changed; "
            "please look at it again and confirm it or turn it down."
        ),
        status=cert.status.value,
    )


def _nothing_to_confirm() -> AlreadyDecided:
    return AlreadyDecided(
        _l(
            "There is no first approval waiting to be confirmed: it was never given, or a "
            "decision or a change voided it. Nothing was changed; please look at it again."
        )
    )


def _refuse_if_expired(cert: Certificate) -> None:
    if not cert.is_expired(clock.today()):
        return
    if cert.status is CertificateStatus.REVOKED:
        raise CertificateExpired(
            _l(
                "This certificate has expired and cannot be reinstated: the cooperative submits "
                "the renewed one."
            )
        )
    raise CertificateExpired(
        _l(
            "This certificate has already expired: reject it, or ask the cooperative "
            "for the renewed one."
        )
    )


def _record(
    actor: User,
    action: str,
    cert: Certificate,
    seen: _Seen,
    new: CertificateStatus,
    *,
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> None:
    record_decision(
        actor=actor,
        action=action,
        subject=cert,
        from_status=seen.status.value,
        to_status=new.value,
        reason=reason,
        data=data,
    )


def _load_for_decision(certificate_id: int) -> Certificate:
    """The certificate with what the e-mail needs (cooperative, its owners) and who gave a
    first approval."""
    cert = db.session.get(
        Certificate,
        certificate_id,
        options=[
            joinedload(Certificate.cooperative)
            .selectinload(Cooperative.members)
            .joinedload(CooperativeMember.user),
            joinedload(Certificate.first_approved_by),
        ],
        populate_existing=True,
    )
    if cert is None:
        raise NotFound(_l("There is no such certificate."))
    return cert


def _reloaded(certificate_id: int) -> Certificate:
    return db.session.get_one(Certificate, certificate_id, populate_existing=True)


# --- the cooperative's e-mail -----------------------------------------------------------------


def _decision_subject(decision: str, number: str) -> LazyString:
    if decision == "verified":
        return _l("Your OCOP certificate %(number)s is verified", number=number)
    if decision == "rejected":
        return _l("Your OCOP certificate %(number)s was not accepted", number=number)
    if decision == "reinstated":
        return _l("Your OCOP certificate %(number)s has been reinstated", number=number)
    return _l("Your OCOP certificate %(number)s has been revoked", number=number)


def _decision_notice(cert: Certificate, decision: str, reason: str) -> Notice:
    """`decision`: "verified", "rejected", "revoked" or "reinstated"."""
    coop = cert.cooperative
    return Notice(
        to=cooperative_recipients(coop),
        locale=coop.locale or "vi",
        subject=_decision_subject(decision, cert.number),
        template="pfa_certificate_decision",
        context={
            "decision": decision,
            "cooperative_name": coop.legal_name,
            "number": cert.number,
            "product_name": cert.product_name,
            "stars": cert.stars,
            "expires_on": cert.expires_on,
            "reason": reason,
            "verify_url": verification_url(cert.number),
        },
    )
