"""Template filters and globals: money in đồng, dates, stars, OCOP groups, the language switch."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import NamedTuple, Protocol
from urllib.parse import urlencode

from babel.numbers import format_decimal
from flask import Flask, request, url_for
from flask_babel import format_date, get_locale, gettext
from flask_babel import lazy_gettext as _l
from werkzeug.routing import BuildError

# The six OCOP groups of Decision 148/QĐ-TTg, labelled in one place (msgids in English).
# Lazy strings, typed as the str they become when shown.
OCOP_GROUP_LABELS: dict[int, str] = {
    1: _l("Food"),
    2: _l("Drinks"),
    3: _l("Medicinal herbs"),
    4: _l("Handicrafts"),
    5: _l("Ornamental plants and animals"),
    6: _l("Community and eco-tourism services"),
}

AVAILABILITY_LABELS: dict[str, str] = {
    "in_stock": _l("In stock"),
    "preorder": _l("Pre-order"),
    "sold_out": _l("Sold out"),
}


# WTForms ships no Vietnamese catalog: its commonest messages are translated here instead.
WTFORMS_MESSAGES = (
    _l("This field is required."),
    _l("Invalid email address."),
    _l("Not a valid choice."),
    _l("Not a valid integer value."),
    _l("The CSRF token is missing."),
    _l("The CSRF token has expired."),
    _l("The CSRF token is invalid."),
    _l("The CSRF session token is missing."),
)


class PriceFrom(NamedTuple):
    """The price a card shows: the lowest one, and whether other packages cost more."""

    amount: int
    varies: bool


class PackageLike(Protocol):
    """What price_from() and availability() read of a package."""

    @property
    def stock(self) -> int: ...
    @property
    def preorder(self) -> bool: ...
    @property
    def price(self) -> int: ...


def format_vnd(amount: int | None, locale: str | None = None) -> str:
    """150000 → "150.000 ₫" (vi) or "150,000 ₫" (en), -4750 → "−4.750 ₫". Money is an
    integer number of đồng."""
    if amount is None:
        return ""
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise TypeError(f"money must be an int number of đồng, not {type(amount).__name__}")
    locale = locale or str(get_locale() or "vi")
    # A negative balance with the minus sign ("−4.750 ₫"), as the signed amounts beside it.
    text = format_decimal(abs(amount), locale=locale)
    return f"{'\u2212' if amount < 0 else ''}{text}\u00a0₫"


def format_number(value: int | None, locale: str | None = None) -> str:
    """1234 → "1.234" (vi) or "1,234" (en)."""
    if value is None:
        return ""
    return format_decimal(value, locale=locale or str(get_locale() or "vi"))


def shown_sold(count: int) -> int:
    """A sold count as shops round it, as a number: 999 → 999; 1 234 → 1 200 ("1,2k");
    15 678 → 15 000 ("15k"); 1 234 567 → 1 200 000 ("1,2tr"). Never rounded up: a shop
    that has sold 1 199 has not sold 1,2k."""
    if count < 1_000:
        return max(count, 0)
    if count < 10_000:
        return count // 100 * 100
    if count < 1_000_000:
        return count // 1_000 * 1_000
    return count // 100_000 * 100_000


def rating_tenths(rating_sum: int, rating_count: int) -> int:
    """An average rating as shown, in tenths (4,76 → 48); 0 without a rating. Rounded half
    up in integers, so every engine and page agrees."""
    if rating_count <= 0:
        return 0
    return (rating_sum * 20 + rating_count) // (rating_count * 2)


def _tenths_text(tenths: int, locale: str) -> str:
    whole, tenth = divmod(tenths, 10)
    if not tenth:
        return str(whole)
    return f"{whole}{',' if locale == 'vi' else '.'}{tenth}"


def format_sold(count: int, locale: str | None = None) -> str:
    """The sold figure as Vietnamese shops write it: "999", "1,2k", "15k", "1,2tr" (vi);
    "999", "1.2k", "15k", "1.2M" (en). Takes the count, rounds it with shown_sold."""
    locale = locale or str(get_locale() or "vi")
    shown = shown_sold(count)
    if shown < 1_000:
        return str(shown)
    if shown < 1_000_000:
        return _tenths_text(shown // 100, locale) + "k"
    return _tenths_text(shown // 100_000, locale) + ("tr" if locale == "vi" else "M")


def format_rating(tenths: int, locale: str | None = None) -> str:
    """An average rating from its tenths, one decimal always: "4,8" (vi), "4.8" (en)."""
    locale = locale or str(get_locale() or "vi")
    whole, tenth = divmod(max(tenths, 0), 10)
    return f"{whole}{',' if locale == 'vi' else '.'}{tenth}"


def date_vn(value: date | None) -> str:
    """A date in the reader's language: 25/11/2026 (vi) or Nov 25, 2026 (en)."""
    if value is None:
        return ""
    return str(format_date(value, "dd/MM/yyyy" if str(get_locale()) == "vi" else "medium"))


def stars_text(stars: int) -> str:
    return "★" * stars + "☆" * (5 - stars)


def ocop_group_label(group: int | str | None) -> str:
    """The translated name of OCOP group 1–6 (a lazy string); "" for anything else."""
    if group is None:
        return ""
    try:
        return OCOP_GROUP_LABELS.get(int(group), "")
    except (TypeError, ValueError):
        return ""


def price_from(packages: Iterable[PackageLike]) -> PriceFrom | None:
    """The lowest price among the packages a buyer can take (all of them if none can)."""
    packages = list(packages)
    buyable = [p for p in packages if p.stock > 0 or p.preorder] or packages
    if not buyable:
        return None
    prices = {p.price for p in buyable}
    return PriceFrom(min(prices), len(prices) > 1)


def availability(packages: Iterable[PackageLike]) -> str:
    """ "in_stock" if any package is in stock, else "preorder" if any takes pre-orders, else
    "sold_out"."""
    packages = list(packages)
    if any(p.stock > 0 for p in packages):
        return "in_stock"
    if any(p.preorder for p in packages):
        return "preorder"
    return "sold_out"


def availability_label(state: str) -> str:
    """Translated label of an availability() state ("Còn hàng", "Đặt trước", "Hết hàng")."""
    return AVAILABILITY_LABELS.get(state, "")


def lang_switch_url(lang: str) -> str:
    """The current page in another language: same endpoint, view args and query, `lang` set.

    Falls back to a query-only relative URL ("?lang=en&…") when the request matched no
    endpoint (a 404) or the URL cannot be rebuilt.
    """
    args = {k: v for k, v in request.args.lists() if k != "lang" and not k.startswith("_")}
    args["lang"] = [lang]
    if request.endpoint and request.endpoint != "static":
        try:
            return url_for(request.endpoint, **{**args, **(request.view_args or {})})
        except (BuildError, TypeError):  # TypeError: a query arg named like url_for's own
            pass
    return "?" + urlencode([(k, v) for k, values in args.items() for v in values])


def form_error(message: str) -> str:
    """A form validation message in the shop's language, when the catalog knows it."""
    text: str = gettext(message)
    return text


def init_app(app: Flask) -> None:
    app.add_template_filter(format_vnd, "vnd")
    app.add_template_filter(format_number, "number")
    app.add_template_filter(stars_text, "stars")
    app.add_template_filter(format_sold, "sold")
    app.add_template_filter(format_rating, "rating")
    app.add_template_filter(date_vn, "date_vn")
    for helper in (
        ocop_group_label,
        price_from,
        availability,
        availability_label,
        lang_switch_url,
        form_error,
    ):
        app.add_template_global(helper)

    @app.context_processor
    def locale_context() -> dict[str, str]:
        return {"current_locale": str(get_locale() or "vi")}
