"""Buyers' reviews on the product page in Chromium: a review's photos open in the gallery's
lightbox; "Hữu ích" counts a first visitor's vote in place on the cached, cookie-free page
(CSRF on: the token is fetched when the button is reached for), and a second press says it
was already counted."""

from __future__ import annotations

import pytest
from PIL import Image

from storefront.core.media import store_review_image
from storefront.extensions import db
from storefront.models import Review, ReviewPhoto
from tests.fixtures.review_rows import add_review


@pytest.fixture
def reviewed(make):
    listing = make.listing(name="Mật ong hoa vải", slug="mat-ong", packages=[{"stock": 20}])
    review = add_review(listing, 5, "Mật thơm, sánh.", author="Vũ T. L.", helpful=2)
    for position in range(2):
        stored = store_review_image(Image.new("RGB", (800, 600), (40, 90 * position, 60)))
        db.session.add(
            ReviewPhoto(
                review_id=review.id,
                filename=stored.stem,
                width=stored.width,
                height=stored.height,
                position=position,
            )
        )
    db.session.get(Review, review.id).photo_count = 2
    db.session.commit()
    return review


@pytest.mark.browser
def test_review_photos_open_in_the_lightbox(page, reviewed):
    page.goto("/products/mat-ong")
    page.locator(".review__photo").nth(1).click()
    dialog = page.locator(".review__photos dialog.lightbox")
    assert dialog.evaluate("d => d.open")
    assert dialog.locator(".lightbox__counter").inner_text() == "Ảnh 2/2"
    assert "gallery.webp" in dialog.locator(".lightbox__image").get_attribute("src")
    page.keyboard.press("Escape")
    assert not dialog.evaluate("d => d.open")
    assert page.url.endswith("/products/mat-ong")  # never left for the raw picture


@pytest.mark.browser
def test_a_first_visitor_votes_in_place(page, reviewed, csrf_on):
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto("/products/mat-ong")
    count = page.locator(f"#review-{reviewed.id} [data-vote-count]")
    assert count.inner_text() == "2 người thấy hữu ích"
    page.locator(f"#review-{reviewed.id} .review__vote").click()
    for _ in range(60):
        if "3 người thấy hữu ích" in count.inner_text():
            break
        page.wait_for_timeout(50)
    assert "3 người thấy hữu ích" in count.inner_text()
    assert page.url.endswith("/products/mat-ong")
    assert errors == []
    page.reload()
    page.locator(f"#review-{reviewed.id} .review__vote").click()
    for _ in range(60):
        if "đã đánh dấu" in count.inner_text():
            break
        page.wait_for_timeout(50)
    # (The 409 answer is logged by Chromium as a failed request: that is the point.)
    assert "Bạn đã đánh dấu đánh giá này là hữu ích rồi." in count.inner_text()
