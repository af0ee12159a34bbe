"""A query against one segment: match the words, filter, count facets, rank the hits."""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Callable, Collection, Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, replace
from datetime import date
from functools import partial
from itertools import chain, compress, islice, pairwise
from operator import neg
from typing import Any

from storefront.search.analysis import Term, pair_key, query_terms
from storefront.search.query import SearchQuery
from storefront.search.understanding import Clause, understand
from storefront.search.whoosh_engine.segments import (
    TIEBREAK,
    Column,
    LeafData,
    SegmentColumns,
    column_values,
)

# How much a query word adds to a listing's score for each field it matches in.
FOLDED_WEIGHTS = {"name": 10, "product": 6, "place": 4, "extra": 3}
# The fields where a listing says what it is (word_lookups: a translated product type).
TYPE_WEIGHTS = {f: FOLDED_WEIGHTS[f] for f in ("name", "product")}
# The description matches a lone word, but only as an attribute: a listing must match some
# word of a several-word query outside its description ("bưởi ngọt": bưởi in the name, ngọt
# in the description), or two query words side by side in it. Its syllables are too common
# to match scattered ("mi chu" is not "mĩ thuật ... chu đáo").
BODY_WEIGHT = 1
# Two adjacent query words adjacent in one name or phrase outweigh the words found apart,
# whatever fields those are: "bac giang" ranks the products of Bắc Giang above "Mật ong bạc
# hà" (name and product) from Hà Giang (place).
PAIR_WEIGHT = 20
# An exact-diacritics match in the name outweighs all a folded-only word can add elsewhere
# (6+4+3+1, and 20 for each of the two pairs it may be in): "bưởi" ranks "Bưởi Diễn" above
# "Buổi trải nghiệm".
EXACT_WEIGHTS = {"name_exact": 60, "other_exact": 3}
# A query word that is the name's first word (the product type's head noun: "Gạo ST25",
# not "Bún gạo") or the pair that opens it.
HEAD_WEIGHT = 15
# A place name recognised whole ("hà giang") in a listing's origin: more than any text
# match adds, so it works like a filter while the words still match elsewhere too.
PLACE_WEIGHT = 1_000
# With too few listings holding every clause, listings holding most of them follow, ranked
# first by how many they hold.
COVER_WEIGHT = 10_000
# Words matched only through a spelling correction count for less than typed ones.
FUZZY_SCALE = 2  # divides the weights
# A last word this long may be unfinished ("thanh lon"): it also matches the words it begins.
PREFIX_MIN, PREFIX_MAX = 2, 4
PREFIX_FIELDS = ("name", "product")

# Filter name → (SearchQuery attribute, record column).
FILTER_COLUMNS = {
    "group": ("groups", "group"),
    "stars": ("stars", "stars"),
    "province": ("province_codes", "province"),
    "commune": ("commune_codes", "commune"),
    "cooperative": ("cooperative_ids", "cooperative"),
    "rating": ("rating_bands", "rating_band"),
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
    strong: bool = True  # False: a description word, an attribute of a listing found otherwise
    # True: only looked up once the plain words found too few (description words of a
    # several-word query, the words a short last word begins): most queries never pay for
    # these long posting lists.
    relaxed: bool = False
    kind: str = ""  # "fuzzy" or "prefix": a word spelt nearly like, or begun by, the typed one


@dataclass
class Word:
    term: Term
    lookups: list[Lookup] = field(default_factory=list)


@dataclass
class PlanClause:
    """A clause of the query (storefront.search.understanding.Clause) as lookups: it matches
    a listing when every word of one of its alternatives does."""

    alternatives: list[list[Word]]
    clause: Clause | None = None
    # The product word of the query (see index._anchor).
    anchor: bool = False

    @property
    def words(self) -> list[Word]:
        """The words as typed (the first alternative)."""
        return self.alternatives[0]


def word_lookups(term: Term, translated: bool = False) -> list[Lookup]:
    """The lookups of one word: its folded form in every text field, its exact form and
    the name's head for the score, the description as an attribute.

    A word of the Vietnamese name of a product type the shopper typed in English, or of a
    synonym that is often another word (`translated`: Clause.in_names), is looked up only
    where a listing says what it is, its name and its product type (and as a pair, _link).
    Elsewhere such a word is mostly another word spelt alike: "incense" is "hương", as in
    the descriptions' "hương vị"; "turmeric" is "nghệ", as in "mỹ nghệ" (handicrafts) and
    Nghệ An; "orange" is "cam", as in Cam Ranh."""
    folded = term.folded
    weights = TYPE_WEIGHTS if translated else FOLDED_WEIGHTS
    lookups = [Lookup(f, folded, w, True) for f, w in weights.items()]
    if term.has_marks:
        lookups += [Lookup(f, term.exact, w, False) for f, w in EXACT_WEIGHTS.items()]
    lookups.append(Lookup("head", folded, HEAD_WEIGHT, False))
    if not translated:
        lookups.append(Lookup("body", folded, BODY_WEIGHT, True, strong=False))
    return lookups


def fuzzy_lookups(folded: str) -> list[Lookup]:
    """The lookups of a word spelt nearly like a query word: the fields that say what a
    listing is, for half the weight."""
    return [
        Lookup(f, folded, w // FUZZY_SCALE, True, kind="fuzzy") for f, w in FOLDED_WEIGHTS.items()
    ]


def _phrase_words(words: list[Term], translated: bool = False) -> list[Word]:
    """Words of one phrasing, with the pairs of adjacent words (a pair in the description
    satisfies both its words; in a name it only scores)."""
    plan = [Word(t, word_lookups(t, translated)) for t in words]
    for left, right in pairwise(plan):
        _link(left, right, translated)
    return plan


def _as_phrase(words: list[Word]) -> None:
    """A place name of several words matches as a phrase: each word where it stands beside
    the next (a pair), never its syllables apart ("lạng sơn" is not Nga Sơn's "sơn" and
    some "lạng"). The listings from the place match its place_phrase key."""
    if len(words) < 2:
        return
    for word in words:
        word.lookups = [
            replace(lookup, matches=lookup.fieldname in ("pairs", "body_pairs"))
            for lookup in word.lookups
        ]
    for left, right in pairwise(words):
        right.lookups.append(Lookup("pairs", pair_key(left.term, right.term), 0, True))


def _link(left: Word, right: Word, translated: bool = False) -> None:
    """The pair of two adjacent words. In a name or phrase it scores (each word matches there
    on its own), except for a translated product type's words, which do not match in the
    other phrases on their own (word_lookups): there the pair matches ("du lịch" in the
    tourism group's name)."""
    pair = pair_key(left.term, right.term)
    left.lookups.append(Lookup("body_pairs", pair, BODY_WEIGHT, True))
    right.lookups.append(Lookup("body_pairs", pair, 0, True))
    left.lookups.append(Lookup("pairs", pair, PAIR_WEIGHT, translated))
    if translated:
        right.lookups.append(Lookup("pairs", pair, 0, True))
    left.lookups.append(Lookup("head", pair, HEAD_WEIGHT, False))


def plan_query(
    text: str,
    is_known: Callable[[str], bool] = lambda word: False,
    is_place: Callable[[str], bool] = lambda key: False,
    prefixed: Callable[[str], list[str]] | None = None,
) -> list[PlanClause]:
    """For each clause of the query, the lookups of each of its alternatives.

    `prefixed` gives the indexed words a short last word may begin: a query typed half
    way ("thanh lon") also matches them, for less."""
    clauses = understand(query_terms(text), is_known, is_place)
    plan = []
    for clause in clauses:
        if clause.filler:  # no lookups of its own: only the pairs it makes with its neighbours
            plan.append(PlanClause([[Word(t) for t in clause.typed]], clause))
            continue
        alternatives = [
            _phrase_words(words, translated=clause.in_names and i > 0)
            for i, words in enumerate(clause.alternatives)
            if words
        ]
        if clause.place is not None:
            for alternative in alternatives:
                _as_phrase(alternative)
            place = Word(
                clause.typed[0], [Lookup("place_phrase", clause.place, PLACE_WEIGHT, True)]
            )
            alternatives.append([place])
        plan.append(PlanClause(alternatives, clause))
    content = [planned for planned in plan if not _filler(planned)]
    if len(content) > 1:  # description words wait for the relaxed stage (one word: at once)
        for planned in plan:
            for alternative in planned.alternatives:
                for word in alternative:
                    word.lookups = [
                        replace(lookup, relaxed=True) if lookup.fieldname == "body" else lookup
                        for lookup in word.lookups
                    ]
    # Adjacent typed words of neighbouring clauses are a pair too ("mật ong" "rừng").
    for left, right in pairwise(plan):
        _link(left.words[-1], right.words[0])
    if prefixed is not None and len(content) > 1:
        last = content[-1].words[-1]
        if may_be_unfinished(last.term.folded):
            for other in prefixed(last.term.folded):
                last.lookups += [
                    Lookup(
                        f,
                        other,
                        FOLDED_WEIGHTS[f] // FUZZY_SCALE,
                        True,
                        relaxed=True,
                        kind="prefix",
                    )
                    for f in PREFIX_FIELDS
                ]
    return plan


def may_be_unfinished(folded: str) -> bool:
    """Whether a several-word query's last word is short enough to be begun only ("thanh
    lon"): it then also matches the name and product words it begins."""
    return PREFIX_MIN <= len(folded) <= PREFIX_MAX and folded.isalpha()


def _filler(clause: PlanClause) -> bool:
    return clause.clause is not None and clause.clause.filler


def required_count(plan: list[PlanClause]) -> int:
    """How many clauses a listing must hold (filler, generic and dropped words aside)."""
    return sum(not _optional(clause) for clause in plan) or len(plan)


def minimum_clauses(count: int) -> int:
    """How many of `count` clauses a listing must hold when too few hold them all."""
    if count < 3:
        return count
    return max(2, -(-count * 2 // 3))


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
    # Best match; then shorter names, more stars, in stock, newer.
    "relevance": SortOrder(
        (), (("name_words", False), ("stars", True), ("in_stock", True), *_NEWEST), True
    ),
    "stars": SortOrder((("stars", True),), _NEWEST, True),
    # Buyers' rating: the average as shown, then how many rated it (none last).
    "rating": SortOrder((("rating", True), ("ratings", True)), _NEWEST, True),
    "best_selling": SortOrder((("sold", True),), _NEWEST, True),
    "newest": SortOrder(_NEWEST, (), False),
    "price_asc": SortOrder((("price", False),), _NEWEST, False),
    "price_desc": SortOrder((("price", True),), _NEWEST, False),
}


@dataclass(frozen=True)
class Note:
    """What one score contribution of _match_words is: the lookup of a word of a clause's
    alternative (clause, alternative and word positions), or, without a lookup, the bonus
    for holding clause `clause` when only most clauses are required ("cover")."""

    docs: Collection[int]
    weight: int
    clause: int
    alternative: int = 0
    word: int = 0
    lookup: Lookup | None = None


# A lookup's share of the score: its postings (or, for a lookup that only scores, its
# (field, term) key, read when needed) and its weight.
Contribution = tuple[AbstractSet[int] | tuple[str, str], int]


@dataclass
class SegmentHits:
    """What one segment contributes to a result."""

    total: int = 0
    unfiltered: int = 0  # the matches whatever the filters, when there are filters
    top: list[tuple] = field(default_factory=list)  # full sort keys, best first
    facets: dict[str, Counter] = field(default_factory=dict)
    count_facets: Callable[[], dict[str, Counter]] | None = None  # see search_segment


def search_segment(
    leaf: LeafData,
    plan: list[PlanClause],
    query: SearchQuery,
    today: date,
    limit: int,
    known: list[bool],
    minimum: int | None = None,
    relaxed: bool = False,
    postings: dict[tuple, Any] | None = None,
    defer_facets: bool = False,
    notes: list[Note] | None = None,
) -> SegmentHits:
    """Count, facet and rank the hits of one segment; sets `known[i]` when clause i occurs.

    A listing must hold every clause, or `minimum` of them when given. `defer_facets`: the
    facets are left to count (`SegmentHits.count_facets`) for when this stage's hits turn
    out to be the result, not replaced by a later stage's. `notes`, when given, receives what
    each score contribution is (see Note), for explaining a result's score."""
    matched: AbstractSet[int]
    if postings is None:
        postings = {}
    if plan:
        matched, contributions = _match_words(leaf, plan, known, minimum, relaxed, postings, notes)
    else:
        matched, contributions = leaf.live, []
    expired = leaf.columns.expired(today)
    if expired:
        matched = matched - expired
    passes = _filters(leaf.columns, query)
    final = _intersect(matched, passes.values())

    hits = SegmentHits(total=len(final), unfiltered=len(matched) if passes else 0)
    if query.facets and defer_facets:
        hits.count_facets = partial(_count_facets, leaf.columns, query, matched, passes, final)
    elif query.facets:
        hits.facets = _count_facets(leaf.columns, query, matched, passes, final)
    if final and limit > 0:
        order = SORT_ORDERS["newest" if query.sort == "relevance" and not plan else query.sort]
        score = None
        if plan and order.scored:
            score = _score(final, contributions, partial(_read, leaf, postings))
        hits.top = _top(leaf.columns, final, order, score, limit)
    return hits


def _match_words(
    leaf: LeafData,
    plan: list[PlanClause],
    known: list[bool],
    minimum: int | None = None,
    relaxed: bool = False,
    postings: dict[tuple, Any] | None = None,
    notes: list[Note] | None = None,
) -> tuple[set[int], list[Contribution]]:
    """Documents holding every clause (or `minimum` of them), and each lookup's postings
    with its weight, for scoring: those of lookups that only score as their key, read if
    the hits are ranked by score (never when a later stage replaces this one's hits or
    the order is by price or date).

    With several clauses a listing must hold one of them outside its description."""
    contributions: list[Contribution] = []
    per_clause: list[set[int]] = []
    strong: set[int] = set()
    # Only a query of several clauses needs to know which hits hold a word outside the
    # description.
    several = len(plan) > 1
    # Postings read once per search: a pair serves two words, and a later stage of the same
    # search (relaxed, most clauses, fuzzy) asks for the same terms again. Each word's union
    # of postings is kept there too, under the keys it was made of: the later stages mostly
    # ask for the same words again.
    if postings is None:
        postings = {}
    for position, clause in enumerate(plan):
        clause_docs: set[int] = set()
        for alt_position, alternative in enumerate(clause.alternatives):
            word_docs: list[set[int]] = []
            strong_parts: list[AbstractSet[int]] = []
            for word_position, word in enumerate(alternative):
                matching: list[tuple[str, str]] = []
                weak: list[tuple[str, str]] = []
                for lookup in word.lookups:
                    if lookup.relaxed and not relaxed:
                        continue
                    key = (lookup.fieldname, lookup.text)
                    if not lookup.matches and notes is None:
                        # Only scores: read if the hits are ranked (explained: read now).
                        if lookup.weight:
                            contributions.append((key, lookup.weight))
                        continue
                    docs = _read(leaf, postings, key)
                    if docs:
                        if lookup.weight:
                            contributions.append((docs, lookup.weight))
                            if notes is not None:
                                notes.append(
                                    Note(
                                        docs,
                                        lookup.weight,
                                        position,
                                        alt_position,
                                        word_position,
                                        lookup,
                                    )
                                )
                        if lookup.matches:
                            (matching if lookup.strong else weak).append(key)
                union, word_strong = _word_union(postings, matching, weak)
                word_docs.append(union)
                strong_parts.append(word_strong)
                if not union:
                    break
            if all(word_docs):
                word_docs.sort(key=len)
                both = word_docs[0].intersection(*word_docs[1:])
                if clause_docs:
                    clause_docs |= both
                else:
                    clause_docs = both  # a new set: no copy of the first alternative's hits
                if several and both:
                    for part in strong_parts:
                        strong |= both.intersection(part)
        known[position] = known[position] or bool(clause_docs)
        per_clause.append(clause_docs)
    positions = list(range(len(plan)))
    required = [
        docs for docs, clause in zip(per_clause, plan, strict=True) if not _optional(clause)
    ]
    if required and len(required) < len(per_clause):
        positions = [p for p, c in zip(positions, plan, strict=True) if not _optional(c)]
        per_clause, plan = required, [c for c in plan if not _optional(c)]
    if minimum is None or minimum >= len(plan):
        if not all(per_clause):
            return set(), []
        per_clause.sort(key=len)
        matched = (
            per_clause[0] if len(per_clause) == 1 else per_clause[0].intersection(*per_clause[1:])
        )
    else:
        matched = _covered(per_clause, minimum)
        contributions += [(docs, COVER_WEIGHT) for docs in per_clause if docs]
        if notes is not None:
            notes += [
                Note(docs, COVER_WEIGHT, p)
                for p, docs in zip(positions, per_clause, strict=True)
                if docs
            ]
    if len(plan) > 1:
        matched &= strong
    if leaf.deleted:
        matched -= leaf.deleted  # every set here is this search's own
    return matched, contributions


def _read(leaf: LeafData, postings: dict[tuple, Any], key: tuple[str, str]) -> AbstractSet[int]:
    """The postings of a (field, term), read once per search and segment."""
    docs = postings.get(key)
    if docs is None:
        docs = postings[key] = leaf.postings(*key)
    return docs


def _word_union(
    postings: dict[tuple, Any], matching: list[tuple[str, str]], weak: list[tuple[str, str]]
) -> tuple[set[int], set[int]]:
    """The documents a word matches (the union of the postings of `matching` and `weak`
    keys) and those it matches outside the description (`matching` only), made once per
    search and set of keys. The sets are shared: callers never change them."""
    key = ("union", tuple(matching), tuple(weak))
    found = postings.get(key)
    if found is None:
        word_strong = set().union(*(postings[k] for k in matching))
        union = word_strong.union(*(postings[k] for k in weak)) if weak else word_strong
        found = postings[key] = (union, word_strong)
    return found


def _covered(sets: list[set[int]], minimum: int) -> set[int]:
    """Documents in at least `minimum` of `sets`.

    Such a document is in one of any len(sets) - minimum + 1 of them, so only the
    documents of that many smallest sets are counted, set by set: a long query's common
    words (large sets) are probed, never counted whole."""
    ordered = sorted(sets, key=len)
    spare = len(ordered) - max(minimum, 1) + 1
    cover = Counter(chain.from_iterable(ordered[:spare]))
    candidates = cover.keys()
    for docs in ordered[spare:]:
        cover.update(docs.intersection(candidates))
    return {doc for doc, count in cover.items() if count >= minimum}


def _optional(clause: PlanClause) -> bool:
    return clause.clause is not None and (clause.clause.optional or clause.clause.dropped)


def _filters(columns: SegmentColumns, query: SearchQuery) -> dict[str, AbstractSet[int]]:
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
    passes: dict[str, AbstractSet[int]],
    final: set[int],
) -> dict[str, Counter]:
    """Facet counts: each over the text matches with every filter but its own applied."""
    facets = list(FACET_COLUMNS.items())
    if query.province_codes or query.commune_codes:
        facets.append(PLACE_FACET)
    counts = {}
    apart: dict[int, AbstractSet[int]] = {}  # the documents each base leaves out, once
    for facet, column in facets:
        if facet in passes:
            base = _intersect(matched, [docs for name, docs in passes.items() if name != facet])
        else:
            base = final
        counts[facet] = _count(columns, column, base, apart)
    return counts


def _count(
    columns: SegmentColumns,
    column: str,
    docs: Collection[int],
    apart: dict[int, AbstractSet[int]] | None = None,
) -> Counter:
    """How many of `docs` hold each value of `column`. When `docs` is most of the segment
    (the whole catalog, a broad filter), the segment's own counts, made once, less those of
    the few documents left out (`apart`: those already taken apart, by id of `docs`, so
    the facets counted over the same documents take them apart once): a catalog page costs
    the same at 1k and 100k listings."""
    everything = columns.counts(column)
    most = 2 * len(docs) > columns.size
    counted: Collection[int] = docs
    if most:
        memo = {} if apart is None else apart
        if id(docs) not in memo:
            memo[id(docs)] = columns.all_docs.difference(docs)
        counted = memo[id(docs)]
    small = columns.small(column)
    if small is not None:
        picked = bytes(map(small.__getitem__, counted))
        if most:
            found = ((value, total - picked.count(value)) for value, total in everything.items())
        else:
            found = ((value, picked.count(value)) for value in everything)
        return Counter({value: count for value, count in found if count > 0})
    values = getattr(columns, column)
    left_out = Counter(map(values.__getitem__, counted))
    if not most:
        return left_out
    counts = everything.copy()
    # Counted by C code, then subtracted value by value (not document by document).
    for value, count in left_out.items():
        if counts[value] == count:
            del counts[value]  # no document of `docs` holds it
        else:
            counts[value] -= count
    return counts


def _score(
    final: set[int],
    contributions: list[Contribution],
    read: Callable[[tuple[str, str]], AbstractSet[int]],
) -> dict[int, int]:
    """Each hit's score: the weights of the lookups it was found by, summed."""
    score = dict.fromkeys(final, 0)
    for posting, weight in contributions:
        scored = final.intersection(read(posting) if isinstance(posting, tuple) else posting)
        score.update(zip(scored, map(weight.__add__, map(score.__getitem__, scored)), strict=True))
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
    ordered = sorted((base, *others), key=len)
    return set(ordered[0]).intersection(*ordered[1:])
