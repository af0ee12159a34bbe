"""Migrations build the schema on an empty database and match the models exactly."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
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
        {
            "CONFIG": "testing",
            "SQLALCHEMY_DATABASE_URI": empty_database_url,
            "SEARCH_INDEX_DIR": str(tmp_path / "search"),
        }
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


def test_email_verification_migration_leaves_users_unverified_and_expires_invitations(
    empty_database_url, tmp_path
):
    """c5e81f3a9d27 on a database with rows: existing accounts stay unverified (NULL: they
    confirm when they need to), an existing invitation expires 14 days after it was sent, and
    two invitations to one address may now coexist."""
    app = create_app(
        {
            "CONFIG": "testing",
            "SQLALCHEMY_DATABASE_URI": empty_database_url,
            "SEARCH_INDEX_DIR": str(tmp_path / "search"),
        }
    )
    sent = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    columns = {
        "users": (
            "id",
            "email",
            "password_hash",
            "name",
            "phone",
            "role",
            "active",
            "locale",
            "created_at",
            "updated_at",
        ),
        "admin_units": ("id", "era", "level", "code", "name", "division_type", "codename"),
        "cooperatives": (
            "id",
            "legal_name",
            "slug",
            "registration_number",
            "address",
            "commune_id",
            "phone",
            "email",
            "description",
            "status",
            "status_reason",
            "locale",
            "created_at",
            "updated_at",
        ),
        "cooperative_invitations": (
            "id",
            "cooperative_id",
            "email",
            "role",
            "created_at",
            "updated_at",
        ),
    }
    tables = {
        name: sa.table(
            name,
            *(
                sa.column(c, sa.DateTime(timezone=True) if c.endswith("_at") else None)
                for c in cols
            ),
        )
        for name, cols in columns.items()
    }
    with app.app_context():
        upgrade(revision="b7e4a2d9c150")
        with db.engine.begin() as conn:
            conn.execute(
                tables["users"]
                .insert()
                .values(
                    id=1,
                    email="cu@example.vn",
                    password_hash="x",
                    name="Cũ",
                    phone="",
                    role="customer",
                    active=True,
                    locale="vi",
                    created_at=sent,
                    updated_at=sent,
                )
            )
            conn.execute(
                tables["admin_units"]
                .insert()
                .values(
                    id=1,
                    era="current",
                    level="commune",
                    code=1,
                    name="Xã Một",
                    division_type="Xã",
                    codename="xa_mot",
                )
            )
            conn.execute(
                tables["cooperatives"]
                .insert()
                .values(
                    id=1,
                    legal_name="HTX",
                    slug="htx",
                    registration_number="R-1",
                    address="",
                    commune_id=1,
                    phone="",
                    email="",
                    description="",
                    status="approved",
                    status_reason="",
                    locale="vi",
                    created_at=sent,
                    updated_at=sent,
                )
            )
            conn.execute(
                tables["cooperative_invitations"]
                .insert()
                .values(
                    id=1,
                    cooperative_id=1,
                    email="moi@example.vn",
                    role="staff",
                    created_at=sent,
                    updated_at=sent,
                )
            )
        upgrade()
        with db.engine.begin() as conn:
            assert conn.execute(
                sa.text("SELECT email_verified_at, pending_email FROM users")
            ).all() == [(None, None)]
            invitations = sa.table(
                "cooperative_invitations",
                sa.column("id"),
                sa.column("cooperative_id"),
                sa.column("email"),
                sa.column("role"),
                sa.column("created_at"),
                sa.column("updated_at"),
                sa.column("expires_at", sa.DateTime(timezone=True)),
            )
            [expires_at] = conn.execute(sa.select(invitations.c.expires_at)).scalars().all()
            if expires_at.tzinfo is None:  # SQLite hands back naive UTC
                expires_at = expires_at.replace(tzinfo=UTC)
            assert expires_at == sent + timedelta(days=14)
            conn.execute(
                invitations.insert().values(
                    id=2,
                    cooperative_id=1,
                    email="moi@example.vn",
                    role="staff",
                    created_at=sent,
                    updated_at=sent,
                    expires_at=sent,
                )
            )
        downgrade(revision="b7e4a2d9c150")  # keeps the newest invitation of the two
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT id FROM cooperative_invitations")).all() == [(2,)]
        db.engine.dispose()


def test_packed_at_migration_dates_the_packing_of_existing_parcels(empty_database_url, tmp_path):
    """d2f7a9c41b05 on a database with shipments: a packed parcel takes its last change, a
    shipped or delivered one its shipping time, a new one stays undated."""
    app = create_app(
        {
            "CONFIG": "testing",
            "SQLALCHEMY_DATABASE_URI": empty_database_url,
            "SEARCH_INDEX_DIR": str(tmp_path / "search"),
        }
    )
    placed = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    changed, shipped = placed + timedelta(hours=3), placed + timedelta(days=1)
    with app.app_context():
        upgrade(revision="c5e81f3a9d27")
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO admin_units (id, era, level, code, name, division_type, codename)"
                    " VALUES (1, 'current', 'commune', 1, 'Xã Một', 'Xã', 'xa_mot')"
                )
            )
            conn.execute(
                sa.text(
                    "INSERT INTO cooperatives (id, legal_name, slug, registration_number, address,"
                    " commune_id, phone, email, description, status, status_reason, locale,"
                    " created_at, updated_at) VALUES (1, 'HTX', 'htx', 'R-1', '', 1, '', '', '',"
                    " 'approved', '', 'vi', :t, :t)"
                ),
                {"t": placed},
            )
            for shipment_id, status, updated_at, shipped_at in (
                (1, "new", placed, None),
                (2, "packed", changed, None),
                (3, "shipped", shipped, shipped),
                (4, "delivered", shipped + timedelta(days=2), shipped),
            ):  # one order each: an order has one shipment per cooperative
                conn.execute(
                    sa.text(
                        "INSERT INTO orders (id, number, email, phone, recipient, street,"
                        " address_text, payment_method, status, locale, subtotal, shipping_total,"
                        " total, created_at, updated_at) VALUES (:id, :number, '', '0912345678',"
                        " 'Lan', '1 Đường', '1 Đường', 'cod', 'placed', 'vi', 100, 0, 100, :t, :t)"
                    ),
                    {"id": shipment_id, "number": f"ORDER{shipment_id}", "t": placed},
                )
                conn.execute(
                    sa.text(
                        "INSERT INTO shipments (id, order_id, cooperative_id, cooperative_name,"
                        " status, subtotal, shipping_fee, weight_grams, carrier, tracking_number,"
                        " shipped_at, created_at, updated_at) VALUES (:id, :id, 1, 'HTX', :status,"
                        " 100, 0, 0, '', '', :shipped_at, :t, :updated_at)"
                    ),
                    {
                        "id": shipment_id,
                        "status": status,
                        "shipped_at": shipped_at,
                        "t": placed,
                        "updated_at": updated_at,
                    },
                )
        upgrade()
        shipments = sa.table(
            "shipments", sa.column("id"), sa.column("packed_at", sa.DateTime(timezone=True))
        )
        with db.engine.connect() as conn:
            rows = conn.execute(
                sa.select(shipments.c.id, shipments.c.packed_at).order_by(shipments.c.id)
            ).all()
        as_utc = [(i, at if at is None or at.tzinfo else at.replace(tzinfo=UTC)) for i, at in rows]
        assert as_utc == [(1, None), (2, changed), (3, shipped), (4, shipped)]
        downgrade(revision="c5e81f3a9d27")
        db.engine.dispose()
