"""The catalog version: what cached catalog pages, cards and fragments are keyed by.

It has two parts:

- the database's version (the one row of `catalog_state`), moved on in the same transaction
  as every commit that changes what the catalog shows: a listing, its packages (stock and
  price included) or photos, its certificate or its cooperative. Which changes count, and
  the bump before their commit, are said in one place: storefront/domain/catalog/changes.py.
  Every app server reads the same row, so a page verified against the database under a
  version is still right on any server while the version stands: nothing that decides what
  it shows has changed since.
- this machine's search index generation, so that an index catching up (a queued update
  applied, a rebuild) shows at once even when the database did not move. The index tells
  it through use_local_generation() (wired in create_app), so this module needs no search.
  An index kept in the same database (SEARCH_BACKEND=postgres) also hands over its
  generation as a SQL expression, and both parts are read in one statement: one round trip
  per request, the only query a cached page costs.

Each bump also logs, in the same transaction, which listings the commit changed
(catalog_changes, with a random nonce per version): a process that sees the version move on
drops only those listings' cards (changes_between, domain/catalog/cards.py), not every card.

The date in Vietnam is not part of it: certificates expire at midnight with no commit, so
every cache key that depends on visibility also holds `clock.today()`.

Raw SQL and Core table statements bypass the hooks (as they bypass the index); after such a
change call bump() in the same transaction, or run `flask search reindex`.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterable
from typing import Any, cast

from flask import g, has_app_context
from sqlalchemy import ColumnElement, Select, Table, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storefront.extensions import db
from storefront.models import CatalogChange, CatalogState

logger = logging.getLogger(__name__)

_G_KEY = "_catalog_version"
_ROW = cast(Table, CatalogState.__table__)
_LOG = cast(Table, CatalogChange.__table__)
# Built once: building a statement costs about as much as running this one.
_READ = select(_ROW.c.version).where(_ROW.c.id == 1)
_BUMP = (
    update(_ROW).where(_ROW.c.id == 1).values(version=_ROW.c.version + 1).returning(_ROW.c.version)
)
_CHANGED = select(_LOG.c.version, _LOG.c.listing_id, _LOG.c.nonce).where(
    _LOG.c.version >= bindparam("since"), _LOG.c.version <= bindparam("until")
)
NO_LISTING = 0  # the log's row for a version that changed no listing (a review)
# The log keeps the last KEPT_VERSIONS versions (pruned every PRUNE_EVERY); a process more
# than MAX_SPAN versions behind drops every card instead of reading that much of it.
KEPT_VERSIONS = 2_000
PRUNE_EVERY = 100
MAX_SPAN = 500


def _no_index() -> int:
    return 0


def _not_in_database() -> ColumnElement[int] | None:
    return None


_local_generation: Callable[[], int] = _no_index
_generation_in_database: Callable[[], ColumnElement[int] | None] = _not_in_database
# The version and the generation in one statement, built once per generation expression.
_READ_BOTH: dict[int, Select[tuple[int, int]]] = {}


def use_local_generation(
    generation: Callable[[], int],
    in_database: Callable[[], ColumnElement[int] | None] = _not_in_database,
) -> None:
    """Make `generation()` (this machine's search index generation) part of the version.
    `in_database()`: the same generation as a scalar SQL expression when the index lives in
    the app's database (None otherwise), read in the version's own statement."""
    global _local_generation, _generation_in_database
    _local_generation = generation
    _generation_in_database = in_database


def current() -> tuple[int, int]:
    """(database version, index generation) for this request: read once, then remembered
    until this process commits a catalog change."""
    version: tuple[int, int] | None = g.get(_G_KEY)
    if version is None:
        version = _read()
        setattr(g, _G_KEY, version)
    return version


def _read() -> tuple[int, int]:
    expression = _generation_in_database()
    statement: Select[Any] | None
    if expression is None:
        statement = _READ
    elif (statement := _READ_BOTH.get(id(expression))) is None:
        statement = _READ_BOTH[id(expression)] = select(_ROW.c.version, expression).where(
            _ROW.c.id == 1
        )
    # (A request that has not used the session yet has none: asking would make one.)
    if db.session.registry.has() and db.session().in_transaction():
        # Read in the session's transaction: it sees its own uncommitted bump, so whatever
        # is cached under the version it reads stands or falls with that transaction.
        row = db.session.connection().execute(statement).first()
    else:
        # Nothing begun yet (a cached page will need nothing else): a connection from the
        # pool and back, without the session's transaction; autocommit, so that a database
        # server gets this one statement, not BEGIN, the statement and ROLLBACK.
        with db.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT")
            row = connection.execute(statement).first()
    if row is None:  # no catalog_state row yet (bump() creates it)
        return (0, _local_generation())
    if expression is None:
        return (row[0] or 0, _local_generation())
    return (row[0] or 0, row[1] or 0)


def bump(session: Session, listing_ids: Iterable[int] | None = None) -> None:
    """Move the database's version on, inside `session`'s transaction (so it commits, or
    rolls back, with the change it stands for), and log which listings changed under the
    new version (`listing_ids`; none: every card is dropped, as after a raw SQL change)."""
    connection = session.connection()
    moved = connection.execute(_BUMP).scalar()
    if moved is None:
        # The row is missing (a database made by hand): create it, without failing the
        # commit when another transaction creates it at the same moment.
        logger.warning("catalog_state had no row; creating it")
        try:
            with connection.begin_nested():
                connection.execute(insert(_ROW).values(id=1, version=1))
            moved = 1
        except IntegrityError:
            moved = connection.execute(_BUMP).scalar()
    if listing_ids is None or moved is None:
        return
    ids = sorted({int(i) for i in listing_ids}) or [NO_LISTING]
    nonce = secrets.randbits(62)  # this version's, whatever its number (see changes_between)
    connection.execute(
        insert(_LOG), [{"version": moved, "listing_id": i, "nonce": nonce} for i in ids]
    )
    if moved % PRUNE_EVERY == 0:
        connection.execute(delete(_LOG).where(_LOG.c.version <= moved - KEPT_VERSIONS))


def changes_between(
    since: int, until: int, since_nonce: int | None
) -> tuple[set[int] | None, int | None]:
    """The listings changed by the commits that moved the version from `since` to `until`
    (from the log, read in the request's session), or None when the log cannot say: a
    version without rows (bumped without a list, or pruned), a version that went back, too
    many versions to read, or a `since` that is not the one the caller saw — its rows'
    nonce is not `since_nonce` (None: unknown), as after the database was emptied or
    restored and its versions counted up again. With them, `until`'s nonce (None when it
    has no rows), for the next call."""
    if until < since or until - since > MAX_SPAN:
        return None, None
    nonces: dict[int, int] = {}
    ids: set[int] = set()
    for version, listing_id, nonce in db.session.execute(
        _CHANGED, {"since": since, "until": until}
    ):
        nonces[version] = nonce
        if version > since:
            ids.add(listing_id)
    known = since_nonce is not None and nonces.get(since) == since_nonce
    if not known or len(nonces) - (since in nonces) != until - since:
        return None, nonces.get(until)
    ids.discard(NO_LISTING)
    return ids, nonces.get(until)


def forget() -> None:
    """Drop this request's remembered version (after this process changed the catalog)."""
    if has_app_context():
        g.pop(_G_KEY, None)
