"""OCOP certificates: one product each, verified by PFA staff."""

from __future__ import annotations

import calendar
import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storefront.extensions import Base
from storefront.models import limits
from storefront.models.base import TimestampMixin, str_enum, utcnow

if TYPE_CHECKING:
    from storefront.models.catalog import Listing
    from storefront.models.cooperatives import Cooperative
    from storefront.models.users import User

RECOGNITION_MONTHS = 36


def add_months(day: date, months: int) -> date:
    """Same day `months` later, clamped to the month's end (31 Jan + 1 → 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def default_expiry(issued_on: date) -> date:
    """OCOP recognition lasts 36 months from the decision."""
    return add_months(issued_on, RECOGNITION_MONTHS)


class CertificateStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    VERIFIED = "verified"
    REJECTED = "rejected"
    REVOKED = "revoked"


class PendingApproval(enum.StrEnum):
    """A decision one PFA staff member has approved and a second, different one must confirm
    (the two-person rule, storefront.domain.certificates.decisions)."""

    VERIFY = "verify"  # a 5-star certificate's verification; the certificate stays submitted
    REINSTATE = "reinstate"  # a revoked certificate's reinstatement; it stays revoked


class Certificate(TimestampMixin, Base):
    """A product's OCOP certificate. Expiry is derived from `expires_on`, never stored as a
    state."""

    __tablename__ = "certificates"
    __table_args__ = (
        CheckConstraint("stars BETWEEN 3 AND 5", name="stars_3_to_5"),
        CheckConstraint("expires_on > issued_on", name="expires_after_issue"),
        # A first approval is whole (what, who, when) or absent ...
        CheckConstraint(
            "(pending_approval IS NULL AND first_approved_by_id IS NULL"
            " AND first_approved_at IS NULL)"
            " OR (pending_approval IS NOT NULL AND first_approved_by_id IS NOT NULL"
            " AND first_approved_at IS NOT NULL)",
            name="first_approval_whole",
        ),
        # ... and belongs to the status it would move on from: any other change of status
        # must clear it, so a first approval never outlives what it approved.
        CheckConstraint(
            "pending_approval IS NULL"
            " OR (pending_approval = 'verify' AND status = 'submitted')"
            " OR (pending_approval = 'reinstate' AND status = 'revoked')",
            name="first_approval_matches_status",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cooperative_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"), index=True)
    # "Quyết định số 1234/QĐ-UBND"
    number: Mapped[str] = mapped_column(String(limits.CERTIFICATE_NUMBER), unique=True)
    stars: Mapped[int]
    product_name: Mapped[str] = mapped_column(String(limits.PRODUCT_NAME))  # as certified
    issuing_authority: Mapped[str] = mapped_column(String(limits.ISSUING_AUTHORITY))
    issued_on: Mapped[date]
    expires_on: Mapped[date] = mapped_column(index=True)
    scan_filename: Mapped[str | None] = mapped_column(String(120))
    status: Mapped[CertificateStatus] = mapped_column(
        str_enum(CertificateStatus, "certificate_status"),
        default=CertificateStatus.SUBMITTED,
        index=True,
    )
    status_reason: Mapped[str] = mapped_column(Text, default="")
    # The two-person rule: the first of two approvals, until a second, different PFA staff
    # member confirms it (or a rejection, a change or a decline voids it). The audit trail
    # keeps both approvals; these columns only say what is waiting.
    pending_approval: Mapped[PendingApproval | None] = mapped_column(
        str_enum(PendingApproval, "certificate_pending_approval")
    )
    first_approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    first_approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    first_approval_reason: Mapped[str] = mapped_column(Text, default="", server_default="")

    cooperative: Mapped[Cooperative] = relationship(back_populates="certificates")
    first_approved_by: Mapped[User | None] = relationship()
    listing: Mapped[Listing | None] = relationship(back_populates="certificate", uselist=False)

    def is_expired(self, today: date) -> bool:
        return self.expires_on < today

    def is_valid(self, today: date) -> bool:
        return self.status is CertificateStatus.VERIFIED and not self.is_expired(today)

    def __repr__(self) -> str:
        return f"<Certificate {self.number} {self.stars}★ {self.status.value}>"


class CertificateReminder(Base):
    """An expiry reminder claimed for a certificate: at most one per (certificate, days before).

    The row is committed before the e-mail goes out (no network inside a transaction), so
    the unique key is what keeps two overlapping cron runs from both sending it.
    `sent_at` stays empty until the send succeeded; see storefront.domain.certificates.reminders.
    """

    __tablename__ = "certificate_reminders"
    __table_args__ = (
        UniqueConstraint("certificate_id", "days_before", name="uq_certificate_reminders_once"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The unique key (certificate_id, days_before) also serves lookups by certificate.
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id", ondelete="CASCADE"))
    days_before: Mapped[int]  # 60 or 30
    expires_on: Mapped[date]  # the expiry the reminder was about
    claimed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
