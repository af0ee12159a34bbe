"""One index segment as searches use it: its record column as tuples, its postings as sets."""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from collections import Counter, OrderedDict
from collections.abc import Collection, Iterable, Iterator
from collections.abc import Set as AbstractSet
from datetime import date
from functools import cached_property
from itertools import accumulate
from operator import neg

from whoosh.matching.wrappers import FilterMatcher

from storefront.search.query import price_bucket
from storefront.search.whoosh_engine.schema import RECORD, RECORD_FIELDS

Column = tuple[str, bool]  # (record field, negated): sort keys compare smallest first
TIEBREAK: Column = ("listing_id", True)  # ends every sort: unique across segments

_EMPTY: frozenset[int] = frozenset()
NEAR_CACHE = 4096  # words whose near spellings a segment keeps (LeafData.near)
PRICE_RANGES = 16  # price ranges whose documents a segment keeps (SegmentColumns.priced)
SMALL_VALUES = 64  # distinct values of a column counted over bytes (SegmentColumns.small)
# Fields whose words are kept in memory per segment (LeafData.lexicon): the ones the query
# understanding asks about word by word. Pairs and exact forms, many more, are asked of
# Whoosh's term index instead.
LEXICON_FIELDS = frozenset(("name", "product", "place", "extra", "body", "head", "place_phrase"))


class SegmentColumns:
    """The record column of one index segment as tuples indexed by document number.

    Segments never change once written (deletions are kept beside them), so this is read
    once per segment and process, and kept until a merge replaces the segment.
    """

    # One value per document number, in RECORD order.
    listing_id: tuple[int, ...]
    province: tuple[int, ...]
    commune: tuple[int, ...]
    cooperative: tuple[int, ...]
    price: tuple[int, ...]  # đồng
    created: tuple[int, ...]  # epoch seconds
    expires: tuple[int, ...]  # date ordinal
    group: tuple[int, ...]
    stars: tuple[int, ...]
    name_words: tuple[int, ...]
    in_stock: tuple[int, ...]
    rating: tuple[int, ...]  # buyers' average as shown, in tenths (0: none)
    ratings: tuple[int, ...]  # how many ratings
    sold: tuple[int, ...]  # the sold count as shown

    def __init__(self, reader) -> None:
        self.size = reader.doc_count_all()
        raw = b"".join(reader.column_reader("record", translate=False))
        values = list(zip(*RECORD.iter_unpack(raw), strict=True)) or [()] * len(RECORD_FIELDS)
        for name, column in zip(RECORD_FIELDS, values, strict=True):
            setattr(self, name, column)
        self.price_bucket = tuple(map(price_bucket, self.price))
        self.rating_band = tuple(tenths // 10 for tenths in self.rating)
        self.all_docs = frozenset(range(self.size))
        self._expired: tuple[date, frozenset[int]] | None = None
        self._by_value: dict[str, dict[int, frozenset[int]]] = {}
        self._by_price: tuple[list[int], list[int]] | None = None
        self._priced: dict[tuple[int | None, int | None], frozenset[int]] = {}
        self._presorted: dict[tuple, tuple[array, array]] = {}
        self._counts: dict[str, Counter] = {}
        self._small: dict[str, bytes | None] = {}
        self.lexicons: dict[str, tuple[frozenset[str], list[str]]] = {}  # see LeafData.lexicon
        self.near: dict[tuple[str, str, int], tuple[str, ...]] = {}  # see LeafData.near

    def counts(self, column: str) -> Counter:
        """How many documents of the segment (deleted ones too) hold each value of `column`;
        counted on first use. Callers copy it before changing it."""
        found = self._counts.get(column)
        if found is None:
            found = self._counts[column] = Counter(getattr(self, column))
        return found

    def small(self, column: str) -> bytes | None:
        """The column as bytes, one per document, when it takes a few values that each fit
        in a byte (group, stars, price bucket, province), else None. Counting a facet over
        bytes is C code per value (bytes.count) instead of a dictionary update per document."""
        if column not in self._small:
            counts = self.counts(column)
            fits = len(counts) <= SMALL_VALUES and all(0 <= v < 256 for v in counts)
            self._small[column] = bytes(getattr(self, column)) if fits else None
        return self._small[column]

    def presorted(self, columns: tuple[Column, ...]) -> tuple[array, array]:
        """Every document in the order of `columns` then the listing id, and each one's rank.

        Sorted once per segment and order, on first use; kept as arrays (4 bytes a
        document instead of 36 in a list of ints: a worker holds several orders)."""
        found = self._presorted.get(columns)
        if found is None:
            docs = range(self.size)
            keyed = list(
                zip(*(column_values(self, c, docs) for c in (*columns, TIEBREAK)), strict=True)
            )
            order = array("i", sorted(docs, key=keyed.__getitem__))
            rank = array("i", bytes(4 * self.size))
            for position, docnum in enumerate(order):
                rank[docnum] = position
            found = self._presorted[columns] = (order, rank)
        return found

    def expired(self, today: date) -> frozenset[int]:
        """Documents whose certificate expired before `today` (usually none)."""
        if self._expired is None or self._expired[0] != today:
            day = today.toordinal()
            self._expired = (today, frozenset(d for d, e in enumerate(self.expires) if e < day))
        return self._expired[1]

    def with_values(self, column: str, values: Iterable[int]) -> AbstractSet[int]:
        """Documents whose `column` is one of `values` (shared: never change it)."""
        by_value = self._by_value.get(column)
        if by_value is None:
            groups: dict[int, list[int]] = {}
            for docnum, value in enumerate(getattr(self, column)):
                groups.setdefault(value, []).append(docnum)
            by_value = {value: frozenset(docs) for value, docs in groups.items()}
            self._by_value[column] = by_value
        found = [by_value.get(v, _EMPTY) for v in values]
        return found[0] if len(found) == 1 else frozenset().union(*found)

    def priced(self, low: int | None, high: int | None) -> AbstractSet[int]:
        """Documents with low <= price <= high (shared: never change it). The last few
        ranges asked for are kept: shoppers pick the price facet's few buckets."""
        found = self._priced.get((low, high))
        if found is not None:
            return found
        if self._by_price is None:
            order = sorted(range(self.size), key=self.price.__getitem__)
            self._by_price = (order, [self.price[d] for d in order])
        order, prices = self._by_price
        start = 0 if low is None else bisect_left(prices, low)
        stop = len(prices) if high is None else bisect_right(prices, high)
        if len(self._priced) >= PRICE_RANGES:
            self._priced.clear()
        found = self._priced[(low, high)] = frozenset(order[start:stop])
        return found


class PostingsCache:
    """Posting lists read from segments, kept across searches as compact arrays (4 bytes a
    document id) up to `capacity` ids in all, least recently used first out (0: none kept).

    A segment never changes once written, so its postings stay true while it exists; the
    index drops the entries of segments a merge replaced (`retain`). Most searches ask for
    the same few hundred words (product kinds, places, common attributes): reading them from
    Whoosh's files (term lookup, unpickling and decompressing each block) was a third of a
    search, making a set of an array is a fraction of that.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.size = 0  # document ids held
        self.reads = 0  # posting lists read from the index files (misses)
        self._entries: OrderedDict[tuple[str, str, str], array] = OrderedDict()

    def get(self, key: tuple[str, str, str]) -> array | None:
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
        return found

    def put(self, key: tuple[str, str, str], docs: AbstractSet[int]) -> None:
        self.reads += 1
        if _weight(docs) > self.capacity // 4:  # one huge list would push out all the others
            return
        self._entries[key] = array("i", docs)
        self.size += _weight(docs)
        while self.size > self.capacity:
            _, dropped = self._entries.popitem(last=False)
            self.size -= _weight(dropped)

    def retain(self, segment_ids: AbstractSet[str]) -> None:
        """Forget the postings of every segment not in `segment_ids`."""
        for key in [k for k in self._entries if k[0] not in segment_ids]:
            self.size -= _weight(self._entries.pop(key))

    def __len__(self) -> int:
        return len(self._entries)


def _weight(docs: Collection[int]) -> int:
    """What an entry counts for in PostingsCache.capacity: its ids, at least one (the key)."""
    return max(1, len(docs))


class LeafData:
    """One segment as the current searcher sees it: reader, columns and deleted documents."""

    def __init__(self, reader, columns: SegmentColumns, cache: PostingsCache | None = None) -> None:
        self.reader = reader
        self.columns = columns
        self.deleted = reader.deleted_docs_set if reader.has_deletions() else _EMPTY
        self.cache = cache
        self.segment_id = reader.segment().segment_id() if cache is not None else ""

    def lexicon(self, fieldname: str) -> tuple[frozenset[str], list[str]]:
        """The words of a field in this segment, as a set and sorted (read once per segment:
        the query understanding asks for many words a query, most of them absent)."""
        found = self.columns.lexicons.get(fieldname)
        if found is None:
            words = [w.decode("utf-8") for w in self.reader.lexicon(fieldname)]
            found = self.columns.lexicons[fieldname] = (frozenset(words), sorted(words))
        return found

    def has(self, fieldname: str, text: str) -> bool:
        return text in self.lexicon(fieldname)[0]

    def starting_with(self, fieldname: str, prefix: str, limit: int) -> list[str]:
        """Up to `limit` words of the field beginning with `prefix`, in order."""
        words = self.lexicon(fieldname)[1]
        start = bisect_left(words, prefix)
        return [w for w in words[start : start + limit] if w.startswith(prefix)]

    def near(self, fieldname: str, word: str, maxdist: int) -> tuple[str, ...]:
        """Words of the field within `maxdist` edits of `word` (adjacent letters swapped
        count as one edit), sharing its first letter. Kept per segment (SegmentColumns.near):
        a misspelt word is looked up by the fuzzy stage and the suggestion, search after
        search, and each lookup runs an edit distance against every word of that letter."""
        key = (fieldname, word, maxdist)
        found = self.columns.near.get(key)
        if found is None:
            words = self.lexicon(fieldname)[1]
            start = bisect_left(words, word[0])
            stop = bisect_left(words, chr(ord(word[0]) + 1))
            size = len(word)
            found = tuple(
                w
                for w in words[start:stop]
                if abs(len(w) - size) <= maxdist and edit_distance(word, w, maxdist) <= maxdist
            )
            if len(self.columns.near) >= NEAR_CACHE:
                self.columns.near.clear()
            self.columns.near[key] = found
        return found

    @cached_property
    def live(self) -> frozenset[int]:
        """Every document not deleted (needed by searches without text only)."""
        return self.columns.all_docs - self.deleted if self.deleted else self.columns.all_docs

    def postings(self, fieldname: str, text: str) -> AbstractSet[int]:
        """Documents (deleted ones included) holding `text` in `fieldname`."""
        if fieldname in LEXICON_FIELDS:
            if not self.has(fieldname, text):
                return _EMPTY
        if self.cache is None:
            return self._read(fieldname, text)
        key = (self.segment_id, fieldname, text)
        kept = self.cache.get(key)
        if kept is not None:
            return set(kept) if kept else _EMPTY
        found = self._read(fieldname, text)
        self.cache.put(key, found)
        return found

    def _read(self, fieldname: str, text: str) -> AbstractSet[int]:
        if fieldname not in LEXICON_FIELDS and (fieldname, text) not in self.reader:
            return _EMPTY
        matcher = self.reader.postings(fieldname, text)
        if isinstance(matcher, FilterMatcher):  # deletions: subtracted by the caller, from a set
            matcher = matcher.child
        return all_ids(matcher)


def edit_distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein distance (optimal string alignment) of two short words; any
    value above `limit` is returned as limit + 1."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cost = ca != cb
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                value = min(value, previous2[j - 2] + 1)
            current[j] = value
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return min(previous[-1], limit + 1)


def all_ids(matcher) -> set[int]:
    """Every document id of a fresh leaf matcher.

    Whoosh's generic all_ids() makes three method calls per posting. This reads the standard
    codec's blocks whole (a block holds the gaps between ids, hence the accumulate), about
    twice as fast on long posting lists; any other matcher falls back to the public method.
    """
    try:
        ids: set[int] = set()
        while not matcher._atend:
            if matcher._data is None:
                matcher._read_data()
            block_ids = matcher._data[0]
            ids.update(block_ids if matcher._byteids else accumulate(block_ids))
            if matcher._lastblock:
                break
            matcher._goto(matcher._nextoffset)
        return ids
    except AttributeError:
        return set(matcher.all_ids())


def column_values(columns: SegmentColumns, column: Column, docs: Iterable[int]) -> Iterator[int]:
    """The key values of `column` for `docs`, negated when the column sorts descending."""
    values = map(getattr(columns, column[0]).__getitem__, docs)
    return map(neg, values) if column[1] else values
