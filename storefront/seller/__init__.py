"""The seller blueprint."""

from flask import Blueprint

bp = Blueprint("seller", __name__)

from . import routes  # noqa: E402,F401
