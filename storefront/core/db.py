"""The unit of work: one commit or one rollback, files undone on failure, effects after commit.

Domain functions are the only code that commits, each through unit_of_work(); units that read,
then write start as writers; no network call happens while a transaction is open.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast, overload

from sqlalchemy import CursorResult, Result, text
from sqlalchemy.orm import Session

from storefront.extensions import db

logger = logging.getLogger(__name__)

_UNIT_KEY = "unit_of_work"


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


def lock_name(name: str, session: Session | None = None) -> None:
    """Hold a lock on `name` until the current transaction ends: units of work that lock the
    same name run one after the other (e.g. two checkouts with one phone, counting its orders).

    PostgreSQL: a transaction-level advisory lock, keyed by a 64-bit hash of the name.
    SQLite: nothing to do; a writer (begin_write) already holds the database's only write lock.
    """
    session = session or db.session()
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return
    key = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def end_read(session: Session | None = None) -> None:
    """End a read-only transaction, so that no transaction stays open across a network call."""
    session = session or db.session()
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("end_read() with unsaved changes: commit or roll back first")
    session.rollback()


@dataclass
class Unit:
    """What a unit of work does besides the database: undo on failure, effects after commit."""

    session: Session
    _undo: list[Callable[[], Any]] = field(default_factory=list)
    _effects: list[Callable[[], Any]] = field(default_factory=list)
    # What layers above keep per unit (the job outbox: the rows this unit wrote).
    info: dict[str, Any] = field(default_factory=dict)

    def on_rollback(self, undo: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Run `undo(*args, **kwargs)` if the unit fails: delete a file it wrote, since the
        rollback cannot. Registered right after the file is written."""
        self._undo.append(functools.partial(undo, *args, **kwargs))

    def on_commit(self, effect: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Run `effect(*args, **kwargs)` once the unit has committed (an e-mail, deleting the
        files of a removed row). A failing effect is logged and never undoes the commit."""
        self._effects.append(functools.partial(effect, *args, **kwargs))

    def _rolled_back(self) -> None:
        for undo in self._undo:
            try:
                undo()
            except Exception:  # noqa: BLE001 - the rollback stands; a stray file is harmless
                logger.exception("unit of work: undoing %r failed", undo)

    def _committed(self) -> None:
        for effect in self._effects:
            try:
                effect()
            except Exception:  # noqa: BLE001 - the commit is done; the log tells staff
                logger.exception("unit of work: %r after commit failed", effect)
                self.session.rollback()
            else:
                # No effect leaves a transaction open behind it (nor across the next one's
                # network call).
                if self.session.in_transaction() and not (
                    self.session.new or self.session.dirty or self.session.deleted
                ):
                    self.session.rollback()


@contextmanager
def unit_of_work(*, writer: bool = False, session: Session | None = None) -> Iterator[Unit]:
    """One unit of work: commit once at the end, or roll back on any exception (undoing the
    files it wrote), then run its after-commit effects outside any transaction.

    `writer=True` for a unit that reads, then writes (see begin_write); open it before the
    unit's first query. A unit opened inside another joins it: the outer one commits.
    """
    session = session or db.session()
    outer = session.info.get(_UNIT_KEY)
    if outer is not None:
        if writer:
            begin_write(session)
        yield outer
        return
    unit = Unit(session)
    session.info[_UNIT_KEY] = unit
    try:
        if writer:
            begin_write(session)
        yield unit
        session.commit()
    except BaseException:
        session.rollback()
        unit._rolled_back()
        raise
    finally:
        session.info.pop(_UNIT_KEY, None)
    unit._committed()


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
