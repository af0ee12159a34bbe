"""Finding an order's payment code in what a bank wrote as a transfer's content.

Banks mangle the content the buyer typed: upper or lower case, diacritics dropped ("Chuyển
tiền" → "Chuyen tien"), spaces, dots or dashes inserted, their own prefixes glued to it
("MBVCB.123456.OCOP7K2Q9M.CT tu ...", "IBFT OCOP7K2Q9M", "...-OCOP7K2Q9M-...") and other words
glued after it ("OCOP7K2Q9Mthanh toan"). A code is "OCOP" and six symbols of Crockford's base32
(core/vietqr.py), so it is found as OCOP followed by six symbols once every separator is gone;
the letters Crockford reads as digits (O as 0, I and L as 1) are read that way, since no code
contains them. Pure functions: the caller decides which candidate names an order (exactly
one, never a near miss); `near_codes` only feeds a suggestion staff must confirm.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from storefront.core.vietqr import CODE_ALPHABET, CODE_PREFIX, CODE_RANDOM_LENGTH

CODE_LENGTH = len(CODE_PREFIX) + CODE_RANDOM_LENGTH
_NOT_ALNUM = re.compile(r"[^A-Z0-9]+")
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})  # Crockford's decoding
_ALPHABET = frozenset(CODE_ALPHABET)
MAX_CANDIDATES = 8  # a content naming more codes than this is not a payment for one order


def fold(text: str) -> str:
    """Upper case, without diacritics (đ → D), every run of non-alphanumerics removed."""
    decomposed = unicodedata.normalize("NFKD", (text or "").replace("đ", "d").replace("Đ", "D"))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NOT_ALNUM.sub("", plain.upper())


def _symbols(tail: str) -> str | None:
    """The six random symbols of a code from what follows the prefix, or None."""
    if len(tail) < CODE_RANDOM_LENGTH:
        return None
    symbols = tail[:CODE_RANDOM_LENGTH].translate(_READ_AS)
    return symbols if all(ch in _ALPHABET for ch in symbols) else None


def _prefix_positions(compact: str) -> Iterable[int]:
    start = compact.find(CODE_PREFIX)
    while start != -1:
        yield start
        start = compact.find(CODE_PREFIX, start + 1)


def candidate_codes(*texts: str | None) -> list[str]:
    """Every well-formed payment code the texts may carry, in order of appearance, each once
    (SePay's own `code` field first, then the content)."""
    found: list[str] = []
    for text in texts:
        compact = fold(text or "")
        for start in _prefix_positions(compact):
            symbols = _symbols(compact[start + len(CODE_PREFIX) :])
            if symbols is not None:
                code = CODE_PREFIX + symbols
                if code not in found:
                    found.append(code)
            if len(found) >= MAX_CANDIDATES:
                return found
    return found


def near_codes(*texts: str | None) -> set[str]:
    """Codes one typing slip away from what follows "OCOP" in the texts: one symbol changed,
    two neighbours swapped, one symbol missing or one too many. For a suggestion only."""
    near: set[str] = set()
    for text in texts:
        compact = fold(text or "").translate(_READ_AS)
        # the prefix itself may have been read O→0 above: look for it in both spellings
        starts = [m.start() for m in re.finditer(r"(?=[O0]C[O0]P)", compact)][:3]
        for start in starts:
            tail = compact[start + len(CODE_PREFIX) :][: CODE_RANDOM_LENGTH + 1]
            for variant in _variants(tail):
                near.add(CODE_PREFIX + variant)
    return near


def _variants(tail: str) -> set[str]:
    n = CODE_RANDOM_LENGTH
    out: set[str] = set()
    six, five = tail[:n], tail[: n - 1]
    if len(six) == n:
        for i in range(n):
            for ch in CODE_ALPHABET:
                out.add(six[:i] + ch + six[i + 1 :])  # one symbol changed (or none)
        for i in range(n - 1):
            out.add(six[:i] + six[i + 1] + six[i] + six[i + 2 :])  # neighbours swapped
    if len(tail) == n + 1:
        for i in range(n + 1):
            out.add(tail[:i] + tail[i + 1 :])  # one symbol too many
    if len(five) == n - 1:
        for i in range(n):
            for ch in CODE_ALPHABET:
                out.add(five[:i] + ch + five[i:])  # one symbol missing
    return {v for v in out if len(v) == n and all(ch in _ALPHABET for ch in v)}
