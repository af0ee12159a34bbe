"""Who works for a cooperative: membership checks (is_member, can_preview), members and roles,
invitations by e-mail."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import joinedload

from storefront.core.db import Unit, rows_matched, unit_of_work
from storefront.core.errors import (
    EmailNotVerified,
    Forbidden,
    InvalidInput,
    InvalidInvitation,
    LastOwner,
    NotFound,
    StaffCannotJoin,
    TooManyInvitations,
)
from storefront.domain.decisions import Notice, queue_notices
from storefront.extensions import db
from storefront.models import (
    Cooperative,
    CooperativeInvitation,
    CooperativeMember,
    InvitationStatus,
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


def require_may_join(user: User) -> None:
    """Whoever joins or opens a cooperative: a verified e-mail address (a signed link reached
    it), and never Farmers' Association staff or an admin (they decide on cooperatives)."""
    require_not_staff(user)
    if user.email_verified_at is None:
        raise EmailNotVerified(
            _(
                "Please confirm your e-mail address first: we send a link to %(email)s, and "
                "once you open it you can continue.",
                email=user.email,
            )
        )


def require_not_staff(user: User) -> None:
    """Farmers' Association staff and admins are never members of a cooperative."""
    if user.is_pfa_staff:
        raise StaffCannotJoin(
            _(
                "Farmers' Association staff and administrators cannot be members of a "
                "cooperative. Use a separate, personal account for that."
            )
        )


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


def open_invitations(cooperative_id: int) -> list[tuple[CooperativeInvitation, InvitationStatus]]:
    """What the owners follow: invitations pending, declined or expired (not the accepted or
    withdrawn ones), newest first, each with its status now."""
    now = utcnow()
    rows = db.session.scalars(
        select(CooperativeInvitation)
        .where(
            CooperativeInvitation.cooperative_id == cooperative_id,
            CooperativeInvitation.accepted_at.is_(None),
            CooperativeInvitation.withdrawn_at.is_(None),
        )
        .order_by(CooperativeInvitation.created_at.desc(), CooperativeInvitation.id.desc())
    )
    return [(row, row.status_at(now)) for row in rows]


def pending_invitations(cooperative_id: int) -> list[CooperativeInvitation]:
    """The invitations still waiting for an answer."""
    return [
        row
        for row, status in open_invitations(cooperative_id)
        if status is InvitationStatus.PENDING
    ]


def offers_for(user: User) -> list[CooperativeInvitation]:
    """The pending invitations the user may answer: addressed to their e-mail, once it is
    verified (an unverified account sees none), with each cooperative loaded."""
    if user.email_verified_at is None:
        return []
    now = utcnow()
    rows = db.session.scalars(
        select(CooperativeInvitation)
        .where(
            CooperativeInvitation.email == User.normalize_email(user.email),
            CooperativeInvitation.accepted_at.is_(None),
            CooperativeInvitation.declined_at.is_(None),
            CooperativeInvitation.withdrawn_at.is_(None),
            CooperativeInvitation.expires_at > now,
        )
        .options(joinedload(CooperativeInvitation.cooperative))
        .order_by(CooperativeInvitation.created_at.desc(), CooperativeInvitation.id.desc())
    )
    return list(rows)


def require_owner(actor: User, cooperative_id: int) -> None:
    if member_role(actor, cooperative_id) is not MemberRole.OWNER:
        raise Forbidden(_("Only an owner of the cooperative can do this."))


def _invitation_serializer() -> URLSafeSerializer:
    # Not timed: the row's expires_at says how long an invitation lasts (and can be read by
    # the owners); the same invitation always has the same link.
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=INVITATION_SALT)


def invitation_token(invitation: CooperativeInvitation) -> str:
    """The signed token of an invitation's link (it names the row and the invited address;
    the row says whether it may still be answered)."""
    return _invitation_serializer().dumps({"i": invitation.id, "e": invitation.email})


def invite_member(
    cooperative_id: int,
    actor: User,
    email: str,
    role: MemberRole,
    accept_url: Callable[[str], str],
) -> CooperativeInvitation:
    """Offer someone a place in the cooperative. Nobody is ever added here: the address gets an
    e-mail with a link (`accept_url(token)`), and the person logged in with that verified
    address accepts or declines. The same happens whether or not the address has an account,
    so the answer tells the owner nothing about it. A newer invitation to the same address
    replaces a pending one. At most INVITATIONS_PER_COOPERATIVE_PER_DAY per cooperative and
    INVITATIONS_PER_USER_PER_DAY per owner are sent in any 24 hours (TooManyInvitations)."""
    require_owner(actor, cooperative_id)
    email = normal_email(email)
    role = MemberRole(role)
    with unit_of_work(writer=True) as unit:
        return _invite(unit, cooperative_id, actor, email, role, accept_url)


def _invite(
    unit: Unit,
    cooperative_id: int,
    actor: User,
    email: str,
    role: MemberRole,
    accept_url: Callable[[str], str],
) -> CooperativeInvitation:
    # Locked: two invitations sent at once cannot both slip under the daily limit.
    coop = db.session.scalar(
        select(Cooperative).where(Cooperative.id == cooperative_id).with_for_update()
    )
    if coop is None:
        raise NotFound(_("There is no such cooperative."))
    already_member = db.session.scalar(
        select(
            exists().where(
                CooperativeMember.cooperative_id == cooperative_id,
                CooperativeMember.user_id == User.id,
                func.lower(User.email) == email,
            )
        )
    )
    if already_member:
        raise InvalidInput(_("%(email)s is already a member.", email=email), field="email")

    now = utcnow()
    config = current_app.config
    since = now - timedelta(days=1)
    sent_by_cooperative = db.session.scalar(
        select(func.count()).where(
            CooperativeInvitation.cooperative_id == cooperative_id,
            CooperativeInvitation.created_at > since,
        )
    )
    sent_by_actor = db.session.scalar(
        select(func.count()).where(
            CooperativeInvitation.invited_by_id == actor.id,
            CooperativeInvitation.created_at > since,
        )
    )
    if (sent_by_cooperative or 0) >= config["INVITATIONS_PER_COOPERATIVE_PER_DAY"] or (
        sent_by_actor or 0
    ) >= config["INVITATIONS_PER_USER_PER_DAY"]:
        raise TooManyInvitations(
            _(
                "You have sent as many invitations as a day allows. Nothing was sent; "
                "please try again tomorrow."
            )
        )

    # A newer invitation replaces a pending one to the same address: one offer at a time.
    db.session.execute(
        update(CooperativeInvitation)
        .where(
            CooperativeInvitation.cooperative_id == cooperative_id,
            CooperativeInvitation.email == email,
            CooperativeInvitation.accepted_at.is_(None),
            CooperativeInvitation.declined_at.is_(None),
            CooperativeInvitation.withdrawn_at.is_(None),
        )
        .values(withdrawn_at=now)
        .execution_options(synchronize_session=False)
    )
    valid_days = int(config["INVITATION_VALID_DAYS"])
    invitation = CooperativeInvitation(
        cooperative_id=cooperative_id,
        email=email,
        role=role,
        invited_by_id=actor.id,
        created_at=now,
        expires_at=now + timedelta(days=valid_days),
    )
    db.session.add(invitation)
    db.session.flush()
    notice = Notice(
        to=(email,),
        locale=coop.locale or "vi",
        subject=_l("Join %(name)s on OCOP Market", name=coop.legal_name),
        template="seller_invitation",
        context={
            "cooperative_name": coop.legal_name,
            "inviter": actor.name or actor.email,
            "accept_url": accept_url(invitation_token(invitation)),
            "valid_days": valid_days,
            "role": role.value,
        },
    )
    queue_notices(unit, [notice])
    return invitation


def invitation_for_token(token: str, *, for_update: bool = False) -> CooperativeInvitation:
    """The pending invitation a link names; InvalidInvitation if forged, expired, withdrawn,
    declined or accepted."""
    try:
        data = _invitation_serializer().loads(token)
    except BadSignature:
        raise InvalidInvitation(_("This invitation link is not valid.")) from None
    invitation = None
    if isinstance(data, dict) and isinstance(data.get("i"), int):
        stmt = (
            select(CooperativeInvitation)
            .where(CooperativeInvitation.id == data["i"])
            .execution_options(populate_existing=True)
        )
        # Answering locks the row: the same link posted twice at once joins once.
        invitation = db.session.scalar(stmt.with_for_update() if for_update else stmt)
    if invitation is None or invitation.email != data.get("e"):
        raise InvalidInvitation(_("This invitation link is not valid."))
    status = invitation.status_at(utcnow())
    if status is InvitationStatus.ACCEPTED:
        raise InvalidInvitation(_("This invitation has already been accepted."))
    if status is InvitationStatus.DECLINED:
        raise InvalidInvitation(_("This invitation was declined."))
    if status is InvitationStatus.WITHDRAWN:
        raise InvalidInvitation(
            _("This invitation was withdrawn. Ask the cooperative's owner to invite you again.")
        )
    if status is InvitationStatus.EXPIRED:
        raise InvalidInvitation(
            _("This invitation has expired. Ask the cooperative's owner to invite you again.")
        )
    return invitation


def _require_invitee(invitation: CooperativeInvitation, actor: User) -> None:
    """Only the person logged in with the invited address, verified, may answer."""
    if User.normalize_email(actor.email) != invitation.email:
        raise InvalidInvitation(
            _(
                "This invitation was sent to %(email)s. Log in with that address to answer it.",
                email=invitation.email,
            )
        )


def accept_invitation(token: str, actor: User) -> Cooperative:
    """Join the cooperative an invitation names, as `actor`: logged in with the invited,
    verified address, and not Farmers' Association staff or an admin."""
    with unit_of_work(writer=True):
        invitation = invitation_for_token(token, for_update=True)
        _require_invitee(invitation, actor)
        require_may_join(actor)
        if member_role(actor, invitation.cooperative_id) is None:
            db.session.add(
                CooperativeMember(
                    cooperative_id=invitation.cooperative_id, user_id=actor.id, role=invitation.role
                )
            )
        invitation.accepted_at = utcnow()
        coop = invitation.cooperative
    return coop


def decline_invitation(token: str, actor: User) -> Cooperative:
    """Say no to an invitation, as the person logged in with the invited address (verified or
    not: declining grants nothing). Its link stops working."""
    with unit_of_work(writer=True):
        invitation = invitation_for_token(token, for_update=True)
        _require_invitee(invitation, actor)
        invitation.declined_at = utcnow()
        coop = invitation.cooperative
    return coop


def revoke_invitation(cooperative_id: int, invitation_id: int, actor: User) -> None:
    """Withdraw a pending invitation: its link stops working. Someone else's invitation, or
    one already answered, withdrawn or expired, is as good as missing (404)."""
    require_owner(actor, cooperative_id)
    with unit_of_work(writer=True):
        matched = rows_matched(
            db.session.execute(
                update(CooperativeInvitation)
                .where(
                    CooperativeInvitation.id == invitation_id,
                    CooperativeInvitation.cooperative_id == cooperative_id,
                    CooperativeInvitation.accepted_at.is_(None),
                    CooperativeInvitation.declined_at.is_(None),
                    CooperativeInvitation.withdrawn_at.is_(None),
                    CooperativeInvitation.expires_at > utcnow(),
                )
                .values(withdrawn_at=utcnow())
                .execution_options(synchronize_session=False)
            )
        )
        if matched != 1:
            raise NotFound(_("There is no such invitation."))


def remove_member(cooperative_id: int, actor: User, user_id: int) -> None:
    """Take someone out of the cooperative (an owner may remove anyone, anyone may leave);
    the last owner stays."""
    if actor.id != user_id:
        require_owner(actor, cooperative_id)
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
