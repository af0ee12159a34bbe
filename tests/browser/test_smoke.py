"""A real browser renders the storefront (Chromium via Playwright)."""

from __future__ import annotations

import re

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


@pytest.mark.browser
def test_catalog_on_a_phone_shows_results_first_and_filters_one_tap_away(page, make, artifacts_dir):
    for n in range(3):
        make.listing(name=f"Mật ong bạc hà {n}", packages=[{"price": 120_000 + n, "stock": 5}])
    page.goto("/products")
    first_card = page.locator(".card").first
    assert first_card.is_visible()
    assert first_card.bounding_box()["y"] < 844  # above the fold on a 390 × 844 phone
    stars_filter = page.get_by_role("group", name="Hạng sao OCOP")
    assert not stars_filter.is_visible()
    page.locator(".catalog-bar__filters").click()  # opens the filter sheet
    assert stars_filter.is_visible()
    page.get_by_label("4 sao OCOP").check()
    page.get_by_role("button", name=re.compile(r"^Xem \d+ sản phẩm$")).click()
    page.wait_for_url("**/products?*stars=4*")
    # With a filter chosen the bar says how many are on, and the filter is a removable chip.
    assert page.locator(".catalog-bar__filters").inner_text().strip() == "Bộ lọc (1)"
    assert page.locator(".filter-chip", has_text="4 sao OCOP").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(artifacts_dir / "catalog-filtered-390.png"), full_page=True)

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/products")
    assert stars_filter.is_visible()  # beside the results on a wide screen, no toggle
    assert not page.locator(".catalog-bar__filters").is_visible()
