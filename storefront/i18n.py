"""Language choice: Vietnamese by default, English by `?lang=en`, remembered in the session."""

from __future__ import annotations

from flask import Flask, current_app, request, session
from flask_login import current_user


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    lang = request.args.get("lang") if request else None
    if lang in languages:
        return lang
    if session.get("lang") in languages:
        return session["lang"]
    if current_user and getattr(current_user, "is_authenticated", False):
        if current_user.locale in languages:
            return current_user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def init_app(app: Flask) -> None:
    @app.before_request
    def remember_language() -> None:
        # Choosing a language is a preference, not a state change of the shop's data.
        lang = request.args.get("lang")
        if lang in app.config["LANGUAGES"] and session.get("lang") != lang:
            session["lang"] = lang
