"""Cooperative rules shared by the catalog, the seller workspace and the PFA console."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from storefront.core.db import begin_write
from storefront.core.errors import (
    Forbidden,
    InvalidInput,
    InvalidInvitation,
    InvalidPhone,
    LastOwner,
    NotFound,
)
from storefront.core.files import Upload, decode_image, delete_logo, store_logo
from storefront.core.phones import normalize_vn_phone
from storefront.core.text import slugify
from storefront.domain.audit import record_decision
from storefront.domain.decisions import (
    Notice,
    clean_reason,
    cooperative_recipients,
    guarded_status_change,
    require_staff,
    send_notices,
)
from storefront.extensions import db
from storefront.models import (
    AdminUnit,
    Cooperative,
    CooperativeInvitation,
    CooperativeMember,
    CooperativeStatus,
    Era,
    Level,
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


# --- applying, approving ------------------------------------------------------------------------

COOPERATIVE_STATUS_LABELS = {
    CooperativeStatus.APPLIED: _l("waiting for approval"),
    CooperativeStatus.APPROVED: _l("approved"),
    CooperativeStatus.REJECTED: _l("not approved"),
    CooperativeStatus.SUSPENDED: _l("suspended"),
}


@dataclass(frozen=True)
class CooperativeApplication:
    """What an applicant fills in to open a cooperative's shop."""

    legal_name: str
    registration_number: str
    address: str
    commune_code: int
    phone: str
    email: str
    description: str = ""


def _clean_line(text: str | None) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def _unique_slug(base: str) -> str:
    base = slugify(base, max_length=100) or "htx"
    slug, n = base, 2
    while db.session.scalar(select(exists().where(Cooperative.slug == slug))):
        slug, n = f"{base}-{n}", n + 1
    return slug


def _normal_email(raw: str, field: str = "email") -> str:
    try:
        checked = validate_email(raw or "", check_deliverability=False)
        return User.normalize_email(checked.normalized)
    except EmailNotValidError:
        raise InvalidInput(_("Enter a valid e-mail address."), field=field) from None


def _current_commune(code: int | None, field: str = "commune") -> AdminUnit:
    unit = None
    if code:
        unit = db.session.scalar(
            select(AdminUnit).where(
                AdminUnit.era == Era.CURRENT,
                AdminUnit.level == Level.COMMUNE,
                AdminUnit.code == code,
            )
        )
    if unit is None:
        raise InvalidInput(_("Choose a commune or ward."), field=field)
    return unit


def apply_for_cooperative(
    actor: User, application: CooperativeApplication, logo: Upload | None = None
) -> Cooperative:
    """Open a cooperative's shop as `actor` (its first owner). It stays `applied` — drafts and
    certificates only, nothing on sale — until PFA staff approve it."""
    legal_name = _clean_line(application.legal_name)
    number = _clean_line(application.registration_number).upper()
    if not legal_name or len(legal_name) > 200:
        raise InvalidInput(_("Enter the cooperative's legal name."), field="legal_name")
    if not number or len(number) > 40:
        raise InvalidInput(
            _("Enter the registration or tax number (at most 40 characters)."),
            field="registration_number",
        )
    commune = _current_commune(application.commune_code)
    try:
        phone = normalize_vn_phone(application.phone)
    except InvalidPhone as error:
        raise InvalidPhone(error.message, field="phone") from None
    email = _normal_email(application.email)
    description = (application.description or "").strip()
    if len(description) > 5000:
        raise InvalidInput(_("The description is too long (at most 5,000 characters)."),
                           field="description")
    # Decode before anything is written: a bad logo leaves no cooperative behind.
    logo_image = decode_image(logo) if logo is not None else None

    begin_write()
    taken = db.session.scalar(
        select(exists().where(func.upper(Cooperative.registration_number) == number))
    )
    if taken:
        db.session.rollback()
        raise InvalidInput(
            _("A cooperative with this registration number already has a shop here."),
            field="registration_number",
        )
    coop = Cooperative(
        legal_name=legal_name,
        slug=_unique_slug(legal_name),
        registration_number=number,
        address=_clean_line(application.address)[:255],
        commune=commune,
        phone=phone,
        email=email,
        description=description,
        status=CooperativeStatus.APPLIED,
        locale=actor.locale if actor.locale in ("vi", "en") else "vi",
    )
    coop.members.append(CooperativeMember(user_id=actor.id, role=MemberRole.OWNER))
    db.session.add(coop)
    logo_stem = store_logo(logo_image) if logo_image is not None else None
    coop.logo = logo_stem
    try:
        db.session.flush()
        record_decision(
            actor=actor,
            action="cooperative.apply",
            subject=coop,
            from_status="",
            to_status=CooperativeStatus.APPLIED.value,
        )
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        delete_logo(logo_stem)
        raise InvalidInput(
            _("A cooperative with this registration number already has a shop here."),
            field="registration_number",
        ) from None
    except Exception:
        db.session.rollback()
        delete_logo(logo_stem)
        raise
    return coop


def approve_cooperative(cooperative_id: int, actor: User, *, reason: str = "") -> Cooperative:
    """Approve an applied cooperative: from now on its verified products can go on sale.

    The status change and its audit event commit together, then the cooperative is e-mailed
    (never inside the transaction). The UPDATE only matches while the status is still
    `applied`, so when two staff decide at once exactly one wins and the other gets
    AlreadyDecided (see decisions.guarded_status_change).
    """
    require_staff(actor)
    reason = clean_reason(reason, required=False)
    begin_write()
    try:
        coop = db.session.get(
            Cooperative,
            cooperative_id,
            options=[selectinload(Cooperative.members).joinedload(CooperativeMember.user)],
            populate_existing=True,
        )
        if coop is None:
            raise NotFound(_("There is no such cooperative."))
        # Read now: after the commit nothing may reopen a transaction during the SMTP call.
        notice = Notice(
            to=cooperative_recipients(coop),
            locale=coop.locale or "vi",
            subject=_l("%(name)s can now sell on OCOP Market", name=coop.legal_name),
            template="pfa_cooperative_decision",
            context={"decision": "approve", "cooperative_name": coop.legal_name, "reason": reason},
        )
        guarded_status_change(
            Cooperative,
            coop.id,
            CooperativeStatus.APPLIED,
            CooperativeStatus.APPROVED,
            reason=reason,
            label=lambda status: COOPERATIVE_STATUS_LABELS.get(status, str(status)),
        )
        record_decision(
            actor=actor,
            action="cooperative.approve",
            subject=coop,
            from_status=CooperativeStatus.APPLIED.value,
            to_status=CooperativeStatus.APPROVED.value,
            reason=reason,
        )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    send_notices([notice])
    return db.session.get_one(Cooperative, cooperative_id, populate_existing=True)


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
    email = _normal_email(email)
    role = MemberRole(role)
    begin_write()
    coop = db.session.get(Cooperative, cooperative_id)
    if coop is None:
        raise NotFound(_("There is no such cooperative."))
    user = db.session.scalar(User.by_email(email))
    context = {"cooperative_name": coop.legal_name, "inviter": actor.name or actor.email}
    if user is not None:
        if member_role(user, cooperative_id) is not None:
            db.session.rollback()
            raise InvalidInput(_("%(email)s is already a member.", email=email), field="email")
        db.session.add(CooperativeMember(cooperative_id=cooperative_id, user_id=user.id, role=role))
        notice = Notice(
            to=(user.email,),
            locale=user.locale or "vi",
            subject=_l("You were added to %(name)s on OCOP Market", name=coop.legal_name),
            template="seller_member_added",
            context={**context, "workspace_url": workspace_url},
        )
        db.session.commit()
        send_notices([notice])
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
    db.session.commit()
    send_notices([notice])
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
    begin_write()
    try:
        invitation = invitation_for_token(token, for_update=True)
    except InvalidInvitation:
        db.session.rollback()
        raise
    if User.normalize_email(actor.email) != invitation.email:
        db.session.rollback()
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
    db.session.commit()
    return coop


def revoke_invitation(cooperative_id: int, invitation_id: int, actor: User) -> None:
    """Withdraw a pending invitation: its link stops working."""
    _require_owner(actor, cooperative_id)
    invitation = db.session.scalar(
        select(CooperativeInvitation).where(
            CooperativeInvitation.id == invitation_id,
            CooperativeInvitation.cooperative_id == cooperative_id,
        )
    )
    if invitation is None:
        raise NotFound(_("There is no such invitation."))
    db.session.delete(invitation)
    db.session.commit()


def remove_member(cooperative_id: int, actor: User, user_id: int) -> None:
    """Take someone out of the cooperative (an owner may remove anyone, anyone may leave);
    the last owner stays."""
    if actor.id != user_id:
        _require_owner(actor, cooperative_id)
    begin_write()
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
        db.session.rollback()
        raise NotFound(_("This person is not a member of the cooperative."))
    if member.role is MemberRole.OWNER:
        owners = db.session.scalar(
            select(func.count()).where(
                CooperativeMember.cooperative_id == cooperative_id,
                CooperativeMember.role == MemberRole.OWNER,
            )
        )
        if (owners or 0) <= 1:
            db.session.rollback()
            raise LastOwner(
                _("The cooperative needs at least one owner. Make someone else an owner first.")
            )
    db.session.delete(member)
    db.session.commit()
