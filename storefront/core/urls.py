"""Absolute URLs (e-mails, QR codes, labels, Stripe return pages, canonical links), built from
the shop's configured public address, PUBLIC_BASE_URL, and never from the request.

The request's Host header is chosen by whoever sends the request: a password-reset link built
from it would carry a valid token to the sender's own site. The same address is the one host
production answers (TRUSTED_HOSTS); any other gets 400 before a view runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app, request
from werkzeug.exceptions import SecurityError


@dataclass(frozen=True)
class BaseURL:
    """PUBLIC_BASE_URL taken apart: `https://ocop.example.vn:8443/shop`."""

    scheme: str  # http or https
    netloc: str  # host[:port], lower case
    host: str  # without the port: what TRUSTED_HOSTS compares
    prefix: str  # "" or the path the app is mounted under, such as "/shop"


@lru_cache(maxsize=8)
def parse_base_url(value: str) -> BaseURL:
    """Scheme and host (and optionally a port and a path prefix), nothing else; ValueError
    with the setting's name otherwise, so a typo stops the app at start-up."""
    parts = urlsplit(value.strip())
    try:
        port = parts.port  # raises ValueError for a port that is not a number
        if parts.hostname and not parts.netloc.isascii():  # chợ.vn: links carry xn--
            host = parts.hostname.encode("idna").decode("ascii")
            parts = parts._replace(netloc=host + (f":{port}" if port else ""))
    except (ValueError, UnicodeError):
        parts = parts._replace(scheme="")
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.username is not None
        or parts.password is not None
        or parts.query
        or parts.fragment
    ):
        raise ValueError(
            f"PUBLIC_BASE_URL must be the shop's address, such as https://ocop.example.vn "
            f"(scheme, host, optional port and path), not {value!r}"
        )
    return BaseURL(
        scheme=parts.scheme,
        netloc=parts.netloc.lower(),
        host=parts.hostname,
        prefix=parts.path.rstrip("/"),
    )


def base_url() -> BaseURL:
    return parse_base_url(current_app.config["PUBLIC_BASE_URL"])


def external_url(endpoint: str, /, **values: Any) -> str:
    """The absolute URL of `endpoint` at PUBLIC_BASE_URL, in or outside a request alike.

    Every value is a rule argument or a query argument: unlike url_for there are no `_`
    options, so a page may pass its query string through (even `?endpoint=` or `?_anchor=`).
    """
    app = current_app
    base = base_url()
    app.inject_url_defaults(endpoint, values)
    adapter = app.url_map.bind(base.netloc, script_name=base.prefix or "/", url_scheme=base.scheme)
    return adapter.build(endpoint, values, force_external=True)


def trusted_hosts(app: Flask) -> list[str] | None:
    """The hosts the app answers: PUBLIC_BASE_URL's and those listed in TRUSTED_HOSTS
    (a list, or a comma-separated string from the environment). None (any host) unless
    TRUSTED_HOSTS lists some or ONLY_TRUSTED_HOSTS is on, as in production."""
    listed = app.config.get("TRUSTED_HOSTS") or []
    if isinstance(listed, str):
        listed = listed.split(",")
    extra = [name.strip().lower() for name in listed if name.strip()]
    if not extra and not app.config.get("ONLY_TRUSTED_HOSTS"):
        return None
    own = parse_base_url(app.config["PUBLIC_BASE_URL"]).host
    return [own, *(name for name in extra if name != own)]


def init_app(app: Flask) -> None:
    """Check PUBLIC_BASE_URL, set Flask's TRUSTED_HOSTS, and refuse an untrusted host first."""
    parse_base_url(app.config["PUBLIC_BASE_URL"])
    app.config["TRUSTED_HOSTS"] = trusted_hosts(app)
    # Flask records an untrusted Host as the request's routing error, raised only once the
    # view would be dispatched: before that, every before_request hook would run on a request
    # whose host (and so request.url, url_for) raises. Refuse it ahead of all of them.
    app.before_request_funcs.setdefault(None, []).insert(0, _refuse_untrusted_host)


def _refuse_untrusted_host() -> None:
    if isinstance(request.routing_exception, SecurityError):
        raise request.routing_exception
