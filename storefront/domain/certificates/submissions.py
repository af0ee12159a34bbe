"""OCOP certificates from the cooperative's side: submitting one with its scan, correcting and
resending it, and the scans themselves, which only the cooperative's members and PFA staff see.

PFA staff decide (verify, reject, revoke) elsewhere; here a certificate only ever moves back to
`submitted`, and each such move is written to the audit trail in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from storefront.core import clock
from storefront.core.db import unit_of_work
from storefront.core.errors import InvalidInput, InvalidTransition, InvalidUpload, NotFound
from storefront.core.files import (
    Upload,
    delete_scan,
    prepare_scan,
    scan_mimetype,
    scan_path,
    store_scan,
)
from storefront.core.text import slugify
from storefront.domain.audit import record_decision
from storefront.domain.catalog.listings import attach_certificate, get_listing, require_member
from storefront.domain.cooperatives.members import is_member
from storefront.extensions import db
from storefront.models import Certificate, CertificateStatus, Listing, User, default_expiry, limits

# What PFA staff checked against the official decision: changing any of these (or the scan)
# on a verified certificate sends it back to them.
CERTIFIED_FIELDS = (
    "number",
    "stars",
    "product_name",
    "issuing_authority",
    "issued_on",
    "expires_on",
)


@dataclass
class CertificateInput:
    number: str
    stars: int
    product_name: str
    issuing_authority: str
    issued_on: date | None  # None when not given: refused with a message
    expires_on: date | None = None  # None: 36 months after issue, as OCOP recognition lasts


@dataclass(frozen=True)
class ScanFile:
    path: Path
    mimetype: str
    download_name: str


def get_certificate(
    certificate_id: int, cooperative_id: int, *, for_update: bool = False
) -> Certificate:
    """The cooperative's certificate, or NotFound (also for another cooperative's)."""
    stmt = select(Certificate).where(
        Certificate.id == certificate_id, Certificate.cooperative_id == cooperative_id
    )
    if for_update:
        # Re-read under the lock even if loaded before: PFA staff may just have decided.
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    cert = db.session.scalar(stmt)
    if cert is None:
        raise NotFound(_("There is no such certificate in your shop."))
    return cert


def certificates_of(cooperative_id: int) -> list[Certificate]:
    return list(
        db.session.scalars(
            select(Certificate)
            .where(Certificate.cooperative_id == cooperative_id)
            .options(selectinload(Certificate.listing))
            .order_by(Certificate.created_at.desc(), Certificate.id.desc())
        )
    )


def _clean(data: CertificateInput, today: date, certificate_id: int | None) -> dict[str, Any]:
    number = " ".join((data.number or "").split())
    if not number or len(number) > limits.CERTIFICATE_NUMBER:
        raise InvalidInput(_("Enter the certificate or decision number."), field="number")
    taken = db.session.scalar(
        select(
            exists().where(
                func.lower(Certificate.number) == number.lower(),
                Certificate.id != (certificate_id or 0),
            )
        )
    )
    if taken:
        raise InvalidInput(
            _("A certificate with this number is already registered in the shop."),
            field="number",
        )
    if data.stars not in (3, 4, 5):
        raise InvalidInput(_("An OCOP certificate has 3, 4 or 5 stars."), field="stars")
    product_name = " ".join((data.product_name or "").split())
    if not product_name or len(product_name) > limits.PRODUCT_NAME:
        raise InvalidInput(
            _("Enter the product's name as the certificate writes it."), field="product_name"
        )
    authority = " ".join((data.issuing_authority or "").split())
    if not authority or len(authority) > limits.ISSUING_AUTHORITY:
        raise InvalidInput(_("Enter the authority that issued it."), field="issuing_authority")
    if not isinstance(data.issued_on, date):
        raise InvalidInput(_("Enter the date of the decision."), field="issued_on")
    if data.issued_on > today:
        raise InvalidInput(_("The issue date cannot be in the future."), field="issued_on")
    expires_on = data.expires_on or default_expiry(data.issued_on)
    if expires_on <= data.issued_on:
        raise InvalidInput(_("The expiry date must come after the issue date."), field="expires_on")
    if expires_on < today:
        raise InvalidInput(
            _("This certificate has already expired. Please submit the renewed certificate."),
            field="expires_on",
        )
    return {
        "number": number,
        "stars": data.stars,
        "product_name": product_name,
        "issuing_authority": authority,
        "issued_on": data.issued_on,
        "expires_on": expires_on,
    }


def submit_certificate(
    cooperative_id: int,
    actor: User,
    data: CertificateInput,
    scan: Upload | None,
    *,
    listing_id: int | None = None,
    today: date | None = None,
) -> Certificate:
    """Submit a certificate with its scan for PFA verification; optionally have one of the
    cooperative's listings sold under it. Nothing is stored if any check fails."""
    require_member(actor, cooperative_id)
    today = today or clock.today()
    if scan is None or not scan.filename:
        raise InvalidUpload(_("Attach the scan of the certificate (PDF or photo)."), field="scan")
    values = _clean(data, today, None)
    # Checked, re-encoded and written before the unit opens: image work never holds the
    # database's write lock; the unit deletes the file if it fails.
    scan_filename = store_scan(prepare_scan(scan))

    try:
        with unit_of_work(writer=True) as unit:
            unit.on_rollback(delete_scan, scan_filename)
            cert = Certificate(
                cooperative_id=cooperative_id, status=CertificateStatus.SUBMITTED, **values
            )
            db.session.add(cert)
            if listing_id is not None:
                listing = get_listing(listing_id, cooperative_id, for_update=True)
                db.session.flush()
                attach_certificate(listing, cert)
            cert.scan_filename = scan_filename
            db.session.flush()
            record_decision(
                actor=actor,
                action="certificate.submit",
                subject=cert,
                from_status="",
                to_status=CertificateStatus.SUBMITTED.value,
            )
    except IntegrityError:
        raise _number_taken() from None  # the unit deleted the scan
    except BaseException:
        delete_scan(scan_filename)  # also when the unit failed to open
        raise
    return cert


def _number_taken() -> InvalidInput:
    return InvalidInput(
        _("A certificate with this number is already registered in the shop."),
        field="number",
    )


def update_certificate(
    certificate_id: int,
    cooperative_id: int,
    actor: User,
    data: CertificateInput,
    scan: Upload | None = None,
    *,
    today: date | None = None,
) -> Certificate:
    """Correct a certificate, or resend a rejected one.

    A rejected certificate goes back to `submitted`. A verified one goes back to `submitted`
    when what PFA staff checked changes (number, stars, product name, authority, dates, scan):
    it stops backing public listings until verified again. A submitted one that changes loses
    its first approval (a 5-star verification starts over). Each such move is audited.
    A revoked certificate cannot change: the cooperative submits the new one.
    """
    require_member(actor, cooperative_id)
    today = today or clock.today()
    values = _clean(data, today, certificate_id)
    # As in submit_certificate: written before the unit opens, deleted if it fails.
    new_scan = store_scan(prepare_scan(scan)) if scan is not None and scan.filename else None

    try:
        with unit_of_work(writer=True) as unit:
            unit.on_rollback(delete_scan, new_scan)
            cert = get_certificate(certificate_id, cooperative_id, for_update=True)
            if cert.status is CertificateStatus.REVOKED:
                raise InvalidTransition(
                    _("A revoked certificate cannot be changed. Please submit the new certificate.")
                )
            changed = {
                name: [str(getattr(cert, name)), str(value)]
                for name, value in values.items()
                if getattr(cert, name) != value
            }
            old_scan = cert.scan_filename
            if new_scan is not None:
                cert.scan_filename = new_scan
                unit.on_commit(delete_scan, old_scan)  # only once the new one is committed
                changed["scan"] = ["", ""]
            for name, value in values.items():
                setattr(cert, name, value)
            before = cert.status
            if before is CertificateStatus.REJECTED or (
                before is CertificateStatus.VERIFIED and changed
            ):
                cert.status = CertificateStatus.SUBMITTED
                cert.status_reason = ""
                record_decision(
                    actor=actor,
                    action="certificate.resubmit"
                    if before is CertificateStatus.REJECTED
                    else "certificate.edit",
                    subject=cert,
                    from_status=before.value,
                    to_status=CertificateStatus.SUBMITTED.value,
                    data={"changed": changed},
                )
            elif cert.pending_approval is not None and changed:
                # A first approval (of a 5-star verification) was given to what PFA staff saw:
                # after a change a second reviewer would confirm something nobody approved.
                voided = {
                    "kind": cert.pending_approval.value,
                    "by_id": cert.first_approved_by_id,
                    "at": cert.first_approved_at.isoformat() if cert.first_approved_at else None,
                }
                cert.pending_approval = None
                cert.first_approved_by_id = None
                cert.first_approved_at = None
                cert.first_approval_reason = ""
                record_decision(
                    actor=actor,
                    action="certificate.edit",
                    subject=cert,
                    from_status=before.value,
                    to_status=before.value,
                    data={"changed": changed, "voided_first_approval": voided},
                )
    except IntegrityError:
        raise _number_taken() from None  # the unit deleted the new scan
    except BaseException:
        delete_scan(new_scan)  # also when the unit failed to open
        raise
    return cert


def scan_file(cert: Certificate) -> ScanFile:
    """Where a certificate's scan is on disk, for a view that already checked who asks."""
    if not cert.scan_filename:
        raise NotFound(_("This certificate has no scan."))
    path = scan_path(cert.scan_filename)
    if not path.is_file():
        raise NotFound(_("This certificate has no scan."))
    extension = cert.scan_filename.rsplit(".", 1)[-1]
    name = slugify(cert.number, max_length=60) or "certificate"
    return ScanFile(path, scan_mimetype(cert.scan_filename), f"ocop-{name}.{extension}")


def certificate_scan(certificate_id: int, viewer: User | None) -> ScanFile:
    """A scan for its cooperative's members and PFA staff; NotFound for anyone else."""
    cert = db.session.get(Certificate, certificate_id)
    allowed = cert is not None and (
        (viewer is not None and getattr(viewer, "is_authenticated", False) and viewer.is_pfa_staff)
        or is_member(viewer, cert.cooperative_id)
    )
    if cert is None or not allowed:
        raise NotFound(_("There is no such certificate."))
    return scan_file(cert)


def expiring_certificates(cooperative_id: int, today: date, days: int = 60) -> list[Certificate]:
    """Verified or submitted certificates that expire within `days` — or already expired while a
    listing still uses them — soonest first."""
    return list(
        db.session.scalars(
            select(Certificate)
            .where(
                Certificate.cooperative_id == cooperative_id,
                Certificate.status.in_((CertificateStatus.VERIFIED, CertificateStatus.SUBMITTED)),
                Certificate.expires_on <= today + timedelta(days=days),
                or_(
                    Certificate.expires_on >= today,
                    exists().where(Listing.certificate_id == Certificate.id),
                ),
            )
            .options(selectinload(Certificate.listing))
            .order_by(Certificate.expires_on)
        )
    )
