"""Tables of the PostgreSQL search backend (SEARCH_BACKEND=postgres; storefront/search/
postgres_engine). They exist on every database so that the schema is one, but only that
backend writes them; the Whoosh backend keeps its index in a folder.

- search_documents: one row per public listing, written in the same transaction as the
  change that made it what it is (storefront/domain/catalog/changes.py). `document` is a
  weighted tsvector of the listing's index keys, each key a field code and a term
  ("n/gao": the folded word "gao" in the name), the same terms the Whoosh index holds; the
  other columns are what searches filter, count and sort on.
- search_words: the folded words of names, products, places, the cooperative and the
  description with how many listings hold each: known words, words a last unfinished word
  begins, and did-you-mean corrections (trigram similarity).
- search_facets: how many rows hold each value of each facet ("total": all rows), kept by
  the same writes: the counts of the catalog without text or filters (plain /products) are
  read from here, minus the few rows whose certificate has expired since they were written,
  instead of counting every row; its (facet, listings DESC, value) index gives a facet's most
  frequent values first (the cooperatives a catalog page shows).
- search_facet_pairs: the same counts within each value of the facets a catalog page is
  browsed by (a group, a star rating, a province, a price range): how many rows of group 1
  hold each star rating, each province, each cooperative... The catalog without text but
  with one of those filters reads its facets here (less the expired rows, and for a price
  range the rows of the buckets it covers only in part) instead of counting the third of the
  catalog a group holds.
- search_state: one row, the generation, moved on by every write (the catalog version's
  index part).

Both GIN indexes are built with fastupdate off: a write updates them at once instead of
appending to a pending list that every search then reads through (a search_words look-up
took 50 ms through 120 pending pages).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    DDL,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    event,
    text,
)
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from storefront.extensions import Base

# The contrib extensions the backend uses. The migration creates them on PostgreSQL (which
# needs a superuser, or an administrator running these two statements first).
EXTENSIONS = ("unaccent", "pg_trgm")
# A broad search's sample: the listings whose id is divisible by this (one in eight). Ids
# are given in order, so a cooperative's listings, written one after the other, fall evenly
# in and out of it.
SAMPLE_EVERY = 8
# The sample of the broadest searches (tens of thousands of matches): one listing in 64,
# within the one in 8.
SPARSE_SAMPLE_EVERY = 64


class SearchDocument(Base):
    """One public listing as the PostgreSQL search backend finds, filters and ranks it."""

    __tablename__ = "search_documents"
    __table_args__ = (
        Index(
            "ix_search_documents_document",
            "document",
            postgresql_using="gin",
            postgresql_with={"fastupdate": "off"},
        ),
        # A search without text reads these columns only: an index-only scan of this narrow
        # index instead of the wide rows (the tsvector is most of each).
        Index(
            "ix_search_documents_columns",
            "expires_on",
            "listing_id",
            "ocop_group",
            "stars",
            "province_code",
            "commune_code",
            "cooperative_id",
            "price",
            "created_at",
            "name_words",
            "in_stock",
            "rating_band",
            "rating_tenths",
            "rating_count",
            "sold",
        ),
        # The catalog without text, newest first or by price: the first rows of the order
        # read in index order (an incremental sort settles ties) instead of sorting them all.
        Index(
            "ix_search_documents_created_at",
            "created_at",
            "listing_id",
            postgresql_include=["expires_on"],
        ),
        Index(
            "ix_search_documents_price",
            "price",
            postgresql_include=["expires_on", "created_at", "listing_id"],
        ),
        # One cooperative's or one commune's listings (the product page's related products):
        # their few rows, not a pass over every row's columns.
        Index("ix_search_documents_cooperative_id", "cooperative_id"),
        Index("ix_search_documents_commune_code", "commune_code"),
        # A broad search by stars: its rows of the top stars alone (postgres_engine.sql
        # page_statement's bound), the GIN index's bitmap intersected with this one.
        Index("ix_search_documents_stars", "stars"),
        # The sample slices a broad search counts and facets instead of all its matches
        # (postgres_engine.sql.sample_condition): the GIN index's bitmap intersected with
        # one of these, so only the slice's rows are read.
        Index(
            "ix_search_documents_sample",
            "listing_id",
            postgresql_where=text(f"listing_id % {SAMPLE_EVERY} = 0"),
            sqlite_where=text(f"listing_id % {SAMPLE_EVERY} = 0"),
        ),
        Index(
            "ix_search_documents_sparse_sample",
            "listing_id",
            postgresql_where=text(f"listing_id % {SPARSE_SAMPLE_EVERY} = 0"),
            sqlite_where=text(f"listing_id % {SPARSE_SAMPLE_EVERY} = 0"),
        ),
    )

    listing_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    document: Mapped[str] = mapped_column(TSVECTOR().with_variant(Text(), "sqlite"))
    ocop_group: Mapped[int] = mapped_column(SmallInteger)
    stars: Mapped[int] = mapped_column(SmallInteger)
    province_code: Mapped[int] = mapped_column(Integer)
    commune_code: Mapped[int] = mapped_column(Integer)
    cooperative_id: Mapped[int] = mapped_column(Integer)
    price: Mapped[int] = mapped_column(BigInteger)  # lowest buyable package price, đồng
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_on: Mapped[date] = mapped_column(Date)  # certificate expiry, filtered on at query time
    name_words: Mapped[int] = mapped_column(SmallInteger)
    in_stock: Mapped[bool] = mapped_column(Boolean)
    # Buyers' ratings and sales as shown (search/query.ListingDocument): filtered and sorted on.
    rating_band: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    rating_tenths: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    rating_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    sold: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class SearchWord(Base):
    """A folded word of one field of the listings, and how many listings hold it."""

    __tablename__ = "search_words"
    __table_args__ = (
        Index(
            "ix_search_words_word_trgm",
            "word",
            postgresql_using="gin",
            postgresql_ops={"word": "gin_trgm_ops"},
            postgresql_with={"fastupdate": "off"},
        ),
        # The words spelt nearly like a typed one are looked for among those of its first
        # letter and nearly its length (postgres_engine.index `_look_near`): without it, a
        # scan of every word (2.5 ms at 100k listings, once or twice per misspelt search).
        Index("ix_search_words_first_length", text("substr(word, 1, 1)"), text("length(word)")),
    )

    field: Mapped[str] = mapped_column(String(2), primary_key=True)
    word: Mapped[str] = mapped_column(String(200), primary_key=True)
    listings: Mapped[int] = mapped_column(Integer)


class SearchFacet(Base):
    """How many search_documents rows hold one value of one facet ("total", 0: all rows)."""

    __tablename__ = "search_facets"

    facet: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    listings: Mapped[int] = mapped_column(Integer)


class SearchFacetPair(Base):
    """How many search_documents rows with one value of a facet (`facet`, `value`: group 1)
    hold one value of another (`other`, `other_value`: province 24)."""

    __tablename__ = "search_facet_pairs"

    facet: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    other: Mapped[str] = mapped_column(String(16), primary_key=True)
    other_value: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    listings: Mapped[int] = mapped_column(Integer)


# A facet's most frequent values first: the dozen cooperatives a catalog page shows are the
# first entries, not a read of one row per cooperative.
Index(
    "ix_search_facets_facet_listings",
    SearchFacet.facet,
    SearchFacet.listings.desc(),
    SearchFacet.value,
)


class SearchState(Base):
    """One row: the search generation, moved on by every write of the PostgreSQL backend."""

    __tablename__ = "search_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    generation: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


# The tsvector is read many times per row by a search (one @@ per scored key): kept inline and
# uncompressed (STORAGE PLAIN), it is read in place instead of decompressed at every test,
# seven times faster. rows.MAX_DOCUMENT_BYTES keeps a row well inside a page.
event.listen(
    SearchDocument.__table__,
    "after_create",
    DDL("ALTER TABLE search_documents ALTER COLUMN document SET STORAGE PLAIN").execute_if(
        dialect="postgresql"
    ),
)
# Tables made by create_all (tests, benchmarks) need the extensions first, as the migration
# creates them.
for _extension in EXTENSIONS:
    event.listen(
        SearchWord.__table__,
        "before_create",
        DDL(f"CREATE EXTENSION IF NOT EXISTS {_extension}").execute_if(dialect="postgresql"),
    )
