"""The relevance benchmark (bench/relevance) as a check: its labelled queries still find
their products on the Whoosh engine, and the PostgreSQL engine agrees with it (issue 15:
recall@5 within 0.02, overall and for each kind of query)."""

from __future__ import annotations

import pytest

from bench.relevance.runner import run, summary

# What both sets give today (recall@5 1.00, no query without results); a change that loses
# some is seen here first, and its figures are then looked at with `--failures`.
RECALL_AT_5 = 0.98
# Results besides the labelled products, per English query (0.33 and 0.35 today; 1.63 and
# 1.04 when a translated product type matched its syllables in descriptions, places and
# group names: "turmeric" found pottery made by a "nghệ nhân").
ENGLISH_OTHERS = 0.5


@pytest.mark.parametrize("query_set", ["tuned", "heldout"])
def test_the_labelled_queries_find_their_products(query_set):
    table = summary(run(query_set=query_set))
    assert table["overall"]["queries"] > 250
    assert table["overall"]["recall@5"] >= RECALL_AT_5
    assert table["overall"]["zero"] == 0
    assert table["english"]["others"] <= ENGLISH_OTHERS


@pytest.mark.parametrize("query_set", ["tuned", "heldout"])
def test_the_postgres_engine_ranks_as_whoosh_does(query_set, bench_database_url):
    whoosh = summary(run(query_set=query_set))
    postgres = summary(
        run(query_set=query_set, backend="postgres", database_url=bench_database_url)
    )

    assert whoosh.keys() == postgres.keys()
    for kind, figures in whoosh.items():
        assert abs(figures["recall@5"] - postgres[kind]["recall@5"]) <= 0.02, kind
        assert abs(figures["mrr"] - postgres[kind]["mrr"]) <= 0.02, kind
        assert abs(figures["others"] - postgres[kind]["others"]) <= 0.05, kind
