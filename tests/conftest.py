"""Fixtures: the app on a real database (SQLite file, or PostgreSQL via TEST_DATABASE_URL)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import text

from storefront import create_app
from storefront.extensions import db as _db
from storefront.locations import admin_units_loaded, load_admin_units

from . import factories

# Reference data loaded once per session and kept between tests.
KEEP_TABLES = {"admin_units", "admin_unit_successions"}
ARTIFACTS = Path(__file__).parent / "artifacts"


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        if url.startswith("postgresql://"):
            url = url.replace("postgresql://", "postgresql+psycopg://", 1)
        return url
    # A file, not ":memory:", so threads and the app's requests share one database.
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def _app(tmp_path_factory):
    instance = tmp_path_factory.mktemp("instance")
    app = create_app(
        {
            "CONFIG": "testing",
            "SQLALCHEMY_DATABASE_URI": _database_url(tmp_path_factory),
            "SEARCH_INDEX_DIR": str(instance / "search"),
            "UPLOAD_DIR": str(instance / "uploads"),
            "MAIL_OUTBOX_DIR": str(instance / "outbox"),
        }
    )
    with app.app_context():
        _db.drop_all()
        _db.create_all()
        if not admin_units_loaded():
            load_admin_units()
        _db.session.remove()
    return app


def _empty_tables() -> None:
    _db.session.rollback()
    tables = [t for t in reversed(_db.metadata.sorted_tables) if t.name not in KEEP_TABLES]
    if _db.engine.dialect.name == "postgresql":
        names = ", ".join(t.name for t in tables)
        _db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            _db.session.execute(table.delete())
    _db.session.commit()


@pytest.fixture
def app(_app):
    """The app with an app context pushed; every table but the reference data is emptied after."""
    with _app.app_context():
        yield _app
        _db.session.remove()
        _empty_tables()
        _db.session.remove()


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make(db):
    """Factories for test data: make.user(), make.cooperative(), make.listing(public=True), ..."""
    return factories


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, user_or_email, password: str = factories.PASSWORD):
        email = getattr(user_or_email, "email", user_or_email)
        return self._client.post(
            "/account/login", data={"email": email, "password": password}, follow_redirects=False
        )

    def logout(self):
        return self._client.post("/account/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
