"""Suggestions under the header search box in Chromium at 390 px: typing shows grouped
options, the arrow keys and Enter open a product, Esc closes, the ARIA combobox attributes
follow; Enter with nothing highlighted submits the plain form."""

from __future__ import annotations

import re

import pytest

expect = pytest.importorskip("playwright.sync_api").expect

LUC_NGAN = 7582  # Xã Lục Ngạn, Bắc Ninh


@pytest.fixture
def catalog(make):
    fruit = make.cooperative(legal_name="HTX Vải thiều Hồng Xuân")
    luc_ngan = make.commune(LUC_NGAN)
    return {
        "vai": make.listing(coop=fruit, name="Vải thiều Lục Ngạn", origin_commune=luc_ngan),
        "mat_ong": make.listing(coop=fruit, name="Mật ong vải", origin_commune=luc_ngan),
    }


def test_typing_suggests_and_the_keyboard_opens_a_product(page, catalog, artifacts_dir):
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto("/")
    box = page.locator("#site-search-q")
    expect(box).to_have_attribute("role", "combobox")
    expect(box).to_have_attribute("aria-expanded", "false")
    listbox_id = box.get_attribute("aria-controls")
    listbox = page.locator(f"#{listbox_id}")
    assert listbox.get_attribute("role") == "listbox"

    box.click()
    box.press_sequentially("vai thi", delay=30)
    expect(box).to_have_attribute("aria-expanded", "true")
    options = listbox.get_by_role("option")
    expect(options.first).to_contain_text("Vải thiều Lục Ngạn")
    expect(options.first).to_contain_text(f"{catalog['vai'].certificate.stars} sao OCOP")
    assert listbox.get_by_role("group", name="Sản phẩm").is_visible()
    assert listbox.get_by_role("group", name="Hợp tác xã").is_visible()
    count = options.count()
    expect(page.get_by_role("status").filter(has_text="gợi ý")).to_have_text(f"{count} gợi ý")
    # Fits the phone: the list is no wider than the screen.
    box_right = listbox.evaluate("e => e.getBoundingClientRect().right")
    assert box_right <= 390
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(artifacts_dir / "suggest-390.png"))

    box.press("ArrowDown")
    first = options.first
    expect(first).to_have_attribute("aria-selected", "true")
    assert box.get_attribute("aria-activedescendant") == first.get_attribute("id")
    box.press("ArrowDown")
    expect(first).to_have_attribute("aria-selected", "false")
    box.press("ArrowUp")
    expect(first).to_have_attribute("aria-selected", "true")

    box.press("Escape")
    expect(box).to_have_attribute("aria-expanded", "false")
    assert box.get_attribute("aria-activedescendant") is None
    assert listbox.is_hidden()

    box.press("ArrowDown")  # opens again on the first option
    expect(box).to_have_attribute("aria-expanded", "true")
    expect(first).to_have_attribute("aria-selected", "true")
    box.press("Enter")
    page.wait_for_url(re.compile(rf"/products/{catalog['vai'].slug}$"))
    assert not [e for e in errors if "Content Security Policy" in e]


def test_enter_without_an_option_submits_the_form_and_a_tap_opens(page, catalog):
    page.goto("/")
    box = page.locator("#site-search-q")
    box.click()
    box.press_sequentially("mat on", delay=30)
    expect(box).to_have_attribute("aria-expanded", "true")
    box.press("Enter")
    page.wait_for_url(re.compile(r"/search\?q=mat\+on$"))

    box = page.locator("#site-search-q")
    box.fill("")
    box.press_sequentially("mat ong", delay=30)
    option = page.get_by_role("option", name=re.compile("Mật ong vải"))
    option.click()
    page.wait_for_url(re.compile(rf"/products/{catalog['mat_ong'].slug}$"))


def test_without_javascript_the_box_is_a_plain_form(_browser, live_server, catalog):
    context = _browser.new_context(
        base_url=live_server, viewport={"width": 390, "height": 844}, java_script_enabled=False
    )
    page = context.new_page()
    page.goto("/")
    box = page.locator("#site-search-q")
    assert box.get_attribute("role") is None
    box.fill("vai thieu")
    box.press("Enter")
    page.wait_for_url(re.compile(r"/search\?q=vai\+thieu$"))
    context.close()
