"""A listing photo's job: make its sizes from the original kept at upload, then show it.

The upload (domain/catalog/listings.add_photos) checks the file, keeps it as sent in the
private storage, and records the photo "processing" with this job in the same transaction
(`later_once`, key "listing-photo:<stem>"). The job runs after the commit with no transaction
open (inline before the response by default, or on a queue worker), and:

- makes every size under the photo's own stem (a retry writes the same names again), then
  marks it ready with a guarded UPDATE: the catalog change hooks move the catalog version on
  and re-index the listing, so shoppers see it from that commit;
- finds the pixels broken (the upload's checks read only the header and structure): marks it
  failed, for the seller to delete and upload again;
- finds the photo deleted meanwhile: deletes whatever files it wrote.

The original goes once the photo is ready or failed. An error of the storage (the bucket
down) fails the job, which the outbox retries with backoff; once it gives up (JOBS_MAX_ATTEMPTS
tries), its hook `photo_given_up` marks the photo failed too, so it is never left
"processing": the seller sees it failed, shoppers never see it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storefront.core.db import end_read, rows_matched, unit_of_work
from storefront.core.errors import InvalidUpload
from storefront.core.media import (
    StoredImage,
    delete_listing_photo_files,
    delete_original,
    process_listing_original,
)
from storefront.domain.jobs import task
from storefront.extensions import db
from storefront.models import ListingImage, PhotoStatus, ReviewPhoto

log = logging.getLogger(__name__)


def job_key(stem: str) -> str:
    """The idempotency key of the photo's job: one job per uploaded photo."""
    return f"listing-photo:{stem}"


FAILED: dict[str, object] = {"status": PhotoStatus.FAILED}


def record_processed(
    session: Session,
    model: type[ListingImage] | type[ReviewPhoto],
    photo_id: int,
    stem: str,
    values: dict[str, object],
) -> bool:
    """Set `values` on an uploaded photo's row (a listing's or a review's) if it still holds
    the upload `stem` and is still processing; whether it did. Guarded: a photo deleted,
    replaced or recorded by another try meanwhile is left alone."""
    result = session.execute(
        update(model)
        .where(model.id == photo_id, model.filename == stem, model.status == PhotoStatus.PROCESSING)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return rows_matched(result) == 1


def photo_given_up(photo_id: int, stem: str) -> None:
    """The photo's job was given up: the photo, if still processing, is marked failed and its
    files go (any size a try wrote, and the original)."""
    with unit_of_work() as unit:
        marked = record_processed(unit.session, ListingImage, photo_id, stem, FAILED)
    if marked:
        delete_listing_photo_files(stem)


@task("catalog.process_listing_photo", on_give_up=photo_given_up)
def process_listing_photo(photo_id: int, stem: str) -> str:
    """Make the photo's sizes and mark it ready (or failed); returns what it found: "ready",
    "failed", "gone" (deleted meanwhile) or "done" (already processed: a retry)."""
    session = db.session()
    status = session.scalar(
        select(ListingImage.status).where(
            ListingImage.id == photo_id, ListingImage.filename == stem
        )
    )
    end_read(session)  # resizing holds no transaction open
    if status is None:
        delete_listing_photo_files(stem)  # anything a try before the delete wrote
        return "gone"
    if status is not PhotoStatus.PROCESSING:
        delete_original(stem)  # a try that crashed after recording it left this
        return "done"
    try:
        stored = process_listing_original(stem)
    except InvalidUpload:
        log.warning("listing photo %s (%s): its pixels do not decode", photo_id, stem)
        stored = None
    return record_outcome(ListingImage, photo_id, stem, stored, _record, delete_listing_photo_files)


def _record(photo_id: int, stem: str, values: dict[str, object]) -> bool:
    with unit_of_work() as unit:
        return record_processed(unit.session, ListingImage, photo_id, stem, values)


def record_outcome(
    model: type[ListingImage] | type[ReviewPhoto],
    photo_id: int,
    stem: str,
    stored: StoredImage | None,
    record: Callable[[int, str, dict[str, object]], bool],
    delete_files: Callable[[str], None],
) -> str:
    """The end of a photo's job, a listing's or a review's: `record` it ready with the size
    `stored` (or failed without one) and let the original go; "ready" or "failed". If
    `record` found it no longer processing (deleted, or recorded by another try meanwhile):
    "gone", with every file `delete_files` knows of, or "done"."""
    values: dict[str, object]
    if stored is None:
        outcome, values = "failed", FAILED
    else:
        outcome = "ready"
        values = {"status": PhotoStatus.READY, "width": stored.width, "height": stored.height}
    if not record(photo_id, stem, values):
        still = db.session.scalar(select(model.id).where(model.id == photo_id))
        end_read()
        if still is None:
            delete_files(stem)
            return "gone"
        delete_original(stem)
        return "done"
    delete_original(stem)
    return outcome
