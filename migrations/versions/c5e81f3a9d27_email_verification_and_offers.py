"""e-mail verification, pending e-mail changes, invitations as offers

users.email_verified_at: set when a signed link sent to the address is opened and confirmed.
Existing rows stay NULL (unverified): nobody is trusted for an address that was never
checked; they verify from their account page when they need it (joining or opening a
cooperative). users.pending_email: an address asked for, not yet confirmed.

cooperative_invitations: one row per invitation sent (the unique (cooperative, e-mail) pair is
dropped, so the daily limits count every one, withdrawn ones included); declined_at,
withdrawn_at and expires_at. Existing invitations expire 14 days after they were last sent.

Revision ID: c5e81f3a9d27
Revises: c3d8e1f0a6b2
Create Date: 2026-12-02 18:50:00.000000

"""

from datetime import timedelta

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "c5e81f3a9d27"
down_revision = "c3d8e1f0a6b2"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_verified_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("pending_email", sa.String(length=254), nullable=True))

    with op.batch_alter_table("cooperative_invitations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("declined_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))

    invitations = sa.table(
        "cooperative_invitations",
        sa.column("id", sa.Integer()),
        sa.column("updated_at", sa.DateTime(timezone=True)),
        sa.column("expires_at", sa.DateTime(timezone=True)),
    )
    connection = op.get_bind()
    for row_id, sent_at in connection.execute(
        sa.select(invitations.c.id, invitations.c.updated_at)
    ).all():
        connection.execute(
            invitations.update()
            .where(invitations.c.id == row_id)
            .values(expires_at=sent_at + timedelta(days=14))
        )

    with op.batch_alter_table("cooperative_invitations", schema=None) as batch_op:
        batch_op.alter_column("expires_at", existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.drop_constraint("uq_cooperative_invitation", type_="unique")
        batch_op.create_index(
            batch_op.f("ix_cooperative_invitations_email"), ["email"], unique=False
        )


def downgrade():
    with op.batch_alter_table("cooperative_invitations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cooperative_invitations_email"))
    # Only one invitation per (cooperative, e-mail) may stay: keep the newest.
    invitations = sa.table(
        "cooperative_invitations",
        sa.column("id", sa.Integer()),
        sa.column("cooperative_id", sa.Integer()),
        sa.column("email", sa.String()),
    )
    connection = op.get_bind()
    newest = sa.select(sa.func.max(invitations.c.id)).group_by(
        invitations.c.cooperative_id, invitations.c.email
    )
    connection.execute(invitations.delete().where(invitations.c.id.not_in(newest)))
    with op.batch_alter_table("cooperative_invitations", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_cooperative_invitation", ["cooperative_id", "email"])
        batch_op.drop_column("expires_at")
        batch_op.drop_column("withdrawn_at")
        batch_op.drop_column("declined_at")

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("pending_email")
        batch_op.drop_column("email_verified_at")
