"""What a search asks for and what it answers: plain dataclasses shared by every engine."""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

SORTS = ("relevance", "newest", "price_asc", "price_desc", "stars", "rating", "best_selling")
# Buyers' rating bands: an average shown as 4,0–4,9 is band 4, 5,0 band 5, none 0. "From 4
# rated" is bands (4, 5): a filter of values like the others, in both engines.
RATING_BANDS = range(0, 6)
MAX_PER_PAGE = 100
MAX_QUERY_LENGTH = 200  # characters; longer input is cut, not rejected

# Price facet buckets in đồng, lower bound inclusive, upper bound exclusive (None: no bound).
PRICE_BUCKETS: tuple[tuple[int, int | None], ...] = (
    (0, 100_000),
    (100_000, 200_000),
    (200_000, 500_000),
    (500_000, None),
)

FACETS = ("group", "stars", "province", "cooperative", "price")


def price_bucket(price: int) -> int:
    """Index into PRICE_BUCKETS of a price in đồng."""
    for index, (_low, high) in enumerate(PRICE_BUCKETS):
        if high is None or price < high:
            return index
    return len(PRICE_BUCKETS) - 1


def _ints(values: Sequence[int] | None) -> tuple[int, ...]:
    """Sorted distinct ints: a filter is a set, and a sorted tuple makes it a cache key."""
    return tuple(sorted({int(v) for v in values or ()}))


@dataclass
class SearchQuery:
    """A catalog search. Empty text means "every public listing", refined by the filters.

    Filters of one kind are OR-ed (groups=[1, 2] is food or drinks), different kinds AND-ed.
    """

    text: str = ""  # free text, Vietnamese with or without diacritics
    groups: Sequence[int] = ()  # OCOP group 1..6 (Listing.ocop_group)
    stars: Sequence[int] = ()  # 3, 4, 5 (certificate.stars)
    province_codes: Sequence[int] = ()  # current province code of the origin commune
    commune_codes: Sequence[int] = ()  # current commune code of the origin
    cooperative_ids: Sequence[int] = ()
    price_min: int | None = None  # đồng, on the listing's lowest buyable package price
    price_max: int | None = None  # inclusive
    rating_bands: Sequence[int] = ()  # buyers' average rating as shown, floored: 4 is 4,0–4,9
    sort: str = "relevance"  # one of SORTS (rating: buyers' average; best_selling: sold)
    page: int = 1
    per_page: int = 24
    facets: bool = True  # False: ids only (related products), cheaper on a big catalog
    # The cooperative facet as a page shows it: its this many most frequent values (then the
    # lowest ids) and the chosen ones (cooperative_ids), not thousands; 0: every value.
    top_cooperatives: int = 0
    exact: bool = False  # True: never run a corrected query instead of the text typed
    # False: the caller shows no count (suggestions), so `total` may stop at
    # counted_at_least(self) (SearchResult.total says exactly what it then is).
    count: bool = True

    def normalized(self) -> SearchQuery:
        """A copy with clamped paging, a known sort, sorted filter tuples and trimmed text."""
        return SearchQuery(
            text=" ".join((self.text or "").split())[:MAX_QUERY_LENGTH],
            groups=_ints(self.groups),
            stars=_ints(self.stars),
            province_codes=_ints(self.province_codes),
            commune_codes=_ints(self.commune_codes),
            cooperative_ids=_ints(self.cooperative_ids),
            price_min=None if self.price_min is None else max(0, int(self.price_min)),
            price_max=None if self.price_max is None else max(0, int(self.price_max)),
            rating_bands=_ints(self.rating_bands),
            sort=self.sort if self.sort in SORTS else "relevance",
            page=max(1, int(self.page or 1)),
            per_page=min(MAX_PER_PAGE, max(1, int(self.per_page or 1))),
            facets=bool(self.facets),
            top_cooperatives=max(0, int(self.top_cooperatives or 0)),
            exact=bool(self.exact),
            count=bool(self.count),
        )

    def cache_key(self) -> tuple:
        """A hashable identity of a normalized query."""
        return (
            self.text,
            tuple(self.groups),
            tuple(self.stars),
            tuple(self.province_codes),
            tuple(self.commune_codes),
            tuple(self.cooperative_ids),
            self.price_min,
            self.price_max,
            tuple(self.rating_bands),
            self.sort,
            self.page,
            self.per_page,
            self.facets,
            self.top_cooperatives,
            self.exact,
            self.count,
        )


# Fewer hits than this with the words as typed: description words (attributes) and the
# words a short last word begins are searched too (both engines).
FEW_RESULTS = 5


def counted_at_least(query: SearchQuery) -> int:
    """How far a search with SearchQuery.count False still counts: to the page's last hit,
    and past FEW_RESULTS (whether a search relaxes depends on it)."""
    return max(query.page * query.per_page, FEW_RESULTS)


def cut_cooperative_facet(
    counts: dict[int, int], top: int, chosen: Sequence[int] = ()
) -> dict[int, int]:
    """The cooperative facet cut as SearchQuery.top_cooperatives says: the `top` most frequent
    values (most listings first, then the lowest id) and the chosen ones it counts; `top` 0
    keeps every value. Both engines answer with this, so they give the same facets."""
    if not top or len(counts) <= top:
        return counts
    # The count of the top-th, then the few values reaching it in order (a heap of plain
    # ints and a small sort: a key function over 12,500 values cost ten times more).
    least = heapq.nlargest(top, counts.values())[-1]
    reaching = sorted((-count, value) for value, count in counts.items() if count >= least)
    kept = {value: -negative for negative, value in reaching[:top]}
    kept.update((value, counts[value]) for value in chosen if value in counts)
    return kept


@dataclass
class SearchResult:
    """One page of hits.

    `facets` maps "group", "stars", "province", "cooperative" and "price" (an index into
    PRICE_BUCKETS) to {value: count}. Each facet counts every match of the text with the
    *other* filters applied (disjunctive faceting), so ticking "4 stars" still shows how many
    3- and 5-star listings there are. A "commune" facet is added when the query filters on a
    province or commune.
    """

    ids: list[int]  # listing ids of this page, in order
    # Matching listings on all pages. With SearchQuery.count False an engine may stop
    # counting at counted_at_least(query): `total` is then at most the true count and at
    # least the smaller of it and that.
    total: int
    facets: dict[str, dict[int, int]] = field(default_factory=dict)
    suggestion: str | None = None  # "did you mean" text when a query word is unknown
    # When nothing matched the text typed, the corrected text whose results these are
    # ("Showing results for …"); the page links to the exact search (SearchQuery.exact).
    corrected: str | None = None
    page: int = 1
    per_page: int = 24
    # True when `total` and the facets' counts are estimates: a broad search's, counted on
    # a sample of its matches and scaled (PostgreSQL engine, past EXACT_COUNTS_UP_TO). The
    # hits are exact whatever this says.
    estimated: bool = False
    # With filters that left nothing: how many listings the text matched whatever the
    # filters. 0 otherwise.
    unfiltered: int = 0

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True, slots=True)
class ListingDocument:
    """What the index knows about one public listing; built from the database in bulk."""

    listing_id: int
    name: str
    product_name: str  # as certified
    cooperative_id: int
    cooperative_name: str
    ocop_group: int
    stars: int
    province_code: int  # current province of the origin commune
    commune_code: int  # current origin commune
    place_names: tuple[str, ...]  # current and pre-2025 commune, district and province names
    description: str
    price: int  # lowest buyable package price, đồng
    created_at: datetime
    expires_on: date  # certificate expiry: hits are filtered on it at query time
    stock: int = 1  # packages in stock now (0: pre-order only); ranks equal matches
    name_en: str = ""  # the seller's optional English name: found by English queries
    summary_en: str = ""  # the optional English short description
    # Buyers' ratings and sales as a shopper sees them (ListingStats, rounded: a sale that
    # does not change what is shown does not re-index the listing).
    rating_tenths: int = 0  # the average as shown, in tenths (48: 4,8); 0 without ratings
    rating_count: int = 0
    sold: int = 0  # core.formatting.shown_sold of the sold count

    @property
    def rating_band(self) -> int:
        return self.rating_tenths // 10
