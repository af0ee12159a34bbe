"""The catalog blueprint: home page, product list, product pages."""

from flask import Blueprint

bp = Blueprint("catalog", __name__)

from storefront.web.shop.catalog import routes, template_helpers  # noqa: E402,F401
