"""Bank-transfer notifications (SePay), stored raw before processing, and refund tasks

Revision ID: a7c3e9f15b42
Revises: e4b8c2d17a30
Create Date: 2026-12-03 14:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "a7c3e9f15b42"
down_revision = "e4b8c2d17a30"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "bank_notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("transaction_id", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("raw_body", sa.Text(), nullable=False),
        sa.Column("gateway", sa.String(length=100), nullable=False),
        sa.Column("transaction_date", sa.String(length=40), nullable=False),
        sa.Column("account_number", sa.String(length=40), nullable=False),
        sa.Column("transfer_type", sa.String(length=3), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("reference_code", sa.String(length=100), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "received", "applied", "outgoing", "unmatched", "assigned", "refund",
                name="notification_status", native_enum=False, create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("outcome", sa.String(length=30), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("suggested_order_id", sa.Integer(), nullable=True),
        sa.Column("applied_amount", sa.BigInteger(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_bank_notifications_amount_positive")),
        sa.CheckConstraint(
            "applied_amount >= 0", name=op.f("ck_bank_notifications_applied_amount_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_bank_notifications_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["suggested_order_id"], ["orders.id"],
            name=op.f("fk_bank_notifications_suggested_order_id_orders"),
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"], ["users.id"], name=op.f("fk_bank_notifications_resolved_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_notifications")),
        sa.UniqueConstraint(
            "provider", "transaction_id", name="uq_bank_notifications_transaction"
        ),
    )
    with op.batch_alter_table("bank_notifications") as batch_op:
        batch_op.create_index(batch_op.f("ix_bank_notifications_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_bank_notifications_order_id"), ["order_id"], unique=False
        )
    op.create_table(
        "refund_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=True),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=30), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open", "refunded", name="refund_status", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_by_id", sa.Integer(), nullable=True),
        sa.Column("done_note", sa.Text(), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_refund_tasks_amount_positive")),
        sa.ForeignKeyConstraint(
            ["notification_id"], ["bank_notifications.id"],
            name=op.f("fk_refund_tasks_notification_id_bank_notifications"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_refund_tasks_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["done_by_id"], ["users.id"], name=op.f("fk_refund_tasks_done_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refund_tasks")),
    )
    with op.batch_alter_table("refund_tasks") as batch_op:
        batch_op.create_index(
            batch_op.f("ix_refund_tasks_notification_id"), ["notification_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_refund_tasks_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_refund_tasks_status"), ["status"], unique=False)


def downgrade():
    op.drop_table("refund_tasks")
    op.drop_table("bank_notifications")
