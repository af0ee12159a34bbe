"""Template filters: money in đồng, stars, dates in the shop's language."""

from __future__ import annotations

from babel.numbers import format_decimal
from flask import Flask
from flask_babel import get_locale


def format_vnd(amount: int | None, locale: str | None = None) -> str:
    """150000 → "150.000 ₫" (vi) or "150,000 ₫" (en). Money is an integer number of đồng."""
    if amount is None:
        return ""
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise TypeError(f"money must be an int number of đồng, not {type(amount).__name__}")
    locale = locale or str(get_locale() or "vi")
    return f"{format_decimal(amount, locale=locale)}\u00a0₫"


def stars_text(stars: int) -> str:
    return "★" * stars + "☆" * (5 - stars)


def init_app(app: Flask) -> None:
    app.add_template_filter(format_vnd, "vnd")
    app.add_template_filter(stars_text, "stars")

    @app.context_processor
    def locale_context() -> dict:
        return {"current_locale": str(get_locale() or "vi")}
