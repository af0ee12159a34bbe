"""Who is voting or reporting: one key per visitor, never their identity in clear.

A logged-in user is "u:<id>". An anonymous visitor gets a random id in their session the
first time they act (the session a form's CSRF token started: the page itself is public and
cookie-free, web/http_cache.py, so no cacheable page ever gets a cookie from this); what is
stored with a vote or a report is "v:" and a digest of it (domain/reviews/moderation.py
reporter_key), so the database holds nothing that could be replayed as a session. Clearing
cookies makes a new visitor: the rate limits (per IP) bound what that buys.
"""

from __future__ import annotations

import secrets

from flask import session
from flask_login import current_user

from storefront.domain.reviews.moderation import reporter_key

SESSION_KEY = "visitor"


def visitor_key(create: bool = True) -> str | None:
    """This visitor's key ("u:12" or "v:<40 hex>"); None for an anonymous visitor without
    one when `create` is false."""
    if current_user.is_authenticated:
        return reporter_key(current_user.id, None)
    raw = session.get(SESSION_KEY)
    if not isinstance(raw, str) or not raw:
        if not create:
            return None
        raw = session[SESSION_KEY] = secrets.token_urlsafe(18)
    return reporter_key(None, raw)
