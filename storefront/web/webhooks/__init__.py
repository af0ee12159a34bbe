"""The payments blueprint: the Stripe webhook."""

from flask import Blueprint

bp = Blueprint("payments", __name__)

from storefront.web.webhooks import routes  # noqa: E402,F401
