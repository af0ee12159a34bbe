"""Certificate decisions by PFA staff (verify, reject, revoke) and expiry reminders.

Every decision is one unit of work: a guarded status change plus its audit event, committed
once; the cooperative's e-mail goes out after the commit, in the cooperative's language.
The search index follows on its own (storefront.search.sync re-indexes after the commit).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask import current_app, url_for
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from werkzeug.routing import BuildError

from storefront.core.errors import CertificateExpired, NotFound
from storefront.domain.audit import record_decision
from storefront.domain.catalog.visibility import shop_today
from storefront.domain.decisions import (
    Notice,
    already_decided,
    clean_reason,
    cooperative_recipients,
    guarded_status_change,
    require_staff,
    send_notices,
)
from storefront.extensions import db
from storefront.models import (
    Certificate,
    CertificateReminder,
    CertificateStatus,
    Cooperative,
    CooperativeMember,
    User,
    utcnow,
)

logger = logging.getLogger(__name__)

# Expiry reminders go out this many days before a certificate expires, once each.
REMINDER_DAYS = (60, 30)


def certificate_status_label(status: CertificateStatus | str | None) -> str:
    """The status in words, as the seller workspace says it (one word per concept)."""
    from storefront.domain.certificates.submissions import CERTIFICATE_STATUS_LABELS

    try:
        return str(CERTIFICATE_STATUS_LABELS[CertificateStatus(status or "")])
    except ValueError:
        return str(status or "")


def _external_url(endpoint: str, **values: Any) -> str | None:
    """An absolute URL (SERVER_NAME and PREFERRED_URL_SCHEME when set); None where none can be
    built, as in a cron job on a config without SERVER_NAME."""
    try:
        return url_for(
            endpoint,
            _external=True,
            _scheme=current_app.config.get("PREFERRED_URL_SCHEME") or "http",
            **values,
        )
    except (BuildError, RuntimeError):
        return None


def verification_url(number: str) -> str | None:
    """The public verification page of a certificate, absolute (for QR codes and e-mails).

    Uses SERVER_NAME and PREFERRED_URL_SCHEME when set; outside a request without
    SERVER_NAME (a cron job on a bare config) there is no address to give: None.
    """
    return _external_url("verify.certificate", number=number)


# --- decisions ------------------------------------------------------------------------------


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
    try:
        cert = _load_for_decision(certificate_id)
        if cert.status is not expected:
            raise already_decided(cert.status, certificate_status_label)
        if new is CertificateStatus.VERIFIED and cert.is_expired(shop_today()):
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
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    send_notices([notice])
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


# --- expiry reminders -----------------------------------------------------------------------


@dataclass
class ReminderRun:
    """What one `flask certificates remind` run did."""

    claimed: list[tuple[int, int]] = field(default_factory=list)  # (certificate id, days)
    sent: int = 0
    failed: int = 0


def due_reminders(today: date) -> list[tuple[Certificate, int]]:
    """Verified certificates now inside a reminder window whose reminder was never claimed.

    The window is the smallest threshold the expiry has crossed: 45 days before → the 60-day
    reminder; 20 days before → the 30-day one (a late start sends the one that still matters,
    not both).
    """
    horizon = today + timedelta(days=max(REMINDER_DAYS))
    found = db.session.scalars(
        select(Certificate)
        .where(
            Certificate.status == CertificateStatus.VERIFIED,
            Certificate.expires_on >= today,
            Certificate.expires_on <= horizon,
        )
        .options(
            joinedload(Certificate.cooperative)
            .selectinload(Cooperative.members)
            .joinedload(CooperativeMember.user),
            joinedload(Certificate.listing),
        )
        .order_by(Certificate.expires_on, Certificate.id)
    ).unique()
    certs = list(found)
    claimed = set(
        db.session.execute(
            select(CertificateReminder.certificate_id, CertificateReminder.days_before).where(
                CertificateReminder.certificate_id.in_([c.id for c in certs])
            )
        ).all()
    ) if certs else set()
    due = []
    for cert in certs:
        days_left = (cert.expires_on - today).days
        threshold = min(d for d in REMINDER_DAYS if days_left <= d)
        if (cert.id, threshold) not in claimed:
            due.append((cert, threshold))
    return due


def send_expiry_reminders(today: date | None = None) -> ReminderRun:
    """E-mail cooperatives 60 and 30 days before a certificate expires, once each.

    Safe to run from cron every hour, and twice at once. The choice is **at most once**:
    each reminder is first *claimed* — a row in certificate_reminders, unique per
    (certificate, days before) — and committed; only then is the e-mail sent, outside any
    transaction. Two overlapping runs cannot both claim the same reminder (the second's
    INSERT hits the unique key), so nobody gets it twice. If the send raises, the claim is
    released (deleted) and the next run retries: an error we saw is not a lost reminder. If
    the process dies between the claim and the send, the claim stays with `sent_at` empty
    and that one reminder is lost rather than risk a duplicate; the expiries page in the PFA
    console still lists the certificate, and the other reminder still comes.
    """
    today = today or shop_today()
    run = ReminderRun()
    notices: list[tuple[int, int, Notice]] = []
    try:
        for cert, days in due_reminders(today):
            try:
                with db.session.begin_nested():
                    db.session.add(
                        CertificateReminder(
                            certificate_id=cert.id, days_before=days, expires_on=cert.expires_on
                        )
                    )
            except IntegrityError:
                continue  # another run claimed it first
            run.claimed.append((cert.id, days))
            notices.append((cert.id, days, _reminder_notice(cert, days, today)))
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise

    sent: list[tuple[int, int]] = []
    failed: list[tuple[int, int]] = []
    for cert_id, days, notice in notices:
        (sent if send_notices_strict(notice) else failed).append((cert_id, days))
    run.sent, run.failed = len(sent), len(failed)
    if sent or failed:
        try:
            for cert_id, days in sent:
                db.session.execute(
                    update(CertificateReminder)
                    .where(
                        CertificateReminder.certificate_id == cert_id,
                        CertificateReminder.days_before == days,
                    )
                    .values(sent_at=utcnow())
                )
            for cert_id, days in failed:
                db.session.execute(
                    delete(CertificateReminder).where(
                        CertificateReminder.certificate_id == cert_id,
                        CertificateReminder.days_before == days,
                    )
                )
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
    return run


def send_notices_strict(notice: Notice) -> bool:
    """Send one notice to all its recipients; False when any send failed (or none to send)."""
    if not notice.to:
        logger.warning("no e-mail address for %s", notice.context.get("cooperative_name"))
        return False
    return send_notices([notice]) == len(notice.to)


def _reminder_notice(cert: Certificate, days: int, today: date) -> Notice:
    coop = cert.cooperative
    return Notice(
        to=cooperative_recipients(coop),
        locale=coop.locale or "vi",
        subject=_l("Your OCOP certificate %(number)s expires in %(days)d days",
                   number=cert.number, days=(cert.expires_on - today).days),
        template="pfa_certificate_expiry",
        context={
            "cooperative_name": coop.legal_name,
            "number": cert.number,
            "product_name": cert.product_name,
            "stars": cert.stars,
            "expires_on": cert.expires_on,
            "days_left": (cert.expires_on - today).days,
            "days_before": days,
            "listing_name": cert.listing.name if cert.listing is not None else "",
            "workspace_url": _external_url("seller.dashboard"),
        },
    )



# --- the cooperative's print label ----------------------------------------------------------


def certificate_for_label(certificate_id: int, viewer: User | None) -> Certificate:
    """A certificate of the viewer's cooperative, valid today, for its printed QR label.

    NotFound unless the viewer is a member of the certificate's cooperative (a stranger must
    not learn that the id exists); CertificateNotVerified / CertificateExpired when a label
    would send buyers to a page that does not say VALID.
    """
    from storefront.core.errors import CertificateNotVerified
    from storefront.domain.cooperatives.applications import is_member

    cert = db.session.get(
        Certificate, certificate_id, options=[joinedload(Certificate.cooperative)]
    )
    if cert is None or not is_member(viewer, cert.cooperative_id):
        raise NotFound(_l("There is no such certificate."))
    if cert.status is not CertificateStatus.VERIFIED:
        raise CertificateNotVerified(
            _l("The label becomes available once the Farmers' Association has verified the "
               "certificate.")
        )
    if cert.is_expired(shop_today()):
        raise CertificateExpired(
            _l("This certificate has expired: submit the renewed one to get a new label.")
        )
    return cert
