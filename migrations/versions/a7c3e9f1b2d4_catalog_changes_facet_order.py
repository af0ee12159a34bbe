"""The catalog's change log (catalog_changes: which listings each catalog version changed,
so a process drops only their cards), search_facets in frequency order, and the search rows
of one cooperative or commune

Revision ID: a7c3e9f1b2d4
Revises: c4f1a9d2e7b6
Create Date: 2026-12-04 18:30:00

The log starts empty: the first version move after the upgrade finds no rows for the
versions before it and drops every card, as before.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a7c3e9f1b2d4"
down_revision = "c4f1a9d2e7b6"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "catalog_changes",
        sa.Column("version", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("listing_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("nonce", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("version", "listing_id", name=op.f("pk_catalog_changes")),
    )
    op.create_index(
        "ix_search_facets_facet_listings",
        "search_facets",
        ["facet", sa.text("listings DESC"), "value"],
        unique=False,
    )
    op.create_index(
        "ix_search_documents_cooperative_id", "search_documents", ["cooperative_id"], unique=False
    )
    op.create_index(
        "ix_search_documents_commune_code", "search_documents", ["commune_code"], unique=False
    )


def downgrade():
    op.drop_index("ix_search_documents_commune_code", table_name="search_documents")
    op.drop_index("ix_search_documents_cooperative_id", table_name="search_documents")
    op.drop_index("ix_search_facets_facet_listings", table_name="search_facets")
    op.drop_table("catalog_changes")
