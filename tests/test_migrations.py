"""Migrations build the schema on an empty database and match the models exactly."""

from __future__ import annotations

import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from storefront import create_app
from storefront.extensions import db


@pytest.fixture
def empty_database_url(tmp_path):
    """An empty database of the kind the suite runs on. On PostgreSQL, a database of its own
    (per xdist worker) emptied by dropping its schema: creating and dropping a database forces
    a checkpoint, which on a busy server took longer than the rest of the test."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    url = make_url(url.replace("postgresql://", "postgresql+psycopg://", 1))
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    name = f"{url.database}_migrations" + (f"_{worker}" if worker else "")
    server = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    server.dispose()
    database = create_engine(url.set(database=name), isolation_level="AUTOCOMMIT")

    def empty() -> None:
        with database.connect() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))

    empty()
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        empty()
        database.dispose()


def test_upgrade_builds_the_schema_and_matches_the_models(empty_database_url, tmp_path):
    app = create_app(
        {"CONFIG": "testing", "SQLALCHEMY_DATABASE_URI": empty_database_url,
         "SEARCH_INDEX_DIR": str(tmp_path / "search")}
    )
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            assert {"listings", "packages", "certificates", "orders", "admin_units"} <= tables
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata
            )
        assert diff == [], f"models and migrations differ; run `flask db migrate`: {diff}"

        # The chain also runs back down and up again cleanly.
        downgrade(revision="base")
        with db.engine.connect() as conn:
            assert "listings" not in set(inspect(conn).get_table_names())
        upgrade()
        db.engine.dispose()
