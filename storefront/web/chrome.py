"""The page chrome (header and footer) rendered once per language and visitor state.

Every page shares the same header and footer: about thirty translated strings, a dozen URLs
and a few icons. For an anonymous visitor they depend only on the language, the page's
endpoint (which menu item is current), the search text and the cart count, so they are
rendered once per such key and reused. A logged-in visitor's header holds their e-mail, a
CSRF token and an account menu that depends on their roles, so it is rendered each time.

In templates:

    {% call cached_part(chrome_key("header")) %} …markup… {% endcall %}

A key of None renders the markup without caching. With template auto-reload (development)
nothing is cached, so an edited template shows at once.

With REDIS_URL set, a part missing here is looked up in the shared store
(core/shared_cache.py, whose keys hold the build's fingerprint) before it is rendered, and a
rendered part is kept there too; Redis away, it is rendered.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, request
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup

from storefront.core.markup import compact_html
from storefront.core.shared_cache import shared_cache
from storefront.web.context import cart_count
from storefront.web.seller.context import memberships

MAX_PARTS = 512
EXTENSION = "page_chrome"


def chrome_key(part: str) -> tuple[Any, ...] | None:
    """The cache key of a chrome part for this request, or None when it must be rendered."""
    authenticated = current_user.is_authenticated
    locale = str(get_locale())
    if part == "footer":
        return (part, locale, request.script_root, authenticated)
    if part == "header":
        if authenticated:
            return None
        search_text = request.args.get("q", "") if request.endpoint == "catalog.search" else ""
        return (part, locale, request.script_root, request.endpoint, search_text, cart_count())
    raise ValueError(f"unknown chrome part {part!r}")


def works_for_a_cooperative() -> bool:
    """Whether the logged-in visitor is a member of a cooperative: their account menu then
    leads to the seller workspace. Farmers' Association staff never are (members.py refuses
    them), so their pages skip the query; a seller page has the memberships loaded already."""
    if not current_user.is_authenticated or current_user.is_pfa_staff:
        return False
    return bool(memberships())


def cached_part(key: tuple[Any, ...] | None, caller: Callable[[], str]) -> Markup:
    """The markup of `caller` (a Jinja call block), from the cache when `key` is known."""
    if key is None or current_app.jinja_env.auto_reload:
        return Markup(caller())
    parts: OrderedDict = current_app.extensions[EXTENSION]
    html = parts.get(key)
    if html is None:
        shared = shared_cache()
        stored = shared.get("chrome", key) if shared else None
        if stored is not None:
            html = parts[key] = Markup(stored)
        else:
            html = parts[key] = compact_html(caller())
            if shared:
                shared.set("chrome", key, str(html))
        while len(parts) > MAX_PARTS:
            parts.popitem(last=False)
    return html


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = OrderedDict()
    app.add_template_global(chrome_key, "chrome_key")
    app.add_template_global(cached_part, "cached_part")
    app.add_template_global(works_for_a_cooperative, "works_for_a_cooperative")
