"""The pfa blueprint."""

from flask import Blueprint

bp = Blueprint("pfa", __name__)

from storefront.web.pfa import finance, reviews, routes  # noqa: E402,F401
