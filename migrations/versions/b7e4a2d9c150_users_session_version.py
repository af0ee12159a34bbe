"""users session version

users.session_version: bumped on logout, password change and role change; login sessions and
remember-me cookies carry it (User.get_id), so every older one stops working. Sessions issued
before this revision carry no version and end once (their holders log in again).

Revision ID: b7e4a2d9c150
Revises: 9d2f6c1a7b3e
Create Date: 2026-12-02 16:45:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "b7e4a2d9c150"
down_revision = "9d2f6c1a7b3e"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("session_version", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("session_version")
