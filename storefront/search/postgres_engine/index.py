"""The PostgreSQL engine object: writes search rows (in the caller's transaction or its
own), answers searches with one statement per pass, and knows its words from search_words."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import date
from itertools import pairwise
from typing import Any

from sqlalchemy import Connection, Table, TextClause, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.schema import CreateIndex

from storefront.models.search import SAMPLE_EVERY, SPARSE_SAMPLE_EVERY, SearchDocument
from storefront.search.analysis import query_terms
from storefront.search.postgres_engine.rows import (
    CODES,
    WORD_CODES,
    code_key,
    document_row,
    key,
    quote,
    row_words,
)
from storefront.search.postgres_engine.sql import (
    COUNT_PAIRS,
    FACET_COLUMNS,
    FACET_EXPRESSIONS,
    FACETS,
    PLACE_FACET,
    TOTAL,
    Statement,
    clause_query,
    clause_reach,
    clauses_exist_statement,
    filter_values,
    likely_matches,
    page_statement,
    row_facet_values,
    row_facets,
    row_pairs,
    search_statement,
)
from storefront.search.query import (
    FEW_RESULTS,
    ListingDocument,
    SearchQuery,
    SearchResult,
    cut_cooperative_facet,
)
from storefront.search.understanding import (
    MAX_PHRASE,
    decode_keys,
    known_word,
    phrase_words,
    place_key,
)
from storefront.search.whoosh_engine.index import (
    anchor_clause,
    drop_unknown,
    fuzzy_distance,
    only_filtered_out,
    optional_clause,
    product_alone,
    suggest_text,
)
from storefront.search.whoosh_engine.matching import (
    PREFIX_FIELDS,
    PlanClause,
    fuzzy_lookups,
    may_be_unfinished,
    minimum_clauses,
    plan_query,
    required_count,
)
from storefront.search.whoosh_engine.segments import edit_distance

logger = logging.getLogger(__name__)

# The same thresholds as the Whoosh engine (whoosh_engine/index.py).
SUGGEST_SHORT_WORD = 4
KNOWN_FIELDS = ("name", "product", "place", "extra", "body")
FUZZY_FIELDS = ("name", "product", "place", "extra")
FUZZY_TERMS = 8
PREFIX_TERMS = 12
PREFIX_ASKED = PREFIX_FIELDS  # the fields a short last word's completions are looked up in
# Candidates read per word for a correction, most similar (trigrams) first; the edit
# distance then decides among them.
TRIGRAM_CANDIDATES = 300
# How long a rebuild's swap waits for the searches holding the table (the new ones wait
# behind it meanwhile) before it copies the rows in instead.
SWAP_WAIT_MS = 2000
_LOCK_NOT_AVAILABLE = "55P03"
# Past this many matches a search's total and facets are counted on its sample slice
# (SAMPLE_EVERY) and scaled: estimates (SearchResult.estimated), the hits still exact. Reading
# and counting every match of a broad word costs about 1 µs a row at 100k listings: 15-45 ms
# for "đặc sản" or a one-letter misspelling, before any scoring.
EXACT_COUNTS_UP_TO = 5000
# Past this many times EXACT_COUNTS_UP_TO likely matches, the sparser sample: its one
# listing in 64 of 40,000 matches is 600 rows, where one in 8 read 5,000 (a one-letter
# misspelling at 100k listings: 10 ms).
SPARSE_FROM = 8
REBUILD_MEMORY = "256MB"  # maintenance_work_mem while a rebuild builds its indexes
_DOCUMENTS: Table = SearchDocument.__table__  # type: ignore[assignment]

Loader = Callable[[set[int]], dict[int, ListingDocument]]
SessionLoader = Callable[[Session, set[int]], dict[int, ListingDocument]]
Connect = Callable[[], AbstractContextManager[Connection]]

_COLUMNS = (
    "listing_id",
    "document",
    "ocop_group",
    "stars",
    "province_code",
    "commune_code",
    "cooperative_id",
    "price",
    "created_at",
    "expires_on",
    "name_words",
    "in_stock",
    "rating_band",
    "rating_tenths",
    "rating_count",
    "sold",
)
_VALUES = ", ".join("CAST(:document AS tsvector)" if c == "document" else f":{c}" for c in _COLUMNS)
_UPSERT = text(
    f"INSERT INTO search_documents ({', '.join(_COLUMNS)}) VALUES ({_VALUES}) "
    "ON CONFLICT (listing_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS if c != "listing_id")
)
_OLD_ROWS = text(
    f"SELECT listing_id, tsvector_to_array(document), {FACET_COLUMNS}, {PLACE_FACET[1]} "
    "FROM search_documents WHERE listing_id = ANY(:ids) FOR UPDATE"
)
_DELETE = text("DELETE FROM search_documents WHERE listing_id = ANY(:ids)")
_ADD_WORDS = text(
    "INSERT INTO search_words (field, word, listings) "
    "SELECT * FROM unnest(CAST(:fields AS varchar[]), CAST(:words AS varchar[]), "
    "CAST(:counts AS int[])) ORDER BY 1, 2 "
    "ON CONFLICT (field, word) DO UPDATE SET listings = search_words.listings + excluded.listings"
)
_DROP_WORDS = text(
    "DELETE FROM search_words WHERE (field, word) IN (SELECT * FROM unnest("
    "CAST(:fields AS varchar[]), CAST(:words AS varchar[]))) AND listings <= 0"
)
_ADD_FACETS = text(
    "INSERT INTO search_facets (facet, value, listings) "
    "SELECT * FROM unnest(CAST(:facets AS varchar[]), CAST(:values AS int[]), "
    "CAST(:counts AS int[])) ORDER BY 1, 2 "
    "ON CONFLICT (facet, value) DO UPDATE SET listings = search_facets.listings + excluded.listings"
)
_DROP_FACETS = text(
    "DELETE FROM search_facets WHERE (facet, value) IN (SELECT * FROM unnest("
    f"CAST(:facets AS varchar[]), CAST(:values AS int[]))) AND listings <= 0 AND facet <> '{TOTAL}'"
)
_ADD_PAIRS = text(
    "INSERT INTO search_facet_pairs (facet, value, other, other_value, listings) "
    "SELECT * FROM unnest(CAST(:facets AS varchar[]), CAST(:values AS int[]), "
    "CAST(:others AS varchar[]), CAST(:other_values AS int[]), CAST(:counts AS int[])) "
    "ORDER BY 1, 2, 3, 4 "
    "ON CONFLICT (facet, value, other, other_value) "
    "DO UPDATE SET listings = search_facet_pairs.listings + excluded.listings"
)
_DROP_PAIRS = text(
    "DELETE FROM search_facet_pairs WHERE (facet, value, other, other_value) IN (SELECT * FROM "
    "unnest(CAST(:facets AS varchar[]), CAST(:values AS int[]), CAST(:others AS varchar[]), "
    "CAST(:other_values AS int[]))) AND listings <= 0"
)
_COUNT_FACETS = text(
    "INSERT INTO search_facets (facet, value, listings) "
    "SELECT CASE "
    + " ".join(
        f"WHEN GROUPING({column}) = 0 THEN '{name}'"
        for name, column in zip(FACETS, FACET_EXPRESSIONS, strict=True)
    )
    + f" ELSE '{TOTAL}' END, COALESCE({FACET_COLUMNS}, 0), count(*) FROM search_documents "
    f"GROUP BY GROUPING SETS ({', '.join(f'({c})' for c in FACET_EXPRESSIONS)}, ())"
)
_BUMP = text(
    "INSERT INTO search_state (id, generation) VALUES (1, 1) "
    "ON CONFLICT (id) DO UPDATE SET generation = search_state.generation + 1"
)
_GENERATION = text("SELECT generation FROM search_state WHERE id = 1")
# The planner prices a tsquery test at one operator whatever its size, so for a query of
# many keys (a long query, a fuzzy pass: 50-100 keys) or an EXISTS it prefers reading every
# wide row and testing it to reading the GIN index: 250 ms instead of 3 at 20k listings.
# A search with text is planned with sequential scans off (SET LOCAL, in its first statement:
# _Search.begin; put back after).
_SET_SEQSCAN = text("SELECT set_config('enable_seqscan', :value, true)")
# How many listings hold some facet values (search_facets), and how many there are (TOTAL).
_FACET_COUNTS = (
    "SELECT facet, value, listings FROM search_facets WHERE (facet, value) IN "
    "(SELECT * FROM unnest(CAST(:facets AS varchar[]), CAST(:values AS int[])))"
)
# A pair of words some listing's name or phrase holds (a rare key: the GIN index answers).
_PAIRED = text(
    "SELECT EXISTS (SELECT 1 FROM search_documents WHERE document @@ CAST(:pair AS tsquery))"
)


class PostgresSearchIndex:
    """Public listings as rows of search_documents, searched with SQL.

    `connect()` gives a connection to read with (the app passes its request session's);
    `begin()` one in a transaction of its own, for writes made outside a domain commit;
    `autocommit()` one outside any transaction (VACUUM after a rebuild).
    """

    write_timeout = 0.0

    def __init__(
        self,
        connect: Connect,
        begin: Connect,
        autocommit: Connect,
        *,
        in_transaction: bool = True,
        exact_counts_up_to: int = EXACT_COUNTS_UP_TO,
    ) -> None:
        self._connect = connect
        self._begin = begin
        self._autocommit = autocommit  # for VACUUM, which runs outside a transaction
        self.in_transaction = in_transaction  # write search rows inside catalog commits
        self.exact_counts_up_to = exact_counts_up_to  # see EXACT_COUNTS_UP_TO

    # writing -------------------------------------------------------------------------------

    def write(
        self,
        connection: Connection,
        listing_ids: Iterable[int],
        documents: dict[int, ListingDocument],
    ) -> None:
        """Make the rows of these listings what `documents` says (absent: not public), in
        `connection`'s transaction."""
        ids = sorted({int(i) for i in listing_ids})
        if not ids:
            return
        delta: Counter[tuple[str, str]] = Counter()
        counts: Counter[tuple[str, int]] = Counter()
        pairs: Counter[tuple[str, int, str, int]] = Counter()
        for _listing_id, lexemes, *values, commune in connection.execute(_OLD_ROWS, {"ids": ids}):
            delta.subtract(row_words(list(lexemes)))
            counts.subtract([(TOTAL, 0), *zip(FACETS, values, strict=True)])
            pairs.subtract(
                row_pairs(dict(zip(FACETS, values, strict=True)) | {PLACE_FACET[0]: commune})
            )
        gone = [i for i in ids if i not in documents]
        if gone:
            connection.execute(_DELETE, {"ids": gone})
        added: Counter[tuple[str, str]] = Counter()
        rows = [document_row(documents[i], added) for i in ids if i in documents]
        if rows:
            connection.execute(_UPSERT, rows)
        delta.update(added)
        for row in rows:
            counts.update(row_facets(row))
            pairs.update(row_pairs(row_facet_values(row)))
        _apply_delta(connection, delta, _WORD_KEYS, _ADD_WORDS, _DROP_WORDS)
        _apply_delta(connection, counts, _FACET_KEYS, _ADD_FACETS, _DROP_FACETS)
        _apply_delta(connection, pairs, _PAIR_KEYS, _ADD_PAIRS, _DROP_PAIRS)
        connection.execute(_BUMP)

    def write_in_transaction(
        self, session: Session, listing_ids: set[int], load: SessionLoader
    ) -> bool:
        """Write the rows of these listings inside `session`'s transaction, from what that
        transaction itself sees (`load` reads the public ones on a session of its own bound
        to the same connection, so the caller's session is left as it was)."""
        if not self.in_transaction:
            return False
        connection = session.connection()
        with Session(bind=connection) as reader:
            documents = load(reader, listing_ids)
        self.write(connection, listing_ids, documents)
        return True

    def apply(self, listing_ids: Iterable[int], load: Loader, timeout: float | None = None) -> bool:
        ids = {int(i) for i in listing_ids}
        if not ids:
            return True
        documents = load(ids)
        with self._begin() as connection:
            self.write(connection, ids, documents)
        return True

    def remove(self, listing_ids: Iterable[int], timeout: float | None = None) -> bool:
        ids = {int(i) for i in listing_ids}
        if ids:
            with self._begin() as connection:
                self.write(connection, ids, {})
        return True

    def rebuild(
        self,
        batches: Iterable[Sequence[ListingDocument]],
        progress: Callable[[int], None] | None = None,
        timeout: float = 60.0,
    ) -> int:
        """Replace every row in one transaction: the rows are copied into a loading table with
        no index, written from there into a fresh table in the order of their folded names
        (a product kind's listings share pages: a search for it reads a third as many, most
        already in memory), its indexes built once at the end, and the fresh table put in the
        old one's place. Row by row into the live indexes took nearly four times as long at
        100k listings. (Rows a change writes later go where there is room: the order holds
        until the next rebuild, as a CLUSTER would.)

        Readers see the old rows until it commits. Writers wait from the start (the old table
        is locked EXCLUSIVE, which readers pass): a commit that changes a listing meanwhile
        writes its row into the new table once the rebuild has committed, so it is kept. The
        swap (DROP and RENAME) waits for the searches running then and holds new ones back
        until the commit; if it cannot have the table within SWAP_WAIT (a long transaction
        has read it: a report, or the caller's own session), the rows are copied into the old
        table instead (DELETE and INSERT: the row-by-row way, slower but needing no more than
        writers do)."""
        count = 0
        words: Counter[tuple[str, str]] = Counter()
        fresh, loading = f"{_DOCUMENTS.name}_next", f"{_DOCUMENTS.name}_load"
        columns = ", ".join(_COLUMNS)
        with self._begin() as connection:
            connection.execute(text(f"LOCK TABLE {_DOCUMENTS.name} IN EXCLUSIVE MODE"))
            connection.execute(text(f"SET LOCAL maintenance_work_mem = '{REBUILD_MEMORY}'"))
            connection.execute(text(f"SET LOCAL work_mem = '{REBUILD_MEMORY}'"))  # the sort
            for table, kind in ((loading, "UNLOGGED TABLE"), (fresh, "TABLE")):
                connection.execute(text(f"DROP TABLE IF EXISTS {table}"))
                connection.execute(
                    text(
                        f"CREATE {kind} {table} (LIKE {_DOCUMENTS.name} "
                        "INCLUDING DEFAULTS INCLUDING STORAGE)"
                    )
                )
            connection.execute(text(f'ALTER TABLE {loading} ADD COLUMN locality text COLLATE "C"'))
            cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
            with cursor.copy(f"COPY {loading} ({columns}, locality) FROM STDIN (FREEZE)") as copy:
                for batch in batches:
                    for document in batch:
                        row = document_row(document, words)
                        copy.write_row([*(row[c] for c in _COLUMNS), row["locality"]])
                    count += len(batch)
                    if progress is not None:
                        progress(len(batch))
            connection.execute(
                text(
                    f"INSERT INTO {fresh} ({columns}) SELECT {columns} FROM {loading} "
                    "ORDER BY locality, listing_id"
                )
            )
            connection.execute(text(f"DROP TABLE {loading}"))
            _index(connection, _DOCUMENTS, fresh)
            try:
                with connection.begin_nested():
                    connection.execute(text(f"SET LOCAL lock_timeout = '{SWAP_WAIT_MS}ms'"))
                    _swap_in(connection, _DOCUMENTS, fresh)
            except DBAPIError as error:
                if getattr(error.orig, "sqlstate", None) != _LOCK_NOT_AVAILABLE:
                    raise
                _copy_in(connection, _DOCUMENTS, fresh)
            connection.execute(text("SET LOCAL lock_timeout TO DEFAULT"))
            connection.execute(text("DELETE FROM search_words"))
            _apply_delta(connection, words, _WORD_KEYS, _ADD_WORDS, _DROP_WORDS)
            connection.execute(text("DELETE FROM search_facets"))
            connection.execute(_COUNT_FACETS)
            connection.execute(text("DELETE FROM search_facet_pairs"))
            connection.execute(text(COUNT_PAIRS))
            connection.execute(_BUMP)
        with self._autocommit() as connection:
            # (VACUUM marks the pages all-visible, for the index-only scans of the columns
            # indexes.)
            connection.execute(text(f"VACUUM ANALYZE {_DOCUMENTS.name}"))
            for table in ("search_words", "search_facets", "search_facet_pairs"):
                connection.execute(text(f"ANALYZE {table}"))
        return count

    def drain(self, load: Loader, timeout: float = 0.0) -> bool:
        return True  # nothing is ever queued: writes wait for row locks instead

    def drain_if_due(self, load: Loader) -> None:
        return None

    # reading -------------------------------------------------------------------------------

    def generation(self) -> int:
        with self._connect() as connection:
            return int(connection.execute(_GENERATION).scalar() or 0)

    def search(self, query: SearchQuery, today: date) -> SearchResult:
        query = query.normalized()
        with self._connect() as connection:
            # Without text the columns' btrees serve, whatever the planner's costs.
            result = _Search(connection, self.exact_counts_up_to).run(
                query, today, no_seqscan=bool(query.text.strip())
            )
        if "cooperative" in result.facets:  # (the catalog's statement reads no more already)
            result.facets["cooperative"] = cut_cooperative_facet(
                result.facets["cooperative"], query.top_cooperatives, query.cooperative_ids
            )
        return result

    def words_starting(self, folded: str) -> list[str]:
        with self._connect() as connection:
            return _Search(connection).prefixed(folded)

    def doc_count(self) -> int:
        with self._connect() as connection:
            return int(
                connection.execute(text("SELECT count(*) FROM search_documents")).scalar() or 0
            )

    def indexed_ids(self) -> set[int]:
        with self._connect() as connection:
            return set(
                connection.execute(text("SELECT listing_id FROM search_documents")).scalars()
            )

    def close(self) -> None:
        return None


def _index(connection: Connection, table: Table, fresh: str) -> None:
    """Give `fresh` the primary key and indexes of `table` (its model's), under the same
    names + "_next"."""
    key = str(table.primary_key.name)
    columns = ", ".join(c.name for c in table.primary_key.columns)
    connection.execute(
        text(f"ALTER TABLE {fresh} ADD CONSTRAINT {key}_next PRIMARY KEY ({columns})")
    )
    for index in sorted(table.indexes, key=lambda i: str(i.name)):
        # (Compiled for the driver, "%" doubled: text() doubles it again itself.)
        ddl = str(CreateIndex(index).compile(dialect=connection.dialect)).replace("%%", "%")
        head = f"CREATE INDEX {index.name} ON {table.name} "
        assert ddl.startswith(head), ddl
        connection.execute(text(f"CREATE INDEX {index.name}_next ON {fresh} {ddl[len(head) :]}"))


def _swap_in(connection: Connection, table: Table, fresh: str) -> None:
    """Drop `table`, and rename `fresh` and its indexes to what `table`'s were."""
    connection.execute(text(f"DROP TABLE {table.name}"))
    connection.execute(text(f"ALTER TABLE {fresh} RENAME TO {table.name}"))
    names = [str(table.primary_key.name), *(str(index.name) for index in table.indexes)]
    for name in names:  # (an index behind a constraint renames the constraint too)
        connection.execute(text(f"ALTER INDEX {name}_next RENAME TO {name}"))


def _copy_in(connection: Connection, table: Table, fresh: str) -> None:
    """Replace `table`'s rows with `fresh`'s, in place."""
    columns = ", ".join(c.name for c in table.columns)
    connection.execute(text(f"DELETE FROM {table.name}"))
    connection.execute(text(f"INSERT INTO {table.name} ({columns}) SELECT {columns} FROM {fresh}"))
    connection.execute(text(f"DROP TABLE {fresh}"))


# (The key columns a counts table's delta statements take, in the delta's key order.)
_WORD_KEYS = ("fields", "words")
_FACET_KEYS = ("facets", "values")
_PAIR_KEYS = ("facets", "values", "others", "other_values")


def _apply_delta(
    connection: Connection,
    delta: Counter[Any],
    names: tuple[str, ...],
    add: TextClause,
    drop: TextClause,
) -> None:
    """Add `delta` to a counts table (search_words, search_facets, search_facet_pairs) in
    key order (concurrent writers lock its rows in the same order), then delete the rows it
    took to zero. `names` are the statements' array parameters, one per part of a key."""
    changed = sorted((k, n) for k, n in delta.items() if n)
    if not changed:
        return

    def arrays(keys: list[tuple]) -> dict[str, list]:
        return dict(zip(names, map(list, zip(*keys, strict=True)), strict=True))

    connection.execute(
        add, {**arrays([k for k, _n in changed]), "counts": [n for _k, n in changed]}
    )
    dropped = [k for k, n in changed if n < 0]
    if dropped:
        connection.execute(drop, arrays(dropped))


class _Search:
    """One search on one connection: its word look-ups remembered while it runs."""

    def __init__(self, connection: Connection, exact_counts_up_to: int = 0) -> None:
        self.connection = connection
        self.exact_counts_up_to = exact_counts_up_to  # 0: every count exact
        self._fields: dict[str, set[str]] = {}  # word → field codes holding it
        self._listings: dict[str, int] = {}  # key ("n/gao") → how many listings hold it
        # Statements already answered in this search: a pass whose statement is the same as
        # an earlier one's (the relaxed pass of a plan with no relaxed lookup, the existence
        # checks asked again) is not run twice.
        self._answered: dict[str, object] = {}
        self._started: dict[tuple[str, tuple[str, ...], int], set[str]] = {}
        self._near: dict[tuple[str, tuple[str, ...], int], Counter[str]] = {}

    # words ---------------------------------------------------------------------------------

    def begin(self, text_: str, no_seqscan: bool) -> str | None:
        """The first statement of a search, what would otherwise be three or four (at 0.5-1
        ms each): the words the query's understanding asks about (_candidate_words), the
        words a short last word may begin (`prefixed`) with theirs, and with `no_seqscan`
        sequential scans off for the statements after it (its value before returned)."""
        words = sorted({w for w in _candidate_words(text_) if w})
        terms = query_terms(text_)
        last = terms[-1].folded if len(terms) > 1 else ""
        prefix = last if may_be_unfinished(last) else None
        if not words and not no_seqscan:
            return None
        params: dict[str, Any] = {"fields": sorted(WORD_CODES), "words": words}
        started = ""
        parts = []
        if prefix is not None:
            started_sql, started_params = _starting_statement(prefix, PREFIX_ASKED, PREFIX_TERMS)
            started = f"WITH started AS MATERIALIZED ({started_sql}) "
            params |= started_params
            parts.append("SELECT 'started', word, '', 0 FROM started")
        if words or prefix is not None:
            also = " || ARRAY(SELECT word FROM started)" if prefix is not None else ""
            parts.insert(
                0,
                "SELECT 'word', word, field, listings FROM search_words "
                f"WHERE field = ANY(:fields) AND word = ANY(CAST(:words AS varchar[]){also}) "
                "AND listings > 0",
            )
        if no_seqscan:
            parts.append(
                "SELECT 'setting', current_setting('enable_seqscan'), "
                "set_config('enable_seqscan', 'off', true), 0"
            )
        rows = self.connection.execute(
            text(started + " UNION ALL ".join(f"({part})" for part in parts)), params
        ).all()
        for w in words:
            self._fields.setdefault(w, set())
        previous = None
        completions: set[str] = set()
        for kind, word, code, listings in rows:
            if kind == "setting":
                previous = word
            elif kind == "started":
                completions.add(word)
            else:
                self._fields.setdefault(word, set()).add(code)
                self._listings[code_key(code, word)] = int(listings)
        if prefix is not None:
            for w in completions:
                self._fields.setdefault(w, set())
            self._started[(prefix, PREFIX_ASKED, PREFIX_TERMS)] = completions
        return previous

    def _prefetch(self, words: Iterable[str]) -> None:
        missing = sorted({w for w in words if w and w not in self._fields})
        if not missing:
            return
        for w in missing:
            self._fields[w] = set()
        rows = self.connection.execute(
            text(
                "SELECT word, field, listings FROM search_words WHERE field = ANY(:fields) "
                "AND word = ANY(:words) AND listings > 0"
            ),
            {"fields": sorted(WORD_CODES), "words": missing},
        )
        for word, code, listings in rows:
            self._fields[word].add(code)
            self._listings[code_key(code, word)] = int(listings)

    def _codes(self, word: str) -> set[str]:
        if word not in self._fields:
            self._prefetch([word])
        return self._fields[word]

    def _in_names(self, folded: str) -> bool:
        """True when some listing's name or product type holds this folded word."""
        return bool(self._codes(folded) & {CODES["name"], CODES["product"]})

    def is_known(self, folded: str) -> bool:
        return bool(self._codes(folded) & {CODES[f] for f in KNOWN_FIELDS})

    def is_place(self, key: str) -> bool:
        return CODES["place_phrase"] in self._codes(key)

    def _absent(self, plan: list[PlanClause]) -> frozenset[str]:
        """The plan's keys ("n/incense") that no listing holds, as search_words says for
        its fields (the other fields' keys are taken as held): left out of the statements'
        match and score, so a row is not tested for them, and a clause whose keys are all
        absent needs no statement to know it matches nothing. (The rows and the words are
        written in the same transaction.)"""
        lookups = [
            lookup
            for clause in plan
            for alternative in clause.alternatives
            for word in alternative
            for lookup in word.lookups
            if CODES[lookup.fieldname] in WORD_CODES
        ]
        self._prefetch(lookup.text for lookup in lookups)
        return frozenset(
            key(lookup.fieldname, lookup.text)
            for lookup in lookups
            if lookup.text in self._fields
            and CODES[lookup.fieldname] not in self._fields[lookup.text]
        )

    def _starting(self, folded: str, fieldnames: Sequence[str], limit: int) -> set[str]:
        """Up to `limit` words of each of these fields that begin with `folded`: one
        statement for all the fields, asked once per search."""
        asked = (folded, tuple(fieldnames), limit)
        if asked not in self._started:
            sql, params = _starting_statement(folded, tuple(fieldnames), limit)
            self._started[asked] = (
                set(self.connection.execute(text(sql), params).scalars()) if fieldnames else set()
            )
        return set(self._started[asked])

    def prefixed(self, folded: str) -> list[str]:
        """Name and product words a short last word may be the beginning of."""
        found = self._starting(folded, PREFIX_ASKED, PREFIX_TERMS)
        found.discard(folded)
        return sorted(found)[:PREFIX_TERMS]

    def near(self, folded: str, fieldnames: Sequence[str], maxdist: int) -> Counter[str]:
        """Words of these fields within `maxdist` edits (same first letter), with how many
        listings hold them: candidates by trigram similarity, then the edit distance. Asked
        once per search (a word no listing holds is looked up by the fixable check, the
        fuzzy pass and each did-you-mean: 2-4 ms each, ten times for "laptop gaming")."""
        asked = (folded, tuple(fieldnames), maxdist)
        if asked not in self._near:
            self._near[asked] = self._look_near(folded, fieldnames, maxdist)
        return Counter(self._near[asked])

    def _look_near(self, folded: str, fieldnames: Sequence[str], maxdist: int) -> Counter[str]:
        rows = self.connection.execute(
            text(
                "SELECT word, sum(listings) FROM search_words WHERE field = ANY(:fields) "
                "AND substr(word, 1, 1) = :first AND length(word) BETWEEN :shortest AND :longest "
                "AND listings > 0 GROUP BY word ORDER BY similarity(word, :word) DESC, word "
                "LIMIT :limit"
            ),
            {
                "fields": [CODES[f] for f in fieldnames],
                "first": folded[0],
                "shortest": len(folded) - maxdist,
                "longest": len(folded) + maxdist,
                "word": folded,
                "limit": TRIGRAM_CANDIDATES,
            },
        )
        return Counter(
            {
                word: int(listings)
                for word, listings in rows
                if word != folded and edit_distance(folded, word, maxdist) <= maxdist
            }
        )

    # the search ----------------------------------------------------------------------------

    def run(self, query: SearchQuery, today: date, no_seqscan: bool = False) -> SearchResult:
        previous = self.begin(query.text, no_seqscan)
        result = self._search(query, today)
        # (After an error the transaction is rolled back, which undoes the SET LOCAL too.)
        if previous is not None and previous != "off":
            self.connection.execute(_SET_SEQSCAN, {"value": previous})
        return result

    def _search(self, query: SearchQuery, today: date) -> SearchResult:
        """The passes of WhooshSearchIndex._search, in the same order and with the same
        rules (see there); which clauses some listing holds is asked of the database
        (`_known`) where Whoosh notes it while matching."""
        plan = plan_query(query.text, self.is_known, self.is_place, self.prefixed)
        result = self._run(plan, query, today)
        unfiltered = result.unfiltered
        relaxed = False
        if plan and result.total < FEW_RESULTS:
            relaxed = True
            result = self._run(plan, query, today, relaxed=True)
        known: list[bool] | None = None
        if plan and only_filtered_out(result, unfiltered):
            return result
        if plan and result.total == 0:
            known = self._known(plan, True)
            if self._drop_unknown(plan, known):
                result = self._run(plan, query, today, relaxed=True)
        minimum = minimum_clauses(required_count(plan))
        anchor = None
        if plan and result.total == 0:
            anchor = anchor_clause(plan, known or self._known(plan, True), self._in_names)
        if plan and result.total == 0 and minimum < required_count(plan):
            result = self._run(plan, query, today, minimum, True)
        unfixed: list[bool] | None = None
        if plan and result.total == 0 and self._fuzzy(plan):
            result = self._run(plan, query, today, relaxed=True)
            if result.total == 0 and minimum < required_count(plan):
                result = self._run(plan, query, today, minimum, True)
            if result.total == 0:
                unfixed = self._known(plan, True)
        if plan and result.total == 0 and anchor is not None and not query.exact:
            alone = product_alone(plan, anchor, self.is_known)
            if alone is not None:
                result = self._run(alone, query, today, None, True)
                if result.total:
                    result.corrected = " ".join(w.term.surface for w in anchor.words)
                    result.suggestion = result.corrected
                    return result
        suggestion = self._suggest(plan) if plan else None
        if result.total == 0 and plan and not query.exact:
            for corrected in dict.fromkeys((suggestion, self._suggest(plan, known_too=True))):
                if not corrected:
                    continue
                self._prefetch(_candidate_words(corrected))
                retry = self._search(replace(query, text=corrected, exact=True), today)
                if retry.total:
                    retry.corrected = retry.suggestion = corrected
                    return retry
        if result.total == 0 and unfixed and self._drop_unknown(plan, unfixed, corrections=False):
            result = self._run(plan, query, today, relaxed=True)
        if suggestion and result.total:
            held = known if known is not None else self._known(plan, relaxed)
            answered = [k or optional_clause(c) for k, c in zip(held, plan, strict=True)]
            if all(answered):
                suggestion = None
        result.suggestion = suggestion
        return result

    def _drop_unknown(
        self, plan: list[PlanClause], known: list[bool], corrections: bool = True
    ) -> bool:
        return drop_unknown(plan, known, self.is_known, self._fixable, corrections)

    def _fixable(self, folded: str) -> bool:
        if self.is_known(folded) or not folded.isalpha():
            return False
        maxdist = fuzzy_distance(folded)
        return bool(maxdist and self.near(folded, FUZZY_FIELDS, maxdist))

    def _known(self, plan: list[PlanClause], relaxed: bool) -> list[bool]:
        """For each clause, does some listing hold it (whatever the filters and dates)?"""
        if not plan:
            return []
        absent = self._absent(plan)
        # Answered without the database where search_words tells (held), or where no key of
        # the clause is held (not held); the others are asked in one statement.
        known: list[bool | None] = [
            True
            if self._held_by_a_word(clause, relaxed, absent)
            else False
            if clause_query(clause, relaxed, absent)[0] is None
            else None
            for clause in plan
        ]
        asked = [clause for clause, held in zip(plan, known, strict=True) if held is None]
        if not asked:
            return [bool(held) for held in known]
        statement = clauses_exist_statement(asked, relaxed, absent)
        key = _statement_key(statement.sql, statement.params)
        if key not in self._answered:
            row = self.connection.execute(text(statement.sql), statement.params).one()
            self._answered[key] = [bool(held) for held in row]
        answers = iter(self._answered[key])  # type: ignore[call-overload]
        return [next(answers) if held is None else held for held in known]

    def _held_by_a_word(self, clause: PlanClause, relaxed: bool, absent: frozenset[str]) -> bool:
        """True when search_words shows some listing holds the clause: one of its
        alternatives is a single word, one of whose matching keys is a search_words field's
        and held. (An EXISTS over the GIN index builds the whole bitmap of a common word to
        find one row: 25-90 ms at 100k listings.)"""
        return any(
            len(alternative) == 1
            and any(
                lookup.matches
                and (relaxed or not lookup.relaxed)
                and CODES[lookup.fieldname] in WORD_CODES
                and key(lookup.fieldname, lookup.text) not in absent
                and CODES[lookup.fieldname] in self._fields.get(lookup.text, ())
                for lookup in alternative[0].lookups
            )
            for alternative in clause.alternatives
        )

    def _run(
        self,
        plan: list[PlanClause],
        query: SearchQuery,
        today: date,
        minimum: int | None = None,
        relaxed: bool = False,
    ) -> SearchResult:
        limit = query.page * query.per_page
        facets: dict[str, dict[int, int]] = {facet: {} for facet in FACETS}
        result = SearchResult(
            ids=[], total=0, facets=facets, page=query.page, per_page=query.per_page
        )
        absent = self._absent(plan)
        rows: list = []
        every = self._sample(plan, query, minimum, relaxed, absent)
        if every:
            sampled = self._rows(
                search_statement(
                    plan, query, today, limit, None, relaxed, absent, self._listings, every
                )
            )
            if sum(n for kind, _, n in sampled if kind == "total") * every > (
                self.exact_counts_up_to
            ):
                result.estimated = True
                bound = next((value for kind, value, _ in sampled if kind == "bound"), None)
                rows = [(kind, value, n * every) for kind, value, n in sampled]
                rows += self._rows(
                    page_statement(plan, query, today, limit, relaxed, absent, bound)
                )
        if not result.estimated:
            rows = self._rows(
                search_statement(
                    plan, query, today, limit, minimum, relaxed, absent, self._listings
                )
            )
        hits = []
        for kind, value, n in rows:
            if kind == "total":
                result.total = int(n)
            elif kind == "unfiltered":
                result.unfiltered = int(n)
            elif kind == "bound":
                continue
            elif kind == "hit":
                hits.append((int(n), int(value)))
            else:
                facets.setdefault(kind.removeprefix("facet:"), {})[int(value)] = int(n)
        hits.sort()
        # (An estimate is never below the hits found.)
        result.total = max(result.total, len(hits))
        start = (query.page - 1) * query.per_page
        result.ids = [listing_id for _rank, listing_id in hits[start:]]
        return result

    def _rows(self, statement: Statement | None) -> list:
        """The rows of a statement, run once per search (None: no listing can match)."""
        if statement is None:
            return []
        key = _statement_key(statement.sql, statement.params)
        if key not in self._answered:
            self._answered[key] = self.connection.execute(
                text(statement.sql), statement.params
            ).all()
        return self._answered[key]  # type: ignore[return-value]

    def _sample(
        self,
        plan: list[PlanClause],
        query: SearchQuery,
        minimum: int | None,
        relaxed: bool,
        absent: frozenset[str],
    ) -> int:
        """The sample a counted pass of every clause is counted on (SAMPLE_EVERY; for tens of
        thousands of matches SPARSE_SAMPLE_EVERY), when it likely matches more listings than
        are counted exactly (exact_counts_up_to), by search_words' and search_facets' counts
        (likely_matches); else 0. The sample then says: a wrong guess costs the sample's
        statement one way and the exact count's time the other. A cover pass, of few
        matches, is always exact."""
        limit = self.exact_counts_up_to
        if not (limit and plan and query.count and minimum is None):
            return 0
        required = [c for c in plan if not optional_clause(c)] or plan
        reaches = [clause_reach(c, relaxed, absent, self._listings) for c in required]
        if min(reaches) <= limit:
            return 0
        likely = likely_matches(reaches, self._shares(query))
        if likely <= limit:
            return 0
        return SPARSE_SAMPLE_EVERY if likely >= SPARSE_FROM * limit else SAMPLE_EVERY

    def _shares(self, query: SearchQuery) -> dict[str, float]:
        """How many listings there are (TOTAL), and the share of them each filtered facet's
        chosen values hold (search_facets: filter_values)."""
        chosen = filter_values(query)
        asked = [(TOTAL, 0), *chosen]
        params = {"facets": [f for f, _ in asked], "values": [v for _, v in asked]}
        counts = {
            (facet, int(value)): int(n)
            for facet, value, n in self._rows(Statement(_FACET_COUNTS, params))
        }
        total = counts.get((TOTAL, 0), 0)
        shares: dict[str, float] = {TOTAL: float(total)}
        for facet, value in chosen:
            shares[facet] = shares.get(facet, 0.0) + counts.get((facet, value), 0) / max(total, 1)
        return shares

    def _fuzzy(self, plan: list[PlanClause]) -> bool:
        """WhooshSearchIndex._fuzzy: unknown typed words also match indexed words spelt
        nearly like them, closest first (then the most held), and the last word the words it
        begins; shopping filler never."""
        changed = False
        content = [c for c in plan if not (c.clause is not None and c.clause.filler)]
        last = content[-1].words[-1] if content else None
        for clause in content:
            for word in clause.words:
                folded = word.term.folded
                if self.is_known(folded) or known_word(folded) or not folded.isalpha():
                    continue
                maxdist = fuzzy_distance(folded)
                near: Counter[str] = (
                    self.near(folded, FUZZY_FIELDS, maxdist) if maxdist else Counter()
                )
                if word is last and len(folded) >= 2:
                    for other in self._starting(folded, FUZZY_FIELDS, PREFIX_TERMS):
                        near.setdefault(other, 0)
                near.pop(folded, None)
                for other in _closest(folded, near, maxdist)[:FUZZY_TERMS]:
                    word.lookups += fuzzy_lookups(other)
                    changed = True
        return changed

    def _suggest(self, plan: list[PlanClause], known_too: bool = False) -> str | None:
        return suggest_text(plan, self.is_known, self._correct, known_too, self._paired)

    def _paired(self, pair: str) -> bool:
        """True when some listing's name or phrase holds these two words side by side."""
        return bool(self.connection.execute(_PAIRED, {"pair": quote(key("pairs", pair))}).scalar())

    def _correct(
        self,
        folded: str,
        fieldnames: tuple[str, ...] = ("name", "place", "product"),
        maxdist: int | None = None,
    ) -> str | None:
        if not folded.isalpha():
            return None
        if maxdist is None:
            maxdist = 1 if len(folded) <= SUGGEST_SHORT_WORD else 2
        for fieldname in fieldnames:
            found = self.near(folded, (fieldname,), maxdist)
            if found:
                return min(found, key=lambda w: (edit_distance(folded, w, maxdist), -found[w], w))
        return None


def _starting_statement(
    folded: str, fieldnames: tuple[str, ...], limit: int
) -> tuple[str, dict[str, Any]]:
    """A statement of up to `limit` words of each of these fields beginning with `folded`."""
    pattern = folded.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    parts = [
        f"(SELECT word FROM search_words WHERE field = :field{i} AND word LIKE :pattern "
        'AND listings > 0 ORDER BY word COLLATE "C" LIMIT :limit)'
        for i in range(len(fieldnames))
    ]
    values = {f"field{i}": CODES[name] for i, name in enumerate(fieldnames)}
    return " UNION ALL ".join(parts), {**values, "pattern": pattern, "limit": limit}


def _statement_key(sql: str, params: dict) -> str:
    return f"{sql}\n{sorted((k, repr(v)) for k, v in params.items())}"


def _closest(folded: str, candidates: Counter[str], maxdist: int) -> list[str]:
    """WhooshSearchIndex._closest: by edit distance (only the nearest found; words the
    query word begins count as one), then how many listings hold them, then those sharing
    its first letter, then alphabetically."""
    if not candidates:
        return []
    distance = {
        w: 1 if w.startswith(folded) else edit_distance(folded, w, max(maxdist, 1))
        for w in candidates
    }
    nearest = min(distance.values())
    kept = [w for w in candidates if distance[w] == nearest]
    return sorted(kept, key=lambda w: (-candidates[w], w[0] != folded[0], w))


def _candidate_words(text_: str) -> Iterator[str]:
    """Words and place keys the query understanding will ask about, to fetch in one query:
    the folded words, their Telex/VNI decodings, the keys of their runs, and the words of
    the synonyms and place names the vocabulary gives them."""
    words = query_terms(text_)
    folded = [w.folded for w in words]
    yield from folded
    for word in words:
        decoded = decode_keys(word.surface)
        if decoded:
            yield decoded
    for size in range(2, MAX_PHRASE + 1):
        for start in range(len(folded) - size + 1):
            yield place_key(tuple(folded[start : start + size]))
    for left, right in pairwise(folded):
        yield f"{left}_{right}"
    yield from phrase_words(folded)
