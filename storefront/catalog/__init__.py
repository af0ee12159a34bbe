"""The catalog blueprint: home page, product list, product pages."""

from flask import Blueprint

bp = Blueprint("catalog", __name__)

from . import routes  # noqa: E402,F401
