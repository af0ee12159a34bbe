"""Review photos and cooperative logos are processed by an outbox job, like listing photos

review_photos.status: "processing" until the job has made the sizes (shown to nobody but the
buyer), "ready" (shown), "failed" (the file is broken or the job gave up: the buyer removes
it). Existing rows were processed inside their request: they are "ready" (the server default).

cooperatives.pending_logo / pending_logo_status: a new logo waiting for its job ("processing")
or that it could not make ("failed"); the public logo (cooperatives.logo) stays until the new
one is ready. Existing rows have none.

Revision ID: c4f1a9d2e7b6
Revises: 5b7e1d3c9a24
Create Date: 2026-12-04 18:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c4f1a9d2e7b6"
down_revision = "5b7e1d3c9a24"
branch_labels = None
depends_on = None


def _status() -> sa.Enum:
    return sa.Enum(
        "processing",
        "ready",
        "failed",
        name="photo_status",
        native_enum=False,
        create_constraint=True,
    )


def upgrade():
    with op.batch_alter_table("review_photos") as batch_op:
        batch_op.add_column(sa.Column("status", _status(), server_default="ready", nullable=False))
    with op.batch_alter_table("cooperatives") as batch_op:
        batch_op.add_column(sa.Column("pending_logo", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("pending_logo_status", _status(), nullable=True))


def downgrade():
    # SQLite's table copy would keep the CHECK on a dropped column: drop it first.
    with op.batch_alter_table("cooperatives") as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_cooperatives_photo_status"), type_="check")
        batch_op.drop_column("pending_logo_status")
        batch_op.drop_column("pending_logo")
    with op.batch_alter_table("review_photos") as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_review_photos_photo_status"), type_="check")
        batch_op.drop_column("status")
