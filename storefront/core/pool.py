"""A database server's connections pinged before use only after they sat idle a while.

SQLAlchemy's pool_pre_ping sends `SELECT 1` at every checkout: a round trip before each
request's first query, which for a cached catalog page (one query, the catalog version) is
half of its database time. A connection given back to the pool a moment ago is as alive as a
ping would show; one idle for DATABASE_PING_IDLE_SECONDS (default 10) or more (the server may
have restarted, a proxy may have dropped it) is pinged first and, if dead, replaced before
the request sees it — SQLAlchemy's documented recipe for pessimistic disconnect handling.
A server that goes away within those seconds costs the request that finds out an error;
SQLAlchemy then drops the whole pool, so the next requests get fresh connections.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Engine, event, exc

_IDLE_SINCE = "idle_since"


def ping_when_idle(engine: Engine, seconds: float) -> None:
    """Ping `engine`'s connections at checkout when idle `seconds` or more."""

    @event.listens_for(engine, "connect")
    @event.listens_for(engine, "checkin")
    def _idle_from_now(dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()  # a new connection is alive too

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        since = record.info.get(_IDLE_SINCE)
        if since is not None and time.monotonic() - since < seconds:
            return
        try:
            cursor = dbapi_connection.cursor()
            cursor.execute("SELECT 1")
            cursor.fetchall()
            cursor.close()
            if not getattr(dbapi_connection, "autocommit", True):
                dbapi_connection.rollback()  # the driver opened a transaction for the ping
        except Exception as error:
            # The pool discards this connection and tries again with a new one.
            raise exc.DisconnectionError() from error
