"""Product cards: plain, hashable snapshots of what a card shows, cached per catalog version.

A catalog page shows 24 cards; building them from ORM rows costs several queries and most of
the page's time. Cards change only when a listing, its packages, photos, certificate or
cooperative change, and every such commit moves the catalog version on
(storefront/catalog_version.py), which every server reads from the database on each request.

A card is loaded with the visibility rule applied (so a stale search index can never show a
hidden listing) and cached under the catalog version and the date in Vietnam: while neither
moves, nothing that could hide the listing has happened, so a cached card is a public one.
Ids that were not public are remembered as such under the same key.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from flask import current_app, get_template_attribute
from flask_babel import get_locale
from markupsafe import Markup

from storefront.core import clock
from storefront.core.markup import compact_html
from storefront.models import Listing

MAX_CARDS = 20_000
MAX_RENDERED = 5_000
MAX_FRAGMENTS = 2_000
# Whole anonymous pages (page_cache.py), about 45 KB each: a crawler sending random query
# strings can fill this, so it is kept small (some 20 MB a worker at most).
MAX_PAGES = 500


@dataclass(frozen=True, slots=True)
class ListingCard:
    listing_id: int
    slug: str
    name: str
    stars: int | None
    price: int | None  # đồng: the lowest price a buyer can take
    price_varies: bool  # other packages cost more: shown as "from …"
    availability: str  # "in_stock" | "preorder" | "sold_out"
    commune: str  # "Xã Lục Ngạn"
    province: str  # "Bắc Ninh"
    cooperative: str
    image: str | None  # stem of the cover photo


def card_from_listing(listing: Listing) -> ListingCard:
    """Snapshot a listing loaded with card_loader_options()."""
    packages = listing.packages
    buyable = [p for p in packages if p.stock > 0 or p.preorder] or packages
    prices = {p.price for p in buyable}
    if any(p.stock > 0 for p in packages):
        availability = "in_stock"
    elif any(p.preorder for p in packages):
        availability = "preorder"
    else:
        availability = "sold_out"
    commune = listing.origin_commune
    return ListingCard(
        listing_id=listing.id,
        slug=listing.slug,
        name=listing.name,
        stars=listing.certificate.stars if listing.certificate else None,
        price=min(prices) if prices else None,
        price_varies=len(prices) > 1,
        availability=availability,
        commune=commune.name,
        province=commune.parent.short_name if commune.parent else "",
        cooperative=listing.cooperative.legal_name,
        image=listing.images[0].filename if listing.images else None,
    )


class CardCache:
    """Cards and their rendered HTML for one catalog version, in this process."""

    def __init__(self) -> None:
        self.version: object = None
        self.cards: OrderedDict[int, ListingCard] = OrderedDict()
        self.hidden: set[int] = set()  # asked for (a stale index hit) and not public
        self.rendered: OrderedDict[tuple, Markup] = OrderedDict()
        self.fragments: OrderedDict[tuple, Markup] = OrderedDict()
        self.pages: OrderedDict[tuple, Markup] = OrderedDict()

    def at(self, version: object) -> CardCache:
        if version != self.version:
            self.version = version
            self.cards.clear()
            self.hidden.clear()
            self.rendered.clear()
            self.fragments.clear()
            self.pages.clear()
        return self


def _cache() -> CardCache:
    from storefront.domain.catalog.version import current

    cache = current_app.extensions.setdefault("listing_cards", CardCache())
    return cache.at((current(), clock.today()))


def public_cards(ids: list[int]) -> list[ListingCard]:
    """Cards of the public ones among `ids`, in order: no query when they are cached under
    the current catalog version, the public ones of the others loaded in one go."""
    from storefront.domain.catalog.queries import public_listings_by_ids

    if not ids:
        return []
    cache = _cache()
    missing = [i for i in ids if i not in cache.cards and i not in cache.hidden]
    if missing:
        loaded = {listing.id: listing for listing in public_listings_by_ids(missing)}
        for listing_id in missing:
            if listing_id in loaded:
                cache.cards[listing_id] = card_from_listing(loaded[listing_id])
            else:
                cache.hidden.add(listing_id)
        while len(cache.cards) > MAX_CARDS:
            cache.cards.popitem(last=False)
        if len(cache.hidden) > MAX_CARDS:
            cache.hidden.clear()
    return [cache.cards[i] for i in ids if i in cache.cards]


def as_card(item: ListingCard | Listing) -> ListingCard:
    """A card for the template: cards pass through, loaded listings are snapshotted."""
    return item if isinstance(item, ListingCard) else card_from_listing(item)


def cards_of(listings: list[Listing]) -> list[ListingCard]:
    """Cards of listings already loaded (and already known to be public)."""
    return [card_from_listing(listing) for listing in listings]


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


_LIMITS = {"fragments": MAX_FRAGMENTS, "pages": MAX_PAGES}


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
