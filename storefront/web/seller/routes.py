"""Seller workspace: the dashboard, choosing a cooperative, and the pre-2025 communes list.
Listings, certificates, stock and members have their own view modules, imported below."""

from __future__ import annotations

from flask import current_app, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from storefront.core.files import logo_url
from storefront.core.inputs import parse_int
from storefront.domain.certificates.labels import has_label
from storefront.domain.locations import legacy_choices
from storefront.domain.workspace import dashboard as dashboard_figures
from storefront.extensions import login_manager
from storefront.web.seller import bp
from storefront.web.seller.context import (
    cooperative_required,
    current_membership,
    memberships,
    remember_choice,
    safe_next,
)
from storefront.web.seller.forms import Choice, ChooseCooperativeForm, legacy_label

# Pages someone may open before logging in: the invitation link explains how to register.
PUBLIC_ENDPOINTS = {"seller.invitation"}


@bp.before_request
def require_login():
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


@bp.context_processor
def seller_context() -> dict:
    # Other parts of the workspace (shipments) appear in the menu once they exist.
    endpoints = current_app.view_functions
    return {
        "seller_cooperative": g.get("cooperative"),
        "seller_role": g.get("member_role"),
        "seller_memberships": memberships() if current_user.is_authenticated else [],
        "seller_has": lambda endpoint: endpoint in endpoints,
        "logo_url": logo_url,
        "has_label": has_label,
    }


@bp.get("/")
def dashboard():
    member = current_membership()
    if member is None:
        if memberships():
            return redirect(url_for("seller.choose"))
        return render_template("seller/welcome.html")
    g.cooperative, g.member_role = member.cooperative, member.role
    return render_template(
        "seller/dashboard.html",
        cooperative=member.cooperative,
        figures=dashboard_figures(member.cooperative_id),
    )


@bp.route("/choose", methods=["GET", "POST"])
def choose():
    mine = memberships()
    if not mine:
        return redirect(url_for("seller.dashboard"))
    form = ChooseCooperativeForm()
    form.cooperative_id.choices = [Choice(m.cooperative_id, m.cooperative.legal_name) for m in mine]
    if form.validate_on_submit() and remember_choice(form.cooperative_id.data):
        return redirect(safe_next(request.args.get("next"), url_for("seller.dashboard")))
    if request.method == "GET":
        current = current_membership()
        form.cooperative_id.data = current.cooperative_id if current else None
    return render_template("seller/choose.html", form=form, memberships=mine)


@bp.get("/communes/former")
def former():
    """The pre-2025 communes for today's commune `?commune=<code>` (JSON): the ones that
    became it first, then the others of their provinces."""
    commune = parse_int(request.args.get("commune"))
    formed_from, others = legacy_choices(commune)
    # As the form lists them: the communes it grew from first, then the exceptions.
    other = _("not among those that formed it")
    return jsonify(
        communes=[{"code": u.code, "name": legacy_label(u)} for u in formed_from]
        + [{"code": u.code, "name": f"{legacy_label(u)} · {other}"} for u in others]
    )


__all__ = ["cooperative_required"]

# The workspace's other pages register on the same blueprint.
from storefront.web.seller import (  # noqa: E402,F401
    certificate_views,
    cooperative_views,
    finance_views,  # noqa: E402,F401  (the cooperative's money: /seller/finance)
    labels,  # noqa: E402,F401  (the certificate's print label, PFA issue)
    listing_views,
    review_views,  # noqa: E402,F401  (buyers' reviews and the answers: /seller/reviews)
    shipments,  # noqa: E402,F401  (fulfilment: /seller/shipments)
    stock_views,
)
