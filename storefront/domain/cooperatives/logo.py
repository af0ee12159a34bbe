"""A cooperative's new logo: checked in the request, made by a job of the outbox, like a
listing photo (domain/catalog/photos.py).

The upload (when applying, or on the profile) is checked in the request (type by content,
bytes, pixels, decompression bombs: core/files.check_photo; a bad file is refused there and
changes nothing), kept as sent in the private storage, and recorded as the cooperative's
`pending_logo` ("processing") with this job in the same transaction (`later_once`, key
"cooperative-logo:<stem>"). The public logo (`logo`) stays what it was until the job has made
the new one's sizes: it then becomes the logo (the old one's files go after that commit). A
file whose pixels do not decode, or a job given up after its retries, leaves the pending logo
"failed": the owner sees it on the profile and removes it (`discard_pending_logo`) or
uploads another. A newer upload replaces a pending one; a job that finds its logo replaced
deletes whatever it wrote.
"""

from __future__ import annotations

import logging

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from storefront.core.db import Unit, end_read, unit_of_work
from storefront.core.errors import InvalidUpload, NotFound
from storefront.core.files import Upload, check_photo, delete_logo
from storefront.core.media import delete_original, process_logo_original, store_original
from storefront.domain.cooperatives.members import require_owner
from storefront.domain.jobs import later_once, task
from storefront.extensions import db
from storefront.models import Cooperative, PhotoStatus, User

log = logging.getLogger(__name__)


def job_key(stem: str) -> str:
    """The idempotency key of a logo's job: one job per uploaded logo."""
    return f"cooperative-logo:{stem}"


def keep_upload(upload: Upload) -> str:
    """Check an uploaded logo (InvalidUpload, with the photo checks' messages) and keep it as
    sent in the private storage; returns its stem. Before the unit of work that records it
    (`schedule`), which deletes it if it fails."""
    return store_original(check_photo(upload))


def schedule(unit: Unit, coop: Cooperative, stem: str) -> None:
    """Make `stem` the cooperative's pending logo, with its job, in `unit` (the row is the
    caller's, locked or new and flushed). A logo still pending is replaced: its files go
    after the commit (its job, if it runs, finds it replaced)."""
    unit.on_rollback(delete_original, stem)
    replaced = coop.pending_logo
    if replaced:
        unit.on_commit(_delete_files, replaced)
    coop.pending_logo = stem
    coop.pending_logo_status = PhotoStatus.PROCESSING
    later_once(unit, job_key(stem), process_logo, coop.id, stem)


def discard_pending_logo(cooperative_id: int, actor: User, stem: str) -> None:
    """Remove the cooperative's pending logo `stem` (failed, or still processing), as one of
    its owners; NotFound when it is not this cooperative's pending logo."""
    require_owner(actor, cooperative_id)
    with unit_of_work(writer=True) as unit:
        coop = db.session.scalar(
            select(Cooperative).where(Cooperative.id == cooperative_id).with_for_update()
        )
        if coop is None or not stem or coop.pending_logo != stem:
            raise NotFound(_("Photo not found."))
        coop.pending_logo = None
        coop.pending_logo_status = None
        unit.on_commit(_delete_files, stem)


def _delete_files(stem: str) -> None:
    delete_logo(stem)
    delete_original(stem)


def _state(cooperative_id: int, stem: str) -> str:
    """Where `stem` stands: "processing" or "failed" (pending), "current" (the public logo),
    or "gone" (replaced, removed, or no such cooperative)."""
    row = db.session.execute(
        select(Cooperative.logo, Cooperative.pending_logo, Cooperative.pending_logo_status).where(
            Cooperative.id == cooperative_id
        )
    ).one_or_none()
    end_read()
    if row is None:
        return "gone"
    logo, pending, status = row
    if logo == stem:
        return "current"
    if pending == stem and status is not None:
        return str(status.value)
    return "gone"


def _pending(session: Session, cooperative_id: int, stem: str) -> Cooperative | None:
    """The cooperative, locked, if `stem` is still its pending logo being processed (not
    replaced, removed or recorded by another try meanwhile)."""
    return session.scalar(
        select(Cooperative)
        .where(
            Cooperative.id == cooperative_id,
            Cooperative.pending_logo == stem,
            Cooperative.pending_logo_status == PhotoStatus.PROCESSING,
        )
        .with_for_update()
    )


def _mark_failed(cooperative_id: int, stem: str) -> bool:
    """The pending logo `stem`, still processing, marked failed; whether it was."""
    with unit_of_work() as unit:
        coop = _pending(unit.session, cooperative_id, stem)
        if coop is None:
            return False
        coop.pending_logo_status = PhotoStatus.FAILED
    return True


def logo_given_up(cooperative_id: int, stem: str) -> None:
    """The job was given up (the storage kept failing): the owner sees the logo failed."""
    if _mark_failed(cooperative_id, stem):
        delete_logo(stem)  # any size a try wrote; the logo is never shown
        delete_original(stem)


@task("cooperatives.process_logo", on_give_up=logo_given_up)
def process_logo(cooperative_id: int, stem: str) -> str:
    """Make the logo's sizes and make it the cooperative's logo (or mark it failed); returns
    what it found: "ready", "failed", "gone" (replaced or removed meanwhile) or "done"
    (already recorded: a retry)."""
    state = _state(cooperative_id, stem)  # resizing holds no transaction open
    if state == "gone":
        _delete_files(stem)  # anything a try before the replacement wrote
        return "gone"
    if state != PhotoStatus.PROCESSING.value:
        delete_original(stem)  # a try that crashed after recording it left this
        return "done"
    try:
        made = process_logo_original(stem)
    except InvalidUpload:
        log.warning("logo of cooperative %s (%s): its pixels do not decode", cooperative_id, stem)
        made = False
    if not made:
        if _mark_failed(cooperative_id, stem):
            delete_original(stem)
            return "failed"
    else:
        with unit_of_work() as unit:
            # Guarded: a logo replaced or removed meanwhile is left alone. Through the ORM, so
            # the catalog hooks see only the page's field change (catalog/changes.py).
            coop = _pending(unit.session, cooperative_id, stem)
            if coop is not None:
                old = coop.logo
                coop.logo, coop.pending_logo, coop.pending_logo_status = stem, None, None
                if old and old != stem:
                    unit.on_commit(delete_logo, old)
        if coop is not None:
            delete_original(stem)
            return "ready"
    # Not recorded: replaced, removed or recorded by another try meanwhile.
    state = _state(cooperative_id, stem)
    if state == "gone":
        _delete_files(stem)
        return "gone"
    delete_original(stem)
    return "done"
