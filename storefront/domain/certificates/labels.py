"""The cooperative's printed QR label: which certificate may have one, and where it points."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from storefront.core import clock
from storefront.core.errors import CertificateExpired, CertificateNotVerified, NotFound
from storefront.core.urls import external_url
from storefront.domain.cooperatives.members import is_member
from storefront.extensions import db
from storefront.models import (
    Certificate,
    CertificateStatus,
    User,
)


def verification_url(number: str) -> str:
    """The public verification page of a certificate at PUBLIC_BASE_URL (for QR codes, labels
    and e-mails), whatever host the request came in on."""
    return external_url("verify.certificate", number=number)


def has_label(cert: Certificate | None, today: date | None = None) -> bool:
    """Whether `cert` may have a printed label now: verified and not expired (as
    certificate_for_label requires), so that the workspace links only to labels that print."""
    return cert is not None and cert.is_valid(today or clock.today())


def certificate_for_label(certificate_id: int, viewer: User | None) -> Certificate:
    """A certificate of the viewer's cooperative, valid today, for its printed QR label.

    NotFound unless the viewer is a member of the certificate's cooperative (a stranger must
    not learn that the id exists); CertificateNotVerified / CertificateExpired when a label
    would send buyers to a page that does not say VALID.
    """
    cert = db.session.get(
        Certificate, certificate_id, options=[joinedload(Certificate.cooperative)]
    )
    if cert is None or not is_member(viewer, cert.cooperative_id):
        raise NotFound(_l("There is no such certificate."))
    if cert.status is not CertificateStatus.VERIFIED:
        raise CertificateNotVerified(
            _l(
                "The label becomes available once the Farmers' Association has verified the "
                "certificate."
            )
        )
    if cert.is_expired(clock.today()):
        raise CertificateExpired(
            _l("This certificate has expired: submit the renewed one to get a new label.")
        )
    return cert
