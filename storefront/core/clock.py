"""The shop's clock: now and today in the shop's time zone (SHOP_TIMEZONE, Asia/Ho_Chi_Minh).

A certificate expires at midnight in Vietnam, not UTC, so every "today" in the rules comes
from here. Tests stop the clock with `frozen(moment)` instead of patching a module.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"

_stopped_at: datetime | None = None


def zone() -> ZoneInfo:
    """The shop's time zone: the app's SHOP_TIMEZONE setting, Asia/Ho_Chi_Minh outside an app."""
    name = DEFAULT_TIMEZONE
    if has_app_context():
        name = current_app.config.get("SHOP_TIMEZONE") or DEFAULT_TIMEZONE
    return ZoneInfo(name)  # ZoneInfo caches its instances: cheap to call per request


def now() -> datetime:
    """The current moment, aware, in the shop's time zone (the stopped moment when frozen)."""
    return (_stopped_at or datetime.now(UTC)).astimezone(zone())


def today(moment: datetime | None = None) -> date:
    """The shop's date at `moment` (default: now)."""
    return (moment or now()).astimezone(zone()).date()


def freeze(moment: datetime | None) -> None:
    """Stop the clock at `moment` (an aware datetime); None lets it run again."""
    global _stopped_at
    if moment is not None and moment.tzinfo is None:
        raise ValueError("freeze() needs an aware datetime")
    _stopped_at = moment


@contextmanager
def frozen(moment: datetime) -> Iterator[None]:
    """Within the block the shop's clock shows `moment`, then runs on as before."""
    before = _stopped_at
    freeze(moment)
    try:
        yield
    finally:
        freeze(before)
