"""shipments.packed_at: when the cooperative packed the parcel

The buyer's timeline (placed → packed → shipped → delivered) dates every step. Existing rows:
a parcel packed and not yet shipped takes its last change (the packing); one already shipped
or delivered takes its shipping time (packed then at the latest).

Revision ID: d2f7a9c41b05
Revises: c5e81f3a9d27
Create Date: 2026-12-03 09:25:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "d2f7a9c41b05"
down_revision = "c5e81f3a9d27"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("shipments") as batch_op:
        batch_op.add_column(sa.Column("packed_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE shipments SET packed_at = updated_at WHERE status = 'packed'")
    op.execute(
        "UPDATE shipments SET packed_at = shipped_at"
        " WHERE status IN ('shipped', 'delivered') AND shipped_at IS NOT NULL"
    )


def downgrade():
    with op.batch_alter_table("shipments") as batch_op:
        batch_op.drop_column("packed_at")
