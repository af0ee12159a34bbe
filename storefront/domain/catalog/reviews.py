"""What shoppers see of buyers' reviews: a listing's page of reviews, a cooperative's
figures, and the "helpful" vote (one per visitor).

Writing, editing, answering, reporting and hiding reviews are the writing side's
(domain/reviews); this module only reads visible reviews, and counts votes. Hidden reviews
never leave the database through here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import case, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from storefront.core.db import rows_matched, unit_of_work
from storefront.core.errors import DomainError, NotFound
from storefront.core.formatting import rating_tenths
from storefront.domain.catalog.stats import Summary
from storefront.domain.catalog.visibility import public_listing_ids
from storefront.extensions import db
from storefront.models import Review, ReviewStatus, ReviewVote, utcnow

# ?reviews= on the product page: the order, or only those with photos (newest first).
REVIEW_SORTS = ("newest", "helpful", "photos")
PER_PAGE = 10
MAX_PAGE = 500


@dataclass
class ReviewPage:
    reviews: list[Review]
    sort: str
    page: int
    has_next: bool
    summary: Summary = field(default_factory=Summary)

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def parse_review_args(sort: str | None, page: str | None) -> tuple[str, int]:
    """The product page's review sort and page from its query string; bad values fall back."""
    chosen = sort if sort in REVIEW_SORTS else "newest"
    try:
        number = int(page or 1)
    except ValueError:
        number = 1
    return chosen, max(1, min(number, MAX_PAGE))


def review_page(
    listing_id: int, summary: Summary, sort: str = "newest", page: int = 1, per_page: int = PER_PAGE
) -> ReviewPage:
    """One page of a listing's visible reviews with their photos, in one query (none when the
    stats say it has no visible review). `has_next` from one row more than the page."""
    if not summary.rating_count:
        return ReviewPage([], sort, page, False, summary)
    stmt = select(Review).where(
        Review.listing_id == listing_id, Review.status == ReviewStatus.VISIBLE
    )
    if sort == "photos":
        stmt = stmt.where(Review.photo_count > 0)
    if sort == "helpful":
        stmt = stmt.order_by(
            Review.helpful_count.desc(), Review.created_at.desc(), Review.id.desc()
        )
    else:
        stmt = stmt.order_by(Review.created_at.desc(), Review.id.desc())
    stmt = stmt.limit(per_page + 1).offset((page - 1) * per_page)
    rows = list(db.session.scalars(stmt.options(joinedload(Review.photos))).unique())
    return ReviewPage(rows[:per_page], sort, page, len(rows) > per_page, summary)


@dataclass(frozen=True)
class CooperativeRatings:
    """A cooperative's visible reviews: how many, their average, and how many it answered."""

    count: int = 0
    rating_sum: int = 0
    answered: int = 0

    @property
    def tenths(self) -> int:
        return rating_tenths(self.rating_sum, self.count)

    @property
    def answered_percent(self) -> int:
        """The share of its reviews it answered, in whole percent (rounded down)."""
        return self.answered * 100 // self.count if self.count else 0


def cooperative_ratings(cooperative_id: int) -> CooperativeRatings:
    """A cooperative's review figures (its page, its dashboard): one query."""
    count, total, answered = db.session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(Review.rating), 0),
            func.coalesce(func.sum(case((Review.answer != "", 1), else_=0)), 0),
        ).where(Review.cooperative_id == cooperative_id, Review.status == ReviewStatus.VISIBLE)
    ).one()
    return CooperativeRatings(int(count), int(total), int(answered))


class AlreadyVoted(DomainError):
    code = "already_voted"
    status = 409


def vote_helpful(review_id: int, voter: str) -> int:
    """Count `voter`'s "helpful" vote on a visible review of a public listing, once; the
    review's new helpful count. Voting again changes nothing (AlreadyVoted), whatever the
    race: the unique (review, voter) pair decides, and the count moves in the same
    transaction as the vote's row."""
    if not voter or len(voter) > 64:
        raise DomainError(_("We could not tell who is voting."))
    with unit_of_work(writer=True):
        review = db.session.scalar(
            select(Review).where(Review.id == review_id, Review.status == ReviewStatus.VISIBLE)
        )
        if (
            review is None
            or review.listing_id is None
            or not public_listing_ids([review.listing_id])
        ):
            raise NotFound(_("Review not found."))
        try:
            with db.session.begin_nested():
                db.session.execute(
                    insert(ReviewVote).values(review_id=review.id, voter=voter, created_at=utcnow())
                )
        except IntegrityError:
            raise AlreadyVoted(_("You have already marked this review as helpful.")) from None
        moved = db.session.execute(
            update(Review)
            .where(Review.id == review.id)
            .values(helpful_count=Review.helpful_count + 1)
            .execution_options(synchronize_session=False)
        )
        assert rows_matched(moved) == 1
        count = db.session.scalar(select(Review.helpful_count).where(Review.id == review.id))
    return int(count or 0)
