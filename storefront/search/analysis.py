"""Vietnamese text analysis for search: words, their exact form and their diacritic-free form.

Each word yields two index terms:

* the *folded* form — lowercase ASCII, every diacritic removed and đ → d — so that "luc ngan",
  "LUC NGAN" and "Lục Ngạn" meet;
* the *exact* form — lowercase with its diacritics kept, but written canonically, so that
  spellings that mean the same word meet while words that differ only by a mark stay apart
  ("bưởi" pomelo is not "buổi" session, though both fold to "buoi").

The canonical exact form puts the tone in a suffix (``hòa`` and ``hoà`` are one word written with
the tone on a different vowel — both become ``hoa:2``), keeps the vowel marks (ă â ê ô ơ ư) and
đ, and spells a syllable-final i/y after a consonant one way (``mỳ``/``mì``, ``kỹ``/``kĩ``,
``lý``/``lí`` are spelling variants of one word). It is an index key, never shown to anyone.

Plain functions, no search-engine types: another engine can analyse text the same way.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

_WORD = re.compile(r"\w+")

# The five tone marks as combining characters (NFD), numbered in the usual order of the
# Vietnamese tones: sắc 1, huyền 2, hỏi 3, ngã 4, nặng 5. Other combining marks (breve,
# circumflex, horn) are part of the vowel, not the tone, and stay in the exact form.
_TONES = {"\u0301": "1", "\u0300": "2", "\u0309": "3", "\u0303": "4", "\u0323": "5"}
_TONE_SEPARATOR = ":"  # never produced by the word pattern, so exact keys cannot collide

# A syllable that is a consonant initial followed by a lone i or y ("my", "ky", "quy").
# "uy" and "ay" syllables ("thuy", "hay") are different vowels and keep their y.
_FINAL_Y = re.compile(r"^(?:b|c|ch|d|đ|g|gh|h|k|kh|l|m|n|ng|ngh|nh|p|ph|qu|r|s|t|th|tr|v|x)y$")

# Words too common to require in a query ("mật ong và gừng" should not need "và" in the
# listing). Only words carrying a diacritic: their ASCII spelling is often another word
# ("cho" is also chó, chợ), so a query typed without marks keeps every word.
_QUERY_STOPWORDS_TEXT = "và của với các những là được từ tại ở có một"


@dataclass(frozen=True, slots=True)
class Term:
    """One word of a text: as written (NFC), and its exact and folded index keys."""

    surface: str
    exact: str
    folded: str

    @property
    def has_marks(self) -> bool:
        """True when the word carries diacritics: its exact key says more than its folded one."""
        return self.exact != self.folded


def nfc(text: str) -> str:
    """The text in Unicode NFC: input may arrive decomposed (macOS, some keyboards)."""
    return unicodedata.normalize("NFC", text)


def _split_tone(word: str) -> tuple[str, str]:
    """("hoa" with its vowel marks in NFC, tone digit or "") for one lowercase word."""
    base, tone = [], ""
    for char in unicodedata.normalize("NFD", word):
        mark = _TONES.get(char)
        if mark is not None:
            tone = mark
        else:
            base.append(char)
    return unicodedata.normalize("NFC", "".join(base)), tone


def _fold_letters(base: str) -> str:
    """Drop the vowel marks of a toneless word and write đ as d: "bươi" → "buoi"."""
    decomposed = unicodedata.normalize("NFD", base.replace("đ", "d"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _unify_final_y(base: str) -> str:
    """Write a consonant-initial syllable's lone final y as i ("my" → "mi", "quy" → "qui")."""
    if _FINAL_Y.match(base):
        return base[:-1] + "i"
    return base


@lru_cache(maxsize=65_536)
def term(word: str) -> Term:
    """Analyse one word (any case, NFC or NFD).

    Cached: Vietnamese is written in a few thousand distinct syllables, so indexing a
    catalog analyses the same words over and over."""
    surface = nfc(word)
    base, tone = _split_tone(surface.lower())
    base = _unify_final_y(base)
    folded = _unify_final_y(_fold_letters(base))
    exact = f"{base}{_TONE_SEPARATOR}{tone}" if tone else base
    return Term(surface=surface, exact=exact, folded=folded)


def terms(text: str) -> list[Term]:
    """The words of `text`, analysed, in order."""
    return list(map(term, _WORD.findall(nfc(text or ""))))


def fold(text: str) -> str:
    """The folded words of `text` joined by spaces: "Mỳ Chũ" → "mi chu"."""
    return " ".join(t.folded for t in terms(text))


_QUERY_STOPWORDS = frozenset(t.exact for t in terms(_QUERY_STOPWORDS_TEXT))


def is_stopword(word: Term) -> bool:
    """A function word a query does not require ("và", "của", ...)."""
    return word.exact in _QUERY_STOPWORDS


def pair_key(left: Term, right: Term) -> str:
    """The index key of two words that follow each other: "vai_thieu"."""
    return f"{left.folded}_{right.folded}"


def word_pairs(words: list[Term]) -> list[str]:
    """Keys of adjacent words, function words skipped as a query skips them, so that
    "mật ong và gừng" holds the pair "ong_gung" a query "mật ong và gừng" looks for."""
    content = [w for w in words if not is_stopword(w)]
    return [pair_key(a, b) for a, b in pairwise(content)]


def query_terms(text: str) -> list[Term]:
    """The words of a search query that must match: common function words are dropped,
    unless nothing else is left. Repeated words count once (order kept)."""
    first: dict[str, Term] = {}
    for t in terms(text):
        first.setdefault(t.exact, t)
    words = list(first.values())
    kept = [t for t in words if not is_stopword(t)]
    return kept or words
