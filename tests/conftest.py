"""Fixtures: the app on a real database (SQLite file, or PostgreSQL via TEST_DATABASE_URL)."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from flask_babel import force_locale
from sqlalchemy import event, text

from storefront import create_app
from storefront.domain.locations import admin_units_loaded, load_admin_units
from storefront.extensions import db as _db
from storefront.search import reindex_all
from tests import factories

# Reference data loaded once per session and kept between tests.
KEEP_TABLES = {"admin_units", "admin_unit_successions", "catalog_state"}
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
        # Emptying tables bypasses the ORM's commit hooks: bring the index back in line too.
        reindex_all()


@pytest.fixture
def english(app):
    """Domain functions called straight from the test speak English, so their messages can be
    asserted by msgid (the shop itself starts in Vietnamese)."""
    with force_locale("en"):
        yield


@pytest.fixture
def db(app):
    return _db


class OwnContextClient(FlaskClient):
    """A test client whose every request runs in its own app context, as on a real server.

    The `app` fixture keeps one app context open for the whole test; without this, `g` (where
    Flask-Babel caches the locale and Flask-Login the user) and the database session would be
    shared between the test and its requests, and carry over from one request to the next.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def client(app):
    app.test_client_class = OwnContextClient
    try:
        yield app.test_client()
    finally:
        app.test_client_class = None


@contextmanager
def count_queries(engine):
    """Collect the SQL statements sent to `engine` inside the block."""
    statements: list[str] = []

    def before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", before_cursor_execute)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before_cursor_execute)


@pytest.fixture
def queries(db):
    """`with queries() as statements:` counts the SQL a block sends."""
    return lambda: count_queries(db.engine)


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


CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture
def live_server(app):
    """The app served on a free loopback port in a thread, for real-browser tests."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def _browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - playwright is a dev dependency
        pytest.skip("playwright is not installed (pip install -e '.[dev]')")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(_browser, live_server):
    """A fresh browser context (own cookies) on the live server; 390 px wide like a phone."""
    context = _browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844})
    page = context.new_page()
    yield page
    context.close()
