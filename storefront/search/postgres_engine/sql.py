"""A query plan (whoosh_engine.matching.plan_query) as SQL over search_documents.

The same rules as matching.search_segment, in the database:

* a word matches a listing when one of its matching lookups' keys is in the listing's
  tsvector; an alternative when all its words do; a clause when one alternative does; the
  query when every required clause does (or `minimum` of them, the cover pass);
* with several clauses a listing must hold one of them outside its description (`strong`);
* the score is the sum of the weights of every lookup whose key the listing holds (plus
  COVER_WEIGHT per clause held in the cover pass), as Whoosh's contributions;
* filters are columns; each facet is counted with every filter but its own (disjunctive);
* the order is the same as SORT_ORDERS, ending with the listing id descending.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import date
from itertools import combinations
from math import comb
from typing import Any

from storefront.search.postgres_engine.rows import key, quote
from storefront.search.query import PRICE_BUCKETS, SearchQuery, counted_at_least, price_bucket
from storefront.search.whoosh_engine.matching import COVER_WEIGHT, Lookup, PlanClause

# Filter name → (SearchQuery attribute, column).
FILTERS = {
    "group": ("groups", "ocop_group"),
    "stars": ("stars", "stars"),
    "province": ("province_codes", "province_code"),
    "commune": ("commune_codes", "commune_code"),
    "cooperative": ("cooperative_ids", "cooperative_id"),
    "rating": ("rating_bands", "rating_band"),
}
FACETS = {
    "group": "ocop_group",
    "stars": "stars",
    "province": "province_code",
    "cooperative": "cooperative_id",
    "price": "price_bucket",
}
PLACE_FACET = ("commune", "commune_code")


def sample_condition(every: int) -> str:
    """A broad search's sample slice (models.search.SAMPLE_EVERY, SPARSE_SAMPLE_EVERY),
    written out for the planner to match it with its partial index."""
    return f"listing_id % {int(every)} = 0"


# A broad search by a column before its score (stars): the sample's value of that column
# above which it holds this many times the page's rows, scaled, bounds the rows scored.
BOUND_MARGIN = 4

_NEWEST = "created_at DESC"
# Sort → (columns before the score, columns after it, scored).
ORDERS = {
    "relevance": ((), ("name_words ASC", "stars DESC", "in_stock DESC", _NEWEST), True),
    "stars": (("stars DESC",), (_NEWEST,), True),
    "newest": ((_NEWEST,), (), False),
    "price_asc": (("price ASC",), (_NEWEST,), False),
    "price_desc": (("price DESC",), (_NEWEST,), False),
    "rating": (("rating_tenths DESC", "rating_count DESC"), (_NEWEST,), True),
    "best_selling": (("sold DESC",), (_NEWEST,), True),
}


def _price_bucket() -> str:
    cases = " ".join(
        f"WHEN price < {high} THEN {index}"
        for index, (_low, high) in enumerate(PRICE_BUCKETS)
        if high is not None
    )
    return f"CASE {cases} ELSE {len(PRICE_BUCKETS) - 1} END"


PRICE_BUCKET = _price_bucket()


def _facet_expression(column: str) -> str:
    return PRICE_BUCKET if column == "price_bucket" else column


# The facets' values of a row, as SQL (in FACETS' order) and from a rows.document_row dict:
# what search_facets counts.
FACET_EXPRESSIONS = [_facet_expression(column) for column in FACETS.values()]
FACET_COLUMNS = ", ".join(FACET_EXPRESSIONS)
TOTAL = "total"  # search_facets' row counting every row (value 0)


def row_facets(row: dict[str, Any]) -> list[tuple[str, int]]:
    return [(TOTAL, 0)] + [
        (name, price_bucket(row["price"]) if column == "price_bucket" else int(row[column]))
        for name, column in FACETS.items()
    ]


# Facets the catalog is browsed by: the counts of the other facets within each of their
# values are kept (search_facet_pairs), for the catalog without text and with one of them.
PAIRED = ("group", "stars", "province", "price")


def pair_others(facet: str) -> list[tuple[str, str]]:
    """(name, column) of the facets counted within each value of `facet` (a province's
    communes too: the page filtered on a province shows them)."""
    others = [(name, column) for name, column in FACETS.items() if name != facet]
    return others + ([PLACE_FACET] if facet == "province" else [])


def row_pairs(values: dict[str, int]) -> list[tuple[str, int, str, int]]:
    """The search_facet_pairs keys a row counts in: (facet, value, other, other value), from
    its values of FACETS and its commune."""
    return [(f, values[f], o, values[o]) for f in PAIRED for o, _ in pair_others(f)]


def row_facet_values(row: dict[str, Any]) -> dict[str, int]:
    """A rows.document_row dict's value of each facet (and its commune)."""
    return {name: value for name, value in row_facets(row)[1:]} | {
        PLACE_FACET[0]: int(row[PLACE_FACET[1]])
    }


# The pairs of every row, counted (a rebuild: COUNT_PAIRS).
PAIR_COUNTS = " UNION ALL ".join(
    f"SELECT '{facet}', {_facet_expression(FACETS[facet])}, '{other}', "
    f"{_facet_expression(column)}, count(*) FROM search_documents GROUP BY 2, 4"
    for facet in PAIRED
    for other, column in pair_others(facet)
)
COUNT_PAIRS = (
    "INSERT INTO search_facet_pairs (facet, value, other, other_value, listings) " + PAIR_COUNTS
)


# What a search may read of each matching row, by the name its statement uses: the filters',
# facets' and orders' columns.
ROW_COLUMN_EXPRESSIONS = {
    "listing_id": "listing_id",
    "ocop_group": "ocop_group",
    "stars": "stars",
    "province_code": "province_code",
    "commune_code": "commune_code",
    "cooperative_id": "cooperative_id",
    "price": "price",
    "price_bucket": f"{PRICE_BUCKET} AS price_bucket",
    "created_at": "created_at",
    "name_words": "name_words",
    "in_stock": "in_stock",
    "rating_band": "rating_band",
    "rating_tenths": "rating_tenths",
    "rating_count": "rating_count",
    "sold": "sold",
}
ROW_COLUMNS = ", ".join(ROW_COLUMN_EXPRESSIONS.values())


_NAMES = re.compile(r"\w+")


def read_columns(outer: str) -> str:
    """The row columns that `outer` (what a statement computes from its matches) names, and
    the listing id: the matches are materialized without the others ("đặc sản" by price, 15,000
    matches at 100k listings: 30.9 -> 29.5 ms)."""
    named = set(_NAMES.findall(outer))
    return ", ".join(
        expression
        for name, expression in ROW_COLUMN_EXPRESSIONS.items()
        if name == "listing_id" or name in named
    )


def _any(parts: Iterable[str]) -> str | None:
    parts = list(dict.fromkeys(parts))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else "(" + " | ".join(parts) + ")"


def _all(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else "(" + " & ".join(parts) + ")"


def _lexeme(lookup: Lookup) -> str:
    return quote(key(lookup.fieldname, lookup.text))


def _active(lookup: Lookup, relaxed: bool, absent: AbstractSet[str]) -> bool:
    """Whether a pass looks this lookup up: not a relaxed one in a plain pass, nor a key no
    listing holds (`absent`: known from search_words, see index._Search._absent)."""
    return (relaxed or not lookup.relaxed) and key(lookup.fieldname, lookup.text) not in absent


# The cover pass's match as one tsquery over the GIN index is exact up to this many
# subsets of clauses (5 clauses, 4 needed: 10); past it, a looser one over the rarest
# clauses (a large query costs the GIN index more than the rows it spares: measured at 6
# clauses).
MAX_COVER_SUBSETS = 10


def at_least(
    queries: list[str], minimum: int, sizes: list[int] | None = None
) -> tuple[list[str], bool]:
    """Tsqueries all true where at least `minimum` of these tsqueries are, and whether they
    are exact. With at most len - minimum of them missing, a listing holds one of every
    len - minimum + 1 of them (`spare`): the ORs over every such subset, all true, are exact,
    so the GIN index gives the hits alone instead of every row holding any clause (each of
    which was then read and tested clause by clause: 300-490 ms at 100k listings).
    Past MAX_COVER_SUBSETS subsets, the subsets of the rarest few only (by `sizes`, how many
    listings each may match: by the query's order without): still true wherever enough are
    held, and the rarest clauses keep out most rows, where a common word's would let in a
    third of the catalog for the row's count of clauses to decide (a long query's cover
    pass read 13,000 rows for 286 hits at 100k listings).

    The ORs are given apart, for the statement to test each as a condition of its own: the
    GIN index then takes them as separate scan keys, skipping from one's next row to the
    others' instead of testing one AND of them on every row holding any of its keys (at 100k
    listings, a misspelt five-word query's GIN scan 74 -> 35 ms)."""
    spare = len(queries) - max(minimum, 1) + 1
    if spare >= len(queries):
        return [_any(queries) or ""], True
    rarest = sorted(range(len(queries)), key=lambda i: sizes[i]) if sizes else range(len(queries))
    kept = len(queries)
    while kept > spare and comb(kept, spare) > MAX_COVER_SUBSETS:
        kept -= 1
    chosen = sorted(list(rarest)[:kept])
    subsets = [[queries[i] for i in subset] for subset in combinations(chosen, spare)]
    return list(dict.fromkeys(_any(subset) or "" for subset in subsets)), kept == len(queries)


@dataclass
class Params:
    """Bound parameters of one statement, named p0, p1, ..."""

    values: dict[str, Any] = field(default_factory=dict)

    def add(self, value: Any) -> str:
        name = f"p{len(self.values)}"
        self.values[name] = value
        return f":{name}"

    def tsquery(self, text: str) -> str:
        return f"CAST({self.add(text)} AS tsquery)"


def clause_query(
    clause: PlanClause, relaxed: bool, absent: AbstractSet[str] = frozenset()
) -> tuple[str | None, str | None]:
    """(tsquery of the clause, tsquery of the clause held outside the description), or None
    when no listing can hold it. A clause none of whose keys is a description's is held
    outside the description wherever it is held: both tsqueries are then the same."""
    alternatives, strong = [], []
    for alternative in clause.alternatives:
        words, strong_keys, weak = [], [], False
        for word in alternative:
            active = [lk for lk in word.lookups if lk.matches and _active(lk, relaxed, absent)]
            matching = _any(map(_lexeme, active))
            if matching is None:
                break
            words.append(matching)
            strong_keys += [_lexeme(lk) for lk in active if lk.strong]
            weak = weak or any(not lk.strong for lk in active)
        else:
            if not words:
                continue
            query = _all(words)
            alternatives.append(query)
            held = _any(strong_keys)
            if held is not None:
                strong.append(query if not weak else f"({query} & {held})")
    return _any(alternatives), _any(strong)


def _weights(
    plan: list[PlanClause], relaxed: bool, absent: AbstractSet[str]
) -> tuple[dict[str, int], dict[str, str]]:
    """Each scored key's weight, once per lookup as Whoosh adds them (a key looked up twice
    counts twice), and the key each key implies, where a row holding it holds that one too
    (_implied)."""
    weights: dict[str, int] = {}
    implied: dict[str, str] = {}
    for clause in plan:
        for alternative in clause.alternatives:
            for word in alternative:
                for lookup in word.lookups:
                    if lookup.weight and _active(lookup, relaxed, absent):
                        lexeme = _lexeme(lookup)
                        weights[lexeme] = weights.get(lexeme, 0) + lookup.weight
                        parent = _implied(lookup, word.term.folded)
                        if parent is not None:
                            implied[lexeme] = parent
    return weights, implied


def _implied(lookup: Lookup, folded: str) -> str | None:
    """The key a row holding this lookup's key holds too, if any: a name word's exact
    spelling is that word of the name folded; the name's head is its first word or pair
    (whoosh_engine.schema: name_exact, head, pairs)."""
    if lookup.fieldname == "name_exact":
        return quote(key("name", folded))
    if lookup.fieldname == "head":
        return quote(key("pairs" if "_" in lookup.text else "name", lookup.text))
    return None


def _score_terms(weights: dict[str, int], implied: dict[str, str], params: Params) -> list[str]:
    """The score as SQL terms, one test of the row per key; a key implying another (_implied)
    tested only when the row holds that one (a broad word's matches mostly hold it in their
    descriptions alone, not in a name). (A first test per looked-up text, its keys tested
    only when the row holds one, cost more than it saved: every test is binary searches in
    the tsvector, and the text's test searched again for the keys the row held. Without it
    the 200 bench searches took 0.95 of the time at 100k listings.)"""

    def test(lexeme: str, then: str) -> str:
        return f"CASE WHEN document @@ {params.tsquery(lexeme)} THEN {then} ELSE 0 END"

    children: dict[str, list[str]] = {}
    for lexeme, parent in implied.items():
        if parent in weights and parent not in implied:
            children.setdefault(parent, []).append(lexeme)
    nested = {child for kids in children.values() for child in kids}
    terms = []
    for lexeme, weight in weights.items():
        if lexeme in nested:
            continue
        kids = [test(kid, str(int(weights[kid]))) for kid in children.get(lexeme, [])]
        terms.append(test(lexeme, " + ".join([str(int(weight)), *kids])))
    return terms


# Keys weighing this much or more (a name's word, its head, an exact spelling, a pair, a
# place) make the first tier of an uncounted search (SearchQuery.count False): see _tier.
TIER_WEIGHT = 10


def _tier(weights: dict[str, int]) -> tuple[str, int] | None:
    """(tsquery of the heavy keys, the most a row holding none of them can score), or None
    when no key is heavy. A row outside the tier scores at most the sum of the light keys'
    weights: when the tier's best rows all score more, they are the best of every match."""
    heavy = [lexeme for lexeme, weight in weights.items() if weight >= TIER_WEIGHT]
    if not heavy:
        return None
    light = sum(weight for weight in weights.values() if weight < TIER_WEIGHT)
    return _any(heavy) or "", light


def clause_size(
    clause: PlanClause, relaxed: bool, absent: AbstractSet[str], listings: Mapping[str, int]
) -> int:
    """How many listings a clause may match, at most: the listings holding each of its keys
    that search_words counts, summed (the other fields' keys, pairs and exact spellings, are
    held by fewer listings than the words they are made of)."""
    return sum(
        listings.get(key(lookup.fieldname, lookup.text), 0)
        for alternative in clause.alternatives
        for word in alternative
        for lookup in word.lookups
        if lookup.matches and _active(lookup, relaxed, absent)
    )


def clause_reach(
    clause: PlanClause, relaxed: bool, absent: AbstractSet[str], listings: Mapping[str, int]
) -> int:
    """How many listings a clause surely matches, about: those of its most held alternative,
    an alternative's as many as its rarest word, a word's as many as its most held key
    (a word's keys are mostly held together: "rượu" in a name, its product type and its
    description; clause_size sums them)."""
    return max(
        (
            min(
                max(
                    (
                        listings.get(key(lookup.fieldname, lookup.text), 0)
                        for lookup in word.lookups
                        if lookup.matches and _active(lookup, relaxed, absent)
                    ),
                    default=0,
                )
                for word in alternative
            )
            for alternative in clause.alternatives
            if alternative
        ),
        default=0,
    )


def filter_values(query: SearchQuery) -> list[tuple[str, int]]:
    """The (facet, value) pairs of search_facets whose listings a query's filters keep, at
    most: its chosen groups, stars, provinces and cooperatives, and the price buckets its
    range overlaps (filters search_facets does not count keep everything, for all it says)."""
    chosen = [
        (name, int(value))
        for name, (attribute, _column) in FILTERS.items()
        if name in FACETS
        for value in getattr(query, attribute)
    ]
    if query.price_min is not None or query.price_max is not None:
        low, high = query.price_min or 0, query.price_max
        chosen += [
            ("price", index)
            for index, (start, end) in enumerate(PRICE_BUCKETS)
            if (high is None or start <= high) and (end is None or low < end)
        ]
    return chosen


def likely_matches(reaches: list[int], shares: Mapping[str, float]) -> float:
    """About how many listings a pass matches: its required clauses' reaches (clause_reach)
    held independently of each other, within the share of the catalog each filtered facet
    keeps (`shares`: facet → its chosen values' share; a clause's words held together, as a
    phrase's are, are clause_reach's)."""
    if not reaches:
        return 0.0
    total = float(shares.get(TOTAL, 0)) or float(max(reaches))
    likely = float(min(reaches))
    for reach in sorted(reaches)[1:]:
        likely *= min(1.0, reach / total)
    for name, share in shares.items():
        if name != TOTAL:
            likely *= share
    return likely


def _optional(clause: PlanClause) -> bool:
    """Filler, generic and dropped words: never required (whoosh_engine.matching._optional)."""
    return clause.clause is not None and (clause.clause.optional or clause.clause.dropped)


@dataclass
class Statement:
    sql: str
    params: dict[str, Any]


@dataclass
class _Match:
    """The conditions a pass's matches meet, and how they score."""

    where: list[str]
    score_terms: list[str]
    weights: dict[str, int]
    covering: bool  # the cover pass: `minimum` of the clauses


def _match(
    plan: list[PlanClause],
    today: date,
    params: Params,
    minimum: int | None,
    relaxed: bool,
    absent: AbstractSet[str],
    listings: Mapping[str, int] | None,
) -> _Match | None:
    """The WHERE conditions and score terms of a pass (see search_statement), or None when
    no listing can match."""
    # With text the rows come from the GIN index: `expires_on + 0` keeps the planner from
    # reading the date's index instead and testing the tsquery on every row (it prices a
    # tsquery of a hundred keys as one operator).
    where = [
        f"expires_on + 0 >= {params.add(today)}" if plan else f"expires_on >= {params.add(today)}"
    ]
    score_terms: list[str] = []
    weights: dict[str, int] = {}
    covering = False
    if plan:
        per_clause = [clause_query(c, relaxed, absent) for c in plan]
        strong_parts = [s for _, s in per_clause if s is not None]
        required = [(q, c) for (q, _), c in zip(per_clause, plan, strict=True) if not _optional(c)]
        if required and len(required) < len(plan):
            clauses = [q for q, _ in required]
            counted = [c for _, c in required]
        else:
            clauses = [q for q, _ in per_clause]
            counted = plan
        if minimum is None or minimum >= len(clauses):
            if any(q is None for q in clauses):
                return None
            # Each clause a condition of its own, as the cover's parts (at_least).
            where += [f"document @@ {params.tsquery(q)}" for q in clauses if q]
        else:
            present = [q for q in clauses if q is not None]
            if len(present) < minimum:
                return None
            sizes = [
                clause_size(c, relaxed, absent, listings or {})
                for q, c in zip(clauses, counted, strict=True)
                if q is not None
            ]
            covering = True
            cover, exact = at_least(present, minimum, sizes)
            where += [f"document @@ {params.tsquery(part)}" for part in cover]
            if not exact:
                held = [f"(document @@ {params.tsquery(q)})::int" for q in present]
                where.append(f"({' + '.join(held)}) >= {int(minimum)}")
            score_terms += [
                f"CASE WHEN document @@ {params.tsquery(q)} THEN {COVER_WEIGHT} ELSE 0 END"
                for q in present
            ]
        if len(clauses) > 1:
            strong = _any(strong_parts)
            if strong is None:
                return None
            # Left out where the match implies it: a clause with no description key is held
            # outside the description wherever it is held, and a match holds every clause
            # (in the cover pass one at least, so there every clause must be such a one).
            whole = {q for q, s in per_clause if q is not None and q == s}
            implied = (
                all(q in whole for q in present) if covering else any(q in whole for q in clauses)
            )
            if not implied:
                where.append(f"document @@ {params.tsquery(strong)}")
        weights, implies = _weights(plan, relaxed, absent)
        score_terms += _score_terms(weights, implies, params)
    return _Match(where, score_terms, weights, covering)


def _passes(
    query: SearchQuery, params: Params, tested: AbstractSet[str] = frozenset()
) -> dict[str, str]:
    """The query's filters as conditions, by filter name ("price" for both bounds).
    `tested`: filters tested on the rows the GIN index gives (`column + 0`), not intersected
    with their column's index: a broad word's page (page_statement), where a filter keeps
    most rows and reading its index costs more than the rows it spares ("đặc sản" from
    100.000 to 500.000 đồng at 100k listings: 70,000 prices read to keep 4,400 of 6,300)."""
    passes: dict[str, str] = {}
    for name, (attribute, column) in FILTERS.items():
        values = getattr(query, attribute)
        if values:
            plain = " + 0" if name in tested else ""
            passes[name] = f"{column}{plain} = ANY({params.add(list(values))})"
    price = []
    plain = " + 0" if "price" in tested else ""
    if query.price_min is not None:
        price.append(f"price{plain} >= {params.add(query.price_min)}")
    if query.price_max is not None:
        price.append(f"price{plain} <= {params.add(query.price_max)}")
    if price:
        passes["price"] = " AND ".join(price)
    return passes


def search_statement(
    plan: list[PlanClause],
    query: SearchQuery,
    today: date,
    limit: int,
    minimum: int | None = None,
    relaxed: bool = False,
    absent: AbstractSet[str] = frozenset(),
    listings: Mapping[str, int] | None = None,
    sample: int = 0,
) -> Statement | None:
    """One statement answering a pass of a search: rows ("total", 0, n), ("hit", rank, id)
    and ("facet:<name>", value, count). None when no listing can match. `absent`: keys
    ("n/gao") no listing holds, left out of the match and the score; `listings`: how many
    listings hold some keys (those of search_words' fields), to find the rarest clauses.

    `sample`: the total and the facets of the matches in a sample slice alone (listing ids
    divisible by it, models.search.SAMPLE_EVERY or SPARSE_SAMPLE_EVERY: a partial index of
    them, which the GIN index's bitmap is intersected with), and no hits: see
    page_statement."""
    params = Params()
    match = _match(plan, today, params, minimum, relaxed, absent, listings)
    if match is None:
        return None
    where, score_terms, weights, covering = (
        match.where,
        match.score_terms,
        match.weights,
        match.covering,
    )
    if sample:
        where.append(sample_condition(sample))

    sort = "newest" if query.sort == "relevance" and not plan else query.sort
    lead, rest, scored = ORDERS[sort]
    scored = scored and bool(plan) and not sample
    score = " + ".join(score_terms) if scored and score_terms else "0"
    passes = _passes(query, params)

    if not plan and (not passes or (len(passes) == 1 and _catalog_filter(passes, query))):
        return _catalog_statement(query, today, limit, params, passes)

    def passing(skip: str | None = None) -> str:
        kept = [condition for name, condition in passes.items() if name != skip]
        return " AND ".join(kept) if kept else "TRUE"

    order = ", ".join([*lead, *(["score DESC"] if scored else []), *rest, "listing_id DESC"])
    if scored and passes:
        # Only the hits are ranked: a match the filters leave out is counted in the facets
        # of those filters, never scored (a broad word in one group: 5 rows in 6 untested).
        score = f"CASE WHEN {passing()} THEN {score} ELSE 0 END"
    # Without filters the matches are the hits: read them as they are (a second CTE read
    # three times would be another copy of every row).
    f = "f" if passes else "m"
    parts = [f"SELECT 'total' AS kind, 0 AS value, count(*) AS n FROM {f}"]
    if passes:
        # With nothing left by the filters, what the text matched (SearchResult.unfiltered).
        parts.append("SELECT 'unfiltered', 0, count(*) FROM m WHERE NOT EXISTS (SELECT FROM f)")
    if not sample:
        # The first `limit` by a bounded sort (top-N), then numbered in that same order.
        parts.append(
            f"SELECT 'hit', listing_id, row_number() OVER (ORDER BY {order}) FROM "
            f"(SELECT * FROM {f} ORDER BY {order} LIMIT {int(limit)}) AS top"
        )
    elif lead and ORDERS[sort][2]:
        # A scored order after a column (stars, rating, sales): the column's value above
        # which the sample holds enough rows for the page (page_statement's `bound`).
        column = lead[0].split()[0]
        enough = -(-BOUND_MARGIN * limit // sample)
        parts.append(
            f"SELECT 'bound', min({column}), count(*) FROM (SELECT {column} FROM {f} "
            f"ORDER BY {column} DESC LIMIT {int(enough)}) AS bound"
        )
    if query.facets:
        facets = list(FACETS.items())
        if query.province_codes or query.commune_codes:
            facets.append(PLACE_FACET)
        # Facets whose filter is not set count the final hits: one pass over them, one
        # grouping set each. A facet whose filter is set counts the matches with every other
        # filter (disjunctive), a query of its own.
        plain = [(name, column) for name, column in facets if name not in passes]
        if query.top_cooperatives and ("cooperative", "cooperative_id") in plain:
            plain.remove(("cooperative", "cooperative_id"))
            parts += _cooperatives(f, "TRUE", query, params)
        if plain:
            which = " ".join(
                f"WHEN GROUPING({column}) = 0 THEN 'facet:{name}'" for name, column in plain
            )
            value = f"COALESCE({', '.join(column for _, column in plain)})"
            sets = ", ".join(f"({column})" for _, column in plain)
            parts.append(
                f"SELECT CASE {which} END, {value}, count(*) FROM {f} "
                f"GROUP BY GROUPING SETS ({sets})"
            )
        for name, column in facets:
            if name == "cooperative" and name in passes:
                parts += _cooperatives("m", passing(name), query, params)
            elif name in passes:
                parts.append(
                    f"SELECT 'facet:{name}', {column}, count(*) FROM m WHERE {passing(name)} "
                    f"GROUP BY {column}"
                )
    columns = read_columns(" ".join([*parts, passing(), order]))
    columns += f", {score if scored else '0'} AS score"
    matches = f"SELECT {columns} FROM search_documents WHERE {' AND '.join(where)}"
    tier = None
    if scored and sort == "relevance" and not (passes or covering or query.facets or query.count):
        tier = _tier(weights)
    if tier is None:
        head = f"WITH m AS MATERIALIZED ({matches}) "
    else:
        # Uncounted: the best rows holding a heavy key first; when they are enough and all
        # outscore any row holding none, they are the matches (the search's total stops at
        # them); else every match, as counted ("an" at 100k listings: the 2,600 rows holding
        # it in a name instead of the tens of thousands holding it anywhere).
        heavy, light = tier
        enough = counted_at_least(query)
        ok = f"(SELECT count(*) = {int(enough)} AND min(score) > {int(light)} FROM t)"
        head = (
            f"WITH t AS MATERIALIZED ({matches} AND document @@ {params.tsquery(heavy)} "
            f"ORDER BY {order} LIMIT {int(enough)}), "
            f"m AS MATERIALIZED ((SELECT * FROM t WHERE {ok}) UNION ALL ({matches} AND NOT {ok})) "
        )
    sql = (
        head
        + (f", f AS (SELECT * FROM m WHERE {passing()}) " if passes else "")
        + " UNION ALL ".join(f"({part})" for part in parts)
    )
    return Statement(sql, params.values)


def page_statement(
    plan: list[PlanClause],
    query: SearchQuery,
    today: date,
    limit: int,
    relaxed: bool = False,
    absent: AbstractSet[str] = frozenset(),
    bound: int | None = None,
) -> Statement | None:
    """The hits alone of a pass of every clause, rows ("hit", rank, id) as search_statement
    gives them: for a broad search, whose total and facets come from its sample. The filters
    are conditions of the match, and no pass reads every match when the order allows: by
    price or date the planner reads the rows in the order's index and stops at the page; by
    relevance the best rows holding a heavy key are the page when they are enough and all
    outscore any row holding none (as an uncounted search's: _tier); by a column before the
    score (stars) the rows whose column is at least `bound` are the page when they are
    enough, every other row coming after them (the sample's 'bound' row)."""
    if not plan:
        return None
    params = Params()
    match = _match(plan, today, params, None, relaxed, absent, None)
    if match is None:
        return None
    lead, rest, scored = ORDERS[query.sort]
    scored = scored and bool(match.score_terms)
    # (By price, the price range bounds the scan of the order's index.)
    tested = {*FILTERS, "price"} - ({"price"} if query.sort.startswith("price") else set())
    where = " AND ".join([*match.where, *_passes(query, params, tested).values()])
    order = ", ".join([*lead, *(["score DESC"] if scored else []), *rest, "listing_id DESC"])
    score = " + ".join(match.score_terms) if scored else "0"
    rows = f"SELECT {read_columns(order)}, {score} AS score FROM search_documents WHERE {where}"
    page = f"ORDER BY {order} LIMIT {int(limit)}"
    tier = _tier(match.weights) if scored and query.sort == "relevance" else None
    first = None
    if tier is not None:
        heavy, light = tier
        first = f"document @@ {params.tsquery(heavy)}"
        ok = f"(SELECT count(*) = {int(limit)} AND min(score) > {int(light)} FROM t)"
    elif scored and lead and bound is not None:
        first = f"{lead[0].split()[0]} >= {params.add(bound)}"
        ok = f"(SELECT count(*) = {int(limit)} FROM t)"
    if first is None:
        head, source = "", f"{rows} {page}"
    else:
        head = f"WITH t AS MATERIALIZED ({rows} AND {first} {page}) "
        source = f"(SELECT * FROM t WHERE {ok}) UNION ALL ({rows} AND NOT {ok} {page})"
    sql = (
        f"{head}SELECT 'hit' AS kind, listing_id AS value, "
        f"row_number() OVER (ORDER BY {order}) AS n FROM ({source}) AS top"
    )
    return Statement(sql, params.values)


def _cooperatives(source: str, where: str, query: SearchQuery, params: Params) -> list[str]:
    """The cooperative facet of the rows of `source` passing `where`, cut in the database as
    search.query.cut_cooperative_facet cuts it when the query asks (top_cooperatives: the
    most frequent, then the lowest ids, by a bounded sort; and the chosen ones): a broad
    word's matches hold thousands of cooperatives (12,000 rows for one word at 100k
    listings), each sent only to be dropped."""
    counted = (
        f"SELECT 'facet:cooperative', cooperative_id, count(*) FROM {source} WHERE {where} "
        "GROUP BY cooperative_id"
    )
    if not query.top_cooperatives:
        return [counted]
    parts = [
        f"{counted} ORDER BY count(*) DESC, cooperative_id LIMIT {int(query.top_cooperatives)}"
    ]
    if query.cooperative_ids:
        chosen = params.add(list(query.cooperative_ids))
        parts.append(
            f"SELECT 'facet:cooperative', cooperative_id, count(*) FROM {source} "
            f"WHERE {where} AND cooperative_id = ANY({chosen}) GROUP BY cooperative_id"
        )
    return parts


def _catalog_filter(passes: dict[str, str], query: SearchQuery) -> bool:
    """Whether the one filter of a search without text is _catalog_statement's: a facet's,
    or any without facets (the product page's related products: one cooperative, one
    commune, each read through its own index)."""
    return next(iter(passes)) in FACETS or not query.facets


def _catalog_statement(
    query: SearchQuery, today: date, limit: int, params: Params, passes: dict[str, str]
) -> Statement:
    """The catalog without text, with no filter or one of a facet (plain /products, one
    group, one province...), or one filter without facets (_catalog_filter). Without a
    filter the total, the facets and the first hits need no row: the counts are
    search_facets' less those of the rows whose certificate has expired since they were
    written (few: read through the columns index, which starts with expires_on), the hits
    are the first in the order's index; of the cooperatives only the first few in frequency
    order when the query says so (_top_cooperatives). With one filter the rows are those it
    passes, and its own facet (counted without it: disjunctive) is search_facets'."""
    lead, rest, _scored = ORDERS["newest" if query.sort == "relevance" else query.sort]
    order = ", ".join([*lead, *rest, "listing_id DESC"])
    day = params.add(today)
    filtered = next(iter(passes), None)
    counted = [*FACETS] if filtered is None else [filtered]
    if not query.facets:
        counted = []
    sets = [(name, _facet_expression(FACETS[name])) for name in counted]
    which = " ".join(f"WHEN GROUPING({column}) = 0 THEN '{name}'" for name, column in sets)
    grouping = [f"({column})" for _, column in sets] + ([] if filtered else ["()"])
    value = ", ".join([*(column for _, column in sets), "0"])
    # The cooperative facet has a value per cooperative (thousands): with top_cooperatives
    # only the few a page shows are read (_top_cooperatives), the other facets all.
    cut = bool(query.top_cooperatives) and "cooperative" in counted
    whole = [name for name in counted if not (cut and name == "cooperative")]
    kept = ", ".join(f"'{name}'" for name in [*whole, *([] if filtered else [TOTAL])])
    ctes = (
        []
        if filtered and not counted
        else [
            f"e AS (SELECT CASE {which or 'WHEN FALSE THEN NULL'} ELSE '{TOTAL}' END AS facet, "
            f"COALESCE({value}) AS value, count(*) AS n FROM search_documents "
            f"WHERE expires_on < {day} GROUP BY GROUPING SETS ({', '.join(grouping)}))",
        ]
    )
    parts = []
    if kept:
        ctes.append(
            "c AS (SELECT s.facet, s.value, s.listings - COALESCE(e.n, 0) AS n "
            f"FROM search_facets AS s LEFT JOIN e USING (facet, value) WHERE s.facet IN ({kept}))"
        )
        if whole:
            parts.append(
                f"SELECT 'facet:' || facet, value, n FROM c WHERE facet <> '{TOTAL}' AND n > 0"
            )
    if cut:
        parts += _top_cooperatives(query, params)
    # The first hits: the order's columns only (not the wide row), read from the table
    # itself, where the planner can walk the order's index and stop at the page (a filter
    # passed by a third of the rows: a hundred index entries, not a sort of every row it
    # passes: 20-30 % of the one-filter statement at 100k listings).
    columns = ["listing_id", *(term.split()[0] for term in [*lead, *rest])]
    passed = "" if filtered is None else f" AND {passes[filtered]}"
    rows = (
        f"(SELECT {', '.join(dict.fromkeys(columns))} FROM search_documents "
        f"WHERE expires_on >= {day}{passed} ORDER BY {order} LIMIT {int(limit)})"
    )
    paired = _paired(filtered, query, day, params) if filtered in PAIRED else None
    if filtered is None:
        parts.append(f"SELECT '{TOTAL}', 0, COALESCE(sum(n), 0) FROM c WHERE facet = '{TOTAL}'")
    elif paired is not None:
        ctes += paired[0]
        parts += paired[1]
    else:
        ctes.append(
            f"h AS MATERIALIZED (SELECT {ROW_COLUMNS} FROM search_documents "
            f"WHERE expires_on >= {day} AND {passes[filtered]})"
        )
        parts.append(f"SELECT '{TOTAL}', 0, count(*) FROM h")
        plain = [(name, column) for name, column in FACETS.items() if name != filtered]
        if filtered == "province":
            plain.append(PLACE_FACET)
        if query.facets and query.top_cooperatives and ("cooperative", "cooperative_id") in plain:
            plain.remove(("cooperative", "cooperative_id"))
            parts += _cooperatives("h", "TRUE", query, params)
        if query.facets:
            which = " ".join(
                f"WHEN GROUPING({column}) = 0 THEN 'facet:{name}'" for name, column in plain
            )
            parts.append(
                f"SELECT CASE {which} END, COALESCE({', '.join(c for _, c in plain)}), "
                f"count(*) FROM h GROUP BY GROUPING SETS "
                f"({', '.join(f'({column})' for _, column in plain)})"
            )
    parts.append(
        f"SELECT 'hit', listing_id, row_number() OVER (ORDER BY {order}) FROM {rows} AS top"
    )
    sql = f"WITH {', '.join(ctes)} " + " UNION ALL ".join(f"({part})" for part in parts)
    return Statement(sql, params.values)


def _whole_buckets(low: int | None, high: int | None) -> list[int]:
    """The price buckets (PRICE_BUCKETS' indexes) wholly inside the range low..high đồng."""
    return [
        index
        for index, (start, end) in enumerate(PRICE_BUCKETS)
        if (low is None or start >= low)
        and (end is None if high is None else end is not None and end - 1 <= high)
    ]


def _paired(
    filtered: str, query: SearchQuery, day: str, params: Params
) -> tuple[list[str], list[str]] | None:
    """CTEs and parts giving the total and the other facets of the catalog without text with
    one filter of PAIRED, from search_facet_pairs (search_facets for the total) instead of
    the rows it passes (a group: a third of the catalog, 40 ms at 100k listings): the counts
    within the filter's values, less the rows among them whose certificate has expired since
    they were written (few: the columns index starts with expires_on). A price range is
    counted as the price buckets it holds whole, plus the rows it passes of the buckets it
    holds in part (read through the price index); None when it holds none whole (its rows
    are read, as any other filter's)."""
    if filtered == "price":
        values = _whole_buckets(query.price_min, query.price_max)
        if not values:
            return None
        first, last = PRICE_BUCKETS[values[0]][0], PRICE_BUCKETS[values[-1]][1]
        whole = f"price >= {params.add(first)}" + (
            f" AND price < {params.add(last)}" if last is not None else ""
        )
        edges = []
        if query.price_min is not None and query.price_min < first:
            edges.append(f"price BETWEEN {params.add(query.price_min)} AND {params.add(first - 1)}")
        if last is not None and (query.price_max is None or query.price_max >= last):
            edges.append(
                f"price >= {params.add(last)}"
                + (
                    f" AND price <= {params.add(query.price_max)}"
                    if query.price_max is not None
                    else ""
                )
            )
    else:
        attribute, column = FILTERS[filtered]
        values = list(getattr(query, attribute))
        whole = f"{column} = ANY({params.add(values)})"
        edges = []
    others = pair_others(filtered)
    columns = ", ".join("price" if c == "price_bucket" else c for _, c in others)
    which = " ".join(f"WHEN GROUPING({_facet_expression(c)}) = 0 THEN '{o}'" for o, c in others)
    value = ", ".join([*(_facet_expression(c) for _, c in others), "0"])
    changed = (
        f"SELECT -1 AS n, {columns} FROM search_documents WHERE expires_on < {day} AND {whole}"
    )
    if edges:
        changed += (
            f" UNION ALL SELECT 1, {columns} FROM search_documents "
            f"WHERE expires_on >= {day} AND ({' OR '.join(f'({edge})' for edge in edges)})"
        )
    sets = ", ".join([*(f"({_facet_expression(c)})" for _, c in others), "()"])
    chosen = params.add(values)
    ctes = [
        # The rows counted otherwise than search_facet_pairs says: expired (-1), or in a
        # price bucket the range holds in part (+1), per facet value and in all.
        f"d AS MATERIALIZED (SELECT CASE {which} ELSE '{TOTAL}' END AS other, "
        f"COALESCE({value}) AS other_value, CAST(sum(n) AS int) AS n FROM ({changed}) AS changed "
        f"GROUP BY GROUPING SETS ({sets}))",
    ]

    def counted(where: str, by: str) -> str:
        """The counts of the other facets passing `where`, summed by `by`: the pairs' and
        `d`'s (the cooperatives apart, summed by their id alone: thousands of them)."""
        return (
            f"SELECT {by}, sum(n) AS n FROM (SELECT other, other_value, listings AS n "
            f"FROM search_facet_pairs WHERE facet = '{filtered}' AND value = ANY({chosen}) "
            f"AND {where} UNION ALL SELECT * FROM d WHERE {where}) AS counted GROUP BY {by}"
        )

    parts = [
        f"SELECT '{TOTAL}', 0, (SELECT COALESCE(sum(listings), 0) FROM search_facets "
        f"WHERE facet = '{filtered}' AND value = ANY({chosen})) + "
        f"COALESCE((SELECT sum(n) FROM d WHERE other = '{TOTAL}'), 0)"
    ]
    if query.facets:
        small = ", ".join(f"'{name}'" for name, _ in others if name != "cooperative")
        parts.append(
            "SELECT 'facet:' || other, other_value, n FROM ("
            + counted(f"other IN ({small})", "other, other_value")
            + ") AS small WHERE n > 0"
        )
        top = f" ORDER BY n DESC, other_value LIMIT {int(query.top_cooperatives)}"
        parts.append(
            "SELECT 'facet:cooperative', other_value, n FROM ("
            + counted("other = 'cooperative'", "other_value")
            + ") AS cooperatives WHERE n > 0"
            + (top if query.top_cooperatives else "")
        )
    return ctes, parts


def _top_cooperatives(query: SearchQuery, params: Params) -> list[str]:
    """Rows of the cooperative facet without its own filter (from search_facets, less the
    expired rows counted in `e`): its query.top_cooperatives most frequent values, then the
    lowest ids (search.query.cut_cooperative_facet's order), and the chosen ones. The first in
    (facet, listings DESC, value) order, skipping the cooperatives with expired rows, whose
    counts are taken apart: a dozen index entries, not one row per cooperative."""
    top = int(query.top_cooperatives)
    parts = [
        "SELECT 'facet:cooperative', value, n FROM ("
        "(SELECT s.value, s.listings AS n FROM search_facets AS s "
        "WHERE s.facet = 'cooperative' AND s.value NOT IN "
        "(SELECT value FROM e WHERE facet = 'cooperative') "
        f"ORDER BY s.listings DESC, s.value LIMIT {top}) "
        "UNION ALL (SELECT s.value, s.listings - e.n FROM e "
        "JOIN search_facets AS s USING (facet, value) WHERE e.facet = 'cooperative')"
        f") AS candidates WHERE n > 0 ORDER BY n DESC, value LIMIT {top}"
    ]
    if query.cooperative_ids:
        chosen = params.add(list(query.cooperative_ids))
        parts.append(
            "SELECT 'facet:cooperative', s.value, s.listings - COALESCE(e.n, 0) "
            "FROM search_facets AS s LEFT JOIN e USING (facet, value) "
            f"WHERE s.facet = 'cooperative' AND s.value = ANY({chosen}) "
            "AND s.listings - COALESCE(e.n, 0) > 0"
        )
    return parts


def clauses_exist_statement(
    plan: list[PlanClause], relaxed: bool, absent: AbstractSet[str] = frozenset()
) -> Statement:
    """One row: for each clause of the plan, does any listing hold it (whatever the filters
    and dates)? One round trip for the whole plan."""
    params = Params()
    columns = []
    for clause in plan:
        query, _ = clause_query(clause, relaxed, absent)
        columns.append(
            "FALSE"
            if query is None
            else "EXISTS (SELECT 1 FROM search_documents "
            f"WHERE document @@ {params.tsquery(query)})"
        )
    return Statement(f"SELECT {', '.join(columns) or 'TRUE'}", params.values)
