"""The seller's current cooperative, chosen once per session when a user works for several,
and the small request-to-domain conversions every seller view shares."""

from __future__ import annotations

from functools import wraps

from flask import abort, flash, g, redirect, request, session, url_for
from flask_login import current_user
from werkzeug.datastructures import FileStorage

from storefront.core.errors import DomainError
from storefront.core.files import Upload
from storefront.domain.cooperatives.members import memberships_of
from storefront.models import CooperativeMember
from storefront.web.redirects import safe_next

SESSION_KEY = "seller_cooperative_id"


def memberships() -> list[CooperativeMember]:
    if "seller_memberships" not in g:
        g.seller_memberships = (
            memberships_of(current_user.id) if current_user.is_authenticated else []
        )
    return g.seller_memberships


def current_membership() -> CooperativeMember | None:
    """The membership of the cooperative the seller is working on: the one chosen in this
    session, or the only one; None if there is none or a choice is still to be made."""
    mine = memberships()
    chosen = session.get(SESSION_KEY)
    for member in mine:
        if member.cooperative_id == chosen:
            return member
    if len(mine) == 1:
        return mine[0]
    return None


def remember_choice(cooperative_id: int) -> bool:
    """Remember the cooperative to work on, if the user is a member of it."""
    if any(m.cooperative_id == cooperative_id for m in memberships()):
        session[SESSION_KEY] = cooperative_id
        return True
    return False


def cooperative_required(view):
    """Run `view` with g.cooperative and g.member_role set, or send the seller where they can
    get one: the dashboard (to apply) or the chooser (several cooperatives)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        member = current_membership()
        if member is None:
            if memberships():
                return redirect(url_for("seller.choose", next=request.full_path))
            if request.method != "GET":
                abort(404)
            return redirect(url_for("seller.dashboard"))
        g.cooperative = member.cooperative  # a Cooperative, and a MemberRole below
        g.member_role = member.role
        return view(*args, **kwargs)

    return wrapped


def show_cooperative(cooperative_id: int) -> None:
    """Put the workspace menu of the user's cooperative `cooperative_id` around a page that
    was loaded by membership rather than by the chosen cooperative (a shipment)."""
    for member in memberships():
        if member.cooperative_id == cooperative_id:
            g.cooperative, g.member_role = member.cooperative, member.role
            return


def upload_of(storage: FileStorage | None) -> Upload | None:
    """A form's file as the domain takes it; None when no file was chosen."""
    # A text value posted under a file field's name is no file either (not a 500).
    if not isinstance(storage, FileStorage) or not storage.filename:
        return None
    return Upload(filename=storage.filename, stream=storage.stream)


def uploads_of(storages) -> list[Upload]:
    return [u for u in (upload_of(s) for s in storages or []) if u is not None]


def apply_domain_error(form, error: DomainError, field: str | None = None) -> None:
    """Show a domain error beside `field`, else beside the field it names (details["field"]),
    else as a flash."""
    name = field or error.details.get("field")
    target = getattr(form, name, None) if name else None
    if target is not None and hasattr(target, "errors"):
        target.errors = [*target.errors, error.message]
    else:
        flash(error.message, "error")


def flash_done(message: str) -> None:
    flash(message, "success")


__all__ = [
    "SESSION_KEY",
    "apply_domain_error",
    "cooperative_required",
    "current_membership",
    "flash_done",
    "memberships",
    "remember_choice",
    "safe_next",
    "show_cooperative",
    "upload_of",
    "uploads_of",
]
