"""Listing ids to suggest as a shopper types: the text as typed, then with its last word
completed to indexed words it begins ("mat o" → "mat ong"). Engine-agnostic: the caller
passes the search and the word completion (storefront.domain.catalog.suggest with the app's
index, bench/search_bench.py with its own)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from storefront.search.analysis import fold
from storefront.search.query import SearchQuery, SearchResult

COMPLETIONS = 3  # completions of the last word tried when the text alone finds too few


def suggestion_ids(
    text: str,
    limit: int,
    search: Callable[[SearchQuery], SearchResult],
    words_starting: Callable[[str], list[str]],
    filters: Mapping[str, Any] | None = None,
) -> list[int]:
    """Up to `limit` listing ids, best first (the caller re-checks visibility, so it may ask
    for a few more than it shows); `filters`: SearchQuery's filters to keep to ("stars",
    "price_max", ...)."""

    def run(query_text: str) -> list[int]:
        query = SearchQuery(
            text=query_text,
            per_page=limit,
            facets=False,
            exact=True,
            count=False,
            **(filters or {}),
        )
        return search(query).ids

    ids = run(text)
    typed = text.split()
    if len(ids) < limit and typed:
        head, last = " ".join(typed[:-1]), fold(typed[-1])
        for word in words_starting(last)[:COMPLETIONS]:
            ids += [i for i in run(f"{head} {word}".strip()) if i not in ids]
            if len(ids) >= limit:
                break
    return ids[:limit]
