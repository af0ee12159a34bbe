"""Fixtures and helpers shared by the PFA console and verification tests."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from storefront.core import clock as shop_clock
from storefront.core.mail import read_outbox
from storefront.models import Role
from storefront.search import reindex_all


@pytest.fixture
def outbox(app, monkeypatch, tmp_path) -> Path:
    """A fresh outbox folder for this test's e-mails."""
    folder = tmp_path / "outbox"
    monkeypatch.setitem(app.config, "MAIL_OUTBOX_DIR", str(folder))
    return folder


def mails(folder: Path):
    return read_outbox(folder) if folder.exists() else []


@pytest.fixture
def staff(make):
    return make.user(role=Role.PFA, name="Nguyễn Thị Hoa", email="hoa@hoinongdan.vn")


@pytest.fixture
def other_staff(make):
    return make.user(role=Role.PFA, name="Trần Văn Nam", email="nam@hoinongdan.vn")


@pytest.fixture
def fresh_index(app):
    """An empty search index (the database is emptied after each test, the index is not)."""
    reindex_all()
    yield


class FrozenClock:
    """The shop's clock, stopped: setting `moment` moves it (storefront.core.clock.freeze)."""

    @property
    def moment(self) -> datetime:
        return shop_clock.now()

    @moment.setter
    def moment(self, value: datetime) -> None:
        shop_clock.freeze(value)


@pytest.fixture
def clock():
    """`clock.moment = datetime(...)` sets the shop's "now" (the clock is injectable)."""
    with shop_clock.frozen(datetime(2026, 1, 1, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))):
        yield FrozenClock()
