"""Vietnamese text helpers: folding diacritics and making ASCII URL slugs."""

from __future__ import annotations

import re
import unicodedata

_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def fold_diacritics(text: str) -> str:
    """ "Vải thiều Lục Ngạn" → "Vai thieu Luc Ngan"; đ/Đ become d/D.

    NFC first so that input typed in decomposed form folds the same; đ is a letter of its
    own, not d plus a mark, so no Unicode decomposition removes its bar.
    """
    text = unicodedata.normalize("NFC", text).replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def slugify(text: str, max_length: int | None = None) -> str:
    """ "Vải thiều Lục Ngạn" → "vai-thieu-luc-ngan": ASCII letters and digits joined by "-"."""
    slug = _NOT_SLUG.sub("-", fold_diacritics(text).lower()).strip("-")
    if max_length is not None:
        slug = slug[:max_length].rstrip("-")
    return slug
