"""Who may review an order line, and writing or editing that review.

A review belongs to one order line: the line's shipment was delivered (a cancelled or
undelivered line, or a product since deleted, cannot be reviewed), its author is the order's
own buyer — the account that placed it, logged in, or whoever holds the signed review link
the buyer was e-mailed (links.py) — and nobody who works for the cooperative that sold it
(neither the account that placed the order nor an account with the order's e-mail). One
review per line (a unique key), editable for EDIT_DAYS after it was written.

Text is kept as plain text (core/text.plain_text), never rendered as markup; photos pass the
listing photos' checks in the request, are kept as sent in the private storage and recorded
"processing" with their job (photos.py), which makes their sizes under "reviews/"
(core/media.py) after the commit; only then does anyone but the buyer see them. The listing's
rating summary moves in the same unit of work (stats.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from storefront.core import clock
from storefront.core.db import aware, end_read, unit_of_work
from storefront.core.errors import InvalidInput, InvalidUpload, NotFound
from storefront.core.files import Upload, check_image, check_photo
from storefront.core.inputs import parse_int
from storefront.core.media import delete_original, store_original
from storefront.core.text import plain_text
from storefront.domain.jobs import later_once
from storefront.domain.reviews import stats
from storefront.domain.reviews.links import line_for_link
from storefront.domain.reviews.photos import (
    delete_photo_files,
    job_key,
    process_review_photo,
)
from storefront.domain.reviews.rules import (
    EDIT_DAYS,
    AlreadyReviewed,
    EditWindowClosed,
    NotReviewable,
    OwnProduct,
)
from storefront.extensions import db
from storefront.models import (
    CooperativeMember,
    Order,
    OrderLine,
    OrderStatus,
    PhotoStatus,
    Review,
    ReviewPhoto,
    ReviewStatus,
    ShipmentStatus,
    User,
    limits,
)
from storefront.models.reviews import REVIEW_AUTHOR


@dataclass(frozen=True)
class ReviewInput:
    """What the review form sends: the stars as typed, the text, new photos, and the ids of
    photos of the review to take away (an edit)."""

    rating: object
    body: str = ""
    photos: list[Upload] = field(default_factory=list)
    remove_photos: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Draft:
    """The review form of one line: the line (with its order), its review so far (None: not
    written yet), and until when it may be changed."""

    line: OrderLine
    review: Review | None

    @property
    def editable_until(self) -> datetime | None:
        return edit_deadline(self.review) if self.review is not None else None

    @property
    def editable(self) -> bool:
        """Whether the form may be sent: nothing written yet, or still in the edit window."""
        return self.review is None or is_editable(self.review)


@dataclass(frozen=True)
class LineReview:
    """What the order page offers for one line: "write", "edit" (still in its window) or
    "done" (written, no longer editable), and the review's id."""

    state: str
    review_id: int | None = None


# --- who may review -------------------------------------------------------------------------


def _load_line(line_id: int) -> OrderLine | None:
    return db.session.scalar(
        select(OrderLine)
        .where(OrderLine.id == line_id)
        .options(joinedload(OrderLine.order), joinedload(OrderLine.shipment))
        .execution_options(populate_existing=True)
    )


def buyer_line(line_id: int, actor: User | None) -> OrderLine:
    """The line of one of `actor`'s own orders, or NotFound (another's line, or none: the
    same answer, so ids cannot be probed)."""
    if actor is None or not actor.is_authenticated:
        raise NotFound(_("There is no such product among your orders."))
    line = _load_line(line_id)
    if line is None or line.order.user_id is None or line.order.user_id != actor.id:
        raise NotFound(_("There is no such product among your orders."))
    return line


def _works_for(cooperative_id: int, order: Order) -> bool:
    """Whether the order's buyer works for the cooperative: the account that placed it, or
    an account with the order's e-mail address."""
    buyer = [func.lower(User.email) == (order.email or "").strip().lower()]
    if order.user_id is not None:
        buyer.append(User.id == order.user_id)
    return bool(
        db.session.scalar(
            select(
                exists()
                .where(CooperativeMember.cooperative_id == cooperative_id)
                .where(CooperativeMember.user_id == User.id)
                .where(or_(*buyer))
            )
        )
    )


def check_reviewable(line: OrderLine) -> None:
    """Refuse a line that cannot be reviewed, saying why: not delivered (yet), cancelled,
    a product no longer sold, or the buyer works for the cooperative that sold it."""
    if (
        line.order.status is OrderStatus.CANCELLED
        or line.shipment.status is ShipmentStatus.CANCELLED
    ):
        raise NotReviewable(_("This product's order was cancelled: there is nothing to review."))
    if line.shipment.status is not ShipmentStatus.DELIVERED:
        raise NotReviewable(
            _("You can review this product once its parcel has been delivered to you.")
        )
    if line.listing_id is None:
        raise NotReviewable(_("This product is no longer sold, so it cannot be reviewed."))
    if _works_for(line.cooperative_id, line.order):
        raise OwnProduct(
            _("Members of a cooperative cannot review their own cooperative's products.")
        )


def review_of_line(line_id: int, *, for_update: bool = False) -> Review | None:
    stmt = (
        select(Review)
        .where(Review.order_line_id == line_id)
        .options(selectinload(Review.photos))
        .execution_options(populate_existing=True)
    )
    if for_update:
        stmt = stmt.with_for_update()
    return db.session.scalar(stmt)


def edit_deadline(review: Review) -> datetime:
    created = aware(review.created_at)
    assert created is not None  # set when written
    return created + timedelta(days=EDIT_DAYS)


def is_editable(review: Review, now: datetime | None = None) -> bool:
    return (now or clock.now()) < edit_deadline(review)


def _check_editable(review: Review) -> None:
    if not is_editable(review):
        raise EditWindowClosed(
            _(
                "A review can be changed for %(days)d days after it was written; this one can"
                " no longer be changed.",
                days=EDIT_DAYS,
            )
        )


def draft_for_buyer(line_id: int, actor: User | None) -> Draft:
    """The review form of one of `actor`'s delivered lines (refusals as check_reviewable)."""
    line = buyer_line(line_id, actor)
    check_reviewable(line)
    return Draft(line, review_of_line(line.id))


def draft_for_link(token: str) -> Draft:
    """The review form a signed review link opens (InvalidReviewLink, or as above)."""
    line = line_for_link(token)
    check_reviewable(line)
    return Draft(line, review_of_line(line.id))


def line_reviews(order: Order) -> dict[int, LineReview]:
    """What the order page offers for each of the order's lines that may be reviewed (two
    queries: the lines' reviews and the buyer's memberships)."""
    delivered = [
        line
        for shipment in order.shipments
        if shipment.status is ShipmentStatus.DELIVERED and order.status is not OrderStatus.CANCELLED
        for line in shipment.lines
        if line.listing_id is not None
    ]
    if not delivered:
        return {}
    own = {
        coop_id
        for coop_id in {line.cooperative_id for line in delivered}
        if _works_for(coop_id, order)
    }
    reviews = {
        review.order_line_id: review
        for review in db.session.scalars(
            select(Review).where(Review.order_line_id.in_([line.id for line in delivered]))
        )
    }
    now = clock.now()
    states = {}
    for line in delivered:
        if line.cooperative_id in own:
            continue
        review = reviews.get(line.id)
        if review is None:
            states[line.id] = LineReview("write")
        else:
            states[line.id] = LineReview("edit" if is_editable(review, now) else "done", review.id)
    return states


# --- writing --------------------------------------------------------------------------------


def _rating(value: object) -> int:
    rating = value if isinstance(value, int) and not isinstance(value, bool) else None
    if rating is None and isinstance(value, str):
        rating = parse_int(value)
    if rating is None or not 1 <= rating <= 5:
        raise InvalidInput(_("Choose a rating from 1 to 5."), field="rating")
    return rating


def _body(text: str) -> str:
    body = plain_text(text)
    if len(body) > limits.REVIEW_BODY:
        raise InvalidInput(
            _(
                "Your review is %(length)d characters long; at most %(max)d fit. Please"
                " shorten it.",
                length=len(body),
                max=limits.REVIEW_BODY,
            ),
            field="body",
        )
    return body


def author_name(name: str) -> str:
    """The name shown beside a review: the family name and initials ("Nguyễn Thị Lan" →
    "Nguyễn T. L."), never the whole name of a buyer."""
    words = plain_text(name).split()
    if not words:
        return str(_("A buyer"))
    if len(words) == 1:
        return words[0][:REVIEW_AUTHOR]
    shown = " ".join([words[0], *(f"{word[0].upper()}." for word in words[1:])])
    return shown[:REVIEW_AUTHOR]


def _too_many_photos() -> InvalidUpload:
    return InvalidUpload(
        _("A review can have at most %(n)d photos.", n=limits.REVIEW_PHOTOS), field="photos"
    )


def save_review(line_id: int, actor: User | None, data: ReviewInput) -> Review:
    """Write or change the review of one of `actor`'s delivered lines."""
    return _save(line_id, data, lambda: buyer_line(line_id, actor))


def save_review_by_link(token: str, data: ReviewInput) -> Review:
    """Write or change the review of the line a signed review link names."""
    line_id = line_for_link(token).id
    return _save(line_id, data, lambda: line_for_link(token))


def _save(line_id: int, data: ReviewInput, load: Callable[[], OrderLine]) -> Review:
    """Check everything, keep the new photos' originals, then write it all in one unit of
    work, with each new photo's job; a refusal anywhere changes nothing and leaves no file."""
    line = load()  # whose line first: another's is 404 whatever the form holds
    check_reviewable(line)
    rating = _rating(data.rating)
    body = _body(data.body)
    uploads = [upload for upload in data.photos if upload.filename]
    remove = set(data.remove_photos)
    before = review_of_line(line.id)
    if before is not None:
        _check_editable(before)
    kept = [photo for photo in before.photos if photo.id not in remove] if before else []
    if len(kept) + len(uploads) > limits.REVIEW_PHOTOS:
        raise _too_many_photos()
    for upload in uploads:
        check_image(upload)  # by the header only: a bomb in the batch costs nothing
    end_read()

    saved: list[str] = []
    try:
        for upload in uploads:  # checked and kept with no transaction open; resized by the job
            saved.append(store_original(check_photo(upload)))
        with unit_of_work(writer=True) as unit:
            for stem in saved:
                unit.on_rollback(delete_original, stem)
            line = load()
            check_reviewable(line)
            review = review_of_line(line.id, for_update=True)
            now = clock.now().astimezone(UTC)
            if review is None:
                if before is not None:  # pragma: no cover - reviews are never deleted
                    raise NotFound(_("This review no longer exists."))
                review = _new_review(line, rating, body, now)
            else:
                if before is None:  # written by another tab or device meanwhile
                    raise AlreadyReviewed(_("This product already has your review."))
                _check_editable(review)
                if review.status is ReviewStatus.VISIBLE:
                    stats.change_rating(review.listing_id, review.rating, rating)
                review.rating, review.body, review.edited_at = rating, body, now
                for photo in list(review.photos):
                    if photo.id in remove:
                        review.photos.remove(photo)
                        # After the commit: a failed commit must not leave a row without files.
                        unit.on_commit(delete_photo_files, photo.filename)
            if len(review.photos) + len(saved) > limits.REVIEW_PHOTOS:
                raise _too_many_photos()
            position = max((photo.position for photo in review.photos), default=-1) + 1
            added = []
            for stem in saved:
                photo = ReviewPhoto(
                    filename=stem,
                    width=0,
                    height=0,
                    position=position,
                    status=PhotoStatus.PROCESSING,
                )
                review.photos.append(photo)
                added.append(photo)
                position += 1
            # What shoppers see: the ready photos (a new one counts once its job made it).
            review.photo_count = len(review.ready_photos)
            db.session.flush()
            for photo in added:
                # The job writes a hidden review's photo where moderation keeps them.
                later_once(
                    unit, job_key(photo.filename), process_review_photo, photo.id, photo.filename
                )
    except IntegrityError:  # two first reviews of one line at once: the unique key
        for stem in saved:
            delete_original(stem)
        raise AlreadyReviewed(_("This product already has your review.")) from None
    except BaseException:
        for stem in saved:  # a bad photo later in the batch, or a refused unit
            delete_original(stem)
        raise
    return review


def _new_review(line: OrderLine, rating: int, body: str, now: datetime) -> Review:
    order = line.order
    buyer = db.session.get(User, order.user_id) if order.user_id is not None else None
    review = Review(
        order_line_id=line.id,
        listing_id=line.listing_id,
        cooperative_id=line.cooperative_id,
        user_id=order.user_id,
        author_name=author_name((buyer.name if buyer is not None else "") or order.recipient),
        rating=rating,
        body=body,
        package_label=line.package_label,
        status=ReviewStatus.VISIBLE,
        created_at=now,
        updated_at=now,
    )
    db.session.add(review)
    db.session.flush()  # the unique key on the line, now: a second writer fails here
    stats.count_rating(line.listing_id, rating, 1)
    return review
