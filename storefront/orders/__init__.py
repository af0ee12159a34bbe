"""The orders blueprint: a buyer's orders, the guest lookup, cancelling; `flask orders ...`."""

from flask import Blueprint

bp = Blueprint("orders", __name__, cli_group="orders")

from storefront.orders import commands, routes  # noqa: E402,F401
