"""Stock hoarding by cash on delivery: a cap on units of a package in one order and on the
open (unconfirmed) orders of one phone, enforced when the order is placed; the per-phone cap
holds when one phone's checkouts race (PostgreSQL: an advisory lock; SQLite: the write lock)."""

from __future__ import annotations

import threading

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from config import Config
from storefront.core.errors import CashOnDeliveryLimit
from storefront.domain.cart import CartOwner, add_to_cart, cart_item_count
from storefront.domain.orders.fulfilment import advance_shipment
from storefront.domain.orders.lifecycle import cancel_order
from storefront.domain.orders.placement import open_cod_orders, place_order
from storefront.extensions import db as _db
from storefront.models import Order, Package, PaymentMethod
from tests.fixtures import factories
from tests.fixtures.shop import buy, details, fill, guest

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def caps(app, monkeypatch):
    """The production defaults (the testing config turns the caps off)."""
    monkeypatch.setitem(app.config, "COD_MAX_UNITS_PER_PACKAGE", 10)
    monkeypatch.setitem(app.config, "COD_MAX_OPEN_ORDERS_PER_PHONE", 3)


def stock_of(package_id: int) -> int:
    _db.session.expire_all()
    return _db.session.scalar(select(Package.stock).where(Package.id == package_id))


def order_count() -> int:
    return _db.session.scalar(select(func.count()).select_from(Order))


def test_the_defaults_are_on_outside_tests():
    assert Config.COD_MAX_UNITS_PER_PACKAGE == 10
    assert Config.COD_MAX_OPEN_ORDERS_PER_PHONE == 3
    assert Config.ORDER_RATE_LIMIT_PER_IP and Config.ORDER_RATE_LIMIT_PER_CONTACT


def test_more_units_than_the_cap_is_refused_and_nothing_changes(app, make, caps):
    package = make.listing(name="Chè Tân Cương", packages=[{"stock": 500}]).packages[0]
    owner = fill(guest(), (package, 11))
    with pytest.raises(CashOnDeliveryLimit, match=r"at most 10 × Chè Tân Cương") as refused:
        place_order(owner, details())
    assert refused.value.status == 409
    assert (stock_of(package.id), order_count(), cart_item_count(owner)) == (500, 0, 11)

    assert buy((package, 10)).total > 0  # at the cap: fine
    assert stock_of(package.id) == 490


def test_the_unit_cap_is_for_cash_on_delivery_only(app, make, caps, stripe_fake):
    package = make.listing(packages=[{"stock": 500}]).packages[0]
    order = buy((package, 40), payment_method=PaymentMethod.CARD)
    assert order.lines[0].quantity == 40


def test_a_phone_holds_at_most_three_open_cash_on_delivery_orders(app, make, caps):
    owner = make.user()
    coop = make.cooperative(owner=owner)
    package = make.listing(coop=coop, packages=[{"stock": 500}]).packages[0]
    # One phone, however it is written.
    orders = [
        buy((package, 1), phone=phone)
        for phone in ("0912 345 678", "+84 912 345 678", "0912.345.678")
    ]
    assert open_cod_orders("0912345678") == 3
    stock = stock_of(package.id)
    owner4 = fill(guest(), (package, 2))
    with pytest.raises(CashOnDeliveryLimit, match="already has 3 cash-on-delivery orders"):
        place_order(owner4, details(phone="+84912345678"))
    assert (stock_of(package.id), order_count(), cart_item_count(owner4)) == (stock, 3, 2)

    # Another phone is not held back by it.
    assert buy((package, 1), phone="0987 654 321").phone == "0987654321"

    # Once the cooperative confirms one (packs it), or one is cancelled, there is room again.
    advance_shipment(orders[0].shipments[0].id, "pack", user_id=owner.id)
    assert open_cod_orders("0912345678") == 2
    place_order(owner4, details())
    cancel_order(orders[1].number, user_id=None, granted=[orders[1].number])
    assert open_cod_orders("0912345678") == 2
    assert buy((package, 1)).phone == "0912345678"


def test_a_card_order_does_not_count_and_is_not_counted(app, make, caps, stripe_fake):
    package = make.listing(packages=[{"stock": 500}]).packages[0]
    for _i in range(3):
        buy((package, 1))
    buy((package, 1), payment_method=PaymentMethod.CARD)  # a card order pays before it ships
    assert open_cod_orders("0912345678") == 3


def test_racing_checkouts_by_one_phone_never_exceed_the_cap(app, db, make, caps):
    racers, cap = 12, 3
    package_id = make.listing(name="Mật ong bạc hà", packages=[{"stock": 500}]).packages[0].id
    commune_id = factories.commune().id
    owners = [CartOwner(token=f"hoarder-{i}") for i in range(racers)]
    for owner in owners:
        add_to_cart(owner, package_id, 10)
    db.session.remove()

    barrier = threading.Barrier(racers)
    results: list = [None] * racers

    def attempt(i: int) -> None:
        with app.app_context(), force_locale("en"):
            try:
                barrier.wait(timeout=60)
                # Each racer writes the phone its own way: the cap counts the normalised one.
                phone = ("0912 345 678", "+84912345678", "0912345678")[i % 3]
                place_order(owners[i], details(commune_id=commune_id, phone=phone))
                results[i] = "placed"
            except CashOnDeliveryLimit:
                results[i] = "capped"
            except Exception as error:  # noqa: BLE001 - any other outcome fails the test below
                results[i] = repr(error)
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert results.count("placed") == cap, results
    assert results.count("capped") == racers - cap, results
    assert order_count() == cap
    assert stock_of(package_id) == 500 - cap * 10
