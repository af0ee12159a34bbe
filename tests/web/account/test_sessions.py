"""A session cookie or remember-me cookie kept from before a logout, a password change or a
role change no longer logs anyone in: the session id carries the password's fingerprint and a
per-user session version (issue 11, item 9)."""

from __future__ import annotations

import pytest
from flask import g, has_app_context
from flask.testing import FlaskClient

from storefront.domain.accounts import user_for_session
from storefront.models import Role
from tests.fixtures.factories import PASSWORD

NEW_PASSWORD = "a much longer new one"


class FreshClient(FlaskClient):
    """Loads the logged-in user afresh on every request, as in production (the tests keep one
    app context open, so Flask-Login's g._login_user would carry over)."""

    def open(self, *args, **kwargs):
        if has_app_context():
            g.pop("_login_user", None)
        return super().open(*args, **kwargs)


def new_client(app) -> FreshClient:
    return FreshClient(app, app.response_class, use_cookies=True)


@pytest.fixture
def client(app):
    return new_client(app)


def log_in(client, user, *, remember: bool = False) -> None:
    data = {"email": user.email, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    assert client.post("/account/login", data=data).status_code == 302


def replay(app, name: str, value: str) -> FreshClient:
    """Another browser holding only the copied cookie."""
    thief = new_client(app)
    thief.set_cookie(name, value)
    return thief


def logged_in(client) -> bool:
    response = client.get("/account/")
    if response.status_code == 302:
        assert response.headers["Location"].startswith("/account/login")
        return False
    assert response.status_code == 200
    return True


def test_old_session_cookie_stops_working_after_logout(app, client, make):
    user = make.user()
    log_in(client, user)
    stolen = client.get_cookie("session").value
    assert logged_in(replay(app, "session", stolen))  # the copy works while the session lives

    client.post("/account/logout")
    assert not logged_in(client)
    assert not logged_in(replay(app, "session", stolen))


def test_old_remember_cookie_stops_working_after_logout(app, client, make):
    user = make.user()
    log_in(client, user, remember=True)
    stolen = client.get_cookie("remember_token").value
    assert logged_in(replay(app, "remember_token", stolen))

    client.post("/account/logout")
    assert not logged_in(replay(app, "remember_token", stolen))


def test_old_cookies_stop_working_after_a_role_change(app, client, make, runner, db):
    user = make.user()
    log_in(client, user, remember=True)
    session, remember = (
        client.get_cookie("session").value,
        client.get_cookie("remember_token").value,
    )

    result = runner.invoke(args=["users", "set-role", user.email, "pfa"])
    assert result.exit_code == 0, result.output
    db.session.refresh(user)
    assert user.role == Role.PFA

    assert not logged_in(client)
    assert not logged_in(replay(app, "session", session))
    assert not logged_in(replay(app, "remember_token", remember))
    log_in(client, user)  # a fresh login works, with the new role
    assert logged_in(client)


def test_old_cookies_stop_working_after_a_password_change(app, client, make):
    user = make.user()
    log_in(client, user, remember=True)
    session, remember = (
        client.get_cookie("session").value,
        client.get_cookie("remember_token").value,
    )

    response = client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "password": NEW_PASSWORD,
            "password_again": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    assert logged_in(client)  # the session that changed it is renewed
    assert not logged_in(replay(app, "session", session))
    assert not logged_in(replay(app, "remember_token", remember))


@pytest.mark.parametrize(
    "forged",
    [
        "",
        ":",
        "x",
        "١",
        "99999999999999999999999",
        "{id}",
        "{id}:{fp}",
        "{id}:{fp}:99",
        "{id}:{fp}:0é",
    ],
)
def test_session_ids_that_are_not_the_current_one_are_refused(make, forged):
    user = make.user()
    assert user_for_session(user.get_id()) == user
    session_id = forged.format(id=user.id, fp=user.password_fingerprint)
    assert user_for_session(session_id) is None


@pytest.mark.parametrize("user_id", ["²", "٣", "１２", str(2**31), str(2**63), "-1", "0"])
def test_a_session_id_names_a_user_by_ascii_digits_in_range_or_not_at_all(make, queries, user_id):
    """Parsed as every other id from a client is (core/inputs.parse_int): no query is sent for
    an id the database cannot hold or that only `str.isdigit` would take."""
    make.user()
    with queries() as statements:
        assert user_for_session(f"{user_id}:0123456789abcdef:0") is None
    assert statements == []
