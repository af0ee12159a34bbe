"""A listing photo is processed by an outbox job: the upload keeps the original privately and
records the photo "processing" with its job in one transaction; the job makes the sizes and
shows it. Inline (the embedded default) the photo is there when the upload returns; with a
queue, shoppers never see it (nor a cover or og:image pointing at it) until its job has run;
a retry writes the same files; a broken file is marked failed for the seller; deleting removes
every file; the original is never reachable from the web."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import select, update

from storefront.core import media as core_media
from storefront.core.files import Upload
from storefront.core.media import SIZES, original_key, process_listing_original
from storefront.core.storage import private_storage
from storefront.domain.catalog.listings import add_photos, set_cover_photo
from storefront.domain.catalog.photos import job_key, process_listing_photo
from storefront.domain.jobs import relay_once, run_job
from storefront.domain.jobs.outbox import BACKEND_EXTENSION, now
from storefront.models import ListingImage, OutboxJob, PhotoStatus
from tests.fixtures import factories
from tests.fixtures.seller import file_field, files_under, jpeg_with_exif, png_bytes, seller
from tests.web.seller.test_uploads import png_header_only


def upload(data: bytes, name: str = "photo.png") -> Upload:
    return Upload(filename=name, stream=io.BytesIO(data))


def size_files(stem: str) -> set[str]:
    return {f"listings/{stem}-{size}.webp" for size in SIZES}


@pytest.fixture
def queued(app):
    """Jobs handed to a queue that has not run them yet (as JOBS_BACKEND=rq before a worker
    takes them): the ids, in order."""
    ids: list[int] = []
    app.extensions[BACKEND_EXTENSION] = ids.extend
    try:
        yield ids
    finally:
        app.extensions.pop(BACKEND_EXTENSION, None)


def photo_row(db, photo_id: int) -> ListingImage | None:
    db.session.expire_all()
    return db.session.get(ListingImage, photo_id)


def job_of(db, stem: str) -> OutboxJob:
    db.session.expire_all()
    return db.session.scalars(select(OutboxJob).where(OutboxJob.key == job_key(stem))).one()


def folders(app) -> tuple[Path, Path]:
    return Path(app.config["UPLOAD_DIR"]), Path(app.config["PRIVATE_MEDIA_DIR"])


# --- inline, the embedded default -----------------------------------------------------------------


def test_inline_the_photo_is_ready_when_the_upload_returns(client, auth, app, db):
    user, coop = seller()
    listing = factories.listing(coop=coop)
    auth.login(user)
    response = client.post(
        f"/seller/listings/{listing.id}/photos",
        data={"photos": [file_field(jpeg_with_exif(), "camera.jpg")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    [photo] = db.session.scalars(select(ListingImage)).all()
    assert photo.status is PhotoStatus.READY
    assert (photo.width, photo.height) == (80, 60)
    public, private = folders(app)
    assert files_under(public) == size_files(photo.filename)
    assert files_under(private) == set()  # the original went once the sizes were made
    job = job_of(db, photo.filename)
    assert job.done_at is not None and job.attempts == 1
    assert job.payload["task"] == "catalog.process_listing_photo"

    page = client.get(f"/products/{listing.slug}").get_data(as_text=True)
    assert f"listings/{photo.filename}-gallery.webp" in page
    assert f'property="og:image" content="http://localhost/media/listings/{photo.filename}' in page
    catalog = client.get("/products").get_data(as_text=True)
    assert f"listings/{photo.filename}-card.webp" in catalog


# --- through the queue: the relay and the worker's run_job ----------------------------------------


def test_a_queued_photo_is_not_shown_until_its_job_has_run(client, auth, app, db, queued):
    user, coop = seller()
    listing = factories.listing(coop=coop)
    [photo] = add_photos(listing.id, coop.id, user, [upload(jpeg_with_exif(), "camera.jpg")])
    stem, photo_id = photo.filename, photo.id
    assert photo_row(db, photo_id).status is PhotoStatus.PROCESSING
    assert queued == [job_of(db, stem).id]

    # The original waits in the private folder; nothing of it is public.
    public, private = folders(app)
    assert files_under(private) == {original_key(stem)}
    assert files_under(public) == set()
    assert b"SecretCam" in (private / original_key(stem)).read_bytes()  # as sent

    # Shoppers see no photo: no gallery, no cover, no og:image, no card image.
    page = client.get(f"/products/{listing.slug}").get_data(as_text=True)
    assert stem not in page and "og:image" not in page
    assert stem not in client.get("/products").get_data(as_text=True)
    assert stem not in client.get("/search?q=S%E1%BA%A3n+ph%E1%BA%A9m").get_data(as_text=True)

    # The seller sees it, processing.
    auth.login(user)
    editor = client.get(f"/seller/listings/{listing.id}").get_data(as_text=True)
    assert "Đang xử lý" in editor
    assert f"listings/{stem}-card.webp" not in editor  # no image that does not exist yet

    # A worker runs it: ready, and every page shows it from that commit.
    assert run_job(queued[0]) == "done"
    row = photo_row(db, photo_id)
    assert row.status is PhotoStatus.READY and row.width == 80
    assert files_under(public) == size_files(stem)
    assert files_under(private) == set()
    page = client.get(f"/products/{listing.slug}").get_data(as_text=True)
    assert f"listings/{stem}-gallery.webp" in page and "og:image" in page
    assert f"listings/{stem}-card.webp" in client.get("/products").get_data(as_text=True)
    assert "Đang xử lý" not in client.get(f"/seller/listings/{listing.id}").get_data(as_text=True)


def test_a_job_the_queue_lost_is_handed_over_by_the_relay(app, db, queued):
    user, coop = seller()
    listing = factories.listing(coop=coop)
    [photo] = add_photos(listing.id, coop.id, user, [upload(png_bytes())])
    stem, photo_id = photo.filename, photo.id
    job_id = queued.pop()
    # Redis lost it: the row says it was handed over a lease ago and is still not done.
    db.session.execute(
        update(OutboxJob)
        .where(OutboxJob.id == job_id)
        .values(dispatched_at=now().replace(year=2000))
    )
    db.session.commit()
    assert relay_once() == 1
    assert queued == [job_id]
    assert run_job(job_id) == "done"
    assert photo_row(db, photo_id).status is PhotoStatus.READY
    assert run_job(job_id) == "skipped"  # delivered twice: run once
    assert files_under(folders(app)[0]) == size_files(stem)


def test_the_cover_and_og_image_never_point_at_an_unprocessed_photo(client, app, db, queued):
    user, coop = seller()
    listing = factories.listing(coop=coop)
    [first] = add_photos(listing.id, coop.id, user, [upload(png_bytes(color=(1, 2, 3)))])
    run_job(queued.pop())
    [second] = add_photos(listing.id, coop.id, user, [upload(png_bytes(color=(9, 9, 9)))])
    set_cover_photo(listing.id, second.id, coop.id, user)  # the processing photo first
    ready, waiting = photo_row(db, first.id), photo_row(db, second.id)
    assert (waiting.position, ready.position) == (0, 1)
    assert waiting.status is PhotoStatus.PROCESSING

    page = client.get(f"/products/{listing.slug}").get_data(as_text=True)
    assert f'content="http://localhost/media/listings/{ready.filename}-gallery.webp"' in page
    assert waiting.filename not in page
    catalog = client.get("/products").get_data(as_text=True)
    assert f"listings/{ready.filename}-card.webp" in catalog
    assert waiting.filename not in catalog

    run_job(queued.pop())
    page = client.get(f"/products/{listing.slug}").get_data(as_text=True)
    assert f'content="http://localhost/media/listings/{waiting.filename}-gallery.webp"' in page


# --- retries are harmless -------------------------------------------------------------------------


def test_a_retry_after_a_storage_error_writes_the_same_files(app, db, queued, monkeypatch):
    user, coop = seller()
    listing = factories.listing(coop=coop)
    [photo] = add_photos(listing.id, coop.id, user, [upload(png_bytes((800, 600)))])
    stem, photo_id, job_id = photo.filename, photo.id, queued.pop()

    class Down:
        def save(self, key, data, content_type):
            raise ConnectionError("bucket down")

        def delete(self, key):
            pass

    monkeypatch.setattr(core_media, "media_storage", lambda: Down())
    assert run_job(job_id) == "retry"
    assert photo_row(db, photo_id).status is PhotoStatus.PROCESSING
    job = job_of(db, stem)
    assert "bucket down" in job.last_error and job.done_at is None
    monkeypatch.undo()

    db.session.execute(
        update(OutboxJob)
        .where(OutboxJob.id == job_id)
        .values(available_at=now().replace(year=2000))
    )
    db.session.commit()
    assert relay_once() == 1 and run_job(queued.pop()) == "done"
    assert photo_row(db, photo_id).status is PhotoStatus.READY
    assert files_under(folders(app)[0]) == size_files(stem)


def test_a_try_that_crashed_after_writing_the_sizes_is_run_again_to_the_same_names(app, db, queued):
    user, coop = seller()
    listing = factories.listing(coop=coop)
    [photo] = add_photos(listing.id, coop.id, user, [upload(png_bytes((800, 600)))])
    stem, photo_id = photo.filename, photo.id
    # The first try wrote every size, then its worker died before recording the photo.
    process_listing_original(stem)
    written = files_under(folders(app)[0])
    assert written == size_files(stem)

    assert process_listing_photo(photo_id, stem) == "ready"
    assert files_under(folders(app)[0]) == written  # the same names, nothing more
    assert files_under(folders(app)[1]) == set()
    row = photo_row(db, photo_id)
    assert (row.status, row.width, row.height) == (PhotoStatus.READY, 800, 600)
    # And once more, as a retry after the recording would be: nothing changes.
    assert process_listing_photo(photo_id, stem) == "done"
    assert files_under(folders(app)[0]) == written
    assert photo_row(db, photo_id).status is PhotoStatus.READY


def test_scheduling_the_same_photo_twice_writes_one_job(app, db, queued):
    from storefront.core.db import unit_of_work
    from storefront.domain.jobs import later_once

    user, coop = seller()
    listing = factories.listing(coop=coop)
    [photo] = add_photos(listing.id, coop.id, user, [upload(png_bytes())])
    with unit_of_work() as unit:
        again = later_once(
            unit, job_key(photo.filename), process_listing_photo, photo.id, photo.filename
        )
    assert again is None
    assert db.session.scalar(select(OutboxJob.id).where(OutboxJob.key.like("listing-photo:%")))
    assert len(queued) == 1


# --- failure: broken pixels -----------------------------------------------------------------------


def test_a_photo_whose_pixels_are_broken_is_marked_failed_for_the_seller(client, auth, app, db):
    user, coop = seller()
    listing = factories.listing(coop=coop)
    auth.login(user)
    # The header and the structure pass the upload's checks; the pixels do not decode.
    response = client.post(
        f"/seller/listings/{listing.id}/photos",
        data={
            "photos": [
                file_field(png_bytes(), "good.png"),
                file_field(png_header_only(64, 48), "broken.png"),
            ]
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    good, broken = db.session.scalars(select(ListingImage).order_by(ListingImage.position)).all()
    assert (good.status, broken.status) == (PhotoStatus.READY, PhotoStatus.FAILED)
    public, private = folders(app)
    assert files_under(public) == size_files(good.filename)
    assert files_under(private) == set()  # the broken original is not kept either
    assert job_of(db, broken.filename).done_at is not None  # not retried: it cannot succeed

    editor = client.get(f"/seller/listings/{listing.id}").get_data(as_text=True)
    assert "Không xử lý được ảnh này" in editor
    assert f"listings/{broken.filename}-card.webp" not in editor
    page = client.get(f"/products/{listing.slug}").get_data(as_text=True)
    assert good.filename in page and broken.filename not in page

    # Delete removes the row; no file of it is left anywhere.
    response = client.post(f"/seller/listings/{listing.id}/photos/{broken.id}/delete")
    assert response.status_code == 302
    assert photo_row(db, broken.id) is None
    assert files_under(public) == size_files(good.filename)
    assert files_under(private) == set()


@pytest.fixture
def two_attempts(app):
    app.config["JOBS_MAX_ATTEMPTS"] = 2
    yield
    app.config["JOBS_MAX_ATTEMPTS"] = 8


def run_until_given_up(db, job_id: int) -> list[str]:
    """Run the job again each time its backoff would have run out, until it is given up."""
    outcomes: list[str] = []
    while not outcomes or outcomes[-1] == "retry":
        db.session.execute(
            update(OutboxJob)
            .where(OutboxJob.id == job_id)
            .values(available_at=now().replace(year=2000))
        )
        db.session.commit()
        outcomes.append(run_job(job_id))
    return outcomes


def test_a_photo_whose_job_gives_up_is_failed_for_the_seller_never_shown(
    client, auth, app, db, two_attempts, monkeypatch
):
    """Processing raises on every try (inline after the upload, then the relay's retry): once
    the job is given up the photo is failed, the seller is told and can delete it, shoppers
    never see it, and no file of it is left."""
    from storefront.domain.catalog import photos as photo_jobs

    user, coop = seller()
    listing = factories.listing(coop=coop)

    def broken(stem):
        raise OSError("the disk is full")

    monkeypatch.setattr(photo_jobs, "process_listing_original", broken)
    auth.login(user)
    response = client.post(
        f"/seller/listings/{listing.id}/photos",
        data={"photos": [file_field(png_bytes(), "p.png")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    [photo] = db.session.scalars(select(ListingImage)).all()
    stem, photo_id = photo.filename, photo.id
    assert photo.status is PhotoStatus.PROCESSING  # the inline try failed: retried later
    assert run_until_given_up(db, job_of(db, stem).id) == ["failed"]
    job = job_of(db, stem)
    assert job.failed_at is not None and "the disk is full" in job.last_error
    assert photo_row(db, photo_id).status is PhotoStatus.FAILED
    public, private = folders(app)
    assert files_under(public) == set() and files_under(private) == set()

    editor = client.get(f"/seller/listings/{listing.id}").get_data(as_text=True)
    assert "Không xử lý được ảnh này, vui lòng xóa ảnh và tải lên ảnh khác" in editor
    assert "Đang xử lý" not in editor
    assert f"/seller/listings/{listing.id}/photos/{photo_id}/delete" in editor
    page = client.get(f"/products/{listing.slug}").get_data(as_text=True)
    assert stem not in page and "og:image" not in page
    assert stem not in client.get("/products").get_data(as_text=True)

    # Another cooperative cannot delete it (404); its own seller can.
    other, _ = seller()
    auth.login(other)
    response = client.post(f"/seller/listings/{listing.id}/photos/{photo_id}/delete")
    assert response.status_code == 404 and photo_row(db, photo_id) is not None
    auth.login(user)
    response = client.post(f"/seller/listings/{listing.id}/photos/{photo_id}/delete")
    assert response.status_code == 302 and photo_row(db, photo_id) is None


def test_a_give_up_after_the_photo_was_processed_changes_nothing(app, db, queued):
    from storefront.domain.catalog.photos import photo_given_up

    user, coop = seller()
    listing = factories.listing(coop=coop)
    [photo] = add_photos(listing.id, coop.id, user, [upload(png_bytes())])
    stem, photo_id = photo.filename, photo.id
    assert run_job(queued.pop()) == "done"
    photo_given_up(photo_id, stem)  # e.g. a late hook of an older try: the photo is ready
    assert photo_row(db, photo_id).status is PhotoStatus.READY
    assert files_under(folders(app)[0]) == size_files(stem)


def test_deleting_a_photo_before_its_job_ran_removes_every_file(client, auth, app, db, queued):
    user, coop = seller()
    listing = factories.listing(coop=coop)
    [photo] = add_photos(listing.id, coop.id, user, [upload(png_bytes())])
    stem, photo_id, job_id = photo.filename, photo.id, queued.pop()
    auth.login(user)
    response = client.post(f"/seller/listings/{listing.id}/photos/{photo_id}/delete")
    assert response.status_code == 302
    public, private = folders(app)
    assert files_under(private) == set()
    assert run_job(job_id) == "done"  # the task finds it gone and leaves nothing behind
    assert files_under(public) == set() and files_under(private) == set()
    assert process_listing_photo(photo_id, stem) == "gone"


def test_deleting_a_draft_removes_its_waiting_originals(app, db, queued):
    from storefront.domain.catalog.listings import delete_listing
    from storefront.models import ListingStatus

    user, coop = seller()
    listing = factories.listing(coop=coop, status=ListingStatus.DRAFT)
    add_photos(listing.id, coop.id, user, [upload(png_bytes()), upload(png_bytes())])
    assert len(files_under(folders(app)[1])) == 2
    assert delete_listing(listing.id, coop.id, user) == "deleted"
    assert files_under(folders(app)[1]) == set()
    for job_id in queued:
        run_job(job_id)
    assert files_under(folders(app)[0]) == set()


# --- security: the original is never public -------------------------------------------------------


def test_the_original_is_not_reachable_from_the_web(client, app, db, queued):
    user, coop = seller()
    listing = factories.listing(coop=coop)
    [photo] = add_photos(listing.id, coop.id, user, [upload(jpeg_with_exif(), "camera.jpg")])
    stem = photo.filename
    public, private = folders(app)
    assert not private.is_relative_to(public) and not public.is_relative_to(private)
    assert private_storage().url(original_key(stem)) is None
    for path in (
        f"/media/originals/{stem}",
        f"/media/listings/{stem}",
        f"/media/listings/{stem}-original",
        f"/media/listings/{stem}-card.webp",  # not made yet
        f"/media/private/originals/{stem}",
        f"/media/..%2fprivate/originals/{stem}",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert b"SecretCam" not in response.data


# --- on the Redis queue, run by an RQ worker ----------------------------------------------------


@pytest.fixture
def rq_backend(app):
    """JOBS_BACKEND=rq on a queue of this test's own (Redis: TEST_REDIS_URL, else skipped)."""
    import uuid

    from storefront.domain.jobs import queue as job_queue
    from tests.jobs.test_queue import REDIS_URL, redis_or_skip

    redis = redis_or_skip()
    name = f"test-photos-{uuid.uuid4().hex[:12]}"
    settings = {"JOBS_BACKEND": "rq", "REDIS_URL": REDIS_URL, "JOBS_QUEUE": name}
    saved = {key: app.config.get(key) for key in settings}
    app.config.update(settings)
    app.extensions.pop("jobs_redis", None)
    job_queue.init_app(app)
    try:
        yield name
    finally:
        app.config.update(saved)
        app.extensions.pop("jobs_redis", None)
        job_queue.init_app(app)
        for key in redis.scan_iter(f"*{name}*"):
            redis.delete(key)
        redis.srem("rq:queues", f"rq:queue:{name}")
        for member in redis.smembers("rq:workers"):
            if name.encode() in member:
                redis.srem("rq:workers", member)
        redis.close()


def test_an_rq_worker_processes_the_photo(client, app, db, rq_backend):
    from tests.jobs.test_queue import work_in_process

    user, coop = seller()
    listing = factories.listing(coop=coop)
    [photo] = add_photos(listing.id, coop.id, user, [upload(jpeg_with_exif(), "camera.jpg")])
    stem, photo_id, slug = photo.filename, photo.id, listing.slug
    assert photo_row(db, photo_id).status is PhotoStatus.PROCESSING  # queued, not run
    db.session.rollback()
    assert stem not in client.get(f"/products/{slug}").get_data(as_text=True)

    work_in_process(rq_backend)  # the worker ends with the session removed
    assert photo_row(db, photo_id).status is PhotoStatus.READY
    db.session.rollback()
    assert files_under(folders(app)[0]) == size_files(stem)
    assert files_under(folders(app)[1]) == set()
    page = client.get(f"/products/{slug}").get_data(as_text=True)
    assert f"listings/{stem}-gallery.webp" in page
