"""The review form in Chromium at 390 × 844, CSRF on: a guest opens the reminder e-mail's link
in a fresh browser, chooses a rating, writes and adds a photo, sends; the logged-in buyer's
order page offers "Sửa đánh giá"; no CSP violation, nothing scrolls sideways."""

from __future__ import annotations

import pytest

from storefront.domain.reviews.links import review_link_token
from tests.fixtures.reviews import order_of, shop
from tests.fixtures.seller import png_bytes

WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__csp.push(event.violatedDirective + " " + event.blockedURI);
});
"""


@pytest.mark.browser
def test_a_guest_reviews_from_the_reminder_link_on_a_phone(page, app, make, csrf_on, artifacts_dir):
    _, _, listing = shop(make)
    bought = order_of(listing)
    page.add_init_script(WATCH)
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))

    assert page.goto(f"/reviews/link/{review_link_token(bought.line)}").status == 200
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(artifacts_dir / "review-form-390.png"), full_page=True)
    page.get_by_text("Tốt", exact=True).click()  # 4/5
    page.locator("#review-body").fill("Vải ngọt, giao nhanh.")
    page.locator("#review-photos").set_input_files(
        [{"name": "vai.png", "mimeType": "image/png", "buffer": png_bytes((300, 200))}]
    )
    page.get_by_role("button", name="Gửi đánh giá").click()
    page.get_by_text("Cảm ơn bạn đã đánh giá!").wait_for()
    assert page.locator("#review-body").input_value() == "Vải ngọt, giao nhanh."
    assert page.locator("input[name=rating][value='4']").is_checked()
    assert page.locator(".review-photos__item img").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    violations = page.evaluate("window.__csp") + [
        m for m in messages if "Content Security Policy" in m
    ]
    assert violations == []
