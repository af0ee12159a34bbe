"""Vietnamese phone numbers: accept what people type, store one canonical form."""

from __future__ import annotations

import re

from flask_babel import gettext as _

from storefront.core.errors import InvalidPhone

# Separators people type between digit groups: "0912 345 678", "091.234.5678", "(091) 234-5678".
_SEPARATORS = re.compile(r"[\s.\-()]")
_NATIONAL = re.compile(r"0[1-9]\d{8}")  # 10 digits, trunk prefix 0
_INTERNATIONAL = re.compile(r"\+84([1-9]\d{8})")  # +84 then the number without its 0


def normalize_vn_phone(raw: str) -> str:
    """ "0912 345 678" or "+84 912 345 678" → "0912345678"; raises InvalidPhone otherwise."""
    compact = _SEPARATORS.sub("", raw or "")
    if _NATIONAL.fullmatch(compact):
        return compact
    match = _INTERNATIONAL.fullmatch(compact)
    if match:
        return "0" + match.group(1)
    raise InvalidPhone(
        _("Enter a Vietnamese phone number: 10 digits starting with 0, or +84 and 9 digits.")
    )


def is_vn_phone(raw: str) -> bool:
    try:
        normalize_vn_phone(raw)
    except InvalidPhone:
        return False
    return True
