"""Saving the whole cart form at once (save_cart) and the free-shipping nudge per cooperative."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storefront.core.errors import QuantitiesRefused
from storefront.domain.cart import CartOwner, add_to_cart, cart_summary, save_cart
from storefront.domain.shipping import ShippingRates, short_of_free_shipping
from storefront.models import Cart, CartLine
from tests.fixtures.shop import guest

RATES = {"same_province": 20_000, "other_province": 30_000}


def rates(free_from: int) -> ShippingRates:
    return ShippingRates(first_500g=RATES, extra_500g=RATES, free_from=free_from)


def lines_of(db, owner: CartOwner) -> dict[int, int]:
    """line id → quantity."""
    db.session.expire_all()
    rows = db.session.execute(
        select(CartLine.id, CartLine.quantity)
        .join(Cart, Cart.id == CartLine.cart_id)
        .where(owner.clause())
        .order_by(CartLine.id)
    ).all()
    return dict(rows)


def two_lines(db, make, *, stock=10, quantities=(1, 2)) -> tuple[CartOwner, int, int]:
    owner = guest()
    for quantity in quantities:
        add_to_cart(owner, make.listing(packages=[{"stock": stock}]).packages[0].id, quantity)
    a, b = lines_of(db, owner)
    return owner, a, b


def test_short_of_free_shipping():
    assert short_of_free_shipping(150_000, rates(500_000)) == 350_000
    assert short_of_free_shipping(499_999, rates(500_000)) == 1
    assert short_of_free_shipping(500_000, rates(500_000)) == 0
    assert short_of_free_shipping(900_000, rates(500_000)) == 0
    assert short_of_free_shipping(150_000, rates(0)) == 0  # the shop offers no free shipping


def test_each_cooperative_group_says_how_far_it_is_from_free_shipping(app, make):
    near = make.cooperative(legal_name="HTX A")
    far = make.cooperative(legal_name="HTX B")
    owner = guest()
    add_to_cart(owner, make.listing(coop=near, packages=[{"price": 450_000}]).packages[0].id, 1)
    add_to_cart(owner, make.listing(coop=far, packages=[{"price": 60_000}]).packages[0].id, 2)
    add_to_cart(owner, make.listing(coop=far, packages=[{"price": 30_000}]).packages[0].id, 1)
    groups = {g.cooperative.legal_name: g for g in cart_summary(owner).groups}
    assert groups["HTX A"].short_of_free_shipping == 50_000
    assert groups["HTX B"].short_of_free_shipping == 350_000  # 500.000 − (2 × 60.000 + 30.000)
    assert groups["HTX A"].free_shipping_from == 500_000

    add_to_cart(owner, make.listing(coop=near, packages=[{"price": 50_000}]).packages[0].id, 1)
    groups = {g.cooperative.legal_name: g for g in cart_summary(owner).groups}
    assert groups["HTX A"].short_of_free_shipping == 0
    assert groups["HTX A"].shipping_fee == 0

    app.config["FREE_SHIPPING_FROM"] = 0
    try:
        groups = {g.cooperative.legal_name: g for g in cart_summary(owner).groups}
        assert groups["HTX B"].short_of_free_shipping == 0
        assert groups["HTX B"].free_shipping_from == 0
        assert groups["HTX B"].shipping_fee > 0
    finally:
        app.config["FREE_SHIPPING_FROM"] = 500_000


def test_every_quantity_is_saved_at_once(app, db, make):
    owner, a, b = two_lines(db, make)
    save_cart(owner, {a: "4", b: " 7 "})
    assert lines_of(db, owner) == {a: 4, b: 7}


def test_a_step_moves_one_line_from_its_typed_quantity(app, db, make):
    owner, a, b = two_lines(db, make)
    save_cart(owner, {a: "5", b: "2"}, step=(a, 1))
    assert lines_of(db, owner) == {a: 6, b: 2}
    save_cart(owner, {a: "6", b: "2"}, step=(b, -1))
    assert lines_of(db, owner) == {a: 6, b: 1}


def test_removing_a_line_keeps_the_other_typed_quantities(app, db, make):
    owner, a, b = two_lines(db, make)
    save_cart(owner, {a: "not even a number", b: "3"}, remove=a)
    assert lines_of(db, owner) == {b: 3}


@pytest.mark.parametrize("raw", ["0", "-1", "abc", "", "1.5", "100", "11"])
def test_one_refused_quantity_saves_nothing_and_names_its_line(english, app, db, make, raw):
    owner, a, b = two_lines(db, make, stock=10)
    with pytest.raises(QuantitiesRefused) as refused:
        save_cart(owner, {a: "3", b: raw}, remove=None)
    assert set(refused.value.errors) == {b}
    expected = "Only 10 left" if raw == "11" else "whole number from 1 to 99"
    assert expected in refused.value.errors[b]
    assert lines_of(db, owner) == {a: 1, b: 2}  # neither the valid change nor anything else


def test_minus_at_one_is_refused(english, app, db, make):
    owner, a, b = two_lines(db, make)
    with pytest.raises(QuantitiesRefused):
        save_cart(owner, {a: "1", b: "2"}, step=(a, -1))
    assert lines_of(db, owner) == {a: 1, b: 2}


def test_an_unchanged_line_short_of_stock_does_not_block_the_others(app, db, make):
    owner, a, b = two_lines(db, make, quantities=(6, 1))
    line = db.session.get(CartLine, a)
    line.package.stock = 4  # an order elsewhere took stock: the page flags line a
    db.session.commit()
    save_cart(owner, {a: "6", b: "3"})
    assert lines_of(db, owner) == {a: 6, b: 3}
    with pytest.raises(QuantitiesRefused):
        save_cart(owner, {a: "5", b: "3"})  # changed, and still more than the 4 left
    save_cart(owner, {a: "4", b: "3"})
    assert lines_of(db, owner) == {a: 4, b: 3}


def test_only_the_owners_lines_are_touched(app, db, make):
    owner, a, b = two_lines(db, make)
    stranger = guest()
    add_to_cart(stranger, make.listing().packages[0].id, 1)
    [theirs] = lines_of(db, stranger)
    save_cart(owner, {a: "2", theirs: "9"}, step=(theirs, 1), remove=theirs)
    assert lines_of(db, stranger) == {theirs: 1}
    assert lines_of(db, owner) == {a: 2, b: 2}  # b was not in the form: unchanged
    save_cart(CartOwner(), {a: "5"})  # a visitor without a cart changes nothing
    assert lines_of(db, owner) == {a: 2, b: 2}
