"""The cart page as one form (issue 12): − / + steppers that work without JavaScript, the
checkout button that saves every typed quantity first, refused quantities that change
nothing, and the free-shipping nudge per cooperative."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from storefront.domain.cart import add_to_cart
from storefront.models import CartLine
from tests.fixtures.shop import guest


@pytest.fixture(autouse=True)
def _english_pages(client):
    client.get("/?lang=en")


def html(response) -> str:
    return response.get_data(as_text=True)


def quantities(db) -> dict[int, int]:
    """line id → quantity, over every cart (the test client's is the only guest cart)."""
    db.session.expire_all()
    rows = db.session.execute(select(CartLine.id, CartLine.quantity).order_by(CartLine.id))
    return {line_id: quantity for line_id, quantity in rows}


def fill_cart(client, db, *packages_and_quantities) -> list[int]:
    for package, quantity in packages_and_quantities:
        client.post("/cart/add", data={"package_id": package.id, "quantity": quantity})
    return list(quantities(db))


def form_of(page: str) -> str:
    match = re.search(r'<form class="cart-form"[^>]*>.*?</form>', page, re.S)
    assert match, "the cart form"
    return match.group(0)


def test_the_cart_is_one_form_with_steppers_remove_and_checkout(client, db, make):
    one = make.listing(name="Mật ong rừng", packages=[{"stock": 3, "price": 100_000}])
    three = make.listing(name="Vải thiều sấy", packages=[{"stock": 3, "price": 50_000}])
    a, b = fill_cart(client, db, (one.packages[0], 1), (three.packages[0], 3))
    form = form_of(html(client.get("/cart/")))
    assert 'action="/cart/save"' in form and 'method="post"' in form
    assert 'name="csrf_token"' in form
    # Enter in a quantity box presses the form's first submit button: "save", never a step.
    first_button = re.search(r"<button[^>]*>", form).group(0)
    assert 'name="save"' in first_button
    for line in (a, b):
        assert f'name="quantity-{line}"' in form
        assert f'name="decrease" value="{line}"' in form
        assert f'name="increase" value="{line}"' in form
        assert f'name="remove" value="{line}"' in form
    # − is off at 1, + is off at the stock (3 left).
    assert re.search(rf'name="decrease" value="{a}"\s+disabled', form)
    assert not re.search(rf'name="increase" value="{a}"\s+disabled', form)
    assert re.search(rf'name="increase" value="{b}"\s+disabled', form)
    assert 'type="submit" name="save"' in form  # "Update cart" for browsers without JS
    assert form.count('type="submit" name="checkout"') == 2  # the summary's and the phone bar's
    assert 'href="/checkout/"' not in form
    assert 'href="/static/css/cart.css"' in html(client.get("/cart/"))


def test_plus_and_minus_save_without_javascript(client, db, make):
    a, b = fill_cart(client, db, (make.listing().packages[0], 2), (make.listing().packages[0], 1))
    response = client.post(
        "/cart/save", data={f"quantity-{a}": "2", f"quantity-{b}": "1", "increase": str(a)}
    )
    assert response.status_code == 303 and response.headers["Location"].endswith("/cart/")
    assert quantities(db) == {a: 3, b: 1}
    # The step applies to the quantity as typed in the same form.
    client.post("/cart/save", data={f"quantity-{a}": "7", f"quantity-{b}": "1", "decrease": str(a)})
    assert quantities(db) == {a: 6, b: 1}
    page = html(client.get("/cart/"))
    assert f'name="quantity-{a}" value="6"' in page


def test_checkout_button_saves_the_typed_quantities_then_goes_to_checkout(client, db, make):
    lychee = make.listing(packages=[{"price": 150_000, "stock": 10}]).packages[0]
    honey = make.listing(packages=[{"price": 220_000, "stock": 10}]).packages[0]
    a, b = fill_cart(client, db, (lychee, 1), (honey, 1))
    # Typed, "Update" never pressed: the checkout button posts them.
    response = client.post(
        "/cart/save", data={f"quantity-{a}": "3", f"quantity-{b}": "2", "checkout": "1"}
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/checkout/")
    assert quantities(db) == {a: 3, b: 2}
    checkout = html(client.get("/checkout/"))
    assert "890,000" in checkout  # 3 × 150.000 + 2 × 220.000


@pytest.mark.parametrize("raw", ["0", "-1", "abc", "", "2.5", "100", "1e3", "11"])
@pytest.mark.parametrize("checkout", [False, True])
def test_a_refused_quantity_is_explained_and_changes_nothing(client, db, make, raw, checkout):
    good = make.listing(name="Chè Tân Cương", packages=[{"stock": 10}]).packages[0]
    bad = make.listing(name="Mật ong rừng", packages=[{"stock": 10}]).packages[0]
    a, b = fill_cart(client, db, (good, 1), (bad, 2))
    data = {f"quantity-{a}": "4", f"quantity-{b}": raw}
    if checkout:
        data["checkout"] = "1"
    response = client.post("/cart/save", data=data)
    assert response.status_code == 422  # not sent on to checkout
    page = html(response)
    assert "Nothing was saved: please correct the marked quantities." in page
    expected = "Only 10 left of" if raw == "11" else "whole number from 1 to 99"
    assert expected in page
    # The refused box keeps what was typed, marked and tied to its message.
    assert re.search(
        rf'name="quantity-{b}" value="{re.escape(raw)}"[^>]*aria-invalid="true"'
        rf'[^>]*aria-describedby="qty-{b}-error"',
        page,
        re.S,
    )
    assert f'id="qty-{b}-error"' in page
    assert quantities(db) == {a: 1, b: 2}  # the valid change to line a is not saved either


def test_remove_keeps_the_other_typed_quantities(client, db, make):
    a, b = fill_cart(client, db, (make.listing().packages[0], 1), (make.listing().packages[0], 1))
    client.post("/cart/save", data={f"quantity-{a}": "1", f"quantity-{b}": "5", "remove": str(a)})
    assert quantities(db) == {b: 5}


def test_saving_never_touches_another_visitors_cart(client, db, make):
    owner = guest()
    add_to_cart(owner, make.listing().packages[0].id, 2)
    [theirs] = quantities(db)
    [mine] = [
        line for line in fill_cart(client, db, (make.listing().packages[0], 1)) if line != theirs
    ]
    client.post(
        "/cart/save",
        data={f"quantity-{theirs}": "9", f"quantity-{mine}": "2", "remove": str(theirs)},
    )
    assert quantities(db) == {theirs: 2, mine: 2}
    # A visitor with no cart at all: nothing to save, back to the (empty) cart.
    client.delete_cookie("ocop_cart")
    response = client.post("/cart/save", data={f"quantity-{mine}": "7"})
    assert response.status_code == 303
    assert quantities(db) == {theirs: 2, mine: 2}


def test_each_cooperative_shows_how_much_more_ships_free(client, db, make):
    coop_a = make.cooperative(legal_name="HTX Vải thiều Lục Ngạn")
    coop_b = make.cooperative(legal_name="HTX Mật ong Sơn Động")
    a = make.listing(coop=coop_a, packages=[{"price": 150_000}]).packages[0]
    b = make.listing(coop=coop_b, packages=[{"price": 600_000}]).packages[0]
    fill_cart(client, db, (a, 1), (b, 1))
    page = html(client.get("/cart/"))
    assert re.search(r"Add 350,000\s*₫ more from this cooperative for free shipping\.", page)
    assert re.search(r"This cooperative(&#39;|')s parcel ships free\.", page)
    assert page.count('<p class="cart-group__nudge') == 2

    line_a = db.session.scalar(select(CartLine.id).where(CartLine.package_id == a.id))
    client.post("/cart/save", data={f"quantity-{line_a}": "3"})  # 450.000: 50.000 to go
    assert re.search(r"Add 50,000\s*₫ more", html(client.get("/cart/")))


def test_no_nudge_when_the_shop_has_no_free_shipping(app, client, db, make):
    app.config["FREE_SHIPPING_FROM"] = 0
    try:
        fill_cart(client, db, (make.listing(packages=[{"price": 150_000}]).packages[0], 1))
        page = html(client.get("/cart/"))
        assert "cart-group__nudge" not in page
    finally:
        app.config["FREE_SHIPPING_FROM"] = 500_000


def test_a_cart_with_a_flagged_line_offers_no_checkout_but_shows_where(client, db, make):
    package = make.listing(packages=[{"stock": 10}]).packages[0]
    [line] = fill_cart(client, db, (package, 6))
    package.stock = 4
    db.session.commit()
    page = html(client.get("/cart/"))
    assert 'name="checkout"' not in page
    assert f'class="button button--secondary cart-bar__fix" href="#line-{line}"' in page
    # Lowering it to what is left, in the same form, brings the checkout button back.
    client.post("/cart/save", data={f"quantity-{line}": "4"})
    assert 'name="checkout"' in html(client.get("/cart/"))


def test_the_empty_cart_invites_to_the_products(client):
    page = html(client.get("/cart/"))
    assert "Your cart is empty" in page
    assert 'href="/products"' in page
    assert "cart-form" not in page and "cart-bar" not in page


def test_saving_costs_the_same_queries_whatever_the_number_of_lines(client, db, make, queries):
    first = make.listing()
    [line] = fill_cart(client, db, (first.packages[0], 1))
    with queries() as one_line:
        client.post("/cart/save", data={f"quantity-{line}": "2"})
    for _ in range(5):
        client.post("/cart/add", data={"package_id": make.listing().packages[0].id, "quantity": 1})
    lines = quantities(db)
    with queries() as six_lines:
        client.post("/cart/save", data={f"quantity-{line}": "3" for line in lines})
    assert len(six_lines) == len(one_line), six_lines
    assert set(quantities(db).values()) == {3}
