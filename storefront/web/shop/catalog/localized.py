"""A listing in the reader's language: its English name and short description in the English UI.

Pages and cards that show them are cached per locale (catalog routes, web/catalog_cache.py),
so the English card is never served to a Vietnamese page.
"""

from __future__ import annotations

from typing import Any

from flask_babel import get_locale


def in_english() -> bool:
    """The reader chose the English UI."""
    return str(get_locale()) == "en"


def listing_name(listing: Any) -> str:
    """A listing's (or card's) name in the reader's language: the English name in the
    English UI when the seller gave one, else the Vietnamese name."""
    return (listing.name_en if in_english() else "") or listing.name
