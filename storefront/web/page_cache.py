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
"""

from __future__ import annotations

from flask import current_app, g, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from storefront.web.catalog_cache import cached_fragment, cached_page_parts, store_fragment
from storefront.web.context import cart_count
from storefront.web.headers import NONCE_SLOT, csp_nonce
from storefront.web.http_cache import VERSIONED, etag, is_public_request

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
