"""A PostgreSQL search engine for the benchmarks: the search tables alone in a database of
their own (created when missing), emptied, with the unaccent and pg_trgm extensions.

    --backend postgres --database-url postgresql+psycopg://postgres@127.0.0.1:5432/ocop_bench
"""

from __future__ import annotations

import os

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from storefront.models import (
    SearchDocument,
    SearchFacet,
    SearchFacetPair,
    SearchState,
    SearchWord,
)
from storefront.search.postgres_engine import PostgresSearchIndex

DEFAULT_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/ocop_search_bench"
)
TABLES = [
    SearchDocument.__table__,
    SearchWord.__table__,
    SearchFacet.__table__,
    SearchFacetPair.__table__,
    SearchState.__table__,
]
TABLE_NAMES = (
    "search_documents",
    "search_words",
    "search_facets",
    "search_facet_pairs",
    "search_state",
)


def open_postgres_index(
    url: str = DEFAULT_URL, keep: int | None = None
) -> tuple[PostgresSearchIndex, Engine, bool]:
    """A PostgresSearchIndex on `url` (the database is created if missing), emptied — unless
    `keep` is given and its documents table already holds that many rows (then the third
    value is True and the tables are left as they are)."""
    parsed = make_url(url)  # (a kept database made before a table was added is rebuilt)
    server = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        name = parsed.database
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    server.dispose()
    engine = create_engine(parsed)
    autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
    index = PostgresSearchIndex(
        engine.connect, engine.begin, autocommit.connect, in_transaction=False
    )
    if keep is not None:
        # (Kept only when every table and index of the models is there: a database made
        # before one was added is rebuilt, not measured without it.)
        indexes = [str(i.name) for t in TABLES for i in t.indexes]  # type: ignore[attr-defined]
        wanted = [*TABLE_NAMES, *indexes]
        with engine.connect() as conn:
            exists = all(
                conn.scalar(text(f"SELECT to_regclass('{name}') IS NOT NULL")) for name in wanted
            )
        if exists and index.doc_count() == keep:
            return index, engine, True
    with engine.begin() as conn:
        for table in reversed(TABLES):
            table.drop(conn, checkfirst=True)  # type: ignore[attr-defined]
        for table in TABLES:
            table.create(conn)  # type: ignore[attr-defined]
    return index, engine, False
