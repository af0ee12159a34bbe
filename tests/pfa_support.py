"""Fixtures and helpers shared by the PFA console and verification tests."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from storefront.core.mail import read_outbox
from storefront.domain.catalog.visibility import SHOP_TZ
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
    """Stands in for `datetime` in storefront.domain.catalog.visibility: shop_today() reads this clock."""

    moment = datetime(2026, 1, 1, tzinfo=SHOP_TZ)

    @classmethod
    def now(cls, tz=None):
        return cls.moment.astimezone(tz) if tz else cls.moment.replace(tzinfo=None)


@pytest.fixture
def clock(monkeypatch):
    """`clock.moment = datetime(...)` sets the shop's "now" (patched at the boundary)."""
    import storefront.domain.catalog.visibility as visibility

    class Clock(FrozenClock):
        pass

    monkeypatch.setattr(visibility, "datetime", Clock)
    return Clock
