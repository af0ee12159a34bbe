"""The engine's per-process structures that make repeated searches cheap are really used:
counts, not times (a structure that silently stopped being used would only show as a
slower benchmark)."""

from __future__ import annotations

import os
import time
from datetime import UTC, date, datetime, timedelta

from storefront.search.query import ListingDocument, SearchQuery
from storefront.search.whoosh_engine import WhooshSearchIndex
from storefront.search.whoosh_engine import matching as matching_module
from storefront.search.whoosh_engine import segments as segments_module

TODAY = date(2026, 11, 25)
NAMES = ["Chè búp Tân Cương", "Mật ong rừng", "Vải thiều Lục Ngạn", "Chè shan tuyết", "Gạo nếp"]


def _document(listing_id: int, name: str) -> ListingDocument:
    return ListingDocument(
        listing_id=listing_id,
        name=name,
        product_name=name,
        cooperative_id=listing_id % 2 + 1,
        cooperative_name="HTX Nông sản",
        ocop_group=1,
        stars=3 + listing_id % 3,
        province_code=24,
        commune_code=7210,
        place_names=("Lục Ngạn", "Bắc Ninh"),
        description="sản phẩm thơm ngon đặc sản vùng đồi",
        price=100_000 * listing_id,
        created_at=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=listing_id),
        expires_on=TODAY + timedelta(days=30),
    )


def _index(tmp_path, **options) -> WhooshSearchIndex:
    index = WhooshSearchIndex(tmp_path, cache_size=0, **options)
    index.rebuild([[_document(i, name) for i, name in enumerate(NAMES, start=1)]])
    return index


def _search(index: WhooshSearchIndex, text: str):
    result = index.search(SearchQuery(text=text), TODAY)
    return result.ids, result.total, result.facets, result.suggestion


def test_a_repeated_search_reads_no_posting_list_from_the_index_again(tmp_path):
    index = _index(tmp_path)
    first = _search(index, "chè lục ngạn thơm")
    reads = index.postings_cache.reads
    assert reads > 0 and len(index.postings_cache) > 0
    assert _search(index, "chè lục ngạn thơm") == first
    assert index.postings_cache.reads == reads
    index.close()


def test_a_write_keeps_the_postings_of_unchanged_segments_and_a_merge_drops_the_rest(
    tmp_path,
):
    index = _index(tmp_path)
    _search(index, "mat ong")
    (old_segment,) = {leaf.segment_id for leaf in index._leaves}
    index.apply([9], lambda ids: {9: _document(9, "Mật ong bạc hà")})
    reads = index.postings_cache.reads
    assert _search(index, "mat ong")[1] == 2
    segments = {leaf.segment_id for leaf in index._leaves}
    assert old_segment in segments and len(segments) == 2
    new_reads = index.postings_cache.reads - reads
    assert 0 < new_reads <= reads  # the new segment's lists only, not the old one's again
    index.optimize()
    assert _search(index, "mat ong")[1] == 2
    kept = {key[0] for key in index.postings_cache._entries}
    assert kept == {leaf.segment_id for leaf in index._leaves} != segments
    index.close()
    assert len(index.postings_cache) == 0 and index.postings_cache.size == 0


def test_without_the_postings_cache_results_are_the_same(tmp_path):
    cached = _index(tmp_path / "cached")
    plain = _index(tmp_path / "plain", postings_cache=0)
    for text in ("chè", "che lục ngạn", "mat ongg", "vai thieu thom ngon", "xyzzy"):
        assert _search(plain, text) == _search(cached, text)
    assert len(plain.postings_cache) == 0 and plain.postings_cache.reads > 0
    cached.close()
    plain.close()


def test_near_spellings_are_worked_out_once_per_segment(tmp_path, monkeypatch):
    index = _index(tmp_path)
    first = _search(index, "mat onng")
    assert first[1] == 1
    calls = []
    original = segments_module.edit_distance

    def counted(a: str, b: str, limit: int) -> int:
        calls.append(a)
        return original(a, b, limit)

    monkeypatch.setattr(segments_module, "edit_distance", counted)
    assert _search(index, "mat onng") == first
    assert calls == []
    index.close()


def test_facets_are_counted_once_for_the_stage_that_gives_the_result(tmp_path, monkeypatch):
    index = _index(tmp_path)
    expected = _search(index, "mat onng")  # all words, relaxed, fuzzy: three stages
    calls = []
    original = matching_module._count_facets

    def counted(*args):
        calls.append(args)
        return original(*args)

    monkeypatch.setattr(matching_module, "_count_facets", counted)
    assert _search(index, "mat onng") == expected
    assert expected[2]["stars"] == {5: 1}
    assert len(calls) == len(index._leaves) == 1
    index.close()


def _age_directory(index: WhooshSearchIndex, seconds: int = 60) -> None:
    """The index directory last changed `seconds` ago (its time trusted from then on)."""
    stamp = index.directory.stat().st_mtime - seconds
    os.utime(index.directory, (stamp, stamp))


def test_the_generation_is_listed_again_only_when_the_directory_changes(tmp_path, monkeypatch):
    index = _index(tmp_path)
    _age_directory(index)
    listings: list[int] = []
    latest = index._ix.latest_generation

    def counted() -> int:
        listings.append(1)
        return latest()

    monkeypatch.setattr(index._ix, "latest_generation", counted)
    first = index.generation()
    assert [index.generation() for _ in range(3)] == [first] * 3
    assert len(listings) == 1  # the directory's time stood: no second listing
    # Another process commits to the same directory: its new table of contents shows at once.
    other = WhooshSearchIndex(tmp_path)
    other.remove([1])
    other.close()
    assert index.generation() > first
    assert len(listings) == 2
    index.close()


def test_a_recent_directory_time_is_not_trusted(tmp_path, monkeypatch):
    """A change in the same clock tick as the last could leave the directory's time as it
    was: the listing is remembered only once that time is a while old."""
    index = _index(tmp_path)
    stamp = time.time()
    os.utime(index.directory, (stamp, stamp))  # changed just now
    listings: list[int] = []
    latest = index._ix.latest_generation
    monkeypatch.setattr(index._ix, "latest_generation", lambda: listings.append(1) or latest())
    index.generation()
    index.generation()
    assert len(listings) == 2
    index.close()
