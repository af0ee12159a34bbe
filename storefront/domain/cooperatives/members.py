"""Who works for a cooperative: membership checks (is_member, can_preview), members and roles,
invitations by e-mail."""

from __future__ import annotations

from collections.abc import Callable

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import exists, func, select
from sqlalchemy.orm import joinedload

from storefront.core.db import Unit, unit_of_work
from storefront.core.errors import (
    Forbidden,
    InvalidInput,
    InvalidInvitation,
    LastOwner,
    NotFound,
)
from storefront.domain.decisions import Notice, send_notices
from storefront.extensions import db
from storefront.models import (
    Cooperative,
    CooperativeInvitation,
    CooperativeMember,
    MemberRole,
    User,
    utcnow,
)


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


def normal_email(raw: str, field: str = "email") -> str:
    """`raw` as a valid, normalised e-mail address; InvalidInput on `field` if it is not one."""
    try:
        valid = validate_email(raw or "", check_deliverability=False)
        return User.normalize_email(valid.normalized)
    except EmailNotValidError:
        raise InvalidInput(_("Enter a valid e-mail address."), field=field) from None


# --- members and invitations --------------------------------------------------------------------

INVITATION_SALT = "ocop-market.cooperative-invitation"
INVITATION_MAX_AGE = 14 * 24 * 3600  # seconds


def memberships_of(user_id: int) -> list[CooperativeMember]:
    """The cooperatives `user_id` works for, with each cooperative loaded, by name."""
    return list(
        db.session.scalars(
            select(CooperativeMember)
            .join(Cooperative, Cooperative.id == CooperativeMember.cooperative_id)
            .where(CooperativeMember.user_id == user_id)
            .options(joinedload(CooperativeMember.cooperative))
            .order_by(Cooperative.legal_name, Cooperative.id)
        )
    )


def member_role(user: User | None, cooperative_id: int) -> MemberRole | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(
        select(CooperativeMember.role).where(
            CooperativeMember.cooperative_id == cooperative_id,
            CooperativeMember.user_id == user.id,
        )
    )


def members_of(cooperative_id: int) -> list[CooperativeMember]:
    return list(
        db.session.scalars(
            select(CooperativeMember)
            .join(User, User.id == CooperativeMember.user_id)
            .where(CooperativeMember.cooperative_id == cooperative_id)
            .options(joinedload(CooperativeMember.user))
            .order_by(CooperativeMember.role, User.email)
        )
    )


def pending_invitations(cooperative_id: int) -> list[CooperativeInvitation]:
    return list(
        db.session.scalars(
            select(CooperativeInvitation)
            .where(
                CooperativeInvitation.cooperative_id == cooperative_id,
                CooperativeInvitation.accepted_at.is_(None),
            )
            .order_by(CooperativeInvitation.email)
        )
    )


def _require_owner(actor: User, cooperative_id: int) -> None:
    if member_role(actor, cooperative_id) is not MemberRole.OWNER:
        raise Forbidden(_("Only an owner of the cooperative can do this."))


def _invitation_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=INVITATION_SALT)


def invite_member(
    cooperative_id: int,
    actor: User,
    email: str,
    role: MemberRole,
    accept_url: Callable[[str], str],
    workspace_url: str = "",
) -> str:
    """Add someone to the cooperative: an existing account joins at once ("added") and is told
    where to find the workspace (`workspace_url`); an unknown e-mail gets a signed invitation
    link, built by `accept_url(token)` ("invited")."""
    _require_owner(actor, cooperative_id)
    email = normal_email(email)
    role = MemberRole(role)
    with unit_of_work(writer=True) as unit:
        return _invite(unit, cooperative_id, actor, email, role, accept_url, workspace_url)


def _invite(
    unit: Unit,
    cooperative_id: int,
    actor: User,
    email: str,
    role: MemberRole,
    accept_url: Callable[[str], str],
    workspace_url: str,
) -> str:
    coop = db.session.get(Cooperative, cooperative_id)
    if coop is None:
        raise NotFound(_("There is no such cooperative."))
    user = db.session.scalar(User.by_email(email))
    context = {"cooperative_name": coop.legal_name, "inviter": actor.name or actor.email}
    if user is not None:
        if member_role(user, cooperative_id) is not None:
            raise InvalidInput(_("%(email)s is already a member.", email=email), field="email")
        db.session.add(CooperativeMember(cooperative_id=cooperative_id, user_id=user.id, role=role))
        notice = Notice(
            to=(user.email,),
            locale=user.locale or "vi",
            subject=_l("You were added to %(name)s on OCOP Market", name=coop.legal_name),
            template="seller_member_added",
            context={**context, "workspace_url": workspace_url},
        )
        unit.on_commit(send_notices, [notice])
        return "added"

    invitation = db.session.scalar(
        select(CooperativeInvitation).where(
            CooperativeInvitation.cooperative_id == cooperative_id,
            CooperativeInvitation.email == email,
        )
    )
    if invitation is None:
        invitation = CooperativeInvitation(cooperative_id=cooperative_id, email=email)
        db.session.add(invitation)
    invitation.role = role
    invitation.invited_by_id = actor.id
    invitation.accepted_at = None
    db.session.flush()
    token = _invitation_serializer().dumps({"i": invitation.id, "e": email})
    notice = Notice(
        to=(email,),
        locale=coop.locale or "vi",
        subject=_l("Join %(name)s on OCOP Market", name=coop.legal_name),
        template="seller_invitation",
        context={
            **context,
            "accept_url": accept_url(token),
            "valid_days": INVITATION_MAX_AGE // 86400,
        },
    )
    unit.on_commit(send_notices, [notice])
    return "invited"


def invitation_for_token(token: str, *, for_update: bool = False) -> CooperativeInvitation:
    """The pending invitation a link names; InvalidInvitation if forged, expired or used."""
    try:
        data = _invitation_serializer().loads(token, max_age=INVITATION_MAX_AGE)
    except SignatureExpired:
        raise InvalidInvitation(
            _("This invitation has expired. Ask the cooperative's owner to invite you again.")
        ) from None
    except BadSignature:
        raise InvalidInvitation(_("This invitation link is not valid.")) from None
    invitation = None
    if isinstance(data, dict) and isinstance(data.get("i"), int):
        stmt = (
            select(CooperativeInvitation)
            .where(CooperativeInvitation.id == data["i"])
            .execution_options(populate_existing=True)
        )
        # Accepting locks the row: the same link opened twice at once joins once.
        invitation = db.session.scalar(stmt.with_for_update() if for_update else stmt)
    if invitation is None or invitation.email != data.get("e"):
        raise InvalidInvitation(
            _("This invitation was withdrawn. Ask the cooperative's owner to invite you again.")
        )
    if invitation.accepted_at is not None:
        raise InvalidInvitation(_("This invitation has already been accepted."))
    return invitation


def accept_invitation(token: str, actor: User) -> Cooperative:
    """Join the cooperative an invitation names, as `actor`, whose e-mail must be the invited
    one."""
    with unit_of_work(writer=True):
        invitation = invitation_for_token(token, for_update=True)
        if User.normalize_email(actor.email) != invitation.email:
            raise InvalidInvitation(
                _("This invitation was sent to %(email)s. Log in with that address to accept it.",
                  email=invitation.email)
            )
        if member_role(actor, invitation.cooperative_id) is None:
            db.session.add(
                CooperativeMember(
                    cooperative_id=invitation.cooperative_id, user_id=actor.id, role=invitation.role
                )
            )
        invitation.accepted_at = utcnow()
        coop = invitation.cooperative
    return coop


def revoke_invitation(cooperative_id: int, invitation_id: int, actor: User) -> None:
    """Withdraw a pending invitation: its link stops working."""
    _require_owner(actor, cooperative_id)
    with unit_of_work():
        invitation = db.session.scalar(
            select(CooperativeInvitation).where(
                CooperativeInvitation.id == invitation_id,
                CooperativeInvitation.cooperative_id == cooperative_id,
            )
        )
        if invitation is None:
            raise NotFound(_("There is no such invitation."))
        db.session.delete(invitation)


def remove_member(cooperative_id: int, actor: User, user_id: int) -> None:
    """Take someone out of the cooperative (an owner may remove anyone, anyone may leave);
    the last owner stays."""
    if actor.id != user_id:
        _require_owner(actor, cooperative_id)
    with unit_of_work(writer=True):
        # Lock the cooperative row: two owners removing each other at once must not both succeed
        # and leave the shop with nobody in charge.
        coop = db.session.scalar(
            select(Cooperative).where(Cooperative.id == cooperative_id).with_for_update()
        )
        member = db.session.scalar(
            select(CooperativeMember).where(
                CooperativeMember.cooperative_id == cooperative_id,
                CooperativeMember.user_id == user_id,
            )
        )
        if coop is None or member is None:
            raise NotFound(_("This person is not a member of the cooperative."))
        if member.role is MemberRole.OWNER:
            owners = db.session.scalar(
                select(func.count()).where(
                    CooperativeMember.cooperative_id == cooperative_id,
                    CooperativeMember.role == MemberRole.OWNER,
                )
            )
            if (owners or 0) <= 1:
                raise LastOwner(
                    _("The cooperative needs at least one owner. Make someone else an owner first.")
                )
        db.session.delete(member)
