"""A listing's rating summary (ListingStats: count, sum, 1–5 histogram of its visible
reviews), moved in the unit of work of every change that moves it.

Helpers only: they add and flush, the caller's unit of work commits. Each change is an ORM
UPDATE of the listing's row (`listing_stats.listing_id == id`), created first if missing, so
the catalog's change hooks (domain/catalog/changes.py) see which listing changed; a change that
moves no figure (an edited text, an answer) still touches `updated_at`, so cached pages that
show reviews move on too.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from storefront.domain.catalog.stats import ensure_rows
from storefront.extensions import db
from storefront.models import ListingStats, utcnow

RATING_COLUMNS = {n: getattr(ListingStats, f"rating_{n}") for n in range(1, 6)}


def _update(listing_id: int, values: dict[Any, Any]) -> None:
    ensure_rows([listing_id])  # two first reviews at once: one row
    db.session.execute(
        update(ListingStats)
        .where(ListingStats.listing_id == listing_id)
        .values({ListingStats.updated_at: utcnow(), **values})
        .execution_options(synchronize_session=False)
    )


def count_rating(listing_id: int | None, rating: int, delta: int) -> None:
    """Add (delta 1) or take away (delta -1) one visible review of `rating` stars."""
    if listing_id is None:  # the listing was deleted: nothing shows it
        return
    column = RATING_COLUMNS[rating]
    _update(
        listing_id,
        {
            ListingStats.rating_count: ListingStats.rating_count + delta,
            ListingStats.rating_sum: ListingStats.rating_sum + delta * rating,
            column: column + delta,
        },
    )


def change_rating(listing_id: int | None, old: int, new: int) -> None:
    """A visible review's stars changed from `old` to `new`."""
    if listing_id is None:
        return
    if old == new:
        touch(listing_id)
        return
    old_column, new_column = RATING_COLUMNS[old], RATING_COLUMNS[new]
    _update(
        listing_id,
        {
            ListingStats.rating_sum: ListingStats.rating_sum + (new - old),
            old_column: old_column - 1,
            new_column: new_column + 1,
        },
    )


def touch(listing_id: int | None) -> None:
    """What shoppers see of the listing's reviews changed, not its figures."""
    if listing_id is not None:
        _update(listing_id, {})
