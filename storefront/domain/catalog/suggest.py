"""Suggestions under the header search box as a shopper types: products, cooperatives, places.

Products come from the search index (the text as typed, then its last word completed:
"mat ong ban" → "mật ong bản ..."), re-checked against the visibility rule by public_cards;
cooperatives are the approved ones; places are today's provinces and the aliases of
storefront/search/data/places.toml. Matching folds case and diacritics ("ha gi" finds
"Hà Giang") and takes the last word as a beginning.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from storefront.domain.catalog.cards import public_cards
from storefront.extensions import db
from storefront.models import AdminUnit, Cooperative, CooperativeStatus, Era, Level
from storefront.search import SearchQuery, search, words_starting
from storefront.search.analysis import fold
from storefront.search.documents import short_name
from storefront.search.understanding import vocabulary

MIN_LENGTH = 2  # characters typed before anything is suggested
MAX_LENGTH = 60  # characters of the query looked at
PRODUCTS, COOPERATIVES, PLACES = 5, 3, 3
COMPLETIONS = 3  # completions of the last word tried when the text alone finds too few


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
    """What to suggest for `text` (empty under MIN_LENGTH characters)."""
    text = clean(text)
    if len(text) < MIN_LENGTH or not fold(text):
        return Suggestions()
    words = fold(text).split()
    return Suggestions(
        products=_products(text),
        cooperatives=_cooperatives(words),
        places=_places(words),
    )


def _matches(words: list[str], name: str) -> bool:
    """Every typed word is a word of `name` (folded), the last one perhaps only begun."""
    have = fold(name).split()
    *whole, last = words
    return all(word in have for word in whole) and any(w.startswith(last) for w in have)


def _product_ids(text: str) -> list[int]:
    def run(query_text: str) -> list[int]:
        query = SearchQuery(text=query_text, per_page=PRODUCTS * 2, facets=False, exact=True)
        return search(query).ids

    ids = run(text)
    if len(ids) < PRODUCTS:
        typed = text.split()
        head, last = " ".join(typed[:-1]), fold(typed[-1])
        for word in words_starting(last)[:COMPLETIONS]:
            ids += [i for i in run(f"{head} {word}".strip()) if i not in ids]
            if len(ids) >= PRODUCTS * 2:
                break
    return ids


def _products(text: str) -> list[ProductSuggestion]:
    cards = public_cards(_product_ids(text))[:PRODUCTS]
    return [ProductSuggestion(card.name, card.slug, card.stars) for card in cards]


def _cooperatives(words: list[str]) -> list[tuple[str, str]]:
    rows = db.session.execute(
        select(Cooperative.legal_name, Cooperative.slug)
        .where(Cooperative.status == CooperativeStatus.APPROVED)
        .order_by(Cooperative.legal_name)
    ).all()
    found = [(name, slug) for name, slug in rows if _matches(words, name)]
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
        name = by_folded.get(fold(place))
        if name and name not in found and _matches(words, " ".join(alias)):
            found[name] = provinces[name]
    return list(found.items())[:PLACES]
