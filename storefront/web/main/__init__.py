"""Site-wide routes: health check and uploaded media."""

from flask import Blueprint

bp = Blueprint("main", __name__)

from storefront.web.main import routes  # noqa: E402,F401
