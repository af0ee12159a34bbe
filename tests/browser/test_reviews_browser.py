"""The review form in Chromium at 390 × 844, CSRF on: a guest opens the reminder e-mail's link
in a fresh browser, chooses a rating, writes and adds a photo, sends; the logged-in buyer's
order page offers "Sửa đánh giá"; no CSP violation, nothing scrolls sideways."""

from __future__ import annotations

import pytest
from flask import render_template_string

from storefront.domain.reviews.links import review_link_token
from storefront.domain.reviews.writing import ReviewInput, save_review
from tests.fixtures.reviews import order_of, report_count, shop
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


@pytest.mark.browser
def test_the_report_form_fetches_its_token_on_a_public_page(page, app, make, csrf_on):
    """The partial as the product page holds it when a CDN may cache it (no token), put into a
    public page of the shop with its script: the visitor's report still goes through."""
    owner, _, listing = shop(make)
    buyer = make.user()
    bought = order_of(listing, buyer=buyer)
    review = save_review(bought.line_id, buyer, ReviewInput(rating=1, body="Tệ"))
    with app.app_context(), app.test_request_context(f"/products/{listing.slug}"):
        partial = render_template_string('{% include "reviews/_report_form.html" %}', review=review)
    assert 'name="csrf_token" value=""' in partial
    page.add_init_script(WATCH)
    response = page.goto("/")
    assert response.status == 200 and "public" in response.headers["cache-control"]
    assert page.context.cookies() == []
    page.evaluate(
        """([html, src]) => {
            document.querySelector("main").insertAdjacentHTML("afterbegin", html);
            const script = document.createElement("script");
            script.src = src;
            document.head.appendChild(script);
        }""",
        [partial, "/static/js/review_report.js"],
    )
    page.wait_for_function("document.querySelector('script[src$=\"review_report.js\"]')")
    page.wait_for_timeout(200)  # the script runs once loaded
    page.get_by_text("Báo cáo đánh giá này").click()
    page.locator(f"#review-report-{review.id}").fill("Quảng cáo")
    page.get_by_role("button", name="Gửi báo cáo").click()
    page.get_by_text("Cảm ơn bạn. Hội Nông dân sẽ xem xét đánh giá này.").wait_for()
    assert report_count() == 1
    assert page.evaluate("window.__csp") == []
