"""Catalog changes: the one place that says which commits change what the catalog shows, and
what follows from them.

What counts as a catalog change (after_flush and on_orm_execute below):
- a listing, its packages (only what a shopper sees of them: see _SEEN_COLUMNS) or photos;
- the fields of its certificate and of its cooperative that the catalog shows or filters on
  (CERTIFICATE_FIELDS, COOPERATIVE_FIELDS): editing a cooperative's phone number must not
  re-index its hundreds of listings;
- what only a cooperative's page shows (COOPERATIVE_PAGE_FIELDS: its story and logo): the
  version moves on, nothing is re-indexed;
- a listing's stats (ListingStats), only when what a shopper sees of them changes: the
  ratings, or the rounded sold figure (stats.shown_sold: "Đã bán 1,2k"), like a package's
  shown stock, so a sale from 1 234 to 1 235 units keeps every cached page; the listing is
  re-indexed (the catalog sorts and filters on them);
- a review's shown fields (REVIEW_FIELDS: its text, rating, status, the cooperative's
  answer) or photos: the version moves on (the product and cooperative pages show them),
  nothing is re-indexed. A "helpful" vote is not one: its count on a cached page waits for
  the next change (the voter's own page updates in place, static/js/reviews.js).

What follows, from SQLAlchemy hooks on the Flask-SQLAlchemy session (installed by create_app):
1. before the commit, in the same transaction: the catalog version moves on
   (domain/catalog/version.py), so cached pages and fragments keyed by the old version are
   never used again, on any server, and the listings it touched are logged under the new
   version, so each server drops their cards (and only theirs); then the before-commit
   subscribers hear of it with the session (create_app subscribes
   storefront.search.catalog_changing: the PostgreSQL search backend writes its rows there,
   committed or rolled back with the change);
2. after the commit: every subscriber hears which listings changed. The search index is one
   (create_app subscribes storefront.search.catalog_changed): a revoked certificate, a
   suspended cooperative, a paused or sold-out listing leave the index right after their
   commit, and come back when they are public again.

A flush records which listings it touched (directly, through a package or photo, or through
their certificate or cooperative). Bulk ORM statements (``session.execute(update(Package)...)``,
as a stock decrement at checkout) are seen too; raw SQL and Core table statements are not:
after such a change call version.bump() in the same transaction and
storefront.search.index_listings() after it (or run `flask search reindex`).

Expiry needs no hook: nothing is committed when a certificate passes its date, every cache key
that depends on visibility holds the date in Vietnam, and searches filter on the indexed
expiry date.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from itertools import chain
from typing import Any, cast

from sqlalchemy import ColumnElement, Delete, RowMapping, Update, event, inspect, select
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, UOWTransaction

from storefront.core.db import begin_write
from storefront.domain.catalog import version
from storefront.domain.catalog.stats import RATING_COLUMNS, shown_sold
from storefront.extensions import db
from storefront.models import (
    Certificate,
    Cooperative,
    Listing,
    ListingImage,
    ListingStats,
    Package,
    Review,
    ReviewPhoto,
)

logger = logging.getLogger(__name__)

_INFO_KEY = "catalog_changes"

# Only these columns of a certificate or cooperative change what the index holds; editing a
# cooperative's phone number must not re-index its hundreds of listings.
CERTIFICATE_FIELDS = ("status", "stars", "expires_on", "product_name", "cooperative_id")
COOPERATIVE_FIELDS = ("status", "legal_name")
# Shown on the cooperative's page but not indexed: a change moves the catalog version on (its
# cached page) and re-indexes nothing.
COOPERATIVE_PAGE_FIELDS = ("description", "logo", "commune_id")
# What the product and cooperative pages show of a review (helpful_count is not: see above).
REVIEW_FIELDS = (
    "rating",
    "body",
    "author_name",
    "package_label",
    "status",
    "photo_count",
    "answer",
    "answered_at",
    "listing_id",
    "edited_at",
)


@dataclass
class Changes:
    """What the current transaction touched, resolved to listings after the commit
    (listing_ids(), read only when a subscriber asks)."""

    listing_ids: set[int] = field(default_factory=set)
    certificate_ids: set[int] = field(default_factory=set)
    cooperative_ids: set[int] = field(default_factory=set)
    # Packages a bulk UPDATE touched (the stock taken at checkout or put back on a
    # cancellation): {package id: (listing id, what a shopper saw before)}. Compared with the
    # database before the commit; only a visible difference counts, so a sale from 30 to 29
    # units re-indexes nothing and keeps every cached page. (A change made on a loaded
    # object always counts: its old value may be stale by the time it is written.)
    packages_seen: dict[int, tuple[int, tuple[object, ...]]] = field(default_factory=dict)
    # The same for listing stats a bulk UPDATE touched (a shipment's sold quantities):
    # {listing id: what a shopper saw before}.
    stats_seen: dict[int, tuple[object, ...]] = field(default_factory=dict)
    # Something only a cooperative's page shows changed (COOPERATIVE_PAGE_FIELDS): the
    # version moves on, no listing is touched.
    pages: bool = False
    # affected_listing_ids' answer, and what it was resolved from: read once per commit
    # (the version's change log, then the search index, ask the same).
    _resolved: tuple[tuple[frozenset[int], ...], set[int]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def __bool__(self) -> bool:
        return bool(self.listing_ids or self.certificate_ids or self.cooperative_ids or self.pages)

    def affected_listing_ids(self, session: Session | None = None) -> set[int]:
        """Every listing the changes touched (a certificate's or a cooperative's listings
        read on `session`, before the commit, or after it in a session of their own; once,
        unless more changes were recorded since)."""
        recorded = (
            frozenset(self.listing_ids),
            frozenset(self.certificate_ids),
            frozenset(self.cooperative_ids),
        )
        if self._resolved is None or self._resolved[0] != recorded:
            self._resolved = (recorded, resolve(self, session))
        return set(self._resolved[1])


Listener = Callable[[Changes], None]
_listeners: list[Listener] = []
BeforeCommitListener = Callable[[Session, Changes], None]
_before_commit_listeners: list[BeforeCommitListener] = []


def subscribe(listener: Listener) -> None:
    """Call `listener(changes)` after each commit that changed the catalog (once per process,
    however many apps are created). A listener must not raise: the commit is done."""
    if listener not in _listeners:
        _listeners.append(listener)


def subscribe_before_commit(listener: BeforeCommitListener) -> None:
    """Call `listener(session, changes)` before each commit that changes the catalog, inside
    its transaction (after the version moved on). What it writes commits with the change; if
    it raises, the commit fails."""
    if listener not in _before_commit_listeners:
        _before_commit_listeners.append(listener)


# What of a package a shopper can see anywhere (catalog, product page, search, cart): every
# column but the timestamps, with the stock as Package.shown_stock shows it.
_SEEN_COLUMNS = tuple(
    column.key
    for column in Package.__table__.columns
    if column.key not in ("id", "created_at", "updated_at")
)


def _seen(values: RowMapping) -> tuple[Any, ...]:
    return tuple(
        Package.shown_stock(values[key]) if key == "stock" else values[key] for key in _SEEN_COLUMNS
    )


# What a shopper sees of a listing's stats: the ratings and the rounded sold figure.
_STATS_COLUMNS = (*RATING_COLUMNS, "sold_count")


def _stats_seen(values: RowMapping) -> tuple[Any, ...]:
    return tuple(
        shown_sold(values[key] or 0) if key == "sold_count" else (values[key] or 0)
        for key in _STATS_COLUMNS
    )


def _stats_changed(obj: ListingStats, new: bool) -> bool:
    """Whether a flushed ListingStats shows differently: a new row of zeros does not; a
    changed value whose old value was not loaded always does."""
    if new:
        return any(getattr(obj, key) for key in _STATS_COLUMNS)
    state = inspect(obj)
    for key in _STATS_COLUMNS:
        history = state.attrs[key].history
        if not history.has_changes():
            continue
        if not history.deleted:
            return True
        before, after = history.deleted[0] or 0, (history.added or [0])[0] or 0
        if key == "sold_count":
            before, after = shown_sold(before), shown_sold(after)
        if before != after:
            return True
    return False


def _parameter_sets(state: ORMExecuteState) -> list[Mapping[str, Any]]:
    """The statement's parameters, as a list: several for a "bulk UPDATE by primary key"."""
    parameters = state.parameters
    if isinstance(parameters, list):
        return parameters
    return [parameters] if isinstance(parameters, Mapping) else []


def _where(state: ORMExecuteState) -> ColumnElement[Any] | None:
    """The WHERE clause of an UPDATE or DELETE (the hooks below see no other statement)."""
    return cast(Update | Delete, state.statement).whereclause


def _changes(session: Session) -> Changes:
    changes: Changes = session.info.setdefault(_INFO_KEY, Changes())
    return changes


def _values(obj: object, attribute: str) -> set[int]:
    """Old and new values of an attribute, without loading anything from the database."""
    history = inspect(obj).attrs[attribute].history
    return {v for v in history.sum() if v is not None}


def _changed(obj: object, attributes: tuple[str, ...]) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in attributes)


def after_flush(session: Session, flush_context: UOWTransaction) -> None:
    """Record the listings touched by this flush (history is still pre-flush here)."""
    changes = _changes(session)
    for obj in chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, Listing):
            changes.listing_ids |= _values(obj, "id")
        elif isinstance(obj, (Package, ListingImage)):
            changes.listing_ids |= _values(obj, "listing_id")
        elif isinstance(obj, Certificate):
            # A new certificate backs no listing until a listing points at it (and that
            # listing is then dirty itself).
            if obj not in session.new and _changed(obj, CERTIFICATE_FIELDS):
                changes.certificate_ids |= _values(obj, "id")
        elif isinstance(obj, Cooperative):
            if obj not in session.new and _changed(obj, COOPERATIVE_FIELDS):
                changes.cooperative_ids |= _values(obj, "id")
            elif obj not in session.new and _changed(obj, COOPERATIVE_PAGE_FIELDS):
                changes.pages = True
        elif isinstance(obj, ListingStats):
            if obj in session.deleted or _stats_changed(obj, obj in session.new):
                changes.listing_ids |= _values(obj, "listing_id")
        elif isinstance(obj, Review):
            if obj in session.new or obj in session.deleted or _changed(obj, REVIEW_FIELDS):
                changes.pages = True
        elif isinstance(obj, ReviewPhoto):
            changes.pages = True


def on_orm_execute(state: ORMExecuteState) -> None:
    """Record the rows a bulk ORM UPDATE or DELETE is about to touch.

    Costs one SELECT with the statement's own WHERE, only for statements on the tables
    search depends on (for packages, one more before the commit: _resolve_packages_seen).
    """
    if not (state.is_update or state.is_delete):
        return
    mapper = state.bind_mapper
    entity = mapper.class_ if mapper is not None else None
    if entity is Listing:
        column, target = Listing.id, "listing_ids"
    elif entity in (Package, ListingImage):
        column, target = entity.listing_id, "listing_ids"
    elif entity is Certificate:
        column, target = Certificate.id, "certificate_ids"
    elif entity is Cooperative:
        column, target = Cooperative.id, "cooperative_ids"
    elif entity is ListingStats:
        column, target = ListingStats.listing_id, "listing_ids"
    elif entity in (Review, ReviewPhoto):
        if not (entity is Review and state.is_update and _only_votes(state)):
            _changes(state.session).pages = True
        return
    else:
        return
    if entity is Package and state.is_update:
        _note_packages_seen(state)
        return
    if entity is ListingStats and state.is_update:
        _note_stats_seen(state)
        return
    affected = select(column)
    where = _where(state)
    if where is not None:
        affected = affected.where(where)
    else:
        # "Bulk UPDATE by primary key": session.execute(update(Package), [{"id": 1, ...}]).
        keys = [row["id"] for row in _parameter_sets(state) if row and "id" in row]
        if keys:
            affected = affected.where(entity.id.in_(keys))
    values = state.session.execute(affected).scalars()
    getattr(_changes(state.session), target).update(v for v in values if v is not None)


def before_commit(session: Session) -> None:
    """Move the catalog version on in the same transaction as a catalog change, so cached
    pages and fragments keyed by the old version are never used again, and log the listings
    it touched, whose cards every process drops."""
    session.flush()  # the commit's last flush, done first so that its changes are recorded
    changes = session.info.get(_INFO_KEY)
    if changes is not None:
        _resolve_packages_seen(session, changes)
        _resolve_stats_seen(session, changes)
    if changes:
        # The version's change log lists the listings, so other processes drop only their
        # cards (domain/catalog/cards.py).
        version.bump(session, changes.affected_listing_ids(session))
        for listener in _before_commit_listeners:
            listener(session, changes)


def _note_packages_seen(state: ORMExecuteState) -> None:
    """Before a bulk UPDATE of packages: what a shopper sees of each package it is about to
    touch, to compare after it (before_commit). The rows are read under the write lock
    (FOR UPDATE; BEGIN IMMEDIATE on SQLite), so no other commit slips in between."""
    where = cast(Update | Delete, state.statement).whereclause
    if where is None:  # "bulk UPDATE by primary key" with parameter lists
        where = Package.id.in_([row["id"] for row in _parameter_sets(state) if row and "id" in row])
    begin_write(state.session)
    columns = [Package.__table__.c[key] for key in _SEEN_COLUMNS]
    seen = _changes(state.session).packages_seen
    rows = state.session.execute(select(Package.id, *columns).where(where).with_for_update())
    for row in rows.mappings():
        seen.setdefault(row["id"], (row["listing_id"], _seen(row)))


def _only_votes(state: ORMExecuteState) -> bool:
    """Whether a bulk UPDATE of reviews sets only the helpful count (a vote)."""
    values = getattr(state.statement, "_values", None) or {}
    keys = {getattr(column, "key", column) for column in values}
    return bool(keys) and keys <= {"helpful_count", "updated_at"}


def _note_stats_seen(state: ORMExecuteState) -> None:
    """Before a bulk UPDATE of listing stats: what a shopper sees of each row it is about to
    touch (as _note_packages_seen, under the write lock)."""
    where = _where(state)
    if where is None:
        keys = [row["listing_id"] for row in _parameter_sets(state) if row and "listing_id" in row]
        where = ListingStats.listing_id.in_(keys)
    begin_write(state.session)
    columns = [ListingStats.__table__.c[key] for key in _STATS_COLUMNS]
    seen = _changes(state.session).stats_seen
    rows = state.session.execute(
        select(ListingStats.listing_id, *columns).where(where).with_for_update()
    )
    for row in rows.mappings():
        seen.setdefault(row["listing_id"], _stats_seen(row))


def _resolve_stats_seen(session: Session, changes: Changes) -> None:
    """Listings whose stats now show differently from before the transaction."""
    if not changes.stats_seen:
        return
    columns = [ListingStats.__table__.c[key] for key in _STATS_COLUMNS]
    rows = session.execute(
        select(ListingStats.listing_id, *columns).where(
            ListingStats.listing_id.in_(changes.stats_seen)
        )
    ).mappings()
    now = {row["listing_id"]: _stats_seen(row) for row in rows}
    for listing_id, before in changes.stats_seen.items():
        if now.get(listing_id) != before:
            changes.listing_ids.add(listing_id)
    changes.stats_seen.clear()


def _resolve_packages_seen(session: Session, changes: Changes) -> None:
    """Listings whose packages now look different from before the transaction."""
    if not changes.packages_seen:
        return
    columns = [Package.__table__.c[key] for key in _SEEN_COLUMNS]
    rows = session.execute(
        select(Package.id, *columns).where(Package.id.in_(changes.packages_seen))
    ).mappings()
    now = {row["id"]: (row["listing_id"], _seen(row)) for row in rows}
    for package_id, (listing_id, before) in changes.packages_seen.items():
        after = now.get(package_id)
        if after is None or after[1] != before:
            changes.listing_ids.add(listing_id)
            if after is not None:
                changes.listing_ids.add(after[0])  # moved to another listing
    changes.packages_seen.clear()


def after_commit(session: Session) -> None:
    """Tell the subscribers what the committed transaction touched. Never raises: the commit
    is done."""
    changes = session.info.pop(_INFO_KEY, None)
    if not changes:
        return
    version.forget()
    for listener in _listeners:
        try:
            listener(changes)
        except Exception:
            logger.exception("catalog change: %r failed after the commit", listener)


def after_soft_rollback(session: Session, previous_transaction: SessionTransaction) -> None:
    """Forget the changes of a rolled-back transaction (not of a rolled-back savepoint)."""
    if previous_transaction.parent is None:
        session.info.pop(_INFO_KEY, None)


def resolve(changes: Changes, session: Session | None = None) -> set[int]:
    """The listing ids behind recorded changes, read on `session` (inside its transaction)
    or, without one, in a session of their own."""
    ids = set(changes.listing_ids)
    if not (changes.certificate_ids or changes.cooperative_ids):
        return ids
    if session is None:
        with Session(bind=db.engine) as own:
            return ids | _listings_of(own, changes)
    return ids | _listings_of(session, changes)


def _listings_of(session: Session, changes: Changes) -> set[int]:
    """The listings of the changed certificates and cooperatives."""
    ids: set[int] = set()
    if changes.certificate_ids:
        ids.update(
            session.scalars(
                select(Listing.id).where(Listing.certificate_id.in_(changes.certificate_ids))
            )
        )
    if changes.cooperative_ids:
        ids.update(
            session.scalars(
                select(Listing.id).where(Listing.cooperative_id.in_(changes.cooperative_ids))
            )
        )
    return ids


_HOOKS = (
    ("after_flush", after_flush),
    ("do_orm_execute", on_orm_execute),
    ("before_commit", before_commit),
    ("after_commit", after_commit),
    ("after_soft_rollback", after_soft_rollback),
)


def install() -> None:
    """Listen on db.session's sessions (once, however many apps are created)."""
    for name, hook in _HOOKS:
        if not event.contains(db.session, name, hook):
            event.listen(db.session, name, hook)
