"""What a cached anonymous page costs, on each search backend: one SQL statement (the catalog
version; with the PostgreSQL engine its index generation is read in the same statement), no
session, no cookie, and still every security header with a nonce of its own."""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event, update

from storefront.core import clock
from storefront.domain.catalog import version
from storefront.models import Listing, Package
from storefront.web.page_cache import READY_ANSWERS
from tests.fixtures.app import count_queries
from tests.fixtures.pages import html


@pytest.fixture
def app(search_app):
    return search_app


def nonce_in_header(response) -> str:
    return re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)


@pytest.mark.parametrize("path", ["/products", "/products?page=1&sort=newest", "/search?q=vai"])
def test_a_cached_catalog_page_runs_one_statement(client, db, shop, path, search_backend):
    first = client.get(path)
    with count_queries(db.engine) as statements:
        again = client.get(path)
    assert again.status_code == 200 and html(again) == html(first)
    assert len(statements) == 1 and "catalog_state" in statements[0]
    if search_backend == "postgres":
        assert "search_state" in statements[0]  # the index generation, in the same statement


def test_a_cached_product_page_runs_one_statement_and_gets_its_own_nonce(
    client, db, shop, search_backend
):
    first = client.get("/products/vai-thieu-luc-ngan")
    with count_queries(db.engine) as statements:
        responses = [client.get("/products/vai-thieu-luc-ngan") for _ in range(2)]
    assert len(statements) == 2  # one each
    nonces = set()
    for response in responses:
        assert response.status_code == 200 and "Set-Cookie" not in response.headers
        assert response.headers["Cache-Control"].startswith("public")
        assert response.headers["ETag"] == first.headers["ETag"]
        assert response.headers["X-Frame-Options"] == "DENY"
        nonce = nonce_in_header(response)
        assert f'nonce="{nonce}"' in html(response)  # the JSON-LD script's, filled per response
        assert "<csp-nonce-slot>" not in html(response)
        nonces.add(nonce)
    assert len(nonces) == 2


def test_a_visitor_with_a_cookie_still_gets_a_private_page(client, db, shop):
    client.get("/products")
    client.set_cookie("ocop_lang", "en")
    response = client.get("/products")
    assert response.headers["Cache-Control"] == "private, no-cache"
    assert "Products" in html(response) or "products" in html(response)


def test_the_version_read_inside_a_transaction_sees_its_own_change(app, db, shop):
    before = version.current()
    version.forget()
    package = shop["vai"].packages[0]
    db.session.execute(update(Package).where(Package.id == package.id).values(price=1))
    version.bump(db.session())  # as changes.py does before the commit
    inside = version.current()
    assert inside[0] == before[0] + 1  # read on the transaction's own connection
    db.session.rollback()
    version.forget()
    assert version.current() == before  # rolled back: nothing moved


# --- the connection held for the version (domain/catalog/version.py) --------------------------


@contextmanager
def pool_checkouts(engine):
    """The connections taken from `engine`'s pool inside the block."""
    taken: list[object] = []

    def checkout(dbapi_connection, record, proxy):
        taken.append(dbapi_connection)

    event.listen(engine, "checkout", checkout)
    try:
        yield taken
    finally:
        event.remove(engine, "checkout", checkout)


def read_outside_a_transaction(db) -> tuple[int, int]:
    db.session.remove()  # as a request that has used no session yet
    version.forget()
    return version.current()


def test_a_cached_page_takes_no_connection_from_the_pool(client, db, shop):
    client.get("/products")
    client.get("/products")
    with pool_checkouts(db.engine) as taken, count_queries(db.engine) as statements:
        assert client.get("/products").status_code == 200
    assert taken == [] and len(statements) == 1  # the version, on the held connection


def test_a_commit_on_another_connection_is_seen_at_once(client, db, shop):
    """Another server's commit (a connection of its own) shows on the next request."""
    client.get("/products/vai-thieu-luc-ngan")
    before = read_outside_a_transaction(db)
    with db.engine.begin() as other:
        other.execute(
            update(Listing).where(Listing.slug == "vai-thieu-luc-ngan").values(name="Vải mới")
        )
        other.execute(version._BUMP)  # what changes.py adds to such a commit
    assert read_outside_a_transaction(db)[0] == before[0] + 1
    assert "Vải mới" in html(client.get("/products/vai-thieu-luc-ngan"))


def test_a_held_connection_that_fails_gives_way_to_the_pool(client, db, shop, caplog):
    first = html(client.get("/products"))
    client.get("/products")
    read_outside_a_transaction(db)
    version._HELD._connection.dbapi_connection.close()  # the server went away under it
    with pool_checkouts(db.engine) as taken:
        again = client.get("/products")
    assert again.status_code == 200 and html(again) == first  # an answer, not an error
    assert taken and "reading through the pool" in caplog.text
    client.get("/products")  # a new one is open by now
    with pool_checkouts(db.engine) as taken:
        assert client.get("/products").status_code == 200
    assert taken == []


def test_a_thread_finding_the_held_connection_busy_reads_through_the_pool(db, shop):
    expected = read_outside_a_transaction(db)
    with version._HELD._lock, pool_checkouts(db.engine) as taken:
        assert read_outside_a_transaction(db) == expected
    assert len(taken) == 1


def test_a_forked_process_opens_its_own_and_leaves_the_parents_alone(db, shop):
    expected = read_outside_a_transaction(db)
    parent = version._HELD._connection
    version._HELD._pid = -1  # as the child of a fork sees it: another process id
    assert read_outside_a_transaction(db) == expected
    assert version._HELD._connection is not parent
    cursor = parent.dbapi_connection.cursor()  # not closed: it is still the parent's
    cursor.execute("SELECT 1")
    assert cursor.fetchall() == [(1,)]
    # This test's "parent" is this very process: close it, as the parent would at its exit.
    version._HELD._inherited.remove(parent)
    parent.dbapi_connection.close()


def test_disposing_the_engine_closes_the_held_connection(db, shop):
    read_outside_a_transaction(db)
    held = version._HELD._connection
    db.engine.dispose()  # (a database is then dropped or copied as a template)
    assert version._HELD._connection is None
    with pytest.raises(db.engine.dialect.loaded_dbapi.Error):
        held.dbapi_connection.cursor().execute("SELECT 1")
    read_outside_a_transaction(db)  # opened again at the next read
    assert version._HELD._connection is not None


# --- ready answers (web/page_cache.py: ReadyAnswers) ------------------------------------------


@pytest.fixture
def app_entered(app):
    """How many requests reached the Flask app behind ReadyAnswers."""
    answers = app.extensions[READY_ANSWERS]
    calls: list[str] = []
    wsgi_app = answers.wsgi_app

    def counted(environ, start_response):
        calls.append(environ["PATH_INFO"])
        return wsgi_app(environ, start_response)

    answers.wsgi_app = counted
    try:
        yield calls
    finally:
        answers.wsgi_app = wsgi_app


def without_nonce(response) -> tuple[list[tuple[str, str]], str]:
    nonce = nonce_in_header(response)
    headers = [(name, value.replace(nonce, "N")) for name, value in response.headers.items()]
    return headers, html(response).replace(nonce, "N")


@pytest.mark.parametrize("path", ["/products", "/products/vai-thieu-luc-ngan"])
def test_a_ready_answer_is_the_apps_answer_with_a_nonce_of_its_own(
    client, db, shop, app_entered, path
):
    client.get(path)  # rendered
    from_the_app = client.get(path)  # served from the page cache: kept ready
    assert app_entered == [path, path]
    with count_queries(db.engine) as statements:
        ready = [client.get(path) for _ in range(2)]
    assert app_entered == [path, path]  # answered without the app
    assert len(statements) == 2 and all("catalog_state" in s for s in statements)
    nonces = {nonce_in_header(response) for response in [from_the_app, *ready]}
    assert len(nonces) == 3
    for response in ready:
        assert response.status_code == 200 and "Set-Cookie" not in response.headers
        # every security header, the public cache headers and the ETag, as the app sent them
        assert without_nonce(response) == without_nonce(from_the_app)
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Cache-Control"].startswith("public")
        assert response.headers["Vary"] == "Cookie"
    if path != "/products":  # the product page's JSON-LD script carries the nonce
        assert f'nonce="{nonce_in_header(ready[0])}"' in html(ready[0])


def test_a_change_committed_elsewhere_is_answered_at_once(client, db, shop, app_entered):
    path = "/products/vai-thieu-luc-ngan"
    client.get(path)
    client.get(path)
    with db.engine.begin() as other:  # another server's commit
        other.execute(
            update(Listing).where(Listing.slug == "vai-thieu-luc-ngan").values(name="Vải mới")
        )
        other.execute(version._BUMP)
    with count_queries(db.engine) as statements:
        assert "Vải mới" in html(client.get(path))
    assert len(app_entered) == 3
    # The version read before the app was entered is the one the app goes on with.
    assert sum("catalog_state" in statement for statement in statements) == 1


def test_a_new_day_goes_to_the_app(client, db, shop, app_entered):
    client.get("/products")
    client.get("/products")
    tomorrow = clock.now() + timedelta(days=1)
    clock.freeze(tomorrow)
    try:
        assert client.get("/products").status_code == 200
    finally:
        clock.freeze(None)
    assert len(app_entered) == 3


def test_requests_that_may_be_answered_otherwise_go_to_the_app(client, db, shop, app_entered):
    first = client.get("/products")
    client.get("/products")
    assert len(app_entered) == 2
    # a conditional request: its 304 (no body, no policy header)
    revalidated = client.get("/products", headers={"If-None-Match": first.headers["ETag"]})
    assert revalidated.status_code == 304 and "Content-Security-Policy" not in revalidated.headers
    assert client.head("/products").status_code == 200
    assert client.get("/products?page=1").status_code == 200  # another query string
    client.set_cookie("ocop_lang", "vi")  # a visitor's cookie: a private page
    assert client.get("/products").headers["Cache-Control"] == "private, no-cache"
    assert len(app_entered) == 6


def test_the_database_away_gives_the_apps_answer(client, db, shop, app_entered, monkeypatch):
    client.get("/products")
    client.get("/products")

    def failing(*_args):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(version, "_read", failing)
    version.forget()
    with pytest.raises(RuntimeError):  # the app's own answer: the error the test client raises
        client.get("/products")
    assert len(app_entered) == 3
