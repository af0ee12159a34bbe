"""Cancelling an order: stock back exactly once, and only until a shipment has left."""

from __future__ import annotations

import pytest

from storefront.core.errors import InvalidTransition
from storefront.domain.orders.fulfilment import advance_shipment
from storefront.domain.orders.lifecycle import cancel_order, order_progress
from storefront.models import OrderStatus, ShipmentStatus
from tests.fixtures.shop import buy, reload, stock_of, two_cooperative_order


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
