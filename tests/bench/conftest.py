"""A scratch PostgreSQL database for the benchmarks that build their own tables (dropped
after the test), on the server of TEST_DATABASE_URL; skipped without it."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


@pytest.fixture
def bench_database_url() -> Iterator[str]:
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        pytest.skip("needs TEST_DATABASE_URL on PostgreSQL")
    name = f"ocop_bench_test_{uuid.uuid4().hex[:12]}"
    scratch = make_url(url).set(database=name)
    try:
        yield scratch.render_as_string(hide_password=False)
    finally:
        server = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()
