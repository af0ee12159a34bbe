"""What a request knows about its visitor, for any blueprint: the cart (its owner, from the
login or the guest's signed cookie) and the header's item count."""

from __future__ import annotations

from flask import current_app, g, request
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer

from storefront.domain.cart import CartOwner, cart_item_count, new_cart_token

COOKIE = "ocop_cart"
COOKIE_DAYS = 30


# --- the guest's cart token: its own signed cookie -----------------------------------------
# Not the Flask session: the cart should outlive a browser restart without making the login
# session permanent, and it survives a login that clears the session.


def cart_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="cart-token")


def guest_token() -> str | None:
    if "cart_token" not in g:
        token = None
        raw = request.cookies.get(COOKIE)
        if raw:
            try:
                token = cart_serializer().loads(raw)
            except BadSignature:
                token = None
        g.cart_token = token if isinstance(token, str) else None
    return g.cart_token


def cart_owner(*, create: bool = False) -> CartOwner:
    """The visitor's cart: the customer's, or the guest's (a new token if `create`)."""
    if current_user.is_authenticated:
        return CartOwner(user_id=current_user.id)
    token = guest_token()
    if token is None and create:
        token = g.cart_token = new_cart_token()
        g.cart_cookie = "set"
    return CartOwner(token=token)


def cart_count() -> int:
    """Items in the visitor's cart for the header: one query, once per request."""
    if "cart_count" not in g:
        g.cart_count = cart_item_count(cart_owner())
    return g.cart_count
