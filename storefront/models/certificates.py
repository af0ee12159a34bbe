"""OCOP certificates: one product each, verified by PFA staff."""

from __future__ import annotations

import enum
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import TimestampMixin, str_enum

if TYPE_CHECKING:
    from .catalog import Listing
    from .cooperatives import Cooperative

RECOGNITION_MONTHS = 36


def add_months(day: date, months: int) -> date:
    """Same day `months` later, clamped to the month's end (31 Jan + 1 → 28/29 Feb)."""
    import calendar

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


class Certificate(TimestampMixin, db.Model):
    """A product's OCOP certificate. Expiry is derived from `expires_on`, never stored as a state."""

    __tablename__ = "certificates"
    __table_args__ = (
        CheckConstraint("stars BETWEEN 3 AND 5", name="stars_3_to_5"),
        CheckConstraint("expires_on > issued_on", name="expires_after_issue"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cooperative_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"), index=True)
    number: Mapped[str] = mapped_column(String(80), unique=True)  # "Quyết định số 1234/QĐ-UBND"
    stars: Mapped[int]
    product_name: Mapped[str] = mapped_column(String(200))  # as certified
    issuing_authority: Mapped[str] = mapped_column(String(200))
    issued_on: Mapped[date]
    expires_on: Mapped[date] = mapped_column(index=True)
    scan_filename: Mapped[str | None] = mapped_column(String(120))
    status: Mapped[CertificateStatus] = mapped_column(
        str_enum(CertificateStatus, "certificate_status"),
        default=CertificateStatus.SUBMITTED,
        index=True,
    )
    status_reason: Mapped[str] = mapped_column(Text, default="")

    cooperative: Mapped[Cooperative] = relationship(back_populates="certificates")
    listing: Mapped[Listing | None] = relationship(back_populates="certificate", uselist=False)

    def is_expired(self, today: date) -> bool:
        return self.expires_on < today

    def is_valid(self, today: date) -> bool:
        return self.status is CertificateStatus.VERIFIED and not self.is_expired(today)

    def __repr__(self) -> str:
        return f"<Certificate {self.number} {self.stars}★ {self.status.value}>"
