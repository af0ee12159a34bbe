"""The payments blueprint: the Stripe and SePay webhooks."""

from flask import Blueprint

bp = Blueprint("payments", __name__)

from storefront.web.webhooks import routes, sepay  # noqa: E402,F401
