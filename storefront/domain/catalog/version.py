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

Outside a transaction (a cached page, the usual case) the version is read on a connection
this process keeps for it alone (_HeldConnection): in autocommit, so each read is a
transaction of its own and sees every commit made before it, on any server; through the
driver, without the pool's checkout and SQLAlchemy's execution (what made most of a cached
page's database cost). A process has one; a thread that finds it busy, or a read that fails
on it (the server restarted), uses a pooled connection as before.

The date in Vietnam is not part of it: certificates expire at midnight with no commit, so
every cache key that depends on visibility also holds `clock.today()`.

Raw SQL and Core table statements bypass the hooks (as they bypass the index); after such a
change call bump() in the same transaction, or run `flask search reindex`.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
from collections.abc import Callable, Iterable
from typing import Any, cast

from flask import g, has_app_context
from sqlalchemy import (
    ColumnElement,
    Engine,
    Select,
    Table,
    bindparam,
    delete,
    event,
    insert,
    select,
    update,
)
from sqlalchemy.engine.interfaces import DBAPIConnection
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
    elif (held := _HELD.read(db.engine, statement)) is not None:
        row = held[0] if held else None
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


def _execute(cursor: Any, sql: str) -> list[Any]:
    """One statement on a driver's cursor, its rows all read (SQLite keeps a read
    transaction open on a statement not read to its end)."""
    cursor.execute(sql)
    rows: list[Any] = cursor.fetchall()
    return rows


class _HeldConnection:
    """The connection this process keeps for reading the version outside a transaction.

    Taken from the engine's pool once and detached from it (the pool never hands it out, nor
    resets it), in autocommit; the statement is compiled once to plain SQL (its only
    parameters are constants), and the driver prepares it after a few runs (psycopg). One
    per process, locked: a thread finding it in use goes to the pool instead. After a fork
    the child opens its own: the parent's is left alone (closing it in the child would end
    the parent's session on their shared socket). An engine other than the one it was
    opened on (another app, in tests) replaces it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid = 0
        self._engine: Engine | None = None
        self._connection: Any = None
        self._cursor: Any = None
        self._sql: dict[int, str] = {}
        self._inherited: list[Any] = []  # a parent's, kept from garbage collection

    def read(self, engine: Engine, statement: Select[Any]) -> list[Any] | None:
        """The statement's rows, or None when the held connection cannot be used now (busy,
        or failing): the caller reads through the pool then."""
        if not self._lock.acquire(blocking=False):
            return None
        try:
            if self._pid != os.getpid() or self._engine is not engine:
                self._open(engine)
            sql = self._sql.get(id(statement))
            if sql is None:
                compiled = statement.compile(
                    dialect=engine.dialect, compile_kwargs={"literal_binds": True}
                )
                sql = self._sql[id(statement)] = str(compiled)
            return _execute(self._cursor, sql)
        except Exception:
            logger.warning(
                "the held connection failed to read the catalog version; reading through the pool",
                exc_info=True,
            )
            self._discard()
            return None
        finally:
            self._lock.release()

    def _open(self, engine: Engine) -> None:
        if self._pid != os.getpid():
            if self._connection is not None:
                self._inherited.append(self._connection)
            self._connection = None
        self._discard()
        connection = engine.raw_connection()
        connection.detach()  # ours alone from now on: its autocommit never goes back to the pool
        try:
            driver_connection = cast(DBAPIConnection, connection.dbapi_connection)
            engine.dialect.set_isolation_level(driver_connection, "AUTOCOMMIT")
            self._cursor = connection.cursor()
        except Exception:
            connection.close()
            raise
        self._connection, self._engine, self._pid = connection, engine, os.getpid()
        self._sql.clear()
        if not event.contains(engine, "engine_disposed", self._disposed):
            event.listen(engine, "engine_disposed", self._disposed)

    def _disposed(self, engine: Engine) -> None:
        """The engine's pool was closed (engine.dispose()): this connection goes with it, as
        the pool's do (a database may then be dropped or copied as a template)."""
        with self._lock:
            if self._engine is engine and self._pid == os.getpid():
                self._discard()

    def _discard(self) -> None:
        connection = self._connection
        self._connection = self._cursor = self._engine = None
        if connection is not None:
            try:
                # The driver's connection itself: the pool's close would reset (roll back)
                # a connection that is no longer its own.
                connection.dbapi_connection.close()
            except Exception:
                logger.debug("closing the held connection failed", exc_info=True)


_HELD = _HeldConnection()


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
