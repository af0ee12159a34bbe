"""Suggestions under the header search box as a shopper types: products, cooperatives, places.

Products come from the search index (the text as typed, then its last word completed:
"mat ong ban" → "mật ong bản ..."), re-checked against the visibility rule by public_cards;
cooperatives are the approved ones; places are today's provinces and the aliases of
storefront/search/data/places.toml. Matching folds case and diacritics ("ha gi" finds
"Hà Giang") and takes the last word as a beginning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from flask import current_app
from sqlalchemy import select

from storefront.domain.catalog.cards import public_cards
from storefront.domain.catalog.typed_filters import filters_in_text
from storefront.domain.catalog.version import current as current_version
from storefront.extensions import db
from storefront.models import AdminUnit, Cooperative, CooperativeStatus, Era, Level
from storefront.search import search, words_starting
from storefront.search.analysis import fold
from storefront.search.documents import short_name
from storefront.search.suggestions import suggestion_ids
from storefront.search.understanding import vocabulary

MIN_LENGTH = 2  # characters typed before anything is suggested
MAX_LENGTH = 60  # characters of the query looked at
PRODUCTS, COOPERATIVES, PLACES = 5, 3, 3
_COOPERATIVES_KEY = "suggest.cooperatives"


@dataclass(frozen=True)
class ProductSuggestion:
    name: str
    slug: str
    stars: int | None


@dataclass(frozen=True)
class Suggestions:
    products: list[ProductSuggestion] = field(default_factory=list)
    cooperatives: list[tuple[str, str]] = field(default_factory=list)  # (name, slug)
    places: list[tuple[str, int]] = field(default_factory=list)  # (name, province code)


def clean(text: str | None) -> str:
    """The query as suggestions read it: spaces collapsed, at most MAX_LENGTH characters."""
    return " ".join((text or "").split())[:MAX_LENGTH].strip()


def suggest(text: str | None) -> Suggestions:
    """What to suggest for `text` (empty under MIN_LENGTH characters). Stars and prices typed
    in it ("mật ong 5 sao", "gạo dưới 100k") keep the products to them, and are not words to
    match, nor are "OCOP" and an order ("rẻ nhất": typed_filters)."""
    text = clean(text)
    typed = filters_in_text(text)
    filters: dict[str, Any] = {}
    if typed is not None:
        text = typed.text
        filters = {"stars": typed.stars, "price_min": typed.price_min, "price_max": typed.price_max}
    if len(text) < MIN_LENGTH or not fold(text):
        return Suggestions()
    words = fold(text).split()
    return Suggestions(
        products=_products(text, filters),
        cooperatives=_cooperatives(words),
        places=_places(words),
    )


def _matches(words: list[str], name: str) -> bool:
    """Every typed word is a word of `name` (folded), the last one perhaps only begun."""
    return _holds(words, fold(name).split())


def _holds(words: list[str], have: list[str]) -> bool:
    *whole, last = words
    return all(word in have for word in whole) and any(w.startswith(last) for w in have)


def _products(text: str, filters: dict[str, Any]) -> list[ProductSuggestion]:
    ids = suggestion_ids(text, PRODUCTS * 2, search, words_starting, filters)
    cards = public_cards(ids)[:PRODUCTS]
    return [ProductSuggestion(card.name, card.slug, card.stars) for card in cards]


def _approved_cooperatives() -> list[tuple[list[str], str, str]]:
    """(folded words, name, slug) of every approved cooperative, kept per app while the
    catalog version stands (a cooperative's approval or name moves it on)."""
    key = current_version()
    cached = current_app.extensions.get(_COOPERATIVES_KEY)
    if cached is not None and cached[0] == key:
        return cast(list[tuple[list[str], str, str]], cached[1])
    rows = db.session.execute(
        select(Cooperative.legal_name, Cooperative.slug)
        .where(Cooperative.status == CooperativeStatus.APPROVED)
        .order_by(Cooperative.legal_name)
    ).all()
    found = [(fold(name).split(), name, slug) for name, slug in rows]
    current_app.extensions[_COOPERATIVES_KEY] = (key, found)  # one assignment: thread-safe
    return found


def _cooperatives(words: list[str]) -> list[tuple[str, str]]:
    found = [(name, slug) for have, name, slug in _approved_cooperatives() if _holds(words, have)]
    return found[:COOPERATIVES]


def _places(words: list[str]) -> list[tuple[str, int]]:
    provinces = {
        short_name(name): code
        for name, code in db.session.execute(
            select(AdminUnit.name, AdminUnit.code).where(
                AdminUnit.era == Era.CURRENT, AdminUnit.level == Level.PROVINCE
            )
        )
    }
    by_folded = {fold(name): name for name in provinces}
    found: dict[str, int] = {}
    for name in sorted(provinces):
        if _matches(words, name):
            found[name] = provinces[name]
    # Aliases ("sài gòn", "daklak") name the province they stand for.
    for alias, place in vocabulary().places.items():
        province = by_folded.get(fold(place))
        if province and province not in found and _matches(words, " ".join(alias)):
            found[province] = provinces[province]
    return list(found.items())[:PLACES]
