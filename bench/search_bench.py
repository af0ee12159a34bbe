"""Search benchmark: synthetic catalogs of several sizes, built and queried in-process.

    .venv/bin/python -m bench.search_bench --sizes 1000 20000 [100000]
    .venv/bin/python -m bench.search_bench --backend postgres [--database-url URL] --sizes ...

Documents go through the same indexing path as `flask search reindex` (ListingDocument →
WhooshSearchIndex.rebuild), with Vietnamese product names built from word lists, 60-word
descriptions, and real current and pre-2025 unit names from vietnam-provinces. About 200
queries — with and without diacritics, misspelt, with filters and sorts, facets always on —
are timed cold (result cache off), then again with the cache on. Then about 200
suggestions as the header search box asks for them while a shopper types (a product kind
or place cut after 2 or more characters, with or without diacritics), through
storefront.search.suggestions (the index part of GET /search/suggest), cache off.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import text as sql_text

from bench.postgres_index import DEFAULT_URL, TABLE_NAMES, open_postgres_index
from storefront.search.documents import DESCRIPTION_WORDS, short_name
from storefront.search.engine import SearchEngine
from storefront.search.query import ListingDocument, SearchQuery
from storefront.search.suggestions import suggestion_ids
from storefront.search.whoosh_engine import WhooshSearchIndex

TODAY = date(2026, 11, 25)

# (product kind, OCOP group)
KINDS = [
    ("Mật ong", 1), ("Vải thiều", 1), ("Gạo nếp cái hoa vàng", 1), ("Gạo tám thơm", 1),
    ("Bánh đa", 1), ("Mỳ gạo", 1), ("Miến dong", 1), ("Nước mắm", 1), ("Tương bần", 1),
    ("Gà đồi", 1), ("Bưởi", 1), ("Cam sành", 1), ("Nhãn lồng", 1), ("Nấm hương", 1),
    ("Chè búp", 2), ("Trà hoa vàng", 2), ("Rượu làng Vân", 2), ("Rượu ngô", 2),
    ("Cà phê", 2), ("Nước cốt gừng", 2), ("Tinh dầu sả", 3), ("Cao dược liệu", 3),
    ("Trà túi lọc thảo dược", 3), ("Sâm", 3), ("Gốm men lam", 4), ("Mây tre đan", 4),
    ("Lụa tơ tằm", 4), ("Thổ cẩm", 4), ("Nón lá", 4), ("Hương trầm", 4),
    ("Lan hồ điệp", 5), ("Bonsai", 5), ("Cá cảnh", 5), ("Tour trải nghiệm làng nghề", 6),
    ("Homestay sinh thái", 6), ("Buổi học làm bánh", 6),
]
QUALIFIERS = [
    "", "", "", "rừng", "hữu cơ", "đặc sản", "thượng hạng", "truyền thống", "sấy khô",
    "loại 1", "nguyên chất", "tự nhiên", "cao cấp", "quà biếu", "sạch", "xuất khẩu",
]
VOCABULARY = (
    "sản phẩm được làm từ nguyên liệu tự nhiên của vùng đồi với quy trình truyền thống "
    "không chất bảo quản đạt tiêu chuẩn an toàn thực phẩm hương vị đậm đà thơm ngon "
    "đóng gói cẩn thận phù hợp làm quà biếu người thân bạn bè dịp lễ tết hợp tác xã "
    "chúng tôi cam kết chất lượng nguồn gốc rõ ràng bà con nông dân chăm sóc theo hướng "
    "hữu cơ thu hoạch đúng vụ chế biến ngay trong ngày giữ trọn dinh dưỡng màu sắc tươi "
    "sáng bảo quản nơi khô ráo thoáng mát tránh ánh nắng trực tiếp sử dụng tốt nhất trong "
    "vòng mười hai tháng kể từ ngày sản xuất đặc sản nổi tiếng được nhiều khách hàng tin "
    "dùng đạt chứng nhận OCOP ba sao bốn sao năm sao của tỉnh mật ong vải gạo chè trà "
    "gừng nghệ quế hồi nấm mộc nhĩ măng khô lạc vừng đậu xanh cốm bánh kẹo rượu men lá "
    "gốm sứ mây tre lụa nón hương trầm lan cây cảnh du lịch trải nghiệm làng nghề"
).split()
QUERY_KINDS = [kind for kind, _ in KINDS]


@dataclass
class Place:
    province_code: int
    commune_code: int
    names: tuple[str, ...]


def load_places() -> list[Place]:
    """Current wards with their province and pre-2025 commune, district and province names."""
    import vietnam_provinces as vp
    from vietnam_provinces import legacy
    from vietnam_provinces._ward_conversion_2025 import NEW_TO_OLD

    provinces = {int(p.code): p.name for p in vp.Province.iter_all()}
    old_provinces = {int(p.code): p.name for p in legacy.Province.iter_all()}
    old_districts = {int(d.code): d.name for d in legacy.District.iter_all()}
    old_wards = {int(w.code): w.name for w in legacy.Ward.iter_all()}
    places = []
    for ward in vp.Ward.iter_all():
        names = [short_name(ward.name), short_name(provinces[int(ward.province_code)])]
        entry = NEW_TO_OLD.get(int(ward.code))
        for old in (entry.old_wards[:1] if entry else ()):
            names += [
                short_name(old_wards.get(old.code, "")),
                short_name(old_districts.get(old.district_code, "")),
                short_name(old_provinces.get(old.province_code, "")),
            ]
        places.append(
            Place(
                int(ward.province_code), int(ward.code), tuple(dict.fromkeys(filter(None, names)))
            )
        )
    return places


def make_documents(count: int, places: list[Place], seed: int = 7) -> list[ListingDocument]:
    rng = random.Random(seed)
    cooperatives = max(10, count // 8)
    coop_place = [rng.choice(places) for _ in range(cooperatives)]
    start = datetime(2023, 1, 1, tzinfo=UTC)
    documents = []
    for listing_id in range(1, count + 1):
        coop = rng.randrange(cooperatives)
        place = coop_place[coop]
        kind, group = rng.choice(KINDS)
        qualifier = rng.choice(QUALIFIERS)
        name = " ".join(filter(None, [kind, qualifier, rng.choice(place.names[:1] + ("",))]))
        words = [
            rng.choice(VOCABULARY[: rng.choice((40, 120, len(VOCABULARY)))]) for _ in range(60)
        ]
        documents.append(
            ListingDocument(
                listing_id=listing_id,
                name=name,
                product_name=f"{kind} {place.names[0]}",
                cooperative_id=coop + 1,
                cooperative_name=f"HTX Nông nghiệp {place.names[0]} {coop + 1}",
                ocop_group=group,
                stars=rng.choice((3, 3, 3, 4, 4, 5)),
                province_code=place.province_code,
                commune_code=place.commune_code,
                place_names=place.names,
                description=" ".join(words[:DESCRIPTION_WORDS]),
                price=int(round(rng.lognormvariate(12.0, 0.7), -3)),
                created_at=start + timedelta(minutes=rng.randrange(3 * 365 * 24 * 60)),
                expires_on=TODAY + timedelta(days=rng.randrange(-30, 3 * 365)),
            )
        )
    return documents


def strip_marks(text: str) -> str:
    from storefront.search.analysis import fold

    return fold(text)


def make_queries(places: list[Place], provinces: list[int], n: int = 200, seed: int = 11):
    """A mix: diacritics or not, place words, typos, filters, sorts, pages, empty text."""
    rng = random.Random(seed)
    queries = []
    sorts = ["relevance"] * 5 + ["newest", "price_asc", "price_desc", "stars"]
    for i in range(n):
        kind = rng.choice(QUERY_KINDS)
        place = rng.choice(places)
        shape = i % 10
        if shape in (0, 1):
            text = kind
        elif shape == 2:
            text = strip_marks(kind)
        elif shape == 3:
            text = f"{kind.split()[0]} {place.names[-1]}"
        elif shape == 4:
            text = strip_marks(f"{kind} {place.names[0]}")
        elif shape == 5:
            text = rng.choice(["đặc sản", "dac san", "quà biếu", "chat luong", "hữu cơ"])
        elif shape == 6:
            word = strip_marks(kind).split()[-1]
            text = word + word[-1]  # a typo: "ongg"
        elif shape == 7:
            text = ""  # browsing with filters
        else:
            text = rng.choice([kind, strip_marks(kind), place.names[0]])
        query = SearchQuery(text=text, sort=rng.choice(sorts), page=rng.choice((1, 1, 1, 2, 3)))
        if shape in (7, 8) or rng.random() < 0.3:
            pick = rng.randrange(4)
            if pick == 0:
                query.groups = [rng.randint(1, 6)]
            elif pick == 1:
                query.stars = [rng.choice((4, 5))]
            elif pick == 2:
                query.province_codes = [rng.choice(provinces)]
            else:
                query.price_min, query.price_max = 100_000, 500_000
        queries.append(query)
    return queries


def make_typed(places: list[Place], n: int = 200, seed: int = 13) -> list[str]:
    """What the box holds while a shopper types: a kind, a kind and a place, or a place, cut
    after a random number of characters (at least 2), half without diacritics."""
    rng = random.Random(seed)
    typed = []
    for i in range(n):
        kind, place = rng.choice(QUERY_KINDS), rng.choice(places).names[0]
        text = [kind, f"{kind.split()[0]} {place}", place][i % 3]
        if i % 2:
            text = strip_marks(text)
        typed.append(text[: rng.randint(2, len(text))].rstrip() or text[:2])
    return typed


def time_suggestions(index: SearchEngine, typed: list[str]) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds per suggestion (the ids only: the app then loads five
    cards, cached under the catalog version)."""
    wall, cpu = [], []
    for text in typed:
        started, started_cpu = time.perf_counter(), time.process_time()
        suggestion_ids(text, 10, lambda q: index.search(q, TODAY), index.words_starting)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return wall, cpu


def batches(documents: list[ListingDocument], size: int = 500) -> Iterator[list[ListingDocument]]:
    for start in range(0, len(documents), size):
        yield documents[start : start + size]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def time_queries(
    index: SearchEngine, queries: list[SearchQuery]
) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds per query (CPU time is what a busy machine can't
    inflate: other processes' load shows in the first, not the second)."""
    wall, cpu = [], []
    for query in queries:
        started, started_cpu = time.perf_counter(), time.process_time()
        index.search(query, TODAY)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return wall, cpu


def run(size: int, places: list[Place], provinces: list[int], keep: bool) -> dict:
    documents = make_documents(size, places)
    directory = Path(tempfile.mkdtemp(prefix=f"search-bench-{size}-"))
    try:
        index = WhooshSearchIndex(directory, cache_size=0)
        started, started_cpu = time.perf_counter(), time.process_time()
        index.rebuild(batches(documents))
        build_s = time.perf_counter() - started
        build_cpu_s = time.process_time() - started_cpu
        disk_mb = sum(p.stat().st_size for p in directory.rglob("*") if p.is_file()) / 1e6

        queries = make_queries(places, provinces)
        started = time.perf_counter()
        index.search(SearchQuery(text="mật ong"), TODAY)  # first search loads the segment data
        open_ms = (time.perf_counter() - started) * 1000
        time_queries(index, queries[:20])  # warm the OS page cache, not the result cache
        cold, cold_cpu = time_queries(index, queries)

        by_id = {d.listing_id: d for d in documents}
        update_ms = []
        for listing_id in random.Random(3).sample(sorted(by_id), 10):
            started = time.perf_counter()
            index.apply([listing_id], lambda ids: {i: by_id[i] for i in ids})
            update_ms.append((time.perf_counter() - started) * 1000)
        after_update = index.search(SearchQuery(text="mat ong"), TODAY)  # reopen after writes
        del after_update

        cached_index = WhooshSearchIndex(directory, cache_size=1024)
        time_queries(cached_index, queries)
        cached, _ = time_queries(cached_index, queries)
        typed = make_typed(places)
        time_suggestions(index, typed[:20])
        suggest_ms, suggest_cpu = time_suggestions(index, typed)
        hits = [index.search(q, TODAY).total for q in queries]
        return {
            "size": size,
            "build_s": build_s,
            "build_cpu_s": build_cpu_s,
            "disk_mb": disk_mb,
            "open_ms": open_ms,
            "p50": statistics.median(cold),
            "p95": percentile(cold, 95),
            "max": max(cold),
            "cpu_p50": statistics.median(cold_cpu),
            "cpu_p95": percentile(cold_cpu, 95),
            "cached_p95": percentile(cached, 95),
            "update_ms": statistics.median(update_ms),
            "median_hits": statistics.median(hits),
            "suggest_p50": statistics.median(suggest_ms),
            "suggest_p95": percentile(suggest_ms, 95),
            "suggest_cpu_p95": percentile(suggest_cpu, 95),
        }
    finally:
        if keep:
            print(f"  index kept in {directory}")
        else:
            shutil.rmtree(directory, ignore_errors=True)


def run_postgres(size: int, places: list[Place], provinces: list[int], database_url: str) -> dict:
    """The same measures on the PostgreSQL engine (the search tables alone in a database of
    their own). The database does the work: wall-clock time is what counts here, CPU time is
    this process's share (building the SQL, reading the rows). No result cache: 'cached p95'
    repeats the cold p95."""
    documents = make_documents(size, places)
    index, engine = open_postgres_index(database_url)
    try:
        started, started_cpu = time.perf_counter(), time.process_time()
        index.rebuild(batches(documents))
        build_s = time.perf_counter() - started
        build_cpu_s = time.process_time() - started_cpu
        with engine.connect() as conn:
            sizes = [
                conn.execute(sql_text(f"SELECT pg_total_relation_size('{name}')")).scalar_one()
                for name in TABLE_NAMES
            ]
        disk_mb = sum(sizes) / 1e6
        queries = make_queries(places, provinces)
        started = time.perf_counter()
        index.search(SearchQuery(text="mật ong"), TODAY)
        open_ms = (time.perf_counter() - started) * 1000
        time_queries(index, queries[:20])  # warm the database's buffers
        cold, cold_cpu = time_queries(index, queries)
        by_id = {d.listing_id: d for d in documents}
        update_ms = []
        for listing_id in random.Random(3).sample(sorted(by_id), 10):
            started = time.perf_counter()
            index.apply([listing_id], lambda ids: {i: by_id[i] for i in ids})
            update_ms.append((time.perf_counter() - started) * 1000)
        typed = make_typed(places)
        time_suggestions(index, typed[:20])
        suggest_ms, suggest_cpu = time_suggestions(index, typed)
        hits = [index.search(q, TODAY).total for q in queries]
        return {
            "size": size,
            "build_s": build_s,
            "build_cpu_s": build_cpu_s,
            "disk_mb": disk_mb,
            "open_ms": open_ms,
            "p50": statistics.median(cold),
            "p95": percentile(cold, 95),
            "max": max(cold),
            "cpu_p50": statistics.median(cold_cpu),
            "cpu_p95": percentile(cold_cpu, 95),
            "cached_p95": percentile(cold, 95),
            "update_ms": statistics.median(update_ms),
            "median_hits": statistics.median(hits),
            "suggest_p50": statistics.median(suggest_ms),
            "suggest_p95": percentile(suggest_ms, 95),
            "suggest_cpu_p95": percentile(suggest_cpu, 95),
        }
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 20000])
    parser.add_argument("--keep", action="store_true", help="keep the index folders")
    parser.add_argument("--backend", choices=("whoosh", "postgres"), default="whoosh")
    parser.add_argument(
        "--database-url", default=DEFAULT_URL, help="PostgreSQL database for --backend postgres"
    )
    args = parser.parse_args(argv)
    print(f"backend: {args.backend}")

    places = load_places()
    provinces = sorted({p.province_code for p in places})
    header = (
        f"{'listings':>9} {'build s':>8} {'cpu s':>6} {'disk MB':>8} {'open ms':>8} {'p50 ms':>7} "
        f"{'p95 ms':>7} {'max ms':>7} {'cpu p50':>8} {'cpu p95':>8} {'cached p95':>10} "
        f"{'update ms':>9} {'hits p50':>8} {'sugg p50':>8} {'sugg p95':>8} {'sugg cpu p95':>12}"
    )
    print("search over 200 queries, facets on, result cache off ('cached p95': on);")
    print("ms of wall-clock time, and of this process's CPU time ('cpu');")
    print("'sugg': 200 suggestions for text being typed (prefixes), result cache off")
    print(header)
    for size in args.sizes:
        if args.backend == "postgres":
            row = run_postgres(size, places, provinces, args.database_url)
        else:
            row = run(size, places, provinces, args.keep)
        print(
            f"{row['size']:>9} {row['build_s']:>8.1f} {row['build_cpu_s']:>6.0f} "
            f"{row['disk_mb']:>8.1f} "
            f"{row['open_ms']:>8.0f} {row['p50']:>7.1f} {row['p95']:>7.1f} {row['max']:>7.1f} "
            f"{row['cpu_p50']:>8.1f} {row['cpu_p95']:>8.1f} "
            f"{row['cached_p95']:>10.2f} {row['update_ms']:>9.1f} {row['median_hits']:>8.0f} "
            f"{row['suggest_p50']:>8.1f} {row['suggest_p95']:>8.1f} "
            f"{row['suggest_cpu_p95']:>12.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
