"""A listing as a search_documents row (postgres_engine.rows.document_row): every key of the
Whoosh fields once, with its field's weight; a description too long for a page cut at its
end; quotes that PostgreSQL reads back as written."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text

from storefront.search.postgres_engine import sql
from storefront.search.postgres_engine.rows import (
    _ENTRY_BYTES,
    FIELDS,
    MAX_DOCUMENT_BYTES,
    WORD_CODES,
    document_row,
)
from storefront.search.query import ListingDocument
from storefront.search.whoosh_engine.matching import plan_query
from storefront.search.whoosh_engine.schema import document_fields

_LEXEME = re.compile(r"'((?:[^'\\]|''|\\.)*)':1([ABCD])")


def _document(**changes) -> ListingDocument:
    values = {
        "listing_id": 7,
        "name": "Mật ong hoa nhãn Hưng Yên",
        "product_name": "Mật ong hoa nhãn",
        "cooperative_id": 3,
        "cooperative_name": "HTX Ong mật Tiên Lữ",
        "ocop_group": 1,
        "stars": 4,
        "province_code": 33,
        "commune_code": 12345,
        "place_names": ("Xã Hải Triều", "Huyện Tiên Lữ", "Tỉnh Hưng Yên"),
        "description": "Mật ong nguyên chất, vàng óng, thơm mùi hoa nhãn.",
        "price": 180_000,
        "created_at": datetime(2026, 1, 2, tzinfo=UTC),
        "expires_on": date(2028, 1, 1),
        "name_en": "Longan honey",
        "summary_en": "Pure longan flower honey",
    }
    values.update(changes)
    return ListingDocument(**values)


def _expected(doc: ListingDocument) -> list[tuple[str, str]]:
    """Each field's keys in order, each once, with the field's weight: what a row holds when
    nothing has to be cut."""
    fields = document_fields(doc)
    seen: dict[str, str] = {}
    for fieldname, (code, weight) in FIELDS.items():
        for term in str(fields[fieldname]).split():
            seen.setdefault(f"{code}/{term}", weight)
    return list(seen.items())


def _parsed(document: str) -> list[tuple[str, str]]:
    found = [
        (re.sub(r"\\(.)", r"\1", lexeme.replace("''", "'")), weight)
        for lexeme, weight in _LEXEME.findall(document)
    ]
    assert not _LEXEME.sub("", document).strip(), "every entry reads back"
    return found


def _size(keys: list[tuple[str, str]]) -> int:
    return sum(len(lexeme.encode()) + _ENTRY_BYTES for lexeme, _ in keys)


def test_a_row_holds_every_key_of_the_listing_once_with_its_fields_weight():
    doc = _document()
    words: Counter[tuple[str, str]] = Counter()
    row = document_row(doc, words)

    keys = _parsed(row["document"])
    assert keys == _expected(doc)
    assert ("n/mat", "A") in keys and ("p/longan", "B") in keys and ("b/nguyen", "D") in keys
    assert ("ne/mật", "A") not in keys  # exact keys carry the tone's code, not the mark
    assert words == Counter(
        (lexeme.split("/", 1)[0], lexeme.split("/", 1)[1])
        for lexeme, _ in keys
        if lexeme.split("/", 1)[0] in WORD_CODES
    )
    assert row["locality"] == "mat ong hoa nhan hung yen"
    assert row["name_words"] == 6


def test_a_description_too_long_for_a_page_is_cut_at_its_end():
    words_in = [f"tu{i}" for i in range(2_000)]
    doc = _document(description=" ".join(words_in), summary_en="")
    words: Counter[tuple[str, str]] = Counter()
    keys = _parsed(document_row(doc, words)["document"])
    expected = _expected(doc)

    # What is kept is the start of the full list, as long as it fits: every key of the
    # name, product, places and cooperative, then the description's first words.
    assert keys == expected[: len(keys)]
    assert _size(keys) <= MAX_DOCUMENT_BYTES < _size(expected[: len(keys) + 1])
    body = [lexeme for lexeme, _ in keys if lexeme.startswith("b/")]
    assert body == [f"b/{w}" for w in words_in[: len(body)]] and 0 < len(body) < 2_000
    assert not any(lexeme.startswith("bp/") for lexeme, _ in keys)  # its pairs come after
    assert words[("b", "tu0")] == 1 and ("b", words_in[len(body)]) not in words


@pytest.mark.parametrize("name", ["Rượu O'Neil", "Trà a\\b", "Gạo 'ST25' Sóc Trăng"])
def test_quotes_and_backslashes_in_a_listing_are_read_back_as_written(name):
    doc = _document(name=name)
    keys = _parsed(document_row(doc)["document"])
    assert keys == _expected(doc)


def test_postgresql_reads_the_row_as_the_same_keys_and_weights(app, search_backend, db):
    if search_backend != "postgres":
        pytest.skip("reads the tsvector in PostgreSQL")
    doc = _document(name="Rượu O'Neil a\\b Mẫu Sơn", description="rượu ngô " * 400)
    row = document_row(doc)
    stored = db.session.execute(
        text("SELECT lexeme, weights[1] FROM unnest(CAST(:d AS tsvector))"),
        {"d": row["document"]},
    ).all()
    assert sorted(stored) == sorted(_parsed(row["document"]))
    assert ("n/o", "A") in stored and ("n/neil", "A") in stored and ("n/mau", "A") in stored


NAMES = [
    "Mật ong hoa nhãn Hưng Yên",
    "Gạo tám thơm Hải Hậu",
    "Bưởi Diễn Phú Diễn",
    "Chè búp Tân Cương",
    "Hương trầm Quảng Nam",
    "Tour trải nghiệm làng nghề",
    "Rượu O'Neil a\\b Mẫu Sơn",
]
QUERIES = [
    "mật ong",
    "gạo tám thơm",
    "bưởi",
    "chè tân cương",
    "hương trầm",
    "lang nghe",
    "rượu",
    "thủy lạc",  # in a cooperative's name only
]


def _documents() -> list[ListingDocument]:
    return [_document(name=name) for name in NAMES] + [
        _document(name="Chè búp", cooperative_name="HTX Thủy Lạc", place_names=("Tân Cương",))
    ]


def _score(doc: ListingDocument, query: str, nested: bool) -> tuple[list[str], dict, int]:
    """The score terms of `query`'s plan (nested, or one flat test per key), their params,
    and the sum of the weights of the keys the listing's row holds (what they must give)."""
    plan = plan_query(query)
    weights, implies = sql._weights(plan, False, frozenset())
    params = sql.Params()
    terms = sql._score_terms(weights, implies if nested else {}, params)
    held = {lexeme for lexeme, _ in _parsed(document_row(doc)["document"])}
    expected = sum(w for lexeme, w in weights.items() if _unquoted(lexeme) in held)
    return terms, params.values, expected


def _unquoted(lexeme: str) -> str:
    return re.sub(r"\\(.)", r"\1", lexeme[1:-1].replace("''", "'"))


@pytest.mark.parametrize("doc", _documents(), ids=lambda doc: doc.name)
def test_a_key_the_score_nests_under_another_is_only_in_rows_holding_that_one(doc):
    # The score tests a name's exact spelling and its head only in the rows holding the
    # name's folded word (or pair): true of every row only if those keys are written so.
    held = {lexeme for lexeme, _ in _parsed(document_row(doc)["document"])}
    checked = 0
    for query in [doc.name, *QUERIES]:
        weights, implies = sql._weights(plan_query(query), False, frozenset())
        for child, parent in implies.items():
            if _unquoted(child) in held:
                assert _unquoted(parent) in held, (query, child, parent)
                checked += 1
    assert checked >= 2  # the name's own words' exact spellings and its head, at least


def test_the_nested_score_is_the_sum_of_the_weights_of_the_keys_held(app, search_backend, db):
    if search_backend != "postgres":
        pytest.skip("scores the tsvector in PostgreSQL")
    compared = 0
    for doc in _documents():
        for query in [doc.name, *QUERIES]:
            for nested in (True, False):
                terms, params, expected = _score(doc, query, nested)
                score = db.session.execute(
                    text(
                        f"SELECT {' + '.join(terms) or '0'} FROM (SELECT CAST(:doc AS tsvector) "
                        "AS document) AS d"
                    ),
                    {**params, "doc": document_row(doc)["document"]},
                ).scalar_one()
                assert score == expected, (doc.name, query, nested)
                compared += expected > 0
    assert compared > len(NAMES) * 2
