"""Where a request may send the browser next: a path on this shop, never another site."""

from __future__ import annotations

import unicodedata
from urllib.parse import unquote, urlsplit


def _starts_as_a_local_path(target: str) -> bool:
    # "/x" only: "//host" and "/\host" are read by browsers as another site.
    return target.startswith("/") and target[1:2] not in ("/", "\\")


def _is_control(ch: str) -> bool:
    return unicodedata.category(ch)[0] == "C"


def is_local_path(target: str | None) -> bool:
    """True for a same-site path such as "/products?page=2".

    Browsers drop tabs and newlines from a URL and read "\\" as "/", so "/\\t/evil.example"
    and "/\\\\evil.example" mean "//evil.example": any whitespace or control character, a
    leading "//" or "/\\" (also once percent-decoded), a scheme or a host is refused.
    """
    if not target or not isinstance(target, str):
        return False
    if any(ch.isspace() or _is_control(ch) for ch in target):
        return False
    decoded = unquote(target)
    if any(_is_control(ch) for ch in decoded):
        return False
    if not (_starts_as_a_local_path(target) and _starts_as_a_local_path(decoded)):
        return False
    for candidate in (target, decoded):
        parts = urlsplit(candidate.replace("\\", "/"))
        if parts.scheme or parts.netloc:
            return False
    return True


def safe_next(target: str | None, fallback: str) -> str:
    """`target` if it is a same-site path (see is_local_path), else `fallback`."""
    return target if target is not None and is_local_path(target) else fallback


__all__ = ["is_local_path", "safe_next"]
