"""Each cooperative fulfils only its own shipment, and the order follows its shipments."""

from __future__ import annotations

import pytest

from storefront.core.errors import InvalidInput, InvalidTransition, NotFound
from storefront.domain.orders.fulfilment import advance_shipment, shipments_for_member
from storefront.domain.orders.lifecycle import order_progress
from storefront.models import PaymentStatus
from tests.fixtures.shop import buy, reload, two_cooperative_order


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


def test_a_cooperative_delivering_itself_ships_without_a_tracking_number(db, make, outbox):
    """The carrier is required; the tracking number only when a carrier gives one."""
    from storefront.models import Shipment, ShipmentStatus

    _number, (seller_a, shipment_a), _b = two_cooperative_order(make)
    advance_shipment(shipment_a, "ship", user_id=seller_a.id, carrier="Hợp tác xã tự giao")
    shipped = db.session.get(Shipment, shipment_a)
    assert shipped.status is ShipmentStatus.SHIPPED
    assert (shipped.carrier, shipped.tracking_number) == ("Hợp tác xã tự giao", "")
    mail = outbox.messages[-1].get_content()
    assert "Hợp tác xã tự giao" in mail and "Mã vận đơn" not in mail
