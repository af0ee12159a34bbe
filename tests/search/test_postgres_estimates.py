"""A broad search on the PostgreSQL engine: past `exact_counts_up_to` matches its total and
facets are counted on a sample slice (listing ids divisible by SAMPLE_EVERY, or by
SPARSE_SAMPLE_EVERY for the broadest) and scaled, and its page is read without reading
every match; the hits are always the exact search's.

The catalog here is the search benchmark's (bench/search_bench.py: generated listings whose
descriptions share common words), built in a scratch database, with the threshold lowered
so that its common words are broad."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import replace

import pytest
from sqlalchemy import event

from bench.postgres_index import open_postgres_index
from bench.search_bench import TODAY, batches, load_places, make_documents
from storefront.models.search import SAMPLE_EVERY, SPARSE_SAMPLE_EVERY
from storefront.search.postgres_engine import PostgresSearchIndex
from storefront.search.postgres_engine import index as engine_module
from storefront.search.postgres_engine.sql import sample_condition
from storefront.search.query import (
    SORTS,
    ListingDocument,
    SearchQuery,
    cut_cooperative_facet,
    price_bucket,
)
from tests.fixtures.scratch import scratch_database

LISTINGS = 2400
THRESHOLD = 150
# Words the generated descriptions share: each found in hundreds of the listings.
BROAD = ("đặc sản", "chat luong", "tu nhien", "an toan", "huong vi", "chuan")


class Engines:
    def __init__(self, documents: list[ListingDocument], index: PostgresSearchIndex, engine):
        self.documents = {d.listing_id: d for d in documents}
        self.engine = engine
        connect, begin, autocommit = index._connect, index._begin, index._autocommit
        self.exact = PostgresSearchIndex(
            connect, begin, autocommit, in_transaction=False, exact_counts_up_to=0
        )
        self.estimating = PostgresSearchIndex(
            connect, begin, autocommit, in_transaction=False, exact_counts_up_to=THRESHOLD
        )

    def matches(self, query: SearchQuery) -> list[int]:
        """Every listing the exact search finds for `query`, filters applied."""
        found: list[int] = []
        for page in range(1, LISTINGS):
            every = replace(query, page=page, per_page=100, sort="newest", facets=False)
            ids = self.exact.search(every, TODAY).ids
            found += ids
            if len(ids) < 100:
                return found
        raise AssertionError("more pages than listings")


@pytest.fixture(scope="module")
def engines() -> Iterator[Engines]:
    with scratch_database() as url:
        documents = make_documents(LISTINGS, load_places())
        index, engine, _kept = open_postgres_index(url)
        index.rebuild(batches(documents))
        try:
            yield Engines(documents, index, engine)
        finally:
            engine.dispose()


@pytest.fixture(params=[SAMPLE_EVERY, SPARSE_SAMPLE_EVERY])
def every(request, monkeypatch) -> int:
    """Each sample in turn: the sparse one for every broad search, or for none."""
    sparse = request.param == SPARSE_SAMPLE_EVERY
    monkeypatch.setattr(engine_module, "SPARSE_FROM", 0 if sparse else 10**9)
    return request.param


def _sampled(ids: list[int], every: int) -> list[int]:
    return [i for i in ids if i % every == 0]


def _facets(engines: Engines, ids: list[int], every: int) -> dict[str, dict[int, int]]:
    """The facets of these listings, counted as the sample scales them."""
    docs = [engines.documents[i] for i in ids]
    counted = {
        "group": Counter(d.ocop_group for d in docs),
        "stars": Counter(d.stars for d in docs),
        "province": Counter(d.province_code for d in docs),
        "cooperative": Counter(d.cooperative_id for d in docs),
        "price": Counter(price_bucket(d.price) for d in docs),
    }
    return {name: {v: n * every for v, n in c.items()} for name, c in counted.items()}


def test_a_broad_search_counts_its_sample_and_finds_the_exact_hits(engines, every):
    estimated = 0
    for text in BROAD:
        query = SearchQuery(text=text, per_page=24, top_cooperatives=12)
        found = engines.estimating.search(query, TODAY)
        exact = engines.exact.search(query, TODAY)
        matches = engines.matches(query)
        assert exact.total == len(matches) > THRESHOLD and not exact.estimated
        assert found.ids == exact.ids, text
        sampled = _sampled(matches, every)
        # Counted exactly after all when its sample holds too few (the sparse sample of a
        # few hundred matches).
        assert found.estimated == (len(sampled) * every > THRESHOLD), text
        if not found.estimated:
            assert (found.total, found.facets) == (exact.total, exact.facets)
            continue
        assert found.total == len(sampled) * every, text
        expected = _facets(engines, sampled, every)
        expected["cooperative"] = cut_cooperative_facet(expected["cooperative"], 12)
        got = {name: counts for name, counts in found.facets.items() if counts}
        assert got == {name: counts for name, counts in expected.items() if counts}, text
        estimated += 1
        # The estimate is near the count: one listing in eight of several hundred.
        if every == SAMPLE_EVERY:
            assert abs(found.total - exact.total) <= 0.3 * exact.total, text
    assert estimated >= len(BROAD) // 2


@pytest.mark.parametrize("sort", SORTS)
def test_every_order_and_page_of_a_broad_search_is_the_exact_one(engines, sort, every):
    filters: list[dict] = [
        {},
        {"stars": (5,)},
        {"groups": (1, 2)},
        {"price_min": 100_000, "price_max": 500_000},
    ]
    estimated = 0
    for text in BROAD:
        for extra in filters:
            for page in (1, 2, 5):
                query = SearchQuery(text=text, sort=sort, page=page, per_page=12, **extra)
                found = engines.estimating.search(query, TODAY)
                exact = engines.exact.search(query, TODAY)
                assert found.ids == exact.ids, (text, extra, page)
                estimated += found.estimated
                if found.estimated:
                    matches = engines.matches(query)
                    assert found.total == len(_sampled(matches, every)) * every
                else:
                    assert (found.total, found.facets) == (exact.total, exact.facets)
    assert estimated >= len(BROAD) * 3  # the unfiltered and the wider filters, at least


def test_a_search_of_few_matches_is_counted_exactly(engines):
    for text in ("mật ong bạc hà", "gao tam thom", "nuoc mam", "cam sành"):
        query = SearchQuery(text=text)
        found = engines.estimating.search(query, TODAY)
        exact = engines.exact.search(query, TODAY)
        assert not found.estimated
        assert (found.ids, found.total, found.facets) == (exact.ids, exact.total, exact.facets)
        assert 0 < found.total <= THRESHOLD * 2


def test_a_broad_search_reads_no_statement_over_every_match(engines):
    statements: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    event.listen(engines.engine, "before_cursor_execute", seen)
    try:
        result = engines.estimating.search(SearchQuery(text="đặc sản", sort="price_desc"), TODAY)
    finally:
        event.remove(engines.engine, "before_cursor_execute", seen)
    assert result.estimated
    # (The driver's text doubles the "%" of the sample's condition.)
    passes = [s.replace("%%", "%") for s in statements if "search_documents WHERE" in s]
    assert len(passes) == 2 and sample_condition(SAMPLE_EVERY) in passes[0], passes
    assert "WITH m AS" not in passes[1] and "LIMIT 24" in passes[1], passes


def test_a_page_by_stars_whose_bound_holds_too_few_rows_reads_every_match(engines, monkeypatch):
    # The sample's bound is a guess: past the top stars there are not enough rows, and the
    # page is read from every match instead, as exact as the guess was wrong.
    page_statement = engine_module.page_statement

    def too_high(*args, **kwargs):
        return page_statement(*args[:6], 6)

    monkeypatch.setattr(engine_module, "page_statement", too_high)
    for text in BROAD:
        query = SearchQuery(text=text, sort="stars", per_page=12, page=2)
        found = engines.estimating.search(query, TODAY)
        assert found.estimated
        assert found.ids == engines.exact.search(query, TODAY).ids
