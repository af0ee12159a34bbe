"""What the public verification pages know about a certificate number.

Only what the Farmers' Association verified is vouched for: a certificate that is verified
and unexpired is VALID; one that was verified and then expired or was revoked says so; a
submitted or rejected one is "not verified by us" and shows nothing else, like an unknown one.
"""

from __future__ import annotations

import enum
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Row, select
from sqlalchemy.orm import joinedload

from storefront.core import clock
from storefront.core.text import fold_diacritics
from storefront.domain.catalog.queries import card_loader_options
from storefront.domain.catalog.visibility import public_listings
from storefront.extensions import db
from storefront.models import AuditEvent, Certificate, CertificateStatus, Cooperative, Listing

# Statuses the public may learn about: those the Farmers' Association vouched for once.
VOUCHED = (CertificateStatus.VERIFIED, CertificateStatus.REVOKED)
SEARCH_LIMIT = 30


class Verdict(enum.StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    REVOKED = "revoked"
    NOT_VERIFIED = "not_verified"  # submitted or rejected: we vouch for nothing
    UNKNOWN = "unknown"


@dataclass
class CertificateCheck:
    number: str  # as asked
    verdict: Verdict
    certificate: Certificate | None = None  # only for VALID, EXPIRED, REVOKED
    origin_listing: Listing | None = None  # the listing it backs, for the origin commune
    public_listings: list[Listing] = field(default_factory=list)
    revoked_at: datetime | None = None

    @property
    def found(self) -> bool:
        return self.certificate is not None


def normalize_number(number: str) -> str:
    """The number as stored: NFC (a phone may send "Đ" decomposed), outer spaces trimmed."""
    return unicodedata.normalize("NFC", number or "").strip()


def fold(text: str) -> str:
    """For comparing what people type: no diacritics (đ → d), lower case, single spaces."""
    return " ".join(fold_diacritics(unicodedata.normalize("NFC", text or "")).lower().split())


def _compact(text: str) -> str:
    """A number folded and without spaces: "1234 / QĐ-UBND" and "1234/qd-ubnd" are one."""
    return fold(text).replace(" ", "")


def check_certificate(number: str, today: date | None = None) -> CertificateCheck:
    """The verdict on a certificate number, with what the public page shows."""
    today = today or clock.today()
    number = normalize_number(number)
    cert = db.session.scalar(
        select(Certificate)
        .where(Certificate.number == number)
        .options(
            joinedload(Certificate.cooperative).joinedload(Cooperative.commune),
            joinedload(Certificate.listing).joinedload(Listing.origin_commune),
            joinedload(Certificate.listing).joinedload(Listing.origin_legacy_commune),
        )
    )
    if cert is None:
        return CertificateCheck(number, Verdict.UNKNOWN)
    if cert.status not in VOUCHED:
        return CertificateCheck(number, Verdict.NOT_VERIFIED)
    check = CertificateCheck(number, Verdict.VALID, cert, origin_listing=cert.listing)
    if cert.status is CertificateStatus.REVOKED:
        check.verdict = Verdict.REVOKED
        check.revoked_at = db.session.scalar(
            select(AuditEvent.at)
            .where(
                AuditEvent.subject_type == "certificate",
                AuditEvent.subject_id == cert.id,
                AuditEvent.action == "certificate.revoke",
            )
            .order_by(AuditEvent.at.desc())
            .limit(1)
        )
    elif cert.is_expired(today):
        check.verdict = Verdict.EXPIRED
    else:
        check.public_listings = list(
            db.session.scalars(
                public_listings(today)
                .where(Listing.certificate_id == cert.id)
                .options(*card_loader_options())
            ).unique()
        )
    return check


@dataclass(frozen=True)
class SearchHit:
    number: str
    product_name: str
    cooperative_name: str
    stars: int
    status: CertificateStatus
    expires_on: date

    def verdict(self, today: date) -> Verdict:
        if self.status is CertificateStatus.REVOKED:
            return Verdict.REVOKED
        return Verdict.EXPIRED if self.expires_on < today else Verdict.VALID


def _vouched_rows() -> Sequence[Row[str, str, str, int, CertificateStatus, date]]:
    return db.session.execute(
        select(
            Certificate.number,
            Certificate.product_name,
            Cooperative.legal_name,
            Certificate.stars,
            Certificate.status,
            Certificate.expires_on,
        )
        .join(Cooperative, Cooperative.id == Certificate.cooperative_id)
        .where(Certificate.status.in_(VOUCHED))
        .order_by(Certificate.product_name, Certificate.number)
    ).all()


def search_certificates(
    query: str, limit: int = SEARCH_LIMIT
) -> tuple[str | None, list[SearchHit]]:
    """What the search box finds: (the number, when `query` is a vouched certificate's number
    typed loosely — "qd" for "QĐ", other case, stray spaces — else None; the certificates whose
    number, certified product name or cooperative match, without regard to accents or case).

    Folding happens in Python over the vouched certificates, read once (a province has
    hundreds, not millions): simple, and the same on SQLite and PostgreSQL.
    """
    words = fold(query).split()
    compact = _compact(query)
    if not words:
        return None, []
    rows = _vouched_rows()
    numbers = {row[0] for row in rows if _compact(row[0]) == compact}
    hits = []
    for row in rows:
        number, product, coop = row[0], row[1], row[2]
        haystack = fold(f"{product} {coop} {number}")
        if compact in _compact(number) or all(word in haystack for word in words):
            hits.append(SearchHit(*row))
            if len(hits) >= limit:
                break
    return (numbers.pop() if len(numbers) == 1 else None), hits


def canonical_number(number: str) -> str | None:
    """The stored spelling of a vouched certificate number typed loosely; None unless exactly
    one matches."""
    return search_certificates(number, limit=0)[0] if _compact(number) else None
