"""Search documents: buyers' ratings and sold counts as shown (filter "from 4 rated", sorts
by rating and best-selling)

Revision ID: 5b7e1d3c9a24
Revises: d4b8e1f6a2c3
Create Date: 2026-12-04 16:20:00

Existing rows get zeros, which is right until listings have stats; after `flask stats
rebuild` (which re-indexes the listings whose shown figures moved) or `flask search reindex`
they hold the figures.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "5b7e1d3c9a24"
down_revision = "d4b8e1f6a2c3"
branch_labels = None
depends_on = None

OLD_COLUMNS = [
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
]
NEW_COLUMNS = ["rating_band", "rating_tenths", "rating_count", "sold"]


def upgrade():
    with op.batch_alter_table("search_documents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("rating_band", sa.SmallInteger(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("rating_tenths", sa.SmallInteger(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("rating_count", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("sold", sa.Integer(), server_default="0", nullable=False))
        # The narrow index a search without text reads (index-only scan) holds every column
        # it filters and sorts on.
        batch_op.drop_index("ix_search_documents_columns")
        batch_op.create_index(
            "ix_search_documents_columns", OLD_COLUMNS + NEW_COLUMNS, unique=False
        )


def downgrade():
    with op.batch_alter_table("search_documents", schema=None) as batch_op:
        batch_op.drop_index("ix_search_documents_columns")
        batch_op.create_index("ix_search_documents_columns", OLD_COLUMNS, unique=False)
        for column in reversed(NEW_COLUMNS):
            batch_op.drop_column(column)
