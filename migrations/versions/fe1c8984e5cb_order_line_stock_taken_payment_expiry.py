"""order line stock taken, payment expiry

order_lines.stock_taken: units a line took off its package's stock (a pre-order takes fewer),
so a cancellation gives back exactly that. No orders existed before this revision, so 0 is a
safe default. payments.expires_at: when a card attempt's Stripe Checkout Session expires.

Revision ID: fe1c8984e5cb
Revises: 00dc4db7ca51
Create Date: 2026-11-25 21:14:27.202883

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'fe1c8984e5cb'
down_revision = '00dc4db7ca51'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stock_taken', sa.Integer(), server_default='0', nullable=False))

    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True))



def downgrade():
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_column('expires_at')

    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.drop_column('stock_taken')

