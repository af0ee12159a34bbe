"""The seller blueprint."""

from flask import Blueprint

bp = Blueprint("seller", __name__)

from storefront.web.seller import routes  # noqa: E402,F401
