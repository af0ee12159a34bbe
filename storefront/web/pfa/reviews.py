"""Reported reviews in the PFA console (/pfa/reviews): the open reports with their review,
the decisions on them (hide with a reason, dismiss the reports) and hidden reviews, to show
again. PFA staff and admins only (the blueprint's guard, the policy table and the domain's
require_staff); every decision is audited by the domain."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from storefront.core.errors import DomainError
from storefront.core.inputs import parse_int
from storefront.core.media import open_review_image
from storefront.domain.reviews import moderation
from storefront.web.pfa import bp


def _me():
    return current_user._get_current_object()


@bp.get("/reviews")
def review_reports():
    hidden = request.args.get("show") == "hidden"
    queue = moderation.report_queue(
        _me(), hidden=hidden, page=max(1, parse_int(request.args.get("page")) or 1)
    )
    return render_template("pfa/review_reports.html", queue=queue, hidden=hidden)


def _decide(call, done: str):
    back = url_for("pfa.review_reports", show=request.form.get("show") or None)
    try:
        call()
    except DomainError as error:
        if error.status == 404:
            abort(404)
        flash(str(error.message), "error")
        return redirect(back, code=303)
    flash(done, "success")
    return redirect(back, code=303)


@bp.post("/reviews/<int:review_id>/hide")
def hide_review(review_id: int):
    return _decide(
        lambda: moderation.hide_review(review_id, _me(), request.form.get("reason", "")),
        _("The review is hidden."),
    )


@bp.post("/reviews/<int:review_id>/dismiss")
def dismiss_review_reports(review_id: int):
    return _decide(
        lambda: moderation.dismiss_reports(review_id, _me()),
        _("The reports are dismissed; the review stays shown."),
    )


@bp.post("/reviews/<int:review_id>/unhide")
def unhide_review(review_id: int):
    return _decide(
        lambda: moderation.unhide_review(review_id, _me(), request.form.get("reason", "")),
        _("The review is shown again."),
    )


@bp.get("/reviews/<int:review_id>/photos/<int:photo_id>/<size>")
def review_photo(review_id: int, photo_id: int, size: str):
    """A review's photo for staff, wherever it is kept: a hidden review's photos are off their
    public address (domain/reviews/moderation.sync_photo_visibility)."""
    try:
        stem = moderation.photo_for_staff(review_id, photo_id, _me())
    except DomainError:
        abort(404)
    stored = open_review_image(stem, size)
    if stored is None:
        abort(404)
    response = Response(stored.data, mimetype=stored.content_type)
    response.cache_control.private = True
    response.cache_control.max_age = 300
    return response
