"""Cooperatives (and other OCOP holders) that sell on the shop, and their members."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import DateTime, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storefront.extensions import Base
from storefront.models import limits
from storefront.models.base import TimestampMixin, str_enum

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
    logo: Mapped[str | None] = mapped_column(String(120))
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


class CooperativeInvitation(TimestampMixin, Base):
    """An owner's invitation to an e-mail address with no account yet.

    The e-mailed link carries a signed token naming this row; deleting the row (revoking the
    invitation) or accepting it once makes every copy of the link useless.
    """

    __tablename__ = "cooperative_invitations"
    __table_args__ = (
        UniqueConstraint("cooperative_id", "email", name="uq_cooperative_invitation"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cooperative_id: Mapped[int] = mapped_column(
        ForeignKey("cooperatives.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(limits.EMAIL))  # normalised: User.normalize_email
    role: Mapped[MemberRole] = mapped_column(
        str_enum(MemberRole, "invitation_role"), default=MemberRole.STAFF
    )
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    cooperative: Mapped[Cooperative] = relationship()
    invited_by: Mapped[User | None] = relationship()
