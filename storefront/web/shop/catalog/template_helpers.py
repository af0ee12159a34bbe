"""Template filters and globals of the catalog pages."""

from __future__ import annotations

from storefront.core.files import logo_url
from storefront.core.markup import render_markdown
from storefront.domain.catalog.cards import as_card
from storefront.web.catalog_cache import cached_fragment, render_card, store_fragment
from storefront.web.shop.catalog import bp
from storefront.web.shop.catalog.seo import product_jsonld

bp.add_app_template_filter(render_markdown, "markdown")
bp.add_app_template_global(product_jsonld, "product_jsonld")
bp.add_app_template_global(as_card, "as_card")
bp.add_app_template_global(render_card, "render_card")
bp.add_app_template_global(cached_fragment, "cached_fragment")
bp.add_app_template_global(store_fragment, "store_fragment")
bp.add_app_template_global(logo_url, "logo_url")
