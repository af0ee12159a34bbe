"""Opening a cooperative's shop, and its members and invitations."""

from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from storefront.core.errors import DomainError, InvalidInput, InvalidInvitation
from storefront.core.urls import external_url
from storefront.domain.cooperatives.applications import apply_for_cooperative
from storefront.domain.cooperatives.members import (
    accept_invitation,
    invitation_for_token,
    invite_member,
    members_of,
    pending_invitations,
    remove_member,
    revoke_invitation,
)
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
from storefront.web.seller.forms import ApplicationForm, InviteForm


@bp.route("/apply", methods=["GET", "POST"])
def apply():
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


@bp.get("/members")
@cooperative_required
def members():
    return render_template(
        "seller/members.html",
        members=members_of(g.cooperative.id),
        invitations=pending_invitations(g.cooperative.id),
        form=InviteForm(),
        is_owner=g.member_role is MemberRole.OWNER,
    )


@bp.post("/members/invite")
@cooperative_required
def invite():
    form = InviteForm()
    if form.validate_on_submit():
        try:
            outcome = invite_member(
                g.cooperative.id,
                current_user,
                form.email.data or "",
                MemberRole(form.role.data),
                accept_url=lambda token: external_url("seller.invitation", token=token),
                workspace_url=external_url("seller.dashboard"),
            )
        except InvalidInput as error:
            apply_domain_error(form, error, "email")
        else:
            if outcome == "added":
                flash_done(_("%(email)s is now a member.", email=form.email.data))
            else:
                flash_done(
                    _(
                        "%(email)s has no account yet: we sent an invitation to register and join.",
                        email=form.email.data,
                    )
                )
            return redirect(url_for("seller.members"))
    return render_template(
        "seller/members.html",
        members=members_of(g.cooperative.id),
        invitations=pending_invitations(g.cooperative.id),
        form=form,
        is_owner=g.member_role is MemberRole.OWNER,
    ), 400


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
    """The link in an invitation e-mail: register or log in with the invited address, accept."""
    try:
        invite = invitation_for_token(token)
    except InvalidInvitation as error:
        return render_template("seller/invitation.html", error=error.message, token=token), 400
    if request.method == "POST":
        if not current_user.is_authenticated:
            return redirect(url_for("accounts.login", next=request.path))
        try:
            coop = accept_invitation(token, current_user)
        except InvalidInvitation as error:
            flash(error.message, "error")
            return redirect(request.path)
        session[SESSION_KEY] = coop.id
        flash_done(_("Welcome to %(name)s!", name=coop.legal_name))
        return redirect(url_for("seller.dashboard"))
    register_url = None
    if "accounts.register" in current_app.view_functions:
        register_url = url_for("accounts.register", next=request.path)
    return render_template(
        "seller/invitation.html",
        invitation=invite,
        token=token,
        register_url=register_url,
        login_url=url_for("accounts.login", next=request.path),
    )
