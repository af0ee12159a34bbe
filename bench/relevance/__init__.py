"""Relevance benchmark: real OCOP products, labelled shopper queries, recall and MRR by kind.

    python -m bench.relevance               # the table
    python -m bench.relevance --failures    # and each query missing products in its top 5
    python -m bench.relevance --kind typo --failures
    python -m bench.relevance --set heldout  # the held-out queries (heldout.toml)

products.toml holds the products (none of them in the demo seed), queries.toml the queries,
each labelled with the products a shopper typing it wants; heldout.toml more queries of the
same kinds (and long ones with shopping filler words), written before they were first run.
The products go into a fresh index through the real indexing path (ListingDocument →
WhooshSearchIndex.rebuild, as `flask search reindex` and bench/search_bench.py do) and every
query runs through
WhooshSearchIndex.search, the function behind /search.

Per kind and overall: recall@1 and recall@5 (the share of a query's products found in the
first 1 or 5 results, out of at most 1 or 5), MRR (1 / rank of the first right product),
the share of queries that find nothing at all, and "others": how many results a query gets
besides its labelled products, on average (not all wrong, since labels name what a shopper
wants most, but a product type's query should not get many).
"""
