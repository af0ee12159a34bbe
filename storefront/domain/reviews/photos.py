"""A review photo's job: make its sizes from the original kept at upload, then show it, as a
listing photo's (domain/catalog/photos.py).

The review form (writing.py) checks each file in the request, keeps it as sent in the
private storage, and records the photo "processing" with this job in the same transaction
(`later_once`, key "review-photo:<stem>"). Until the job has made its sizes nobody but its
buyer sees it (Review.ready_photos; the buyer's form says "Processing…"). The job:

- makes every size under the photo's own stem, where the review's status says: at the
  public address, or, for a hidden review, in the private storage where moderation keeps a
  hidden review's photos (moderation.sync_photo_visibility); then marks it ready with a guarded
  UPDATE and counts it in the review's photo_count (the catalog hooks move the version on);
  then puts the sizes where the review's status says *now* (hidden or shown meanwhile);
- finds the pixels broken: marks it failed, for the buyer to remove;
- finds the photo removed meanwhile: deletes whatever it wrote.

Given up after its retries (the storage kept failing), `photo_given_up` marks it failed.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import func, select, update

from storefront.core.db import end_read, unit_of_work
from storefront.core.errors import InvalidUpload
from storefront.core.media import (
    delete_original,
    delete_review_image,
    process_review_original,
    restore_review_image,
    withdraw_review_image,
)
from storefront.domain.catalog.photos import FAILED, record_outcome, record_processed
from storefront.domain.jobs import task
from storefront.extensions import db
from storefront.models import PhotoStatus, Review, ReviewPhoto, ReviewStatus

log = logging.getLogger(__name__)


def job_key(stem: str) -> str:
    """The idempotency key of the photo's job: one job per uploaded photo."""
    return f"review-photo:{stem}"


def delete_photo_files(stem: str) -> None:
    """Every file of an uploaded review photo: its sizes, wherever they are, and its original."""
    delete_review_image(stem)
    delete_original(stem)


def shown_photo_count(review_id: int) -> Any:
    """The review's photo_count as shoppers see it: its ready photos (an SQL expression)."""
    return (
        select(func.count(ReviewPhoto.id))
        .where(ReviewPhoto.review_id == review_id, ReviewPhoto.status == PhotoStatus.READY)
        .scalar_subquery()
    )


def _review_status(review_id: int) -> ReviewStatus | None:
    status = db.session.scalar(select(Review.status).where(Review.id == review_id))
    end_read()
    return status


def _record(photo_id: int, stem: str, values: dict[str, object]) -> bool:
    with unit_of_work() as unit:
        recorded = record_processed(unit.session, ReviewPhoto, photo_id, stem, values)
        if recorded and values.get("status") is PhotoStatus.READY:
            review_id = unit.session.scalar(
                select(ReviewPhoto.review_id).where(ReviewPhoto.id == photo_id)
            )
            assert review_id is not None
            unit.session.execute(
                update(Review)
                .where(Review.id == review_id)
                .values(photo_count=shown_photo_count(review_id))
                .execution_options(synchronize_session=False)
            )
    return recorded


def photo_given_up(photo_id: int, stem: str) -> None:
    """The photo's job was given up: the photo, if still processing, is marked failed and its
    files go (any size a try wrote, and the original)."""
    if _record(photo_id, stem, FAILED):
        delete_photo_files(stem)


@task("reviews.process_photo", on_give_up=photo_given_up)
def process_review_photo(photo_id: int, stem: str) -> str:
    """Make the photo's sizes and mark it ready (or failed); returns what it found: "ready",
    "failed", "gone" (removed meanwhile) or "done" (already processed: a retry)."""
    row = db.session.execute(
        select(ReviewPhoto.status, Review.id, Review.status)
        .join(Review, Review.id == ReviewPhoto.review_id)
        .where(ReviewPhoto.id == photo_id, ReviewPhoto.filename == stem)
    ).one_or_none()
    end_read()  # resizing holds no transaction open
    if row is None:
        delete_photo_files(stem)  # anything a try before the removal wrote
        return "gone"
    status, review_id, review_status = row
    if status is not PhotoStatus.PROCESSING:
        delete_original(stem)  # a try that crashed after recording it left this
        return "done"
    try:
        stored = process_review_original(stem, hidden=review_status is ReviewStatus.HIDDEN)
    except InvalidUpload:
        log.warning("review photo %s (%s): its pixels do not decode", photo_id, stem)
        stored = None
    outcome = record_outcome(ReviewPhoto, photo_id, stem, stored, _record, delete_photo_files)
    if outcome in ("gone", "done"):
        return outcome
    if outcome == "failed":
        delete_review_image(stem)
        return outcome
    # Hidden or shown while the sizes were being made: where its status says now. A hide
    # committed after this read has its own job (moderation.photos_follow), which sees this
    # photo's sizes, since they are recorded.
    now_status = _review_status(review_id)
    if now_status is ReviewStatus.HIDDEN and review_status is not ReviewStatus.HIDDEN:
        withdraw_review_image(stem)
    elif now_status is ReviewStatus.VISIBLE and review_status is ReviewStatus.HIDDEN:
        restore_review_image(stem)
    return outcome
