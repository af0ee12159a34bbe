"""The engine object: opens the index, writes under the file lock, reuses one searcher."""

from __future__ import annotations

import heapq
import logging
import os
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from itertools import chain
from pathlib import Path
from typing import Any

from whoosh import index, writing
from whoosh.filedb.filestore import FileStorage
from whoosh.index import LockError
from whoosh.util.filelock import try_for

from storefront.search.explain import ExplainedHit, Explanation
from storefront.search.query import (
    FEW_RESULTS,
    ListingDocument,
    SearchQuery,
    SearchResult,
    cut_cooperative_facet,
)
from storefront.search.understanding import known_word, names_product, names_product_type
from storefront.search.whoosh_engine.explaining import describe_clause, describe_note
from storefront.search.whoosh_engine.matching import (
    FACET_COLUMNS,
    SORT_ORDERS,
    Note,
    PlanClause,
    fuzzy_lookups,
    minimum_clauses,
    plan_query,
    required_count,
    search_segment,
)
from storefront.search.whoosh_engine.pending import PendingQueue
from storefront.search.whoosh_engine.schema import INDEX_NAME, build_schema, codec, document_fields
from storefront.search.whoosh_engine.segments import (
    LeafData,
    PostingsCache,
    SegmentColumns,
    edit_distance,
)

logger = logging.getLogger(__name__)

WRITE_DELAY = 0.05  # seconds between attempts to take the write lock
DRAIN_CHECK_INTERVAL = 5.0  # seconds between looks at the pending queue from searches
# A directory time this old is trusted to move on at the next change (generation()).
_SETTLED_NS = 1_000_000_000
# Edits allowed between a misspelt word and its correction: one for short words, whose
# two-edit neighbours are other words altogether ("buoi" → "bup").
SUGGEST_SHORT_WORD = 4
# Fields whose words make a query word "known" (not corrected, not spelt fuzzily).
KNOWN_FIELDS = ("name", "product", "place", "extra", "body")
# Fields searched for words spelt nearly like an unknown one, and how many such words count.
FUZZY_FIELDS = ("name", "product", "place", "extra")
FUZZY_TERMS = 8
PREFIX_TERMS = 12  # words a last, unfinished word may be the beginning of
# Document ids of posting lists kept across searches (segments.PostingsCache), 4 bytes each:
# 16 MB when full; the words shoppers type most stay in memory.
POSTINGS_CACHE_IDS = 4_000_000

Loader = Callable[[set[int]], dict[int, ListingDocument]]


@dataclass
class _Trace:
    """What the last run of a search explained (WhooshSearchIndex.explain) did: its stage,
    plan, and per segment the notes of its score contributions and its top sort keys."""

    stage: str = ""
    plan: list[PlanClause] = field(default_factory=list)
    notes: list[list[Note]] = field(default_factory=list)
    tops: list[list[tuple]] = field(default_factory=list)
    corrected: str | None = None


class WhooshSearchIndex:
    """A Whoosh index of public listings in one directory, safe for several processes.

    Writes take Whoosh's file lock with a timeout and, failing that, go to the pending queue.
    Reads reuse one searcher per process until the index changes.
    """

    def __init__(
        self,
        directory: str | os.PathLike,
        *,
        write_timeout: float = 2.0,
        cache_size: int = 256,
        postings_cache: int = POSTINGS_CACHE_IDS,
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
        self._known_generation: tuple[int, int] | None = None  # (directory time, generation)
        self._leaves: list[LeafData] = []
        self._columns: dict[str, SegmentColumns] = {}  # by segment id
        self._cache_size = cache_size
        self._cache: OrderedDict[tuple, SearchResult] = OrderedDict()
        self._next_drain_check = 0.0
        self._postings: list[dict] = []  # postings read by the current search, per segment
        self._trace: _Trace | None = None  # set while a search is being explained
        # Facets still to count, per result of the current search's stages (see _run).
        self._facet_work: dict[int, tuple[SearchResult, list[Callable[[], dict]]]] = {}
        self.postings_cache = PostingsCache(postings_cache)  # across searches, all segments

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
        """The latest committed generation of the index (a directory listing, no file reads).

        Read at every request as part of the catalog version, so the listing is skipped while
        the directory's modification time stands: a commit (this process's or another's)
        writes a new table of contents there, which moves it on. Only a listing made a while
        after that time is remembered: file times come from a coarse clock, and a commit in
        the same tick as the last one could leave the time as it was.
        """
        try:
            stamp = os.stat(self.directory).st_mtime_ns
        except OSError:
            return self._ix.latest_generation()
        known = self._known_generation
        if known is not None and known[0] == stamp:
            return known[1]
        generation = self._ix.latest_generation()
        if time.time_ns() - stamp > _SETTLED_NS:
            self._known_generation = (stamp, generation)
        return generation

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
            leaves.append(LeafData(reader, columns, self.postings_cache))
        self._leaves, self._columns = leaves, kept
        self.postings_cache.retain(kept.keys())
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
            self._facet_work = {}
            try:
                result = self._search(query, today)
                # Facets are counted once, for the stage whose hits are the result.
                work = self._facet_work.get(id(result))
                if work is not None:
                    result.facets = _merge_facets(count() for count in work[1])
                    result.facets["cooperative"] = cut_cooperative_facet(
                        result.facets["cooperative"],
                        query.top_cooperatives,
                        query.cooperative_ids,
                    )
            finally:
                self._facet_work = {}
            if self._cache_size:
                self._cache[key] = result
                if len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
            return _copy(result)

    def _search(self, query: SearchQuery, today: date) -> SearchResult:
        """Every clause first; with too few hits, most clauses; then unknown words spelt
        like indexed ones; and when still nothing matched, the did-you-mean text itself.

        Words no listing holds and no correction fixes are dropped from the required ones
        before most-clauses and fuzzy matching (shopping filler never was required)."""
        plan = plan_query(query.text, self._is_known, self._is_place, self._prefixed)
        known = [False] * len(plan)
        self._postings = [{} for _ in self._leaves]  # this search's postings, per segment
        result = self._run(plan, query, today, known, stage="all words")
        unfiltered = result.unfiltered
        if plan and result.total < FEW_RESULTS:
            # Description words and unfinished last words too.
            result = self._run(plan, query, today, known, relaxed=True, stage="all words, relaxed")
        if plan and only_filtered_out(result, unfiltered):
            return result
        if plan and result.total == 0 and self._drop_unknown(plan, known):
            stage = "all words but those no listing holds"
            result = self._run(plan, query, today, known, relaxed=True, stage=stage)
        minimum = minimum_clauses(required_count(plan))
        anchor = anchor_clause(plan, known, self._in_names)
        if plan and result.total == 0 and minimum < required_count(plan):
            result = self._run(plan, query, today, known, minimum, True, stage="most words")
        unfixed: list[bool] | None = None  # clauses held through near spellings, if tried
        if plan and result.total == 0:
            fuzzy = self._fuzzy(plan, query.text)
            if fuzzy:
                spelt = [False] * len(plan)
                result = self._run(plan, query, today, spelt, relaxed=True, stage="fuzzy")
                if result.total == 0 and minimum < required_count(plan):
                    result = self._run(
                        plan, query, today, known, minimum, True, stage="fuzzy, most words"
                    )
                if result.total == 0:
                    unfixed = spelt
        # Still nothing: a product word and places no listing comes from ("chè thái
        # nguyên", "tỏi lý sơn", "sâm ngọc linh"): that product from elsewhere, said as a
        # correction ("Showing results for chè").
        if plan and result.total == 0 and anchor is not None and not query.exact:
            alone = product_alone(plan, anchor, self._is_known)
            if alone is not None:
                stage = "the product word alone"
                result = self._run(alone, query, today, [False] * len(alone), None, True, stage)
                if result.total:
                    result.corrected = " ".join(w.term.surface for w in anchor.words)
                    if self._trace is not None:
                        self._trace.corrected = result.corrected
                    result.suggestion = result.corrected
                    return result
        suggestion = self._suggest(plan) if plan else None
        if result.total == 0 and plan and not query.exact:
            # The best suggestion: the unknown words corrected, or else known words that
            # are one letter away from a word of listing names ("vai tieu" → "vai thieu").
            for text in dict.fromkeys((suggestion, self._suggest(plan, known_too=True))):
                if not text:
                    continue
                saved = replace(self._trace) if self._trace is not None else None
                retry = self._search(replace(query, text=text, exact=True), today)
                if retry.total:
                    retry.corrected = retry.suggestion = text
                    if self._trace is not None:
                        self._trace.corrected = text
                    return retry
                if saved is not None:
                    self._trace = saved
        # Words whose near spellings (and the corrected text) found nothing with the rest
        # are not fixed by them either: the rest is searched without them.
        if result.total == 0 and unfixed and self._drop_unknown(plan, unfixed, corrections=False):
            stage = "fuzzy, but words no spelling found dropped"
            result = self._run(plan, query, today, unfixed, relaxed=True, stage=stage)
        # Filler, generic and dropped words need no listing of their own for the results to
        # stand: only a required word no listing holds calls for the did-you-mean.
        answered = [k or optional_clause(c) for k, c in zip(known, plan, strict=True)]
        result.suggestion = suggestion if result.total == 0 or not all(answered) else None
        return result

    def explain(self, query: SearchQuery, today: date) -> Explanation:
        """The search of `query` run again with its score contributions noted (never from
        or into the cache), and each result's score taken apart."""
        query = query.normalized()
        with self._read_lock:
            self._refresh()
            self._trace = _Trace()
            try:
                result = self._search(query, today)
                trace = self._trace
            finally:
                self._trace = None
            order = SORT_ORDERS[
                "newest" if query.sort == "relevance" and not trace.plan else query.sort
            ]
            hits = []
            for listing_id in result.ids:
                hits.append(self._explain_hit(listing_id, trace, order))
        return Explanation(
            text=query.text,
            stage=trace.stage if trace.plan else "",
            corrected=trace.corrected,
            understood=[describe_clause(clause) for clause in trace.plan],
            total=result.total,
            hits=hits,
        )

    def _explain_hit(self, listing_id: int, trace: _Trace, order) -> ExplainedHit:
        for position, (leaf, top) in enumerate(zip(self._leaves, trace.tops, strict=False)):
            key = next((k for k in top if -k[-1] == listing_id), None)
            if key is None:
                continue
            docnum = next(d for d in leaf.live if leaf.columns.listing_id[d] == listing_id)
            scored = order.scored and bool(trace.plan)
            notes = trace.notes[position] if position < len(trace.notes) else []
            parts = [
                (describe_note(note, trace.plan), note.weight)
                for note in notes
                if docnum in note.docs
            ]
            parts.sort(key=lambda part: -part[1])
            ties = [(name, getattr(leaf.columns, name)[docnum]) for name, _ in order.rest]
            return ExplainedHit(listing_id, -key[len(order.lead)] if scored else None, parts, ties)
        return ExplainedHit(listing_id, None)

    def _drop_unknown(
        self, plan: list[PlanClause], known: list[bool], corrections: bool = True
    ) -> bool:
        return drop_unknown(plan, known, self._is_known, self._fixable, corrections)

    def _fixable(self, folded: str) -> bool:
        """True when an unknown word has indexed words spelt nearly like it (see _fuzzy)."""
        if self._is_known(folded) or not folded.isalpha():
            return False
        return bool(self._neighbours(folded, fuzzy_distance(folded), False))

    def _run(
        self,
        plan: list[PlanClause],
        query: SearchQuery,
        today: date,
        known: list[bool],
        minimum: int | None = None,
        relaxed: bool = False,
        stage: str = "",
    ) -> SearchResult:
        limit = query.page * query.per_page
        total, unfiltered, tops, work = 0, 0, [], []
        trace = self._trace
        if trace is not None:
            trace.stage, trace.plan, trace.notes = stage, plan, []
        for leaf, postings in zip(self._leaves, self._postings, strict=True):
            notes: list[Note] | None = None if trace is None else []
            hits = search_segment(
                leaf, plan, query, today, limit, known, minimum, relaxed, postings, True, notes
            )
            if trace is not None and notes is not None:
                trace.notes.append(notes)
            total += hits.total
            unfiltered += hits.unfiltered
            tops.append(hits.top)
            if hits.count_facets is not None:
                work.append(hits.count_facets)
        if trace is not None:
            trace.tops = tops
        # Every key ends with the negated listing id, unique across segments.
        top = heapq.nsmallest(limit, chain.from_iterable(tops))
        start = (query.page - 1) * query.per_page
        result = SearchResult(
            ids=[-key[-1] for key in top[start:]],
            total=total,
            facets=_merge_facets(()),
            page=query.page,
            per_page=query.per_page,
            unfiltered=unfiltered if not total else 0,
        )
        if work:  # counted by search() if this result is the one returned
            self._facet_work[id(result)] = (result, work)
        return result

    # the index's own words ----------------------------------------------------------------

    def _is_known(self, folded: str) -> bool:
        """True when some listing holds this folded word in any text field."""
        return any(
            leaf.has(fieldname, folded) for leaf in self._leaves for fieldname in KNOWN_FIELDS
        )

    def _in_names(self, folded: str) -> bool:
        """True when some listing's name or product type holds this folded word."""
        return any(leaf.has(f, folded) for leaf in self._leaves for f in ("name", "product"))

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
        edit for words up to four letters, two beyond; none for one or two letters), and the
        last word of the query the words it begins. Returns True when some word gained a
        spelling.

        Closest first: words one edit away, when there are any, leave out those two away;
        then the words more listings hold. Shopping filler is never spelt fuzzily."""
        changed = False
        content = [c for c in plan if not (c.clause is not None and c.clause.filler)]
        last = content[-1].words[-1] if content else None
        for clause in content:
            for word in clause.words:
                folded = word.term.folded
                if self._is_known(folded) or known_word(folded) or not folded.isalpha():
                    continue
                maxdist = fuzzy_distance(folded)
                near = self._neighbours(folded, maxdist, word is last and len(folded) >= 2)
                for other in self._closest(folded, near, maxdist)[:FUZZY_TERMS]:
                    word.lookups += fuzzy_lookups(other)
                    changed = True
        return changed

    def _closest(self, folded: str, candidates: set[str], maxdist: int) -> list[str]:
        """Candidate spellings of a word, best first: by edit distance (only the nearest
        distance found is kept; words the query word begins count as one edit), then by how
        many listings hold them, then those sharing its first letter, then alphabetically."""
        if not candidates:
            return []
        distance = {
            w: 1 if w.startswith(folded) else edit_distance(folded, w, max(maxdist, 1))
            for w in candidates
        }
        nearest = min(distance.values())
        kept = [w for w in candidates if distance[w] == nearest]
        frequency: Counter[str] = Counter()
        for leaf in self._leaves:
            for fieldname in FUZZY_FIELDS:
                for w in kept:
                    if leaf.has(fieldname, w):
                        frequency[w] += leaf.reader.doc_frequency(fieldname, w)
        return sorted(kept, key=lambda w: (-frequency[w], w[0] != folded[0], w))

    def _suggest(self, plan: list[PlanClause], known_too: bool = False) -> str | None:
        """The did-you-mean (suggest_text): corrections come from the words of names, then
        origins, then product names, closest first and then most frequent, written without
        diacritics."""
        return suggest_text(plan, self._is_known, self._correct, known_too, self._paired)

    def _paired(self, key: str) -> bool:
        """True when some listing's name or phrase holds these two words side by side."""
        return any(leaf.reader.doc_frequency("pairs", key) for leaf in self._leaves)

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
            self.postings_cache.retain(frozenset())
            self._cache.clear()


def drop_unknown(
    plan: list[PlanClause],
    known: list[bool],
    is_known: Callable[[str], bool],
    fixable: Callable[[str], bool],
    corrections: bool = True,
) -> bool:
    """Mark dropped the required clauses no listing holds (in any field, description
    included) whose words no correction fixes (`fixable`), when some required clause is
    held. `corrections=False`: the near spellings were tried and found nothing with the rest
    (`known` from that run): every clause of unknown words goes too, held through a near
    spelling or not. Returns True when a clause was dropped. Both engines' pass."""
    dead = []
    for position, clause in enumerate(plan):
        understood = clause.clause
        if understood is None or optional_clause(clause) or is_place_clause(clause):
            continue
        if corrections:
            if known[position] or any(fixable(word.term.folded) for word in clause.words):
                continue
        elif known[position] and (
            understood.from_vocabulary
            or any(
                is_known(word.term.folded) or known_word(word.term.folded) for word in clause.words
            )
        ):
            continue
        dead.append(understood)
    held = [
        k
        for k, c in zip(known, plan, strict=True)
        if k and not optional_clause(c) and all(c.clause is not d for d in dead)
    ]
    if not dead or not held:
        return False
    for understood in dead:
        understood.dropped = True
    return True


def suggest_text(
    plan: list[PlanClause],
    is_known: Callable[[str], bool],
    correct: Callable[..., str | None],
    known_too: bool = False,
    paired: Callable[[str], bool] = lambda key: False,
) -> str | None:
    """The query with each unknown word replaced by the closest indexed word (`correct`),
    if any. Both engines' did-you-mean.

    A word is known when a listing holds it anywhere or the search vocabulary knows it
    (English names, synonyms, places): those are never "corrected". `known_too`: known
    words of four letters or more are replaced too, by a name word one edit away, when the
    new word and a neighbour are a pair some listing's name or phrase holds (`paired`, a
    pair key): "vai tieu" → "vai thieu" (Vải thiều), but "bánh đa" is not "binh đa", a
    bonsai pot's "bình" beside some "đá", since both words are right as typed."""
    typed = [w.term for clause in plan for w in clause.words]
    words = [(t.surface, t.folded) for t in typed]  # as suggested: (text, folded)
    changed: list[int] = []
    fixed: list[int] = []  # the known words replaced
    i = 0
    for clause in plan:
        understood = clause.clause
        kept = understood is not None and (
            understood.place
            or understood.filler
            or understood.english
            or (understood.from_vocabulary and not known_too)
        )
        for word in clause.words:
            folded = word.term.folded
            replacement = None
            if not kept and not (is_known(folded) or known_word(folded)):
                replacement = correct(folded)
            elif not kept and known_too and len(folded) >= 4 and folded.isalpha():
                replacement = correct(folded, ("name",), maxdist=1)
                if replacement is not None:
                    fixed.append(i)
            if replacement is not None:
                words[i] = (replacement, replacement)
                changed.append(i)
            i += 1
    for i in fixed:
        here = words[i][1]
        pairs = [f"{words[i - 1][1]}_{here}"] if i else []
        pairs += [f"{here}_{words[i + 1][1]}"] if i + 1 < len(words) else []
        if not any(map(paired, pairs)):
            words[i] = (typed[i].surface, typed[i].folded)
            changed.remove(i)
    return " ".join(text for text, _folded in words) if changed else None


def fuzzy_distance(folded: str) -> int:
    """Edits allowed between an unknown word and the indexed words it may stand for: none
    for one or two letters, one up to four, two beyond ("banh da" never reaches "sanh")."""
    return 0 if len(folded) < 3 else 1 if len(folded) <= 4 else 2


def anchor_clause(
    plan: list[PlanClause], known: list[bool], in_names: Callable[[str], bool]
) -> PlanClause | None:
    """The query's product word: the required clause that names a product type of the
    vocabulary (the longest such, then the first) and that some listing's name or product
    holds (`in_names`, a folded word: "tỏi" in "tỏi lý sơn", "mật ong" in "hà giang mật
    ong"; a word only some description holds makes no product of that kind). None for a
    query of one required clause, or when no clause names a product type (a misspelt word
    is never the anchor)."""
    required = [(c, k) for c, k in zip(plan, known, strict=True) if not optional_clause(c)]
    if len(required) < 2:
        return None
    named = [
        clause
        for clause, held in required
        if held
        and clause.clause is not None
        and clause.clause.place is None
        and names_product(clause.clause)
        and any(all(in_names(w.term.folded) for w in alt) for alt in clause.alternatives)
    ]
    if not named:
        return None
    # The longest name is the most telling ("thịt trâu gác bếp" over "bản"); then the first.
    anchor = max(named, key=lambda clause: len(clause.words))
    anchor.anchor = True
    return anchor


def product_alone(
    plan: list[PlanClause], anchor: PlanClause, is_known: Callable[[str], bool]
) -> list[PlanClause] | None:
    """The clauses to search when the whole query found nothing: its product word (and the
    optional words), when every other word is a place, or a word some listing holds that
    names no product type ("chè thái nguyên", "tỏi lý sơn": the product from elsewhere;
    "gạo ngon", "gạo sạch": that product, said as a correction). None when another word
    names a product type too ("vải gốm": which would it be?), or is unknown (dropped, or
    corrected, by the steps after)."""
    rest = [c for c in plan if c is not anchor and not optional_clause(c)]
    if not rest:
        return None
    for clause in rest:
        if is_place_clause(clause):
            continue
        if clause.clause is None or names_product_type(clause.clause):
            return None
        if not all(is_known(w.term.folded) or known_word(w.term.folded) for w in clause.words):
            return None
    return [c for c in plan if c is anchor or optional_clause(c)]


def is_place_clause(clause: PlanClause) -> bool:
    """A place name: one listings come from, or one of the administrative units none does."""
    understood = clause.clause
    return understood is not None and (understood.place is not None or understood.elsewhere)


def only_filtered_out(result: SearchResult, first_unfiltered: int) -> bool:
    """The text matched listings, and the filters left none of them: the result says so
    (the facets of the filters count them) instead of matching fewer words, spellings near
    them or a correction within the filters ("homestay" among foods: tourism's homestays,
    not the foods whose description says "sinh thái"). Its `unfiltered` becomes what the
    search without filters finds: the first pass's when that is not too few to relax
    (`first_unfiltered`)."""
    if result.total or not result.unfiltered:
        return False
    if first_unfiltered >= FEW_RESULTS:
        result.unfiltered = first_unfiltered
    return True


def optional_clause(clause: PlanClause) -> bool:
    understood = clause.clause
    return understood is not None and (understood.optional or understood.dropped)


def _cancel(writer) -> None:
    """Release the lock of a failed writer; a second failure must not hide the first."""
    try:
        writer.cancel()
    except Exception:
        logger.exception("search: could not cancel the index writer")


def _merge_facets(per_segment: Iterable[dict[str, Counter]]) -> dict[str, dict[int, int]]:
    """The facet counts of every segment, added up (each facet present, maybe empty)."""
    facets: dict[str, Counter] = {facet: Counter() for facet in FACET_COLUMNS}
    for counted in per_segment:
        for facet, counts in counted.items():
            facets.setdefault(facet, Counter()).update(counts)
    return {name: dict(counts) for name, counts in facets.items()}


def _copy(result: SearchResult) -> SearchResult:
    """A copy the caller may change without touching the cached one."""
    return replace(
        result, ids=list(result.ids), facets={k: dict(v) for k, v in result.facets.items()}
    )
