"""After placement: who may see an order, cancelling (stock back exactly once), and each
cooperative fulfilling only its own shipment while the buyer follows along."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storefront.core.errors import InvalidInput, InvalidTransition, NotFound
from storefront.domain.orders.fulfilment import advance_shipment, shipments_for_member
from storefront.domain.orders.lifecycle import cancel_order, order_progress
from storefront.models import (
    Order,
    OrderStatus,
    Package,
    PaymentStatus,
    ShipmentStatus,
)
from tests.fixtures.shop import buy, checkout_form


def html(response) -> str:
    return response.get_data(as_text=True)


def stock_of(db, package_id: int) -> int:
    return db.session.scalar(select(Package.stock).where(Package.id == package_id))


def reload(db, number: str) -> Order:
    db.session.expire_all()
    return db.session.scalar(select(Order).where(Order.number == number))


def two_cooperative_order(make):
    """An order with one shipment from each of two cooperatives, and their members."""
    seller_a, seller_b = make.user(email="a@htx.vn"), make.user(email="b@htx.vn")
    coop_a = make.cooperative(legal_name="HTX Vải thiều", owner=seller_a)
    coop_b = make.cooperative(legal_name="HTX Mật ong", owner=seller_b)
    a = make.listing(coop=coop_a, packages=[{"stock": 10}]).packages[0]
    b = make.listing(coop=coop_b, packages=[{"stock": 10}]).packages[0]
    order = buy((a, 1), (b, 2))
    shipments = {s.cooperative_id: s.id for s in order.shipments}
    return order.number, (seller_a, shipments[coop_a.id]), (seller_b, shipments[coop_b.id])


# --- who may see an order -------------------------------------------------------------------------------


def test_the_guest_who_placed_an_order_sees_it_and_others_get_404(client, make):
    package = make.listing().packages[0]
    client.post("/cart/add", data={"package_id": package.id, "quantity": 1})

    response = client.post("/checkout/", data=checkout_form())
    number = response.headers["Location"].split("/")[2].split("?")[0]
    assert client.get(f"/orders/{number}").status_code == 200

    stranger = client.application.test_client()
    assert stranger.get(f"/orders/{number}").status_code == 404
    assert stranger.get("/orders/ZZZZZZZZZZ").status_code == 404
    assert stranger.post(f"/orders/{number}/cancel").status_code == 404


def test_guest_lookup_needs_number_and_email(client, make):
    number = buy((make.listing().packages[0], 1)).number
    wrong = client.post("/orders/lookup", data={"number": number, "email": "other@example.vn"})
    assert wrong.status_code == 404
    assert client.get(f"/orders/{number}").status_code == 404
    right = client.post(
        "/orders/lookup",
        data={"number": f" {number[:5].lower()}-{number[5:]} ", "email": "LAN@example.vn"},
    )
    assert right.status_code == 303 and right.headers["Location"] == f"/orders/{number}"
    assert number in html(client.get(f"/orders/{number}"))


def test_customers_see_their_own_orders_only(client, auth, db, make):
    package = make.listing().packages[0]
    lan, nam = make.user(), make.user()
    auth.login(lan)
    client.post("/cart/add", data={"package_id": package.id, "quantity": 1})

    client.post("/checkout/", data=checkout_form(email=lan.email))
    mine = db.session.scalar(select(Order))
    assert mine.user_id == lan.id
    listing = html(client.get("/orders/"))
    assert mine.number in listing
    auth.logout()

    auth.login(nam)
    assert mine.number not in html(client.get("/orders/"))
    assert client.get(f"/orders/{mine.number}").status_code == 404
    auth.logout()
    assert client.get("/orders/").status_code == 302  # log in first


# --- cancelling -----------------------------------------------------------------------------------------------


def test_cancel_returns_stock_exactly_once(app, db, make, outbox):
    package = make.listing(packages=[{"stock": 5}]).packages[0]
    number = buy((package, 3)).number
    assert stock_of(db, package.id) == 2
    cancelled = cancel_order(number, user_id=None, granted=[number])
    assert cancelled.was_placed and not cancelled.settle_payment
    assert stock_of(db, package.id) == 5
    with pytest.raises(InvalidTransition):
        cancel_order(number, user_id=None, granted=[number])
    assert stock_of(db, package.id) == 5
    order = reload(db, number)
    assert order.status is OrderStatus.CANCELLED and order.cancelled_at is not None
    assert order_progress(order) == "cancelled"
    assert all(s.status is ShipmentStatus.CANCELLED for s in order.shipments)


def test_cancel_through_the_page_tells_buyer_and_cooperatives(client, db, make, outbox):
    owner = make.user(email="owner@htx.vn")
    package = make.listing(coop=make.cooperative(owner=owner)).packages[0]
    number = buy((package, 1)).number
    with client.session_transaction() as browser:
        browser["order_access"] = [number]
    page = html(client.get(f"/orders/{number}"))
    assert f'action="/orders/{number}/cancel"' in page
    before = len(outbox.messages)
    assert client.post(f"/orders/{number}/cancel").status_code == 303
    recipients = [m["To"] for m in outbox.messages[before:]]
    assert sorted(recipients) == ["lan@example.vn", "owner@htx.vn"]
    assert f'action="/orders/{number}/cancel"' not in html(client.get(f"/orders/{number}"))


def test_no_cancelling_once_a_shipment_has_left(app, db, make):
    number, (seller_a, shipment_a), _ = two_cooperative_order(make)
    advance_shipment(
        shipment_a, "ship", user_id=seller_a.id, carrier="Viettel Post", tracking_number="VTP1"
    )
    with pytest.raises(InvalidTransition):
        cancel_order(number, user_id=None, granted=[number])
    assert reload(db, number).status is OrderStatus.PLACED


def test_packed_is_still_cancellable(app, db, make):
    number, (seller_a, shipment_a), _ = two_cooperative_order(make)
    advance_shipment(shipment_a, "pack", user_id=seller_a.id)
    cancel_order(number, user_id=None, granted=[number])
    assert reload(db, number).status is OrderStatus.CANCELLED


# --- fulfilment by each cooperative --------------------------------------------------------------------------


def test_each_cooperative_moves_its_shipment_forward_and_the_order_follows(app, db, make, outbox):
    number, (seller_a, shipment_a), (seller_b, shipment_b) = two_cooperative_order(make)
    assert order_progress(reload(db, number)) == "placed"

    advance_shipment(shipment_a, "pack", user_id=seller_a.id)
    assert order_progress(reload(db, number)) == "processing"
    with pytest.raises(InvalidInput):
        advance_shipment(shipment_a, "ship", user_id=seller_a.id, carrier="", tracking_number="")
    advance_shipment(
        shipment_a, "ship", user_id=seller_a.id, carrier="Viettel Post", tracking_number="VTP123"
    )
    assert order_progress(reload(db, number)) == "partly_shipped"
    with pytest.raises(InvalidTransition):
        advance_shipment(shipment_a, "pack", user_id=seller_a.id)  # no going back
    with pytest.raises(InvalidTransition) as refused:
        advance_shipment(shipment_a, "ship", user_id=seller_a.id, carrier="X", tracking_number="Y")
    assert refused.value.message == "Kiện hàng này đã ở trạng thái “Đã gửi hàng”."  # not "shipped"

    advance_shipment(
        shipment_b, "ship", user_id=seller_b.id, carrier="VNPost", tracking_number="EMS9"
    )
    assert order_progress(reload(db, number)) == "shipped"
    advance_shipment(shipment_a, "deliver", user_id=seller_a.id)
    advance_shipment(shipment_b, "deliver", user_id=seller_b.id)
    order = reload(db, number)
    assert order_progress(order) == "delivered"
    by_id = {s.id: s for s in order.shipments}
    assert (by_id[shipment_a].carrier, by_id[shipment_a].tracking_number) == (
        "Viettel Post",
        "VTP123",
    )
    assert by_id[shipment_a].shipped_at is not None and by_id[shipment_a].delivered_at is not None


def test_cash_collected_for_every_shipment_pays_the_cod_order(app, db, make):
    number, (seller_a, shipment_a), (seller_b, shipment_b) = two_cooperative_order(make)
    with pytest.raises(InvalidTransition):
        advance_shipment(shipment_a, "collect_cash", user_id=seller_a.id)  # not shipped yet
    for seller, shipment in ((seller_a, shipment_a), (seller_b, shipment_b)):
        advance_shipment(shipment, "ship", user_id=seller.id, carrier="GHN", tracking_number="1")
        advance_shipment(shipment, "deliver", user_id=seller.id)
    advance_shipment(shipment_a, "collect_cash", user_id=seller_a.id)
    assert reload(db, number).payments[-1].status is PaymentStatus.PENDING
    with pytest.raises(InvalidTransition):
        advance_shipment(shipment_a, "collect_cash", user_id=seller_a.id)
    advance_shipment(shipment_b, "collect_cash", user_id=seller_b.id)
    assert reload(db, number).payments[-1].status is PaymentStatus.PAID


def test_a_cooperative_cannot_touch_another_cooperatives_shipment(app, db, make):
    number, (seller_a, shipment_a), (seller_b, shipment_b) = two_cooperative_order(make)
    with pytest.raises(NotFound):
        advance_shipment(shipment_b, "pack", user_id=seller_a.id)
    outsider = make.user()
    with pytest.raises(NotFound):
        advance_shipment(shipment_a, "pack", user_id=outsider.id)
    assert [s.id for s in shipments_for_member(seller_a.id)] == [shipment_a]
    assert shipments_for_member(outsider.id) == []


def test_seller_pages_show_only_the_cooperatives_own_shipments(client, auth, db, make, outbox):
    number, (seller_a, shipment_a), (seller_b, shipment_b) = two_cooperative_order(make)
    auth.login(seller_a)
    listing = html(client.get("/seller/shipments"))
    assert f"/seller/shipments/{shipment_a}" in listing
    assert f"/seller/shipments/{shipment_b}" not in listing
    assert client.get(f"/seller/shipments/{shipment_b}").status_code == 404
    assert client.post(f"/seller/shipments/{shipment_b}/pack").status_code == 404
    assert client.get("/seller/shipments/999999").status_code == 404

    page = html(client.get(f"/seller/shipments/{shipment_a}"))
    assert f"/seller/shipments/{shipment_a}/ship" in page and 'name="csrf_token"' in page
    before = len(outbox.messages)
    response = client.post(
        f"/seller/shipments/{shipment_a}/ship",
        data={"carrier": "Viettel Post", "tracking_number": "VTP777"},
    )
    assert response.status_code == 303
    [mail] = outbox.messages[before:]
    assert mail["To"] == "lan@example.vn"
    assert "VTP777" in mail.get_content()
    assert client.get(f"/seller/shipments/{shipment_a}/ship").status_code == 405  # POST only

    auth.logout()
    with client.session_transaction() as browser:
        browser["order_access"] = [number]
    page = html(client.get(f"/orders/{number}?lang=en"))
    assert "VTP777" in page and "Partly shipped" in page


def test_unpaid_card_orders_are_not_shown_to_sellers(app, db, make, monkeypatch):
    from storefront.models import PaymentMethod

    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", "sk_test_x")
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", "whsec_x")
    seller = make.user()
    package = make.listing(coop=make.cooperative(owner=seller)).packages[0]
    order = buy((package, 1), payment_method=PaymentMethod.CARD)
    assert shipments_for_member(seller.id) == []
    with pytest.raises(NotFound):
        advance_shipment(order.shipments[0].id, "pack", user_id=seller.id)
