"""The engine object: opens the index, writes under the file lock, reuses one searcher."""

from __future__ import annotations

import heapq
import logging
import os
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import date
from itertools import chain
from pathlib import Path
from typing import Any

from whoosh import index, writing
from whoosh.filedb.filestore import FileStorage
from whoosh.index import LockError
from whoosh.util.filelock import try_for

from storefront.search.query import ListingDocument, SearchQuery, SearchResult
from storefront.search.understanding import known_word
from storefront.search.whoosh_engine.matching import (
    FACET_COLUMNS,
    PlanClause,
    fuzzy_lookups,
    minimum_clauses,
    plan_query,
    search_segment,
)
from storefront.search.whoosh_engine.pending import PendingQueue
from storefront.search.whoosh_engine.schema import INDEX_NAME, build_schema, codec, document_fields
from storefront.search.whoosh_engine.segments import LeafData, SegmentColumns, edit_distance

logger = logging.getLogger(__name__)

WRITE_DELAY = 0.05  # seconds between attempts to take the write lock
DRAIN_CHECK_INTERVAL = 5.0  # seconds between looks at the pending queue from searches
# Edits allowed between a misspelt word and its correction: one for short words, whose
# two-edit neighbours are other words altogether ("buoi" → "bup").
SUGGEST_SHORT_WORD = 4
# Fewer hits than this with the words as typed: description words (attributes) and the
# words a short last word begins are searched too.
FEW_RESULTS = 5
# Fields whose words make a query word "known" (not corrected, not spelt fuzzily).
KNOWN_FIELDS = ("name", "product", "place", "extra", "body")
# Fields searched for words spelt nearly like an unknown one, and how many such words count.
FUZZY_FIELDS = ("name", "product", "place", "extra")
FUZZY_TERMS = 8
PREFIX_TERMS = 12  # words a last, unfinished word may be the beginning of

Loader = Callable[[set[int]], dict[int, ListingDocument]]


class WhooshSearchIndex:
    """A Whoosh index of public listings in one directory, safe for several processes.

    Writes take Whoosh's file lock with a timeout and, failing that, go to the pending queue.
    Reads reuse one searcher per process until the index changes.
    """

    def __init__(
        self, directory: str | os.PathLike, *, write_timeout: float = 2.0, cache_size: int = 256
    ) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.write_timeout = write_timeout
        self.pending = PendingQueue(self.directory / "pending")
        self._ix = self._open_or_create()
        # Reading state, per process: one searcher and its segments' data.
        self._read_lock = threading.RLock()
        self._pid = os.getpid()
        self._searcher: Any = None  # Whoosh's Searcher (untyped), once opened
        self._generation = -1
        self._leaves: list[LeafData] = []
        self._columns: dict[str, SegmentColumns] = {}  # by segment id
        self._cache_size = cache_size
        self._cache: OrderedDict[tuple, SearchResult] = OrderedDict()
        self._next_drain_check = 0.0
        self._postings: list[dict] = []  # postings read by the current search, per segment

    def _open_or_create(self) -> index.FileIndex:
        """Open the index, creating it under the write lock when it does not exist yet.

        Creating an index deletes any files of that name, so two workers starting on an
        empty folder must not both create it: the second would wipe the first one's writes.
        """
        path = str(self.directory)
        if not index.exists_in(path, indexname=INDEX_NAME):
            storage = FileStorage(path)
            lock = storage.lock(f"{INDEX_NAME}_WRITELOCK")  # the lock every writer takes
            if not try_for(lock.acquire, timeout=30.0, delay=WRITE_DELAY):
                raise LockError(f"search index {path} stays locked")
            try:
                if not index.exists_in(path, indexname=INDEX_NAME):
                    storage.create_index(build_schema(), indexname=INDEX_NAME)
            finally:
                lock.release()
        return index.open_dir(path, indexname=INDEX_NAME)

    # writing -------------------------------------------------------------------------------

    def _writer(self, timeout: float, **options):
        """A writer holding the index's file lock; LockError if it is not free in time.

        Segments are written as separate files, not one compound file: Whoosh reads a
        compound file through a private in-memory copy of each part (a copy per worker
        process of most of the index), separate files through the shared page cache.
        """
        return self._ix.writer(
            timeout=timeout, delay=WRITE_DELAY, codec=codec(), compound=False, **options
        )

    def apply(self, listing_ids: Iterable[int], load: Loader, timeout: float | None = None) -> bool:
        """Bring these listings (and any queued ones) in line with the database.

        `load` is called with the write lock held, so that of two processes updating the same
        listing the later one reads the later state. Returns False when the lock could not be
        taken in time: the ids are queued for the next writer instead.
        """
        ids = {int(i) for i in listing_ids}
        try:
            writer = self._writer(self.write_timeout if timeout is None else timeout)
        except LockError:
            self.pending.push(ids)
            logger.warning("search: index busy, %d listing update(s) queued", len(ids))
            return False
        try:
            claimed, queued = self.pending.claim()
            ids |= queued
            documents = load(ids) if ids else {}
            for listing_id in sorted(ids):
                document = documents.get(listing_id)
                if document is None:
                    writer.delete_by_term("id", str(listing_id))
                else:
                    writer.update_document(**document_fields(document))
            writer.commit()
        except BaseException:
            _cancel(writer)
            self.pending.push(ids)  # claimed files stay too; a retry re-reads the database
            raise
        self.pending.done(claimed)
        return True

    in_transaction = False  # the index is a folder: it hears of changes after their commit

    def write_in_transaction(self, session: Any, listing_ids: set[int], load: Any) -> bool:
        """Not possible for a folder beside the database: see storefront.search.catalog_changed."""
        return False

    def remove(self, listing_ids: Iterable[int], timeout: float | None = None) -> bool:
        """Delete these listings from the index whatever the database says.

        When the lock is busy they are queued, and the queue re-reads the database: a listing
        removed that way stays out only if it is not public.
        """
        ids = {int(i) for i in listing_ids}
        if not ids:
            return True
        try:
            writer = self._writer(self.write_timeout if timeout is None else timeout)
        except LockError:
            self.pending.push(ids)
            return False
        try:
            for listing_id in sorted(ids):
                writer.delete_by_term("id", str(listing_id))
            writer.commit()
        except BaseException:
            _cancel(writer)
            raise
        return True

    def rebuild(
        self,
        batches: Iterable[Sequence[ListingDocument]],
        progress: Callable[[int], None] | None = None,
        timeout: float = 60.0,
    ) -> int:
        """Replace the whole index with these documents, atomically for readers.

        Queued updates older than the rebuild are covered by it (their files are dropped);
        updates committed while it runs are queued by their writers and need a drain after.
        """
        writer = self._writer(timeout, limitmb=256)
        count = 0
        try:
            claimed, _ = self.pending.claim()
            for batch in batches:
                for document in batch:
                    writer.add_document(**document_fields(document))
                count += len(batch)
                if progress is not None:
                    progress(len(batch))
            writer.commit(mergetype=writing.CLEAR)
        except BaseException:
            _cancel(writer)
            raise
        self.pending.done(claimed)
        return count

    def drain(self, load: Loader, timeout: float = 0.0) -> bool:
        """Apply queued updates now if the lock is free (they are otherwise applied by the
        next write). Returns True when nothing is left waiting."""
        if not self.pending.files():
            return True
        return self.apply((), load, timeout=timeout)

    def drain_if_due(self, load: Loader) -> None:
        """Apply queued updates if some wait and the lock is free, at most every few seconds.

        Called on searches, so queued updates do not wait for the next write when the shop
        is quiet; the check is a directory listing, the drain a non-blocking lock attempt.
        """
        now = time.monotonic()
        if now < self._next_drain_check:
            return
        self._next_drain_check = now + DRAIN_CHECK_INTERVAL
        try:
            self.drain(load, timeout=0.0)
        except Exception:
            logger.exception("search: draining queued updates failed")

    def optimize(self) -> None:
        """Merge every segment into one (fastest reads; run after a bulk load)."""
        writer = self._writer(self.write_timeout)
        writer.commit(optimize=True)

    # reading -------------------------------------------------------------------------------

    def generation(self) -> int:
        """The latest committed generation of the index (a directory listing, no file reads)."""
        return self._ix.latest_generation()

    def _refresh(self) -> None:
        """Reopen the searcher when the index changed since it was opened (or after a fork).

        Whoosh's own Searcher.refresh() is not used: in Whoosh-Reloaded 2.7.5 it reuses
        segment readers by segment id, so it keeps serving documents deleted after the
        searcher was opened, and after a merge serves old and new segments both.
        """
        generation = self._ix.latest_generation()
        if (
            self._searcher is not None
            and generation == self._generation
            and os.getpid() == self._pid
        ):
            return
        if self._searcher is not None and os.getpid() == self._pid:
            self._searcher.close()
        self._pid = os.getpid()
        self._searcher = self._ix.searcher()
        # The generation seen before opening: if a commit slipped in between, the next
        # search reopens once more (an empty index's reader has no generation of its own).
        self._generation = generation
        leaves, kept = [], {}
        for reader, _offset in self._searcher.reader().leaf_readers():
            if reader.doc_count_all() == 0:
                continue
            segment_id = reader.segment().segment_id()
            columns = self._columns.get(segment_id) or SegmentColumns(reader)
            kept[segment_id] = columns
            leaves.append(LeafData(reader, columns))
        self._leaves, self._columns = leaves, kept
        self._cache.clear()

    def search(self, query: SearchQuery, today: date) -> SearchResult:
        """One page of public listings matching `query`, with facets and a suggestion."""
        query = query.normalized()
        with self._read_lock:
            self._refresh()
            key = (today, query.cache_key())
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return _copy(cached)
            result = self._search(query, today)
            if self._cache_size:
                self._cache[key] = result
                if len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
            return _copy(result)

    def _search(self, query: SearchQuery, today: date) -> SearchResult:
        """Every clause first; with too few hits, most clauses; then unknown words spelt
        like indexed ones; and when still nothing matched, the did-you-mean text itself."""
        plan = plan_query(query.text, self._is_known, self._is_place, self._prefixed)
        known = [False] * len(plan)
        self._postings = [{} for _ in self._leaves]  # this search's postings, per segment
        result = self._run(plan, query, today, known)
        if plan and result.total < FEW_RESULTS:
            # Description words and unfinished last words too.
            result = self._run(plan, query, today, known, relaxed=True)
        if plan and result.total == 0 and minimum_clauses(len(plan)) < len(plan):
            result = self._run(plan, query, today, known, minimum_clauses(len(plan)), True)
        if plan and result.total == 0:
            fuzzy = self._fuzzy(plan, query.text)
            if fuzzy:
                result = self._run(plan, query, today, [False] * len(plan), relaxed=True)
                if result.total == 0 and minimum_clauses(len(plan)) < len(plan):
                    minimum = minimum_clauses(len(plan))
                    result = self._run(plan, query, today, known, minimum, True)
        suggestion = self._suggest(plan) if plan else None
        if result.total == 0 and plan and not query.exact:
            # The best suggestion: the unknown words corrected, or else known words that
            # are one letter away from a word of listing names ("vai tieu" → "vai thieu").
            for text in dict.fromkeys((suggestion, self._suggest(plan, known_too=True))):
                if not text:
                    continue
                retry = self._search(replace(query, text=text, exact=True), today)
                if retry.total:
                    retry.corrected = retry.suggestion = text
                    return retry
        result.suggestion = suggestion if result.total == 0 or not all(known) else None
        return result

    def _run(
        self,
        plan: list[PlanClause],
        query: SearchQuery,
        today: date,
        known: list[bool],
        minimum: int | None = None,
        relaxed: bool = False,
    ) -> SearchResult:
        limit = query.page * query.per_page
        total, tops = 0, []
        facets: dict[str, Counter] = {facet: Counter() for facet in FACET_COLUMNS}
        for leaf, postings in zip(self._leaves, self._postings, strict=True):
            hits = search_segment(
                leaf, plan, query, today, limit, known, minimum, relaxed, postings
            )
            total += hits.total
            tops.append(hits.top)
            for facet, counts in hits.facets.items():
                facets.setdefault(facet, Counter()).update(counts)
        # Every key ends with the negated listing id, unique across segments.
        top = heapq.nsmallest(limit, chain.from_iterable(tops))
        start = (query.page - 1) * query.per_page
        return SearchResult(
            ids=[-key[-1] for key in top[start:]],
            total=total,
            facets={name: dict(counts) for name, counts in facets.items()},
            page=query.page,
            per_page=query.per_page,
        )

    # the index's own words ----------------------------------------------------------------

    def _is_known(self, folded: str) -> bool:
        """True when some listing holds this folded word in any text field."""
        return any(
            leaf.has(fieldname, folded) for leaf in self._leaves for fieldname in KNOWN_FIELDS
        )

    def _is_place(self, key: str) -> bool:
        """True when some listing comes from a place of this name ("ha_giang")."""
        return any(leaf.has("place_phrase", key) for leaf in self._leaves)

    def _neighbours(self, folded: str, maxdist: int, prefix: bool) -> set[str]:
        """Indexed words within `maxdist` edits of a word (same first letter), and those it
        begins when `prefix`."""
        found: set[str] = set()
        for leaf in self._leaves:
            for fieldname in FUZZY_FIELDS:
                if maxdist:
                    found.update(leaf.near(fieldname, folded, maxdist))
                if prefix:
                    found.update(leaf.starting_with(fieldname, folded, PREFIX_TERMS))
        found.discard(folded)
        return found

    def words_starting(self, folded: str) -> list[str]:
        """Public name of _prefixed, for the suggestions under the search box."""
        with self._read_lock:
            self._refresh()
            return self._prefixed(folded)

    def _prefixed(self, folded: str) -> list[str]:
        """Name and product words a short last word may be the beginning of ("lon" → "long")."""
        found: set[str] = set()
        for leaf in self._leaves:
            for fieldname in ("name", "product"):
                found.update(leaf.starting_with(fieldname, folded, PREFIX_TERMS))
        found.discard(folded)
        return sorted(found)[:PREFIX_TERMS]

    def _fuzzy(self, plan: list[PlanClause], text: str) -> bool:
        """Let each unknown typed word also match indexed words spelt nearly like it (one
        edit for words up to five letters, two beyond), and the last word of the query the
        words it begins. Returns True when some word gained a spelling."""
        changed = False
        last = plan[-1].words[-1] if plan else None
        for clause in plan:
            for word in clause.words:
                folded = word.term.folded
                if self._is_known(folded) or known_word(folded) or not folded.isalpha():
                    continue
                maxdist = 0 if len(folded) < 3 else 1 if len(folded) <= 4 else 2
                near = self._neighbours(folded, maxdist, word is last and len(folded) >= 2)
                for other in sorted(near)[:FUZZY_TERMS]:
                    word.lookups += fuzzy_lookups(other)
                    changed = True
        return changed

    def _suggest(self, plan: list[PlanClause], known_too: bool = False) -> str | None:
        """The query with each unknown word replaced by the closest indexed word, if any.

        A word is known when a listing holds it anywhere or the search vocabulary knows it
        (English names, synonyms, places): those are never "corrected". Corrections come
        from the words of names, then origins, then product names, closest first and then
        most frequent, and are written without diacritics. `known_too`: known words of four
        letters or more are replaced too, by the most frequent name word one edit away.
        """
        corrected, changed = [], False
        for clause in plan:
            understood = clause.clause
            if understood is not None and (
                understood.place
                or understood.english
                or (understood.from_vocabulary and not known_too)
            ):
                corrected += [w.term.surface for w in clause.words]
                continue
            for word in clause.words:
                folded = word.term.folded
                is_known = self._is_known(folded) or known_word(folded)
                if not is_known:
                    replacement = self._correct(folded)
                elif known_too and len(folded) >= 4 and folded.isalpha():
                    replacement = self._correct(folded, ("name",), maxdist=1)
                else:
                    replacement = None
                corrected.append(replacement or word.term.surface)
                changed |= replacement is not None
        return " ".join(corrected) if changed else None

    def _correct(
        self,
        folded: str,
        fieldnames: tuple[str, ...] = ("name", "place", "product"),
        maxdist: int | None = None,
    ) -> str | None:
        """The indexed word closest to a word, from the first field that has one."""
        if not folded.isalpha():
            return None
        if maxdist is None:
            maxdist = 1 if len(folded) <= SUGGEST_SHORT_WORD else 2
        for fieldname in fieldnames:
            found: Counter[str] = Counter()
            for leaf in self._leaves:
                for word in leaf.near(fieldname, folded, maxdist):
                    if word != folded:
                        found[word] += leaf.reader.doc_frequency(fieldname, word)
            if found:
                # Closest first, then most frequent, then alphabetical.
                return min(found, key=lambda w: (edit_distance(folded, w, maxdist), -found[w], w))
        return None

    def doc_count(self) -> int:
        with self._read_lock:
            self._refresh()
            return self._searcher.doc_count()

    def indexed_ids(self) -> set[int]:
        """Listing ids currently in the index (for tests and `flask search status`)."""
        with self._read_lock:
            self._refresh()
            return {leaf.columns.listing_id[d] for leaf in self._leaves for d in leaf.live}

    def close(self) -> None:
        with self._read_lock:
            if self._searcher is not None and os.getpid() == self._pid:
                self._searcher.close()
            self._searcher, self._leaves, self._columns = None, [], {}
            self._cache.clear()


def _cancel(writer) -> None:
    """Release the lock of a failed writer; a second failure must not hide the first."""
    try:
        writer.cancel()
    except Exception:
        logger.exception("search: could not cancel the index writer")


def _copy(result: SearchResult) -> SearchResult:
    """A copy the caller may change without touching the cached one."""
    return replace(
        result, ids=list(result.ids), facets={k: dict(v) for k, v in result.facets.items()}
    )
