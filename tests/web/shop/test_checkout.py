"""The checkout page: places the order through the domain, ignores prices in the form, shows
errors, the communes and the exact shipping of a commune, and saved addresses."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from storefront.extensions import db as _db
from storefront.models import Address, Order, Package
from tests.fixtures import factories
from tests.fixtures.shop import checkout_form, other_province_commune

pytestmark = pytest.mark.usefixtures("english")


def stock_of(package_id: int) -> int:
    return _db.session.scalar(select(Package.stock).where(Package.id == package_id))


def order_count() -> int:
    return _db.session.scalar(select(func.count()).select_from(Order))


def test_checkout_page_places_a_cod_order_and_ignores_prices_in_the_form(client, db, make, outbox):
    package = make.listing(packages=[{"price": 150_000, "weight_grams": 1000}]).packages[0]
    client.post("/cart/add", data={"package_id": package.id, "quantity": 2})
    page = client.get("/checkout/?lang=en").get_data(as_text=True)
    assert 'name="province"' in page and 'name="commune"' in page
    assert "Cash on delivery" in page and "Card (Stripe)" not in page  # no Stripe keys

    response = client.post(
        "/checkout/",
        data=checkout_form(
            price="1", total="1", unit_price="1", subtotal="1", expected_subtotal="300000"
        ),
    )
    assert response.status_code == 303
    order = db.session.scalar(select(Order))
    assert response.headers["Location"] == f"/orders/{order.number}?placed=1"
    assert order.total == 300_000 + 20_000 + 3 * 5_000  # 2 kg to the same province
    confirmation = client.get(response.headers["Location"] + "&lang=en").get_data(as_text=True)
    assert order.number in confirmation and "Thank you for your order!" in confirmation
    assert "lan@example.vn" in [m["To"] for m in outbox.messages]


def test_checkout_form_errors_change_nothing(client, db, make):
    package = make.listing().packages[0]
    client.post("/cart/add", data={"package_id": package.id, "quantity": 1})
    for broken in (
        {"commune": ""},
        {"phone": "0123"},
        {"email": "x"},
        {"payment_method": "card"},
        {"recipient": ""},
    ):
        response = client.post("/checkout/", data=checkout_form(**broken))
        assert response.status_code == 400, broken
    assert order_count() == 0 and stock_of(package.id) == 10


def test_checkout_lists_communes_of_the_chosen_province(client, make):
    commune = factories.commune()
    response = client.get(f"/communes?province={commune.province.code}")
    names = {row["code"]: row["name"] for row in response.get_json()["communes"]}
    assert names[commune.code] == commune.name
    assert client.get("/communes?province=x").get_json() == {"communes": []}


def test_checkout_quote_gives_the_exact_shipping_for_a_commune(client, make):
    listing = make.listing(packages=[{"price": 100_000, "weight_grams": 1000}])
    client.post("/cart/add", data={"package_id": listing.packages[0].id, "quantity": 1})
    near = client.get(f"/checkout/quote?commune={factories.commune().code}&lang=en").get_json()
    far = client.get(f"/checkout/quote?commune={other_province_commune().code}&lang=en").get_json()
    assert near["shipping"] == {str(listing.cooperative_id): "25,000\u00a0₫"}
    assert (near["total"], near["destination_known"]) == ("125,000\u00a0₫", True)
    assert far["total"] == "140,000\u00a0₫"


def test_a_guest_is_offered_to_log_in_and_come_back_to_checkout(client, auth, make):
    package = make.listing().packages[0]
    client.post("/cart/add", data={"package_id": package.id, "quantity": 1})
    page = client.get("/checkout/").get_data(as_text=True)
    assert 'href="/account/login?next=/checkout/"' in page
    assert "Đăng nhập để dùng địa chỉ đã lưu" in page
    auth.login(make.user())
    assert "/account/login?next=" not in client.get("/checkout/").get_data(as_text=True)


def test_logged_in_customer_can_use_a_saved_address(client, auth, db, make):
    user = make.user()
    commune = other_province_commune()
    address = Address(
        user=user,
        recipient="Trần Văn Nam",
        phone="0987654321",
        street="5 Lê Lợi",
        commune=commune,
        is_default=True,
    )
    db.session.add(address)
    db.session.commit()
    auth.login(user)
    package = make.listing().packages[0]
    client.post("/cart/add", data={"package_id": package.id, "quantity": 1})
    page = client.get("/checkout/").get_data(as_text=True)
    assert "Trần Văn Nam" in page and user.email in page
    response = client.post(
        "/checkout/",
        data={
            "email": user.email,
            "address_id": str(address.id),
            "payment_method": "cod",
            "submit": "1",
        },
    )
    assert response.status_code == 303
    order = db.session.scalar(select(Order))
    assert (order.user_id, order.recipient, order.commune_id) == (
        user.id,
        "Trần Văn Nam",
        commune.id,
    )
    assert order.phone == "0987654321"

    # Someone else's address id is refused.
    other = make.user()
    stranger = Address(user=other, recipient="X", phone="0987654321", street="Y", commune=commune)
    db.session.add(stranger)
    db.session.commit()
    client.post("/cart/add", data={"package_id": package.id, "quantity": 1})
    response = client.post(
        "/checkout/",
        data={
            "email": user.email,
            "address_id": str(stranger.id),
            "payment_method": "cod",
            "submit": "1",
        },
    )
    assert response.status_code == 400
    assert order_count() == 1


def test_a_mail_failure_never_undoes_or_hides_a_placed_order(client, db, make, monkeypatch):
    from storefront.domain import notifications as notify

    def broken(*args, **kwargs):
        raise OSError("SMTP down")

    monkeypatch.setattr(notify, "send_mail", broken)
    package = make.listing().packages[0]
    client.post("/cart/add", data={"package_id": package.id, "quantity": 1})
    response = client.post("/checkout/", data=checkout_form())
    assert response.status_code == 303
    assert order_count() == 1
