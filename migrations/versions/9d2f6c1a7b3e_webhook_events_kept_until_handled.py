"""webhook events kept until handled

webhook_events.handled_at: when the event took effect (NULL while it matches no payment yet,
e.g. a session whose id was never recorded); webhook_events.payload: the event, kept until
then so that `flask payments reconcile` can try it again. Every existing row was handled.

Revision ID: 9d2f6c1a7b3e
Revises: 3b1d2c9e8f40
Create Date: 2026-12-02 16:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9d2f6c1a7b3e'
down_revision = '3b1d2c9e8f40'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('webhook_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('handled_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('payload', sa.Text(), server_default='', nullable=False))
        batch_op.create_index(batch_op.f('ix_webhook_events_handled_at'), ['handled_at'], unique=False)
    op.execute('UPDATE webhook_events SET handled_at = received_at')


def downgrade():
    op.execute('DELETE FROM webhook_events WHERE handled_at IS NULL')
    with op.batch_alter_table('webhook_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_events_handled_at'))
        batch_op.drop_column('payload')
        batch_op.drop_column('handled_at')
