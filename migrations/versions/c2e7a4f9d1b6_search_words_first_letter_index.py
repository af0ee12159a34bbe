"""Search: an index of search_words by first letter and length, for the words spelt nearly
like a typed one

Revision ID: c2e7a4f9d1b6
Revises: b3d9f2a6c8e1
Create Date: 2026-12-06 05:40:00

Created on both engines (substr and length are SQLite's too); only PostgreSQL searches use it.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c2e7a4f9d1b6"
down_revision = "b3d9f2a6c8e1"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_search_words_first_length",
        "search_words",
        [sa.text("substr(word, 1, 1)"), sa.text("length(word)")],
        unique=False,
    )


def downgrade():
    op.drop_index("ix_search_words_first_length", table_name="search_words")
