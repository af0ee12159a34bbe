"""What a shopper meant: keyboard leftovers, synonyms, English and place names in a query.

Driven by the data files of storefront/search/data (see README "Search vocabulary"):

* vocabulary.toml — English ↔ Vietnamese names of OCOP product types and attributes;
* synonyms.toml   — regional words, spellings and abbreviations that mean the same;
* places.toml     — place names the administrative data lacks (the January 2025 renames,
                    old spellings, short forms);
* filler.toml     — shopping words wrapped around a query ("mua", "giá rẻ", "chính hãng",
                    "buy", "cheap"): never required, never scored.

Plain functions, no engine types: `understand` turns query words into clauses, each a set
of alternative phrasings; the engine matches a clause when any alternative matches, and
asks `is_known` (its index) whether a word or place exists.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import vietnam_provinces as vp
from vietnam_provinces import legacy

from storefront.search.analysis import Term, fold, term, terms

DATA = Path(__file__).parent / "data"
MAX_PHRASE = 4  # words in the longest phrase looked up

# Telex: doubled vowels and dd for â ê ô đ, w for the horn and breve, a final letter for the
# tone. VNI: digits. Both decode to the letters without marks, which is what the folded
# index keys hold.
# The tone key ends the word, after its vowel and at most two final consonants ("hungf",
# "banhs"; Vietnamese finals are c ch m n ng nh p t).
_TELEX_TONE = re.compile(r"([aeiouy](?:ch|ng|nh|[cmnpt])?)[sfrxj]$")
_TELEX_PAIRS = (
    ("dd", "d"),
    ("aa", "a"),
    ("ee", "e"),
    ("oo", "o"),
    ("uw", "u"),
    ("ow", "o"),
    ("aw", "a"),
)
_VNI = re.compile(r"[1-9]")


@dataclass(frozen=True)
class Vocabulary:
    """Phrase (folded words) → alternative Vietnamese phrases, and place aliases."""

    phrases: dict[tuple[str, ...], tuple[str, ...]]
    places: dict[tuple[str, ...], str]  # alias → place name as listings carry it
    optional: frozenset[tuple[str, ...]]  # generic phrases a listing need not hold
    english: frozenset[tuple[str, ...]]  # the English phrases of vocabulary.toml
    words: frozenset[str]  # every folded word the files know
    # Shopping filler (filler.toml), by folded key: the phrase's words as Terms, to compare
    # a word typed with marks by its exact form.
    filler: dict[tuple[str, ...], tuple[Term, ...]] = field(default_factory=dict)
    # The Vietnamese names of product types (vocabulary.toml's `vi`), folded: what a
    # query's product word is ("tỏi", "chè", "mật ong").
    products: frozenset[tuple[str, ...]] = frozenset()
    # The keys of synonyms.toml (Vietnamese words), folded.
    vietnamese: frozenset[tuple[str, ...]] = frozenset()
    # The English names of product types (entries of an OCOP group, not group 0's
    # attributes such as "dried" or "organic"), folded.
    english_types: frozenset[tuple[str, ...]] = frozenset()
    # Words of synonyms.toml's `in_names` sets, folded: their synonyms are looked up in names.
    in_names: frozenset[tuple[str, ...]] = frozenset()
    # The Vietnamese names of product types of an OCOP group (not group 0's attributes such
    # as "rừng" or "hữu cơ"), folded.
    product_types: frozenset[tuple[str, ...]] = frozenset()


@cache
def vocabulary() -> Vocabulary:
    """The data files, read once per process."""
    phrases: dict[tuple[str, ...], list[str]] = {}
    words: set[str] = set()

    def add(key: str, alternatives: list[str]) -> None:
        folded = tuple(fold(key).split())
        if not folded:
            return
        entry = phrases.setdefault(folded, [])
        for alternative in alternatives:
            if alternative not in entry and fold(alternative) != " ".join(folded):
                entry.append(alternative)
        words.update(folded)
        for alternative in alternatives:
            words.update(fold(alternative).split())

    data = tomllib.loads((DATA / "vocabulary.toml").read_text(encoding="utf-8"))
    english_keys = set()
    english_types = set()
    product_types: set[tuple[str, ...]] = set()
    products: set[tuple[str, ...]] = set()
    for entry in data["terms"]:
        for english in entry["en"]:
            add(english, entry["vi"])
            english_keys.add(tuple(fold(english).split()))
            if entry["group"]:
                english_types.add(tuple(fold(english).split()))
        products.update(tuple(fold(vi).split()) for vi in entry["vi"])
        if entry["group"]:
            product_types.update(tuple(fold(vi).split()) for vi in entry["vi"])
    synonyms = tomllib.loads((DATA / "synonyms.toml").read_text(encoding="utf-8"))
    vietnamese: set[tuple[str, ...]] = set()
    for same in synonyms["same"]:
        for member in same:
            add(member, [other for other in same if other != member])
            vietnamese.add(tuple(fold(member).split()))
    in_names: set[tuple[str, ...]] = set()
    for same in synonyms.get("in_names", []):
        for member in same:
            add(member, [other for other in same if other != member])
            vietnamese.add(tuple(fold(member).split()))
            in_names.add(tuple(fold(member).split()))
    for key, meanings in synonyms.get("means", {}).items():
        add(key, meanings)
        vietnamese.add(tuple(fold(key).split()))
    aliases = tomllib.loads((DATA / "places.toml").read_text(encoding="utf-8"))["aliases"]
    places = {tuple(fold(k).split()): v for k, v in aliases.items()}
    for key, name in aliases.items():
        words.update(fold(key).split())
        words.update(fold(name).split())
    optional = frozenset(tuple(fold(p).split()) for p in synonyms.get("optional", []))
    for phrase in optional:
        words.update(phrase)
    phrase_map = {k: tuple(v) for k, v in phrases.items()}
    filler_words = tomllib.loads((DATA / "filler.toml").read_text(encoding="utf-8"))["words"]
    filler = {tuple(t.folded for t in terms(p)): tuple(terms(p)) for p in filler_words}
    return Vocabulary(
        phrase_map,
        places,
        optional,
        frozenset(english_keys),
        frozenset(words),
        filler,
        frozenset(products),
        frozenset(vietnamese),
        frozenset(english_types),
        frozenset(in_names),
        frozenset(product_types),
    )


def names_product(clause: Clause) -> bool:
    """True when the clause, as typed, names a product type of the vocabulary, in
    Vietnamese (with or without marks) or in English."""
    typed = tuple(word.folded for word in clause.typed)
    vocab = vocabulary()
    if typed in vocab.filler:  # "ban": "bản" (a village) or "bán" (sell)? Not telling.
        return False
    return clause.english or typed in vocab.products


def names_product_type(clause: Clause) -> bool:
    """True when the clause, as typed, names a product type of an OCOP group ("vải",
    "honey"), not an attribute ("rừng", "organic", "ngon")."""
    vocab = vocabulary()
    typed = tuple(word.folded for word in clause.typed)
    english = english_singular(typed) or typed
    return typed in vocab.product_types or (clause.english and english in vocab.english_types)


def is_filler(typed: list[Term]) -> bool:
    """True when these query words are a shopping filler phrase: compared by their exact
    form when typed with marks ("bán" is filler, "bản" is not), folded when typed without.

    A lone word typed without marks is filler only when the entry has none either ("mua",
    "ship"): "ban", "dau" or "re" alone may as well be "bản", "dầu" or "rễ"."""
    entry = vocabulary().filler.get(tuple(w.folded for w in typed))
    if entry is None:
        return False
    if len(typed) == 1 and not typed[0].has_marks and entry[0].has_marks:
        return False
    return all(
        word.exact == known.exact if word.has_marks else True
        for word, known in zip(typed, entry, strict=True)
    )


def english_singular(key: tuple[str, ...]) -> tuple[str, ...] | None:
    """An English phrase's last word without its plural ending, when the vocabulary knows
    that one ("grapes" → "grape", "chestnuts" → "chestnut", "peaches" → "peach")."""
    last = key[-1]
    vocab = vocabulary()
    for cut in ("es", "s"):
        if len(last) > len(cut) + 2 and last.endswith(cut):
            singular = (*key[:-1], last[: -len(cut)])
            if singular in vocab.english:
                return singular
    return None


def phrase_words(folded: list[str]) -> list[str]:
    """The folded words (and whole place keys) of every alternative and place alias the
    vocabulary gives a run of these folded words: what `understand` may look up besides the
    words typed, to ask about all at once."""
    vocab = vocabulary()
    found: list[str] = []
    for size in range(1, min(MAX_PHRASE, len(folded)) + 1):
        for start in range(len(folded) - size + 1):
            key = tuple(folded[start : start + size])
            singular = english_singular(key)
            for alternatives in (vocab.phrases.get(key), singular and vocab.phrases.get(singular)):
                for alternative in alternatives or ():
                    found += fold(alternative).split()
            alias = vocab.places.get(key)
            if alias:
                words = fold(alias).split()
                found += [*words, place_key(tuple(words))]
    return found


def place_key(words: list[Term] | tuple[str, ...]) -> str:
    """The index key of a whole place name: its folded words joined by "_"."""
    return "_".join(w if isinstance(w, str) else w.folded for w in words)


def decode_keys(word: str) -> str | None:
    """The folded word a Telex or VNI leftover stands for ("maatj" → "mat", "mam81" → "mam"),
    or None when the word holds no such keys."""
    lowered = fold(word)
    has_letters = any(c.isalpha() for c in lowered)
    decoded = _VNI.sub("", lowered) if has_letters else lowered
    if decoded == lowered:
        for pair, letter in _TELEX_PAIRS:
            decoded = decoded.replace(pair, letter)
        decoded = _TELEX_TONE.sub(r"\1", decoded)
        if decoded.startswith("w"):
            decoded = "u" + decoded[1:]
        decoded = decoded.replace("w", "")
    if decoded == lowered or not decoded.isalpha():
        return None
    return decoded


@dataclass
class Clause:
    """One thing the query asks for: the words typed, and other ways to say them.

    `alternatives[0]` is what was typed (keyboard leftovers decoded); the others come from
    the vocabulary. `place` is the index key of a place name the words spell, if any.
    """

    alternatives: list[list[Term]]
    place: str | None = None
    from_vocabulary: bool = False
    optional: bool = False  # a generic word ("đặc sản", "tỉnh"): scores, never required
    english: bool = False  # an English phrase of the vocabulary: never "corrected"
    # An English name of a product type ("incense", "orange"), or a word of synonyms.toml's
    # `in_names`: its other words (alternatives[1:]) are looked up where a listing says what
    # it is (matching.word_lookups).
    in_names: bool = False
    decoded: set[int] = field(default_factory=set)  # positions in alternatives[0] decoded
    filler: bool = False  # shopping filler (filler.toml): never required, never scored
    # Set by the engine: a word no listing holds and no correction fixes, dropped from the
    # required words so that it does not sink the others.
    dropped: bool = False
    # A place of Vietnam's administrative units (current or before 2025) that no listing
    # comes from ("lý sơn", "thái nguyên"): asked with a product word, that product from
    # elsewhere is what the shopper wants.
    elsewhere: bool = False

    @property
    def typed(self) -> list[Term]:
        return self.alternatives[0]


_UNIT_PREFIXES = (
    "thanh pho",
    "thi xa",
    "thi tran",
    "dac khu",
    "tinh",
    "huyen",
    "quan",
    "phuong",
    "xa",
)


@cache
def unit_names() -> frozenset[tuple[str, ...]]:
    """Folded names of Vietnam's provinces, districts and communes, current and before
    2025, without their "Tỉnh"/"Xã"/… prefix, of two words or more ("ly son", "mau son")."""
    names: set[tuple[str, ...]] = set()
    units: tuple[Any, ...] = (
        *vp.Province.iter_all(),
        *vp.Ward.iter_all(),
        *legacy.Province.iter_all(),
        *legacy.District.iter_all(),
        *legacy.Ward.iter_all(),
    )
    for unit in units:
        name = fold(str(unit.name))
        for prefix in _UNIT_PREFIXES:
            if name.startswith(prefix + " "):
                name = name[len(prefix) + 1 :]
                break
        words = tuple(name.split())
        if len(words) > 1 and not any(w.isdigit() for w in words):
            names.add(words)
    return frozenset(names)


def _decoded_term(word: Term, is_known: Callable[[str], bool]) -> Term:
    """The word, or the word its Telex/VNI leftovers spell when that one is known and the
    word as typed is not (a real word is never changed)."""
    if is_known(word.folded) or word.folded in vocabulary().words:
        return word
    decoded = decode_keys(word.surface)
    if decoded and (is_known(decoded) or decoded in vocabulary().words):
        return Term(surface=decoded, exact=decoded, folded=decoded)
    return word


def understand(
    words: list[Term],
    is_known: Callable[[str], bool],
    is_place: Callable[[str], bool],
) -> list[Clause]:
    """Group query words into clauses: vocabulary phrases and place names (longest first)
    become one clause with their alternatives; any other word is a clause of its own."""
    vocab = vocabulary()
    typed_words = words
    words = [_decoded_term(w, is_known) for w in words]
    folded = [w.folded for w in words]
    clauses: list[Clause] = []
    i = 0
    while i < len(words):
        for size in range(min(MAX_PHRASE, len(words) - i), 0, -1):
            key = tuple(folded[i : i + size])
            typed = words[i : i + size]
            decoded = {k for k in range(size) if typed[k] is not typed_words[i + k]}
            if is_filler(typed_words[i : i + size]) and not (size > 1 and is_place(place_key(key))):
                clauses.append(Clause([typed], optional=True, filler=True))
                i += size
                break
            alias = vocab.places.get(key)
            place = place_key(tuple(fold(alias).split())) if alias else None
            if place is None and size > 1 and is_place(place_key(key)):
                place = place_key(key)
            if place is not None and not is_place(place):
                place = None
            if place is not None and alias is None and _overlapped(folded, i, size, is_place):
                continue  # "trà sơn la": Sơn La, not Xã Trà Sơn and a stray "la"
            alternatives = vocab.phrases.get(key)
            singular = english_singular(key) if alternatives is None else None
            if singular is not None:
                alternatives = vocab.phrases.get(singular)
            english_only = (singular or key) in vocab.english and key not in vocab.vietnamese
            if english_only and any(w.has_marks for w in typed):
                # Written with marks, it is Vietnamese: "mật" is honey, not a "mat".
                alternatives = singular = None
            if key in vocab.optional and place is None and alternatives is None:
                clauses.append(Clause([typed], optional=True))
                i += size
                break
            if place is None and alternatives is None:
                if size > 1 and key in unit_names() and key not in vocab.products:
                    clauses.append(Clause([typed], elsewhere=True, decoded=decoded))
                    i += size
                    break
                continue
            options = [typed]
            for alternative in alternatives or ():
                options.append(terms(alternative))
            if alias and place is None:
                options.append(terms(alias))
            clauses.append(
                Clause(
                    options,
                    place=place,
                    from_vocabulary=alternatives is not None,
                    english=(singular or key) in vocab.english,
                    in_names=(singular or key) in vocab.in_names
                    or ((singular or key) in vocab.english_types and key not in vocab.vietnamese),
                    decoded=decoded,
                )
            )
            i += size
            break
        else:
            decoded = {0} if words[i] is not typed_words[i] else set()
            clauses.append(Clause([[words[i]]], decoded=decoded))
            i += 1
    if clauses and all(c.filler for c in clauses):  # nothing else: search them as typed
        clauses = [Clause(c.alternatives) for c in clauses]
    return clauses


def _overlapped(folded: list[str], start: int, size: int, is_place: Callable[[str], bool]) -> bool:
    """True when a place name of several words begins inside this one and reaches further:
    the query then means that one ("trà sơn la" is tea from Sơn La, though Trà Sơn is a
    commune too)."""
    end = start + size
    return any(
        is_place(place_key(tuple(folded[j : j + other])))
        for j in range(start + 1, end)
        for other in range(2, MAX_PHRASE + 1)
        if end < j + other <= len(folded)
    )


def known_word(word: str) -> bool:
    """True when the vocabulary files know this folded word."""
    return word in vocabulary().words


__all__ = [
    "Clause",
    "decode_keys",
    "english_singular",
    "is_filler",
    "known_word",
    "names_product",
    "place_key",
    "term",
    "understand",
    "vocabulary",
]
