"""The checkout blueprint."""

from flask import Blueprint

bp = Blueprint("checkout", __name__)

from storefront.web.shop.checkout import routes  # noqa: E402,F401
