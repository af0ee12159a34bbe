"""Cooperatives (and other OCOP holders) that sell on the shop, and their members."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import DateTime, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storefront.extensions import Base
from storefront.models import limits
from storefront.models.base import TimestampMixin, str_enum
from storefront.models.catalog import PhotoStatus

if TYPE_CHECKING:
    from storefront.models.catalog import Listing
    from storefront.models.certificates import Certificate
    from storefront.models.locations import AdminUnit
    from storefront.models.users import User


class CooperativeStatus(enum.StrEnum):
    APPLIED = "applied"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUSPENDED = "suspended"


class MemberRole(enum.StrEnum):
    OWNER = "owner"
    STAFF = "staff"


class Cooperative(TimestampMixin, Base):
    __tablename__ = "cooperatives"

    id: Mapped[int] = mapped_column(primary_key=True)
    legal_name: Mapped[str] = mapped_column(String(limits.COOPERATIVE_NAME))
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    registration_number: Mapped[str] = mapped_column(
        String(limits.REGISTRATION_NUMBER), unique=True
    )
    address: Mapped[str] = mapped_column(String(limits.STREET), default="")
    commune_id: Mapped[int] = mapped_column(ForeignKey("admin_units.id"), index=True)
    phone: Mapped[str] = mapped_column(String(limits.PHONE), default="")
    email: Mapped[str] = mapped_column(String(limits.EMAIL), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    logo: Mapped[str | None] = mapped_column(String(120))  # the public logo's stem
    # A new logo waiting for its job (domain/cooperatives/logo.py): "processing", or "failed"
    # for an owner to remove or replace; the public logo stays until it is ready.
    pending_logo: Mapped[str | None] = mapped_column(String(120))
    pending_logo_status: Mapped[PhotoStatus | None] = mapped_column(
        str_enum(PhotoStatus, "photo_status")
    )
    status: Mapped[CooperativeStatus] = mapped_column(
        str_enum(CooperativeStatus, "cooperative_status"),
        default=CooperativeStatus.APPLIED,
        index=True,
    )
    status_reason: Mapped[str] = mapped_column(Text, default="")
    locale: Mapped[str] = mapped_column(String(5), default="vi")

    commune: Mapped[AdminUnit] = relationship()
    members: Mapped[list[CooperativeMember]] = relationship(
        back_populates="cooperative", cascade="all, delete-orphan"
    )
    listings: Mapped[list[Listing]] = relationship(back_populates="cooperative")
    certificates: Mapped[list[Certificate]] = relationship(back_populates="cooperative")

    def __repr__(self) -> str:
        return f"<Cooperative {self.slug} {self.status.value}>"


class CooperativeMember(TimestampMixin, Base):
    __tablename__ = "cooperative_members"
    __table_args__ = (UniqueConstraint("cooperative_id", "user_id", name="uq_cooperative_member"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cooperative_id: Mapped[int] = mapped_column(
        ForeignKey("cooperatives.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[MemberRole] = mapped_column(
        str_enum(MemberRole, "member_role"), default=MemberRole.STAFF
    )

    cooperative: Mapped[Cooperative] = relationship(back_populates="members")
    user: Mapped[User] = relationship(back_populates="memberships")


class InvitationStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


class CooperativeInvitation(TimestampMixin, Base):
    """An owner's offer to an e-mail address to join the cooperative (whether or not it has an
    account): the person logged in with that verified address accepts or declines it.

    The e-mailed link carries a signed token naming this row; accepting, declining, withdrawing
    or expiring it makes every copy of the link useless. Rows are kept (one per invitation
    sent) so the daily limits count every invitation, withdrawn ones included.
    """

    __tablename__ = "cooperative_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    cooperative_id: Mapped[int] = mapped_column(
        ForeignKey("cooperatives.id", ondelete="CASCADE"), index=True
    )
    # normalised: User.normalize_email
    email: Mapped[str] = mapped_column(String(limits.EMAIL), index=True)
    role: Mapped[MemberRole] = mapped_column(
        str_enum(MemberRole, "invitation_role"), default=MemberRole.STAFF
    )
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    declined_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    cooperative: Mapped[Cooperative] = relationship()
    invited_by: Mapped[User | None] = relationship()

    def status_at(self, moment: datetime) -> InvitationStatus:
        if self.accepted_at is not None:
            return InvitationStatus.ACCEPTED
        if self.declined_at is not None:
            return InvitationStatus.DECLINED
        if self.withdrawn_at is not None:
            return InvitationStatus.WITHDRAWN
        expires_at = self.expires_at
        if expires_at.tzinfo is None:  # SQLite hands back naive UTC
            expires_at = expires_at.replace(tzinfo=UTC)
        if expires_at <= moment:
            return InvitationStatus.EXPIRED
        return InvitationStatus.PENDING
