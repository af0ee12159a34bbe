"""The cart blueprint; `flask cart ...` commands."""

from flask import Blueprint

bp = Blueprint("cart", __name__, cli_group="cart")

from storefront.cart import commands, routes  # noqa: E402,F401
