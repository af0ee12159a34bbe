"""The product page sells: price and packages (once, as chips) by the gallery, a quantity
stepper, "Thêm vào giỏ hàng" and "Mua ngay" in one form, an in-page gallery, offers per package
in the structured data."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from storefront.models import CartLine, ListingStatus, Role
from tests.fixtures.pages import html
from tests.fixtures.photos import add_photos


class Elements(HTMLParser):
    """Every start tag of a page with its attributes, in order (enough to read a form)."""

    def __init__(self, page: str):
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def find(self, tag: str, **attrs) -> list[dict[str, str | None]]:
        return [
            a
            for t, a in self.tags
            if t == tag and all(a.get(k.rstrip("_")) == v for k, v in attrs.items())
        ]


def with_class(elements: Elements, tag: str, name: str) -> list[dict[str, str | None]]:
    return [a for t, a in elements.tags if t == tag and name in (a.get("class") or "").split()]


def main_of(page: str) -> str:
    return page[page.index('<main id="main"') : page.index("</main>")]


@pytest.fixture
def listing(make):
    return make.listing(
        name="Vải thiều Lục Ngạn",
        slug="vai-thieu",
        packages=[
            {"label": "Hộp 1 kg", "price": 150_000, "stock": 3},
            {"label": "Thùng 5 kg", "price": 650_000, "stock": 0, "preorder": True},
            {"label": "Túi 500 g", "price": 80_000, "stock": 0},  # sold out
        ],
        description="Quả chín đỏ, hái lúc sáng sớm.",
    )


# --- the purchase block -----------------------------------------------------------------------


def test_packages_are_shown_once_as_chips_with_price_and_stock(client, listing):
    page = main_of(html(client.get("/products/vai-thieu")))
    for label in ("Hộp 1 kg", "Thùng 5 kg", "Túi 500 g"):
        assert page.count(label) == 1, label  # no second list of the same packages
    elements = Elements(page)
    chips = with_class(elements, "input", "package-chip__input")
    assert [chip["type"] for chip in chips] == ["radio"] * 3
    assert all(chip["name"] == "package_id" for chip in chips)
    assert "Chỉ còn 3" in page and "Đặt trước" in page and "Hết hàng" in page
    assert "150.000\u00a0₫" in page and "650.000\u00a0₫" in page and "80.000\u00a0₫" in page
    # The price of the chosen (first buyable) package stands out beside the choice.
    assert re.search(r'class="buy-price__amount"[^>]*>150\.000\u00a0₫<', page)


def test_an_out_of_stock_chip_is_disabled_and_cannot_be_sent(client, listing):
    hop, thung, tui = listing.packages
    elements = Elements(html(client.get("/products/vai-thieu")))
    sold_out = elements.find("input", id=f"buy-package-{tui.id}")[0]
    assert "disabled" in sold_out and "value" not in sold_out  # not offered, not sendable
    preorder = elements.find("input", id=f"buy-package-{thung.id}")[0]
    assert "disabled" not in preorder and preorder["value"] == str(thung.id)
    first = elements.find("input", id=f"buy-package-{hop.id}")[0]
    assert "checked" in first and first["value"] == str(hop.id)


def test_quantity_is_a_number_field_with_a_stepper(client, listing):
    elements = Elements(html(client.get("/products/vai-thieu")))
    (quantity,) = elements.find("input", name="quantity")
    assert (quantity["type"], quantity["value"], quantity["min"]) == ("number", "1", "1")
    assert quantity["inputmode"] == "numeric"
    steps = with_class(elements, "button", "qty-stepper__button")
    # − and +: plain buttons that gallery.js shows; without it the field is typed in.
    assert [(s["type"], s["data-step"], "hidden" in s) for s in steps] == [
        ("button", "-1", True),
        ("button", "1", True),
    ]


def test_one_form_two_buttons_add_to_cart_first(client, listing):
    page = html(client.get("/products/vai-thieu"))
    form = page[page.index('<form class="buy-form"') :]
    form = form[: form.index("</form>")]
    buttons = Elements(form).find("button", type="submit")
    # Enter in the quantity field presses the first: it adds to the cart, it never buys.
    assert "name" not in buttons[0] and "Thêm vào giỏ hàng" in form
    assert (buttons[1]["name"], buttons[1]["value"]) == ("buy_now", "1")
    assert "Mua ngay" in form
    assert len(buttons) == 2


def test_buy_now_adds_the_item_and_goes_to_the_checkout(client, db, listing):
    hop = listing.packages[0]
    response = client.post(
        "/cart/add",
        data={"package_id": hop.id, "quantity": "2", "buy_now": "1", "next": "/products/vai-thieu"},
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/checkout/")
    assert dict(db.session.execute(select(CartLine.package_id, CartLine.quantity)).all()) == {
        hop.id: 2
    }
    checkout = client.get("/checkout/")
    assert checkout.status_code == 200
    assert "Vải thiều Lục Ngạn" in html(checkout) and "300.000" in html(checkout)


def test_add_to_cart_still_goes_to_the_cart(client, listing):
    response = client.post(
        "/cart/add", data={"package_id": listing.packages[0].id, "quantity": "1"}
    )
    assert response.status_code == 303 and response.headers["Location"].endswith("/cart/")


def test_buy_now_that_fails_goes_back_to_the_product_not_the_checkout(client, db, listing):
    tui = listing.packages[2]  # sold out
    response = client.post(
        "/cart/add",
        data={"package_id": tui.id, "quantity": "1", "buy_now": "1", "next": "/products/vai-thieu"},
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/products/vai-thieu")
    assert db.session.scalar(select(CartLine.id)) is None
    response = client.post(
        "/cart/add",
        data={
            "package_id": listing.packages[0].id,
            "quantity": "0",
            "buy_now": "1",
            "next": "/products/vai-thieu",
        },
    )
    assert response.headers["Location"].endswith("/products/vai-thieu")


def test_buy_now_works_from_the_cached_page_with_the_visitors_own_token(
    client, db, listing, csrf_on
):
    client.get("/cart/token")  # the visitor's session, as static/js/buy.js starts it
    client.get("/products/vai-thieu")  # cached now
    page = html(client.get("/products/vai-thieu"))
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(
        "/cart/add",
        data={
            "csrf_token": token,
            "package_id": listing.packages[0].id,
            "quantity": "1",
            "buy_now": "1",
        },
    )
    assert response.status_code == 303 and response.headers["Location"].endswith("/checkout/")


def test_a_preview_shows_the_packages_but_no_form(client, auth, db, make, listing):
    listing.status = ListingStatus.PAUSED
    db.session.commit()
    auth.login(make.user(role=Role.PFA))
    page = html(client.get("/products/vai-thieu"))
    assert 'action="/cart/add"' not in page and "Mua ngay" not in page
    assert main_of(page).count("Hộp 1 kg") == 1
    chips = with_class(Elements(page), "input", "package-chip__input")
    assert len(chips) == 3 and all("disabled" in chip and "value" not in chip for chip in chips)


def test_the_certificate_badge_stays_on_the_page_after_the_purchase(client, make):
    coop = make.cooperative()
    make.listing(
        coop=coop, slug="co-sao", cert=make.certificate(coop, stars=4, number="DEMO-7/QĐ-UBND")
    )
    page = main_of(html(client.get("/products/co-sao")))
    assert page.index('class="buy-bar"') < page.index('id="ocop-certificate"')
    assert "DEMO-7/QĐ-UBND" in page and 'href="#ocop-certificate"' in page  # stars link to it


# --- the gallery --------------------------------------------------------------------------


def test_the_gallery_never_links_to_a_raw_image(client, db, listing):
    add_photos(listing, 3)
    page = main_of(html(client.get("/products/vai-thieu")))
    elements = Elements(page)
    links = [a["href"] for t, a in elements.tags if t == "a" and a.get("href")]
    assert not [href for href in links if re.search(r"\.(webp|jpe?g|png)$", href)]
    # Thumbnails lead to their photo in the page, which is there.
    thumbs = with_class(elements, "a", "gallery__thumb")
    assert [t["href"] for t in thumbs] == ["#photo-1", "#photo-2", "#photo-3"]
    assert all(elements.find("li", id=f"photo-{n}") for n in (1, 2, 3))
    # Every photo keeps its space before it loads (no layout shift) and has its words.
    images = with_class(elements, "img", "gallery__image")
    assert [(i["width"], i["height"], i["alt"]) for i in images] == [
        ("800", "600", "Ảnh 1"),
        ("800", "600", "Ảnh 2"),
        ("800", "600", "Ảnh 3"),
    ]
    assert images[0].get("fetchpriority") == "high" and images[1].get("loading") == "lazy"
    # The row of photos can be scrolled by keyboard, and says what it is.
    (track,) = with_class(elements, "ul", "gallery__track")
    assert track["tabindex"] == "0" and track["aria-label"]


def test_the_lightbox_is_a_named_dialog_with_named_buttons(client, db, listing):
    add_photos(listing, 2)
    page = main_of(html(client.get("/products/vai-thieu")))
    elements = Elements(page)
    (dialog,) = elements.find("dialog")
    assert dialog["aria-label"] == "Ảnh sản phẩm Vải thiều Lục Ngạn"
    assert "{num}" in dialog["data-counter"]
    dialog_html = page[page.index("<dialog") : page.index("</dialog>")]
    for name in ("Thu phóng ảnh", "Đóng xem ảnh", "Ảnh trước", "Ảnh sau"):
        assert name in dialog_html, name
    # The button that opens it is shown by gallery.js only: without it, nothing dead to press.
    (opener,) = with_class(elements, "button", "gallery__zoom")
    assert "hidden" in opener


def test_a_single_photo_has_no_thumbnails_nor_arrows(client, db, listing):
    add_photos(listing, 1)
    page = main_of(html(client.get("/products/vai-thieu")))
    assert "gallery__thumbs" not in page and "data-lightbox-step" not in page
    assert 'class="gallery__image"' in page


def test_no_photo_shows_the_placeholder(client, listing):
    page = main_of(html(client.get("/products/vai-thieu")))
    assert "photo-placeholder" in page and "<dialog" not in page


# --- structured data ----------------------------------------------------------------------


def test_json_ld_has_one_offer_per_package(client, listing):
    page = html(client.get("/products/vai-thieu"))
    data = json.loads(re.search(r'application/ld\+json"[^>]*>(.*?)</script>', page, re.S)[1])
    offers = data["offers"]
    assert offers["@type"] == "AggregateOffer" and offers["offerCount"] == 3
    assert (offers["lowPrice"], offers["highPrice"]) == (80_000, 650_000)
    assert [
        (o["@type"], o["name"], o["price"], o["priceCurrency"], o["availability"])
        for o in offers["offers"]
    ] == [
        ("Offer", "Hộp 1 kg", 150_000, "VND", "https://schema.org/InStock"),
        ("Offer", "Thùng 5 kg", 650_000, "VND", "https://schema.org/PreOrder"),
        ("Offer", "Túi 500 g", 80_000, "VND", "https://schema.org/OutOfStock"),
    ]
    assert all(o["url"] == "http://localhost/products/vai-thieu" for o in offers["offers"])
