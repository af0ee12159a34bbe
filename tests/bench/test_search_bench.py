"""The search benchmark still runs against the engines as they are (it wraps some of their
methods, which once changed under it): a small catalog on each backend, its report read. No
time is asserted: speed goals live in the benchmark itself."""

from __future__ import annotations

import re

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


def test_the_postgres_search_bench_runs(capsys, bench_database_url):
    search_bench.main(
        [
            "--backend",
            "postgres",
            "--database-url",
            bench_database_url,
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
