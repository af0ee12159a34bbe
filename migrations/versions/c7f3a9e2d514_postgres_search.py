"""PostgreSQL search backend: unaccent and pg_trgm (PostgreSQL only), search tables

Revision ID: c7f3a9e2d514
Revises: b6d2e8f4a1c7
Create Date: 2026-12-03 18:10:00

The extensions are PostgreSQL's contrib: creating them needs a superuser (or an
administrator runs `CREATE EXTENSION IF NOT EXISTS unaccent; CREATE EXTENSION IF NOT EXISTS
pg_trgm;` once before the upgrade). On SQLite this creates the (unused) tables only.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "c7f3a9e2d514"
down_revision = "c7e3a9f5b2d8"
branch_labels = None
depends_on = None


def upgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "search_documents",
        sa.Column("listing_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column(
            "document", postgresql.TSVECTOR().with_variant(sa.Text(), "sqlite"), nullable=False
        ),
        sa.Column("ocop_group", sa.SmallInteger(), nullable=False),
        sa.Column("stars", sa.SmallInteger(), nullable=False),
        sa.Column("province_code", sa.Integer(), nullable=False),
        sa.Column("commune_code", sa.Integer(), nullable=False),
        sa.Column("cooperative_id", sa.Integer(), nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("name_words", sa.SmallInteger(), nullable=False),
        sa.Column("in_stock", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("listing_id", name=op.f("pk_search_documents")),
    )
    if postgres:
        # Read in place by every @@ of a search, not decompressed each time (models/search.py).
        op.execute("ALTER TABLE search_documents ALTER COLUMN document SET STORAGE PLAIN")
    op.create_index(
        "ix_search_documents_document",
        "search_documents",
        ["document"],
        unique=False,
        postgresql_using="gin",
    )
    op.create_index(
        "ix_search_documents_columns",
        "search_documents",
        [
            "expires_on",
            "listing_id",
            "ocop_group",
            "stars",
            "province_code",
            "commune_code",
            "cooperative_id",
            "price",
            "created_at",
            "name_words",
            "in_stock",
        ],
        unique=False,
    )
    op.create_table(
        "search_words",
        sa.Column("field", sa.String(length=2), nullable=False),
        sa.Column("word", sa.String(length=200), nullable=False),
        sa.Column("listings", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("field", "word", name=op.f("pk_search_words")),
    )
    op.create_index(
        "ix_search_words_word_trgm",
        "search_words",
        ["word"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"word": "gin_trgm_ops"},
    )
    op.create_table(
        "search_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("generation", sa.BigInteger(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_state")),
    )


def downgrade():
    op.drop_table("search_state")
    op.drop_index("ix_search_words_word_trgm", table_name="search_words")
    op.drop_table("search_words")
    op.drop_index("ix_search_documents_columns", table_name="search_documents")
    op.drop_index("ix_search_documents_document", table_name="search_documents")
    op.drop_table("search_documents")
    # The extensions stay: other databases objects may use them, and dropping needs a superuser.
