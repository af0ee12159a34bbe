"""A query against one segment: match the words, filter, count facets, rank the hits."""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Collection, Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import date
from itertools import compress, islice, pairwise
from operator import neg

from storefront.search.analysis import Term, pair_key, query_terms
from storefront.search.query import SearchQuery
from storefront.search.whoosh_engine.segments import (
    TIEBREAK,
    Column,
    LeafData,
    SegmentColumns,
    column_values,
)

# How much a query word adds to a listing's score for each field it matches in.
FOLDED_WEIGHTS = {"name": 10, "product": 6, "place": 4, "extra": 3}
# The description matches a lone word, but several words only as adjacent pairs: its
# syllables are too common to match scattered ("mi chu" is not "mĩ thuật ... chu đáo").
BODY_WEIGHT = 1
# Two adjacent query words adjacent in one name or phrase outweigh the words found apart,
# whatever fields those are: "bac giang" ranks the products of Bắc Giang above "Mật ong bạc
# hà" (name and product) from Hà Giang (place).
PAIR_WEIGHT = 20
# An exact-diacritics match in the name outweighs all a folded-only word can add elsewhere
# (6+4+3+1, and 20 for each of the two pairs it may be in): "bưởi" ranks "Bưởi Diễn" above
# "Buổi trải nghiệm".
EXACT_WEIGHTS = {"name_exact": 60, "other_exact": 3}

# Filter name → (SearchQuery attribute, record column).
FILTER_COLUMNS = {
    "group": ("groups", "group"),
    "stars": ("stars", "stars"),
    "province": ("province_codes", "province"),
    "commune": ("commune_codes", "commune"),
    "cooperative": ("cooperative_ids", "cooperative"),
}
# Facet name → record column counted. A facet is counted without the filter of the same
# name (disjunctive faceting).
FACET_COLUMNS = {
    "group": "group",
    "stars": "stars",
    "province": "province",
    "cooperative": "cooperative",
    "price": "price_bucket",
}
# Communes are only counted once the visitor narrowed to a place: thousands of values
# nobody reads otherwise.
PLACE_FACET = ("commune", "commune")


@dataclass(frozen=True)
class Lookup:
    """One (field, term) a query word is looked up in."""

    fieldname: str
    text: str
    weight: int
    matches: bool  # True: a hit here satisfies the word; False: it only adds to the score


@dataclass
class Word:
    term: Term
    lookups: list[Lookup] = field(default_factory=list)


def plan_query(text: str) -> list[Word]:
    """For each query word, the lookups that match or score it."""
    plan = []
    for term in query_terms(text):
        lookups = [Lookup(f, term.folded, w, True) for f, w in FOLDED_WEIGHTS.items()]
        if term.has_marks:
            lookups += [Lookup(f, term.exact, w, False) for f, w in EXACT_WEIGHTS.items()]
        plan.append(Word(term, lookups))
    if len(plan) == 1:
        plan[0].lookups.append(Lookup("body", plan[0].term.folded, BODY_WEIGHT, True))
    for left, right in pairwise(plan):
        pair = pair_key(left.term, right.term)
        # A pair in the description satisfies both its words; in a name it only scores.
        left.lookups.append(Lookup("body_pairs", pair, BODY_WEIGHT, True))
        right.lookups.append(Lookup("body_pairs", pair, 0, True))
        left.lookups.append(Lookup("pairs", pair, PAIR_WEIGHT, False))
    return plan


@dataclass(frozen=True)
class SortOrder:
    """A sort as the columns compared before the relevance score and after it.

    Without a score (no text, or a sort that ignores it) the order is `lead + rest`. Every
    order ends with the negated listing id, unique, so hits of different segments merge.
    """

    lead: tuple[Column, ...]
    rest: tuple[Column, ...]
    scored: bool


_NEWEST: tuple[Column, ...] = (("created", True),)
SORT_ORDERS = {
    # Best match; then shorter names, more stars, newer.
    "relevance": SortOrder((), (("name_words", False), ("stars", True), *_NEWEST), True),
    "stars": SortOrder((("stars", True),), _NEWEST, True),
    "newest": SortOrder(_NEWEST, (), False),
    "price_asc": SortOrder((("price", False),), _NEWEST, False),
    "price_desc": SortOrder((("price", True),), _NEWEST, False),
}


@dataclass
class SegmentHits:
    """What one segment contributes to a result."""

    total: int = 0
    top: list[tuple] = field(default_factory=list)  # full sort keys, best first
    facets: dict[str, Counter] = field(default_factory=dict)


def search_segment(
    leaf: LeafData,
    plan: list[Word],
    query: SearchQuery,
    today: date,
    limit: int,
    known: list[bool],
) -> SegmentHits:
    """Count, facet and rank the hits of one segment; sets `known[i]` when word i occurs."""
    matched: AbstractSet[int]
    if plan:
        matched, contributions = _match_words(leaf, plan, known)
    else:
        matched, contributions = leaf.live, []
    expired = leaf.columns.expired(today)
    if expired:
        matched = matched - expired
    passes = _filters(leaf.columns, query)
    final = _intersect(matched, passes.values())

    hits = SegmentHits(total=len(final))
    if query.facets:
        hits.facets = _count_facets(leaf.columns, query, matched, passes, final)
    if final and limit > 0:
        order = SORT_ORDERS["newest" if query.sort == "relevance" and not plan else query.sort]
        score = _score(final, contributions) if plan and order.scored else None
        hits.top = _top(leaf.columns, final, order, score, limit)
    return hits


def _match_words(
    leaf: LeafData, plan: list[Word], known: list[bool]
) -> tuple[set[int], list[tuple[Collection[int], int]]]:
    """Documents holding every word (in any of its fields), and each lookup's postings with
    its weight, for scoring."""
    contributions: list[tuple[Collection[int], int]] = []
    per_word = []
    postings: dict[tuple[str, str], AbstractSet[int]] = {}  # a pair serves two words
    for position, word in enumerate(plan):
        union: set[int] = set()
        for lookup in word.lookups:
            key = (lookup.fieldname, lookup.text)
            docs = postings.get(key)
            if docs is None:
                docs = postings[key] = leaf.postings(*key)
            if docs:
                if lookup.weight:
                    contributions.append((docs, lookup.weight))
                if lookup.matches:
                    union |= docs
        known[position] = known[position] or bool(union)
        per_word.append(union)
    if not all(per_word):
        return set(), []
    per_word.sort(key=len)
    return per_word[0].intersection(*per_word[1:]) - leaf.deleted, contributions


def _filters(columns: SegmentColumns, query: SearchQuery) -> dict[str, set[int]]:
    """For each filter of the query, the documents that pass it."""
    passes = {}
    for name, (attribute, column) in FILTER_COLUMNS.items():
        values = getattr(query, attribute)
        if values:
            passes[name] = columns.with_values(column, values)
    if query.price_min is not None or query.price_max is not None:
        passes["price"] = columns.priced(query.price_min, query.price_max)
    return passes


def _count_facets(
    columns: SegmentColumns,
    query: SearchQuery,
    matched: Collection[int],
    passes: dict[str, set[int]],
    final: set[int],
) -> dict[str, Counter]:
    """Facet counts: each over the text matches with every filter but its own applied."""
    facets = list(FACET_COLUMNS.items())
    if query.province_codes or query.commune_codes:
        facets.append(PLACE_FACET)
    counts = {}
    for facet, column in facets:
        if facet in passes:
            base = _intersect(matched, [docs for name, docs in passes.items() if name != facet])
        else:
            base = final
        counts[facet] = _count(columns, column, base)
    return counts


def _count(columns: SegmentColumns, column: str, docs: Collection[int]) -> Counter:
    """How many of `docs` hold each value of `column`. When `docs` is most of the segment
    (the whole catalog, a broad filter), the segment's own counts, made once, less those of
    the few documents left out: a catalog page costs the same at 1k and 100k listings."""
    values = getattr(columns, column)
    if 2 * len(docs) > columns.size:
        counts = columns.counts(column).copy()
        counts.subtract(map(values.__getitem__, columns.all_docs.difference(docs)))
        return +counts  # drops the values no document of `docs` holds
    return Counter(map(values.__getitem__, docs))


def _score(final: set[int], contributions: list[tuple[Collection[int], int]]) -> dict[int, int]:
    """Each hit's score: the weights of the lookups it was found by, summed."""
    score = dict.fromkeys(final, 0)
    for posting, weight in contributions:
        scored = final.intersection(posting)
        score.update(
            zip(scored, map(weight.__add__, map(score.__getitem__, scored)), strict=True)
        )
    return score


def _top(
    columns: SegmentColumns,
    final: set[int],
    order: SortOrder,
    score: dict[int, int] | None,
    limit: int,
) -> list[tuple]:
    """The `limit` first hits of one segment, as full sort keys.

    Static orders come presorted per segment: with many hits the first ones are found by
    walking that order, with few by a heap over their ranks. A scored order compares
    (lead columns, score, rank of the tie-breakers); for relevance, hits scoring below the
    limit-th best score are dropped before anything is compared.
    """
    if score is None:
        presorted, rank = columns.presorted((*order.lead, *order.rest))
        if limit * columns.size < len(final) ** 2:
            docs = list(islice(filter(final.__contains__, presorted), limit))
        else:
            docs = [presorted[r] for r in heapq.nsmallest(limit, map(rank.__getitem__, final))]
    else:
        _, rank = columns.presorted(order.rest)
        candidates = list(final)
        if not order.lead and len(candidates) > 4 * limit:
            threshold = heapq.nlargest(limit, score.values())[-1]
            above = map(threshold.__le__, map(score.__getitem__, candidates))
            candidates = list(compress(candidates, above))
        keys: list[Iterable[int]] = [
            column_values(columns, column, candidates) for column in order.lead
        ]
        keys += [
            map(neg, map(score.__getitem__, candidates)),
            map(rank.__getitem__, candidates),
            candidates,
        ]
        docs = [key[-1] for key in heapq.nsmallest(limit, zip(*keys, strict=True))]
    return [_full_key(columns, d, order, score) for d in docs]


def _full_key(
    columns: SegmentColumns, docnum: int, order: SortOrder, score: dict[int, int] | None
) -> tuple:
    """The sort key of one hit, comparable with the keys of hits in other segments."""
    lead = (next(column_values(columns, c, (docnum,))) for c in order.lead)
    rest = (next(column_values(columns, c, (docnum,))) for c in (*order.rest, TIEBREAK))
    middle = (-score[docnum],) if score is not None else ()
    return (*lead, *middle, *rest)


def _intersect(base: Collection[int], others: Iterable[Collection[int]]) -> set[int]:
    """base ∩ others, as a new set; starting from the smallest keeps every step cheap."""
    ordered = sorted(others, key=len)
    if not ordered:
        return set(base)
    return set(ordered[0]).intersection(base, *ordered[1:])
