"""Listing origin: the seller's confirmed exception for a pre-2025 commune outside the succession

Revision ID: b6d2e8f4a1c7
Revises: b5e2d7a9c413
Create Date: 2026-12-03 15:20:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b6d2e8f4a1c7"
down_revision = "b5e2d7a9c413"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "origin_legacy_exception", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        batch_op.add_column(sa.Column("origin_legacy_confirmed_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("origin_legacy_confirmed_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_listings_origin_legacy_confirmed_by_id_users"),
            "users",
            ["origin_legacy_confirmed_by_id"],
            ["id"],
        )


def downgrade():
    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_listings_origin_legacy_confirmed_by_id_users"), type_="foreignkey"
        )
        batch_op.drop_column("origin_legacy_confirmed_at")
        batch_op.drop_column("origin_legacy_confirmed_by_id")
        batch_op.drop_column("origin_legacy_exception")
