"""Language choice: Vietnamese by default, English by `?lang=en`, remembered in the session."""

from __future__ import annotations

from flask import Flask, current_app, g, has_request_context, request, session
from flask_babel import get_translations
from flask_login import current_user


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands and jobs: no visitor to ask
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    lang = request.args.get("lang")
    if lang is not None and lang in languages:
        return lang
    if session.get("lang") in languages:
        return session["lang"]
    if current_user and getattr(current_user, "is_authenticated", False):
        if current_user.locale in languages:
            return current_user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _translations():
    """This request's translations, looked up once per locale instead of once per string.

    Flask-Babel resolves the domain, locale and catalog on every gettext call; a page has
    dozens. The cache lives in Flask-Babel's own per-context namespace and is keyed by the
    locale object, so force_locale() (e-mails in the recipient's language) still switches.
    """
    ctx = g.get("_flask_babel")
    locale = getattr(ctx, "babel_locale", None) if ctx is not None else None
    cached = getattr(ctx, "ocop_translations", None) if ctx is not None else None
    if cached is not None and locale is not None and cached[0] is locale:
        return cached[1]
    translations = get_translations()
    ctx = g.get("_flask_babel")
    if ctx is not None:
        ctx.ocop_translations = (getattr(ctx, "babel_locale", None), translations)
    return translations


def init_app(app: Flask) -> None:
    # jinja2.ext.i18n (which Flask-Babel adds) puts this method on the environment at run time.
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        newstyle=True,
    )

    @app.before_request
    def remember_language() -> None:
        # Choosing a language is a preference, not a state change of the shop's data.
        lang = request.args.get("lang")
        if lang in app.config["LANGUAGES"] and session.get("lang") != lang:
            session["lang"] = lang
