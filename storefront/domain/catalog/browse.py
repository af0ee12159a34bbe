"""One catalog page: search the index, load the hits for cards, label the facets."""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy import select

from storefront.core.formatting import shown_sold
from storefront.core.text import unit_sort_key
from storefront.domain.catalog.cards import ListingCard, public_cards
from storefront.domain.catalog.params import CatalogParams
from storefront.extensions import db
from storefront.models import AdminUnit, Cooperative, Era, Level, Listing
from storefront.search import Explanation, SearchQuery, search
from storefront.search import explain as explain_search

MAX_COOPERATIVE_FACETS = 12


@dataclass
class FacetValue:
    value: int
    label: str
    count: int
    selected: bool


@dataclass
class CatalogPage:
    cards: list[ListingCard]
    total: int
    page: int
    per_page: int
    suggestion: str | None
    params: CatalogParams
    corrected: str | None = None  # nothing matched the text: these are the results of this one
    raw_facets: dict[str, dict[int, int]] = field(default_factory=dict)
    # `total` and the facets' counts are estimates (a broad search: SearchResult.estimated);
    # the page says "about" shown_total and shows no facet counts.
    estimated: bool = False
    # Filters that left nothing: how many products the text matches without them.
    unfiltered: int = 0

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def shown_total(self) -> int:
        return shown_total(self.total, self.estimated)

    @cached_property
    def facets(self) -> dict[str, list[FacetValue]]:
        """Facet values with their labels; computed only when the facets are rendered (a cached
        page fragment never asks, and so never runs the label query)."""
        return label_facets(self.raw_facets, self.params)


_UNIT_NAMES: dict[Level, dict[int, str]] = {}


def _unit_names(level: Level) -> dict[int, str]:
    """Current provinces/communes by code, cached per process: reference data is fixed for the
    pinned vietnam-provinces release, so every server computes the same map."""
    if level not in _UNIT_NAMES:
        rows = db.session.execute(
            select(AdminUnit.code, AdminUnit.name).where(
                AdminUnit.era == Era.CURRENT, AdminUnit.level == level
            )
        ).all()
        if not rows:
            return {}
        _UNIT_NAMES[level] = dict(rows)
    return _UNIT_NAMES[level]


def _facet(
    counts: dict[int, int], selected: list[int], label: Callable[[int], str]
) -> list[FacetValue]:
    # A chosen value stays listed (checked, with its chip) even when nothing matches it with
    # the other filters on: the index counts only what matches, and the shopper must be able
    # to take the filter off again.
    counts = {**counts, **{value: counts.get(value, 0) for value in selected}}
    return [
        FacetValue(value, label(value), count, value in selected)
        for value, count in counts.items()
        if count or value in selected
    ]


def _query(
    params: CatalogParams, sort: str, page: int = 1, per_page: int = 24, facets: bool = True
) -> SearchQuery:
    return SearchQuery(
        text=params.text,
        groups=params.groups,
        stars=params.stars,
        province_codes=params.province_codes,
        commune_codes=params.commune_codes,
        cooperative_ids=params.cooperative_ids,
        price_min=params.price_min,
        price_max=params.price_max,
        rating_bands=params.rating_bands,
        sort=sort,
        page=page,
        per_page=per_page,
        facets=facets,
        # The cooperative facet shows a dozen of thousands: the index reads no more.
        top_cooperatives=MAX_COOPERATIVE_FACETS,
        exact=params.exact,
    )


def browse(params: CatalogParams, per_page: int) -> CatalogPage:
    result = search(_query(params, sort=params.sort, page=params.page, per_page=per_page))
    return CatalogPage(
        cards=public_cards(result.ids),
        total=result.total,
        page=params.page,
        per_page=per_page,
        suggestion=result.suggestion,
        params=params,
        corrected=result.corrected,
        raw_facets=result.facets,
        estimated=result.estimated,
        unfiltered=result.unfiltered,
    )


def explain_page(params: CatalogParams, per_page: int) -> Explanation:
    """Why the catalog page for `params` ranks its products as it does (development only:
    see storefront.search.explain_enabled): the same search as browse, explained."""
    return explain_search(_query(params, sort=params.sort, page=params.page, per_page=per_page))


def count_matching(params: CatalogParams) -> tuple[int, bool]:
    """How many public listings the catalog page for `params` lists on all its pages (the
    filter sheet's "show 23 products"): the search index alone, no facets, no rows loaded.
    With True when that is an estimate, already rounded as CatalogPage.shown_total."""
    # Sort and page do not change the total: one cached index entry serves every sort.
    result = search(_query(params, sort="newest", per_page=1, facets=False))
    return shown_total(result.total, result.estimated), result.estimated


def shown_total(total: int, estimated: bool) -> int:
    """A total as the catalog says it: an estimate (SearchResult.estimated) rounded down as
    shops round counts, "about" that many; an exact one as it is."""
    return shown_sold(total) if estimated else total


def label_facets(
    facets: dict[str, dict[int, int]], params: CatalogParams
) -> dict[str, list[FacetValue]]:
    labelled: dict[str, list[FacetValue]] = {}
    labelled["group"] = sorted(
        _facet(facets.get("group", {}), params.groups, str), key=lambda f: f.value
    )
    labelled["stars"] = sorted(
        _facet(facets.get("stars", {}), params.stars, str), key=lambda f: -f.value
    )
    provinces = _unit_names(Level.PROVINCE)
    labelled["province"] = sorted(
        _facet(facets.get("province", {}), params.province_codes, lambda c: provinces.get(c, "?")),
        key=lambda f: (-f.count, unit_sort_key(f.label)),
    )
    if "commune" in facets and (params.province_codes or params.commune_codes):
        communes = _unit_names(Level.COMMUNE)
        labelled["commune"] = sorted(
            _facet(facets["commune"], params.commune_codes, lambda c: communes.get(c, "?")),
            key=lambda f: (-f.count, unit_sort_key(f.label)),
        )
    # The most frequent few of the cooperatives (the search already cut the facet to them,
    # SearchQuery.top_cooperatives, and the chosen ones): a bounded heap, not a full sort.
    coop_counts = {
        coop_id: -negative
        for negative, coop_id in heapq.nsmallest(
            MAX_COOPERATIVE_FACETS,
            ((-count, coop_id) for coop_id, count in facets.get("cooperative", {}).items()),
        )
    }
    for coop_id in params.cooperative_ids:
        coop_counts.setdefault(coop_id, facets.get("cooperative", {}).get(coop_id, 0))
    names = (
        dict(
            db.session.execute(
                select(Cooperative.id, Cooperative.legal_name).where(
                    Cooperative.id.in_(coop_counts)
                )
            ).all()
        )
        if coop_counts
        else {}
    )
    labelled["cooperative"] = sorted(
        _facet(coop_counts, params.cooperative_ids, lambda i: names.get(i, "?")),
        key=lambda f: (-f.count, f.label),
    )
    return labelled


def newest_cards(limit: int) -> tuple[list[ListingCard], int]:
    """The newest public listings' cards and how many public listings there are."""
    result = search(SearchQuery(sort="newest", per_page=limit, facets=False))
    return public_cards(result.ids), result.total


def related_cards(listing: Listing, limit: int = 4) -> list[ListingCard]:
    """Other public products of the same cooperative, then of the same origin commune.

    Asked of the search index (cached) rather than the database; public_cards re-checks them.
    """
    ids: list[int] = []
    for query in (
        SearchQuery(
            cooperative_ids=[listing.cooperative_id],
            sort="newest",
            per_page=limit + 1,
            facets=False,
        ),
        SearchQuery(
            commune_codes=[listing.origin_commune.code],
            sort="newest",
            per_page=limit + 1,
            facets=False,
        ),
    ):
        ids += [i for i in search(query).ids if i != listing.id and i not in ids]
    return public_cards(ids[:limit])
