"""listings: optional English name and short description (name_en, summary_en)

Revision ID: b5e2d7a9c413
Revises: f3a1c5d8e902
Create Date: 2026-12-03 15:15:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "b5e2d7a9c413"
down_revision = "f3a1c5d8e902"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("name_en", sa.String(length=200), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("summary_en", sa.String(length=300), server_default="", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.drop_column("summary_en")
        batch_op.drop_column("name_en")
