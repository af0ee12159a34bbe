"""The accounts blueprint."""

from flask import Blueprint

bp = Blueprint("accounts", __name__)

from storefront.web.account import routes  # noqa: E402,F401
