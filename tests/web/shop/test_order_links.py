"""Issue 12: a guest finds an order again. The signed order link (e-mails, the confirmation
page) opens it in any browser for 90 days and lets that browser cancel it; expired, tampered
and foreign links get one clear page that never says whether the order exists. The lookup
takes the order number and the phone however it is typed, answers a wrong number and a wrong
phone alike, and is rate-limited."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select

from config import Config
from storefront.core import clock
from storefront.domain.order_links import SALT, _fingerprint, order_link_token
from storefront.domain.orders.fulfilment import advance_shipment
from storefront.extensions import db as _db
from storefront.models import Order, OrderStatus, Package, Shipment, ShipmentStatus
from tests.fixtures.limits import rate_limited_app
from tests.fixtures.shop import buy, checkout_form, two_cooperative_order

LINK = re.compile(r"https?://[^/\s]+(/orders/link/[A-Za-z0-9_.\-]+)")
PLACED = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def html(response) -> str:
    return response.get_data(as_text=True)


def main_of(page: str) -> str:
    """The page's own content (the header's language links repeat the URL)."""
    return page.split("<main", 1)[1].split("</main>", 1)[0]


def shipment_part(page: str, shipment_id: int) -> str:
    return page.split(f'id="shipment-{shipment_id}"', 1)[1].split("</section>", 1)[0]


def link_of(order) -> str:
    return f"/orders/link/{order_link_token(order)}"


def reload(number: str) -> Order:
    _db.session.expire_all()
    return _db.session.scalar(select(Order).where(Order.number == number))


def guest_checkout(client, make, **form):
    package = make.listing(packages=[{"stock": 10}]).packages[0]
    client.post("/cart/add", data={"package_id": package.id, "quantity": 2})
    response = client.post("/checkout/", data=checkout_form(**form))
    assert response.status_code == 303
    number = response.headers["Location"].split("/")[2].split("?")[0]
    return number, package.id


# --- the link: any browser, 90 days, cancel -----------------------------------------------------


def test_the_e_mailed_link_opens_the_order_in_a_fresh_browser_which_may_cancel_it(
    client, make, outbox
):
    number, package_id = guest_checkout(client, make)
    [mail] = outbox.to("lan@example.vn")
    match = LINK.search(mail.get_content())
    assert match, mail.get_content()
    path = match.group(1)
    assert f"/orders/{number}\n" not in mail.get_content()  # not the session-bound page

    fresh = client.application.test_client()
    assert fresh.get(f"/orders/{number}").status_code == 404  # no claim yet
    page = fresh.get(path)
    assert page.status_code == 200
    assert number in html(page)
    assert f'action="/orders/{number}/cancel"' in html(page)
    # The browser that opened the link may now act on the order, as the one that placed it.
    assert fresh.get(f"/orders/{number}").status_code == 200
    before = _db.session.get(Package, package_id).stock
    assert fresh.post(f"/orders/{number}/cancel").status_code == 303
    assert reload(number).status is OrderStatus.CANCELLED
    _db.session.expire_all()
    assert _db.session.get(Package, package_id).stock == before + 2
    # Cancelled: the link still shows the order, now without a cancel button.
    again = html(client.application.test_client().get(path))
    assert number in again and f'action="/orders/{number}/cancel"' not in again


def test_the_link_lasts_90_days_by_the_shops_clock(client, make):
    with clock.frozen(PLACED):
        order = buy((make.listing().packages[0], 1))
        path = link_of(order)
    with clock.frozen(PLACED + timedelta(days=89, hours=23)):
        assert client.application.test_client().get(path).status_code == 200
    stranger = client.application.test_client()
    with clock.frozen(PLACED + timedelta(days=90, minutes=1)):
        response = stranger.get(path)
    assert response.status_code == 400
    page = html(response)
    assert "Liên kết đơn hàng này đã hết hạn." in page
    assert order.number not in page
    assert 'href="/orders/lookup"' in page
    assert stranger.get(f"/orders/{order.number}").status_code == 404  # nothing granted


def test_the_link_lifetime_is_a_setting(app, client, make, monkeypatch):
    monkeypatch.setitem(app.config, "ORDER_LINK_MAX_AGE_DAYS", 7)
    with clock.frozen(PLACED):
        order = buy((make.listing().packages[0], 1))
        path = link_of(order)
    with clock.frozen(PLACED + timedelta(days=8)):
        assert client.get(path).status_code == 400


def test_tampered_forged_and_unknown_links_get_the_same_page(app, client, make):
    order = buy((make.listing().packages[0], 1))
    token = order_link_token(order)
    payload, stamp, signature = token.split(".")
    tampered = f"{payload}.{stamp}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    forged = URLSafeTimedSerializer("not-our-secret", salt=SALT).dumps(
        [order.number, _fingerprint(order)]
    )
    ours = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=SALT)
    unknown = ours.dumps(["ZZZZZZZZZZ", "0123456789ab"])  # well signed, no such order
    pages = []
    for bad in (tampered, forged, unknown, "garbage", f"{payload}..", "a" * 300):
        stranger = client.application.test_client()
        response = stranger.get(f"/orders/link/{bad}")
        assert response.status_code == 400, bad
        assert order.number not in html(response)
        assert stranger.get(f"/orders/{order.number}").status_code == 404
        pages.append(main_of(html(response)))
    assert "Liên kết đơn hàng này không hợp lệ." in pages[0]
    assert len(set(pages)) == 1  # nothing tells an existing order from a missing one


def test_a_link_opens_its_own_order_only(app, client, make):
    package = make.listing(packages=[{"stock": 10}]).packages[0]
    mine, other = buy((package, 1)), buy((package, 1), phone="0987 654 321")
    ours = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=SALT)
    # The other order's number with this order's fingerprint (and the reverse): refused.
    swapped = [
        ours.dumps([other.number, _fingerprint(mine)]),
        ours.dumps([mine.number, _fingerprint(other)]),
    ]
    for token in swapped:
        assert client.get(f"/orders/link/{token}").status_code == 400
    assert client.get(link_of(mine)).status_code == 200
    assert client.get(f"/orders/{mine.number}").status_code == 200
    assert client.get(f"/orders/{other.number}").status_code == 404
    assert client.post(f"/orders/{other.number}/cancel").status_code == 404
    assert reload(other.number).status is OrderStatus.PLACED


def test_correcting_the_contact_revokes_the_old_links(client, make):
    order = buy((make.listing().packages[0], 1))
    path = link_of(order)
    assert client.application.test_client().get(path).status_code == 200
    order.phone = "0987654321"
    _db.session.commit()
    assert client.application.test_client().get(path).status_code == 400


# --- the link in e-mails and on the confirmation page -------------------------------------------


def test_a_guests_order_e_mails_carry_the_signed_link(client, make, outbox):
    number, (seller_a, shipment_a), _ = two_cooperative_order(make)
    advance_shipment(
        shipment_a, "ship", user_id=seller_a.id, carrier="Viettel Post", tracking_number="VTP1"
    )
    to_buyer = outbox.to("lan@example.vn")
    assert len(to_buyer) >= 2  # placed, then shipped
    for mail in to_buyer:
        [path] = LINK.findall(mail.get_content())
        response = client.application.test_client().get(path)
        assert response.status_code == 200 and number in html(response)


def test_a_customers_order_e_mail_links_to_the_account_order_page(client, auth, make, outbox):
    lan = make.user()
    auth.login(lan)
    package = make.listing().packages[0]
    client.post("/cart/add", data={"package_id": package.id, "quantity": 1})
    client.post("/checkout/", data=checkout_form(email=lan.email))
    order = _db.session.scalar(select(Order))
    [mail] = outbox.to(lan.email)
    assert not LINK.search(mail.get_content())
    assert f"/orders/{order.number}" in mail.get_content()
    page = html(client.get(f"/orders/{order.number}?placed=1"))
    assert "order-link__url" not in page  # an account keeps the order: no link to save


def test_the_confirmation_page_shows_a_guest_the_link_to_keep(client, make):
    number, _ = guest_checkout(client, make)
    page = html(client.get(f"/orders/{number}?placed=1"))
    assert "Đặt hàng thành công" in page
    assert "Lưu liên kết này để theo dõi đơn hàng" in page
    assert "/static/css/orders.css" in page and "/static/js/orders.js" in page
    [value] = re.findall(r'id="order-link-url" type="url" value="([^"]+)"', page)
    assert value.startswith("http://localhost/orders/link/")
    assert 'data-copy="order-link-url"' in page and " hidden>" in page  # JS shows the button
    fresh = client.application.test_client()
    assert fresh.get(value.removeprefix("http://localhost")).status_code == 200


def test_an_order_without_e_mail_shows_everywhere(client, make):
    # Checkout may take no e-mail from a guest: the pages never print an empty address.
    order = buy((make.listing().packages[0], 1))
    order.email = ""
    _db.session.commit()
    stranger = client.application.test_client()
    page = html(stranger.get(link_of(order)))
    assert order.number in page and "Chúng tôi đã gửi xác nhận" not in page
    page = html(stranger.get(f"/orders/{order.number}?placed=1"))
    assert "Đặt hàng thành công" in page and "Chúng tôi đã gửi xác nhận" not in page
    assert "order-address__email" not in page
    finder = client.application.test_client()
    found = finder.post("/orders/lookup", data={"number": order.number, "phone": "0912345678"})
    assert found.status_code == 303


# --- the page: timeline, lines, totals ----------------------------------------------------------


def test_each_shipment_has_its_timeline_with_carrier_and_tracking(client, make):
    number, (seller_a, shipment_a), (seller_b, shipment_b) = two_cooperative_order(make)
    advance_shipment(shipment_a, "pack", user_id=seller_a.id, now=PLACED + timedelta(days=1))
    advance_shipment(
        shipment_a,
        "ship",
        user_id=seller_a.id,
        carrier="Viettel Post",
        tracking_number="VTP777",
        now=PLACED + timedelta(days=2),
    )
    from storefront.domain.orders.cancellation import cancel_shipment

    cancel_shipment(shipment_b, "Hết hàng", user_id=seller_b.id)
    with client.session_transaction() as browser:
        browser["order_access"] = [number]
    page = html(client.get(f"/orders/{number}"))
    first, second = shipment_part(page, shipment_a), shipment_part(page, shipment_b)
    steps = re.findall(r'data-step="(\w+)" data-state="(\w+)"', first)
    assert steps == [
        ("placed", "done"),
        ("packed", "done"),
        ("shipped", "current"),
        ("delivered", "todo"),
    ]
    assert "Viettel Post" in first and '<strong class="tracking-number">VTP777</strong>' in first
    assert 'datetime="2026-03-03T' in first  # shipped on the frozen day, in ISO form
    assert re.findall(r'data-step="(\w+)" data-state="(\w+)"', second) == [
        ("placed", "done"),
        ("cancelled", "cancelled"),
    ]
    assert "Hết hàng" in second and "Đã bị hợp tác xã hủy." in second
    # Totals: goods, one shipping line per cooperative, the total.
    totals = page.split('class="order-totals"')[1].split("</table>")[0]
    assert totals.count("order-totals__shipping") == 2
    assert "HTX Vải thiều" in totals and "HTX Mật ong" in totals
    assert 'class="order-total"' in totals


def test_lines_show_photo_name_package_quantity_and_price(client, make):
    listing = make.listing(
        name="Vải thiếu Lục Ngạn", packages=[{"label": "Hộp 1 kg", "price": 150_000}]
    )
    order = buy((listing.packages[0], 2))
    page = html(client.get(link_of(order)))
    item = page.split('class="order-item"')[1].split("</li>")[0]
    assert f'href="/products/{listing.slug}"' in item  # still on sale: its page
    assert "Hộp 1 kg" in item and "2 × 150.000" in item and "300.000" in item


def test_the_order_page_queries_do_not_grow_with_lines(client, make, queries):
    coop_a, coop_b = make.cooperative(), make.cooperative()
    small = buy((make.listing(coop=coop_a).packages[0], 1))
    big = buy(
        *[(make.listing(coop=coop_a).packages[0], 1) for _ in range(3)],
        *[(make.listing(coop=coop_b).packages[0], 1) for _ in range(3)],
    )
    client.get(link_of(small))
    client.get(link_of(big))
    with queries() as one_line:
        assert client.get(f"/orders/{small.number}").status_code == 200
    with queries() as six_lines:
        assert client.get(f"/orders/{big.number}").status_code == 200
    assert len(six_lines) == len(one_line), "\n\n".join(six_lines)
    assert len(one_line) <= 12, one_line


# --- the lookup: number and phone ---------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "0912345678",
        "0912 345 678",
        "0912.345.678",
        "091-234-5678",
        "(091) 234 5678",
        "+84 912 345 678",
        "+84912345678",
        " +84-912-345-678 ",
    ],
)
def test_lookup_takes_the_phone_as_people_type_it(client, make, typed):
    number = buy((make.listing().packages[0], 1)).number
    response = client.post("/orders/lookup", data={"number": number.lower(), "phone": typed})
    assert response.status_code == 303 and response.headers["Location"] == f"/orders/{number}"
    assert client.get(f"/orders/{number}").status_code == 200


def test_lookup_answers_a_wrong_number_and_a_wrong_phone_alike(client, make):
    number = buy((make.listing().packages[0], 1)).number
    answers = []
    for data in (
        {"number": number, "phone": "0987 654 321"},  # wrong phone
        {"number": "ZZZZZZZZZZ", "phone": "0912 345 678"},  # wrong number
        {"number": number, "phone": "not a phone"},
        {"number": number, "phone": ""},
        {"number": "", "phone": ""},
    ):
        response = client.post("/orders/lookup", data=data)
        assert response.status_code == 404, data
        page = html(response)
        assert "Không có đơn hàng nào khớp với mã đơn hàng và số điện thoại này." in page
        answers.append(re.sub(r'value="[^"]*"', "", main_of(page)))
    assert len(set(answers)) == 1
    assert client.get(f"/orders/{number}").status_code == 404


def test_lookup_page_asks_for_the_phone_with_a_phone_keypad(client):
    page = html(client.get("/orders/lookup"))
    assert 'name="phone" type="tel" inputmode="tel" autocomplete="tel"' in page
    assert 'name="email"' not in page


@pytest.fixture
def limited(app):
    with rate_limited_app(
        app,
        ORDER_LOOKUP_LIMIT_PER_IP=Config.ORDER_LOOKUP_LIMIT_PER_IP,
        ORDER_LOOKUP_LIMIT_PER_NUMBER=Config.ORDER_LOOKUP_LIMIT_PER_NUMBER,
    ) as built:
        yield built


def test_guessing_the_phone_of_one_order_is_rate_limited(make, limited):
    number = buy((make.listing().packages[0], 1)).number
    answers = []
    for i in range(7):
        # Each try from another address: the per-number limit holds them all.
        client = limited.test_client()
        env = {"REMOTE_ADDR": f"10.0.0.{i + 1}"}
        answers.append(
            client.post(
                "/orders/lookup", data={"number": number, "phone": f"09{i:08d}"}, environ_base=env
            ).status_code
        )
    assert answers == [404] * 5 + [429] * 2, answers
    response = limited.test_client().post(
        "/orders/lookup",
        data={"number": number, "phone": "0912345678"},
        environ_base={"REMOTE_ADDR": "10.0.0.99"},
    )
    assert response.status_code == 429  # even the right phone waits
    page = html(response)
    assert "Bạn đã thử tra cứu quá nhiều lần." in page and "Retry-After" in response.headers
    # Looking at the form costs nothing.
    assert limited.test_client().get("/orders/lookup").status_code == 200


def test_one_address_trying_many_numbers_is_rate_limited(make, limited):
    client = limited.test_client()
    answers = [
        client.post(
            "/orders/lookup", data={"number": f"ZZZZZZZZ{i:02d}", "phone": "0912345678"}
        ).status_code
        for i in range(22)
    ]
    assert answers[:20] == [404] * 20 and set(answers[20:]) == {429}, answers


def test_shipment_status_stays_on_the_page_for_each_state(client, make):
    # Delivered: every step done, the last one current, each with its date.
    number, (seller_a, shipment_a), (seller_b, shipment_b) = two_cooperative_order(make)
    advance_shipment(
        shipment_a, "ship", user_id=seller_a.id, carrier="VNPost", tracking_number="EMS1"
    )
    advance_shipment(shipment_a, "deliver", user_id=seller_a.id)
    with client.session_transaction() as browser:
        browser["order_access"] = [number]
    page = html(client.get(f"/orders/{number}"))
    first = shipment_part(page, shipment_a)
    assert re.findall(r'data-step="(\w+)" data-state="(\w+)"', first) == [
        ("placed", "done"),
        ("packed", "done"),
        ("shipped", "done"),
        ("delivered", "current"),
    ]
    assert _db.session.get(Shipment, shipment_a).status is ShipmentStatus.DELIVERED
    assert 'data-step="delivered" data-state="current"' in first and "<time" in first


def test_the_list_names_each_orders_products_and_status(client, auth, make, queries):
    lan = make.user()
    auth.login(lan)
    # An order's lines follow its shipments, cooperatives by name: named here so that their
    # order is the listings' (the factory's "HTX Thử nghiệm 10" sorts before "… 9").
    packages = [
        make.listing(
            name=f"Mật ong {n}", coop=make.cooperative(legal_name=f"HTX Mật ong {n}")
        ).packages[0]
        for n in range(3)
    ]
    for package in packages:
        client.post("/cart/add", data={"package_id": package.id, "quantity": 1})
    client.post("/checkout/", data=checkout_form(email=lan.email))
    client.post("/cart/add", data={"package_id": packages[0].id, "quantity": 1})
    client.post("/checkout/", data=checkout_form(email=lan.email))
    with queries() as statements:
        page = html(client.get("/orders/"))
    assert "Mật ong 0 và 2 sản phẩm khác" in page
    assert page.count('class="order-list__item"') == 2
    assert page.count('class="order-status status-chip" data-status="placed"') == 2
    assert 'href="/orders/lookup"' in page and "/static/css/orders.css" in page
    assert len(statements) <= 10, statements


def test_an_order_without_e_mail_sends_the_buyer_nothing_and_fails_nothing(
    client, make, outbox, caplog
):
    number, (seller_a, shipment_a), _ = two_cooperative_order(make)
    order = reload(number)
    order.email = ""
    _db.session.commit()
    before = len(outbox.messages)
    advance_shipment(
        shipment_a, "ship", user_id=seller_a.id, carrier="VNPost", tracking_number="EMS1"
    )
    assert len(outbox.messages) == before  # nobody to tell by e-mail
    assert "could not send" not in caplog.text
