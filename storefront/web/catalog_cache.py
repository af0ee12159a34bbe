"""Rendered catalog markup kept in this process: product cards' HTML, and under the catalog
version page fragments and whole anonymous pages (web/page_cache.py).

The owner of these stores is CatalogMarkupCache, one per app (init_app). Like the cards
themselves (domain/catalog/cards.py), fragments and pages are keyed by the catalog version and
the date in Vietnam (cards.catalog_cache_key): a commit that changes what the catalog shows
moves the version on (domain/catalog/changes.py), and those stores are dropped at once. A
rendered card is keyed by the card snapshot itself (every field it shows), the heading and
the language, so it outlives versions: after a change only the cards that changed are
rendered again (the oldest go beyond MAX_RENDERED).

With REDIS_URL set, this process's stores sit in front of the shared store in Redis
(core/shared_cache.py): a miss here asks Redis before rendering, and what is rendered is kept
in both. A rendered card is keyed by the card itself (every field it shows), the heading and
the language, so it outlives catalog versions there; fragments and pages are keyed by the
catalog version and date too. Redis away: a miss, and the page is rendered.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import cast

from flask import Flask, current_app, get_template_attribute, request
from flask_babel import get_locale
from markupsafe import Markup

from storefront.core.markup import compact_html
from storefront.core.shared_cache import shared_cache
from storefront.domain.catalog.cards import ListingCard, catalog_cache_key

EXTENSION = "catalog_markup"

MAX_RENDERED = 5_000
MAX_FRAGMENTS = 2_000
# Whole anonymous pages (page_cache.py), about 45 KB each: a crawler sending random query
# strings can fill this, so it is kept small (some 20 MB a worker at most).
MAX_PAGES = 500

_LIMITS = {"fragments": MAX_FRAGMENTS, "pages": MAX_PAGES, "encoded": MAX_PAGES}


class CatalogMarkupCache:
    """Rendered cards, fragments and pages for one catalog version, in this process."""

    def __init__(self) -> None:
        self.key: object = None
        self.rendered: OrderedDict[tuple, Markup] = OrderedDict()
        self.fragments: OrderedDict[tuple, Markup] = OrderedDict()
        self.pages: OrderedDict[tuple, Markup] = OrderedDict()
        # Whole pages ready to send: UTF-8 bytes, cut where each response puts its own part.
        self.encoded: OrderedDict[tuple, tuple[bytes, ...]] = OrderedDict()

    def at(self, key: object) -> CatalogMarkupCache:
        if key != self.key:
            self.key = key
            # Rendered cards stay: each is keyed by the card itself (every field it shows),
            # so a card the change did not touch is not rendered again (as in Redis).
            self.fragments.clear()
            self.pages.clear()
            self.encoded.clear()
        return self


def _cache() -> CatalogMarkupCache:
    return current_app.extensions[EXTENSION].at(catalog_cache_key())


def render_card(card: ListingCard, heading: str = "h3") -> Markup:
    """The card's HTML in the reader's language, rendered once per catalog version."""
    return render_cards([card], heading)[0]


LAZY = ' loading="lazy"'  # as catalog/_card.html writes it
EAGER = ' fetchpriority="high"'


def render_cards(
    cards: Iterable[ListingCard], heading: str = "h3", above_fold: int = 0
) -> list[Markup]:
    """The cards' HTML, in order: from this process, else from the shared store (one round
    trip for all the cards this process lacks), else rendered (and kept in both).

    A card's photo loads lazily, except in the first `above_fold` cards (a phone's first
    row), which a shopper sees at once: the first of them is the page's largest paint, so it
    is fetched first (`fetchpriority`). The cached HTML is the lazy one; this is applied after."""
    found = _render_cards(cards, heading)
    for i in range(min(above_fold, len(found))):
        found[i] = Markup(str(found[i]).replace(LAZY, EAGER if i == 0 else "", 1))
    return found


def _render_cards(cards: Iterable[ListingCard], heading: str) -> list[Markup]:
    cache = _cache()
    locale = str(get_locale())
    keys = [(card, heading, locale) for card in cards]
    found = [cache.rendered.get(key) for key in keys]
    missing = [i for i, html in enumerate(found) if html is None]
    if not missing:
        return cast(list[Markup], found)
    shared = shared_cache()
    shared_keys = [(keys[i], request.script_root) for i in missing]
    stored = shared.get_many("card-html", shared_keys) if shared else [None] * len(missing)
    rendered: list[tuple[object, str]] = []
    for i, shared_key, text in zip(missing, shared_keys, stored, strict=True):
        if text is not None:
            html = Markup(text)
        else:
            macro = get_template_attribute("catalog/_card.html", "card")
            html = compact_html(macro(keys[i][0], heading))
            rendered.append((shared_key, str(html)))
        found[i] = cache.rendered[keys[i]] = html
    if shared and rendered:
        shared.set_many("card-html", rendered)
    while len(cache.rendered) > MAX_RENDERED:
        cache.rendered.popitem(last=False)
    return cast(list[Markup], found)


def cached_fragment(key: tuple, store: str = "fragments") -> Markup | None:
    """A rendered page fragment (or, with store="pages", a whole page) stored under `key`
    for this catalog version, if any."""
    cache = _cache()
    entries = getattr(cache, store)
    html = entries.get(key)
    if html is None and (shared := shared_cache()) is not None:
        stored = shared.get(store, (cache.key, key))
        if stored is not None:
            html = entries[key] = Markup(stored)
            _bound(entries, store)
    return html


def cached_page_parts(
    key: tuple, split: Callable[[Markup], tuple[bytes, ...] | None]
) -> tuple[bytes, ...] | None:
    """A whole page stored under `key` (store="pages") as `split` cuts it into UTF-8 parts,
    kept so in this process from the first hit on: a hit then costs no encoding and no
    search through the page. None when there is no such page, or `split` declines it."""
    cache = _cache()
    parts = cache.encoded.get(key)
    if parts is not None:
        return parts
    html = cached_fragment(key, store="pages")
    if html is None or (parts := split(html)) is None:
        return None
    cache.encoded[key] = parts
    cache.pages.pop(key, None)  # held once: as bytes from now on
    _bound(cache.encoded, "encoded")
    return parts


def store_fragment(key: tuple, html: str, store: str = "fragments") -> Markup:
    """Keep a rendered fragment (or whole page) for this catalog version; returns it, ready
    to output. The oldest entries go first beyond the store's bound."""
    cache = _cache()
    entries = getattr(cache, store)
    html = compact_html(html)
    entries[key] = html
    _bound(entries, store)
    if (shared := shared_cache()) is not None:
        shared.set(store, (cache.key, key), str(html))
    return html


def _bound(entries: OrderedDict, store: str) -> None:
    while len(entries) > _LIMITS[store]:
        entries.popitem(last=False)


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = CatalogMarkupCache()
