"""Product cards: plain, hashable snapshots of what a card shows, cached per catalog version.

A catalog page shows 24 cards; building them from ORM rows costs several queries and most of
the page's time. Cards change only when a listing, its packages, photos, certificate or
cooperative change, and every such commit moves the catalog version on
(domain/catalog/version.py), which every server reads from the database on each request.

A card is loaded with the visibility rule applied (so a stale search index can never show a
hidden listing) and cached under the catalog version and the date in Vietnam: while neither
moves, nothing that could hide the listing has happened, so a cached card is a public one.
Ids that were not public are remembered as such under the same key. When the version moves
on, the version's change log (catalog_changes, written in the transaction that moved it:
version.changes_between) says which listings the commits since changed: their cards (and
hidden ids) are dropped, the others kept, so the first page after a change reloads only
what changed. A change hiding a listing is logged like any other (a revoked certificate
logs its listings), so its card is gone on every process from the version that hid it; when
the log cannot say (another day, a gap, a version whose nonce is not the one this process
saw: the database emptied or restored, or not read yet), every card is dropped.

With REDIS_URL set, cards missing from this process are asked of the shared store
(core/shared_cache.py) in one round trip before the database, under the same key; they are
kept there as JSON of their plain fields (a hidden id as `null`), never pickled. Redis away:
they are loaded from the database as without it.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import asdict, dataclass

from flask import Flask, current_app

from storefront.core import clock
from storefront.core.formatting import rating_tenths, shown_sold
from storefront.core.shared_cache import SharedCache, shared_cache
from storefront.domain.catalog.queries import public_listings_by_ids
from storefront.domain.catalog.version import changes_between, current
from storefront.models import Listing, ListingStats

MAX_CARDS = 20_000


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
    name_en: str = ""  # optional English name and short description (the English UI's)
    summary_en: str = ""
    # Buyers' ratings (an opinion, never shown like the OCOP stars) and "Đã bán N": only
    # what a shopper sees, so a card changes exactly when changes.py says the catalog does.
    rating_count: int = 0
    rating_tenths: int = 0  # the average as shown, in tenths: 48 is "4,8"
    sold: int = 0  # the sold count as shown (stats.shown_sold)


def card_from_listing(listing: Listing, stats: ListingStats | None = None) -> ListingCard:
    """Snapshot a listing loaded with card_loader_options() (and its stats row, if any)."""
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
        image=photos[0].filename if (photos := listing.ready_images) else None,
        name_en=listing.name_en,
        summary_en=listing.summary_en,
        rating_count=stats.rating_count if stats else 0,
        rating_tenths=rating_tenths(stats.rating_sum, stats.rating_count) if stats else 0,
        sold=shown_sold(stats.sold_count) if stats else 0,
    )


EXTENSION = "listing_cards"


class CardCache:
    """The owner of the cards kept in this process, for one catalog version (init_app makes
    one per app; the rendered cards and pages are web/catalog_cache.py's)."""

    def __init__(self) -> None:
        self.key: object = None
        self.cards: OrderedDict[int, ListingCard] = OrderedDict()
        self.hidden: set[int] = set()  # asked for (a stale index hit) and not public
        # The nonce of the key's version in the change log, once read (None: unknown, and
        # the next version drops every card).
        self.nonce: int | None = None

    def at(self, key: object) -> CardCache:
        if key != self.key:
            changed, self.nonce = (
                _changed_between(self.key, key, self.nonce)
                if self.cards or self.hidden
                else (None, None)
            )
            if changed is None:
                self.cards.clear()
                self.hidden.clear()
            else:
                # Only the listings the commits since logged can show differently (or have
                # been hidden, or made public): every other card still stands.
                for listing_id in changed:
                    self.cards.pop(listing_id, None)
                    self.hidden.discard(listing_id)
            self.key = key
        return self


def _changed_between(
    old: object, new: object, nonce: int | None
) -> tuple[set[int] | None, int | None]:
    """The listings whose cards may differ under cache key `new` from under `old` (whose
    version's nonce is `nonce`): the version's change log between the two (an index
    generation alone changes no card); None for every card (no old key, another day, a log
    that cannot say). With the new version's nonce."""
    if not (isinstance(old, tuple) and isinstance(new, tuple)) or old[1:] != new[1:]:
        return None, None
    (old_version, _old_generation), (new_version, _new_generation) = old[0], new[0]
    if old_version == new_version:
        return set(), nonce
    return changes_between(old_version, new_version, nonce)


def catalog_cache_key() -> tuple[object, ...]:
    """What everything cached about the catalog is keyed by: the catalog version (moved on by
    every commit that changes what the catalog shows) and the date in Vietnam (certificates
    expire at midnight, with no commit)."""
    return (current(), clock.today())


def _cache() -> CardCache:
    cache: CardCache = current_app.extensions[EXTENSION]
    return cache.at(catalog_cache_key())


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = CardCache()


def public_cards(ids: list[int]) -> list[ListingCard]:
    """Cards of the public ones among `ids`, in order: no query when they are cached under
    the current catalog version, the public ones of the others loaded in one go."""
    if not ids:
        return []
    cache = _cache()
    missing = [i for i in ids if i not in cache.cards and i not in cache.hidden]
    shared = shared_cache() if missing else None
    if shared is not None:
        missing = _from_shared(shared, cache, missing)
    if missing:
        loaded = {
            listing.id: (listing, stats) for listing, stats in public_listings_by_ids(missing)
        }
        for listing_id in missing:
            if listing_id in loaded:
                cache.cards[listing_id] = card_from_listing(*loaded[listing_id])
            else:
                cache.hidden.add(listing_id)
        if shared is not None:
            shared.set_many(
                "card",
                (
                    ((cache.key, i), json.dumps(asdict(cache.cards[i]) if i in loaded else None))
                    for i in missing
                ),
            )
    while len(cache.cards) > MAX_CARDS:
        cache.cards.popitem(last=False)
    if len(cache.hidden) > MAX_CARDS:
        cache.hidden.clear()
    return [cache.cards[i] for i in ids if i in cache.cards]


def _from_shared(shared: SharedCache, cache: CardCache, ids: list[int]) -> list[int]:
    """Take what the shared store has of `ids` into this process's cache; the ids still
    missing. A stored value that is not a card's plain fields is a miss."""
    still_missing = []
    for listing_id, text in zip(
        ids, shared.get_many("card", [(cache.key, i) for i in ids]), strict=True
    ):
        if text is not None:
            try:
                fields = json.loads(text)
                if fields is None:
                    cache.hidden.add(listing_id)
                    continue
                card = ListingCard(**fields)
            except (ValueError, TypeError):
                pass
            else:
                if card.listing_id == listing_id:
                    cache.cards[listing_id] = card
                    continue
        still_missing.append(listing_id)
    return still_missing


def as_card(item: ListingCard | Listing) -> ListingCard:
    """A card for the template: cards pass through, loaded listings are snapshotted."""
    return item if isinstance(item, ListingCard) else card_from_listing(item)


def cards_of(listings: list[Listing]) -> list[ListingCard]:
    """Cards of listings already loaded (and already known to be public)."""
    return [card_from_listing(listing) for listing in listings]
