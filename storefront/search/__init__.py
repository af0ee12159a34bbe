"""Catalog search behind a narrow interface; views never see the engine (Whoosh) underneath.

    index_listings(ids)      bring listings in line with the database: public → (re)indexed,
                             anything else → removed
    remove_listings(ids)     take listings out of the index
    reindex_all(progress)    rebuild the index from every public listing
    search(SearchQuery)      one page of listing ids, the total, facets and a suggestion
    explain(SearchQuery)     the same search with each result's score taken apart (development)

    catalog_changed(changes) re-index what a committed catalog change touched: create_app
                             subscribes it to storefront.domain.catalog.changes

Views still re-check the hits with storefront.domain.catalog.visibility.public_listing_ids: the
index may lag a commit, never the rule.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from typing import Protocol

from flask import Flask, current_app
from sqlalchemy.orm import Session

from storefront.core import clock
from storefront.extensions import db
from storefront.search.documents import iter_public_documents, load_documents
from storefront.search.explain import ExplainedHit, Explanation
from storefront.search.query import PRICE_BUCKETS, SORTS, ListingDocument, SearchQuery, SearchResult
from storefront.search.whoosh_engine import WhooshSearchIndex

__all__ = [
    "PRICE_BUCKETS",
    "SORTS",
    "ExplainedHit",
    "Explanation",
    "ListingDocument",
    "SearchQuery",
    "SearchResult",
    "catalog_changed",
    "explain",
    "explain_enabled",
    "index_generation",
    "index_listings",
    "init_app",
    "reindex_all",
    "remove_listings",
    "search",
    "words_starting",
]

EXTENSION = "search"

logger = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    """Open (or create) the index in SEARCH_INDEX_DIR."""
    directory = app.config.get("SEARCH_INDEX_DIR") or os.path.join(app.instance_path, "search")
    app.extensions[EXTENSION] = WhooshSearchIndex(
        directory,
        write_timeout=float(app.config.get("SEARCH_WRITE_TIMEOUT", 2.0)),
        cache_size=int(app.config.get("SEARCH_CACHE_SIZE", 256)),
    )


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
    so it is part of the catalog version (storefront/domain/catalog/version.py)."""
    return engine().generation()


class CatalogChanges(Protocol):
    def affected_listing_ids(self) -> set[int]: ...


def catalog_changed(changes: CatalogChanges) -> None:
    """After a commit that changed the catalog: re-index the listings it touched (subscribed
    to storefront.domain.catalog.changes by create_app). Never raises: the commit is done."""
    try:
        if not current_app.config.get("SEARCH_AUTO_INDEX", True):
            return
        if EXTENSION not in current_app.extensions:  # an app built without search.init_app
            return
        index_listings(changes.affected_listing_ids())
    except Exception:
        # The database is right and the index may lag: `flask search reindex` repairs it,
        # and views re-check every hit against the visibility rule meanwhile.
        logger.exception("search: re-indexing after commit failed")


def search(query: SearchQuery) -> SearchResult:
    """One page of public listings matching `query` (ids only: the caller loads the rows)."""
    index = engine()
    index.drain_if_due(_load_public)
    return index.search(query, clock.today())


def explain(query: SearchQuery) -> Explanation:
    """The search of `query` with how it was understood, which matching pass produced its
    results and each result's score taken apart (never cached). For developers: the flag
    of /search (see explain_enabled) and `flask search explain`."""
    index = engine()
    index.drain_if_due(_load_public)
    return index.explain(query, clock.today())


def explain_enabled() -> bool:
    """True when /search may explain its ranking (`?explain=1`): in debug mode, or with
    SEARCH_EXPLAIN set. Off in production."""
    return bool(current_app.debug or current_app.config.get("SEARCH_EXPLAIN"))


def words_starting(folded: str) -> list[str]:
    """Indexed name and product words that begin with this folded word, other than the word
    itself (at most a dozen, alphabetical): the suggestions complete a last, unfinished word."""
    return engine().words_starting(folded)
