"""People who use the shop, and their saved delivery addresses."""

from __future__ import annotations

import enum
import hashlib
from datetime import datetime
from typing import TYPE_CHECKING

from flask import current_app
from flask_login import UserMixin
from sqlalchemy import DateTime, ForeignKey, Select, String, func, select
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from storefront.extensions import Base
from storefront.models import limits
from storefront.models.base import TimestampMixin, str_enum

if TYPE_CHECKING:
    from storefront.models.cooperatives import CooperativeMember
    from storefront.models.locations import AdminUnit

DEFAULT_PASSWORD_HASH_METHOD = "scrypt"


def password_hash_method() -> str:
    """The app's PASSWORD_HASH_METHOD: scrypt, unless a config (the tests') makes it cheaper."""
    method = current_app.config.get("PASSWORD_HASH_METHOD")
    return str(method) if method else DEFAULT_PASSWORD_HASH_METHOD


class Role(enum.StrEnum):
    CUSTOMER = "customer"
    PFA = "pfa"
    ADMIN = "admin"


class User(UserMixin, TimestampMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(limits.EMAIL), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255), default="")
    name: Mapped[str] = mapped_column(String(limits.PERSON_NAME), default="")
    phone: Mapped[str] = mapped_column(String(limits.PHONE), default="")
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"), default=Role.CUSTOMER)
    active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str] = mapped_column(String(5), default="vi")
    # Bumped on logout, password change and role change: every older session id stops working.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # Set when the address proved to be the user's (a signed link opened from it); NULL until
    # then. Joining or opening a cooperative needs it.
    email_verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # An address the user asked to move to: it takes effect once a link sent to it is confirmed.
    pending_email: Mapped[str | None] = mapped_column(String(limits.EMAIL))

    memberships: Mapped[list[CooperativeMember]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )
    addresses: Mapped[list[Address]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users.
        return self.active

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def is_pfa_staff(self) -> bool:
        return self.role in (Role.PFA, Role.ADMIN)

    @property
    def password_fingerprint(self) -> str:
        """A short digest of the password hash: it changes whenever the password does.

        Reset tokens and login sessions carry it, so a password change voids both.
        The hash is salted, so the digest says nothing about the password itself.
        """
        return hashlib.sha256(self.password_hash.encode()).hexdigest()[:16]

    def get_id(self) -> str:
        # Flask-Login stores this in the session and the remember-me cookie: a password change
        # (the fingerprint) or a logout, role change ... (the session version) voids it.
        return f"{self.id}:{self.password_fingerprint}:{self.session_version}"

    def end_sessions(self) -> None:
        """Void every login session and remember-me cookie issued so far (commit to apply)."""
        self.session_version = (self.session_version or 0) + 1

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=password_hash_method())

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    @staticmethod
    def normalize_email(email: str) -> str:
        return email.strip().lower()

    @classmethod
    def by_email(cls, email: str) -> Select[User]:
        return select(cls).where(func.lower(cls.email) == cls.normalize_email(email))

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role.value}>"


class Address(TimestampMixin, Base):
    """A saved delivery address; the commune is a current (post-2025) unit."""

    __tablename__ = "addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    recipient: Mapped[str] = mapped_column(String(limits.PERSON_NAME))
    phone: Mapped[str] = mapped_column(String(limits.PHONE))
    street: Mapped[str] = mapped_column(String(limits.STREET))
    commune_id: Mapped[int] = mapped_column(ForeignKey("admin_units.id"))
    is_default: Mapped[bool] = mapped_column(default=False)

    user: Mapped[User] = relationship(back_populates="addresses")
    commune: Mapped[AdminUnit] = relationship()
