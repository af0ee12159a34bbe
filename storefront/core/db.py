"""Units of work that read, then write: start them as writers, and end them before the network."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast, overload

from sqlalchemy import CursorResult, Result
from sqlalchemy.orm import Session

from storefront.extensions import db


def begin_write(session: Session | None = None) -> None:
    """Open the current unit of work as a writer (call it before the unit's first query).

    SQLite: a plain BEGIN starts as a reader, and a reader that later writes while another
    connection is writing fails at once with "database is locked" (waiting would deadlock, so
    the busy timeout does not apply). BEGIN IMMEDIATE takes the write lock up front, so
    concurrent placements queue on the busy timeout instead, one after the other.
    PostgreSQL: nothing to do; the guarded UPDATEs and their row locks serialise what matters
    under READ COMMITTED.
    """
    session = session or db.session()
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return
    raw = connection.connection.dbapi_connection
    assert raw is not None  # a connection in use is never detached
    # pysqlite runs earlier SELECTs outside a transaction; once it has begun one (after a
    # write), this connection already holds the write lock and is the writer.
    if not raw.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def end_read(session: Session | None = None) -> None:
    """End a read-only transaction, so that no transaction stays open across a network call."""
    session = session or db.session()
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("end_read() with unsaved changes: commit or roll back first")
    session.rollback()


@overload
def aware(moment: datetime) -> datetime: ...
@overload
def aware(moment: None) -> None: ...
@overload
def aware(moment: datetime | None) -> datetime | None: ...


def aware(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every datetime the shop stores is UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def rows_matched(result: Result[*tuple[Any, ...]]) -> int:
    """How many rows an UPDATE or DELETE matched. (Session.execute() types its result as a
    plain Result; for these statements it is a CursorResult, which counts them.)"""
    return cast(CursorResult[*tuple[Any, ...]], result).rowcount
