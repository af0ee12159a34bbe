"""Filters a shopper types into the search box instead of ticking them.

In an OCOP market a product's stars are what shoppers ask for first ("mật ong 5 sao", "OCOP
4*", "chè 4 sao trở lên", "5-star honey"), and a price is typed as often as it is chosen
("gạo dưới 100k", "trà từ 200 đến 500 nghìn", "quà tết 1 triệu"). Every listing is an OCOP
product, so "sản phẩm OCOP" adds nothing a listing could hold; "rẻ nhất" and "bán chạy" ask
for an order. Searched as words, all of these found nothing or less (no listing writes its
stars, its price or "OCOP" in its text). Read here, they become the stars filter, the price
range and the sort, and the rest of the text; the search page then sends the shopper to that
search, its filters shown and removable like ticked ones.

Stars are OCOP's 3 to 5 (the filter's range); "2 sao" stays text, and only a number right
before "sao", "*", "★" or "star(s)" counts, so a name holding "Sao" ("Sao Đỏ") is left alone.
A price needs a unit ("k", "nghìn", "triệu", "đ", "VND") or thousands ("100.000"): "ST25",
"40 độ", "5kg" and "2 ngày 1 đêm" are words. An amount without "dưới", "trên", "từ … đến …"
or a range ("200k-500k") is a budget: "quà tết 500k" is gifts of 500,000 đồng or less.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from werkzeug.datastructures import MultiDict

from storefront.core.text import fold_diacritics
from storefront.domain.catalog.params import (
    MAX_PRICE,
    MAX_QUERY_LENGTH,
    PAGE_PARAMETERS,
    STARS,
)
from storefront.search.analysis import query_terms
from storefront.search.understanding import is_filler, vocabulary

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
# All matched on the folded text (no diacritics, lower case): "năm sao", "nam sao", "5 Sao".
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
# An amount of đồng: digits (a decimal part only before "tr"/"triệu"), then its unit.
_UNITS = {
    "k": 1_000,
    "nghin": 1_000,
    "ngan": 1_000,
    "tr": 1_000_000,
    "trieu": 1_000_000,
    "d": 1,
    "dong": 1,
    "vnd": 1,
}
_AMOUNT = r"\d{1,3}(?:[.,]\d{3})+|\d+(?:[.,]\d{1,2})?"  # 100.000 / 100,000 / 1,5 / 150
_UNIT = r"(?:k|nghin|ngan|trieu|tr|vnd|dong|d)"
_MONEY = rf"(?:{_AMOUNT})\s*{_UNIT}?(?!\w)"
_LOW = r"(?:tu|tren|hon|over|above|from|min|>=?)"
_HIGH = r"(?:duoi|toi da|khong qua|under|below|max|<=?)"
_PRICE_PHRASE = re.compile(
    rf"(?<![\w.,])(?:gia\s+)?(?:"
    rf"(?P<range>(?:tu\s+)?(?P<a>{_MONEY})\s*(?:-|den|toi|to)\s*(?P<b>{_MONEY}))"
    rf"|(?P<low>{_LOW})\s*(?P<lo>{_MONEY})"
    rf"|(?P<high>{_HIGH})\s*(?P<hi>{_MONEY})"
    rf"|(?P<bare>{_MONEY})"
    rf")"
)
_MONEY_PARTS = re.compile(rf"(?P<amount>{_AMOUNT})\s*(?P<unit>{_UNIT})?")
# Words that ask for an order, not for listings holding them.
_SORT_PHRASES = {
    "price_asc": r"(?:gia\s+)?re nhat|gia thap nhat|cheapest|lowest price",
    "best_selling": r"ban chay(?: nhat)?|best ?sellers?|best ?selling",
    "newest": r"moi nhat|newest|latest",
}
_SORT_PHRASE = re.compile(
    r"(?<!\w)(?:" + "|".join(f"(?P<{name}>{p})" for name, p in _SORT_PHRASES.items()) + r")(?!\w)"
)


@dataclass(frozen=True)
class TypedFilters:
    """What a search text asked besides words: `text` without it, the stars asked, the price
    range (đồng, either bound None) and an order (a catalog.params sort, or None)."""

    text: str
    stars: tuple[int, ...] = ()
    price_min: int | None = None
    price_max: int | None = None
    sort: str | None = None


def filters_in_text(text: str) -> TypedFilters | None:
    """The stars, prices, orders and OCOP phrases typed in `text`, and the text without
    them; None when it holds none. The text keeps its own spelling: the phrases are cut."""
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
    low = high = None
    for match in _PRICE_PHRASE.finditer(folded):
        if _overlaps(match.span(), cuts):
            continue
        if match["range"]:
            a, b = _dong(match["a"], match["b"], qualified=True), _dong(match["b"], qualified=True)
            if a is None or b is None:
                continue
            low, high = min(a, b), max(a, b)
        elif match["low"]:
            if (amount := _dong(match["lo"], qualified=True)) is None:
                continue
            low = amount
        elif match["high"]:
            if (amount := _dong(match["hi"], qualified=True)) is None:
                continue
            high = amount
        elif (amount := _dong(match["bare"])) is not None:
            high = amount  # a budget: "quà tết 500k"
        else:
            continue
        cuts.append(match.span())
    sort = None
    for match in _SORT_PHRASE.finditer(folded):
        sort = match.lastgroup
        cuts.append(match.span())
    if not cuts:
        return None
    kept, start = [], 0
    for begin, end in sorted(cuts):
        kept.append(text[start:begin])
        start = max(start, end)
    kept.append(text[start:])
    rest = " ".join("".join(kept).split()).strip(" ,.-")
    if _says_nothing(rest):  # "sản phẩm 5 sao", "đặc sản dưới 200k": the filters alone
        rest = ""
    return TypedFilters(rest, tuple(sorted(stars)), low, high, sort)


def _says_nothing(text: str) -> bool:
    """True when the words left beside typed filters are only generic or shopping words
    ("sản phẩm", "đặc sản", "hàng", "mua", "giá rẻ"): searched on their own they would be
    required, and few listings write them ("đặc sản 5 sao" found none of the 5-star ones)."""
    words = query_terms(text)
    if not words:
        return False
    vocab = vocabulary()
    longest = max(map(len, [*vocab.optional, *vocab.filler]))
    i = 0
    while i < len(words):
        for size in range(min(longest, len(words) - i), 0, -1):
            phrase = words[i : i + size]
            # Filler as the search reads it: "bán" is, "bản" (a village) is not.
            if tuple(w.folded for w in phrase) in vocab.optional or is_filler(phrase):
                i += size
                break
        else:
            return False
    return True


def rewritten_args(args: MultiDict[str, str]) -> dict[str, list[str]] | None:
    """The catalog page's parameters once the filters typed in its search text are chosen
    (filters_in_text): "q" without them (absent when nothing else was typed), the stars added
    to those ticked, the price and order filling only what the page has not chosen (relevance,
    the order of any text, is no choice), back on the first page; parameters the page does
    not read are dropped. None when the text asks nothing of the kind, or for "search
    exactly" (`exact=1`)."""
    if args.get("exact") == "1":
        return None
    typed = filters_in_text(" ".join((args.get("q") or "").split())[:MAX_QUERY_LENGTH])
    if typed is None:
        return None
    kept = {k: v for k, v in args.lists() if k in PAGE_PARAMETERS and k not in ("q", "page")}
    if typed.text:
        kept["q"] = [typed.text]
    elif kept.get("sort") == ["relevance"]:  # (an order only a text has)
        del kept["sort"]
    chosen = kept.get("stars", [])
    kept["stars"] = chosen + [str(s) for s in typed.stars if str(s) not in chosen]
    for name, value in (
        ("price_min", typed.price_min),
        ("price_max", typed.price_max),
        ("sort", typed.sort),
    ):
        if value is not None and kept.get(name, [""])[0] in ("", "relevance"):
            kept[name] = [str(value)]
    return kept


def _overlaps(span: tuple[int, int], cuts: list[tuple[int, int]]) -> bool:
    return any(span[0] < end and begin < span[1] for begin, end in cuts)


def _dong(money: str, other: str | None = None, *, qualified: bool = False) -> int | None:
    """An amount typed ("300k", "1,5 triệu", "100.000đ") in đồng, or None when it is no
    price: one needs a unit (its own, or the range's other end's: "200-500k"), or digits in
    thousands ("100.000"), or after "dưới"/"trên" (`qualified`) at least 1,000; and a price is
    1,000 đồng at least (so "3d" is no price) and at most MAX_PRICE."""
    parts = _MONEY_PARTS.fullmatch(money.strip())
    if parts is None:
        return None
    digits, unit = parts["amount"], parts["unit"]
    if unit is None and other is not None:
        unit = (_MONEY_PARTS.fullmatch(other.strip()) or parts)["unit"]
    grouped = re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", digits) is not None
    if grouped:
        value = float(digits.replace(".", "").replace(",", ""))
    elif "." in digits or "," in digits:
        if unit not in ("tr", "trieu"):
            return None  # "1,5" is a price only in millions
        value = float(digits.replace(",", "."))
    else:
        value = float(digits)
    if unit is None and not grouped and not qualified:
        return None
    amount = int(round(value * _UNITS[unit])) if unit is not None else int(value)
    return amount if 1_000 <= amount <= MAX_PRICE else None
