"""Migrations build the schema on an empty database and match the models exactly."""

from __future__ import annotations

import os
import uuid

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
    """A brand-new empty database of the kind the suite runs on."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    url = make_url(url.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"ocop_migrations_{uuid.uuid4().hex[:8]}"
    server = create_engine(url, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


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
