"""Opening a cooperative's shop, its profile (story, contact, logo), its members and
invitations."""

from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from storefront.core.errors import (
    DomainError,
    EmailNotVerified,
    InvalidInput,
    InvalidInvitation,
    StaffCannotJoin,
    TooManyInvitations,
)
from storefront.core.files import MAX_IMAGE_BYTES
from storefront.core.urls import external_url
from storefront.domain.cooperatives.applications import apply_for_cooperative
from storefront.domain.cooperatives.logo import discard_pending_logo
from storefront.domain.cooperatives.members import (
    accept_invitation,
    decline_invitation,
    invitation_for_token,
    invite_member,
    members_of,
    open_invitations,
    remove_member,
    require_may_join,
    revoke_invitation,
)
from storefront.domain.cooperatives.profile import update_profile
from storefront.domain.locations import communes_of, provinces
from storefront.models import MemberRole
from storefront.web.seller import bp
from storefront.web.seller.context import (
    SESSION_KEY,
    apply_domain_error,
    cooperative_required,
    flash_done,
    upload_of,
)
from storefront.web.seller.forms import ApplicationForm, InviteForm, ProfileForm


def _may_join_refusal() -> DomainError | None:
    """Why the logged-in user may not join or open a cooperative, if they may not."""
    try:
        require_may_join(current_user._get_current_object())
    except (EmailNotVerified, StaffCannotJoin) as error:
        return error
    return None


@bp.route("/apply", methods=["GET", "POST"])
def apply():
    refusal = _may_join_refusal()
    if refusal is not None:
        # Nothing is read from the form, nothing is stored: the page says why, and an
        # unverified applicant gets the button that sends the confirmation link.
        return render_template(
            "seller/apply_refused.html",
            message=refusal.message,
            unverified=isinstance(refusal, EmailNotVerified),
        ), 403
    form = ApplicationForm()
    form.set_places(provinces(), communes_of(form.province.data))
    if request.method == "POST" and not form.show_communes.data and form.validate():
        try:
            coop = apply_for_cooperative(
                current_user, form.application(), logo=upload_of(form.logo.data)
            )
        except InvalidInput as error:
            field = error.details.get("field")
            apply_domain_error(form, error, "logo" if error.code == "invalid_upload" else field)
        else:
            session[SESSION_KEY] = coop.id
            flash_done(
                _(
                    "Thank you! Your application is sent. The Farmers' Association will check it;"
                    " meanwhile you can prepare your products and certificates."
                )
            )
            return redirect(url_for("seller.dashboard"))
    status = 400 if form.errors and not form.show_communes.data else 200
    return render_template("seller/apply.html", form=form), status


@bp.route("/profile", methods=["GET", "POST"])
@cooperative_required
def profile():
    """The cooperative's story, contact and logo: owners change them, other members read."""
    coop = g.cooperative
    if request.method == "POST":
        form = ProfileForm()
    else:
        form = ProfileForm(
            data={
                "description": coop.description,
                "address": coop.address,
                "phone": coop.phone,
                "email": coop.email,
            }
        )
    if form.validate_on_submit():
        try:
            update_profile(
                coop.id,
                current_user,
                form.change(),
                logo=upload_of(form.logo.data),
                remove_logo=bool(form.remove_logo.data),
            )
        except InvalidInput as error:
            field = "logo" if error.code == "invalid_upload" else error.details.get("field")
            apply_domain_error(form, error, field)
        else:
            flash_done(_("The profile is saved. Your public page shows it now."))
            return redirect(url_for("seller.profile"))
    return render_template(
        "seller/profile.html",
        form=form,
        cooperative=coop,
        is_owner=g.member_role is MemberRole.OWNER,
        max_mb=MAX_IMAGE_BYTES // (1024 * 1024),
    ), (400 if form.errors else 200)


@bp.post("/profile/logo/<stem>/discard")
@cooperative_required
def discard_logo(stem: str):
    """Remove the new logo that could not be processed (or is still waiting): owners only,
    this cooperative's own pending logo only (404 otherwise)."""
    discard_pending_logo(g.cooperative.id, current_user, stem)
    flash_done(_("The new logo was removed. Your current logo stays."))
    return redirect(url_for("seller.profile"))


@bp.get("/members")
@cooperative_required
def members():
    return _members_page(InviteForm())


def _members_page(form: InviteForm):
    return render_template(
        "seller/members.html",
        members=members_of(g.cooperative.id),
        invitations=open_invitations(g.cooperative.id),
        form=form,
        is_owner=g.member_role is MemberRole.OWNER,
    )


@bp.post("/members/invite")
@cooperative_required
def invite():
    form = InviteForm()
    if form.validate_on_submit():
        try:
            invite_member(
                g.cooperative.id,
                current_user,
                form.email.data or "",
                MemberRole(form.role.data),
                accept_url=lambda token: external_url("seller.invitation", token=token),
            )
        except TooManyInvitations as error:
            flash(error.message, "error")
            return _members_page(form), 429
        except InvalidInput as error:
            apply_domain_error(form, error, "email")
        else:
            # The same words whether or not the address has an account: nobody is added
            # here, the address gets an offer to accept or decline.
            flash_done(
                _(
                    "We sent an invitation to %(email)s. They join once they accept it, logged "
                    "in with that address.",
                    email=form.email.data,
                )
            )
            return redirect(url_for("seller.members"))
    return _members_page(form), 400


@bp.post("/members/<int:user_id>/remove")
@cooperative_required
def remove(user_id: int):
    try:
        remove_member(g.cooperative.id, current_user, user_id)
    except DomainError as error:
        if error.status == 404:
            raise
        flash(error.message, "error")
        return redirect(url_for("seller.members"))
    if user_id == current_user.id:
        flash_done(_("You left %(name)s.", name=g.cooperative.legal_name))
        return redirect(url_for("seller.dashboard"))
    flash_done(_("The member was removed."))
    return redirect(url_for("seller.members"))


@bp.post("/invitations/<int:invitation_id>/revoke")
@cooperative_required
def revoke(invitation_id: int):
    revoke_invitation(g.cooperative.id, invitation_id, current_user)
    flash_done(_("The invitation was withdrawn."))
    return redirect(url_for("seller.members"))


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def invitation(token: str):
    """The link in an invitation e-mail: the invited person, logged in with the invited and
    verified address, accepts (POST answer=accept) or declines (answer=decline)."""
    try:
        invite = invitation_for_token(token)
    except InvalidInvitation as error:
        return render_template("seller/invitation.html", error=error.message, token=token), 400
    if request.method == "POST":
        if not current_user.is_authenticated:
            return redirect(url_for("accounts.login", next=request.path))
        try:
            if request.form.get("answer") == "decline":
                coop = decline_invitation(token, current_user._get_current_object())
            else:
                coop = accept_invitation(token, current_user._get_current_object())
        except (InvalidInvitation, EmailNotVerified, StaffCannotJoin) as error:
            flash(error.message, "error")
            return redirect(request.path)
        if request.form.get("answer") == "decline":
            flash_done(_("You declined the invitation of %(name)s.", name=coop.legal_name))
            return redirect(url_for("accounts.account"))
        session[SESSION_KEY] = coop.id
        flash_done(_("Welcome to %(name)s!", name=coop.legal_name))
        return redirect(url_for("seller.dashboard"))
    register_url = None
    if "accounts.register" in current_app.view_functions:
        register_url = url_for("accounts.register", next=request.path)
    refusal = _may_join_refusal() if current_user.is_authenticated else None
    return render_template(
        "seller/invitation.html",
        invitation=invite,
        token=token,
        register_url=register_url,
        login_url=url_for("accounts.login", next=request.path),
        refusal=refusal,
        unverified=isinstance(refusal, EmailNotVerified),
    )
