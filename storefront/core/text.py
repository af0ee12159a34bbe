"""Vietnamese text helpers: folding diacritics, making ASCII URL slugs, plain text from people."""

from __future__ import annotations

import re
import unicodedata

_NOT_SLUG = re.compile(r"[^a-z0-9]+")
# What plain text from people never keeps: C0/C1 control characters (but the tab, which
# becomes a space, and the line feed), and the invisible format characters that reorder or
# hide text (bidi overrides and isolates, zero-width spaces, the BOM). The zero-width joiner
# stays: emoji need it.
_UNWANTED = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b\u200c\u200e\u200f\u202a-\u202e"
    r"\u2060-\u2064\u2066-\u2069\ufeff]"
)
_SPACES = re.compile(r"[^\S\n]+")  # any run of whitespace within a line
_BLANK_LINES = re.compile(r"\n{3,}")


def fold_diacritics(text: str) -> str:
    """ "Vải thiều Lục Ngạn" → "Vai thieu Luc Ngan"; đ/Đ become d/D.

    NFC first so that input typed in decomposed form folds the same; đ is a letter of its
    own, not d plus a mark, so no Unicode decomposition removes its bar.
    """
    text = unicodedata.normalize("NFC", text).replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# Vietnamese alphabetical order: ă and â come after a, đ after d, ê after e, ô and ơ after o,
# ư after u (letters of their own); the tones only break ties, in the dictionary's order:
# none, huyền, hỏi, ngã, sắc, nặng.
_ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}
# The words an administrative unit's name starts with, not sorted on ("Tỉnh Cà Mau").
UNIT_PREFIXES = ("thành phố ", "tỉnh ", "đặc khu ", "thị trấn ", "phường ", "xã ")


def vietnamese_sort_key(text: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """A key that sorts Vietnamese as its dictionaries do: "Cà Mau", "Cao Bằng", "Cần Thơ",
    "Đà Nẵng" after every D. Sorting the folded text instead puts "Cần Thơ" before "Cao"."""
    letters: list[int] = []
    tones: list[int] = []
    for char in unicodedata.normalize("NFC", text).lower():
        tone, base = 0, ""
        for part in unicodedata.normalize("NFD", char):
            if part in _TONES:
                tone = _TONES[part]
            else:
                base += part
        base = unicodedata.normalize("NFC", base)
        index = _ALPHABET.find(base) if len(base) == 1 else -1
        # Spaces, digits and signs before every letter, in code point order.
        letters.append(index if index >= 0 else ord(base[:1] or " ") - 0x110000)
        tones.append(tone)
    return tuple(letters), tuple(tones)


def unit_sort_key(name: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """vietnamese_sort_key of a province's or commune's name without "Tỉnh", "Xã"…"""
    lowered = unicodedata.normalize("NFC", name).lower()
    for prefix in UNIT_PREFIXES:
        if lowered.startswith(prefix):
            return vietnamese_sort_key(lowered[len(prefix) :])
    return vietnamese_sort_key(lowered)


def slugify(text: str, max_length: int | None = None) -> str:
    """ "Vải thiều Lục Ngạn" → "vai-thieu-luc-ngan": ASCII letters and digits joined by "-"."""
    slug = _NOT_SLUG.sub("-", fold_diacritics(text).lower()).strip("-")
    if max_length is not None:
        slug = slug[:max_length].rstrip("-")
    return slug


def plain_text(text: str | None) -> str:
    """Text as people wrote it, made safe to keep and show as plain text: NFC, line breaks as
    "\\n", no control or invisible format characters, each run of spaces (tabs, no-break
    spaces) one space, no spaces at the ends of lines, at most one blank line in a row, no
    blank lines around. Markup is not touched: it is text, escaped where it is shown."""
    text = unicodedata.normalize("NFC", text or "").replace("\r\n", "\n").replace("\r", "\n")
    text = _UNWANTED.sub("", text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
