"""PostgreSQL search: facet counts kept with the rows (search_facets), GIN indexes without a
pending list, indexes for the catalog without text in its orders

Revision ID: d4b8e1f6a2c3
Revises: b8e5d2a7c913
Create Date: 2026-12-04 15:40:00

On SQLite this creates the (unused) table and indexes only.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d4b8e1f6a2c3"
down_revision = "b8e5d2a7c913"
branch_labels = None
depends_on = None

GIN_INDEXES = ("ix_search_documents_document", "ix_search_words_word_trgm")
# The counts of the rows already there (as storefront/search/postgres_engine keeps them: the
# price facet is the price range's index, "total" counts every row).
PRICE_BUCKET = (
    "CASE WHEN price < 100000 THEN 0 WHEN price < 200000 THEN 1 WHEN price < 500000 THEN 2 "
    "ELSE 3 END"
)
COUNT_FACETS = (
    "INSERT INTO search_facets (facet, value, listings) SELECT CASE "
    "WHEN GROUPING(ocop_group) = 0 THEN 'group' WHEN GROUPING(stars) = 0 THEN 'stars' "
    "WHEN GROUPING(province_code) = 0 THEN 'province' "
    "WHEN GROUPING(cooperative_id) = 0 THEN 'cooperative' "
    f"WHEN GROUPING({PRICE_BUCKET}) = 0 THEN 'price' ELSE 'total' END, "
    f"COALESCE(ocop_group, stars, province_code, cooperative_id, {PRICE_BUCKET}, 0), count(*) "
    "FROM search_documents GROUP BY GROUPING SETS ((ocop_group), (stars), (province_code), "
    f"(cooperative_id), ({PRICE_BUCKET}), ())"
)


def upgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "search_facets",
        sa.Column("facet", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("listings", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("facet", "value", name=op.f("pk_search_facets")),
    )
    op.create_index(
        "ix_search_documents_created_at",
        "search_documents",
        ["created_at", "listing_id"],
        unique=False,
        postgresql_include=["expires_on"],
    )
    op.create_index(
        "ix_search_documents_price",
        "search_documents",
        ["price"],
        unique=False,
        postgresql_include=["expires_on", "created_at", "listing_id"],
    )
    if postgres:
        for name in GIN_INDEXES:
            op.execute(f"ALTER INDEX {name} SET (fastupdate = off)")
            # Turning fastupdate off leaves what is pending where it is: merged now.
            op.execute(f"SELECT gin_clean_pending_list('{name}'::regclass)")
        op.execute(COUNT_FACETS)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for name in GIN_INDEXES:
            op.execute(f"ALTER INDEX {name} RESET (fastupdate)")
    op.drop_index("ix_search_documents_price", table_name="search_documents")
    op.drop_index("ix_search_documents_created_at", table_name="search_documents")
    op.drop_table("search_facets")
