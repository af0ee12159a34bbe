"""The chrome and the product grid in Chromium: a sticky header, products on the home page's
first phone screen, two compact cards per row, nothing that scrolls sideways."""

from __future__ import annotations

import pytest

from tests.fixtures import factories

PHONE_HEIGHT = 844
PAGES = ("/", "/products", "/origins", "/verify/")


@pytest.fixture
def catalog(make):
    for n in range(10):
        make.listing(
            # Long names: the card clamps them to two lines whatever their length.
            name=f"Vải thiều Lục Ngạn sấy khô loại đặc biệt hộp quà biếu Tết số {n}",
            packages=[{"price": 130_000 + n * 1_000, "stock": 5}],
        )


def boxes(page, selector: str) -> list[dict]:
    items = page.locator(selector)
    return [items.nth(i).bounding_box() for i in range(items.count())]


def no_sideways_scroll(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


@pytest.mark.browser
def test_home_shows_products_with_prices_on_the_first_phone_screen(page, catalog, artifacts_dir):
    page.goto("/")
    on_first_screen = [
        box
        for box in boxes(page, ".cards .card__price")
        if box and box["y"] + box["height"] <= PHONE_HEIGHT
    ]
    assert len(on_first_screen) >= 2, on_first_screen
    page.screenshot(path=str(artifacts_dir / "chrome-home-390.png"))
    page.screenshot(path=str(artifacts_dir / "chrome-home-390-full.png"), full_page=True)


@pytest.mark.browser
def test_the_header_and_its_search_stay_in_view_while_scrolling(page, catalog):
    page.goto("/products")
    header_height = page.locator(".site-header").bounding_box()["height"]
    assert header_height <= 72  # one compact row on a phone
    page.evaluate("window.scrollTo(0, 1200)")
    page.wait_for_function("window.scrollY >= 1000")
    header = page.locator(".site-header").bounding_box()
    assert header["y"] == 0
    search = page.locator("#site-search-q")
    assert search.is_visible() and 0 <= search.bounding_box()["y"] < header_height
    assert page.locator(".cart-link").bounding_box()["y"] < header_height
    # Anchors and focused fields stop below the header, not under it.
    padding = page.evaluate(
        "parseFloat(getComputedStyle(document.documentElement).scrollPaddingTop)"
    )
    assert padding >= header_height
    # Something scrolled to the top (an anchor, a field with an error) lands below the header,
    # not under it.
    top = page.evaluate(
        "(() => { const card = document.querySelectorAll('.cards > li')[4];"
        " card.scrollIntoView({block: 'start'}); return card.getBoundingClientRect().top; })()"
    )
    assert top >= header_height


@pytest.mark.browser
def test_products_are_two_compact_cards_per_row_on_a_phone(page, catalog, artifacts_dir):
    page.goto("/products")
    cards = boxes(page, ".cards > li")
    assert len(cards) == 10
    assert all(card["height"] <= 300 for card in cards), [card["height"] for card in cards]
    rows: dict[float, int] = {}
    for card in cards:
        rows[round(card["y"])] = rows.get(round(card["y"]), 0) + 1
    assert list(rows.values()) == [2] * 5
    page.screenshot(path=str(artifacts_dir / "chrome-products-390.png"))


@pytest.mark.browser
@pytest.mark.parametrize("width,height", [(390, 844), (1280, 800)])
def test_no_page_scrolls_sideways(page, catalog, artifacts_dir, width, height):
    page.set_viewport_size({"width": width, "height": height})
    for path in PAGES:
        page.goto(path)
        assert no_sideways_scroll(page), path
        name = path.strip("/").replace("/", "-") or "home"
        page.screenshot(path=str(artifacts_dir / f"chrome-{name}-{width}.png"))


@pytest.mark.browser
def test_wide_screens_get_four_cards_a_row_and_a_sticky_header(page, catalog):
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/")
    tops = [round(card["y"]) for card in boxes(page, ".cards > li")]
    assert tops.count(tops[0]) == 4
    page.evaluate("window.scrollTo(0, 900)")
    page.wait_for_function("window.scrollY >= 800")
    assert page.locator(".site-header").bounding_box()["y"] == 0
    assert page.locator("#site-search-q").is_visible()


@pytest.mark.browser
def test_the_account_menu_opens_over_the_page_on_a_phone(page, make):
    member = make.user()
    make.cooperative(owner=member)
    page.goto("/account/login")
    form = page.locator("main form")
    form.locator("input[name=email]").fill(member.email)
    form.locator("input[name=password]").fill(factories.PASSWORD)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    page.goto("/")
    page.locator("details.account-menu > summary").click()
    panel = page.locator(".account-menu__panel")
    orders = panel.get_by_role("link", name="Đơn hàng của tôi")
    assert orders.is_visible()
    box = panel.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert panel.get_by_role("link", name="Trang quản lý của hợp tác xã").is_visible()
    page.keyboard.press("Escape")
    assert not orders.is_visible()
