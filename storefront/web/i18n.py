"""Language choice: Vietnamese by default, English by `?lang=en`, remembered in a cookie.

The cookie (LANGUAGE_COOKIE) is set only by an explicit `?lang=` that differs from what the
visitor would get without it, never on a plain page view: a first visit sets no cookie, so
anonymous pages stay cacheable by a CDN (web/http_cache.py). A visitor with the cookie gets
private pages, like one with a cart.
"""

from __future__ import annotations

import logging
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, Response, current_app, g, has_request_context, request, session
from flask_babel import get_translations
from flask_login import current_user

from storefront.web.http_cache import LANGUAGE_COOKIE

LANGUAGE_COOKIE_DAYS = 365


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands and jobs: no visitor to ask
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    lang = request.args.get("lang")
    if lang is not None and lang in languages:
        return lang
    if not request.cookies:  # no language cookie, session or login: nothing chosen
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if request.cookies.get(LANGUAGE_COOKIE) in languages:
        return request.cookies[LANGUAGE_COOKIE]
    if session.get("lang") in languages:  # chosen before the cookie, in a session still open
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


log = logging.getLogger(__name__)


def compile_catalogs(directory: Path) -> list[Path]:
    """Compile each <lang>/LC_MESSAGES/messages.po whose .mo is missing or older (`make
    install` does it; an app started another way, `flask run` on a fresh clone, would
    otherwise show English). Returns the catalogs compiled; a folder that cannot be written
    (a read-only deployment) is logged, not fatal."""
    compiled = []
    for po in sorted(directory.glob("*/LC_MESSAGES/messages.po")):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        try:
            with po.open("rb") as source:
                catalog = read_po(source, locale=po.parent.parent.name)
            with mo.open("wb") as target:
                write_mo(target, catalog)
        except OSError as error:
            log.warning("could not compile %s: %s (run `make translations`)", po, error)
            continue
        compiled.append(mo)
    return compiled


def init_app(app: Flask) -> None:
    compile_catalogs(Path(app.root_path) / "translations")
    # jinja2.ext.i18n (which Flask-Babel adds) puts this method on the environment at run time.
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        newstyle=True,
    )

    @app.after_request
    def remember_language(response: Response) -> Response:
        # Choosing a language is a preference, not a state change of the shop's data.
        lang = request.args.get("lang")
        if lang is None or lang not in app.config["LANGUAGES"]:
            return response
        remembered = request.cookies.get(LANGUAGE_COOKIE)
        if remembered == lang or (remembered is None and lang == _default_without_choice()):
            return response
        response.set_cookie(
            LANGUAGE_COOKIE,
            lang,
            max_age=LANGUAGE_COOKIE_DAYS * 24 * 3600,
            httponly=True,
            samesite="Lax",
            secure=app.config.get("SESSION_COOKIE_SECURE", False),
        )
        return response


def _default_without_choice() -> str:
    """The language this visitor gets with no `?lang=` and no cookie."""
    languages = current_app.config["LANGUAGES"]
    if session.get("lang") in languages:
        return session["lang"]
    if current_user and getattr(current_user, "is_authenticated", False):
        if current_user.locale in languages:
            return current_user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]
