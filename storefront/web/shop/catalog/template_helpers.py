"""Template filters and globals of the catalog pages."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import url_for

from storefront.core.files import logo_url
from storefront.core.formatting import date_vn
from storefront.core.inputs import parse_int
from storefront.core.markup import render_markdown
from storefront.domain.catalog.cards import as_card
from storefront.domain.catalog.params import FILTER_PARAMETERS
from storefront.web.catalog_cache import (
    cached_fragment,
    render_card,
    render_cards,
    store_fragment,
)
from storefront.web.page_cache import form_token
from storefront.web.shop.catalog import bp
from storefront.web.shop.catalog.localized import in_english, listing_name
from storefront.web.shop.catalog.routes import helpful_label, page_args
from storefront.web.shop.catalog.seo import product_jsonld, shop_date


def url_without(endpoint: str, names: str | Iterable[str], value: int | None = None) -> str:
    """This catalog page's URL without one filter value (`value` of parameter `names`), or
    without whole parameters (`value` None), back on its first page: an active filter's chip."""
    args: dict[str, Any] = page_args()
    for name in ("page", "lang"):
        args.pop(name, None)
    for name in [names] if isinstance(names, str) else names:
        kept = [] if value is None else [v for v in args.get(name, []) if parse_int(v) != value]
        if kept:
            args[name] = kept
        else:
            args.pop(name, None)
    return url_for(endpoint, **args)


def url_without_filters(endpoint: str) -> str:
    """This catalog page's URL with every filter taken off (the search words and sort kept)."""
    return url_without(endpoint, FILTER_PARAMETERS)


bp.add_app_template_filter(render_markdown, "markdown")
bp.add_app_template_global(in_english, "in_english")
bp.add_app_template_global(listing_name, "listing_name")
bp.add_app_template_global(product_jsonld, "product_jsonld")
bp.add_app_template_global(as_card, "as_card")
bp.add_app_template_global(render_card, "render_card")
bp.add_app_template_global(render_cards, "render_cards")
bp.add_app_template_global(cached_fragment, "cached_fragment")
bp.add_app_template_global(store_fragment, "store_fragment")
bp.add_app_template_global(url_without, "url_without")
bp.add_app_template_global(page_args, "page_args")
bp.add_app_template_global(url_without_filters, "url_without_filters")
bp.add_app_template_global(logo_url, "logo_url")
bp.add_app_template_global(form_token, "form_token")
bp.add_app_template_global(helpful_label, "helpful_label")


def review_date(moment) -> str:
    """A review's date in the shop's time zone, as the reader writes dates."""
    return date_vn(shop_date(moment))


bp.add_app_template_global(review_date, "review_date")
bp.add_app_template_global(shop_date, "shop_date")
