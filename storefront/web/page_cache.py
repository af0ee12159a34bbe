"""Whole pages for visitors who are not logged in, cached under the catalog version.

Most catalog traffic is anonymous, and an anonymous visitor's catalog or product page differs
from another's only by the catalog content (covered by the catalog version and the date,
domain/catalog/version.py), the URL, the host, the language and the cart count. Such a
page is rendered once per key and then served from this process's memory; a request still
reads the catalog version from the database, so a commit on any server that changes what the
page shows is seen at once.

A page with a form holds the visitor's CSRF token: it is cached with a placeholder in its
place, and the placeholder is filled with this visitor's own token on the way out. A public
page (one a CDN may keep, web/http_cache.py) holds no token at all, so it writes no session;
it is cached apart from the private copy.
An inline script's CSP nonce (web/headers.py) is per response: it is cached as a placeholder
too, and filled with this response's nonce.
A logged-in page (e-mail in the header, a logout form) is never cached whole.

A hit is meant to cost no more than a bare page rendering 24 cards from a list (README,
Performance): a page with no token to fill is kept ready to send, as UTF-8 bytes cut at the
nonce's place, and its key is made from the request's parts without building URLs.

Ready answers (ReadyAnswers, in front of Flask): once the app has answered a request with
such a public page, the same request (the same scheme, host, path and query string, a GET
with no cookie, no body and no conditional header) is answered again while the catalog
version and the date stand with the very status, headers and body the app sent, a new
nonce in place of the old: the version is still read at every request, so a change on any
server shows at once; everything else the app decided from the request (its host allowed,
no control character, the route open to all, no rate limit, the language, a public copy
with no cookie) follows from the parts the answer is kept under. A hook that makes an
anonymous page's answer depend on anything else (the time, the client's address, another
header) must not let the page be marked (mark_ready_answer).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, g, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from storefront.domain.catalog.cards import catalog_cache_key
from storefront.extensions import view_has_no_limit
from storefront.web.catalog_cache import (
    MAX_PAGES,
    cached_fragment,
    cached_page_parts,
    store_fragment,
)
from storefront.web.context import cart_count
from storefront.web.headers import NONCE_SLOT, csp_nonce, new_nonce
from storefront.web.http_cache import VERSIONED, etag, is_public_request

logger = logging.getLogger(__name__)

# Cannot come out of a template by accident: user text is escaped, and "<" would be "&lt;".
CSRF_SLOT = "<csrf-token-slot>"


def anonymous_page_key(content_key: tuple) -> tuple | None:
    """The cache key of this request's page, or None when the page must be rendered (also
    with template auto-reload, in development, so that an edited template shows at once)."""
    if current_app.jinja_env.auto_reload:
        return None
    # Without any cookie there is no session to log in or flash from (Flask-Login reads the
    # session and the remember cookie only): the user need not be loaded to know that.
    if request.cookies and (current_user.is_authenticated or "_flashes" in session):
        return None
    public = is_public_request()
    return (
        "page",
        # request.host_url's parts, without building it (a URL is quoted, IRI-decoded...)
        request.scheme,
        request.host,
        request.script_root,
        request.path,
        request.query_string,
        0 if public else cart_count(),
        *content_key,
        public,
    )


def form_token() -> str:
    """The CSRF token a page's form carries: this visitor's, or none on a public page (the
    form then fetches one when used: static/js/buy.js, web/shop/cart/routes.py)."""
    return "" if is_public_request() else generate_csrf()


def _ready_to_send(html: Markup) -> tuple[bytes, ...] | None:
    """A page without a CSRF placeholder as bytes, cut at its nonce placeholders, after
    its ETag when it is a public page (the same for every request under its key: the key
    holds all the ETag is made of, web/http_cache.py)."""
    if CSRF_SLOT in html:
        return None
    tag = etag() if is_public_request() and request.endpoint in VERSIONED else ""
    return (tag.encode(), *(part.encode() for part in str(html).split(NONCE_SLOT)))


def cached_page(key: tuple | None) -> str | bytes | None:
    """The cached page under `key`, with this visitor's CSRF token in place, if any."""
    if key is None:
        return None
    ready = cached_page_parts(key, _ready_to_send)
    if ready is not None:
        tag, *parts = ready
        if tag:
            g.etag = tag.decode()  # what http_cache.etag() would compute again
            mark_ready_answer(parts)
        return parts[0] if len(parts) == 1 else csp_nonce().encode().join(parts)
    html = cached_fragment(key, store="pages")
    if html is None:
        return None
    if CSRF_SLOT in html:
        html = html.replace(CSRF_SLOT, generate_csrf())
    return html.replace(NONCE_SLOT, csp_nonce()) if NONCE_SLOT in html else html


def store_page(key: tuple | None, html: str) -> str:
    """Keep a rendered page under `key` (when there is one); returns the page to send."""
    if key is None:
        return html
    token = generate_csrf() if "csrf_token" in html and not is_public_request() else None
    nonce = g.get("csp_nonce")  # only if the page used one; random, so found nowhere else
    if nonce:
        html = html.replace(nonce, NONCE_SLOT)
    stored = store_fragment(key, html.replace(token, CSRF_SLOT) if token else html, "pages")
    # The stored copy (compacted) is what every later visitor gets: send the same now.
    if nonce:
        stored = stored.replace(NONCE_SLOT, nonce)
    return stored.replace(CSRF_SLOT, token) if token else stored


# --- ready answers ----------------------------------------------------------------------------

READY_ANSWERS = "ready_answers"  # the app's ReadyAnswers, in app.extensions
_MARK = "storefront.ready_answer"
# Headers that make the answer depend on more than the request's URL: such a request goes to
# the app (a conditional request gets its 304 there, in one query).
_CONDITIONAL = (
    "HTTP_IF_NONE_MATCH",
    "HTTP_IF_MODIFIED_SINCE",
    "HTTP_IF_MATCH",
    "HTTP_IF_UNMODIFIED_SINCE",
    "HTTP_IF_RANGE",
    "HTTP_RANGE",
)


def mark_ready_answer(parts: list[bytes]) -> None:
    """This request is answered with a public page of the catalog version, ready as `parts`
    (cut at the nonce): ReadyAnswers may answer the same request so while the version stands.
    Only for a view without a rate limit (its counting is per request)."""
    if view_has_no_limit():
        request.environ[_MARK] = (catalog_cache_key(), parts, g._get_current_object())


@dataclass(frozen=True)
class _Answer:
    """A response as the app sent it, its body and header values cut at the nonce, and the
    catalog version and date it stands for."""

    catalog_key: object
    status: str
    headers: tuple[tuple[str, tuple[str, ...]], ...]
    body: tuple[bytes, ...]

    def send(self, start_response: Callable[..., Any]) -> list[bytes]:
        nonce = new_nonce()
        start_response(self.status, [(name, nonce.join(parts)) for name, parts in self.headers])
        return [nonce.encode().join(self.body)]


def _request_key(environ: dict[str, Any]) -> tuple[str, ...] | None:
    """What the answer to this request follows from, or None when it may depend on more."""
    if (
        environ.get("REQUEST_METHOD") != "GET"
        or "HTTP_COOKIE" in environ
        or environ.get("CONTENT_LENGTH", "") not in ("", "0")
        or "HTTP_TRANSFER_ENCODING" in environ
        or any(name in environ for name in _CONDITIONAL)
    ):
        return None
    host = environ.get("HTTP_HOST")
    if not host:
        return None
    return (
        environ["wsgi.url_scheme"],
        host,
        environ.get("SCRIPT_NAME", ""),
        environ.get("PATH_INFO", ""),
        environ.get("QUERY_STRING", ""),
    )


class ReadyAnswers:
    """WSGI, in front of the Flask app (behind ProxyFix): the answers of requests the app
    served with a ready public page, sent again without the app while the catalog version
    and the date stand (module docstring). At most MAX_PAGES, per process."""

    def __init__(self, app: Flask, wsgi_app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self.catalog_key: object = None
        self.answers: OrderedDict[tuple[str, ...], _Answer] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        key = _request_key(environ)
        if key is None:
            return self.wsgi_app(environ, start_response)
        answer = self.answers.get(key)
        if answer is None:
            return self._kept(key, environ, start_response)
        # The request's application context, as Flask would push it: when the app answers
        # after all (a new version), it reads the version from there instead of again.
        with self.app.app_context():
            try:
                current = catalog_cache_key()
            except Exception:  # the database away: the app answers (its error page)
                logger.warning("reading the catalog version failed", exc_info=True)
                current = None
            if current == answer.catalog_key:
                return answer.send(start_response)
            return self._kept(key, environ, start_response)

    def _kept(
        self, key: tuple[str, ...], environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        """The app's answer; kept when the app marked it ready (mark_ready_answer)."""
        sent: list[tuple[str, list[tuple[str, str]]]] = []

        def note(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            sent.append((status, headers))
            return start_response(status, headers, *rest)

        body = self.wsgi_app(environ, note)
        mark = environ.get(_MARK)
        if mark is not None and sent:
            catalog_key, parts, g_object = mark
            answer = _answer(
                catalog_key, sent[-1][0], sent[-1][1], parts, g_object.get("csp_nonce")
            )
            if answer is not None:
                self._keep(key, answer)
        return body

    def forget(self) -> None:
        """Drop every answer kept (what a restarted worker has)."""
        with self._lock:
            self.answers.clear()
            self.catalog_key = None

    def _keep(self, key: tuple[str, ...], answer: _Answer) -> None:
        with self._lock:
            if answer.catalog_key != self.catalog_key:  # a new version: the others are stale
                self.answers.clear()
                self.catalog_key = answer.catalog_key
            self.answers[key] = answer
            while len(self.answers) > MAX_PAGES:
                self.answers.popitem(last=False)


def _answer(
    catalog_key: object,
    status: str,
    headers: list[tuple[str, str]],
    parts: list[bytes],
    nonce: str | None,
) -> _Answer | None:
    """The answer to keep, or None if it is not the public page as marked: a 200 with no
    cookie, its nonce in the policy header, and the body the marked parts make."""
    if not status.startswith("200 ") or not nonce:
        return None
    names = {name.lower() for name, _value in headers}
    if "set-cookie" in names or "content-security-policy" not in names:
        return None
    length = sum(map(len, parts)) + len(nonce.encode()) * (len(parts) - 1)
    if dict((name.lower(), value) for name, value in headers).get("content-length") != str(length):
        return None
    return _Answer(
        catalog_key,
        status,
        tuple((name, tuple(value.split(nonce))) for name, value in headers),
        tuple(parts),
    )


def init_app(app: Flask) -> None:
    """Put ReadyAnswers in front of the app (before any middleware wraps it, so that it sees
    the request as the app does)."""
    answers = app.extensions[READY_ANSWERS] = ReadyAnswers(app, app.wsgi_app)
    app.wsgi_app = answers  # type: ignore[method-assign]
