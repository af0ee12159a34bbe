"""The index layout: one Whoosh document per public listing, pre-analysed terms, one record."""

from __future__ import annotations

import struct
from collections.abc import Iterable
from itertools import chain

from whoosh import columns, fields
from whoosh.codec.whoosh3 import W3Codec

from storefront.search.analysis import Term, pair_key, terms, word_pairs
from storefront.search.query import ListingDocument

# Bump when the fields or their analysis change: a new version is a new, empty index
# (`flask search reindex` fills it); the old files are left for an operator to delete.
SCHEMA_VERSION = 4
INDEX_NAME = f"listings_v{SCHEMA_VERSION}"

# One fixed-width record per document: listing id, province code, commune code, cooperative
# id, price, created (epoch seconds), certificate expiry (date ordinal), group, stars, and
# the number of words in the name (shorter names rank first among equal matches),
# whether a package is in stock now (not only on pre-order), and buyers' ratings and sales
# as shown (average in tenths, how many ratings, the rounded sold count).
RECORD = struct.Struct("<qiiiqqiBBBBBii")
RECORD_FIELDS = (
    "listing_id",
    "province",
    "commune",
    "cooperative",
    "price",
    "created",
    "expires",
    "group",
    "stars",
    "name_words",
    "in_stock",
    "rating",
    "ratings",
    "sold",
)

# Search words for the six OCOP groups (Decision 148/QĐ-TTg), with common synonyms and the
# English names: these are search keys, not the display labels of storefront.core.formatting.
GROUP_KEYWORDS = {
    1: "thực phẩm đồ ăn food",
    2: "đồ uống nước uống drinks beverages",
    3: "thảo dược dược liệu herbs medicinal",
    4: "thủ công mỹ nghệ làng nghề handicrafts",
    5: "sinh vật cảnh cây cảnh ornamental plants",
    6: "dịch vụ du lịch cộng đồng sinh thái tourism",
}


def codec() -> W3Codec:
    """Whoosh's standard codec with 512 postings per block instead of 128: a search reads
    whole posting lists, and a quarter of the blocks is a quarter of the per-block unpickling.
    Reading needs nothing special: the block size is recorded in the postings."""
    return W3Codec(blocklimit=512)


def build_schema() -> fields.Schema:
    """The index fields. Text fields take pre-analysed terms; nothing but the id is stored."""

    def terms_field() -> fields.KEYWORD:
        # Scorable only for Whoosh's sake: a field without per-document lengths makes its
        # commit look for the missing lengths file once per posting (a fifth of a rebuild).
        return fields.KEYWORD(scorable=True)

    return fields.Schema(
        id=fields.ID(unique=True, stored=True),
        name=terms_field(),  # folded words of the listing name
        name_exact=terms_field(),  # exact keys of the name words that carry diacritics
        product=terms_field(),  # certificate product name and the listing's English name
        place=terms_field(),  # origin: current and pre-2025 commune, district, province
        extra=terms_field(),  # cooperative name and OCOP group words
        other_exact=terms_field(),  # exact keys of product, place and extra words
        pairs=terms_field(),  # adjacent words within the name, product, a place, extra
        head=terms_field(),  # the name's first word and first pair: its product type
        place_phrase=terms_field(),  # each origin name whole ("ha_giang"), for place queries
        body=terms_field(),  # the description's opening words and the English short description
        body_pairs=terms_field(),  # adjacent words of each of those
        record=fields.COLUMN(columns.FixedBytesColumn(RECORD.size)),
    )


def _folded(words: Iterable[Term]) -> str:
    return " ".join([t.folded for t in words])


def _exact(words: Iterable[Term]) -> str:
    return " ".join([t.exact for t in words if t.has_marks])


def _head(name: list[Term]) -> str:
    """The name's first word and first pair: "Gạo ST25 ..." → "gao gao_st25"."""
    keys = [name[0].folded] if name else []
    if len(name) > 1:
        keys.append(pair_key(name[0], name[1]))
    return " ".join(keys)


def document_fields(doc: ListingDocument) -> dict[str, str | bytes]:
    """The Whoosh fields of one listing."""
    name = terms(doc.name)
    product = terms(doc.product_name)
    # The English name counts like the certified product name (below the Vietnamese name,
    # above places and the cooperative), so "lychee" or "green tea" finds a listing whose
    # English name says so even without the query-time vocabulary; the English short
    # description counts like the description. Neither touches the head noun or name length.
    english = terms(doc.name_en)
    description, summary = terms(doc.description), terms(doc.summary_en)
    places = [terms(place) for place in doc.place_names]
    cooperative = terms(doc.cooperative_name)
    group = terms(GROUP_KEYWORDS.get(doc.ocop_group, ""))
    # Pairs within one name or phrase only: "Lục Ngạn, Bắc Ninh" holds no "ngan_bac".
    phrases = [name, product, english, *places, cooperative, group]
    return {
        "id": str(doc.listing_id),
        "name": _folded(name),
        "name_exact": _exact(name),
        "product": _folded(chain(product, english)),
        "place": _folded(chain.from_iterable(places)),
        "extra": _folded(chain(cooperative, group)),
        "other_exact": _exact(chain(product, *places, cooperative, group)),
        "pairs": " ".join(chain.from_iterable(map(word_pairs, phrases))),
        "head": _head(name),
        "place_phrase": " ".join("_".join(t.folded for t in place) for place in places if place),
        "body": _folded(chain(description, summary)),
        "body_pairs": " ".join(word_pairs(description) + word_pairs(summary)),
        "record": RECORD.pack(
            doc.listing_id,
            doc.province_code,
            doc.commune_code,
            doc.cooperative_id,
            doc.price,
            int(doc.created_at.timestamp()),
            doc.expires_on.toordinal(),
            doc.ocop_group,
            doc.stars,
            min(len(name), 255),
            doc.stock > 0,
            min(max(doc.rating_tenths, 0), 50),
            doc.rating_count,
            doc.sold,
        ),
    }
