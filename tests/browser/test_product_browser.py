"""The product page in Chromium: at 390 px "Thêm vào giỏ hàng" and "Mua ngay" sit in a bar at
the bottom of the first screen and stay there; at 1280×800 both are in the first viewport; the
gallery stays in the page and its lightbox works by keyboard; "Mua ngay" lands on checkout."""

from __future__ import annotations

import pytest

from tests.fixtures.photos import add_photos

ADD = "form.buy-form button[type=submit]:not([name=buy_now])"
BUY_NOW = "form.buy-form button[name=buy_now]"


@pytest.fixture
def lychee(make):
    coop = make.cooperative(legal_name="HTX Vải thiều Phúc Hòa")
    listing = make.listing(
        coop=coop,
        name="Vải thiều Lục Ngạn",
        slug="vai-thieu",
        cert=make.certificate(coop, stars=4),
        packages=[
            {"label": "Hộp 1 kg", "price": 150_000, "stock": 20},
            {"label": "Thùng 5 kg", "price": 650_000, "stock": 4},
            {"label": "Túi 500 g", "price": 80_000, "stock": 0},
        ],
        description="Quả chín đỏ, hái lúc sáng sớm. " * 40,  # a long page below the purchase
    )
    add_photos(listing, 3)
    return listing


def within_viewport(page, selector: str) -> bool:
    """The element is shown whole inside the viewport, and nothing covers its centre."""
    return page.locator(selector).evaluate(
        """el => {
            const box = el.getBoundingClientRect();
            const hit = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2);
            return box.top >= 0 && box.left >= 0 && box.bottom <= innerHeight
                && box.right <= innerWidth && box.width > 0 && el.contains(hit);
        }"""
    )


def wait_until(page, expression: str, timeout_ms: int = 3000) -> None:
    """Poll `expression` with evaluate (wait_for_function evals a string: the CSP forbids it)."""
    for _ in range(timeout_ms // 50):
        if page.evaluate(expression):
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"still false: {expression}")


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= innerWidth")


@pytest.mark.browser
def test_on_a_phone_both_buttons_are_in_the_bottom_bar_without_scrolling(
    page, lychee, artifacts_dir
):
    page.goto("/products/vai-thieu")
    assert page.evaluate("scrollY") == 0
    for selector in (ADD, BUY_NOW):
        assert within_viewport(page, selector), selector
    # In the bar at the bottom of the screen...
    bar = page.locator(".buy-bar").bounding_box()
    assert bar["y"] + bar["height"] == pytest.approx(844, abs=1)
    # ...the price and the package chips right under the photos, on the first screen too.
    assert within_viewport(page, ".buy-price")
    assert page.locator(".package-chip__box").first.bounding_box()["y"] < bar["y"]
    assert no_horizontal_scroll(page)
    page.screenshot(path=str(artifacts_dir / "product-390.png"))
    page.screenshot(path=str(artifacts_dir / "product-390-full.png"), full_page=True)

    # Still there far down the page.
    page.locator(".product-description").scroll_into_view_if_needed()
    page.mouse.wheel(0, 5000)
    wait_until(page, "scrollY > 800")
    assert within_viewport(page, ADD) and within_viewport(page, BUY_NOW)
    # The footer's last line is not hidden behind the bar once at the bottom.
    page.evaluate("scrollTo(0, document.documentElement.scrollHeight)")
    footer = page.locator(".site-footer__bottom").bounding_box()
    assert footer["y"] + footer["height"] <= page.locator(".buy-bar").bounding_box()["y"] + 1


@pytest.mark.browser
def test_on_a_phone_the_lightbox_opens_moves_by_keyboard_closes_with_esc(page, lychee):
    page.goto("/products/vai-thieu")
    opener = page.locator(".gallery__zoom")
    assert opener.is_visible()  # shown by gallery.js
    dots = page.locator(".gallery__thumb")  # the thumbnails, as dots on a phone
    assert dots.count() == 3 and dots.nth(0).get_attribute("aria-current") == "true"
    assert all(dots.nth(n).bounding_box()["width"] >= 24 for n in range(3))
    opener.focus()
    page.keyboard.press("Enter")
    dialog = page.locator("dialog.lightbox")
    assert dialog.evaluate("d => d.open")
    assert dialog.get_attribute("aria-label") == "Ảnh sản phẩm Vải thiều Lục Ngạn"
    assert page.locator(".lightbox__counter").inner_text() == "Ảnh 1/3"
    assert page.evaluate("document.activeElement.closest('dialog') !== null")

    page.keyboard.press("ArrowRight")
    assert page.locator(".lightbox__counter").inner_text() == "Ảnh 2/3"
    assert page.locator(".lightbox__image").get_attribute("alt") == "Ảnh 2"
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    assert page.locator(".lightbox__counter").inner_text() == "Ảnh 3/3"  # wraps round

    # A sideways swipe (here with the mouse: the same pointer events) moves on, and is no tap
    # on the photo (which would zoom).
    box = page.locator(".lightbox__image").bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] - 20, y)
    page.mouse.down()
    page.mouse.move(box["x"] + 20, y, steps=5)
    page.mouse.up()
    assert page.locator(".lightbox__counter").inner_text() == "Ảnh 1/3"
    assert page.locator("[data-lightbox-zoom]").get_attribute("aria-pressed") == "false"
    page.keyboard.press("ArrowLeft")  # back to the third

    # Focus stays in the dialog, both ways round.
    for key in ["Tab"] * 7 + ["Shift+Tab"] * 7:
        page.keyboard.press(key)
        assert page.evaluate("document.activeElement.closest('dialog') !== null"), key

    # Zoom: the named toggle says its state.
    zoom = page.locator("[data-lightbox-zoom]")
    zoom.click()
    assert zoom.get_attribute("aria-pressed") == "true"
    zoom.click()
    assert zoom.get_attribute("aria-pressed") == "false"

    page.keyboard.press("Escape")
    assert not dialog.evaluate("d => d.open")
    assert page.evaluate("document.activeElement === document.querySelector('.gallery__zoom')")
    # The gallery shows the photo the lightbox was on.
    wait_until(
        page,
        "document.querySelectorAll('.gallery__thumb')[2].getAttribute('aria-current') === 'true'",
    )
    assert page.url.endswith("/products/vai-thieu")

    # A tap on the photo opens it too.
    page.locator(".gallery__slide").nth(2).locator("img").click()
    assert dialog.evaluate("d => d.open")
    page.locator("[data-lightbox-close]").click()
    assert not dialog.evaluate("d => d.open")


@pytest.mark.browser
def test_on_a_phone_chips_stepper_and_buy_now(page, lychee, db):
    page.goto("/products/vai-thieu")
    assert page.locator(".buy-price__amount").inner_text() == "150.000\u00a0₫"
    page.locator(f"label[for=buy-package-{lychee.packages[1].id}]").click()
    assert page.locator(".buy-price__amount").inner_text() == "650.000\u00a0₫"
    sold_out = page.locator(f"#buy-package-{lychee.packages[2].id}")
    assert sold_out.is_disabled()

    quantity = page.locator("input[name=quantity]")
    more = page.locator(".qty-stepper__button--up")
    less = page.locator(".qty-stepper__button--down")
    assert less.get_attribute("aria-disabled") == "true"
    more.click()
    more.click()
    assert quantity.input_value() == "3"
    less.click()
    assert quantity.input_value() == "2"

    page.locator(BUY_NOW).click()
    page.wait_for_url("**/checkout/")
    assert page.get_by_text("Vải thiều Lục Ngạn").first.is_visible()
    assert page.locator(".cart-link__count").inner_text() == "2"


@pytest.mark.browser
def test_on_a_desktop_both_buttons_are_in_the_first_viewport(
    _browser, live_server, lychee, artifacts_dir
):
    context = _browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        page.goto("/products/vai-thieu")
        for selector in (ADD, BUY_NOW, ".buy-price", ".package-chips", ".qty-stepper"):
            assert within_viewport(page, selector), selector
        # In the page's flow beside the photos, not a bar.
        assert page.locator(".buy-bar").evaluate("el => getComputedStyle(el).position") == "static"
        assert no_horizontal_scroll(page)
        page.screenshot(path=str(artifacts_dir / "product-1280.png"))

        # A thumbnail shows its photo in place: no navigation, no jump of the page.
        page.locator(".gallery__thumb").nth(1).click()
        track = page.locator(".gallery__track")
        wait_until(
            page,
            "(t => Math.abs(t.scrollLeft - t.clientWidth) < 2)"
            "(document.querySelector('.gallery__track'))",
        )
        page.wait_for_timeout(100)  # the scroll events of the glide are handled
        assert page.url.endswith("/products/vai-thieu")
        assert page.evaluate("scrollY") == 0
        assert page.locator(".gallery__thumb").nth(1).get_attribute("aria-current") == "true"
        assert page.locator(".gallery__thumb").nth(0).get_attribute("aria-current") is None
        assert track.evaluate("t => t.scrollLeft") > 0
    finally:
        context.close()
