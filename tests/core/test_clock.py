"""The shop's clock: its zone comes from SHOP_TIMEZONE, and tests can stop it."""

from __future__ import annotations

from datetime import UTC, date, datetime

from storefront.core import clock


def test_the_zone_is_the_shop_timezone_setting(app, monkeypatch):
    assert clock.zone().key == "Asia/Ho_Chi_Minh"
    monkeypatch.setitem(app.config, "SHOP_TIMEZONE", "Europe/London")
    assert clock.zone().key == "Europe/London"


def test_frozen_stops_the_clock_then_lets_it_run(app):
    moment = datetime(2026, 12, 31, 17, 30, tzinfo=UTC)  # already 2027 in Hà Nội
    with clock.frozen(moment):
        assert clock.today() == date(2027, 1, 1)
        assert clock.now() == moment
    assert clock.now() != moment
