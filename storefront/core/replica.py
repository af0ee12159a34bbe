"""Reads that may go to a read replica of the database (DATABASE_REPLICA_URL, PostgreSQL only).

Unset (the default), there is no second engine and every read uses the primary, exactly as
before. Set, two kinds of read-only work use a second engine on the replica:

- the PostgreSQL search engine's reads (searches, suggestions, its generation): the search
  package passes `read_connection` as the engine's connect callable; its writes stay in the
  listing's transaction on the primary;
- the PFA dashboard's statistics (domain/console/dashboard.py, through `read_session`).

The consistency rule: the replica may lag the primary (a second or so of streaming
replication). So the primary is read whenever lag would show: inside a unit of work or a
session holding unsaved changes; in a request that writes (any method but GET/HEAD/OPTIONS)
and, for a signed-in user, for REPLICA_STICKY_SECONDS after their last write (web/reads.py:
a seller or PFA staff sees their own change at once); and inside `primary_reads()`. Everything
else that matters to a decision reads the primary anyway, because only the code above asks
for the replica: product pages, carts, checkout, the seller's workspace, the PFA queues. The
search's hits are re-checked for visibility on the primary (public_listing_ids), so the
replica can delay a new listing in results, never show a hidden one; its generation, read
from the replica too, is part of the catalog cache key, so a page made from a lagging
replica is made again once it catches up.

The replica engine's sessions are read-only (`SET SESSION CHARACTERISTICS ... READ ONLY`
through psycopg's `postgresql_readonly`): a write sent there by mistake fails instead of
landing on a database that is not the primary.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from flask import Flask, current_app, g, has_app_context
from sqlalchemy import Connection, Engine, create_engine
from sqlalchemy.orm import Session

from storefront.extensions import db

EXTENSION = "db_replica"
_G_PRIMARY = "_reads_primary"
_G_CONNECTION = "_replica_connection"

_primary: ContextVar[bool] = ContextVar("reads_primary", default=False)


def init_app(app: Flask) -> None:
    """Make the replica's engine when DATABASE_REPLICA_URL is set (else none: all primary)."""
    old: Engine | None = app.extensions.pop(EXTENSION, None)
    if old is not None:
        if has_app_context():
            _close_connection()
        old.dispose()
    if not app.extensions.get("db_replica_teardown"):
        app.teardown_appcontext(_close_connection)
        app.extensions["db_replica_teardown"] = True
    url = str(app.config.get("DATABASE_REPLICA_URL") or "")
    if not url:
        return
    if url.startswith("postgresql://"):
        url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    primary = str(app.config.get("SQLALCHEMY_DATABASE_URI") or "")
    if not (url.startswith("postgresql") and primary.startswith("postgresql")):
        raise RuntimeError(
            "DATABASE_REPLICA_URL is a PostgreSQL read replica of a PostgreSQL primary "
            "(DATABASE_URL); leave it unset with SQLite"
        )
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    options.setdefault("pool_pre_ping", True)
    engine = create_engine(url, **options).execution_options(postgresql_readonly=True)
    app.extensions[EXTENSION] = engine


def replica_engine() -> Engine | None:
    """The replica's engine, or None when there is no replica."""
    if not has_app_context():
        return None
    return current_app.extensions.get(EXTENSION)


@contextmanager
def primary_reads() -> Iterator[None]:
    """Within the block, reads that could go to the replica read the primary."""
    token = _primary.set(True)
    try:
        yield
    finally:
        _primary.reset(token)


def read_primary_in_this_request() -> None:
    """The rest of the current request (or app context) reads the primary (web/reads.py)."""
    setattr(g, _G_PRIMARY, True)


def use_replica() -> bool:
    """Whether a read may go to the replica now (see the module's doc for the rule)."""
    if replica_engine() is None or _primary.get() or g.get(_G_PRIMARY, False):
        return False
    session = db.session()
    if session.info.get("unit_of_work") is not None:
        return False  # inside a write: read what it sees
    return not (session.new or session.dirty or session.deleted)


@contextmanager
def read_connection() -> Iterator[Connection]:
    """A connection to read with: the replica's when `use_replica()` (one per request or app
    context, closed at its end: one checkout and ping, however many searches), else the
    request's own session connection on the primary (no second connection from the pool)."""
    engine = replica_engine()
    if engine is None or not use_replica():
        yield db.session.connection()
        return
    connection: Connection | None = g.get(_G_CONNECTION)
    if connection is None or connection.closed or connection.invalidated:
        connection = engine.connect()
        setattr(g, _G_CONNECTION, connection)
    yield connection


def _close_connection(error: BaseException | None = None) -> None:
    connection: Connection | None = g.pop(_G_CONNECTION, None)
    if connection is not None:
        try:
            connection.close()
        except Exception:  # noqa: BLE001 - the replica went away: nothing to give back
            connection.invalidate()


@contextmanager
def read_session() -> Iterator[Session]:
    """A session to read with: on the replica when `use_replica()` (closed after the block),
    else the request's own session."""
    engine = replica_engine()
    if engine is None or not use_replica():
        yield db.session()
        return
    with Session(bind=engine) as session:
        yield session
