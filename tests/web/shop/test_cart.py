"""The cart: prices from the database, strict quantities, flagged lines, the login merge, the
header count and a query count that does not grow with the lines."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from storefront.domain.cart import CartOwner, add_to_cart, cart_item_count, cart_summary
from storefront.models import Cart, CartLine, CertificateStatus
from tests.fixtures.shop import guest


@pytest.fixture(autouse=True)
def _english_pages(client):
    """These tests read the pages' English msgids; the shop itself starts in Vietnamese."""
    client.get("/?lang=en")


# The checkout button submits the cart form (saving every quantity first), so it is a button.
CHECKOUT_BUTTON = 'type="submit" name="checkout"'


def html(response) -> str:
    return response.get_data(as_text=True)


def lines_of(db, owner: CartOwner) -> dict[int, int]:
    rows = db.session.execute(
        select(CartLine.package_id, CartLine.quantity)
        .join(Cart, Cart.id == CartLine.cart_id)
        .where(owner.clause())
    ).all()
    return dict(rows)


def client_cart(db) -> dict[int, int]:
    """The lines of the only guest cart there is (the test client's)."""
    return dict(db.session.execute(select(CartLine.package_id, CartLine.quantity)).all())


# --- adding from the product page ---------------------------------------------------------------


def test_product_page_has_the_add_to_cart_form(client, make):
    listing = make.listing(
        packages=[
            {"label": "Hộp 1 kg", "price": 150_000, "stock": 4},
            {"label": "Túi 500 g", "price": 80_000, "stock": 0},  # sold out: not offered
        ]
    )
    page = html(client.get(f"/products/{listing.slug}"))
    assert 'action="/cart/add"' in page
    assert f'value="{listing.packages[0].id}"' in page
    assert f'value="{listing.packages[1].id}"' not in page
    assert 'name="csrf_token"' in page
    assert 'name="quantity"' in page


def test_price_in_the_form_is_ignored(client, db, make):
    listing = make.listing(packages=[{"price": 150_000, "stock": 10}])
    package = listing.packages[0]
    response = client.post(
        "/cart/add",
        data={"package_id": package.id, "quantity": "2", "price": "1", "unit_price": "1"},
    )
    assert response.status_code == 303
    assert client_cart(db) == {package.id: 2}
    page = html(client.get("/cart/"))
    assert "300,000" in page  # 2 × 150,000 ₫ from the database (English page)
    assert re.search(r"\b1\s*₫", page) is None


@pytest.mark.parametrize(
    "raw", ["0", "-1", str(10**9), "abc", "1.5", "", " ", "1e2", "²", "١", "100", None]
)
def test_quantity_fuzz_is_refused_and_changes_nothing(client, db, make, raw):
    package = make.listing(packages=[{"stock": 500, "preorder": True}]).packages[0]
    client.post("/cart/add", data={"package_id": package.id, "quantity": "3"})
    data = {"package_id": package.id}
    if raw is not None:
        data["quantity"] = raw
    response = client.post("/cart/add", data=data, follow_redirects=True)
    if raw is None:  # no quantity at all means one
        assert client_cart(db) == {package.id: 4}
        return
    assert "Quantity must be a whole number from 1 to 99" in html(response)
    assert client_cart(db) == {package.id: 3}

    line_id = db.session.scalar(select(CartLine.id))
    response = client.post(f"/cart/lines/{line_id}", data={"quantity": raw}, follow_redirects=True)
    assert "Quantity must be a whole number from 1 to 99" in html(response)
    db.session.expire_all()
    assert client_cart(db) == {package.id: 3}


# --- the cart page -------------------------------------------------------------------------------


def test_cart_groups_lines_by_cooperative_with_subtotal_and_shipping(client, make):
    coop_a = make.cooperative(legal_name="HTX Vải thiều Lục Ngạn")
    coop_b = make.cooperative(legal_name="HTX Mật ong Sơn Động")
    a1 = make.listing(coop=coop_a, packages=[{"price": 150_000, "weight_grams": 1000}])
    a2 = make.listing(coop=coop_a, packages=[{"price": 50_000, "weight_grams": 400}])
    b1 = make.listing(coop=coop_b, packages=[{"price": 600_000, "weight_grams": 700}])
    for listing, quantity in ((a1, 1), (a2, 2), (b1, 1)):
        client.post("/cart/add", data={"package_id": listing.packages[0].id, "quantity": quantity})
    page = html(client.get("/cart/?lang=en"))
    assert page.index("HTX Mật ong Sơn Động") < page.index("HTX Vải thiều Lục Ngạn")
    assert "250,000" in page  # HTX Vải thiều: 150.000 + 2 × 50.000
    # 1.8 kg to another province (the estimate without an address): 30.000 + 3 × 10.000
    assert "60,000" in page
    assert "Free" in page  # 600.000 ₫ from one cooperative ships free
    assert "850,000" in page  # goods
    assert "910,000" in page  # total
    assert CHECKOUT_BUTTON in page


def test_revoked_listing_and_low_stock_are_flagged_and_block_checkout(client, db, make):
    revoked = make.listing(name="Vải thiều sấy", packages=[{"stock": 10}])
    low = make.listing(name="Mật ong rừng", packages=[{"stock": 10}])
    client.post("/cart/add", data={"package_id": revoked.packages[0].id, "quantity": 1})
    client.post("/cart/add", data={"package_id": low.packages[0].id, "quantity": 6})

    revoked.certificate.status = CertificateStatus.REVOKED
    low.packages[0].stock = 4
    db.session.commit()

    page = html(client.get("/cart/?lang=en"))
    assert 'data-problem="not_public"' in page
    assert "no longer on sale" in page
    assert 'data-problem="not_enough_stock"' in page
    assert "Only 4 left: lower the quantity to 4, or remove it." in page
    assert CHECKOUT_BUTTON not in page
    assert client.get("/checkout/").status_code == 302  # sent back to the cart

    # Lowering the quantity fixes one line; removing fixes the other.
    line_ids = dict(db.session.execute(select(CartLine.package_id, CartLine.id)).all())
    client.post(f"/cart/lines/{line_ids[low.packages[0].id]}", data={"quantity": "4"})
    client.post(f"/cart/lines/{line_ids[revoked.packages[0].id]}/remove")
    page = html(client.get("/cart/?lang=en"))
    assert 'data-problem=""' in page and "not_public" not in page
    assert CHECKOUT_BUTTON in page


def test_a_visitor_cannot_change_someone_elses_line(app, client, db, make):
    package = make.listing().packages[0]
    owner = guest()
    add_to_cart(owner, package.id, 2)
    line_id = db.session.scalar(select(CartLine.id))
    client.post(f"/cart/lines/{line_id}", data={"quantity": "5"})
    client.post(f"/cart/lines/{line_id}/remove")
    db.session.expire_all()
    assert lines_of(db, owner) == {package.id: 2}


def test_cart_page_queries_do_not_grow_with_lines(client, make, queries):
    first = make.listing()
    client.post("/cart/add", data={"package_id": first.packages[0].id, "quantity": 1})
    client.get("/cart/")
    with queries() as one_line:
        assert client.get("/cart/").status_code == 200
    for _ in range(6):
        listing = make.listing(coop=make.cooperative())  # six more lines, six cooperatives
        client.post("/cart/add", data={"package_id": listing.packages[0].id, "quantity": 2})
    with queries() as seven_lines:
        page = html(client.get("/cart/"))
    assert page.count("data-problem=") == 7
    assert len(seven_lines) == len(one_line), seven_lines


# --- header count ---------------------------------------------------------------------------------


def test_header_counts_items_with_one_query(client, make, queries):
    a, b = make.listing(), make.listing()
    assert 'cart-link__count" aria-hidden="true">0<' in html(client.get("/"))
    client.post("/cart/add", data={"package_id": a.packages[0].id, "quantity": 2})
    client.post("/cart/add", data={"package_id": b.packages[0].id, "quantity": 3})
    with queries() as statements:
        page = html(client.get("/cart/"))
    assert 'cart-link__count" aria-hidden="true">5<' in page
    counting = [s for s in statements if "sum(cart_lines.quantity)" in s.lower()]
    assert len(counting) == 1


def test_cart_count_is_zero_without_a_cart_and_costs_no_query(app, queries):
    with queries() as statements:
        assert cart_item_count(CartOwner()) == 0
    assert statements == []


# --- login merge ----------------------------------------------------------------------------------


def test_guest_cart_merges_into_the_customer_cart_at_login(client, auth, db, make):
    user = make.user()
    apples = make.listing(packages=[{"stock": 10}]).packages[0]
    honey = make.listing(packages=[{"stock": 10}]).packages[0]
    tea = make.listing(packages=[{"stock": 10}]).packages[0]
    add_to_cart(CartOwner(user_id=user.id), honey.id, 5)
    add_to_cart(CartOwner(user_id=user.id), tea.id, 1)

    client.post("/cart/add", data={"package_id": apples.id, "quantity": 2})
    client.post("/cart/add", data={"package_id": honey.id, "quantity": 8})
    assert auth.login(user).status_code == 302

    db.session.expire_all()
    assert lines_of(db, CartOwner(user_id=user.id)) == {apples.id: 2, honey.id: 10, tea.id: 1}
    assert db.session.scalar(select(func.count()).select_from(Cart)) == 1  # the guest cart is gone
    page = html(client.get("/cart/"))
    assert 'cart-link__count" aria-hidden="true">13<' in page

    # Logged out, the visitor starts a fresh guest cart; the customer's cart stays theirs.
    auth.logout()
    assert 'cart-link__count" aria-hidden="true">0<' in html(client.get("/"))


def test_a_guest_cart_becomes_the_customers_when_they_had_none(client, auth, db, make):
    user = make.user()
    package = make.listing().packages[0]
    client.post("/cart/add", data={"package_id": package.id, "quantity": 3})
    auth.login(user)
    db.session.expire_all()
    summary = cart_summary(CartOwner(user_id=user.id))
    assert summary.item_count == 3


def test_purge_guest_carts_keeps_recent_and_customers_carts(app, db, make, runner):
    from datetime import timedelta

    from storefront.models import utcnow

    package = make.listing().packages[0]
    old_guest, new_guest = guest(), guest()
    customer = CartOwner(user_id=make.user().id)
    for owner in (old_guest, new_guest, customer):
        add_to_cart(owner, package.id, 1)
    long_ago = utcnow() - timedelta(days=40)
    for cart in db.session.scalars(select(Cart).where(Cart.token != new_guest.token)):
        cart.updated_at = long_ago
        for line in cart.lines:
            line.updated_at = long_ago
    db.session.commit()

    result = runner.invoke(args=["cart", "purge-guest-carts"])
    assert "1 guest cart(s) deleted" in result.output
    assert cart_item_count(old_guest) == 0
    assert cart_item_count(new_guest) == 1 and cart_item_count(customer) == 1
    assert "0 guest cart(s)" in runner.invoke(args=["cart", "purge-guest-carts"]).output
