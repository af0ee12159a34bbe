"""The cart blueprint; `flask cart ...` commands."""

from flask import Blueprint

bp = Blueprint("cart", __name__, cli_group="cart")

from . import commands, routes  # noqa: E402,F401
