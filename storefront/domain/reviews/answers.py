"""The cooperative's one public answer to a review of its product, and the list of its
reviews in the seller workspace. Only a member of that cooperative answers, once: the answer
is a guarded UPDATE on a review not yet answered, so two members answering at once cannot
both win."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from storefront.core import clock
from storefront.core.db import rows_matched, unit_of_work
from storefront.core.errors import InvalidInput, InvalidTransition, NotFound
from storefront.core.text import plain_text
from storefront.domain.cooperatives.members import is_member
from storefront.domain.reviews import stats
from storefront.domain.reviews.rules import AlreadyAnswered
from storefront.extensions import db
from storefront.models import Review, ReviewStatus, User, limits

PER_PAGE = 20


@dataclass
class ReviewList:
    reviews: list[Review]
    page: int
    pages: int
    total: int
    awaiting: int  # visible reviews not answered yet


def _require_member(actor: User | None, cooperative_id: int) -> None:
    if not is_member(actor, cooperative_id):
        # 404, not 403: the seller workspace never confirms another cooperative's objects.
        raise NotFound(_("There is no such review of your products."))


def cooperative_review(review_id: int, cooperative_id: int, actor: User | None) -> Review:
    """A review of one of the cooperative's products, for one of its members; NotFound for
    another cooperative's review (the same as one that does not exist)."""
    _require_member(actor, cooperative_id)
    review = db.session.scalar(
        select(Review).where(Review.id == review_id, Review.cooperative_id == cooperative_id)
    )
    if review is None:
        raise NotFound(_("There is no such review of your products."))
    return review


def cooperative_reviews(
    cooperative_id: int, actor: User | None, *, awaiting: bool = False, page: int = 1
) -> ReviewList:
    """The cooperative's reviews, newest first; `awaiting`: only visible ones not answered."""
    _require_member(actor, cooperative_id)
    mine = Review.cooperative_id == cooperative_id
    waiting = (Review.status == ReviewStatus.VISIBLE) & (Review.answered_at.is_(None))
    stmt = select(Review).where(mine)
    if awaiting:
        stmt = stmt.where(waiting)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(1, page), pages)
    reviews = list(
        db.session.scalars(
            stmt.options(selectinload(Review.photos), selectinload(Review.order_line))
            .order_by(Review.created_at.desc(), Review.id.desc())
            .limit(PER_PAGE)
            .offset((page - 1) * PER_PAGE)
        )
    )
    count_waiting = db.session.scalar(select(func.count(Review.id)).where(mine, waiting)) or 0
    return ReviewList(reviews, page, pages, total, count_waiting)


def answer_review(review_id: int, cooperative_id: int, actor: User | None, text: str) -> Review:
    """The cooperative's one public answer (plain text, up to REVIEW_ANSWER characters)."""
    # Whose review first: another cooperative's is 404 whatever the text.
    cooperative_review(review_id, cooperative_id, actor)
    answer = plain_text(text)
    if not answer:
        raise InvalidInput(_("Write your answer first."), field="answer")
    if len(answer) > limits.REVIEW_ANSWER:
        raise InvalidInput(
            _(
                "Your answer is %(length)d characters long; at most %(max)d fit.",
                length=len(answer),
                max=limits.REVIEW_ANSWER,
            ),
            field="answer",
        )
    with unit_of_work(writer=True):
        review = cooperative_review(review_id, cooperative_id, actor)
        assert actor is not None  # a member
        if review.status is not ReviewStatus.VISIBLE:
            raise InvalidTransition(
                _("This review was hidden by the Farmers' Association: it cannot be answered.")
            )
        result = db.session.execute(
            update(Review)
            .where(Review.id == review.id, Review.answered_at.is_(None))
            .values(answer=answer, answered_at=clock.now().astimezone(UTC), answered_by_id=actor.id)
            .execution_options(synchronize_session=False)
        )
        if rows_matched(result) != 1:
            raise AlreadyAnswered(_("This review already has your cooperative's answer."))
        stats.touch(review.listing_id)  # the product page shows the answer
    db.session.refresh(review)
    return review
