"""The PostgreSQL search backend's own guarantees: chosen only on PostgreSQL, its rows written
in the catalog commit's transaction (committed or rolled back with it), its generation moving
on with every write. The behaviour both backends share is tested by the rest of tests/search,
run on each backend."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from itertools import combinations, product

import pytest
from sqlalchemy import select, text

from storefront import create_app
from storefront import search as search_module
from storefront.core.clock import today as shop_today
from storefront.models import (
    AdminUnit,
    CertificateStatus,
    CooperativeStatus,
    Era,
    Level,
    ListingStatus,
    OcopGroup,
)
from storefront.search import SearchQuery, search
from storefront.search.postgres_engine import sql
from storefront.search.postgres_engine.sql import MAX_COVER_SUBSETS, at_least
from storefront.search.query import SORTS, counted_at_least
from storefront.search.whoosh_engine.matching import minimum_clauses


def ids(text_: str = "") -> list[int]:
    return search(SearchQuery(text=text_)).ids


def test_postgres_backend_is_refused_without_postgresql(tmp_path):
    with pytest.raises(RuntimeError, match="needs a PostgreSQL database"):
        create_app(
            {
                "CONFIG": "testing",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite3'}",
                "SEARCH_BACKEND": "postgres",
            }
        )
    with pytest.raises(RuntimeError, match="SEARCH_BACKEND must be one of"):
        create_app({"CONFIG": "testing", "SEARCH_BACKEND": "elastic"})


@pytest.fixture
def postgres(app, search_backend):
    if search_backend != "postgres":
        pytest.skip("what only the postgres search backend does")
    return app


def _rows(db) -> set[int]:
    return set(db.session.scalars(text("SELECT listing_id FROM search_documents")))


def test_rows_are_written_in_the_commit_without_any_after_commit_indexing(
    postgres, make, db, monkeypatch
):
    # Nothing runs after the commit: the row came with it.
    monkeypatch.setattr(search_module, "index_listings", lambda listing_ids: 1 / 0)
    listing = make.listing(name="Chè búp Tân Cương")
    assert ids("che tan cuong") == [listing.id]
    listing.status = ListingStatus.PAUSED
    db.session.commit()
    assert ids("che tan cuong") == [] and listing.id not in _rows(db)


def test_a_rolled_back_change_leaves_the_rows_as_they_were(postgres, make, db):
    listing = make.listing(name="Mật ong bạc hà")
    generation = search_module.index_generation()
    listing.name = "Trà xanh Thái Nguyên"
    db.session.flush()
    db.session.rollback()
    assert ids("tra xanh") == [] and ids("mat ong bac ha") == [listing.id]
    assert search_module.index_generation() == generation


def test_a_revoked_certificate_or_suspended_cooperative_takes_every_listing_out(postgres, make, db):
    coop = make.cooperative()
    first = make.listing(coop=coop, name="Gạo nếp cái hoa vàng")
    second = make.listing(coop=coop, name="Gạo tám thơm")
    assert set(ids("gao")) == {first.id, second.id}
    first.certificate.status = CertificateStatus.REVOKED
    db.session.commit()
    assert ids("gao") == [second.id]
    coop.status = CooperativeStatus.SUSPENDED
    db.session.commit()
    assert ids("gao") == [] and _rows(db) == set()


def test_the_generation_moves_on_with_every_write(postgres, make, db):
    before = search_module.index_generation()
    listing = make.listing(name="Bưởi Diễn")
    after_create = search_module.index_generation()
    assert after_create > before
    search_module.index_listings([listing.id])
    assert search_module.index_generation() > after_create
    search_module.reindex_all()
    assert ids("buoi") == [listing.id]


def test_the_words_table_follows_the_listings(postgres, make, db):
    listing = make.listing(name="Vải thiều Lục Ngạn")
    assert "thieu" in search_module.words_starting("thi")
    listing.name = "Nhãn lồng Hưng Yên"
    db.session.commit()
    assert "thieu" not in search_module.words_starting("thi")
    assert search(SearchQuery(text="nhan lonf")).ids == [listing.id]


@pytest.mark.parametrize("count", range(3, 9))
def test_the_cover_match_holds_every_listing_with_enough_clauses(postgres, db, count):
    # The cover pass's tsquery (sql.at_least), tried in PostgreSQL on a row holding each
    # subset of the clauses: true whenever enough are held; exactly then while the subsets
    # are few enough to be written out (past that the row's count of clauses decides).
    clauses = [f"'n/w{i}'" for i in range(count)]
    minimum = minimum_clauses(count)
    query, exact = at_least(clauses, minimum)
    assert exact == (len(list(combinations(clauses, count - minimum + 1))) <= MAX_COVER_SUBSETS)
    for size in range(count + 1):
        for held in combinations(range(count), size):
            document = " ".join(f"n/w{i}" for i in held) or "n/none"
            matched = _matches_all(db, document, query)
            if size >= minimum:
                assert matched, (held, query)
            elif exact:
                assert not matched, (held, query)


def _matches_all(db, document: str, queries: list[str]) -> bool:
    """Whether PostgreSQL finds the document matching every one of the tsqueries (the
    conditions of a cover pass's statement)."""
    return db.session.scalar(
        text(
            "SELECT bool_and(CAST(:d AS tsvector) @@ CAST(q AS tsquery)) "
            "FROM unnest(CAST(:qs AS text[])) AS q"
        ),
        {"d": document, "qs": queries},
    )


@pytest.mark.parametrize("count", range(3, 9))
def test_the_cover_match_past_the_written_out_subsets_keeps_to_the_rarest_clauses(
    postgres, db, count
):
    # Given how many listings each clause may match, the looser cover tsquery is made of the
    # rarest clauses only (a common word's clause would let in a third of the catalog), and
    # is still true on every row holding enough clauses.
    clauses = [f"'n/w{i}'" for i in range(count)]
    sizes = [(count - i) * 1000 for i in range(count)]  # the last clauses are the rarest
    minimum = minimum_clauses(count)
    query, exact = at_least(clauses, minimum, sizes)
    assert exact == (len(list(combinations(clauses, count - minimum + 1))) <= MAX_COVER_SUBSETS)
    if not exact:
        used = {i for i in range(count) if any(f"'n/w{i}'" in part for part in query)}
        assert used == set(range(count - len(used), count)), query
        assert len(used) < count
    for size in range(minimum, count + 1):
        for held in combinations(range(count), size):
            document = " ".join(f"n/w{i}" for i in held)
            assert _matches_all(db, document, query), (held, query)


def test_keys_no_listing_holds_are_left_out_of_the_statements(postgres, make, queries):
    listing = make.listing(name="Chè búp Tân Cương")
    with queries() as statements:
        assert ids("che") == [listing.id]
    assert len([s for s in statements if s.startswith("WITH m AS")]) == 1
    # A word no listing holds in any field: no pass can match it, so none is sent (the
    # fallbacks and the did-you-mean find nothing to try either).
    with queries() as statements:
        assert search(SearchQuery(text="qwzx")).total == 0
    assert not [s for s in statements if s.startswith("WITH m AS")]


PLACES = ("Hà Giang", "Mèo Vạc", "Đồng Văn", "Bắc Kạn", "Cao Bằng")


def test_a_search_found_at_once_is_three_statements(postgres, make, queries, db):
    # The query's words, the words its short last word begins ("ong": "ong", "ongs") and
    # the planner's setting in one statement, then the pass, then the setting put back: each
    # round trip to another server costs its latency. (Five found: no relaxed pass.)
    honey = [make.listing(name=f"Mật ong rừng {place}") for place in PLACES]
    make.listing(name="Ongs rang muối")  # begun by "ong": a completion, ranked after
    before = db.session.execute(text("SHOW enable_seqscan")).scalar_one()
    with queries() as statements:
        found = ids("mat ong")
    assert set(found[:5]) == {listing.id for listing in honey}
    assert len(statements) == 3, "\n".join(s[:120] for s in statements)
    assert statements[0].startswith("WITH started AS")
    assert statements[1].startswith("WITH m AS")
    assert db.session.execute(text("SHOW enable_seqscan")).scalar_one() == before == "on"
    # One word: no completions asked, the same three.
    with queries() as statements:
        assert set(ids("rung")) == {listing.id for listing in honey}
    assert len(statements) == 3, statements
    assert not statements[0].startswith("WITH started AS")


def test_which_clauses_some_listing_holds_is_read_from_the_words_table(postgres, make, queries):
    # The fallbacks ask which clauses some listing holds. A one-word clause whose word
    # search_words has ("che") is held, one none of whose keys is held ("qwzx" alone) is
    # not: neither is asked. Only what that table cannot tell is: "qwzx" after "che" may
    # be held as the pair "che qwzx" in a description.
    listing = make.listing(name="Chè búp Tân Cương")
    with queries() as statements:
        assert ids("qwzx") == []
    assert not [s for s in statements if s.startswith(("SELECT EXISTS", "SELECT FALSE"))]
    with queries() as statements:
        assert ids("che qwzx") == [listing.id]
    asked = [s for s in statements if s.startswith("SELECT EXISTS")]
    assert len(asked) == 1 and asked[0].count("EXISTS") == 1


def test_the_statements_send_only_the_cooperatives_the_facet_keeps(postgres, make, db, monkeypatch):
    # The database cuts the cooperative facet itself (a broad word holds thousands): with the
    # app's cut turned off, the rows it sends are already the top ones and the chosen ones.
    from storefront.search import postgres_engine

    monkeypatch.setattr(postgres_engine.index, "cut_cooperative_facet", lambda counts, *a: counts)
    coops = [make.cooperative() for _ in range(5)]
    for coop, n in zip(coops, (4, 3, 3, 1, 2), strict=True):
        for j in range(n):
            make.listing(coop=coop, name=f"Mật ong rừng {j}", group=OcopGroup(1 + j % 2))
    a, b, c, d, e = (coop.id for coop in coops)

    def sent(**query) -> dict[int, int]:
        return search(SearchQuery(top_cooperatives=2, **query)).facets["cooperative"]

    assert sent(text="mat ong") == {a: 4, b: 3}  # of the two with 3, the lower id
    assert sent(text="mat ong", cooperative_ids=[d]) == {a: 4, b: 3, d: 1}  # its own filter
    assert sent(text="mat ong", stars=[3, 4, 5], cooperative_ids=[e]) == {a: 4, b: 3, e: 2}
    assert sent(text="mat ong", groups=[1]) == {a: 2, b: 2}  # with another filter
    assert sent(groups=[1]) == {a: 2, b: 2}  # no text, one filter
    assert sent(groups=[2], price_min=0) == {a: 2, b: 1}  # no text, two filters
    # Without a cut every cooperative is sent, as before.
    assert search(SearchQuery(text="mat ong")).facets["cooperative"] == {
        a: 4,
        b: 3,
        c: 3,
        d: 1,
        e: 2,
    }


def test_the_matches_carry_only_the_columns_their_statement_reads(postgres, make, db, monkeypatch):
    # Every sort, with and without filters and facets, gives what it gave when the matches
    # carried every column; a search by price carries no rating or sales column.
    _today, provinces = _browsing_catalog(make, db)
    province = _province_codes(db, provinces[:1])
    queries = [
        SearchQuery(text=text_, sort=sort, facets=facets, **filters)
        for text_ in ("san pham thu", "sản phẩm thử 3 xuất khẩu")
        for sort in SORTS
        for facets in (True, False)
        for filters in ({}, {"stars": [4, 5]}, {"province_codes": province, "price_max": 300_000})
    ]
    narrow = [search(q) for q in queries]
    read = sql.read_columns
    carried: dict[str, set[str]] = {}
    sort = ""

    def every_column(outer: str) -> str:
        carried.setdefault(sort, set()).update(read(outer).split(", "))
        return sql.ROW_COLUMNS

    monkeypatch.setattr(sql, "read_columns", every_column)
    wide = []
    for query in queries:
        sort = query.sort
        wide.append(search(query))
    assert [(r.ids, r.total, r.facets) for r in narrow] == [
        (r.ids, r.total, r.facets) for r in wide
    ]
    assert sum(r.total for r in narrow) > 0
    assert {"price", "listing_id"} <= carried["price_asc"]
    assert not {"rating_tenths", "rating_count", "sold", "name_words"} & carried["price_asc"]
    assert {"rating_tenths", "rating_count"} <= carried["rating"]
    assert "sold" in carried["best_selling"] and "name_words" in carried["relevance"]


def _communes_of_two_provinces(db) -> list[AdminUnit]:
    communes = db.session.scalars(
        select(AdminUnit)
        .where(AdminUnit.era == Era.CURRENT, AdminUnit.level == Level.COMMUNE)
        .order_by(AdminUnit.code)
    ).all()
    first = communes[0]
    other = next(c for c in communes if c.province_id != first.province_id)
    return [first, other]


def _browsing_catalog(make, db):
    """Listings over two groups, three star ratings, two provinces, three cooperatives and
    prices on and off the price buckets' bounds; one certificate expires tomorrow."""
    today = shop_today()
    coops = [make.cooperative() for _ in range(3)]
    places = _communes_of_two_provinces(db)
    prices = [50_000, 100_000, 150_000, 199_000, 200_000, 350_000, 500_000, 800_000, 120_000]
    for i, price in enumerate(prices):
        coop = coops[i % 3]
        cert = make.certificate(
            coop, stars=3 + i % 3, expires_on=today + timedelta(days=1 if i == 4 else 300)
        )
        make.listing(
            coop=coop,
            cert=cert,
            group=OcopGroup(1 + i % 2),
            packages=[{"price": price}],
            origin_commune=places[(i // 2) % 2],
        )
    return today, [c.province_id for c in places]


def _province_codes(db, ids) -> list[int]:
    return list(db.session.scalars(select(AdminUnit.code).where(AdminUnit.id.in_(ids))))


def test_the_catalog_browsed_by_one_facet_counts_it_from_the_pairs(
    postgres, make, db, monkeypatch, queries
):
    # The catalog without text but with a group, star ratings, provinces or a price range
    # holding whole price buckets counts its total and facets from search_facet_pairs (less
    # the expired rows; a price range's part buckets from the rows): the same result as
    # counting the rows it passes, one expired listing and bucket bounds included.
    today, provinces = _browsing_catalog(make, db)
    cooperative = db.session.scalar(text("SELECT min(cooperative_id) FROM search_documents"))
    engine = search_module.engine()
    after = today + timedelta(days=2)  # the certificate of one listing has expired
    cases = [
        ({"groups": [1]}, True),
        ({"groups": [1, 2]}, True),
        ({"stars": [4]}, True),
        ({"stars": [3, 5]}, True),
        ({"province_codes": _province_codes(db, provinces[:1])}, True),
        ({"price_min": 100_000, "price_max": 500_000}, True),  # buckets 1, 2 and 500.000
        ({"price_min": 120_000, "price_max": 600_000}, True),  # bucket 2 and both edges
        ({"price_min": 200_000}, True),
        ({"price_max": 150_000}, True),  # bucket 0 and 100.000-150.000
        ({"price_min": 120_000, "price_max": 180_000}, False),  # no bucket whole: the rows
        ({"cooperative_ids": [cooperative]}, False),  # a filter of its own: its rows
        ({"rating_bands": [0]}, False),
    ]
    for (filters, paired), facets in product(cases, (True, False)):
        for top in (0, 2):
            query = SearchQuery(facets=facets, top_cooperatives=top, **filters)
            with queries() as statements:
                got = engine.search(query, after)
            pairs_read = any("search_facet_pairs" in s for s in statements)
            assert pairs_read == (paired and facets), filters
            with monkeypatch.context() as m:
                m.setattr(sql, "_paired", lambda *a: None)
                counted = engine.search(query, after)
            assert got.total == counted.total > 0, filters
            assert got.ids == counted.ids, filters
            assert got.facets == counted.facets, filters


def test_the_pairs_follow_every_write(postgres, make, db):
    # Kept by the writes themselves: after listings are added, changed, taken out and put
    # back, search_facet_pairs holds what counting every row gives.
    _browsing_catalog(make, db)
    listing = make.listing(group=OcopGroup(3), packages=[{"price": 90_000}])
    listing.packages[0].price = 700_000
    db.session.commit()
    listing.ocop_group = 4
    db.session.commit()
    paused = make.listing(group=OcopGroup(3))
    paused.status = ListingStatus.PAUSED
    db.session.commit()

    def rows(statement: str) -> set[tuple]:
        return {tuple(row) for row in db.session.execute(text(statement))}

    def kept() -> set[tuple]:
        return rows("SELECT facet, value, other, other_value, listings FROM search_facet_pairs")

    assert kept() == rows(sql.PAIR_COUNTS)
    assert ("group", 4, "price", 3, 1) in kept()
    search_module.reindex_all()
    assert kept() == rows(sql.PAIR_COUNTS)


def test_a_rebuild_writes_the_rows_in_the_order_of_their_folded_names(postgres, make, db):
    # A product kind's listings share pages after a rebuild (a search for it reads fewer).
    names = ["Vải thiều Lục Ngạn", "Bưởi Diễn", "Mật ong rừng", "Bưởi da xanh", "Ấm chén"]
    listings = {name: make.listing(name=name) for name in names}
    search_module.reindex_all()
    stored = db.session.scalars(text("SELECT listing_id FROM search_documents ORDER BY ctid"))
    by_id = {listing.id: name for name, listing in listings.items()}
    assert [by_id[i] for i in stored] == [
        "Ấm chén",
        "Bưởi da xanh",
        "Bưởi Diễn",
        "Mật ong rừng",
        "Vải thiều Lục Ngạn",
    ]


def test_a_misspelt_query_looks_each_word_up_once(postgres, make, monkeypatch):
    # The fixable check, the fuzzy pass and each did-you-mean ask for the words spelt
    # nearly like a word no listing holds: the same look-up is sent once per search.
    from storefront.search.postgres_engine.index import _Search

    make.listing(name="Mật ong rừng Lục Ngạn")
    make.listing(name="Gạo nếp cái hoa vàng")
    looked: list[tuple] = []
    look = _Search._look_near

    def counted(self, folded, fieldnames, maxdist):
        looked.append((folded, tuple(fieldnames), maxdist))
        return look(self, folded, fieldnames, maxdist)

    monkeypatch.setattr(_Search, "_look_near", counted)
    for text_ in ("laptop gaming", "mat ongg", "gao nepp caii"):
        looked.clear()
        found = search(SearchQuery(text=text_))
        assert looked and len(looked) == len(set(looked)), (text_, looked)
        assert (text_ == "laptop gaming") == (found.total == 0)


def test_an_uncounted_search_stops_at_the_best_rows_of_its_name_keys(postgres, make):
    # "sen" opening seven names (head 15 + name 10) outscores any row without it in its
    # name (product 6 + place 4 + cooperative 3 + description 1 at most): the best five of
    # those seven are the best of all ten matches, and the search reads no further.
    for n in range(1, 8):
        make.listing(name=f"Sen sấy giòn gói {n}")
    for n in range(3):
        make.listing(name=f"Bánh dẻo {n}", description="Nhân hạt sen.")
    query = SearchQuery(text="sen", per_page=3, facets=False, exact=True)
    counted = search(query)
    uncounted = search(replace(query, count=False))
    assert counted.total == 10
    assert uncounted.total == counted_at_least(query) == 5
    assert uncounted.ids == counted.ids


def test_an_uncounted_search_reads_every_match_when_the_name_keys_may_be_outscored(postgres, make):
    # Five names hold "sen" (10 each, not at their head); a row without it in its name may
    # score up to 14, and this one scores 10 (product, cooperative, description) with the
    # shorter name: it comes first, so the five cannot be taken as the best.
    coop = make.cooperative(legal_name="HTX Sen Hồng")
    seeds = make.listing(
        name="Bánh khảo",
        coop=coop,
        cert=make.certificate(coop, product_name="Bánh khảo hạt sen"),
        description="Nhân hạt sen.",
    )
    for n in range(1, 6):
        make.listing(name=f"Trà ướp sen loại {n}")
    query = SearchQuery(text="sen", per_page=3, facets=False, exact=True, count=False)
    result = search(query)
    assert result.total == 6 and result.ids[0] == seeds.id
    assert result.ids == search(replace(query, count=True)).ids
