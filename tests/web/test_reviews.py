"""The review form (issue 16, items 1 and 6): from the account's order page and from the
reminder's signed link; clear refusals that change nothing; text shown as text; photos
checked; the rate limit on writing."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from flask import url_for

from config import Config
from storefront.core import clock
from storefront.domain.reviews.links import review_link_token
from storefront.domain.reviews.writing import ReviewInput, save_review
from storefront.extensions import db as _db
from storefront.models import Review, Shipment, ShipmentStatus
from tests.fixtures.limits import rate_limited_app
from tests.fixtures.pages import html
from tests.fixtures.reviews import order_of, review_count, review_files, shop, stats_of
from tests.fixtures.seller import file_field, png_bytes


@pytest.fixture
def world(make):
    owner, coop, listing = shop(make)
    buyer = make.user(name="Nguyễn Thị Lan", email="lan.buyer@example.vn")
    return owner, coop, listing, buyer


def review_path(line_id: int) -> str:
    return f"/reviews/lines/{line_id}"


def test_the_order_page_offers_a_review_per_delivered_line(client, auth, world):
    _, _, listing, buyer = world
    bought = order_of(listing, buyer=buyer)
    waiting = order_of(listing, buyer=buyer, deliver=False)
    auth.login(buyer)
    page = html(client.get(f"/orders/{bought.order.number}"))
    assert f'href="{review_path(bought.line_id)}" data-review="write"' in page
    assert "Đánh giá" in page
    assert "data-review" not in html(client.get(f"/orders/{waiting.order.number}"))
    save_review(bought.line_id, buyer, ReviewInput(rating=4))
    page = html(client.get(f"/orders/{bought.order.number}"))
    assert f'href="{review_path(bought.line_id)}" data-review="edit"' in page
    assert "Sửa đánh giá" in page


def test_a_buyer_writes_a_review_with_photos_from_the_order_page(client, auth, world):
    _, _, listing, buyer = world
    bought = order_of(listing, buyer=buyer)
    auth.login(buyer)
    form = html(client.get(review_path(bought.line_id)))
    assert 'name="rating"' in form and 'enctype="multipart/form-data"' in form
    assert "sao" not in form.split('name="rating"')[0].rsplit("<legend", 1)[-1]
    response = client.post(
        review_path(bought.line_id),
        data={
            "rating": "5",
            "body": "<b>Vải</b> ngọt\u202e lịm",
            "photos": [file_field(png_bytes()), file_field(png_bytes(), "b.png")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/orders/{bought.order.number}")
    review = _db.session.query(Review).one()
    assert (review.rating, review.body, review.photo_count) == (5, "<b>Vải</b> ngọt lịm", 2)
    assert len(review_files()) == 6
    assert stats_of(listing.id)[:2] == (1, 5)
    # Shown escaped when edited.
    form = html(client.get(review_path(bought.line_id)))
    assert "&lt;b&gt;Vải&lt;/b&gt; ngọt lịm" in form and "<b>Vải</b>" not in form
    [photo_url] = re.findall(r'src="(/media/reviews/[^"]+-thumb\.webp)"', form)[:1]
    served = client.get(photo_url)
    assert served.status_code == 200 and served.mimetype == "image/webp"


def test_bad_input_answers_422_beside_the_field_and_changes_nothing(client, auth, world):
    _, _, listing, buyer = world
    bought = order_of(listing, buyer=buyer)
    auth.login(buyer)
    for data, message in (
        ({"rating": "7", "body": "Giữ lại"}, "Hãy chọn điểm đánh giá từ 1 đến 5."),
        ({"rating": "3", "body": "x" * 4001}, "tối đa 4.000"),
        (
            {"rating": "3", "photos": [file_field(b"GIF89a not a photo", "x.png")]},
            "không phải là ảnh JPEG, PNG hoặc WebP",
        ),
    ):
        response = client.post(
            review_path(bought.line_id), data=data, content_type="multipart/form-data"
        )
        page = html(response)
        assert response.status_code == 422, data
        assert message in page, page
        if data.get("body") == "Giữ lại":
            assert ">Giữ lại</textarea>" in page  # what was typed is kept
    assert review_count() == 0 and review_files() == set() and stats_of(listing.id) is None


def test_refusals_by_id_tampering_and_line_state(client, auth, world, make):
    owner, _, listing, buyer = world
    mine = order_of(listing, buyer=buyer)
    theirs = order_of(listing, buyer=make.user())
    guest = order_of(listing)
    undelivered = order_of(listing, buyer=buyer, deliver=False)
    cancelled = order_of(listing, buyer=buyer, deliver=False)
    part = _db.session.get(Shipment, cancelled.line.shipment_id)
    part.status = ShipmentStatus.CANCELLED
    _db.session.commit()
    auth.login(buyer)
    # Another customer's line, a guest's line, a line that does not exist: 404, GET and POST.
    for line_id in (theirs.line_id, guest.line_id, 99999):
        assert client.get(review_path(line_id)).status_code == 404
        assert client.post(review_path(line_id), data={"rating": "5"}).status_code == 404
    # Not delivered, cancelled: a clear message.
    response = client.post(review_path(undelivered.line_id), data={"rating": "5"})
    assert response.status_code == 409 and "sau khi kiện hàng" in html(response)
    response = client.get(review_path(cancelled.line_id))
    assert response.status_code == 409 and "đã bị hủy" in html(response)
    assert review_count() == 0
    # Logged out: the log-in page.
    auth.logout()
    response = client.get(review_path(mine.line_id))
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    # The cooperative's own member: refused with the reason.
    own = order_of(listing, buyer=owner)
    auth.login(owner)
    response = client.post(review_path(own.line_id), data={"rating": "5"})
    assert response.status_code == 403 and "không thể đánh giá sản phẩm" in html(response)
    assert review_count() == 0


def test_a_guest_reviews_through_the_link_in_any_browser(client, world, app):
    _, _, listing, _ = world
    bought = order_of(listing)
    path = f"/reviews/link/{review_link_token(bought.line)}"
    assert 'name="rating"' in html(client.get(path))
    response = client.post(path, data={"rating": "4", "body": "Ổn"})
    assert response.status_code == 303 and response.headers["Location"].endswith(path)
    assert "Cảm ơn bạn đã đánh giá!" in html(client.get(path))
    assert _db.session.query(Review).one().user_id is None
    # Another line's token, a tampered one: refused with a clear page; the review unchanged.
    other = order_of(listing)
    token = review_link_token(other.line)
    for bad in (token[:-3] + "abc", "not-a-token"):
        response = client.post(f"/reviews/link/{bad}", data={"rating": "1"})
        assert response.status_code == 400 and "Liên kết đánh giá này không hợp lệ" in html(
            response
        )
    assert review_count() == 1 and _db.session.query(Review).one().rating == 4


def test_the_guest_order_page_links_to_the_signed_form(client, world):
    _, _, listing, _ = world
    bought = order_of(listing)
    from storefront.domain.order_links import order_link_token

    page = html(client.get(f"/orders/link/{order_link_token(bought.order)}"))
    match = re.search(r'href="(/reviews/link/[^"]+)" data-review="write"', page)
    assert match
    assert client.get(match.group(1)).status_code == 200


@pytest.fixture
def limited(app):
    with rate_limited_app(
        app,
        REVIEW_WRITE_LIMIT=Config.REVIEW_WRITE_LIMIT,
    ) as built:
        yield built


def test_writing_is_rate_limited(world, limited):
    _, _, listing, _ = world
    bought = order_of(listing)
    with limited.test_request_context():
        path = url_for("reviews.guest", token=review_link_token(bought.line))
    client = limited.test_client()
    answers = [client.post(path, data={"rating": "9"}).status_code for _ in range(11)]
    assert answers == [422] * 10 + [429], answers
    response = client.post(path, data={"rating": "5"})
    assert response.status_code == 429 and "Retry-After" in response.headers
    assert "Có quá nhiều đánh giá" in html(response)
    assert client.get(path).status_code == 200  # looking costs nothing
    assert review_count() == 0


def test_uploads_keep_the_listing_checks(client, auth, world):
    _, _, listing, buyer = world
    bought = order_of(listing, buyer=buyer)
    auth.login(buyer)
    huge = io.BytesIO(b"\x89PNG" + b"0" * (5 * 1024 * 1024 + 10))
    response = client.post(
        review_path(bought.line_id),
        data={"rating": "5", "photos": [(huge, "big.png")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and "lớn hơn 5 MB" in html(response)
    assert review_count() == 0 and review_files() == set()


def test_after_30_days_the_review_shows_and_cannot_be_changed(client, auth, world):
    _, _, listing, buyer = world
    bought = order_of(listing, buyer=buyer)
    save_review(bought.line_id, buyer, ReviewInput(rating=3, body="Được"))
    auth.login(buyer)
    with clock.frozen(clock.now() + timedelta(days=31)):
        page = html(client.get(review_path(bought.line_id)))
        assert "không thể sửa nữa" in page and 'name="rating"' not in page
        response = client.post(review_path(bought.line_id), data={"rating": "1"})
        assert response.status_code == 409 and "không thể sửa nữa" in html(response)
        order_page = html(client.get(f"/orders/{bought.order.number}"))
        assert "data-review=" not in order_page
    _db.session.expire_all()
    assert _db.session.query(Review).one().rating == 3
