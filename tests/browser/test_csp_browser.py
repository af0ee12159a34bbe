"""The Content-Security-Policy in a real Chromium: the main page types load without a single
violation, and their scripts still work under it (the checkout's commune picker and shipping
quote, the label page's Print button)."""

from __future__ import annotations

import re

import pytest

from storefront.models import CertificateStatus, Role
from tests.fixtures import factories
from tests.fixtures.seller import seller

# Runs before any page script, outside the page's policy (Playwright injects it).
WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__csp.push(event.violatedDirective + " " + event.blockedURI + " " + event.sourceFile);
});
window.print = function () { window.__printed = true; };
"""


@pytest.fixture
def watched(page):
    messages: list[str] = []
    page.add_init_script(WATCH)
    page.on("console", lambda message: messages.append(message.text))

    def violations() -> list[str]:
        found = page.evaluate("window.__csp || []")
        return found + [m for m in messages if "Content Security Policy" in m]

    return page, violations


def log_in(page, user) -> None:
    page.goto("/account/login")
    form = page.locator("main form")
    form.locator("input[name=email]").fill(user.email)
    form.locator("input[name=password]").fill(factories.PASSWORD)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()


@pytest.mark.browser
def test_main_pages_load_without_a_csp_violation_and_their_scripts_work(watched, make):
    page, violations = watched
    owner, coop = seller()
    listing = make.listing(coop=coop, name="Vải thiều Lục Ngạn", slug="vai-thieu")
    make.certificate(coop, status=CertificateStatus.SUBMITTED)
    staff = make.user(role=Role.PFA)
    commune = factories.commune()
    seen: dict[str, list[str]] = {}

    def visit(path: str) -> None:
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        assert "script-src 'self' 'nonce-" in response.headers["content-security-policy"]
        seen[path] = violations()

    visit("/")
    visit("/products/vai-thieu")
    visit("/products/vai-thieu")  # served from the anonymous page cache, with a new nonce
    visit("/search?q=v%E1%BA%A3i")
    page.goto("/products/vai-thieu")
    page.locator("form.buy-form button[type=submit]:not([name=buy_now])").click()
    page.wait_for_url("**/cart/")
    visit("/cart/")
    visit("/checkout/")
    # The commune picker (static/js/places.js) fills the communes of the chosen province.
    page.select_option("#province", str(commune.province.code))
    page.wait_for_selector(f"#commune option[value='{commune.code}']", state="attached")
    page.select_option("#commune", str(commune.code))
    page.locator("[data-total]", has_text=re.compile(r"\d")).wait_for()  # the shipping quote
    seen["/checkout/ (picker)"] = violations()

    log_in(page, owner)
    visit("/seller/")
    visit(f"/seller/listings/{listing.id}/edit")
    visit(f"/seller/certificates/{listing.certificate_id}/label")
    page.locator("[data-print]").click()  # static/js/labels.js, no inline onclick
    assert page.evaluate("window.__printed === true")
    seen["label (print)"] = violations()
    page.context.clear_cookies()  # logged out

    log_in(page, staff)
    visit("/pfa/")
    visit("/pfa/certificates")
    assert seen and all(found == [] for found in seen.values()), seen
