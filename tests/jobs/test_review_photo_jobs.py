"""A buyer's review photo is processed by an outbox job, like a listing photo: the review form
checks each file in the request, keeps the original privately and records the photo
"processing" with its job in the same transaction; nobody but the buyer sees it until the job
has made its sizes. A hidden review's photos never reach the public address, whatever order
the hide and the job run in. A broken file, or a job given up after its retries, leaves the
photo failed: the buyer sees it on their form and removes it; nobody else ever sees it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from storefront.core.media import SIZES, hidden_review_image_key, original_key
from storefront.domain.jobs import run_job
from storefront.domain.reviews import photos as review_jobs
from storefront.domain.reviews.moderation import hide_review, unhide_review
from storefront.domain.reviews.writing import ReviewInput, save_review
from storefront.extensions import db as _db
from storefront.models import OutboxJob, PhotoStatus, Review, ReviewPhoto, Role
from tests.fixtures import factories
from tests.fixtures.pages import html
from tests.fixtures.reviews import order_of, photo, shop
from tests.fixtures.seller import file_field, files_under, jpeg_with_exif, png_bytes
from tests.jobs.test_photo_jobs import queued, rq_backend, run_until_given_up, two_attempts

__all__ = ["queued", "rq_backend", "two_attempts"]  # fixtures shared with the photo jobs

FAILED_VI = "Không xử lý được ảnh này, vui lòng gỡ ảnh và tải lên ảnh khác"
PROCESSING_VI = "Đang xử lý"


@pytest.fixture
def world(make):
    owner, coop, listing = shop(make)
    buyer = make.user(name="Nguyễn Thị Lan", email="lan.buyer@example.vn")
    return owner, coop, listing, buyer


def product(listing) -> str:
    return f"/products/{listing.slug}"


def public_files(stem: str) -> set[str]:
    return {f"reviews/{stem}-{size}.webp" for size in SIZES}


def hidden_files(stem: str) -> set[str]:
    return {hidden_review_image_key(stem, size) for size in SIZES}


def folders(app) -> tuple[Path, Path]:
    return Path(app.config["UPLOAD_DIR"]), Path(app.config["PRIVATE_MEDIA_DIR"])


def photo_row(photo_id: int) -> ReviewPhoto | None:
    _db.session.expire_all()
    return _db.session.get(ReviewPhoto, photo_id)


def review_row(review_id: int) -> Review:
    _db.session.expire_all()
    return _db.session.get(Review, review_id)


def job_of(stem: str) -> OutboxJob:
    _db.session.expire_all()
    return _db.session.scalars(
        select(OutboxJob).where(OutboxJob.key == review_jobs.job_key(stem))
    ).one()


def write(bought, buyer, *photos) -> tuple[int, list[tuple[int, str]]]:
    review = save_review(bought.line_id, buyer, ReviewInput(rating=5, photos=list(photos)))
    review_id = review.id
    rows = _db.session.execute(
        select(ReviewPhoto.id, ReviewPhoto.filename)
        .where(ReviewPhoto.review_id == review_id)
        .order_by(ReviewPhoto.position)
    ).all()
    return review_id, [(row[0], row[1]) for row in rows]


# --- inline, the embedded default -----------------------------------------------------------------


def test_inline_the_photo_is_shown_when_the_review_is_saved(client, auth, app, world):
    _, _, listing, buyer = world
    bought = order_of(listing, buyer=buyer)
    page = product(listing)
    auth.login(buyer)
    response = client.post(
        f"/reviews/lines/{bought.line_id}",
        data={"rating": "5", "photos": [file_field(jpeg_with_exif(), "camera.jpg")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    [row] = _db.session.scalars(select(ReviewPhoto)).all()
    assert (row.status, row.width, row.height) == (PhotoStatus.READY, 80, 60)
    assert review_row(row.review_id).photo_count == 1
    public, private = folders(app)
    assert files_under(public) == public_files(row.filename)
    assert files_under(private) == set()
    assert job_of(row.filename).done_at is not None
    assert f"reviews/{row.filename}-thumb.webp" in html(client.get(page))
    served = client.get(f"/media/reviews/{row.filename}-gallery.webp")
    assert served.status_code == 200 and b"SecretCam" not in served.data


# --- through the queue ----------------------------------------------------------------------------


def test_a_queued_photo_is_seen_only_by_its_buyer_until_its_job_has_run(
    client, auth, app, world, queued
):
    _, _, listing, buyer = world
    bought = order_of(listing, buyer=buyer)
    page = product(listing)
    queued.clear()  # the order's own e-mails
    review_id, [(photo_id, stem)] = write(bought, buyer, photo())
    assert photo_row(photo_id).status is PhotoStatus.PROCESSING
    assert review_row(review_id).photo_count == 0  # "with photos" counts shown photos only
    assert queued == [job_of(stem).id]
    public, private = folders(app)
    assert files_under(private) == {original_key(stem)}
    assert files_under(public) == set()

    assert stem not in html(client.get(page))
    assert stem not in html(client.get(f"{page}?reviews=photos"))
    auth.login(buyer)
    form = html(client.get(f"/reviews/lines/{bought.line_id}"))
    assert PROCESSING_VI in form and f"reviews/{stem}-thumb.webp" not in form

    assert run_job(queued.pop()) == "done"
    row = photo_row(photo_id)
    assert (row.status, row.width) == (PhotoStatus.READY, 64)
    assert review_row(review_id).photo_count == 1
    assert files_under(public) == public_files(stem) and files_under(private) == set()
    auth.logout()
    assert f"reviews/{stem}-thumb.webp" in html(client.get(page))
    assert review_jobs.process_review_photo(photo_id, stem) == "done"  # a retry: nothing more
    assert files_under(public) == public_files(stem)


def test_a_hidden_review_s_photo_never_reaches_the_public_address(app, world, queued):
    """Uploaded, then the review hidden before the photo's job ran (the hide's own job first):
    the sizes are written straight to the private storage; shown again, they go public."""
    _, _, listing, buyer = world
    staff = factories.user(role=Role.PFA)
    bought = order_of(listing, buyer=buyer)
    queued.clear()  # the order's own e-mails
    review_id, [(photo_id, stem)] = write(bought, buyer, photo())
    photo_job = queued.pop()
    hide_review(review_id, staff, "Nội dung không phù hợp")
    for job_id in [*queued, photo_job]:
        run_job(job_id)
    queued.clear()
    public, private = folders(app)
    assert photo_row(photo_id).status is PhotoStatus.READY
    assert files_under(public) == set()
    assert files_under(private) == hidden_files(stem)

    unhide_review(review_id, staff)
    for job_id in queued:
        run_job(job_id)
    assert files_under(public) == public_files(stem) and files_under(private) == set()


def test_a_review_hidden_while_its_photo_is_made_takes_the_photo_off_public(
    app, world, queued, monkeypatch
):
    _, _, listing, buyer = world
    staff = factories.user(role=Role.PFA)
    bought = order_of(listing, buyer=buyer)
    queued.clear()  # the order's own e-mails
    review_id, [(photo_id, stem)] = write(bought, buyer, photo())
    real = review_jobs.process_review_original

    def hidden_meanwhile(stem, *, hidden):
        stored = real(stem, hidden=hidden)  # written at the public address: it was shown
        hide_review(review_id, staff, "Nội dung không phù hợp")  # its job is queued
        return stored

    monkeypatch.setattr(review_jobs, "process_review_original", hidden_meanwhile)
    assert run_job(queued.pop(0)) == "done"
    public, private = folders(app)
    assert files_under(public) == set() and files_under(private) == hidden_files(stem)
    for job_id in queued:  # the hide's own job: nothing more to move
        run_job(job_id)
    assert files_under(public) == set() and files_under(private) == hidden_files(stem)


# --- failure: a job given up; the buyer removes the photo -----------------------------------------


def test_a_photo_whose_job_gives_up_is_failed_on_the_buyer_s_form_never_shown(
    client, auth, app, world, two_attempts, monkeypatch
):
    _, _, listing, buyer = world
    bought = order_of(listing, buyer=buyer)
    page = product(listing)

    def broken(stem, *, hidden):
        raise OSError("the bucket is down")

    monkeypatch.setattr(review_jobs, "process_review_original", broken)
    auth.login(buyer)
    response = client.post(
        f"/reviews/lines/{bought.line_id}",
        data={"rating": "4", "photos": [file_field(png_bytes(), "p.png")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    [row] = _db.session.scalars(select(ReviewPhoto)).all()
    photo_id, stem, review_id = row.id, row.filename, row.review_id
    assert row.status is PhotoStatus.PROCESSING  # the inline try failed: retried later
    assert run_until_given_up(_db, job_of(stem).id) == ["failed"]
    assert "the bucket is down" in job_of(stem).last_error
    assert photo_row(photo_id).status is PhotoStatus.FAILED
    assert review_row(review_id).photo_count == 0
    public, private = folders(app)
    assert files_under(public) == set() and files_under(private) == set()

    form = html(client.get(f"/reviews/lines/{bought.line_id}"))
    assert FAILED_VI in form and PROCESSING_VI not in form
    assert f'name="remove_photo" value="{photo_id}"' in form
    auth.logout()
    page = html(client.get(page))
    assert stem not in page and "review__photos" not in page
    assert stem not in html(client.get(f"{page}?reviews=photos"))

    # Another buyer cannot reach the form; the buyer removes the photo.
    other = factories.user(name="Người Khác")
    auth.login(other)
    assert client.get(f"/reviews/lines/{bought.line_id}").status_code == 404
    auth.login(buyer)
    response = client.post(
        f"/reviews/lines/{bought.line_id}", data={"rating": "4", "remove_photo": str(photo_id)}
    )
    assert response.status_code == 303
    assert photo_row(photo_id) is None


def test_a_give_up_after_the_photo_was_processed_changes_nothing(app, world, queued):
    _, _, listing, buyer = world
    bought = order_of(listing, buyer=buyer)
    queued.clear()  # the order's own e-mails
    review_id, [(photo_id, stem)] = write(bought, buyer, photo())
    assert run_job(queued.pop()) == "done"
    review_jobs.photo_given_up(photo_id, stem)
    assert photo_row(photo_id).status is PhotoStatus.READY
    assert review_row(review_id).photo_count == 1
    assert files_under(folders(app)[0]) == public_files(stem)


def test_removing_a_photo_before_its_job_ran_leaves_no_file(app, world, queued):
    _, _, listing, buyer = world
    bought = order_of(listing, buyer=buyer)
    queued.clear()  # the order's own e-mails
    review_id, [(photo_id, stem)] = write(bought, buyer, photo())
    job_id = queued.pop()
    save_review(bought.line_id, buyer, ReviewInput(rating=5, remove_photos=[photo_id]))
    assert run_job(job_id) == "done"  # the task finds it gone
    public, private = folders(app)
    assert files_under(public) == set() and files_under(private) == set()
    assert review_jobs.process_review_photo(photo_id, stem) == "gone"


# --- on the Redis queue, run by an RQ worker ----------------------------------------------------


def test_an_rq_worker_processes_the_review_photo(client, app, world, rq_backend):
    from tests.jobs.test_queue import work_in_process

    _, _, listing, buyer = world
    bought = order_of(listing, buyer=buyer)
    page = product(listing)
    review_id, [(photo_id, stem)] = write(bought, buyer, photo())
    assert photo_row(photo_id).status is PhotoStatus.PROCESSING  # queued, not run
    _db.session.rollback()
    assert stem not in html(client.get(page))
    work_in_process(rq_backend)
    assert photo_row(photo_id).status is PhotoStatus.READY
    assert review_row(review_id).photo_count == 1
    _db.session.rollback()
    assert files_under(folders(app)[0]) == public_files(stem)
    assert f"reviews/{stem}-thumb.webp" in html(client.get(page))
