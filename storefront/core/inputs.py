"""Hostile-input guards shared by every layer: integers the database can hold, text it accepts.

`"²".isdigit()` and `"٣".isdigit()` are true and `int("٣")` is 3, while PostgreSQL's integer
stops at 2**31-1 and its text refuses NUL. Every integer read from a URL, a query string or a
form goes through `parse_int` (ASCII digits only, within the database's range) or the `int`
URL converter below; NUL and other control characters are refused before any view runs
(`storefront.web.guards`).
"""

from __future__ import annotations

import re

from werkzeug.routing import IntegerConverter, Map

DB_INT_MAX = 2**31 - 1  # PostgreSQL `integer`; SQLite's 64-bit integer holds it too
_ASCII_DIGITS = re.compile(r"[0-9]{1,10}")
# C0 control characters except tab, line feed and carriage return (a textarea sends CR LF),
# and DEL. PostgreSQL refuses NUL in text; none of the others belongs in a form field.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def parse_int(text: object, *, low: int = 0, high: int = DB_INT_MAX) -> int | None:
    """`text` as an int when it is ASCII digits (surrounding spaces allowed) in [low, high].

    Anything else (unicode digits, signs, decimals, huge numbers, None) is None.
    """
    if isinstance(text, int) and not isinstance(text, bool):
        value = text
    elif isinstance(text, str) and _ASCII_DIGITS.fullmatch(text.strip()):
        value = int(text.strip())
    else:
        return None
    return value if low <= value <= high else None


def form_int(value: object) -> int:
    """A WTForms `coerce` like `int`, but ASCII digits within the database's range only.

    WTForms reports the ValueError as "could not coerce" on the field: a form error, not a 500.
    """
    number = parse_int(value)
    if number is None:
        raise ValueError(value)
    return number


def has_control_characters(text: str) -> bool:
    """True when `text` holds NUL or another control character a form never legitimately sends."""
    return _CONTROL.search(text) is not None


class BoundedIntConverter(IntegerConverter):
    """`<int:...>` that matches ASCII digits only and at most DB_INT_MAX (else 404, never 500).

    Registered as the app's `int` converter, so every existing `<int:id>` rule is bounded.
    """

    regex = r"[0-9]+"

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = DB_INT_MAX,
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)
