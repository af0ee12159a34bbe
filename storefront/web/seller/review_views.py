"""The chosen cooperative's reviews (/seller/reviews): every buyer's review of its products,
newest first, or only those still awaiting an answer, and the one public answer to each.
Another cooperative's review is 404 (domain/reviews/answers.cooperative_review)."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from storefront.core.errors import DomainError
from storefront.core.inputs import parse_int
from storefront.domain.reviews.answers import answer_review, cooperative_reviews
from storefront.models import limits
from storefront.web.seller import bp
from storefront.web.seller.context import cooperative_required, flash_done


@bp.get("/reviews")
@cooperative_required
def reviews():
    awaiting = request.args.get("show") == "awaiting"
    listing = cooperative_reviews(
        g.cooperative.id,
        current_user._get_current_object(),
        awaiting=awaiting,
        page=parse_int(request.args.get("page")) or 1,
    )
    return render_template(
        "seller/reviews.html",
        listing=listing,
        awaiting=awaiting,
        max_answer=limits.REVIEW_ANSWER,
    )


@bp.post("/reviews/<int:review_id>/answer", endpoint="answer_review")
@cooperative_required
def answer_review_view(review_id: int):
    back = url_for("seller.reviews", show=request.form.get("show") or None)
    try:
        answer_review(
            review_id,
            g.cooperative.id,
            current_user._get_current_object(),
            request.form.get("answer", ""),
        )
    except DomainError as error:
        if error.status == 404:
            abort(404)
        flash(error.message, "error")
        return redirect(back + f"#review-{review_id}", code=303)
    flash_done(_("Your answer is published under the review."))
    return redirect(back + f"#review-{review_id}", code=303)
