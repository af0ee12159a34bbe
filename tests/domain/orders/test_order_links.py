"""The rules under the buyer's order pages: the signed order link (domain/order_links.py), the
lookup by number and phone, and each shipment's steps (domain/orders/tracking.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from storefront.core import clock
from storefront.core.errors import NotFound
from storefront.domain.order_links import InvalidOrderLink, order_for_link, order_link_token
from storefront.domain.orders.fulfilment import advance_shipment
from storefront.domain.orders.lifecycle import find_guest_order
from storefront.domain.orders.tracking import order_view, shipment_steps
from storefront.models import PaymentMethod
from tests.fixtures.shop import buy, reload, two_cooperative_order

T0 = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)


def test_a_token_opens_its_order_until_its_90_days_are_over(app, db, make):
    with clock.frozen(T0):
        order = buy((make.listing().packages[0], 1))
        token = order_link_token(order)
        assert order_for_link(token).id == order.id
    with clock.frozen(T0 + timedelta(days=90)):
        assert order_for_link(token).number == order.number  # the 90th day still counts
    with clock.frozen(T0 + timedelta(days=90, seconds=1)):
        with pytest.raises(InvalidOrderLink) as expired:
            order_for_link(token)
    assert "hết hạn" in expired.value.message


def test_a_token_carries_no_readable_contact(app, db, make):
    order = buy((make.listing().packages[0], 1))
    token = order_link_token(order)
    assert "0912345678" not in token and "lan@example.vn" not in token
    assert len(token) < 120  # fits an SMS and a QR code


@pytest.mark.parametrize("token", ["", "x", "a.b.c", "W10.AAAA.BBBB"])
def test_malformed_tokens_are_refused_alike(app, db, token):
    with pytest.raises(InvalidOrderLink) as refused:
        order_for_link(token)
    assert refused.value.status == 400 and "không hợp lệ" in refused.value.message


def test_lookup_normalises_the_phone_and_hides_which_part_was_wrong(app, db, make):
    number = buy((make.listing().packages[0], 1)).number
    assert find_guest_order(f" {number.lower()} ", "+84 912-345-678").number == number
    messages = set()
    for wrong in ((number, "0987654321"), ("ZZZZZZZZZZ", "0912345678"), (number, "12")):
        with pytest.raises(NotFound) as missing:
            find_guest_order(*wrong)
        messages.add(missing.value.message)
    assert len(messages) == 1


def test_steps_follow_the_shipment_and_stop_at_a_cancellation(app, db, make):
    number, (seller_a, shipment_a), _ = two_cooperative_order(make)
    order = reload(db, number)
    steps = shipment_steps(order, next(s for s in order.shipments if s.id == shipment_a))
    assert [(s.key, s.state) for s in steps] == [
        ("placed", "current"),
        ("packed", "todo"),
        ("shipped", "todo"),
        ("delivered", "todo"),
    ]
    assert steps[0].at is not None and steps[0].at.tzinfo is not None
    assert all(s.at is None for s in steps[1:])

    advance_shipment(shipment_a, "pack", user_id=seller_a.id)
    order = reload(db, number)
    steps = shipment_steps(order, next(s for s in order.shipments if s.id == shipment_a))
    assert [s.state for s in steps] == ["done", "current", "todo", "todo"]
    assert steps[1].at is not None

    view = order_view(order)
    assert view.can_cancel and view.progress == "processing" and view.payment == "cod_due"
    assert set(view.timelines) == {s.id for s in order.shipments}


def test_each_step_keeps_its_own_date_once_the_parcel_moves_on(app, db, make):
    number, (seller_a, shipment_a), (seller_b, shipment_b) = two_cooperative_order(make)
    packed, shipped, delivered = (
        T0 + timedelta(hours=2),
        T0 + timedelta(days=1),
        T0 + timedelta(days=3),
    )
    advance_shipment(shipment_a, "pack", user_id=seller_a.id, now=packed)
    advance_shipment(
        shipment_a,
        "ship",
        user_id=seller_a.id,
        carrier="Viettel Post",
        tracking_number="VTP1",
        now=shipped,
    )
    # Shipped straight from "new": packed by then, so that step is dated too.
    advance_shipment(
        shipment_b, "ship", user_id=seller_b.id, carrier="GHN", tracking_number="GHN1", now=shipped
    )
    advance_shipment(shipment_a, "deliver", user_id=seller_a.id, now=delivered)
    order = reload(db, number)
    by_id = {s.id: s for s in order.shipments}
    steps = {s.key: s for s in shipment_steps(order, by_id[shipment_a])}
    assert (steps["packed"].at, steps["shipped"].at, steps["delivered"].at) == (
        packed,
        shipped,
        delivered,
    )
    assert [s.state for s in steps.values()] == ["done", "done", "done", "current"]
    steps_b = {s.key: s for s in shipment_steps(order, by_id[shipment_b])}
    assert steps_b["packed"].at == steps_b["shipped"].at == shipped


def test_an_unpaid_card_order_waits_at_the_first_step(app, db, make):
    order = buy((make.listing().packages[0], 1), payment_method=PaymentMethod.CARD)
    order = reload(db, order.number)
    [steps] = order_view(order).timelines.values()
    assert [(s.key, s.state) for s in steps][:2] == [("placed", "current"), ("packed", "todo")]
