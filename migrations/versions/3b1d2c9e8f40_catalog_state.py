"""catalog state: the catalog version every relevant commit moves on

Revision ID: 3b1d2c9e8f40
Revises: ca4f604e62f7
Create Date: 2026-11-26 00:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3b1d2c9e8f40'
down_revision = 'ca4f604e62f7'
branch_labels = None
depends_on = None


def upgrade():
    catalog_state = op.create_table(
        'catalog_state',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version', sa.BigInteger(), server_default='0', nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_state')),
    )
    op.bulk_insert(catalog_state, [{'id': 1, 'version': 0}])


def downgrade():
    op.drop_table('catalog_state')
