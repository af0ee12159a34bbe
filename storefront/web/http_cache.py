"""HTTP caching of the anonymous catalog: pages a CDN or shared proxy may keep.

The catalog, search, product, cooperative, origins and verify pages (CACHEABLE) are, for a
visitor who carries none of the shop's cookies (a first visit, a crawler, a CDN's fetch), the
same for everyone: they depend only on the URL (the language too: `?lang=` is in it, and
without it the page is Vietnamese), the catalog version and the date in Vietnam. Such a
response sets no cookie and says so:

    Cache-Control: public, max-age=HTTP_CACHE_BROWSER_MAX_AGE (0), s-maxage=HTTP_CACHE_MAX_AGE,
                   stale-while-revalidate=HTTP_CACHE_STALE_WHILE_REVALIDATE
    ETag: "<hash of the catalog version, the date, the build, the language, the URL>"
    Vary: Cookie

A shared cache (CDN, proxy) keeps the page s-maxage seconds; the visitor's own browser asks
again at each visit (max-age 0), so a change (a revoked certificate) is gone from their screen
at once, and the question costs a 304: one query, no rendering. A request whose If-None-Match
holds that ETag gets 304 with no body, before any rendering
(the verify pages: after rendering, their ETag being a hash of the page; see VERSIONED).

A visitor with one of the shop's cookies (a session: logged in, a flash, a CSRF token; a
guest cart; a chosen language) gets `Cache-Control: private, no-cache` as before: their
header shows their cart count or account, and the page may hold their CSRF token. `Vary:
Cookie` keeps a shared cache (and the browser's own) from answering them with the public
copy: the public copy was stored for a request without a Cookie header.

Nothing in such a page may write the session: the purchase form carries no CSRF token there
(the token is fetched when the visitor buys, web/shop/cart/routes.py), the language is a
cookie set only on an explicit `?lang=` choice (web/i18n.py). If anything did, the response
is made private instead of being cached with a Set-Cookie.

The CSP nonce (web/headers.py): a public copy is stored whole, header and body together, so
its nonce stays consistent; a 304 carries no CSP header (RFC 9110 §15.4.5 lists what a 304
sends), so a cache refreshing its stored copy keeps the stored header that matches the body.
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, request, session
from flask_babel import get_locale
from flask_wtf.csrf import ValidationError, validate_csrf

from storefront.core.shared_cache import release_id
from storefront.domain.catalog.cards import catalog_cache_key
from storefront.web.context import COOKIE as CART_COOKIE

CACHEABLE = frozenset(
    {
        "catalog.home",
        "catalog.products",
        "catalog.search",
        "catalog.product",
        "catalog.cooperative",
        "catalog.origins",
        "verify.index",
        "verify.certificate",
    }
)
# Their ETag is known before rendering: whatever they show moves the catalog version on. The
# verify pages show certificate details that need not (a new certificate's): their ETag is a
# hash of the page, so a 304 there saves the bytes, not the rendering.
VERSIONED = CACHEABLE - {"verify.index", "verify.certificate"}
LANGUAGE_COOKIE = "ocop_lang"
PRIVATE = "private, no-cache"


def visitor_cookies() -> set[str]:
    """The shop's cookies this request carries: any of them makes its pages private."""
    config = current_app.config
    ours = {
        config["SESSION_COOKIE_NAME"],
        config.get("REMEMBER_COOKIE_NAME", "remember_token"),
        CART_COOKIE,
        LANGUAGE_COOKIE,
    }
    return ours & request.cookies.keys()


def is_public_request() -> bool:
    """Whether this request's page may be the one every anonymous visitor gets."""
    if "public_request" not in g:
        config = current_app.config
        lang = request.args.get("lang")
        g.public_request = (
            request.method in ("GET", "HEAD")
            and request.endpoint in CACHEABLE
            and config["HTTP_CACHE_MAX_AGE"] > 0
            # development: an edited template shows at once, as web/page_cache.py does
            and not current_app.jinja_env.auto_reload
            and not visitor_cookies()
            # choosing another language sets its cookie (web/i18n.py)
            and (lang not in config["LANGUAGES"] or lang == config["BABEL_DEFAULT_LOCALE"])
        )
    return bool(g.public_request)


def etag() -> str:
    """This public page's entity tag: what the page depends on, hashed (once a request)."""
    tag = g.get("etag")
    if tag is None:
        tag = g.etag = _etag()
    return tag


def _etag() -> str:
    parts = (
        catalog_cache_key(),
        release_id(),  # a deploy changes the pages without moving the catalog version
        str(get_locale()),
        request.host,
        request.script_root,
        request.full_path,
    )
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


def _answer_not_modified() -> Response | None:
    if request.endpoint not in VERSIONED or not request.if_none_match or not is_public_request():
        return None
    tag = etag()
    if not request.if_none_match.contains_weak(tag):
        return None
    response = Response(status=304)
    _public_headers(response, tag)
    return response


def _public_headers(response: Response, tag: str) -> None:
    config = current_app.config
    response.headers["Cache-Control"] = (
        f"public, max-age={config['HTTP_CACHE_BROWSER_MAX_AGE']}, "
        f"s-maxage={config['HTTP_CACHE_MAX_AGE']}, "
        f"stale-while-revalidate={config['HTTP_CACHE_STALE_WHILE_REVALIDATE']}"
    )
    response.set_etag(tag)
    _vary_on_cookie(response)


def _vary_on_cookie(response: Response) -> None:
    if "Vary" in response.headers:
        response.vary.add("Cookie")
    else:  # the usual case, without parsing and writing back a header set
        response.headers["Vary"] = "Cookie"


def _cache_headers(response: Response) -> Response:
    if request.endpoint not in CACHEABLE or response.status_code == 304:
        return response
    # the view's own word (an explained search); read without parsing the whole header
    if "no-store" in response.headers.get("Cache-Control", ""):
        return response
    if is_public_request() and response.status_code == 200:
        if "Set-Cookie" in response.headers or session.modified:
            # Something wrote a cookie after all: this answer is this visitor's own.
            current_app.logger.warning("a public page set a cookie: %s", request.path)
        elif request.endpoint in VERSIONED:
            _public_headers(response, etag())
            return response
        else:
            _public_headers(response, hashlib.sha256(response.get_data()).hexdigest()[:32])
            response.make_conditional(request)  # 304 and no body when If-None-Match holds it
            if response.status_code == 304:
                del response.headers["Content-Security-Policy"]
            return response
    if response.status_code < 400:
        response.headers["Cache-Control"] = PRIVATE
        _vary_on_cookie(response)
    return response


def init_app(app: Flask) -> None:
    """Called before any other after_request hook is added: Flask runs them last added first,
    so this one sees every cookie the others set."""
    app.before_request(_answer_not_modified)
    app.after_request(_cache_headers)


# --- forms on cacheable pages ------------------------------------------------------------------
# Their pages carry no CSRF token (no session): add-to-cart, the "helpful" vote and the report
# of a review fetch one from /cart/token when used, and their views check for themselves.


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def is_cross_site() -> bool:
    """Whether the browser says this request comes from another site."""
    origin = request.headers.get("Origin")
    if origin is not None:
        ours = {_origin(request.host_url), _origin(current_app.config["PUBLIC_BASE_URL"])}
        if origin.lower() not in ours:  # "null" (a sandboxed frame, a file) included
            return True
    fetch_site = request.headers.get("Sec-Fetch-Site")
    return fetch_site is not None and fetch_site not in ("same-origin", "none")


def has_valid_token() -> bool:
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return True
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError:
        return False
    return True
