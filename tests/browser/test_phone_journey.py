"""The thirteen pages issue 12 measures, reached the way people reach them, on a 390×844 phone
with the demo data: a visitor browses, a guest fills a cart, the demo customer orders in two
taps from the cart, the cooperative opens the shipment, PFA staff open the queue. On every page
nothing scrolls sideways; where it matters the next step is on the first screen without
scrolling. Screenshots in tests/artifacts/phone-*.png."""

from __future__ import annotations

import re

import pytest

PHONE = {"width": 390, "height": 844}


def _fits(page, name: str, artifacts_dir) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name}: the page is {width} px wide"
    page.screenshot(path=str(artifacts_dir / f"phone-{name}.png"))


def _on_first_screen(page, selector: str) -> None:
    """The element is visible without scrolling: inside the viewport, not covered."""
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"], (selector, box)
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (selector, box)


def _log_in(context, email: str, password: str):
    page = context.new_page()
    page.goto("/account/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    return page


@pytest.mark.browser
def test_the_measured_pages_on_a_phone(_browser, live_server, app, db, artifacts_dir):
    from storefront.demo import seed_demo

    report = seed_demo()
    password = report["password"]
    accounts = report["accounts"]

    def context():
        return _browser.new_context(base_url=live_server, viewport=PHONE)

    # A visitor: home (products on the first screen), the catalog, a product, search, verify.
    visitor = context()
    page = visitor.new_page()
    page.goto("/")
    _on_first_screen(page, ".cards li .card__price")
    _fits(page, "home", artifacts_dir)
    page.goto("/products")
    _fits(page, "products", artifacts_dir)
    product_path = page.locator(".cards a").first.get_attribute("href")
    page.goto(product_path)
    _on_first_screen(page, "form.buy-form button[type=submit]:not([name=buy_now])")
    _on_first_screen(page, "form.buy-form button[name=buy_now]")
    _fits(page, "product", artifacts_dir)
    verify_paths = [
        href
        for href in page.locator("a[href*='/verify/']").evaluate_all(
            "links => links.map(a => a.getAttribute('href'))"
        )
        if re.search(r"/verify/.+", href)
    ]
    assert verify_paths, "the product page links its certificate's verification page"
    page.goto("/search?q=mat ong")
    assert page.locator(".cards li").count() > 0
    _fits(page, "search", artifacts_dir)
    page.goto(verify_paths[0])
    _fits(page, "verify", artifacts_dir)
    visitor.close()

    # A guest: the cart (checkout in the sticky bar) and the checkout (Đặt hàng in reach).
    guest = context()
    page = guest.new_page()
    page.goto(product_path)
    page.locator("form.buy-form button[type=submit]:not([name=buy_now])").click()
    page.wait_for_url("**/cart/")
    _on_first_screen(page, ".cart-bar button[name=checkout]")
    _fits(page, "cart", artifacts_dir)
    page.locator(".cart-bar button[name=checkout]").click()
    page.wait_for_url("**/checkout/")
    _on_first_screen(page, "#submit")
    _fits(page, "checkout", artifacts_dir)
    guest.close()

    # The demo customer: two taps from the cart to the confirmation, then the order pages.
    customer_email = next(e for label, e in accounts.items() if "customer" in label)
    customer = context()
    page = _log_in(customer, customer_email, password)
    page.goto(product_path)
    page.locator("form.buy-form button[type=submit]:not([name=buy_now])").click()
    page.wait_for_url("**/cart/")
    page.locator(".cart-bar button[name=checkout]").click()  # tap 1
    page.wait_for_url("**/checkout/")
    page.locator("#submit").click()  # tap 2
    page.wait_for_url(re.compile(r".*/orders/[A-Z0-9]+\?placed=1$"))
    _fits(page, "order-confirmation", artifacts_dir)
    number_path = page.url.split("?")[0].replace(live_server, "")
    page.goto(number_path)
    assert page.locator("ol.timeline").count() >= 1
    _fits(page, "order-detail", artifacts_dir)
    page.goto("/orders/")
    assert page.locator(f"a[href='{number_path}']").count() >= 1
    _fits(page, "orders", artifacts_dir)
    customer.close()

    # The cooperative: its workspace lands on /seller/, and the new order's shipment.
    owner_email = next(e for label, e in accounts.items() if "owner" in label)
    seller = context()
    page = _log_in(seller, owner_email, password)
    assert page.url.endswith("/seller/")
    _fits(page, "seller-dashboard", artifacts_dir)
    page.goto("/seller/shipments")
    page.locator("a[href*='/seller/shipments/']").first.click()
    page.wait_for_url(re.compile(r".*/seller/shipments/\d+$"))
    _fits(page, "seller-shipment", artifacts_dir)
    seller.close()

    # PFA staff land on the console; the certificate queue.
    pfa_email = next(e for label, e in accounts.items() if "PFA" in label)
    staff = context()
    page = _log_in(staff, pfa_email, password)
    assert page.url.endswith("/pfa/")
    page.goto("/pfa/certificates")
    _fits(page, "pfa-queue", artifacts_dir)
    staff.close()
