"""Catalog search behind a narrow interface; views never see the engine (Whoosh) underneath.

    index_listings(ids)      bring listings in line with the database: public → (re)indexed,
                             anything else → removed
    remove_listings(ids)     take listings out of the index
    reindex_all(progress)    rebuild the index from every public listing
    search(SearchQuery)      one page of listing ids, the total, facets and a suggestion

Commits that touch a listing, its packages, photos, certificate or cooperative re-index the
affected listings on their own (storefront.search.sync). Views still re-check the hits with
storefront.domain.catalog.visibility.public_listing_ids: the index may lag a commit, never the rule.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable

from flask import Flask, current_app
from sqlalchemy.orm import Session

from storefront.core import clock
from storefront.extensions import db
from storefront.search.documents import iter_public_documents, load_documents
from storefront.search.query import PRICE_BUCKETS, SORTS, ListingDocument, SearchQuery, SearchResult
from storefront.search.whoosh_engine import WhooshSearchIndex

__all__ = [
    "PRICE_BUCKETS",
    "SORTS",
    "ListingDocument",
    "SearchQuery",
    "SearchResult",
    "index_generation",
    "index_listings",
    "init_app",
    "reindex_all",
    "remove_listings",
    "search",
]

EXTENSION = "search"


def init_app(app: Flask) -> None:
    """Open (or create) the index in SEARCH_INDEX_DIR and install the commit hooks."""
    from storefront.search import sync

    directory = app.config.get("SEARCH_INDEX_DIR") or os.path.join(app.instance_path, "search")
    app.extensions[EXTENSION] = WhooshSearchIndex(
        directory,
        write_timeout=float(app.config.get("SEARCH_WRITE_TIMEOUT", 2.0)),
        cache_size=int(app.config.get("SEARCH_CACHE_SIZE", 256)),
    )
    sync.install()


def engine() -> WhooshSearchIndex:
    """The current app's index."""
    return current_app.extensions[EXTENSION]


def _load_public(listing_ids: set[int]) -> dict[int, ListingDocument]:
    """Documents of the public ones among `listing_ids`, read in a session of their own.

    A fresh session sees what is committed now, and never disturbs the caller's transaction
    (this runs inside after_commit, when the caller's session cannot emit SQL).
    """
    with Session(bind=db.engine) as session:
        return load_documents(session, listing_ids, clock.today())


def index_listings(listing_ids: Iterable[int]) -> None:
    """Re-index these listings: public ones are added or updated, the others removed."""
    ids = {int(i) for i in listing_ids}
    if ids:
        engine().apply(ids, _load_public)


def remove_listings(listing_ids: Iterable[int]) -> None:
    """Take these listings out of the index."""
    engine().remove(int(i) for i in listing_ids)


def reindex_all(progress: Callable[[int], None] | None = None) -> int:
    """Rebuild the index from scratch with every public listing; returns how many.

    `progress` is called with the number of listings of each batch as it is indexed.
    Readers see the old index until the new one is committed whole.
    """
    index = engine()
    with Session(bind=db.engine) as session:
        count = index.rebuild(iter_public_documents(session, clock.today()), progress)
    # Commits made while the rebuild held the lock were queued; apply them now.
    index.drain(_load_public, timeout=index.write_timeout)
    return count


def index_generation() -> int:
    """The index's committed generation (a directory listing): it moves on with every write,
    so it is part of the catalog version (storefront/catalog_version.py)."""
    return engine().generation()


def search(query: SearchQuery) -> SearchResult:
    """One page of public listings matching `query` (ids only: the caller loads the rows)."""
    index = engine()
    index.drain_if_due(_load_public)
    return index.search(query, clock.today())
