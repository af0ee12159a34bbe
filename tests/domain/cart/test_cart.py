"""The cart as domain functions: strict quantities, stock and the maximum, public listings only."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storefront.core.errors import InvalidInput, NotPublic, OutOfStock
from storefront.domain.cart import CartOwner, add_to_cart, parse_quantity
from storefront.models import Cart, CartLine, ListingStatus
from tests.fixtures.shop import guest


def lines_of(db, owner: CartOwner) -> dict[int, int]:
    rows = db.session.execute(
        select(CartLine.package_id, CartLine.quantity)
        .join(Cart, Cart.id == CartLine.cart_id)
        .where(owner.clause())
    ).all()
    return dict(rows)


def test_parse_quantity_accepts_whole_numbers_only():
    assert parse_quantity("7", 99) == 7
    assert parse_quantity(" 12 ", 99) == 12
    assert parse_quantity(99, 99) == 99
    for bad in (0, 100, True, 1.0, "0x1", "+1", "01.0"):
        with pytest.raises(InvalidInput):
            parse_quantity(bad, 99)


def test_adding_more_than_the_stock_or_the_maximum_is_refused(english, app, db, make):
    package = make.listing(packages=[{"stock": 3}]).packages[0]
    owner = guest()
    add_to_cart(owner, package.id, 2)
    with pytest.raises(OutOfStock, match="Only 3 left"):
        add_to_cart(owner, package.id, 2)
    assert lines_of(db, owner) == {package.id: 2}

    preorder = make.listing(packages=[{"stock": 0, "preorder": True}]).packages[0]
    add_to_cart(owner, preorder.id, 99)  # pre-orders are not limited by stock
    with pytest.raises(InvalidInput):
        add_to_cart(owner, preorder.id, 1)


def test_a_listing_that_is_not_public_cannot_be_added(english, app, db, make):
    draft = make.listing(status=ListingStatus.DRAFT).packages[0]
    sold_out = make.listing(packages=[{"stock": 0}]).packages[0]
    owner = guest()
    with pytest.raises(NotPublic):
        add_to_cart(owner, draft.id, 1)
    with pytest.raises(OutOfStock, match="sold out"):
        add_to_cart(owner, sold_out.id, 1)
    assert lines_of(db, owner) == {}
