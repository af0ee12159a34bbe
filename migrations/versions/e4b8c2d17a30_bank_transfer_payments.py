"""Bank transfer by VietQR and payOS: payment methods, the order's payment code, money received

- orders.payment_method gains 'transfer' (VietQR) and 'payos';
- payments.status gains 'partly_paid' (a transfer that came short);
- orders.payment_code: the unique short code a transfer's content must carry;
- payments.amount_received: what has arrived so far, in đồng.

Enums are VARCHAR + CHECK (models/base.str_enum): widen the column, replace the CHECK.

Revision ID: e4b8c2d17a30
Revises: d2f7a9c41b05
Create Date: 2026-12-03 13:45:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "e4b8c2d17a30"
down_revision = "d2f7a9c41b05"
branch_labels = None
depends_on = None

METHODS_OLD = ("cod", "card")
METHODS_NEW = ("cod", "card", "transfer", "payos")
STATUSES_OLD = ("pending", "paid", "failed", "expired", "refunded")
STATUSES_NEW = ("pending", "partly_paid", "paid", "failed", "expired", "refunded")


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade():
    with op.batch_alter_table("orders") as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_orders_payment_method"), type_="check")
        batch_op.alter_column(
            "payment_method", type_=sa.String(8), existing_type=sa.String(4), existing_nullable=False
        )
        batch_op.create_check_constraint("payment_method", _in("payment_method", METHODS_NEW))
        batch_op.add_column(sa.Column("payment_code", sa.String(16), nullable=True))
        batch_op.create_unique_constraint("uq_orders_payment_code", ["payment_code"])
    with op.batch_alter_table("payments") as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_payments_payment_status"), type_="check")
        batch_op.alter_column(
            "status", type_=sa.String(11), existing_type=sa.String(8), existing_nullable=False
        )
        batch_op.create_check_constraint("payment_status", _in("status", STATUSES_NEW))
        batch_op.add_column(
            sa.Column("amount_received", sa.BigInteger(), server_default="0", nullable=False)
        )


def downgrade():
    op.execute("UPDATE payments SET status = 'pending' WHERE status = 'partly_paid'")
    with op.batch_alter_table("payments") as batch_op:
        batch_op.drop_column("amount_received")
        batch_op.drop_constraint(batch_op.f("ck_payments_payment_status"), type_="check")
        batch_op.alter_column(
            "status", type_=sa.String(8), existing_type=sa.String(11), existing_nullable=False
        )
        batch_op.create_check_constraint("payment_status", _in("status", STATUSES_OLD))
    op.execute("UPDATE orders SET payment_method = 'cod' WHERE payment_method IN ('transfer', 'payos')")
    with op.batch_alter_table("orders") as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_orders_payment_code"), type_="unique")
        batch_op.drop_column("payment_code")
        batch_op.drop_constraint(batch_op.f("ck_orders_payment_method"), type_="check")
        batch_op.alter_column(
            "payment_method", type_=sa.String(4), existing_type=sa.String(8), existing_nullable=False
        )
        batch_op.create_check_constraint("payment_method", _in("payment_method", METHODS_OLD))
