"""Which requests read the primary when there is a read replica (core/replica.py).

A request that writes (any method but GET, HEAD, OPTIONS) reads the primary throughout; so
does a signed-in user's every request for REPLICA_STICKY_SECONDS (5 s) after their last write
(a time kept in their session), so that a seller who publishes a listing, or PFA staff who
verify a certificate, then search or open the dashboard, see their own change whatever the
replica's delay. Without a replica nothing here runs (no session is touched).
"""

from __future__ import annotations

import time

from flask import Flask, Response, current_app, request, session
from flask_login import current_user

from storefront.core.replica import read_primary_in_this_request, replica_engine

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
WROTE_AT = "_wrote_at"


def _sticky_seconds() -> float:
    return float(current_app.config.get("REPLICA_STICKY_SECONDS", 5))


def _choose_reads() -> None:
    if replica_engine() is None:
        return
    if request.method not in SAFE_METHODS:
        read_primary_in_this_request()
        return
    wrote_at = session.get(WROTE_AT) if session else None
    if isinstance(wrote_at, int | float) and time.time() - wrote_at < _sticky_seconds():
        read_primary_in_this_request()


def _note_write(response: Response) -> Response:
    if (
        replica_engine() is not None
        and request.method not in SAFE_METHODS
        and response.status_code < 400
        and current_user.is_authenticated
    ):
        session[WROTE_AT] = time.time()
    return response


def init_app(app: Flask) -> None:
    app.before_request(_choose_reads)
    app.after_request(_note_write)
