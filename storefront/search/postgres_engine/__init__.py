"""The PostgreSQL engine behind storefront.search (SEARCH_BACKEND=postgres).

One row per public listing in search_documents, written in the same transaction as the
change that made it (storefront/domain/catalog/changes.py calls storefront.search before the
commit), so the index cannot drift from the catalog. Each row holds the terms of the Whoosh
index (the same analysis, storefront.search.analysis), field-prefixed, in a weighted
tsvector with a GIN index; a search is the Whoosh engine's query plan
(whoosh_engine.matching.plan_query, on top of storefront.search.understanding) run as one
SQL statement per pass: the match as a tsquery, the score as the sum of the plan's weights,
filters as columns, facets as GROUP BYs. Words, their completions and did-you-mean
corrections (pg_trgm similarity, then the edit distance) come from search_words. A broad
search (past EXACT_COUNTS_UP_TO matches) counts its total and facets on a sample of one
listing in eight, and reads only the rows its page needs (SearchResult.estimated).
"""

from storefront.search.postgres_engine.index import EXACT_COUNTS_UP_TO, PostgresSearchIndex

__all__ = ["EXACT_COUNTS_UP_TO", "PostgresSearchIndex"]
