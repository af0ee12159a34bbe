"""Filters a shopper types into the search box instead of ticking them.

In an OCOP market a product's stars are what shoppers ask for first: "mật ong 5 sao", "OCOP
4*", "chè 4 sao trở lên", "5-star honey". And every listing is an OCOP product, so "sản phẩm
OCOP" adds nothing a listing could hold: "OCOP Bắc Giang" is "Bắc Giang". Searched as words,
both found nothing, since no listing writes its stars or "OCOP" in its text. Read here, they
become the stars filter and the rest of the text; the search page then sends the shopper to
that search, its filter shown and removable like a ticked one.

Stars are OCOP's 3 to 5 (the filter's range); "2 sao" stays text. Only a number right before
"sao", "*", "★" or "star(s)" counts, so a name holding "Sao" ("Sao Đỏ") is left alone.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from storefront.core.text import fold_diacritics

# The stars of OCOP certificates (catalog.params: the stars filter's values).
STARS = (3, 4, 5)
_NUMBERS = {
    "3": 3,
    "4": 4,
    "5": 5,
    "ba": 3,
    "bon": 4,
    "nam": 5,
    "three": 3,
    "four": 4,
    "five": 5,
}
# Matched on the folded text (no diacritics, lower case): "năm sao", "nam sao", "5 Sao".
_STAR_PHRASE = re.compile(
    r"(?<![\w.,])(?:(?P<from>tu|from)\s+)?(?P<n>[345]|ba|bon|nam|three|four|five)"
    r"\s*(?P<plus>\+)?\s*-?\s*(?:sao|\*|★|⭐|stars?)(?!\w)"
    r"(?P<up>\s*(?:\+|tro len|tro di|or more|and up|& up)(?!\w))?"
)
# "OCOP" and the phrases that only say a product is one.
_OCOP_PHRASE = re.compile(
    r"(?<!\w)(?:(?:san pham|sp|hang|mat hang)\s+)?"
    r"(?:(?:dat\s+)?(?:chuan|tieu chuan)\s+|(?:duoc\s+)?chung nhan\s+)?ocop(?!\w)"
)


@dataclass(frozen=True)
class TypedFilters:
    """What a search text asked besides words: `text` without it, and the stars asked."""

    text: str
    stars: tuple[int, ...]


def filters_in_text(text: str) -> TypedFilters | None:
    """The stars and OCOP phrases typed in `text`, and the text without them; None when it
    holds neither. The text keeps its own spelling: only the phrases are cut out."""
    text = unicodedata.normalize("NFC", text)
    folded = fold_diacritics(text).lower()
    if len(folded) != len(text):  # the cuts are made at the folded text's positions
        return None
    cuts: list[tuple[int, int]] = []
    stars: set[int] = set()
    for match in _STAR_PHRASE.finditer(folded):
        number = _NUMBERS[match["n"]]
        up = match["from"] or match["plus"] or match["up"]
        stars.update(s for s in STARS if s == number or (up and s >= number))
        cuts.append(match.span())
    for match in _OCOP_PHRASE.finditer(folded):
        cuts.append(match.span())
    if not cuts:
        return None
    kept, start = [], 0
    for begin, end in sorted(cuts):
        kept.append(text[start:begin])
        start = max(start, end)
    kept.append(text[start:])
    rest = " ".join("".join(kept).split())
    return TypedFilters(rest.strip(" ,.-"), tuple(sorted(stars)))
