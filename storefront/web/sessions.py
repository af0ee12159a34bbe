"""Flask's signed-cookie session, opened without work when the request carries no cookie.

Flask builds its signing serializer (a key derivation, an HMAC set-up) on every request, to
read a cookie most catalog requests do not carry: a first visit, a crawler, a CDN's fetch.
Without the cookie the session is a new empty one either way; with it, Flask's own code
reads and checks it as before.
"""

from __future__ import annotations

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface


class CookieSessionInterface(SecureCookieSessionInterface):
    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)


def init_app(app: Flask) -> None:
    app.session_interface = CookieSessionInterface()
