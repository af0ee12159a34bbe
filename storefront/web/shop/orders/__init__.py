"""The orders blueprint: a buyer's orders, the guest lookup, cancelling."""

from flask import Blueprint

bp = Blueprint("orders", __name__)

from storefront.web.shop.orders import routes  # noqa: E402,F401
