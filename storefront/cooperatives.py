"""Cooperative rules shared by the catalog, the seller workspace and the PFA console."""

from __future__ import annotations

from sqlalchemy import exists, select

from .extensions import db
from .models import CooperativeMember, User


def is_member(user: User | None, cooperative_id: int) -> bool:
    """Whether `user` works for the cooperative (owner or staff)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    CooperativeMember.cooperative_id == cooperative_id,
                    CooperativeMember.user_id == user.id,
                )
            )
        )
    )


def can_preview(user: User | None, cooperative_id: int) -> bool:
    """Members and PFA staff may see a cooperative's listings before they are public."""
    if user is not None and getattr(user, "is_authenticated", False) and user.is_pfa_staff:
        return True
    return is_member(user, cooperative_id)
