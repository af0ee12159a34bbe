"""PostgreSQL search: the facets counted within each group, star rating, province and price
bucket (search_facet_pairs), for the catalog browsed by one of them

Revision ID: b3d9f2a6c8e1
Revises: a7c3e9f1b2d4
Create Date: 2026-12-05 00:20:00

On PostgreSQL the counts of the rows already there are written; on SQLite this creates the
(unused) table only.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b3d9f2a6c8e1"
down_revision = "a7c3e9f1b2d4"
branch_labels = None
depends_on = None

# As storefront/search/postgres_engine counts them (sql.PAIR_COUNTS): the price facet is the
# price range's index, a province's communes are counted too.
PRICE_BUCKET = (
    "CASE WHEN price < 100000 THEN 0 WHEN price < 200000 THEN 1 WHEN price < 500000 THEN 2 "
    "ELSE 3 END"
)
COLUMNS = {
    "group": "ocop_group",
    "stars": "stars",
    "province": "province_code",
    "cooperative": "cooperative_id",
    "price": PRICE_BUCKET,
}
PAIRS = [
    (facet, other)
    for facet in ("group", "stars", "province", "price")
    for other in [*COLUMNS, *(["commune"] if facet == "province" else [])]
    if other != facet
]
COUNT_PAIRS = (
    "INSERT INTO search_facet_pairs (facet, value, other, other_value, listings) "
    + " UNION ALL ".join(
        f"SELECT '{facet}', {COLUMNS[facet]}, '{other}', "
        f"{COLUMNS.get(other, 'commune_code')}, count(*) FROM search_documents GROUP BY 2, 4"
        for facet, other in PAIRS
    )
)


def upgrade():
    op.create_table(
        "search_facet_pairs",
        sa.Column("facet", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("other", sa.String(length=16), nullable=False),
        sa.Column("other_value", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("listings", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "facet", "value", "other", "other_value", name=op.f("pk_search_facet_pairs")
        ),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(COUNT_PAIRS)


def downgrade():
    op.drop_table("search_facet_pairs")
