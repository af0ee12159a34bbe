"""Expiry reminders: e-mail a cooperative 60 and 30 days before its certificate expires."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from storefront.core import clock
from storefront.core.db import unit_of_work
from storefront.core.urls import external_url
from storefront.domain.decisions import (
    Notice,
    cooperative_recipients,
    send_notices,
)
from storefront.extensions import db
from storefront.models import (
    Certificate,
    CertificateReminder,
    CertificateStatus,
    Cooperative,
    CooperativeMember,
    utcnow,
)

logger = logging.getLogger(__name__)

# Expiry reminders go out this many days before a certificate expires, once each.
REMINDER_DAYS = (60, 30)


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
    rows = db.session.scalars(
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
    certs = list(rows)
    claimed = (
        set(
            db.session.execute(
                select(CertificateReminder.certificate_id, CertificateReminder.days_before).where(
                    CertificateReminder.certificate_id.in_([c.id for c in certs])
                )
            ).all()
        )
        if certs
        else set()
    )
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
    today = today or clock.today()
    run = ReminderRun()
    notices: list[tuple[int, int, Notice]] = []
    # The claims, committed before any e-mail goes out.
    with unit_of_work():
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

    sent: list[tuple[int, int]] = []
    failed: list[tuple[int, int]] = []
    for cert_id, days, notice in notices:
        (sent if send_notices_strict(notice) else failed).append((cert_id, days))
    run.sent, run.failed = len(sent), len(failed)
    if sent or failed:
        # What became of each claim: sent, or released for the next run.
        with unit_of_work():
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
        subject=_l(
            "Your OCOP certificate %(number)s expires in %(days)d days",
            number=cert.number,
            days=(cert.expires_on - today).days,
        ),
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
            "workspace_url": external_url("seller.dashboard"),
        },
    )
