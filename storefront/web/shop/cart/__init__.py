"""The cart blueprint."""

from flask import Blueprint

bp = Blueprint("cart", __name__)

from storefront.web.shop.cart import routes  # noqa: E402,F401
