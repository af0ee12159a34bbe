"""Rendered catalog markup kept in this process under the catalog version: product cards'
HTML, page fragments and whole anonymous pages (web/page_cache.py).

The owner of these stores is CatalogMarkupCache, one per app (init_app). Like the cards
themselves (domain/catalog/cards.py), everything here is keyed by the catalog version and the
date in Vietnam (cards.catalog_cache_key): a commit that changes what the catalog shows moves
the version on (domain/catalog/changes.py), and the whole store is dropped at once.
"""

from __future__ import annotations

from collections import OrderedDict

from flask import Flask, current_app, get_template_attribute
from flask_babel import get_locale
from markupsafe import Markup

from storefront.core.markup import compact_html
from storefront.domain.catalog.cards import ListingCard, catalog_cache_key

EXTENSION = "catalog_markup"

MAX_RENDERED = 5_000
MAX_FRAGMENTS = 2_000
# Whole anonymous pages (page_cache.py), about 45 KB each: a crawler sending random query
# strings can fill this, so it is kept small (some 20 MB a worker at most).
MAX_PAGES = 500

_LIMITS = {"fragments": MAX_FRAGMENTS, "pages": MAX_PAGES}


class CatalogMarkupCache:
    """Rendered cards, fragments and pages for one catalog version, in this process."""

    def __init__(self) -> None:
        self.key: object = None
        self.rendered: OrderedDict[tuple, Markup] = OrderedDict()
        self.fragments: OrderedDict[tuple, Markup] = OrderedDict()
        self.pages: OrderedDict[tuple, Markup] = OrderedDict()

    def at(self, key: object) -> CatalogMarkupCache:
        if key != self.key:
            self.key = key
            self.rendered.clear()
            self.fragments.clear()
            self.pages.clear()
        return self


def _cache() -> CatalogMarkupCache:
    return current_app.extensions[EXTENSION].at(catalog_cache_key())


def render_card(card: ListingCard, heading: str = "h3") -> Markup:
    """The card's HTML in the reader's language, rendered once per catalog version."""
    cache = _cache()
    key = (card, heading, str(get_locale()))
    html = cache.rendered.get(key)
    if html is None:
        html = compact_html(get_template_attribute("catalog/_card.html", "card")(card, heading))
        cache.rendered[key] = html
        while len(cache.rendered) > MAX_RENDERED:
            cache.rendered.popitem(last=False)
    return html


def cached_fragment(key: tuple, store: str = "fragments") -> Markup | None:
    """A rendered page fragment (or, with store="pages", a whole page) stored under `key`
    for this catalog version, if any."""
    return getattr(_cache(), store).get(key)


def store_fragment(key: tuple, html: str, store: str = "fragments") -> Markup:
    """Keep a rendered fragment (or whole page) for this catalog version; returns it, ready
    to output. The oldest entries go first beyond the store's bound."""
    entries = getattr(_cache(), store)
    html = compact_html(html)
    entries[key] = html
    while len(entries) > _LIMITS[store]:
        entries.popitem(last=False)
    return html


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = CatalogMarkupCache()
