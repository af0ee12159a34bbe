"""certificate first approval: the two-person rule

A 5-star verification and the reinstatement of a revoked certificate need two different PFA
staff members. certificates.pending_approval says which of the two waits for its second
approval ('verify' while submitted, 'reinstate' while revoked), with who gave the first, when,
and (for a reinstatement) why. Both approvals are in the audit trail; these columns only hold
what is waiting. CHECK constraints keep a first approval whole and tied to its status.

Revision ID: 2029da55224c
Revises: b7e4a2d9c150
Create Date: 2026-12-02 18:36:16.746980

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '2029da55224c'
down_revision = 'b7e4a2d9c150'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pending_approval', sa.Enum('verify', 'reinstate', name='certificate_pending_approval', native_enum=False, create_constraint=True), nullable=True))
        batch_op.add_column(sa.Column('first_approved_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('first_approved_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('first_approval_reason', sa.Text(), server_default='', nullable=False))
        batch_op.create_foreign_key(batch_op.f('fk_certificates_first_approved_by_id_users'), 'users', ['first_approved_by_id'], ['id'])
        batch_op.create_check_constraint(
            batch_op.f('ck_certificates_first_approval_whole'),
            "(pending_approval IS NULL AND first_approved_by_id IS NULL"
            " AND first_approved_at IS NULL)"
            " OR (pending_approval IS NOT NULL AND first_approved_by_id IS NOT NULL"
            " AND first_approved_at IS NOT NULL)",
        )
        batch_op.create_check_constraint(
            batch_op.f('ck_certificates_first_approval_matches_status'),
            "pending_approval IS NULL"
            " OR (pending_approval = 'verify' AND status = 'submitted')"
            " OR (pending_approval = 'reinstate' AND status = 'revoked')",
        )


def downgrade():
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_certificates_first_approval_matches_status'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_certificates_first_approval_whole'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_certificates_certificate_pending_approval'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_certificates_first_approved_by_id_users'), type_='foreignkey')
        batch_op.drop_column('first_approval_reason')
        batch_op.drop_column('first_approved_at')
        batch_op.drop_column('first_approved_by_id')
        batch_op.drop_column('pending_approval')
