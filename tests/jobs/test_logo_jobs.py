"""A cooperative's new logo is processed by an outbox job, like a listing photo: the request
checks the file (a bad one is refused there and changes nothing), keeps the original privately
and records it as the pending logo with its job in one transaction; the public logo stays
until the job has made the new one, which then replaces it. A broken file, or a job given up
after its retries, leaves the pending logo failed: the owner is told on the profile and
removes it (POST + CSRF, owners of that cooperative only) or uploads another."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import select

from storefront.core.files import LOGO_SIZES, Upload
from storefront.core.media import original_key
from storefront.domain.cooperatives import logo as logo_jobs
from storefront.domain.cooperatives.profile import ProfileChange, update_profile
from storefront.domain.jobs import run_job
from storefront.models import Cooperative, MemberRole, OutboxJob, PhotoStatus
from tests.fixtures import factories
from tests.fixtures.seller import file_field, files_under, member_of, png_bytes, seller
from tests.jobs.test_photo_jobs import queued, rq_backend, run_until_given_up, two_attempts
from tests.web.seller.test_image_memory import zero_png
from tests.web.seller.test_uploads import png_header_only

__all__ = ["queued", "rq_backend", "two_attempts"]  # fixtures shared with the photo jobs

FAILED_VI = "Không xử lý được logo mới, vui lòng tải lên ảnh khác"
PROCESSING_VI = "Đang xử lý"


def change() -> ProfileChange:
    return ProfileChange(
        description="Hợp tác xã vải thiều",
        phone="0912345678",
        email="htx@example.vn",
        address="Thôn 1",
    )


def new_logo(coop_id: int, user, data: bytes | None = None) -> None:
    data = data or png_bytes((300, 300), color=(10, 200, 30))
    update_profile(coop_id, user, change(), logo=Upload("logo.png", io.BytesIO(data)))


def coop_row(db, coop_id: int) -> Cooperative:
    db.session.expire_all()
    return db.session.get(Cooperative, coop_id)


def logo_files(stem: str) -> set[str]:
    return {f"logos/{stem}-{size}.webp" for size in LOGO_SIZES}


def folders(app) -> tuple[Path, Path]:
    return Path(app.config["UPLOAD_DIR"]), Path(app.config["PRIVATE_MEDIA_DIR"])


def job_of(db, stem: str) -> OutboxJob:
    db.session.expire_all()
    return db.session.scalars(
        select(OutboxJob).where(OutboxJob.key == logo_jobs.job_key(stem))
    ).one()


def post_profile(client, **extra):
    data = {
        "description": "Hợp tác xã vải thiều",
        "address": "Thôn 1",
        "phone": "0912345678",
        "email": "htx@example.vn",
        "submit": "1",
        **extra,
    }
    return client.post("/seller/profile", data=data, content_type="multipart/form-data")


# --- inline, the embedded default -----------------------------------------------------------------


def test_inline_the_new_logo_is_shown_when_the_upload_returns(client, auth, app, db):
    user, coop = seller()
    auth.login(user)
    response = post_profile(client, logo=file_field(png_bytes((600, 400)), "logo.png"))
    assert response.status_code == 302
    row = coop_row(db, coop.id)
    stem = row.logo
    assert stem and row.pending_logo is None and row.pending_logo_status is None
    public, private = folders(app)
    assert files_under(public) == logo_files(stem)
    assert files_under(private) == set()  # the original went once the sizes were made
    job = job_of(db, stem)
    assert job.done_at is not None and job.payload["task"] == "cooperatives.process_logo"
    assert f"logos/{stem}-card.webp" in client.get(f"/cooperatives/{coop.slug}").get_data(
        as_text=True
    )


def test_applying_with_a_logo_goes_through_its_job(client, auth, app, db, queued):
    from storefront.domain.cooperatives.applications import (
        CooperativeApplication,
        apply_for_cooperative,
    )

    user = factories.user()
    coop = apply_for_cooperative(
        user,
        CooperativeApplication(
            legal_name="HTX Logo Mới",
            registration_number="LOGO-JOB-1",
            address="Thôn 1",
            commune_code=factories.LUC_NGAN_COMMUNE,
            phone="0912345678",
            email="htx@example.vn",
        ),
        logo=Upload("logo.png", io.BytesIO(png_bytes((500, 500)))),
    )
    row = coop_row(db, coop.id)
    stem = row.pending_logo
    assert row.logo is None and row.pending_logo_status is PhotoStatus.PROCESSING
    assert queued == [job_of(db, stem).id]
    assert run_job(queued.pop()) == "done"
    row = coop_row(db, coop.id)
    assert row.logo == stem and row.pending_logo is None
    assert files_under(folders(app)[0]) == logo_files(stem)


# --- through the queue ----------------------------------------------------------------------------


def test_the_old_logo_stays_until_the_new_one_is_ready(client, auth, app, db, queued):
    user, coop = seller()
    new_logo(coop.id, user, png_bytes((200, 200), color=(1, 1, 1)))
    run_job(queued.pop())
    old = coop_row(db, coop.id).logo
    assert old

    new_logo(coop.id, user)
    row = coop_row(db, coop.id)
    stem = row.pending_logo
    assert (row.logo, row.pending_logo_status) == (old, PhotoStatus.PROCESSING)
    public, private = folders(app)
    assert files_under(private) == {original_key(stem)}  # waits privately, as sent
    assert files_under(public) == logo_files(old)

    page = client.get(f"/cooperatives/{coop.slug}").get_data(as_text=True)
    assert f"logos/{old}-card.webp" in page and stem not in page
    auth.login(user)
    profile = client.get("/seller/profile").get_data(as_text=True)
    assert PROCESSING_VI in profile and f"logos/{old}-card.webp" in profile
    assert stem not in profile

    assert run_job(queued.pop()) == "done"
    row = coop_row(db, coop.id)
    assert (row.logo, row.pending_logo, row.pending_logo_status) == (stem, None, None)
    assert files_under(public) == logo_files(stem)  # the old logo's files went
    assert files_under(private) == set()
    page = client.get(f"/cooperatives/{coop.slug}").get_data(as_text=True)
    assert f"logos/{stem}-card.webp" in page and old not in page
    assert PROCESSING_VI not in client.get("/seller/profile").get_data(as_text=True)


def test_a_newer_upload_replaces_a_pending_logo(app, db, queued):
    user, coop = seller()
    new_logo(coop.id, user)
    first, first_job = coop_row(db, coop.id).pending_logo, queued.pop()
    new_logo(coop.id, user, png_bytes((100, 100), color=(9, 9, 9)))
    second, second_job = coop_row(db, coop.id).pending_logo, queued.pop()
    assert first != second
    public, private = folders(app)
    assert files_under(private) == {original_key(second)}  # the replaced original went
    assert run_job(first_job) == "done"  # its task finds it replaced
    assert logo_jobs.process_logo(coop.id, first) == "gone"
    assert files_under(public) == set()
    assert run_job(second_job) == "done"
    assert coop_row(db, coop.id).logo == second
    assert files_under(public) == logo_files(second) and files_under(private) == set()
    assert logo_jobs.process_logo(coop.id, second) == "done"  # a retry: nothing changes
    assert files_under(public) == logo_files(second)


# --- bad uploads: refused in the request, nothing changed -----------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"<svg onload=alert(1)></svg>", id="not-an-image"),
        pytest.param(zero_png(8000, 5000), id="pixel-bomb"),
        pytest.param(b"\x89PNG" + b"0" * (6 * 1024 * 1024), id="too-big"),
    ],
)
def test_a_bad_logo_is_refused_in_the_request_and_changes_nothing(client, auth, app, db, data):
    user, coop = seller()
    auth.login(user)
    response = post_profile(client, description="Câu chuyện mới", logo=file_field(data))
    assert response.status_code == 400
    assert 'id="logo-errors"' in response.get_data(as_text=True)
    row = coop_row(db, coop.id)
    assert row.description != "Câu chuyện mới"
    assert (row.logo, row.pending_logo, row.pending_logo_status) == (None, None, None)
    public, private = folders(app)
    assert files_under(public) == set() and files_under(private) == set()
    assert (
        db.session.scalar(select(OutboxJob.id).where(OutboxJob.key.like("cooperative-logo:%")))
        is None
    )


# --- failure: a broken file, a job given up; removing it ----------------------------------------


def test_a_logo_whose_pixels_are_broken_is_failed_and_the_owner_removes_it(client, auth, app, db):
    user, coop = seller()
    new_logo(coop.id, user)  # inline: the current logo
    old = coop_row(db, coop.id).logo
    auth.login(user)
    response = post_profile(client, logo=file_field(png_header_only(64, 48), "broken.png"))
    assert response.status_code == 302
    row = coop_row(db, coop.id)
    stem = row.pending_logo
    assert (row.logo, row.pending_logo_status) == (old, PhotoStatus.FAILED)
    assert job_of(db, stem).done_at is not None  # not retried: it cannot succeed
    public, private = folders(app)
    assert files_under(public) == logo_files(old) and files_under(private) == set()

    profile = client.get("/seller/profile").get_data(as_text=True)
    assert FAILED_VI in profile
    assert f"/seller/profile/logo/{stem}/discard" in profile
    assert f"logos/{old}-card.webp" in client.get(f"/cooperatives/{coop.slug}").get_data(
        as_text=True
    )

    response = client.post(f"/seller/profile/logo/{stem}/discard")
    assert response.status_code == 302
    row = coop_row(db, coop.id)
    assert (row.logo, row.pending_logo, row.pending_logo_status) == (old, None, None)
    assert FAILED_VI not in client.get("/seller/profile").get_data(as_text=True)
    assert files_under(public) == logo_files(old)


def test_a_logo_whose_job_gives_up_is_failed_and_the_old_one_stays(
    client, auth, app, db, queued, two_attempts, monkeypatch
):
    user, coop = seller()
    new_logo(coop.id, user)
    run_job(queued.pop())
    old = coop_row(db, coop.id).logo

    def broken(stem):
        raise OSError("the bucket is down")

    monkeypatch.setattr(logo_jobs, "process_logo_original", broken)
    new_logo(coop.id, user)
    stem = coop_row(db, coop.id).pending_logo
    assert run_until_given_up(db, queued.pop()) == ["retry", "failed"]
    assert "the bucket is down" in job_of(db, stem).last_error
    row = coop_row(db, coop.id)
    assert (row.logo, row.pending_logo, row.pending_logo_status) == (
        old,
        stem,
        PhotoStatus.FAILED,
    )
    public, private = folders(app)
    assert files_under(public) == logo_files(old) and files_under(private) == set()
    auth.login(user)
    assert FAILED_VI in client.get("/seller/profile").get_data(as_text=True)
    page = client.get(f"/cooperatives/{coop.slug}").get_data(as_text=True)
    assert f"logos/{old}-card.webp" in page and stem not in page

    # Uploading another replaces the failed one.
    monkeypatch.undo()
    new_logo(coop.id, user)
    newer = coop_row(db, coop.id).pending_logo
    assert run_job(queued.pop()) == "done"
    assert coop_row(db, coop.id).logo == newer
    assert FAILED_VI not in client.get("/seller/profile").get_data(as_text=True)


def test_only_an_owner_of_that_cooperative_removes_its_pending_logo(client, auth, app, db):
    user, coop = seller()
    auth.login(user)
    post_profile(client, logo=file_field(png_header_only(64, 48), "broken.png"))
    stem = coop_row(db, coop.id).pending_logo
    assert stem

    other, _ = seller()  # the owner of another cooperative: 404, as for no such logo
    auth.login(other)
    assert client.post(f"/seller/profile/logo/{stem}/discard").status_code == 404
    assert coop_row(db, coop.id).pending_logo == stem

    staff = member_of(coop, MemberRole.STAFF)  # a member who is not an owner: 403
    auth.login(staff)
    assert client.post(f"/seller/profile/logo/{stem}/discard").status_code == 403
    assert coop_row(db, coop.id).pending_logo == stem

    auth.login(user)
    assert client.post("/seller/profile/logo/0123456789abcdef01234567/discard").status_code == 404
    assert client.get(f"/seller/profile/logo/{stem}/discard").status_code == 405  # POST only
    assert coop_row(db, coop.id).pending_logo == stem


# --- on the Redis queue, run by an RQ worker ----------------------------------------------------


def test_an_rq_worker_processes_the_logo(client, app, db, rq_backend):
    from tests.jobs.test_queue import work_in_process

    user, coop = seller()
    coop_id, slug = coop.id, coop.slug
    new_logo(coop_id, user)
    stem = coop_row(db, coop_id).pending_logo
    assert coop_row(db, coop_id).logo is None  # queued, not run
    db.session.rollback()
    work_in_process(rq_backend)
    row = coop_row(db, coop_id)
    assert (row.logo, row.pending_logo) == (stem, None)
    db.session.rollback()
    assert files_under(folders(app)[0]) == logo_files(stem)
    assert f"logos/{stem}-card.webp" in client.get(f"/cooperatives/{slug}").get_data(as_text=True)
