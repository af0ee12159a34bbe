"""A real browser renders the storefront (Chromium via Playwright)."""

from __future__ import annotations

import pytest


@pytest.mark.browser
def test_home_page_renders_in_chromium(page, make, artifacts_dir):
    make.listing(name="Vải thiều Lục Ngạn", packages=[{"price": 150_000, "stock": 5}])
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "vi"
    assert page.get_by_text("Vải thiều Lục Ngạn").first.is_visible()
    assert page.get_by_text("150.000 ₫").first.is_visible()
    # The page fits a 390 px phone screen: nothing scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(artifacts_dir / "home-390.png"), full_page=True)

    page.goto("/?lang=en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_text("150,000 ₫").first.is_visible()
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "en"  # the choice sticks
