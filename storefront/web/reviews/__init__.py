"""The reviews blueprint: the buyer's review form (logged in, or through the signed link of
the reminder e-mail) and anyone's report of a review."""

from flask import Blueprint

bp = Blueprint("reviews", __name__)

from storefront.web.reviews import routes  # noqa: E402,F401
