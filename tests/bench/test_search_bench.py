"""The search benchmark still runs against the engines as they are (it wraps some of their
methods, which once changed under it): a small catalog on each backend, its report read. No
time is asserted: speed goals live in the benchmark itself."""

from __future__ import annotations

import os
import re

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench import search_bench


def test_the_whoosh_search_bench_runs_and_counts_its_passes(capsys):
    search_bench.main(["--sizes", "300"])
    out = capsys.readouterr().out

    assert re.search(r"300 listings: build [\d.]+ s", out)
    for row in ("search, result cache off", "search, result cache on", "suggestions"):
        assert row in out
    passes = {
        name: int(n)
        for name, n in re.findall(r"(all words|relaxed|most words|fuzzy|no text) (\d+)", out)
    }
    assert passes["all words"] == 200  # every search with text tries its words first
    assert 0 < passes["no text"] < 200 and passes["fuzzy"] > 0  # the mix has both


def test_the_postgres_search_bench_runs(capsys):
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        pytest.skip("needs TEST_DATABASE_URL on PostgreSQL")
    bench_url = make_url(url).set(database=f"ocop_search_bench_test_{os.getpid()}")
    try:
        search_bench.main(
            [
                "--backend",
                "postgres",
                "--database-url",
                bench_url.render_as_string(hide_password=False),
                "--sizes",
                "300",
                "--repeat",
                "2",
                "--slowest",
                "2",
            ]
        )
        out = capsys.readouterr().out
        assert re.search(r"300 listings \(postgres\): rebuild [\d.]+ s", out)
        assert "(fastest of 2 runs each)" in out and "of 200 over 30 ms" in out
        assert len(re.findall(r" ms wall .* hits=\d+ statements=\d+", out)) == 2
    finally:
        server = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{bench_url.database}" WITH (FORCE)'))
        server.dispose()
