"""A read replica (DATABASE_REPLICA_URL): searches, suggestions and the PFA dashboard read it;
writes, anything inside a write, and a signed-in user's requests right after their own write
read the primary; unset, nothing changes.

The "replica" is a second database on the same PostgreSQL server, copied from the suite's
database (CREATE DATABASE ... TEMPLATE) after some listings were made: what is made on the
primary after the copy is what a lagging replica has not received yet. Skipped on SQLite.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, event, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from storefront import create_app, search
from storefront.core import replica
from storefront.domain.console.dashboard import programme_stats
from storefront.extensions import db as _db
from storefront.models import Role, SearchDocument
from storefront.search import SearchQuery
from storefront.web.reads import WROTE_AT
from tests.fixtures import factories
from tests.fixtures.app import app_state

OLD = "Mật ong hoa nhãn"  # on the primary and the replica
NEW = "Trà shan tuyết cổ thụ"  # made on the primary after the copy: not on the replica yet


@pytest.fixture
def pg_app(_app, tmp_path):
    """The app on the PostgreSQL search backend (the suite on PostgreSQL only)."""
    with _app.app_context():
        if _db.engine.dialect.name != "postgresql":
            pytest.skip("a read replica needs PostgreSQL: set TEST_DATABASE_URL")
    with app_state(_app, tmp_path / "app", "postgres") as app:
        yield app
        use_replica(app, "")


@pytest.fixture
def app(pg_app):
    """`client`, `auth` and the rest on the same app."""
    return pg_app


def use_replica(app, url: str) -> None:
    """Set DATABASE_REPLICA_URL as at startup: the replica's engine, then the search engine
    that reads through it."""
    app.config["DATABASE_REPLICA_URL"] = url
    replica.init_app(app)
    search.init_app(app)


@pytest.fixture
def copy_to_replica(pg_app) -> Iterator:
    """`copy_to_replica()` copies the database as it is now to `<database>_replica` and
    returns its URL; the copy is dropped after the test."""
    primary = make_url(_db.engine.url.render_as_string(hide_password=False))
    name = f"{primary.database}_replica"
    server = create_engine(primary.set(database="postgres"), isolation_level="AUTOCOMMIT")

    def copy() -> str:
        _db.session.remove()
        _db.engine.dispose()  # a template database must have no other connection
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{primary.database}"'))
        return primary.set(database=name).render_as_string(hide_password=False)

    try:
        yield copy
    finally:
        use_replica(pg_app, "")  # disposes the replica's engine
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


def found(words: str) -> list[int]:
    return list(search.search(SearchQuery(text=words)).ids)


def live_listings(csv: str) -> int:
    [row] = [line for line in csv.splitlines() if line.startswith("listings,live,")]
    return int(row.rsplit(",", 1)[1])


@pytest.fixture
def lagging(pg_app, copy_to_replica):
    """An old listing on both, a new one only on the primary; the app on the replica."""
    old = factories.listing(name=OLD).id
    url = copy_to_replica()
    new = factories.listing(name=NEW)
    assert _db.session.scalar(
        select(SearchDocument.listing_id).where(SearchDocument.listing_id == new.id)
    )
    use_replica(pg_app, url)
    return old, new.id


def test_searches_and_suggestions_read_the_replica(pg_app, client, lagging):
    old, new = lagging
    assert found(OLD) == [old]
    assert found(NEW) == []  # the replica has not received it yet
    assert search.words_starting("tuy") == []
    assert "nhan" in search.words_starting("nha")
    with replica.primary_reads():
        assert found(NEW) == [new]
        assert "tuyet" in search.words_starting("tuy")

    page = client.get("/search?q=tr%C3%A0+shan+tuy%E1%BA%BFt").get_data(as_text=True)
    assert NEW not in page
    assert OLD in client.get("/search?q=m%E1%BA%ADt+ong").get_data(as_text=True)
    suggest = client.get("/search/suggest?q=shan+tuy").get_data(as_text=True)
    assert "shan" not in suggest.lower()

    # One replica connection per request, however many reads (generation, passes, facets).
    checkouts: list[object] = []

    def checkout(*args: object) -> None:
        checkouts.append(args)

    engine = replica.replica_engine()
    event.listen(engine, "checkout", checkout)
    try:
        page = client.get("/products?q=m%E1%BA%ADt+ong&group=1").get_data(as_text=True)
    finally:
        event.remove(engine, "checkout", checkout)
    assert OLD in page
    assert len(checkouts) == 1


def test_the_pfa_dashboard_reads_the_replica(pg_app, client, auth, lagging):
    assert programme_stats().listings["live"] == 1
    assert programme_stats().certified == 1
    with replica.primary_reads():
        assert programme_stats().listings["live"] == 2
        assert programme_stats().certified == 2

    staff = factories.user(role=Role.PFA)
    auth.login(staff)  # a write (POST): the next few seconds read the primary
    assert live_listings(client.get("/pfa/programme.csv").get_data(as_text=True)) == 2
    with client.session_transaction() as session:
        session[WROTE_AT] = time.time() - 60  # their last write was a minute ago
    csv = client.get("/pfa/programme.csv").get_data(as_text=True)
    assert live_listings(csv) == 1  # the replica's numbers


def test_writes_and_reads_inside_them_use_the_primary(pg_app, lagging):
    old, new = lagging
    # A catalog change writes its search rows on the primary, in its own transaction.
    third = factories.listing(name="Gạo nếp cái hoa vàng")
    assert _db.session.scalar(
        select(SearchDocument.listing_id).where(SearchDocument.listing_id == third.id)
    )
    assert found("gạo nếp") == []  # not on the replica
    # Inside a unit of work, reads see the primary (what the write sees).
    from storefront.core.db import unit_of_work

    with unit_of_work():
        assert not replica.use_replica()
        assert found("gạo nếp") == [third.id]
    # The replica's engine refuses writes: nothing can land on it by mistake.
    engine = replica.replica_engine()
    assert engine is not None
    with pytest.raises(DBAPIError, match="read-only"), engine.connect() as connection:
        connection.execute(text("DELETE FROM search_documents"))
    assert found(OLD) == [old]


def test_unset_everything_reads_the_primary(pg_app, client):
    use_replica(pg_app, "")
    assert replica.replica_engine() is None
    assert search.engine()._connect is search._session_connection  # type: ignore[attr-defined]
    with replica.read_session() as session:
        assert session is _db.session()
    listing = factories.listing(name=NEW)
    assert found(NEW) == [listing.id]
    assert programme_stats().listings["live"] == 1
    response = client.get("/search?q=tr%C3%A0+shan")
    assert NEW in response.get_data(as_text=True)
    assert "Set-Cookie" not in response.headers  # no session touched without a replica
    assert "shan" in client.get("/search/suggest?q=shan+tuy").get_data(as_text=True).lower()


def test_a_replica_needs_postgresql(tmp_path):
    with pytest.raises(RuntimeError, match="DATABASE_REPLICA_URL"):
        create_app(
            {
                "CONFIG": "testing",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite3'}",
                "SEARCH_INDEX_DIR": str(tmp_path / "search"),
                "DATABASE_REPLICA_URL": "postgresql://replica.example/ocop",
            }
        )


def test_a_request_that_writes_reads_the_primary(pg_app, lagging):
    old, new = lagging
    for method, expected in (("GET", []), ("HEAD", []), ("POST", [new]), ("DELETE", [new])):
        with pg_app.test_request_context("/search", method=method):
            pg_app.preprocess_request()
            assert found(NEW) == expected, method
