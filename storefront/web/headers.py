"""Security headers on every response: a Content-Security-Policy with no inline script, no
framing, no MIME sniffing, a strict referrer, no powerful browser features, HSTS in production.

The policy allows scripts, styles, images and fetches from the shop's own origin only. An
inline <script> (the product page's JSON-LD) must carry this response's nonce: templates write
`nonce="{{ csp_nonce() }}"`. A whole page cached for anonymous visitors (web/page_cache.py)
stores a placeholder where the nonce was and gets the new response's nonce on the way out.
A page a CDN may cache (web/http_cache.py) is stored by it whole, the policy header with the
body, so the nonce in its copy is the one its header allows; such a copy holds no visitor's
data and is made anew (with a new nonce) at each catalog change, so a nonce known from it
helps no injection: the injected text would have had to be in the page when it was rendered.

Forms post to the shop only, and to Stripe Checkout and payOS: card and payOS payment answer
our own POST with a 303 to checkout.stripe.com or pay.payos.vn, and Chromium checks
`form-action` against every redirect of a form submission too (tried with Chromium 156: a
303 to an origin not listed is blocked, reported as "Sending form data to <our action>
violates ... form-action").
"""

from __future__ import annotations

import secrets

from flask import Flask, Response, current_app, g

NONCE_SLOT = "<csp-nonce-slot>"  # cannot come out of a template: "<" is escaped in attributes
STRIPE_CHECKOUT = "https://checkout.stripe.com"
PAYOS_CHECKOUT = "https://pay.payos.vn"  # payOS answers checkoutUrl on this origin

PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
        "interest-cohort",
    )
)


def new_nonce() -> str:
    """A fresh script nonce (always 22 characters)."""
    return secrets.token_urlsafe(16)


def csp_nonce() -> str:
    """This response's script nonce, made on first use."""
    nonce = g.get("csp_nonce")
    if nonce is None:
        nonce = g.csp_nonce = new_nonce()
    return nonce


def content_security_policy(nonce: str) -> str:
    return _POLICY_AROUND_NONCE[0] + nonce + _POLICY_AROUND_NONCE[1]


def _policy(nonce: str) -> str:
    directives = {
        "default-src": "'self'",
        "script-src": f"'self' 'nonce-{nonce}'",
        "style-src": "'self'",
        "img-src": "'self' data:",
        "font-src": "'self'",
        "connect-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": f"'self' {STRIPE_CHECKOUT} {PAYOS_CHECKOUT}",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


# The policy is the same for every response but its nonce: built once, around the nonce.
_POLICY_AROUND_NONCE = tuple(_policy("\0").split("\0"))


def _add_headers(response: Response) -> Response:
    headers = response.headers
    # A 304 carries no policy: a cache refreshing its stored copy with the 304's headers keeps
    # the policy whose nonce matches the stored body (web/http_cache.py).
    if response.status_code != 304:
        headers["Content-Security-Policy"] = content_security_policy(csp_nonce())
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    headers["Permissions-Policy"] = PERMISSIONS_POLICY
    # HTTPS only from now on, for this long: production sets it (HSTS_MAX_AGE); off elsewhere,
    # since a browser that saw it on http://127.0.0.1 would refuse the dev server for a year.
    max_age = current_app.config.get("HSTS_MAX_AGE") or 0
    if max_age:
        headers["Strict-Transport-Security"] = f"max-age={max_age}"
    return response


def init_app(app: Flask) -> None:
    # after_request runs for views and for error handlers' answers alike (404, 405, 429, 500
    # rendered by our handlers), static and media files, redirects and JSON.
    app.after_request(_add_headers)
    app.add_template_global(csp_nonce, "csp_nonce")
