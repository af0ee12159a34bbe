"""listing_images.status: photos are processed by an outbox job

An upload stores the original privately and a job makes the sizes; until it has, the photo is
"processing" and shoppers do not see it; a file the job finds broken is "failed". Existing
rows were processed inside their request: they are "ready" (the server default).

Revision ID: b8e5d2a7c913
Revises: 9912ccf326df
Create Date: 2026-12-04 15:45:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "b8e5d2a7c913"
down_revision = "9912ccf326df"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("listing_images") as batch_op:
        batch_op.add_column(
            sa.Column(
                "status",
                sa.Enum(
                    "processing",
                    "ready",
                    "failed",
                    name="photo_status",
                    native_enum=False,
                    create_constraint=True,
                ),
                server_default="ready",
                nullable=False,
            )
        )


def downgrade():
    with op.batch_alter_table("listing_images") as batch_op:
        # SQLite's table copy would keep the CHECK on the dropped column: drop it first.
        batch_op.drop_constraint(batch_op.f("ck_listing_images_photo_status"), type_="check")
        batch_op.drop_column("status")
