"""Certificate decisions by PFA staff: verify, reject, revoke (reminders: reminders.py).

Every decision is one unit of work: a guarded status change plus its audit event, committed
once; the cooperative's e-mail goes out after the commit, in the cooperative's language.
The search index follows on its own (storefront.domain.catalog.changes, after the commit).
"""

from __future__ import annotations

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from storefront.core import clock
from storefront.core.db import unit_of_work
from storefront.core.errors import CertificateExpired, NotFound
from storefront.domain.audit import record_decision
from storefront.domain.certificates.labels import verification_url
from storefront.domain.decisions import (
    Notice,
    already_decided,
    clean_reason,
    cooperative_recipients,
    guarded_status_change,
    require_independent,
    require_staff,
    send_notices,
)
from storefront.domain.status_labels import certificate_status_label
from storefront.extensions import db
from storefront.models import (
    Certificate,
    CertificateStatus,
    Cooperative,
    CooperativeMember,
    User,
)


def verify_certificate(certificate_id: int, actor: User) -> Certificate:
    """Mark a submitted certificate as checked against the official decision."""
    return _decide(
        certificate_id,
        actor,
        action="certificate.verify",
        expected=CertificateStatus.SUBMITTED,
        new=CertificateStatus.VERIFIED,
        reason="",
        reason_required=False,
    )


def reject_certificate(certificate_id: int, actor: User, reason: str) -> Certificate:
    """Refuse a submitted certificate; the reason is required and sent to the cooperative."""
    return _decide(
        certificate_id,
        actor,
        action="certificate.reject",
        expected=CertificateStatus.SUBMITTED,
        new=CertificateStatus.REJECTED,
        reason=reason,
        reason_required=True,
    )


def revoke_certificate(certificate_id: int, actor: User, reason: str) -> Certificate:
    """Withdraw a verified certificate: its listing stops being public with this commit."""
    return _decide(
        certificate_id,
        actor,
        action="certificate.revoke",
        expected=CertificateStatus.VERIFIED,
        new=CertificateStatus.REVOKED,
        reason=reason,
        reason_required=True,
    )


def _load_for_decision(certificate_id: int) -> Certificate:
    """The certificate with what the e-mail needs (cooperative, its owners)."""
    cert = db.session.get(
        Certificate,
        certificate_id,
        options=[
            joinedload(Certificate.cooperative)
            .selectinload(Cooperative.members)
            .joinedload(CooperativeMember.user)
        ],
        populate_existing=True,
    )
    if cert is None:
        raise NotFound(_l("There is no such certificate."))
    return cert


def _decide(
    certificate_id: int,
    actor: User,
    *,
    action: str,
    expected: CertificateStatus,
    new: CertificateStatus,
    reason: str,
    reason_required: bool,
) -> Certificate:
    require_staff(actor)
    reason = clean_reason(reason, required=reason_required)
    with unit_of_work() as unit:
        cert = _load_for_decision(certificate_id)
        require_independent(actor, cert.cooperative_id)
        if cert.status is not expected:
            raise already_decided(cert.status, certificate_status_label)
        if new is CertificateStatus.VERIFIED and cert.is_expired(clock.today()):
            raise CertificateExpired(
                _l("This certificate has already expired: reject it, or ask the cooperative "
                   "for the renewed one.")
            )
        notice = _decision_notice(cert, new, reason)
        guarded_status_change(
            Certificate, cert.id, expected, new, reason=reason, label=certificate_status_label
        )
        record_decision(
            actor=actor,
            action=action,
            subject=cert,
            from_status=expected.value,
            to_status=new.value,
            reason=reason,
        )
        unit.on_commit(send_notices, [notice])
    return db.session.get_one(Certificate, certificate_id, populate_existing=True)


def _decision_subject(new: CertificateStatus, number: str) -> LazyString:
    if new is CertificateStatus.VERIFIED:
        return _l("Your OCOP certificate %(number)s is verified", number=number)
    if new is CertificateStatus.REJECTED:
        return _l("Your OCOP certificate %(number)s was not accepted", number=number)
    return _l("Your OCOP certificate %(number)s has been revoked", number=number)


def _decision_notice(cert: Certificate, new: CertificateStatus, reason: str) -> Notice:
    coop = cert.cooperative
    return Notice(
        to=cooperative_recipients(coop),
        locale=coop.locale or "vi",
        subject=_decision_subject(new, cert.number),
        template="pfa_certificate_decision",
        context={
            "decision": new.value,
            "cooperative_name": coop.legal_name,
            "number": cert.number,
            "product_name": cert.product_name,
            "stars": cert.stars,
            "expires_on": cert.expires_on,
            "reason": reason,
            "verify_url": verification_url(cert.number),
        },
    )
