"""Reports of reviews, by anyone, and what PFA staff or an admin decide on them: hide the
review with a reason, dismiss its reports, or show a hidden review again.

A reporter is a key, one report per key and review (a unique key): a logged-in visitor's
"u:<user id>", an anonymous one's "v:" and a digest of the visitor id the web layer keeps in
their session (reporter_key). Each decision is a guarded UPDATE on the review's status or the
reports' (two staff deciding at once cannot both win), audited (domain/audit.py) and, when a
review appears or disappears, moves the listing's rating summary in the same unit of work.

A hidden review's photos leave their public address too (a job after the commit moves them
to the private storage, `sync_photo_visibility`; showing the review again moves them back):
staff still see them in the console (web/pfa/reviews.py serves them to staff only).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from storefront.core import clock
from storefront.core.db import Unit, rows_matched, unit_of_work
from storefront.core.errors import AlreadyDecided, InvalidInput, NotFound
from storefront.core.media import restore_review_image, withdraw_review_image
from storefront.core.text import plain_text
from storefront.domain.audit import record_decision
from storefront.domain.decisions import require_staff
from storefront.domain.jobs import later, task
from storefront.domain.reviews import stats
from storefront.domain.reviews.rules import AlreadyReported
from storefront.extensions import db
from storefront.models import (
    Listing,
    ReportStatus,
    Review,
    ReviewPhoto,
    ReviewReport,
    ReviewStatus,
    User,
)
from storefront.models.reviews import REVIEW_REASON

PER_PAGE = 20


def reporter_key(user_id: int | None, visitor: str | None) -> str:
    """Who reports (or votes): "u:<id>" for an account, else "v:<digest of the visitor id>";
    the raw visitor id, a session secret, is never stored."""
    if user_id is not None:
        return f"u:{user_id}"
    if not visitor:
        raise InvalidInput(_("Please reload the page and try again."))
    return "v:" + hashlib.sha256(visitor.encode()).hexdigest()[:40]


def _reason(text: str, *, required: bool = True) -> str:
    reason = plain_text(text)
    if required and not reason:
        raise InvalidInput(_("Please say briefly what is wrong."), field="reason")
    if len(reason) > REVIEW_REASON:
        raise InvalidInput(
            _("Please keep the reason under %(max)d characters.", max=REVIEW_REASON),
            field="reason",
        )
    return reason


def report_review(review_id: int, reporter: str, reason: str) -> ReviewReport:
    """Anyone's report of a shown review, with a short reason; once per reporter."""
    text = _reason(reason)
    try:
        with unit_of_work(writer=True):
            review = db.session.get(Review, review_id)
            if review is None or review.status is not ReviewStatus.VISIBLE:
                raise NotFound(_("There is no such review."))
            already = db.session.scalar(
                select(ReviewReport.id).where(
                    ReviewReport.review_id == review_id, ReviewReport.reporter == reporter
                )
            )
            if already is not None:
                raise AlreadyReported(_("You have already reported this review. Thank you."))
            report = ReviewReport(review_id=review_id, reporter=reporter, reason=text)
            db.session.add(report)
            db.session.flush()
    except IntegrityError:  # the same reporter twice at once: the unique key
        raise AlreadyReported(_("You have already reported this review. Thank you.")) from None
    return report


# --- the PFA console's queue ------------------------------------------------------------------


@dataclass
class ReportedReview:
    review: Review
    product_name: str
    listing_slug: str | None
    reports: list[ReviewReport]


@dataclass
class ReportQueue:
    items: list[ReportedReview]
    page: int
    pages: int
    total: int

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def report_queue(actor: User | None, *, hidden: bool = False, page: int = 1) -> ReportQueue:
    """Reviews with open reports, the longest waiting first (`hidden`: hidden reviews,
    the latest hidden first, to show again if that was a mistake)."""
    require_staff(actor)
    if hidden:
        stmt = (
            select(Review)
            .where(Review.status == ReviewStatus.HIDDEN)
            .order_by(Review.hidden_at.desc(), Review.id.desc())
        )
        total_stmt = select(func.count(Review.id)).where(Review.status == ReviewStatus.HIDDEN)
    else:
        waiting = (
            select(ReviewReport.review_id, func.min(ReviewReport.created_at).label("since"))
            .where(ReviewReport.status == ReportStatus.OPEN)
            .group_by(ReviewReport.review_id)
            .subquery()
        )
        stmt = (
            select(Review)
            .join(waiting, waiting.c.review_id == Review.id)
            .order_by(waiting.c.since, Review.id)
        )
        total_stmt = select(func.count()).select_from(waiting)
    total = db.session.scalar(total_stmt) or 0
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(1, page), pages)
    reviews = list(
        db.session.scalars(
            stmt.options(selectinload(Review.photos), joinedload(Review.order_line))
            .limit(PER_PAGE)
            .offset((page - 1) * PER_PAGE)
        ).unique()
    )
    ids = [review.id for review in reviews]
    reports: dict[int, list[ReviewReport]] = {}
    if ids:
        shown = [ReportStatus.OPEN] if not hidden else list(ReportStatus)
        for report in db.session.scalars(
            select(ReviewReport)
            .where(ReviewReport.review_id.in_(ids), ReviewReport.status.in_(shown))
            .order_by(ReviewReport.created_at, ReviewReport.id)
        ):
            reports.setdefault(report.review_id, []).append(report)
    slugs = dict(
        db.session.execute(
            select(Listing.id, Listing.slug).where(
                Listing.id.in_({r.listing_id for r in reviews if r.listing_id is not None})
            )
        ).all()
    )
    items = [
        ReportedReview(
            review=review,
            product_name=review.order_line.product_name,
            listing_slug=slugs.get(review.listing_id) if review.listing_id else None,
            reports=reports.get(review.id, []),
        )
        for review in reviews
    ]
    return ReportQueue(items, page, pages, total)


# --- staff decisions ------------------------------------------------------------------------


def _review(review_id: int) -> Review:
    """The review, locked: an edit changing its stars meanwhile waits, so the rating taken
    out of (or put back into) the summary is the one it has."""
    review = db.session.scalar(
        select(Review)
        .where(Review.id == review_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if review is None:
        raise NotFound(_("There is no such review."))
    return review


def _move(review: Review, from_status: ReviewStatus, values: dict[str, object]) -> bool:
    result = db.session.execute(
        update(Review)
        .where(Review.id == review.id, Review.status == from_status)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return rows_matched(result) == 1


def _close_reports(review_id: int, status: ReportStatus, actor: User) -> int:
    result = db.session.execute(
        update(ReviewReport)
        .where(ReviewReport.review_id == review_id, ReviewReport.status == ReportStatus.OPEN)
        .values(status=status, resolved_at=clock.now().astimezone(UTC), resolved_by_id=actor.id)
        .execution_options(synchronize_session=False)
    )
    return rows_matched(result)


def hide_review(review_id: int, actor: User | None, reason: str) -> Review:
    """Hide a review from every page, with a reason (audited); its open reports are closed
    as acted on and it no longer counts in the listing's rating."""
    require_staff(actor)
    assert actor is not None
    text = _reason(reason)
    with unit_of_work(writer=True) as unit:
        review = _review(review_id)
        moved = _move(
            review,
            ReviewStatus.VISIBLE,
            {
                "status": ReviewStatus.HIDDEN,
                "hidden_reason": text,
                "hidden_by_id": actor.id,
                "hidden_at": clock.now().astimezone(UTC),
            },
        )
        if not moved:
            raise AlreadyDecided(_("This review is already hidden."))
        reports = _close_reports(review.id, ReportStatus.ACTIONED, actor)
        stats.count_rating(review.listing_id, review.rating, -1)
        photos_follow(unit, review)
        record_decision(
            actor=actor,
            action="review.hide",
            subject=review,
            from_status=ReviewStatus.VISIBLE.value,
            to_status=ReviewStatus.HIDDEN.value,
            reason=text,
            data={"reports": reports, "listing_id": review.listing_id},
        )
    db.session.refresh(review)
    return review


def unhide_review(review_id: int, actor: User | None, reason: str = "") -> Review:
    """Show a hidden review again (a mistake undone; audited); it counts again."""
    require_staff(actor)
    assert actor is not None
    text = _reason(reason, required=False)
    with unit_of_work(writer=True) as unit:
        review = _review(review_id)
        moved = _move(
            review,
            ReviewStatus.HIDDEN,
            {
                "status": ReviewStatus.VISIBLE,
                "hidden_reason": "",
                "hidden_by_id": None,
                "hidden_at": None,
            },
        )
        if not moved:
            raise AlreadyDecided(_("This review is already shown."))
        stats.count_rating(review.listing_id, review.rating, 1)
        photos_follow(unit, review)
        record_decision(
            actor=actor,
            action="review.unhide",
            subject=review,
            from_status=ReviewStatus.HIDDEN.value,
            to_status=ReviewStatus.VISIBLE.value,
            reason=text,
            data={"listing_id": review.listing_id},
        )
    db.session.refresh(review)
    return review


def photos_follow(unit: Unit, review: Review) -> None:
    """After `unit` commits, move the review's photos to where its status says."""
    if review.photo_count or review.photos:
        later(unit, sync_photo_visibility, review.id)


@task("reviews.sync_photo_visibility")
def sync_photo_visibility(review_id: int) -> str:
    """Photos of a hidden review off their public address, of a shown one back on it, as the
    review's status is when the job runs (a hide then a quick unhide end shown whatever order
    their jobs run in); running again changes nothing."""
    status = db.session.scalar(select(Review.status).where(Review.id == review_id))
    stems = db.session.scalars(
        select(ReviewPhoto.filename).where(ReviewPhoto.review_id == review_id)
    ).all()
    db.session.rollback()  # moving files holds no transaction open
    if status is None:
        return "gone"
    move = withdraw_review_image if status is ReviewStatus.HIDDEN else restore_review_image
    for stem in stems:
        move(stem)
    return status.value


def dismiss_reports(review_id: int, actor: User | None) -> int:
    """Leave the review shown and close its open reports (audited); how many were closed."""
    require_staff(actor)
    assert actor is not None
    with unit_of_work(writer=True):
        review = _review(review_id)
        closed = _close_reports(review.id, ReportStatus.DISMISSED, actor)
        if not closed:
            raise AlreadyDecided(_("This review has no open report."))
        record_decision(
            actor=actor,
            action="review.dismiss_reports",
            subject=review,
            from_status=review.status.value,
            to_status=review.status.value,
            data={"reports": closed},
        )
    return closed


def photo_for_staff(review_id: int, photo_id: int, actor: User | None) -> str:
    """The stem of a review's photo, for the console (hidden reviews' photos have no public
    address); NotFound for a photo of another review."""
    require_staff(actor)
    stem = db.session.scalar(
        select(ReviewPhoto.filename).where(
            ReviewPhoto.id == photo_id, ReviewPhoto.review_id == review_id
        )
    )
    if stem is None:
        raise NotFound(_("Photo not found."))
    return stem
