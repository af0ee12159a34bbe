"""Who is voting (or reporting): one key per visitor, never their identity in clear.

A logged-in user is "u:<id>". An anonymous visitor gets a random key in their session the
first time they act (the session a form's CSRF token started: the page itself is public and
cookie-free, web/http_cache.py); what is stored with a vote is "a:" and an HMAC of it under
the app's secret key, so the database holds nothing that could be replayed as a session.
Clearing cookies makes a new visitor: the votes' rate limit (per IP) bounds what that buys.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import current_app, session
from flask_login import current_user

SESSION_KEY = "visitor"


def visitor_key(create: bool = True) -> str | None:
    """This visitor's key ("u:12" or "a:<40 hex>"); None for an anonymous visitor without
    one when `create` is false."""
    if current_user.is_authenticated:
        return f"u:{current_user.id}"
    raw = session.get(SESSION_KEY)
    if not isinstance(raw, str) or not raw:
        if not create:
            return None
        raw = session[SESSION_KEY] = secrets.token_urlsafe(18)
    secret = str(current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(secret, b"visitor:" + raw.encode(), hashlib.sha256).hexdigest()[:40]
    return f"a:{digest}"
