"""The one interface both search engines implement (storefront.search picks one by
SEARCH_BACKEND): Whoosh in a folder (whoosh_engine), or tables in PostgreSQL
(postgres_engine)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import Protocol

from sqlalchemy.orm import Session

from storefront.search.query import ListingDocument, SearchQuery, SearchResult

Loader = Callable[[set[int]], dict[int, ListingDocument]]
# Public listings among ids, read on the given session (the caller's transaction).
SessionLoader = Callable[[Session, set[int]], dict[int, ListingDocument]]


class SearchEngine(Protocol):
    """What storefront.search asks of an engine."""

    write_timeout: float
    in_transaction: bool  # True: writes inside catalog commits (write_in_transaction)

    def apply(self, listing_ids: Iterable[int], load: Loader, timeout: float | None = None) -> bool:
        """Bring these listings in line with the database (`load` gives the public ones)."""
        ...

    def remove(self, listing_ids: Iterable[int], timeout: float | None = None) -> bool:
        """Take these listings out whatever the database says."""
        ...

    def rebuild(
        self,
        batches: Iterable[Sequence[ListingDocument]],
        progress: Callable[[int], None] | None = None,
        timeout: float = 60.0,
    ) -> int:
        """Replace everything with these documents, atomically for readers."""
        ...

    def drain(self, load: Loader, timeout: float = 0.0) -> bool:
        """Apply queued updates now if there are any; True when nothing is left waiting."""
        ...

    def drain_if_due(self, load: Loader) -> None: ...

    def write_in_transaction(
        self, session: Session, listing_ids: set[int], load: SessionLoader
    ) -> bool:
        """Bring these listings in line inside `session`'s transaction, before its commit.
        Returns False when the engine cannot (its index is not in the database): it then
        hears of the change after the commit instead."""
        ...

    def generation(self) -> int:
        """A number that moves on with every write (part of the catalog version)."""
        ...

    def search(self, query: SearchQuery, today: date) -> SearchResult: ...

    def words_starting(self, folded: str) -> list[str]: ...

    def doc_count(self) -> int: ...

    def indexed_ids(self) -> set[int]: ...

    def close(self) -> None: ...
