"""A listing as a search_documents row: the Whoosh index's terms, each prefixed with a field
code, in one weighted tsvector.

The terms are exactly those of whoosh_engine.schema.document_fields (the same analysis:
storefront.search.analysis), so both engines match and score the same words. The tsvector's
weights say which kind of field a key comes from (A name, B product, C origin and
cooperative, D description); the ranking itself is the field weights of the query plan,
summed in SQL (postgres_engine.sql).
"""

from __future__ import annotations

from collections import Counter
from itertools import repeat
from typing import Any

from storefront.search.query import ListingDocument
from storefront.search.whoosh_engine.schema import document_fields

# Whoosh field → (key prefix, tsvector weight).
FIELDS = {
    "name": ("n", "A"),
    "name_exact": ("ne", "A"),
    "head": ("h", "A"),
    "pairs": ("pr", "A"),
    "product": ("p", "B"),
    "other_exact": ("oe", "B"),
    "place": ("pl", "C"),
    "place_phrase": ("pp", "C"),
    "extra": ("x", "C"),
    "body": ("b", "D"),
    "body_pairs": ("bp", "D"),
}
CODES = {field: code for field, (code, _weight) in FIELDS.items()}
# Fields whose words go to search_words: known words, completions, corrections, places.
WORD_FIELDS = ("name", "product", "place", "extra", "body", "place_phrase")
WORD_CODES = frozenset(CODES[f] for f in WORD_FIELDS)
SEPARATOR = "/"
# A row's tsvector is stored uncompressed in the row (STORAGE PLAIN), which must fit in an
# 8 kB page: past this estimate the last description keys are left out (a listing has about
# 2.5 kB; only a very long English short description could get near).
MAX_DOCUMENT_BYTES = 6000
_ENTRY_BYTES = 8  # per lexeme: its entry, one position, alignment


def key(fieldname: str, text: str) -> str:
    """The tsvector lexeme of a term of a field: "n/gao"."""
    return code_key(CODES[fieldname], text)


def code_key(code: str, text: str) -> str:
    """The tsvector lexeme of a term of the field with this code (search_words' `field`)."""
    return f"{code}{SEPARATOR}{text}"


_QUOTED = frozenset("\\'")  # characters quote() has to escape


def quote(lexeme: str) -> str:
    """A lexeme quoted for tsvector and tsquery input."""
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def document_row(
    doc: ListingDocument, words: Counter[tuple[str, str]] | None = None
) -> dict[str, Any]:
    """The search_documents row of a public listing (and, into `words`, its row_words)."""
    fields = document_fields(doc)
    parts: list[str] = []  # the tsvector's text, a field at a time
    found: list[tuple[str, str]] = []  # (code, word) of the search_words fields
    size, full = 0, False
    for fieldname, (code, weight) in FIELDS.items():  # the description's fields come last
        value = fields[fieldname]
        assert isinstance(value, str)
        prefix = code + SEPARATOR
        # Each field has its own prefix, so a key repeats only within its field.
        unique = list(dict.fromkeys(value.split()))
        if not unique:
            continue
        joined = " ".join(unique)
        # Each key's bytes (prefix, word, entry) summed: the words are the joined text less
        # its spaces.
        added = (len(prefix) + _ENTRY_BYTES) * len(unique) + len(joined.encode()) - len(unique) + 1
        if size + added > MAX_DOCUMENT_BYTES:  # the keys that still fit, then no more
            kept = []
            for term in unique:
                size += len(prefix) + len(term.encode()) + _ENTRY_BYTES
                if size > MAX_DOCUMENT_BYTES:
                    break
                kept.append(term)
            unique, full = kept, True
            if not unique:
                break
            joined = " ".join(unique)
        else:
            size += added
        if code in WORD_CODES:
            found.extend(zip(repeat(code), unique))
        # Every key at position 1: tsvector keeps weights on positions.
        if "'" in joined or "\\" in joined:
            parts.extend(f"{quote(prefix + term)}:1{weight}" for term in unique)
        else:
            between = f"':1{weight} '{prefix}"
            parts.append(f"'{prefix}{between.join(unique)}':1{weight}")
        if full:
            break
    if words is not None:
        words.update(found)
    return {
        "listing_id": doc.listing_id,
        # Where a rebuild puts the row: by its folded name, a product kind's rows together.
        "locality": fields["name"],
        "document": " ".join(parts),
        "ocop_group": doc.ocop_group,
        "stars": doc.stars,
        "province_code": doc.province_code,
        "commune_code": doc.commune_code,
        "cooperative_id": doc.cooperative_id,
        "price": doc.price,
        "created_at": doc.created_at,
        "expires_on": doc.expires_on,
        "name_words": min(len(str(fields["name"]).split()), 255),
        "in_stock": doc.stock > 0,
        "rating_band": doc.rating_band,
        "rating_tenths": doc.rating_tenths,
        "rating_count": doc.rating_count,
        "sold": doc.sold,
    }


def row_words(lexemes: list[str] | str) -> Counter[tuple[str, str]]:
    """(field code, word) of the search_words fields among a row's lexemes (a list, or the
    tsvector text of document_row), each once."""
    if isinstance(lexemes, str):
        lexemes = [part.rsplit(":", 1)[0][1:-1] for part in lexemes.split(" ") if part]
    words: Counter[tuple[str, str]] = Counter()
    for lexeme in set(lexemes):
        code, _, word = lexeme.partition(SEPARATOR)
        if code in WORD_CODES:
            words[(code, word)] += 1
    return words
