"""Public certificate verification: anyone checks an OCOP certificate by its number or QR code."""

from flask import Blueprint

bp = Blueprint("verify", __name__)

from storefront.web.shop.verify import routes  # noqa: E402,F401
