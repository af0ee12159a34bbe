"""The payments blueprint: the Stripe webhook; `flask payments ...`."""

from flask import Blueprint

bp = Blueprint("payments", __name__, cli_group="payments")

from storefront.payments import commands, routes  # noqa: E402,F401
