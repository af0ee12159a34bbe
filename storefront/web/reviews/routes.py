"""The review form — a logged-in buyer's, from their order page, and anyone's holding the
signed link of the reminder e-mail — and the report of a review from the product page.

Every rule is the domain's (domain/reviews): the views read the form, call one function,
and show its refusal beside the field it names or on a page of its own; a refusal changes
nothing. Writing is rate-limited per buyer (or per IP through a link), reports per visitor
and per IP (REVIEW_* settings).

The report form sits on product pages a CDN may cache (web/http_cache.py): like add-to-cart
(web/shop/cart/routes.py), it carries no CSRF token there, gets one from /cart/token when used
(static/js/review_report.js), and /reviews/<id>/report checks the Origin and the token
itself: a cross-site post is refused, a post without a valid token of this visitor's gets a
page asking to confirm, with a fresh token, and nothing is reported until then.
"""

from __future__ import annotations

import time

from flask import (
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_limiter import RateLimitExceeded
from flask_limiter.util import get_remote_address
from flask_login import current_user
from werkzeug.datastructures import FileStorage

from storefront.core.errors import DomainError
from storefront.core.files import Upload
from storefront.core.inputs import parse_int
from storefront.domain.reviews.moderation import report_review
from storefront.domain.reviews.rules import EDIT_DAYS
from storefront.domain.reviews.writing import (
    Draft,
    ReviewInput,
    draft_for_buyer,
    draft_for_link,
    save_review,
    save_review_by_link,
)
from storefront.extensions import csrf, limiter
from storefront.models import limits
from storefront.models.reviews import REVIEW_REASON
from storefront.web.http_cache import has_valid_token, is_cross_site
from storefront.web.ratelimits import post_limit
from storefront.web.redirects import safe_next
from storefront.web.reviews import bp
from storefront.web.visitor import visitor_key


def _writer_key() -> str:
    if current_user.is_authenticated:
        return f"review-writer:user:{current_user.id}"
    return f"review-writer:ip:{get_remote_address()}"


def _reporter_key() -> str:
    return f"review-report:{visitor_key() or ''}"


def _writing_limited() -> str:
    return _("Too many reviews were sent from here. Please wait a while and try again.")


def _reports_limited() -> str:
    return _("Too many reports were sent from here. Please wait a while and try again.")


@bp.errorhandler(RateLimitExceeded)
def too_many(error: RateLimitExceeded):
    response = make_response(
        render_template("reviews/too_many.html", message=error.description), 429
    )
    current = limiter.current_limit
    if current is not None:
        response.headers["Retry-After"] = str(max(1, int(current.reset_at - time.time())))
    return response


def _refused(error: DomainError):
    """A line that cannot be reviewed, or a bad link: a page saying why (404 as a 404)."""
    if error.status == 404:
        abort(404)
    return render_template("reviews/refused.html", message=error.message), error.status


def _input() -> ReviewInput:
    files = [f for f in request.files.getlist("photos") if isinstance(f, FileStorage)]
    removed = [parse_int(v) for v in request.form.getlist("remove_photo")]
    return ReviewInput(
        rating=request.form.get("rating", ""),
        body=request.form.get("body", ""),
        photos=[Upload(f.filename or "", f.stream) for f in files if f.filename],
        remove_photos=[photo_id for photo_id in removed if photo_id is not None],
    )


def _form(draft: Draft, action: str, errors: dict[str, str] | None = None, status: int = 200):
    review = draft.review
    values = {
        "rating": request.form.get("rating", "") if errors else (review.rating if review else ""),
        "body": request.form.get("body", "") if errors else (review.body if review else ""),
    }
    return (
        render_template(
            "reviews/form.html",
            draft=draft,
            line=draft.line,
            review=review,
            action=action,
            values=values,
            errors=errors or {},
            edit_days=EDIT_DAYS,
            max_body=limits.REVIEW_BODY,
            max_photos=limits.REVIEW_PHOTOS,
        ),
        status,
    )


def _refused_form(draft: Draft, action: str, error: DomainError):
    """The form again with the refusal beside its field (422), or above the form with the
    refusal's own status (an edit after its window: 409)."""
    field = error.details.get("field")
    field = "photos" if field == "file" else field  # core/files names its uploads "file"
    if field in ("rating", "body", "photos"):
        return _form(draft, action, {field: error.message}, 422)
    return _form(draft, action, {"form": error.message}, error.status)


@bp.route("/lines/<int:order_line_id>", methods=["GET", "POST"])
@post_limit("REVIEW_WRITE_LIMIT", _writer_key, _writing_limited)
def write(order_line_id: int):
    """A logged-in buyer's review of one line of their own order (another's line: 404)."""
    try:
        draft = draft_for_buyer(order_line_id, current_user._get_current_object())
    except DomainError as error:
        return _refused(error)
    action = url_for("reviews.write", order_line_id=order_line_id)
    if request.method == "GET":
        return _form(draft, action)
    try:
        save_review(order_line_id, current_user._get_current_object(), _input())
    except DomainError as error:
        if error.status == 404:
            abort(404)
        return _refused_form(draft, action, error)
    _thank(draft)
    return redirect(url_for("orders.detail", number=draft.line.order.number), code=303)


@bp.route("/link/<token>", methods=["GET", "POST"])
@post_limit("REVIEW_WRITE_LIMIT", _writer_key, _writing_limited)
def guest(token: str):
    """The review form the reminder e-mail's signed link opens, in any browser."""
    try:
        draft = draft_for_link(token)
    except DomainError as error:
        return _refused(error)
    action = url_for("reviews.guest", token=token)
    if request.method == "GET":
        return _form(draft, action)
    try:
        save_review_by_link(token, _input())
    except DomainError as error:
        if error.status == 404:
            abort(404)
        return _refused_form(draft, action, error)
    _thank(draft)
    return redirect(action, code=303)


def _thank(draft: Draft) -> None:
    written = draft.review is None
    flash(_("Thank you for your review!") if written else _("Your review was changed."), "success")


# --- reports --------------------------------------------------------------------------------


def _confirm_report(review_id: int):
    """The report, to confirm with a fresh token: nothing was reported."""
    response = make_response(
        render_template(
            "reviews/confirm_report.html",
            review_id=review_id,
            reason=request.form.get("reason", "")[:REVIEW_REASON],
            next_url=safe_next(request.form.get("next"), url_for("catalog.home")),
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@csrf.exempt
@bp.post("/<int:review_id>/report")
@post_limit("REVIEW_REPORT_LIMIT_PER_IP", get_remote_address, _reports_limited)
@post_limit("REVIEW_REPORT_LIMIT_PER_VISITOR", _reporter_key, _reports_limited)
def report(review_id: int):
    """Anyone's report of a review, with a short reason; once per visitor."""
    # CSRF: checked here, not by CSRFProtect (see the module's docstring).
    if is_cross_site():
        abort(403)
    if not has_valid_token():
        return _confirm_report(review_id)
    back = safe_next(request.form.get("next"), url_for("catalog.home"))
    try:
        report_review(review_id, visitor_key() or "", request.form.get("reason", ""))
    except DomainError as error:
        if error.status == 404:
            abort(404)
        flash(error.message, "error")
        return redirect(back, code=303)
    flash(_("Thank you. The Farmers' Association will look at this review."), "success")
    return redirect(back, code=303)
