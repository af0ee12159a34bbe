"""Reports from a page a CDN may cache (the partial templates/reviews/_report_form.html and
/reviews/<id>/report), the seller's review list and answer, and the PFA console's reports
queue (issue 16, items 1 and 6)."""

from __future__ import annotations

import re

import pytest
from flask import render_template_string
from sqlalchemy import select

from config import Config
from storefront.domain.reviews.moderation import (
    hide_review,
    report_review,
    reporter_key,
    sync_photo_visibility,
    unhide_review,
)
from storefront.domain.reviews.writing import ReviewInput, save_review
from storefront.extensions import db as _db
from storefront.models import AuditEvent, ReportStatus, Review, ReviewReport, ReviewStatus, Role
from tests.fixtures.limits import rate_limited_app
from tests.fixtures.pages import html
from tests.fixtures.reviews import order_of, photo, report_count, review_files, shop, stats_of

TOKEN = re.compile(r'name="csrf_token" value="([^"]*)"')


@pytest.fixture
def reviewed(make):
    owner, coop, listing = shop(make)
    buyer = make.user(name="Lê Minh")
    bought = order_of(listing, buyer=buyer)
    review = save_review(bought.line_id, buyer, ReviewInput(rating=2, body="Quả <i>nhỏ</i>"))
    return owner, coop, listing, review


def report_path(review_id: int) -> str:
    return f"/reviews/{review_id}/report"


# --- the partial, on a public page -----------------------------------------------------------


def test_the_partial_carries_no_token_on_a_public_page_and_one_on_a_private_one(
    app, reviewed, csrf_on
):
    *_, listing, review = reviewed
    template = '{% include "reviews/_report_form.html" %}'
    # Each in its own app context, as on a server (g holds whether the request is public).
    with app.app_context(), app.test_request_context(f"/products/{listing.slug}"):
        public = render_template_string(template, review=review)
    assert "<details" in public and "data-review-report" in public
    assert f'action="{report_path(review.id)}"' in public
    assert 'data-token-url="/cart/token"' in public
    assert TOKEN.search(public).group(1) == ""
    with app.app_context(), app.test_request_context("/account/", headers={"Cookie": "session=x"}):
        private = render_template_string(template, review=review)
    assert TOKEN.search(private).group(1) != ""


def test_a_visitor_reports_with_the_token_the_script_fetches(app, client, reviewed, csrf_on):
    *_, review = reviewed
    token = client.get("/cart/token").get_json()["token"]
    response = client.post(
        report_path(review.id),
        data={"csrf_token": token, "reason": "Quảng cáo", "next": "/products/x"},
    )
    assert response.status_code == 303 and response.headers["Location"].endswith("/products/x")
    assert report_count() == 1
    # Once per visitor: the second is refused with a clear message, nothing added.
    again = client.post(
        report_path(review.id),
        data={"csrf_token": token, "reason": "Lần nữa", "next": "/products/x"},
        follow_redirects=True,
    )
    assert "Bạn đã báo cáo đánh giá này rồi" in html(again)
    assert report_count() == 1
    # Another visitor (another session) may report too.
    other = app.test_client()
    other_token = other.get("/cart/token").get_json()["token"]
    other.post(report_path(review.id), data={"csrf_token": other_token, "reason": "Sai"})
    reporters = set(_db.session.scalars(select(ReviewReport.reporter)))
    assert len(reporters) == 2 and all(r.startswith("v:") for r in reporters)


def test_no_token_or_someone_elses_asks_to_confirm_and_reports_nothing(
    app, client, reviewed, csrf_on
):
    *_, review = reviewed
    stranger = app.test_client()
    stolen = stranger.get("/cart/token").get_json()["token"]
    client.get("/cart/token")
    for data in ({"reason": "Spam"}, {"reason": "Spam", "csrf_token": stolen}):
        response = client.post(report_path(review.id), data=data)
        page = html(response)
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
        assert "Vui lòng xác nhận" in page and 'value="Spam"' in page
        fresh = TOKEN.search(page).group(1)
        assert fresh not in ("", stolen)
    assert report_count() == 0
    response = client.post(report_path(review.id), data={"reason": "Spam", "csrf_token": fresh})
    assert response.status_code == 303 and report_count() == 1


def test_a_cross_site_report_is_refused(client, reviewed, csrf_on):
    *_, review = reviewed
    token = client.get("/cart/token").get_json()["token"]
    for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
        response = client.post(
            report_path(review.id), data={"csrf_token": token, "reason": "x"}, headers=headers
        )
        assert response.status_code == 403
    assert report_count() == 0


def test_reporting_a_missing_or_hidden_review_is_404(client, reviewed, make):
    *_, review = reviewed
    assert client.post(report_path(review.id + 99), data={"reason": "x"}).status_code == 404
    from storefront.domain.reviews.moderation import hide_review

    hide_review(review.id, make.user(role=Role.PFA), "Spam")
    assert client.post(report_path(review.id), data={"reason": "x"}).status_code == 404
    assert report_count() == 0


def test_a_logged_in_visitor_reports_as_their_account(client, auth, reviewed, make):
    *_, review = reviewed
    user = make.user()
    auth.login(user)
    client.post(report_path(review.id), data={"reason": "Xúc phạm"})
    assert _db.session.scalar(select(ReviewReport.reporter)) == f"u:{user.id}"


@pytest.fixture
def limited(app):
    with rate_limited_app(
        app,
        REVIEW_REPORT_LIMIT_PER_VISITOR=Config.REVIEW_REPORT_LIMIT_PER_VISITOR,
        REVIEW_REPORT_LIMIT_PER_IP=Config.REVIEW_REPORT_LIMIT_PER_IP,
    ) as built:
        yield built


def test_reports_are_rate_limited_per_visitor_and_per_ip(reviewed, limited):
    *_, review = reviewed
    client = limited.test_client()
    answers = [
        client.post(report_path(review.id), data={"reason": ""}).status_code for _ in range(11)
    ]
    assert answers == [303] * 10 + [429], answers
    assert "Có quá nhiều báo cáo" in html(client.post(report_path(review.id), data={"reason": "x"}))
    # Many visitors from one address: the per-IP limit (30 an hour).
    codes = [
        limited.test_client().post(report_path(review.id), data={"reason": ""}).status_code
        for _ in range(25)
    ]
    assert codes.count(429) == 5, codes
    assert report_count() == 0


# --- the seller's reviews ----------------------------------------------------------------------


def test_the_seller_lists_and_answers_its_reviews(client, auth, reviewed):
    owner, _, listing, review = reviewed
    auth.login(owner)
    page = html(client.get("/seller/reviews?show=awaiting"))
    assert "Quả &lt;i&gt;nhỏ&lt;/i&gt;" in page and "Điểm đánh giá: 2/5" in page
    assert f'action="/seller/reviews/{review.id}/answer"' in page
    response = client.post(
        f"/seller/reviews/{review.id}/answer", data={"answer": "Cảm ơn anh", "show": "awaiting"}
    )
    assert response.status_code == 303
    _db.session.expire_all()
    assert _db.session.get(Review, review.id).answer == "Cảm ơn anh"
    assert "Không có đánh giá nào chờ trả lời." in html(client.get("/seller/reviews?show=awaiting"))
    again = client.post(
        f"/seller/reviews/{review.id}/answer", data={"answer": "Lần hai"}, follow_redirects=True
    )
    assert "Đánh giá này đã có câu trả lời" in html(again)
    _db.session.expire_all()
    assert _db.session.get(Review, review.id).answer == "Cảm ơn anh"


def test_another_cooperatives_review_is_404(client, auth, reviewed, make):
    *_, review = reviewed
    other_owner, _, _ = shop(make, name="Mật ong")
    auth.login(other_owner)
    assert (
        client.post(f"/seller/reviews/{review.id}/answer", data={"answer": "Không"}).status_code
        == 404
    )
    assert "Quả &lt;i&gt;nhỏ" not in html(client.get("/seller/reviews"))
    assert _db.session.get(Review, review.id).answered_at is None


# --- the PFA console -----------------------------------------------------------------------------


def test_staff_hide_a_reported_review_with_a_reason(client, auth, reviewed, make):
    _, _, listing, review = reviewed
    report_review(review.id, reporter_key(None, "a"), "Sai <b>sự thật</b>")
    auth.login(make.user(role=Role.PFA))
    page = html(client.get("/pfa/reviews"))
    assert "Sai &lt;b&gt;sự thật&lt;/b&gt;" in page and f"/pfa/reviews/{review.id}/hide" in page
    refused = client.post(
        f"/pfa/reviews/{review.id}/hide", data={"reason": ""}, follow_redirects=True
    )
    assert "Vui lòng cho biết ngắn gọn" in html(refused)
    assert _db.session.get(Review, review.id).status is ReviewStatus.VISIBLE
    response = client.post(f"/pfa/reviews/{review.id}/hide", data={"reason": "Vu khống"})
    assert response.status_code == 303
    _db.session.expire_all()
    assert _db.session.get(Review, review.id).status is ReviewStatus.HIDDEN
    assert stats_of(listing.id)[:2] == (0, 0)
    assert _db.session.scalar(select(ReviewReport.status)) is ReportStatus.ACTIONED
    audit = html(client.get("/pfa/audit"))
    assert "Ẩn đánh giá của người mua" in audit and "Vu khống" in audit
    hidden = html(client.get("/pfa/reviews?show=hidden"))
    assert f"/pfa/reviews/{review.id}/unhide" in hidden
    client.post(f"/pfa/reviews/{review.id}/unhide", data={"reason": ""})
    _db.session.expire_all()
    assert _db.session.get(Review, review.id).status is ReviewStatus.VISIBLE
    assert stats_of(listing.id)[:2] == (1, 2)


def test_a_hidden_reviews_photos_leave_their_public_address_and_come_back(app, client, auth, make):
    _, _, listing = shop(make)
    buyer = make.user()
    bought = order_of(listing, buyer=buyer)
    review = save_review(bought.line_id, buyer, ReviewInput(rating=1, body="Ảnh", photos=[photo()]))
    [stem] = [p.filename for p in review.photos]
    public = f"/media/reviews/{stem}-thumb.webp"
    assert client.get(public).status_code == 200
    staff = make.user(role=Role.PFA)
    hide_review(review.id, staff, "Ảnh có thông tin cá nhân")  # its job runs after the commit
    assert client.get(public).status_code == 404
    assert review_files() == set()  # nothing left under the public folder
    auth.login(staff)
    page = html(client.get("/pfa/reviews?show=hidden"))
    [thumb] = re.findall(r'src="(/pfa/reviews/\d+/photos/\d+/thumb)"', page)
    shown = client.get(thumb)
    assert shown.status_code == 200 and shown.mimetype == "image/webp"
    assert "private" in shown.headers["Cache-Control"]
    assert sync_photo_visibility(review.id) == "hidden"  # again: changes nothing
    assert client.get(public).status_code == 404 and client.get(thumb).status_code == 200
    auth.logout()
    assert client.get(thumb).status_code in (302, 303, 403, 404)  # staff only
    unhide_review(review.id, staff)
    assert client.get(public).status_code == 200


def test_staff_dismiss_reports(client, auth, reviewed, make):
    *_, review = reviewed
    report_review(review.id, reporter_key(None, "a"), "Sai")
    auth.login(make.user(role=Role.ADMIN))
    assert client.post(f"/pfa/reviews/{review.id}/dismiss").status_code == 303
    assert _db.session.scalar(select(ReviewReport.status)) is ReportStatus.DISMISSED
    assert _db.session.scalar(select(AuditEvent.action)) == "review.dismiss_reports"
    assert "Không có báo cáo nào đang chờ" in html(client.get("/pfa/reviews"))


def test_only_staff_reach_the_queue(client, auth, reviewed, make):
    owner, *_, review = reviewed
    report_review(review.id, reporter_key(None, "a"), "Sai")
    for user in (owner, make.user()):
        auth.login(user)
        assert client.get("/pfa/reviews").status_code == 403
        assert (
            client.post(f"/pfa/reviews/{review.id}/hide", data={"reason": "x"}).status_code == 403
        )
        auth.logout()
    assert _db.session.get(Review, review.id).status is ReviewStatus.VISIBLE
