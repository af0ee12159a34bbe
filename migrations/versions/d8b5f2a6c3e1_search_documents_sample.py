"""The sample slices of search_documents a broad search counts and facets (partial indexes
of the listing ids divisible by 8 and by 64), and an index of the stars its page by stars
reads

Revision ID: d8b5f2a6c3e1
Revises: c2e7a4f9d1b6
Create Date: 2026-12-06 12:00:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d8b5f2a6c3e1"
down_revision = "c2e7a4f9d1b6"
branch_labels = None
depends_on = None

# storefront.models.search.SAMPLE_EVERY and SPARSE_SAMPLE_EVERY when this revision was written.
SAMPLE = sa.text("listing_id % 8 = 0")
SPARSE_SAMPLE = sa.text("listing_id % 64 = 0")


def upgrade():
    op.create_index(
        "ix_search_documents_sample",
        "search_documents",
        ["listing_id"],
        unique=False,
        postgresql_where=SAMPLE,
        sqlite_where=SAMPLE,
    )
    op.create_index(
        "ix_search_documents_sparse_sample",
        "search_documents",
        ["listing_id"],
        unique=False,
        postgresql_where=SPARSE_SAMPLE,
        sqlite_where=SPARSE_SAMPLE,
    )
    op.create_index("ix_search_documents_stars", "search_documents", ["stars"], unique=False)


def downgrade():
    op.drop_index("ix_search_documents_stars", table_name="search_documents")
    op.drop_index("ix_search_documents_sparse_sample", table_name="search_documents")
    op.drop_index("ix_search_documents_sample", table_name="search_documents")
