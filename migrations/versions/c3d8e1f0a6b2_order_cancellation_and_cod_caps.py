"""order cancellation by cooperatives and PFA; the per-phone cash-on-delivery cap

orders: cancelled_by, cancel_reason; an index on phone (the cap on open cash-on-delivery
orders counts a phone's orders at every checkout). shipments: cancelled_at, cancelled_by,
cancel_reason, and for a card-paid part cancelled on its own, refund_due and refund_id.

Revision ID: c3d8e1f0a6b2
Revises: 2029da55224c
Create Date: 2026-12-02 18:40:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "c3d8e1f0a6b2"
down_revision = "2029da55224c"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("cancelled_by", sa.String(length=20), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("cancel_reason", sa.Text(), server_default="", nullable=False))
        batch_op.create_index(batch_op.f("ix_orders_phone"), ["phone"], unique=False)
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("cancelled_by", sa.String(length=20), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("cancel_reason", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(
            sa.Column("refund_due", sa.BigInteger(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("refund_id", sa.String(length=255), nullable=True))


def downgrade():
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.drop_column("refund_id")
        batch_op.drop_column("refund_due")
        batch_op.drop_column("cancel_reason")
        batch_op.drop_column("cancelled_by")
        batch_op.drop_column("cancelled_at")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_orders_phone"))
        batch_op.drop_column("cancel_reason")
        batch_op.drop_column("cancelled_by")
