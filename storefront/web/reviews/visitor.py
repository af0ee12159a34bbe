"""Who a visitor is, for a report (and a "helpful" vote): their account, else a random id
kept in their session (never stored as is: the domain keeps a digest, moderation.reporter_key).

Only a POST asks for it, and a POST from a public page already carries the session its CSRF
token started (/cart/token), so no cacheable page ever gets a cookie from this."""

from __future__ import annotations

import secrets

from flask import session
from flask_login import current_user

from storefront.domain.reviews.moderation import reporter_key

SESSION_KEY = "visitor"


def visitor_id() -> str:
    """This browser session's random visitor id (made on first use)."""
    visitor = session.get(SESSION_KEY)
    if not isinstance(visitor, str) or not visitor:
        visitor = session[SESSION_KEY] = secrets.token_urlsafe(18)
    return visitor


def visitor_key() -> str:
    """The reporter (or voter) key of whoever sends this request."""
    if current_user.is_authenticated:
        return reporter_key(current_user.id, None)
    return reporter_key(None, visitor_id())
