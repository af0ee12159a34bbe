"""Stock hoarding through the real checkout: one anonymous script tried to take all 500 units
of a package with repeated cash-on-delivery orders. Held now by the caps (units per package,
open orders per phone) and the rate limits on placing orders (per IP, per phone and e-mail),
with the production settings; a refused attempt answers in Vietnamese and changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from config import Config
from storefront import create_app
from storefront.extensions import db as _db
from storefront.extensions import limiter
from storefront.models import CartLine, Order, Package
from tests.fixtures.shop import checkout_form


def _limited_app(app, **config):
    return create_app(
        {
            "CONFIG": "testing",
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "SEARCH_INDEX_DIR": app.config["SEARCH_INDEX_DIR"],
            "UPLOAD_DIR": app.config["UPLOAD_DIR"],
            "MAIL_OUTBOX_DIR": app.config["MAIL_OUTBOX_DIR"],
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": "memory://",
            # The production defaults (the testing config turns the caps off).
            "ORDER_RATE_LIMIT_PER_IP": Config.ORDER_RATE_LIMIT_PER_IP,
            "ORDER_RATE_LIMIT_PER_CONTACT": Config.ORDER_RATE_LIMIT_PER_CONTACT,
            "COD_MAX_UNITS_PER_PACKAGE": Config.COD_MAX_UNITS_PER_PACKAGE,
            "COD_MAX_OPEN_ORDERS_PER_PHONE": Config.COD_MAX_OPEN_ORDERS_PER_PHONE,
            **config,
        }
    )


@pytest.fixture
def shop_with_limits(app):
    def build(**config):
        built = _limited_app(app, **config)
        apps.append(built)
        limiter.reset()
        return built

    apps: list = []
    yield build
    limiter.reset()
    limiter.enabled = False  # the limiter is one object: leave it off for the other tests
    for built in apps:
        with built.app_context():
            _db.engine.dispose()


@pytest.fixture
def package(make):
    return make.listing(name="Vải thiều Lục Ngạn", packages=[{"stock": 500}]).packages[0]


def stock(package_id: int) -> int:
    _db.session.expire_all()
    return _db.session.scalar(select(Package.stock).where(Package.id == package_id))


def orders() -> int:
    return _db.session.scalar(select(func.count()).select_from(Order))


def attempt(web, package_id: int, quantity: int = 10, ip: str = "203.0.113.7", **form):
    """What the script did: a fresh anonymous browser fills a cart and orders, cash on delivery."""
    client = web.test_client()
    env = {"REMOTE_ADDR": ip}
    client.post(
        "/cart/add", data={"package_id": package_id, "quantity": quantity}, environ_base=env
    )
    return client.post("/checkout/", data=checkout_form(**form), environ_base=env)


def test_one_contact_takes_thirty_units_at_most(app, shop_with_limits, package):
    web = shop_with_limits()
    # 99 at once is over the cap on units of a package for cash on delivery.
    refused = attempt(web, package.id, quantity=99)
    assert refused.status_code == 409
    assert "tối đa 10 × Vải thiều Lục Ngạn" in refused.get_data(as_text=True)
    assert (stock(package.id), orders()) == (500, 0)

    answers = [attempt(web, package.id).status_code for _i in range(12)]
    # 3 orders (the open cash-on-delivery cap), then refused by the cap, then by the limit
    # on the contact's attempts (5 per hour: the first refused attempt counted too).
    assert answers[:3] == [303, 303, 303], answers
    assert answers[3] == 409 and set(answers[4:]) == {429}, answers
    assert orders() == 3 and stock(package.id) == 470


def test_rotating_phones_and_e_mails_is_held_by_the_ip_limit(app, shop_with_limits, package):
    web = shop_with_limits()
    answers = [
        attempt(web, package.id, phone=f"09123456{i:02d}", email=f"x{i}@example.vn").status_code
        for i in range(14)
    ]
    assert answers[:10] == [303] * 10 and set(answers[10:]) == {429}, answers
    assert orders() == 10 and stock(package.id) == 400  # not 500 units gone in seconds

    # The refusal: Vietnamese, a Retry-After, no order, no stock taken, the cart kept.
    in_carts = _db.session.scalar(select(func.sum(CartLine.quantity)))
    client = web.test_client()
    env = {"REMOTE_ADDR": "203.0.113.7"}
    client.post("/cart/add", data={"package_id": package.id, "quantity": 2}, environ_base=env)
    response = client.post(
        "/checkout/",
        data=checkout_form(phone="0987000111", email="new@example.vn"),
        environ_base=env,
    )
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) >= 1
    page = response.get_data(as_text=True)
    assert "Bạn đã đặt quá nhiều đơn hàng trong thời gian ngắn" in page
    assert "Chưa có đơn hàng nào được đặt" in page
    assert orders() == 10 and stock(package.id) == 400
    assert _db.session.scalar(select(func.sum(CartLine.quantity))) == in_carts + 2

    # Another network is not held back by it.
    assert attempt(web, package.id, ip="198.51.100.9", phone="0987000222").status_code == 303


def test_one_phone_however_written_is_one_contact(app, shop_with_limits, package):
    web = shop_with_limits(COD_MAX_OPEN_ORDERS_PER_PHONE=0)
    spellings = ["0912 345 678", "+84912345678", "0912.345.678", "+84 912 345 678", "0912345678"]
    for i, phone in enumerate(spellings):
        response = attempt(web, package.id, ip=f"10.0.0.{i}", phone=phone, email=f"p{i}@x.vn")
        assert response.status_code == 303, i
    assert (
        attempt(
            web, package.id, ip="10.0.1.1", phone="+84 912-345-678", email="fresh@x.vn"
        ).status_code
        == 429
    )
    # And one e-mail, whatever the letter case, is one contact too.
    for i in range(5):
        response = attempt(
            web,
            package.id,
            ip=f"10.0.2.{i}",
            phone=f"098765432{i}",
            email="Lan@Example.vn" if i % 2 else "lan@example.vn",
        )
        assert response.status_code == 303, i
    assert (
        attempt(
            web, package.id, ip="10.0.3.1", phone="0977000000", email="LAN@EXAMPLE.VN"
        ).status_code
        == 429
    )
    assert orders() == 10


def test_showing_the_communes_is_not_an_order_attempt(app, shop_with_limits, package):
    web = shop_with_limits()
    client = web.test_client()
    client.post("/cart/add", data={"package_id": package.id, "quantity": 1})
    form = checkout_form()
    form.pop("submit")
    for _i in range(12):
        assert client.post("/checkout/", data={**form, "refresh": "1"}).status_code == 200
    assert client.post("/checkout/", data=checkout_form()).status_code == 303
