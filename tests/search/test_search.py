"""Catalog search on a real Whoosh index: Vietnamese matching, filters, facets, sync, locking."""

from __future__ import annotations

import multiprocessing
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, update

from storefront import search as search_module
from storefront.core.clock import today as shop_today
from storefront.models import (
    CertificateStatus,
    CooperativeStatus,
    Era,
    Listing,
    ListingStatus,
    OcopGroup,
    Package,
)
from storefront.search import (
    ListingDocument,
    SearchQuery,
    index_listings,
    reindex_all,
    remove_listings,
    search,
)
from storefront.search.query import counted_at_least
from storefront.search.whoosh_engine import WhooshSearchIndex

# Current communes (vietnam-provinces 2026.9.0) and the pre-2025 commune of Lục Ngạn.
LUC_NGAN = 7582  # Xã Lục Ngạn, Bắc Ninh (before 2025: Huyện Lục Ngạn, Bắc Giang)
TAN_HOA_LEGACY = 7567  # Xã Tân Hoa, Huyện Lục Ngạn, Tỉnh Bắc Giang
CHU = 7525  # Phường Chũ, Bắc Ninh (before 2025: Thị xã Chũ, Bắc Giang)
VIET_YEN = 7777  # Phường Việt Yên, Bắc Ninh (before 2025: Thị xã Việt Yên, Bắc Giang)
BAT_TRANG = 577  # Xã Bát Tràng, Hà Nội
PHU_DIEN = 619  # Phường Phú Diễn, Hà Nội
MEO_VAC = 769  # Xã Mèo Vạc, Tuyên Quang (before 2025: Huyện Mèo Vạc, Hà Giang)
BAC_NINH, HA_NOI = 24, 1  # current province codes


def ids(text: str = "", **filters) -> list[int]:
    return search(SearchQuery(text=text, **filters)).ids


def _listing(make, name: str, *, commune: int = LUC_NGAN, **kw):
    return make.listing(name=name, origin_commune=make.commune(commune), **kw)


@pytest.fixture
def catalog(make):
    """A small catalog: the products of the examples, and unrelated ones to stay out."""
    vai = _listing(
        make,
        "Vải thiều Lục Ngạn",
        origin_legacy_commune=make.commune(TAN_HOA_LEGACY, Era.LEGACY),
        description="Quả vải thiều chín đỏ, đặc sản của vùng đồi.",
    )
    mi = _listing(make, "Mỳ Chũ", commune=CHU, description="Mỳ gạo truyền thống.")
    gom = _listing(make, "Gốm Bát Tràng men lam", commune=BAT_TRANG, group=OcopGroup.HANDICRAFTS)
    buoi = _listing(make, "Bưởi Diễn", commune=PHU_DIEN)
    tour = _listing(make, "Buổi trải nghiệm làng gốm", commune=BAT_TRANG, group=OcopGroup.TOURISM)
    return {"vai": vai.id, "mi": mi.id, "gom": gom.id, "buoi": buoi.id, "tour": tour.id}


# --- analysis -------------------------------------------------------------------------------


# --- matching and ranking -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("luc ngan", "vai"),
        ("Lục Ngạn", "vai"),
        ("LUC NGAN", "vai"),
        ("vai thieu", "vai"),
        ("vải thiều", "vai"),
        ("mi chu", "mi"),
        ("mỳ Chũ", "mi"),
        ("mì chũ", "mi"),
        ("dac san", "vai"),
        ("gom men lam", "gom"),
    ],
)
def test_examples_find_the_right_product_only(catalog, text, expected):
    assert ids(text) == [catalog[expected]]


def test_exact_diacritics_rank_above_a_folded_only_match(catalog):
    # Both fold to "buoi"; the marks say which one the visitor meant.
    assert ids("bưởi") == [catalog["buoi"], catalog["tour"]]
    assert ids("buổi") == [catalog["tour"], catalog["buoi"]]
    assert set(ids("buoi")) == {catalog["buoi"], catalog["tour"]}


def test_a_name_match_ranks_above_a_description_match(make):
    in_name = _listing(make, "Gạo nếp cái hoa vàng")
    in_description = _listing(make, "Bánh chưng", description="Gói bằng gạo nếp cái hoa vàng.")
    assert ids("gao nep") == [in_name.id, in_description.id]


def test_words_are_all_required(catalog):
    assert ids("vai gom") == []


def test_several_words_match_a_description_only_side_by_side(catalog, make):
    # Vietnamese syllables are short and common: scattered, they say nothing.
    scattered = _listing(make, "Lụa tơ tằm", description="Hàng mỹ nghệ, may chu đáo.")
    assert ids("mi chu") == [catalog["mi"]]
    assert ids("chu dao") == [scattered.id]
    assert set(ids("chu")) == {catalog["mi"], scattered.id}  # a lone word may be anywhere


def test_a_place_name_matches_as_a_phrase_not_its_syllables_apart(make):
    # "bạc" in the name and "Giang" from Hà Giang, against a product of (former) Bắc Giang.
    # (Until 2026-12-06 the honey came second; no shopper typing a province wants it.)
    honey = _listing(make, "Mật ong bạc hà", commune=MEO_VAC)
    cake = _listing(make, "Bánh đa Kế", commune=VIET_YEN)
    named = _listing(make, "Gà đồi", description="Nuôi thả trên đồi Bắc Giang.")
    assert set(ids("bac giang")) == {cake.id, named.id}  # from there, or saying it
    assert ids("bạc")[0] == honey.id  # a word alone still matches wherever it is


def test_group_and_cooperative_names_are_searchable(make):
    coop = make.cooperative(legal_name="HTX Nông sản Yên Thế")
    drink = _listing(make, "Rượu ngô", coop=coop, group=OcopGroup.DRINKS)
    assert ids("yen the") == [drink.id]
    assert ids("đồ uống") == [drink.id]


def test_certificate_product_name_is_searchable(make):
    coop = make.cooperative()
    cert = make.certificate(coop, product_name="Mật ong rừng")
    listing = _listing(make, "Hộp quà Tết", coop=coop, cert=cert)
    assert ids("mat ong") == [listing.id]


# --- origins ---------------------------------------------------------------------------------


def test_pre_2025_names_find_products_now_in_another_province(catalog, make):
    viet_yen = _listing(make, "Bánh đa Kế", commune=VIET_YEN)
    assert ids("Việt Yên") == [viet_yen.id]
    # Tân Hoa is only the recorded pre-2025 commune of the lychees.
    assert ids("tan hoa") == [catalog["vai"]]
    # Bắc Giang no longer exists; all three communes were in it before 2025.
    assert set(ids("Bắc Giang")) == {catalog["vai"], catalog["mi"], viet_yen.id}
    assert set(ids("bac ninh")) == {catalog["vai"], catalog["mi"], viet_yen.id}


# --- filters, facets, sorting, paging -------------------------------------------------------


@pytest.fixture
def assortment(make):
    """Six honey listings: groups, stars, provinces, cooperatives and prices differ."""
    coop_a, coop_b = make.cooperative(), make.cooperative()
    specs = [
        # name, coop, group, stars, commune, price
        ("Mật ong nhãn", coop_a, OcopGroup.FOOD, 3, LUC_NGAN, 90_000),
        ("Mật ong bạc hà", coop_a, OcopGroup.FOOD, 4, LUC_NGAN, 150_000),
        ("Mật ong rừng", coop_a, OcopGroup.FOOD, 5, CHU, 250_000),
        ("Rượu mật ong", coop_b, OcopGroup.DRINKS, 4, BAT_TRANG, 320_000),
        ("Mật ong gừng", coop_b, OcopGroup.HERBS, 4, PHU_DIEN, 600_000),
        ("Trà mật ong", coop_b, OcopGroup.DRINKS, 5, BAT_TRANG, 120_000),
    ]
    made = {}
    for name, coop, group, stars, commune, price in specs:
        made[name] = _listing(
            make,
            name,
            coop=coop,
            group=group,
            commune=commune,
            cert=make.certificate(coop, stars=stars),
            packages=[{"price": price, "stock": 5}, {"price": price + 50_000, "stock": 5}],
        ).id
    return made, coop_a.id, coop_b.id


def test_catalog_wide_facets_count_only_what_is_listed(assortment, db):
    made, coop_a, coop_b = assortment
    every = search(SearchQuery())
    assert every.facets["group"] == {1: 3, 2: 2, 3: 1}
    assert every.facets["cooperative"] == {coop_a: 3, coop_b: 3}
    assert every.facets["stars"] == {3: 1, 4: 3, 5: 2}
    # A listing leaving the index (its document deleted, still in its segment) leaves the
    # counts, and a value only it held disappears instead of showing 0.
    gung = db.session.get(Listing, made["Mật ong gừng"])
    gung.status = ListingStatus.PAUSED
    db.session.commit()
    every = search(SearchQuery())
    assert every.total == 5
    assert every.facets["group"] == {1: 3, 2: 2}
    assert every.facets["cooperative"] == {coop_a: 3, coop_b: 2}
    assert search(SearchQuery(groups=[2])).facets["group"] == {1: 3, 2: 2}


def test_the_cooperative_facet_cut_to_the_most_frequent_and_the_chosen(make, db):
    # Listings per cooperative: 4, 3, 3, 1, 2; the first one's certificates expire first.
    today = shop_today()
    coops = [make.cooperative() for _ in range(5)]
    for coop, n in zip(coops, (4, 3, 3, 1, 2), strict=True):
        expires_on = today + timedelta(days=5 if coop is coops[0] else 60)
        for j in range(n):
            cert = make.certificate(coop, expires_on=expires_on)
            make.listing(coop=coop, cert=cert, name=f"Mật ong rừng {j}")
    a, b, c, d, e = (coop.id for coop in coops)
    engine = search_module.engine()

    def cut(day=today, **query) -> dict[int, int]:
        return engine.search(SearchQuery(top_cooperatives=2, **query), day).facets["cooperative"]

    assert search(SearchQuery()).facets["cooperative"] == {a: 4, b: 3, c: 3, d: 1, e: 2}
    assert cut() == {a: 4, b: 3}  # of the two with 3, the lower id
    # The chosen ones stay, counted without their own filter (disjunctive), wherever they are.
    assert cut(cooperative_ids=[d]) == {a: 4, b: 3, d: 1}
    assert cut(cooperative_ids=[a, e]) == {a: 4, b: 3, e: 2}
    # The same cut with another filter, or with text.
    assert cut(groups=[1]) == {a: 4, b: 3}
    assert cut(text="mat ong") == {a: 4, b: 3}
    # Certificates that passed their date since they were indexed leave the counts first.
    later = today + timedelta(days=10)
    assert cut(later) == {b: 3, c: 3}
    assert cut(later, cooperative_ids=[a]) == {b: 3, c: 3}  # nothing of it is listed now
    assert cut(later, cooperative_ids=[e]) == {b: 3, c: 3, e: 2}
    assert cut(later, cooperative_ids=[e], text="mat ong") == {b: 3, c: 3, e: 2}


def test_filters(assortment):
    made, coop_a, coop_b = assortment
    assert set(ids("mat ong", groups=[2])) == {made["Rượu mật ong"], made["Trà mật ong"]}
    assert set(ids("mat ong", groups=[2, 3])) == {
        made["Rượu mật ong"],
        made["Trà mật ong"],
        made["Mật ong gừng"],
    }
    assert set(ids("mat ong", stars=[5])) == {made["Mật ong rừng"], made["Trà mật ong"]}
    assert set(ids("mat ong", province_codes=[HA_NOI])) == {
        made["Rượu mật ong"],
        made["Mật ong gừng"],
        made["Trà mật ong"],
    }
    assert set(ids("mat ong", commune_codes=[CHU])) == {made["Mật ong rừng"]}
    assert set(ids("", cooperative_ids=[coop_a])) == {
        made["Mật ong nhãn"],
        made["Mật ong bạc hà"],
        made["Mật ong rừng"],
    }
    # Price is the lowest package price; both bounds are inclusive.
    assert set(ids("mat ong", price_min=120_000, price_max=250_000)) == {
        made["Mật ong bạc hà"],
        made["Mật ong rừng"],
        made["Trà mật ong"],
    }
    assert ids("mat ong", groups=[2], stars=[4], cooperative_ids=[coop_b]) == [made["Rượu mật ong"]]


def test_facets_count_each_dimension_with_the_other_filters_applied(assortment):
    made, coop_a, coop_b = assortment
    result = search(SearchQuery(text="mat ong", groups=[2]))
    assert result.total == 2
    # The group facet ignores the group filter, so other groups stay choosable...
    assert result.facets["group"] == {1: 3, 2: 2, 3: 1}
    # ... and the other facets count the two drinks only.
    assert result.facets["stars"] == {4: 1, 5: 1}
    assert result.facets["province"] == {HA_NOI: 2}
    assert result.facets["cooperative"] == {coop_b: 2}
    assert result.facets["price"] == {1: 1, 2: 1}  # 120k and 320k
    assert "commune" not in result.facets

    narrowed = search(SearchQuery(text="mat ong", province_codes=[BAC_NINH]))
    assert narrowed.facets["province"] == {BAC_NINH: 3, HA_NOI: 3}
    assert narrowed.facets["commune"] == {LUC_NGAN: 2, CHU: 1}


def test_sort_orders(assortment):
    made, _, _ = assortment
    by_price = ids("mat ong", sort="price_asc")
    assert by_price[0] == made["Mật ong nhãn"] and by_price[-1] == made["Mật ong gừng"]
    assert ids("mat ong", sort="price_desc") == by_price[::-1]
    # Newest first: created in the order of the fixture.
    assert ids("mat ong", sort="newest") == list(made.values())[::-1]
    assert set(ids("mat ong", sort="stars")[:2]) == {made["Mật ong rừng"], made["Trà mật ong"]}
    # Equal matches: the shorter name first.
    assert ids("mat ong nhan")[0] == made["Mật ong nhãn"]


def test_pagination_keeps_the_total(assortment):
    pages = [search(SearchQuery(text="mật ong", page=n, per_page=4)) for n in (1, 2, 3)]
    assert [p.total for p in pages] == [6, 6, 6]
    assert [len(p.ids) for p in pages] == [4, 2, 0]
    assert pages[0].pages == 2
    assert len(set(pages[0].ids + pages[1].ids)) == 6
    assert pages[0].ids + pages[1].ids == search(SearchQuery(text="mật ong", per_page=6)).ids


def test_an_uncounted_search_gives_the_counted_hits_and_counts_at_least_that_far(make):
    """SearchQuery.count False (the suggestions box): the same hits in the same order, and a
    total that may stop at counted_at_least but never below what there is up to there."""
    coop = make.cooperative(legal_name="HTX Sen Hồng")
    seeds_cert = make.certificate(coop, product_name="Bánh khảo hạt sen")
    for n in range(1, 6):
        _listing(make, f"Trà ướp sen loại {n}")
    _listing(make, "Bánh khảo", coop=coop, cert=seeds_cert, description="Nhân hạt sen.")
    for n in range(1, 7):
        _listing(make, f"Sen sấy giòn gói {n}")
    for text in ("sen", "sen say", "tra sen", "khao", "hat sen", "banh"):
        for page, per_page in ((1, 3), (2, 3), (1, 10), (3, 4)):
            query = SearchQuery(text=text, page=page, per_page=per_page, facets=False, exact=True)
            counted = search(query)
            uncounted = search(replace(query, count=False))
            assert uncounted.ids == counted.ids, (text, page, per_page)
            least = min(counted.total, counted_at_least(query))
            assert least <= uncounted.total <= counted.total, (text, page, per_page)


def test_did_you_mean_for_a_misspelt_word(catalog):
    # The misspelt word also matches the words spelt nearly like it (fuzzy matching).
    result = search(SearchQuery(text="vai thieuu"))
    assert result.ids == [catalog["vai"]] and result.suggestion == "vai thieu"
    assert ids(result.suggestion) == [catalog["vai"]]
    assert search(SearchQuery(text="vai thieu")).suggestion is None


def test_empty_text_lists_every_public_listing(catalog):
    assert set(ids()) == set(catalog.values())


# --- staying in sync with the database ------------------------------------------------------


def test_revoking_a_certificate_removes_the_listing_and_verifying_brings_it_back(db, make):
    listing = _listing(make, "Chè Thái Nguyên")
    assert ids("che") == [listing.id]
    listing.certificate.status = CertificateStatus.REVOKED
    db.session.commit()
    assert ids("che") == []
    listing.certificate.status = CertificateStatus.VERIFIED
    db.session.commit()
    assert ids("che") == [listing.id]


def test_suspending_a_cooperative_removes_all_its_listings(db, make):
    coop = make.cooperative()
    first, second = _listing(make, "Chè búp", coop=coop), _listing(make, "Chè móc câu", coop=coop)
    other = _listing(make, "Chè xanh")
    coop.status = CooperativeStatus.SUSPENDED
    db.session.commit()
    assert ids("che") == [other.id]
    coop.status = CooperativeStatus.APPROVED
    db.session.commit()
    assert set(ids("che")) == {first.id, second.id, other.id}


def test_editing_a_cooperative_phone_does_not_reindex_its_listings(db, make, monkeypatch):
    listing = _listing(make, "Chè búp")
    calls = []
    monkeypatch.setattr(search_module.engine(), "apply", lambda *a, **kw: calls.append(a))
    listing.cooperative.phone = "0912345678"
    db.session.commit()
    assert calls == []


def test_pausing_and_renaming_a_listing(db, make):
    listing = _listing(make, "Chè búp")
    listing.status = ListingStatus.PAUSED
    db.session.commit()
    assert ids("che") == []
    listing.status = ListingStatus.ACTIVE
    listing.name = "Mật ong rừng"  # not "Trà búp": trà and chè are synonyms
    db.session.commit()
    assert ids("che") == [] and ids("mat ong rung") == [listing.id]


def test_selling_out_the_last_package_removes_the_listing(db, make):
    listing = _listing(make, "Chè búp", packages=[{"stock": 1}])
    listing.packages[0].stock = 0
    db.session.commit()
    assert ids("che") == []
    listing.packages[0].preorder = True  # pre-orders make it buyable again
    db.session.commit()
    assert ids("che") == [listing.id]


def test_a_bulk_stock_update_is_seen_too(db, make):
    # Checkout decrements stock with a conditional UPDATE, not through the ORM objects.
    listing = _listing(make, "Chè búp", packages=[{"stock": 2}])
    package_id = listing.packages[0].id
    db.session.execute(
        update(Package)
        .where(Package.id == package_id, Package.stock >= 2)
        .values(stock=Package.stock - 2)
    )
    db.session.commit()
    assert ids("che") == []


def test_a_bulk_update_by_primary_key_is_seen_too(db, make):
    listing = _listing(make, "Chè búp", packages=[{"stock": 2}])
    db.session.execute(update(Package), [{"id": listing.packages[0].id, "stock": 0}])
    db.session.commit()
    assert ids("che") == []


def test_price_changes_are_reindexed(db, make):
    listing = _listing(make, "Chè búp", packages=[{"price": 100_000}])
    listing.packages[0].price = 300_000
    db.session.commit()
    assert ids("che", price_min=250_000) == [listing.id]


def test_deleting_a_listing_removes_it(db, make):
    listing = _listing(make, "Chè búp")
    db.session.delete(listing)
    db.session.commit()
    assert ids("che") == []


def test_a_rolled_back_change_is_not_indexed(db, make, monkeypatch):
    listing = _listing(make, "Chè búp")
    listing.name = "Trà búp"
    db.session.flush()
    db.session.rollback()
    calls = []
    monkeypatch.setattr(search_module.engine(), "apply", lambda *a, **kw: calls.append(a))
    db.session.commit()  # nothing left to apply
    assert calls == [] and ids("che") == [listing.id]


def test_a_rolled_back_savepoint_keeps_the_outer_changes(db, make):
    listing = _listing(make, "Chè búp")
    listing.status = ListingStatus.PAUSED
    db.session.flush()
    with db.session.begin_nested() as savepoint:
        listing.name = "Trà búp"
        db.session.flush()
        savepoint.rollback()
    db.session.commit()
    assert ids("che") == []


def test_an_expired_certificate_is_filtered_at_query_time(db, make):
    today = shop_today()
    listing = _listing(make, "Chè búp", cert=None)
    listing.certificate = make.certificate(listing.cooperative, expires_on=today)
    db.session.commit()
    engine = search_module.engine()
    assert engine.search(SearchQuery(text="che"), today).ids == [listing.id]
    # Nothing is committed when a certificate passes its date.
    tomorrow = engine.search(SearchQuery(text="che"), today + timedelta(days=1))
    assert tomorrow.ids == [] and tomorrow.total == 0 and tomorrow.facets["stars"] == {}


def test_index_and_remove_by_hand(db, make):
    listing = _listing(make, "Chè búp")
    remove_listings([listing.id])
    assert ids("che") == []
    index_listings([listing.id])
    assert ids("che") == [listing.id]


def test_reindex_all_rebuilds_an_emptied_index(catalog):
    remove_listings(catalog.values())
    assert ids() == []
    assert reindex_all() == len(catalog)
    assert set(ids()) == set(catalog.values())
    assert ids("mi chu") == [catalog["mi"]]


def test_reindex_reads_in_a_fixed_number_of_queries(db, make):
    def queries_for_reindex() -> int:
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            reindex_all()
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    _listing(make, "Chè búp")
    few = queries_for_reindex()
    for n in range(6):
        _listing(make, f"Chè số {n}", commune=(CHU, BAT_TRANG)[n % 2])
    assert queries_for_reindex() == few


# --- several writers ------------------------------------------------------------------------


def test_concurrent_commits_in_threads_lose_no_update(app, db, make):
    # Four listings made public by four commits at the same moment: four writers contend.
    paused = [_listing(make, f"Chè luồng {n}", status=ListingStatus.PAUSED).id for n in range(4)]
    barrier = threading.Barrier(len(paused))
    errors: list[BaseException] = []

    def publish(listing_id: int) -> None:
        try:
            with app.app_context():
                listing = db.session.get(Listing, listing_id)
                listing.status = ListingStatus.ACTIVE
                barrier.wait()
                db.session.commit()
                db.session.remove()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=publish, args=(i,)) for i in paused]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert set(ids("che luong")) == set(paused)


def _write_from_another_process(
    directory: str, listing_ids: list[int], barrier, timeout: float
) -> None:
    """A worker process: one write per listing, all starting together with the other one."""
    index = WhooshSearchIndex(directory, write_timeout=timeout)
    barrier.wait()
    for listing_id in listing_ids:
        index.apply([listing_id], lambda wanted: {i: _document(i) for i in wanted})


def _document(listing_id: int) -> ListingDocument:
    return ListingDocument(
        listing_id=listing_id,
        name=f"Chè số {listing_id}",
        product_name="Chè",
        cooperative_id=1,
        cooperative_name="HTX Chè",
        ocop_group=2,
        stars=4,
        province_code=BAC_NINH,
        commune_code=LUC_NGAN,
        place_names=("Lục Ngạn", "Bắc Ninh"),
        description="",
        price=100_000,
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        expires_on=shop_today() + timedelta(days=30),
    )


def test_two_processes_writing_at_once_lose_no_update(tmp_path):
    # One worker waits for the lock, the other gives up at once and queues: its queue is
    # drained by later writes (of either worker), and a last drain applies the rest.
    # Spawned, not forked: a fork of a process with threads (pytest plugins, a browser
    # driver) can deadlock in the child.
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    batches = [list(range(1, 16)), list(range(101, 116))]
    workers = [
        context.Process(
            target=_write_from_another_process, args=(str(tmp_path), batch, barrier, timeout)
        )
        for batch, timeout in zip(batches, (2.0, 0.0), strict=True)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [worker.exitcode for worker in workers] == [0, 0]
    index = WhooshSearchIndex(tmp_path)
    assert index.drain(lambda wanted: {i: _document(i) for i in wanted}, timeout=5.0)
    assert index.indexed_ids() == set(batches[0]) | set(batches[1])
    assert index.pending.files() == []
    index.close()


@pytest.mark.whoosh_only
def test_an_update_that_cannot_take_the_lock_is_queued_then_applied(app, make):
    engine = search_module.engine()
    lock = engine._ix.lock("WRITELOCK")  # what another process's writer holds
    assert lock.acquire()
    try:
        engine.write_timeout = 0.1
        listing = _listing(make, "Chè búp")  # its commit cannot index it
        assert len(engine.pending.files()) >= 1
        assert ids("che") == []
    finally:
        lock.release()
        engine.write_timeout = 2.0
    other = _listing(make, "Mật ong")  # the next writer applies the queue first
    assert ids("che") == [listing.id] and ids("mat ong") == [other.id]
    assert engine.pending.files() == []


@pytest.mark.whoosh_only
def test_a_quiet_shop_applies_queued_updates_on_search(app, make):
    engine = search_module.engine()
    lock = engine._ix.lock("WRITELOCK")
    assert lock.acquire()
    try:
        engine.write_timeout = 0.1
        listing = _listing(make, "Chè búp")
    finally:
        lock.release()
        engine.write_timeout = 2.0
    engine._next_drain_check = 0.0  # the last look at the queue was long ago
    assert ids("che") == [listing.id]


@pytest.mark.whoosh_only
def test_a_change_written_by_another_process_is_seen(app, make):
    listing = _listing(make, "Chè búp")
    assert ids("che") == [listing.id]
    # Another worker process: its own index object on the same directory.
    other_worker = WhooshSearchIndex(app.config["SEARCH_INDEX_DIR"])
    other_worker.remove([listing.id])
    assert ids("che") == []
    other_worker.close()


@pytest.mark.whoosh_only
def test_the_searcher_is_reused_until_the_index_changes(make):
    engine = search_module.engine()
    ids("che")
    searcher = engine._searcher
    ids("tra")
    assert engine._searcher is searcher
    _listing(make, "Chè búp")
    ids("che")
    assert engine._searcher is not searcher


def test_reindex_command(runner, make):
    _listing(make, "Chè búp")
    remove_listings(ids())
    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert "1 listings indexed." in result.output
    assert len(ids("che")) == 1
    status = runner.invoke(args=["search", "status"])
    assert "listings:  1" in status.output


def test_a_search_without_facets_finds_the_same_listings_and_counts_nothing(catalog):
    with_facets = search(SearchQuery(text="vai", sort="newest"))
    ids_only = search(SearchQuery(text="vai", sort="newest", facets=False))
    assert ids_only.ids == with_facets.ids and ids_only.total == with_facets.total
    assert any(with_facets.facets.values())
    assert not any(ids_only.facets.values())


def test_a_text_found_only_outside_the_filters_finds_nothing_inside_them(make):
    # "Homestay sinh thái" names a homestay; among foods only a rice's description says
    # "sinh thái". With the food group ticked the search says nothing matched and counts
    # the homestay in its group's facet, rather than match fewer words among the foods.
    homestay = _listing(make, "Homestay sinh thái Ba Vì", group=OcopGroup.TOURISM)
    _listing(make, "Gạo sinh thái", group=OcopGroup.FOOD, description="Gạo trồng sinh thái.")
    _listing(make, "Mật ong rừng", group=OcopGroup.FOOD)
    found = search(SearchQuery(text="homestay sinh thái", groups=[OcopGroup.FOOD.value]))
    assert (found.ids, found.total, found.unfiltered) == ([], 0, 1)
    assert found.facets["group"] == {OcopGroup.TOURISM.value: 1}
    assert found.corrected is None and found.suggestion is None
    assert ids("homestay sinh thái") == [homestay.id]
    # Words matching nothing anywhere still fall back within the filters.
    assert ids("gạo sinh thái thượng hạng", groups=[OcopGroup.FOOD.value])
