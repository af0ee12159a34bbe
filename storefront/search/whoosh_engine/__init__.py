"""The Whoosh engine behind storefront.search: index layout, locked writes, reused searchers.

Whoosh stores the index and answers "which documents hold this term"; the rest of a search
runs here on Python sets, because Whoosh's own collectors cost tens of microseconds per hit
once facets and filters are on, too slow for 100k listings:

* every text field holds pre-analysed terms (storefront.search.analysis), space-separated;
* the per-listing numbers (id, group, stars, origin, cooperative, price, dates) live in one
  fixed-width column, read once per segment into tuples and kept while the segment lives;
* a query word matches a set of documents (the union over the fields it may appear in);
  words are AND-ed, filters and facets are set operations and counts over those tuples;
* relevance is the sum of the weights of the fields each word matched in, a large bonus
  for a word matched with its exact diacritics, and a bonus for adjacent query words that
  are adjacent in the name.
"""

from storefront.search.whoosh_engine.index import Loader, WhooshSearchIndex

__all__ = ["Loader", "WhooshSearchIndex"]
