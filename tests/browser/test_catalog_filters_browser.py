"""The catalog's filters in Chromium: a bottom sheet with a live count on a phone, a sidebar
that applies on choice on a wide screen, removable chips, sort in the results bar, no layout
shift on load, and the plain form without JavaScript."""

from __future__ import annotations

import re
import time

import pytest

from storefront.models import OcopGroup

expect = pytest.importorskip("playwright.sync_api").expect

LUC_NGAN = 7582  # Xã Lục Ngạn, Bắc Ninh
BAT_TRANG = 577  # Xã Bát Tràng, Hà Nội

# The sum of the layout-shift entries since navigation (those caused by input excluded), as
# Lighthouse's CLS counts them for a page that loads and is left alone.
LAYOUT_SHIFT = """() => new Promise((resolve) => {
  let sum = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) if (!entry.hadRecentInput) sum += entry.value;
  }).observe({type: "layout-shift", buffered: true});
  setTimeout(() => resolve(sum), 600);
})"""


@pytest.fixture
def catalog(make):
    """Eight public listings: six foods (two of them honey), two handicrafts; 4 stars except
    three 5-star foods."""
    fruit = make.cooperative(legal_name="HTX Vải thiều Hồng Xuân")
    pottery = make.cooperative(legal_name="HTX Gốm Bát Tràng")
    for n in range(6):
        make.listing(
            coop=fruit,
            cert=make.certificate(fruit, stars=5 if n < 3 else 4),
            name=["Mật ong vải", "Mật ong bạc hà"][n] if n < 2 else f"Vải sấy Lục Ngạn {n}",
            origin_commune=make.commune(LUC_NGAN),
            packages=[{"price": 100_000 + 10_000 * n, "stock": 5}],
        )
    for n in range(2):
        make.listing(
            coop=pottery,
            cert=make.certificate(pottery, stars=4),
            name=f"Gốm men lam {n}",
            group=OcopGroup.HANDICRAFTS,
            origin_commune=make.commune(BAT_TRANG),
            packages=[{"price": 600_000 + n, "stock": 2}],
        )


def slow_scripts(page, seconds: float = 0.3) -> None:
    """Hold every script back a little, so that the page is painted before the deferred scripts
    run: a script that moved things on load would then show as a layout shift."""

    def delay(route):
        time.sleep(seconds)
        route.continue_()

    page.route(re.compile(r".*\.js(\?.*)?$"), delay)


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def card_count(page) -> int:
    return page.locator(".cards .card").count()


@pytest.mark.browser
@pytest.mark.parametrize("path", ["/products", "/search?q=m%E1%BA%ADt+ong"])
def test_results_come_first_and_nothing_shifts_on_load(page, catalog, artifacts_dir, path):
    slow_scripts(page)
    page.goto(path)
    page.wait_for_load_state("load")
    assert page.evaluate(LAYOUT_SHIFT) < 0.05
    first_card = page.locator(".card").first
    assert first_card.bounding_box()["y"] < 844  # the results start on the first screen
    assert page.locator(".catalog-bar__filters").is_visible()
    assert page.locator("#catalog-sort").is_visible()
    bar_button = page.locator(".catalog-bar__filters").bounding_box()
    sort = page.locator("#catalog-sort").bounding_box()
    assert abs(bar_button["y"] + bar_button["height"] / 2 - sort["y"] - sort["height"] / 2) < 4
    assert no_sideways_scroll(page)
    name = "search" if "search" in path else "products"
    page.screenshot(path=str(artifacts_dir / f"filters-{name}-390.png"))

    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(path)
    page.wait_for_load_state("load")
    assert page.evaluate(LAYOUT_SHIFT) < 0.05
    assert page.get_by_role("group", name="Hạng sao OCOP").is_visible()  # the sidebar
    assert not page.locator(".catalog-bar__filters").is_visible()
    assert page.locator(".card").first.bounding_box()["y"] < 800
    page.screenshot(path=str(artifacts_dir / f"filters-{name}-1280.png"))


@pytest.mark.browser
def test_the_phone_filter_sheet_counts_applies_and_chips_undo(page, catalog, artifacts_dir):
    page.goto("/products")
    assert card_count(page) == 8
    opener = page.get_by_role("button", name="Bộ lọc")
    opener.click()

    sheet = page.get_by_role("dialog", name="Bộ lọc")
    assert sheet.is_visible()
    assert sheet.evaluate("d => d.matches(':modal')")  # the page behind is inert
    assert sheet.evaluate("d => d.contains(document.activeElement)")
    # Focus stays in the sheet however far one tabs.
    for _ in range(25):
        page.keyboard.press("Tab")
        assert page.evaluate(
            "document.activeElement === document.body"
            " || document.querySelector('dialog.filter-sheet').contains(document.activeElement)"
        )
    show = sheet.locator(".facets__apply")
    assert show.inner_text() == "Xem 8 sản phẩm"
    # Measured where the sheet comes to rest: its opening slide (0.2 s) may still be running.
    sheet.evaluate("d => Promise.all(d.getAnimations().map(a => a.finished))")
    sheet_box = sheet.bounding_box()
    assert sheet_box["y"] + sheet_box["height"] == pytest.approx(844, abs=1)  # a bottom sheet
    assert show.is_visible() and show.bounding_box()["y"] + show.bounding_box()["height"] <= 844

    # Each choice updates the count from the server, without leaving the page.
    sheet.get_by_label("5 sao OCOP").check()
    expect(show).to_have_text("Xem 3 sản phẩm")
    sheet.get_by_label("Thủ công mỹ nghệ").check()
    expect(show).to_have_text("Xem 0 sản phẩm")
    sheet.get_by_label("Thủ công mỹ nghệ").uncheck()
    sheet.get_by_label("Đến").fill("110000")
    expect(show).to_have_text("Xem 2 sản phẩm")
    assert page.url.endswith("/products")
    assert no_sideways_scroll(page)
    page.screenshot(path=str(artifacts_dir / "filters-sheet-390.png"))

    # Escape closes it and forgets the choices; the opener has the focus back.
    page.keyboard.press("Escape")
    assert not sheet.is_visible()
    assert page.evaluate("document.activeElement.classList.contains('catalog-bar__filters')")
    assert card_count(page) == 8
    opener.click()
    assert not sheet.get_by_label("5 sao OCOP").is_checked()
    assert show.inner_text() == "Xem 8 sản phẩm"
    page.mouse.click(195, 30)  # a tap on the dimmed page above the sheet closes it too
    assert not sheet.is_visible()
    opener.click()

    sheet.get_by_label("5 sao OCOP").check()
    expect(show).to_have_text("Xem 3 sản phẩm")
    show.click()
    page.wait_for_url(re.compile(r"/products\?.*stars=5"))
    assert "price_min" not in page.url and "price_max" not in page.url  # empty fields left out
    assert card_count(page) == 3
    chip = page.get_by_role("link", name="Bỏ lọc: 5 sao")
    assert chip.is_visible() and "5 sao" in chip.inner_text()
    assert page.get_by_role("button", name="Bộ lọc (1)").is_visible()
    assert page.locator(".card").first.bounding_box()["y"] < 844
    assert no_sideways_scroll(page)
    page.screenshot(path=str(artifacts_dir / "filters-chips-390.png"))

    chip.click()
    page.wait_for_url(re.compile(r"/products(\?sort=newest)?$"))
    assert card_count(page) == 8
    assert page.locator(".filter-chip").count() == 0


@pytest.mark.browser
def test_sort_applies_on_change(page, catalog):
    page.goto("/products?group=4")
    page.locator("#catalog-sort").select_option("price_desc")
    page.wait_for_url(re.compile(r"sort=price_desc"))
    assert "group=4" in page.url
    assert page.locator(".card__title").first.inner_text() == "Gốm men lam 1"


@pytest.mark.browser
def test_the_sidebar_applies_a_ticked_box_at_once(page, catalog, artifacts_dir):
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/products")
    page.get_by_label("Thủ công mỹ nghệ").check()
    page.wait_for_url(re.compile(r"group=4"))
    assert card_count(page) == 2
    assert page.get_by_label("Thủ công mỹ nghệ").is_checked()
    page.get_by_label("4 sao OCOP").check()
    page.wait_for_url(re.compile(r"group=4.*stars=4|stars=4.*group=4"))
    assert card_count(page) == 2
    assert page.locator(".filter-chip").count() == 3  # two filters and "Xóa tất cả"
    page.screenshot(path=str(artifacts_dir / "filters-sidebar-1280.png"))
    page.get_by_role("link", name="Xóa tất cả").click()
    page.wait_for_url(re.compile(r"/products(\?sort=newest)?$"))
    assert card_count(page) == 8


@pytest.mark.browser
def test_without_javascript_the_filters_are_a_form(_browser, live_server, catalog, artifacts_dir):
    context = _browser.new_context(
        base_url=live_server, viewport={"width": 390, "height": 844}, java_script_enabled=False
    )
    page = context.new_page()
    try:
        page.goto("/products")
        stars = page.get_by_role("group", name="Hạng sao OCOP")
        assert not stars.is_visible()  # folded by the stylesheet
        assert page.locator(".card").first.bounding_box()["y"] < 844
        page.get_by_role("link", name="Bộ lọc").click()
        assert stars.is_visible()
        page.get_by_label("5 sao OCOP").check()
        page.get_by_role("button", name="Áp dụng bộ lọc").click()
        page.wait_for_url(re.compile(r"stars=5"))
        assert card_count(page) == 3
        page.locator("#catalog-sort").select_option("price_desc")
        page.get_by_role("button", name="Sắp xếp", exact=True).click()
        page.wait_for_url(re.compile(r"sort=price_desc"))
        assert "stars=5" in page.url
        assert card_count(page) == 3
        assert no_sideways_scroll(page)
        page.screenshot(path=str(artifacts_dir / "filters-nojs-390.png"))
    finally:
        context.close()
