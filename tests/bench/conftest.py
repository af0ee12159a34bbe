"""A scratch PostgreSQL database for the benchmarks that build their own tables (dropped
after the test), on the server of TEST_DATABASE_URL; skipped without it."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


@pytest.fixture
def bench_database_url(request) -> Iterator[str]:
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        pytest.skip("needs TEST_DATABASE_URL on PostgreSQL")
    name = f"ocop_bench_test_{os.getpid()}_{request.node.name[:20].lower()}"
    scratch = make_url(url).set(database=name)
    try:
        yield scratch.render_as_string(hide_password=False)
    finally:
        server = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()
