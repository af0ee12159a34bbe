"""Catalog search behind a narrow interface; views never see the engine underneath: Whoosh
in a folder (SEARCH_BACKEND=whoosh, the default) or tables in PostgreSQL (=postgres).

    index_listings(ids)      bring listings in line with the database: public → (re)indexed,
                             anything else → removed
    remove_listings(ids)     take listings out of the index
    reindex_all(progress)    rebuild the index from every public listing
    search(SearchQuery)      one page of listing ids, the total, facets and a suggestion
    explain(SearchQuery)     the same search with each result's score taken apart (development)

    catalog_changing(session, changes)
                             before a catalog commit, in its transaction: the PostgreSQL
                             engine writes the rows of the listings it touched (Whoosh: nothing)
    catalog_changed(changes) after the commit: Whoosh re-indexes what it touched (create_app
                             subscribes both to storefront.domain.catalog.changes)

Views still re-check the hits with storefront.domain.catalog.visibility.public_listing_ids: the
index may lag a commit, never the rule.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Protocol

from flask import Flask, current_app
from sqlalchemy import ColumnElement, Connection, select
from sqlalchemy.orm import Session

from storefront.core import clock, replica
from storefront.extensions import db
from storefront.models import SearchState
from storefront.search.documents import iter_public_documents, load_documents
from storefront.search.engine import SearchEngine
from storefront.search.explain import ExplainedHit, Explanation
from storefront.search.postgres_engine import EXACT_COUNTS_UP_TO, PostgresSearchIndex
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
    "catalog_changing",
    "generation_in_database",
    "index_generation",
    "index_listings",
    "init_app",
    "reindex_all",
    "remove_listings",
    "search",
    "words_starting",
]

EXTENSION = "search"
# PostgresSearchIndex.generation() as an expression: the one row of search_state.
_GENERATION_SQL: ColumnElement[int] = (
    select(SearchState.generation).where(SearchState.id == 1).scalar_subquery()
)

logger = logging.getLogger(__name__)


BACKENDS = ("whoosh", "postgres")


def init_app(app: Flask) -> None:
    """Open the engine SEARCH_BACKEND names: the Whoosh index in SEARCH_INDEX_DIR (created if
    missing), or the search tables of the PostgreSQL database."""
    backend = app.config.get("SEARCH_BACKEND") or "whoosh"
    if backend not in BACKENDS:
        raise RuntimeError(f"SEARCH_BACKEND must be one of {', '.join(BACKENDS)}, not {backend!r}")
    if backend == "postgres":
        uri = str(app.config.get("SQLALCHEMY_DATABASE_URI") or "")
        if not uri.startswith("postgresql"):
            raise RuntimeError(
                "SEARCH_BACKEND=postgres needs a PostgreSQL database (SQLALCHEMY_DATABASE_URI / "
                "DATABASE_URL is not postgresql://...); use SEARCH_BACKEND=whoosh with SQLite"
            )
        # Reads (searches, suggestions, the generation) on the read replica when there is one
        # (DATABASE_REPLICA_URL, core/replica.py: the primary right after a write); writes
        # always on the primary, in the listing's own transaction.
        reads = (
            replica.read_connection
            if app.extensions.get(replica.EXTENSION) is not None
            else _session_connection
        )
        app.extensions[EXTENSION] = PostgresSearchIndex(
            reads,
            _own_transaction,
            _autocommit,
            exact_counts_up_to=int(app.config.get("SEARCH_EXACT_COUNTS_UP_TO", EXACT_COUNTS_UP_TO)),
        )
        return
    directory = app.config.get("SEARCH_INDEX_DIR") or os.path.join(app.instance_path, "search")
    app.extensions[EXTENSION] = WhooshSearchIndex(
        directory,
        write_timeout=float(app.config.get("SEARCH_WRITE_TIMEOUT", 2.0)),
        cache_size=int(app.config.get("SEARCH_CACHE_SIZE", 256)),
    )


@contextmanager
def _session_connection() -> Iterator[Connection]:
    """The request's own connection (no second one from the pool for a search)."""
    yield db.session.connection()


@contextmanager
def _own_transaction() -> Iterator[Connection]:
    with db.engine.begin() as connection:
        yield connection


@contextmanager
def _autocommit() -> Iterator[Connection]:
    with db.engine.connect() as connection:
        yield connection.execution_options(isolation_level="AUTOCOMMIT")


def engine() -> SearchEngine:
    """The current app's search engine."""
    return current_app.extensions[EXTENSION]


def _load_in(session: Session, listing_ids: set[int]) -> dict[int, ListingDocument]:
    return load_documents(session, listing_ids, clock.today())


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


def generation_in_database() -> ColumnElement[int] | None:
    """The index's generation as a SQL expression when the index is tables of the app's own
    database (PostgreSQL), so the catalog version reads it in its own statement; else None."""
    return _GENERATION_SQL if isinstance(engine(), PostgresSearchIndex) else None


def index_generation() -> int:
    """The index's committed generation (Whoosh: a directory listing; PostgreSQL: the row of
    search_state): it moves on with every write, so it is part of the catalog version
    (storefront/domain/catalog/version.py)."""
    return engine().generation()


class CatalogChanges(Protocol):
    def affected_listing_ids(self, session: Session | None = None) -> set[int]: ...


def catalog_changing(session: Session, changes: CatalogChanges) -> None:
    """Before a commit that changes the catalog, inside its transaction: an engine whose
    index lives in the database (PostgreSQL) writes the listings it touched, so the index
    commits, or rolls back, with the change. An error here fails the commit."""
    if not current_app.config.get("SEARCH_AUTO_INDEX", True):
        return
    index = current_app.extensions.get(EXTENSION)
    if index is None or not getattr(index, "in_transaction", False):
        return
    index.write_in_transaction(session, changes.affected_listing_ids(session), _load_in)


def catalog_changed(changes: CatalogChanges) -> None:
    """After a commit that changed the catalog: re-index the listings it touched (subscribed
    to storefront.domain.catalog.changes by create_app). Never raises: the commit is done."""
    try:
        if not current_app.config.get("SEARCH_AUTO_INDEX", True):
            return
        index = current_app.extensions.get(EXTENSION)
        if index is None:  # an app built without search.init_app
            return
        if getattr(index, "in_transaction", False):  # written before the commit already
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
    if not isinstance(index, WhooshSearchIndex):
        raise RuntimeError("explaining a ranking needs SEARCH_BACKEND=whoosh")
    index.drain_if_due(_load_public)
    return index.explain(query, clock.today())


def explain_enabled() -> bool:
    """True when /search may explain its ranking (`?explain=1`): in debug mode, or with
    SEARCH_EXPLAIN set, on the Whoosh backend. Off in production."""
    if not isinstance(engine(), WhooshSearchIndex):  # the Whoosh engine's tool only
        return False
    return bool(current_app.debug or current_app.config.get("SEARCH_EXPLAIN"))


def words_starting(folded: str) -> list[str]:
    """Indexed name and product words that begin with this folded word, other than the word
    itself (at most a dozen, alphabetical): the suggestions complete a last, unfinished word."""
    return engine().words_starting(folded)
