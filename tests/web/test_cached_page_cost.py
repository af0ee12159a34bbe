"""What a cached anonymous page costs, on each search backend: one SQL statement (the catalog
version; with the PostgreSQL engine its index generation is read in the same statement), no
session, no cookie, and still every security header with a nonce of its own."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import update

from storefront.domain.catalog import version
from storefront.models import Package
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
