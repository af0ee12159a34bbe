"""Accounts: register, log in/out, remember me, password reset and changes, profile, addresses,
rate limits, CSRF, and the `users` CLI."""

from __future__ import annotations

import re
import time
import uuid
from datetime import timedelta

import pytest
from flask import g, has_app_context
from flask.testing import FlaskClient
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import TimestampSigner
from markupsafe import escape
from sqlalchemy import func, select

from storefront import create_app
from storefront.core.errors import NotFound
from storefront.domain import accounts as services
from storefront.extensions import limiter
from storefront.models import (
    Address,
    Order,
    OrderStatus,
    PaymentMethod,
    Role,
    User,
    utcnow,
)
from storefront.web.account.routes import _safe_next
from tests.fixtures import factories
from tests.fixtures.factories import LUC_NGAN_COMMUNE, PASSWORD
from tests.fixtures.mail import mails

NEW_PASSWORD = "a much longer new one"
BAC_NINH = 24  # province of Xã Lục Ngạn since 2025


def html(response) -> str:
    return response.get_data(as_text=True)


def translated(app, message: str, locale: str = "vi", **values) -> str:
    """What the shop says in `locale`, as HTML (the msgid until the lead translates it)."""
    with app.test_request_context("/"), force_locale(locale):
        return str(escape(_(message, **values)))


class FreshClient(FlaskClient):
    """A test client whose every request loads the logged-in user afresh, as in production.

    The tests keep one app context open, so Flask-Login's per-request cache (g._login_user)
    would otherwise carry a user from one request (or one client) to the next.
    """

    def open(self, *args, **kwargs):
        if has_app_context():
            g.pop("_login_user", None)
        return super().open(*args, **kwargs)


def new_client(app) -> FreshClient:
    return FreshClient(app, app.response_class, use_cookies=True)


@pytest.fixture
def client(app):
    return new_client(app)


def user_count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def register(client, email="lan@example.vn", password=PASSWORD, again=None, name="Nguyễn Thị Lan"):
    return client.post(
        "/account/register",
        data={
            "name": name,
            "email": email,
            "password": password,
            "password_again": again or password,
        },
    )


def reset_link(message) -> str:
    body = message.get_body(("plain",)).get_content()
    match = re.search(r"http://localhost(/account/reset/\S+)", body)
    assert match, body
    return match.group(1)


# --- register, log in, log out --------------------------------------------------------------


def verify_link(message) -> str:
    body = message.get_body(("plain",)).get_content()
    match = re.search(r"http://localhost(/account/verify/\S+)", body)
    assert match, body
    return match.group(1)


def test_register_verify_log_in_and_log_out(client, db, outbox):
    response = register(client, email="  Lan@Example.VN ")
    # Not logged in: a "check your inbox" page (the same for a known address, see below).
    assert response.status_code == 200
    assert "lan@example.vn" in html(response)
    assert client.get("/account/").status_code == 302
    user = db.session.scalar(select(User))
    assert user.email == "lan@example.vn"  # stored in one letter case
    assert user.name == "Nguyễn Thị Lan"
    assert user.role is Role.CUSTOMER
    assert user.email_verified_at is None
    # The configured method (tests: config.TestingConfig's cheap one); production's is below.
    assert user.password_hash.startswith(client.application.config["PASSWORD_HASH_METHOD"])
    assert user.locale == "vi"  # the language the visitor was using

    [message] = mails(outbox)
    assert message["To"] == "lan@example.vn"
    link = verify_link(message)
    # Opening the link (a mail scanner would) changes nothing and logs nobody in.
    assert client.get(link).status_code == 200
    db.session.refresh(user)
    assert user.email_verified_at is None
    assert client.get("/account/").status_code == 302
    # The button verifies the address and logs in.
    response = client.post(link)
    assert response.status_code == 302 and response.headers["Location"] == "/account/"
    db.session.refresh(user)
    assert user.email_verified_at is not None
    page = html(client.get("/account/"))  # landed logged in
    assert "lan@example.vn" in page

    client.post("/account/logout")
    assert client.get("/account/").status_code == 302  # logged out: back to the login page
    # The link worked once: it never logs anyone in again.
    assert client.post(link).status_code == 400
    assert client.get("/account/").status_code == 302

    response = client.post(
        "/account/login?next=/account/", data={"email": "LAN@example.vn", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/"
    assert client.get("/account/").status_code == 200


def test_register_in_english_saves_english_as_the_language(client, db):
    client.get("/?lang=en")
    register(client)
    assert db.session.scalar(select(User.locale)) == "en"


def test_registering_a_known_email_answers_the_same_and_changes_nothing(
    app, client, db, make, outbox
):
    existing = make.user(email="lan@example.vn", name="Lan")
    hash_before = existing.password_hash
    known = register(client, email="LAN@Example.vn", password="another password 1")
    unknown = new_client(app)
    fresh = register(unknown, email="LAN2@Example.vn", password="another password 1")
    # The same status and page, but for the address it names.
    assert known.status_code == fresh.status_code == 200
    assert html(known).replace("lan@example.vn", "X") == html(fresh).replace("lan2@example.vn", "X")
    # No account created or changed for the known address, nobody logged in.
    assert user_count(db) == 2
    db.session.refresh(existing)
    assert existing.password_hash == hash_before
    assert client.get("/account/").status_code == 302
    # The known address hears "you already have an account", with absolute links to log in
    # and to reset the password; the new one gets its verification link.
    [reminder] = outbox.to("lan@example.vn")
    body = reminder.get_body(("plain",)).get_content()
    assert "http://localhost/account/login" in body and "http://localhost/account/reset" in body
    assert "/account/verify/" not in body
    [verification] = outbox.to("lan2@example.vn")
    assert "/account/verify/" in verification.get_body(("plain",)).get_content()


def test_register_checks_password_length_and_repetition(client, db):
    assert register(client, password="short", again="short").status_code == 200
    assert register(client, password="long enough 1", again="long enough 2").status_code == 200
    assert user_count(db) == 0
    with pytest.raises(services.WeakPassword):
        services.register_user("x@example.vn", "123456789", "X")  # 9 characters
    assert user_count(db) == 0


def test_wrong_password_and_unknown_email_get_the_same_answer(app, client, make):
    make.user(email="lan@example.vn")
    wrong = client.post(
        "/account/login", data={"email": "lan@example.vn", "password": "nope nope nope"}
    )
    unknown = client.post(
        "/account/login", data={"email": "who@example.vn", "password": "nope nope nope"}
    )
    message = translated(app, "Wrong e-mail or password.")
    assert message in html(wrong) and message in html(unknown)
    assert client.get("/account/").status_code == 302


def test_inactive_user_cannot_log_in_and_is_logged_out(client, make, auth, db):
    user = make.user(email="lan@example.vn")
    auth.login(user)
    assert client.get("/account/").status_code == 200

    user.active = False
    db.session.commit()
    assert client.get("/account/").status_code == 302  # the open session ends at once

    response = auth.login(user)
    assert response.status_code == 200
    assert client.get("/account/").status_code == 302


def test_remember_me_sets_the_remember_cookie(client, make):
    user = make.user()
    client.post("/account/login", data={"email": user.email, "password": PASSWORD})
    assert client.get_cookie("remember_token") is None
    client.post("/account/logout")

    client.post("/account/login", data={"email": user.email, "password": PASSWORD, "remember": "y"})
    cookie = client.get_cookie("remember_token")
    assert cookie is not None and cookie.http_only

    # The cookie alone (a browser restarted, session gone) logs the user back in.
    client.delete_cookie("session")
    assert client.get("/account/").status_code == 200


@pytest.mark.parametrize(
    "target, safe",
    [
        ("/account/", True),
        ("/products?q=vải", True),
        ("//evil.example", False),
        ("/\\evil.example", False),
        ("/\t/evil.example", False),
        ("https://evil.example/", False),
        ("javascript:alert(1)", False),
        ("", False),
    ],
)
def test_next_redirects_stay_on_the_site(app, target, safe):
    with app.test_request_context("/"):
        assert (_safe_next(target) == target) is safe


def test_login_redirect_ignores_an_offsite_next(client, make):
    user = make.user()
    response = client.post(
        "/account/login?next=//evil.example/", data={"email": user.email, "password": PASSWORD}
    )
    assert response.headers["Location"] == "/"


# --- password reset ---------------------------------------------------------------------------


def test_reset_flow_mails_the_user_in_their_language_and_the_link_works_once(
    app, client, make, db, outbox
):
    user = make.user(email="lan@example.vn", locale="en")
    response = client.post("/account/reset", data={"email": "LAN@example.vn"})
    assert response.status_code == 302
    page = html(client.get(response.headers["Location"]))
    same_message = translated(
        app,
        "If an account uses %(email)s, we have sent it a link to choose a new password. "
        "Please check your inbox and spam folder.",
        email="lan@example.vn",
    )
    assert same_message in page

    [mail] = mails(outbox)
    assert mail["To"] == "lan@example.vn"
    assert mail["Content-Language"] == "en"  # the user's language, not the page's (vi)
    with app.app_context(), force_locale("en"):
        assert mail["Subject"] == str(services._l("Reset your OCOP Market password"))
    body = mail.get_body(("plain",)).get_content()
    # Dates follow the recipient's locale: "3/5/26, 3:30 PM" in English.
    assert re.search(r"\d{1,2}/\d{1,2}/\d{2}, \d{1,2}:\d{2}\W[AP]M", body), body
    assert mail.get_body(("html",)) is not None

    link = reset_link(mail)
    assert client.get(link).status_code == 200  # looking does not use it up
    response = client.post(link, data={"password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.check_password(NEW_PASSWORD)

    again = client.get(link)
    assert again.status_code == 400
    assert translated(
        app, "This password reset link has already been used. Please ask for a new one."
    ) in html(again)
    response = client.post(
        link, data={"password": "yet another one!", "password_again": "yet another one!"}
    )
    assert response.status_code == 400
    db.session.refresh(user)
    assert user.check_password(NEW_PASSWORD)


def test_vietnamese_user_gets_the_mail_in_vietnamese(client, make, outbox):
    make.user(email="lan@example.vn", locale="vi")
    client.post("/account/reset?lang=en", data={"email": "lan@example.vn"})
    [mail] = mails(outbox)
    assert mail["Content-Language"] == "vi"
    body = mail.get_body(("plain",)).get_content()
    assert re.search(r"\d{1,2}:\d{2} \d{1,2}/\d{1,2}/\d{2}", body), body  # "15:30 5/3/26"
    assert not re.search(r"\d{1,2}:\d{2}\W[AP]M", body)


def test_reset_request_says_the_same_for_an_unknown_email_and_sends_nothing(
    app, client, make, outbox
):
    make.user(email="lan@example.vn")
    known = client.post("/account/reset", data={"email": "lan@example.vn"}, follow_redirects=True)
    unknown = client.post("/account/reset", data={"email": "who@example.vn"}, follow_redirects=True)
    strip = lambda page: page.replace("lan@example.vn", "X").replace("who@example.vn", "X")  # noqa: E731
    assert known.status_code == unknown.status_code == 200
    assert strip(html(known)) == strip(html(unknown))
    assert [m["To"] for m in mails(outbox)] == ["lan@example.vn"]


def test_inactive_user_gets_no_reset_mail(client, make, outbox):
    make.user(email="lan@example.vn", active=False)
    client.post("/account/reset", data={"email": "lan@example.vn"})
    assert mails(outbox) == []


def test_expired_reset_token_is_refused(app, client, make, monkeypatch):
    user = make.user()
    issued = int(time.time()) - app.config["PASSWORD_RESET_MAX_AGE"] - 60
    with monkeypatch.context() as m:
        m.setattr(TimestampSigner, "get_timestamp", lambda self: issued)
        token = services.password_reset_token(user)
    response = client.get(f"/account/reset/{token}")
    assert response.status_code == 400
    assert translated(
        app, "This password reset link has expired. Please ask for a new one."
    ) in html(response)
    client.post(
        f"/account/reset/{token}", data={"password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    )
    assert user.check_password(PASSWORD)


@pytest.mark.parametrize("token", ["garbage", "eyJ1c2VyIjoxfQ.forged.signature"])
def test_forged_reset_token_is_refused(client, token):
    assert client.get(f"/account/reset/{token}").status_code == 400


# --- changes while logged in ------------------------------------------------------------------


def test_change_password_needs_the_current_one(app, client, make, auth, db):
    user = make.user()
    auth.login(user)
    other_device = new_client(app)
    other_device.post("/account/login", data={"email": user.email, "password": PASSWORD})

    response = client.post(
        "/account/password",
        data={
            "current_password": "not my password",
            "password": NEW_PASSWORD,
            "password_again": NEW_PASSWORD,
        },
    )
    assert response.status_code == 200
    assert translated(app, "Your current password is not correct.") in html(response)
    db.session.refresh(user)
    assert user.check_password(PASSWORD)

    response = client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "password": NEW_PASSWORD,
            "password_again": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.check_password(NEW_PASSWORD)
    assert client.get("/account/").status_code == 200  # this session stays logged in
    assert other_device.get("/account/").status_code == 302  # the other one is logged out


def change_link(message) -> str:
    body = message.get_body(("plain",)).get_content()
    match = re.search(r"http://localhost(/account/email/confirm/\S+)", body)
    assert match, body
    return match.group(1)


def test_change_email_needs_the_password_and_the_new_address_to_confirm(
    app, client, make, auth, db, outbox
):
    user = make.user(email="lan@example.vn", locale="en")
    auth.login(user)

    response = client.post(
        "/account/email", data={"email": "new@example.vn", "password": "wrong one!!"}
    )
    assert translated(app, "Your password is not correct.", "en") in html(response)  # her language
    db.session.refresh(user)
    assert (user.email, user.pending_email) == ("lan@example.vn", None)
    assert mails(outbox) == []

    response = client.post("/account/email", data={"email": "New@Example.vn", "password": PASSWORD})
    assert response.status_code == 302
    db.session.refresh(user)
    # Nothing changes yet: the new address must confirm.
    assert (user.email, user.pending_email) == ("lan@example.vn", "new@example.vn")
    [confirm] = outbox.to("new@example.vn")
    [told] = outbox.to("lan@example.vn")  # the old address hears of the request
    assert "new@example.vn" in told.get_body(("plain",)).get_content()
    link = change_link(confirm)
    assert "new@example.vn" in html(client.get("/account/"))  # shown as waiting

    assert client.get(link).status_code == 200  # opening it changes nothing
    db.session.refresh(user)
    assert user.email == "lan@example.vn"
    assert client.post(link).status_code == 302
    db.session.refresh(user)
    assert (user.email, user.pending_email) == ("new@example.vn", None)
    assert user.email_verified_at is not None  # the link reached it
    [_told, done] = outbox.to("lan@example.vn")  # and hears when it is done
    assert "new@example.vn" in done.get_body(("plain",)).get_content()
    assert client.post(link).status_code == 400  # once only

    client.post("/account/logout")
    assert (
        client.post(
            "/account/login", data={"email": "new@example.vn", "password": PASSWORD}
        ).status_code
        == 302
    )


def test_an_email_change_to_a_taken_address_is_refused_at_confirmation(
    app, client, make, auth, db, outbox
):
    make.user(email="taken@example.vn")
    user = make.user(email="lan@example.vn", locale="en")
    auth.login(user)
    # The request answers as for any address (it tells nothing about who has an account)...
    response = client.post(
        "/account/email", data={"email": "TAKEN@example.vn", "password": PASSWORD}
    )
    assert response.status_code == 302
    link = change_link(outbox.to("taken@example.vn")[0])
    # ... and confirming it changes nothing, with a clear message.
    response = client.post(link)
    assert response.status_code == 409
    assert "taken@example.vn" in html(response)
    db.session.refresh(user)
    assert (user.email, user.pending_email) == ("lan@example.vn", "taken@example.vn")
    assert len(outbox.to("lan@example.vn")) == 1  # only the request notice, no "changed"


def test_an_older_email_change_link_dies_when_a_newer_change_is_asked(
    client, make, auth, db, outbox
):
    user = make.user(email="lan@example.vn")
    auth.login(user)
    client.post("/account/email", data={"email": "one@example.vn", "password": PASSWORD})
    client.post("/account/email", data={"email": "two@example.vn", "password": PASSWORD})
    old_link = change_link(outbox.to("one@example.vn")[0])
    assert client.post(old_link).status_code == 400
    client.post("/account/email/cancel")
    new_link = change_link(outbox.to("two@example.vn")[0])
    assert client.post(new_link).status_code == 400  # cancelled
    db.session.refresh(user)
    assert (user.email, user.pending_email) == ("lan@example.vn", None)


# --- e-mail verification -----------------------------------------------------------------------


def test_the_account_page_shows_the_state_and_resends_the_link(client, make, auth, db, outbox):
    user = make.user(email="lan@example.vn", verified=False)
    auth.login(user)
    page = html(client.get("/account/"))
    assert "/account/verify/send" in page  # the button
    response = client.post("/account/verify/send")
    assert response.status_code == 302 and response.headers["Location"] == "/account/"
    [first] = mails(outbox)
    client.post("/account/verify/send")
    assert client.post(verify_link(mails(outbox)[1])).status_code == 302
    db.session.refresh(user)
    assert user.email_verified_at is not None
    assert "/account/verify/send" not in html(client.get("/account/"))
    # Every link sent before is used up with the first one.
    assert client.post(verify_link(first)).status_code == 400
    client.post("/account/verify/send")
    assert len(mails(outbox)) == 2  # nothing more to send once verified


def test_tampered_or_stale_verification_links_are_refused(app, client, make, db, outbox):
    user = make.user(email="lan@example.vn", verified=False)
    other = make.user(email="other@example.vn", verified=False)
    with app.test_request_context():
        good = services.email_verification_token(user)
        signer = services._email_serializer(services.VERIFY_SALT)
        forged = [
            good[:-3] + ("aaa" if not good.endswith("aaa") else "bbb"),
            # this account's id with another address, signed with the wrong salt
            services._email_serializer(services.RESET_SALT).dumps(
                {"user": user.id, "email": "lan@example.vn"}
            ),
            # a link issued for an address the account no longer has
            signer.dumps({"user": other.id, "email": "old@example.vn"}),
            "not-a-token",
        ]
    for token in forged:
        assert client.get(f"/account/verify/{token}").status_code == 400, token
        assert client.post(f"/account/verify/{token}").status_code == 400, token
    db.session.expire_all()
    assert user.email_verified_at is None and other.email_verified_at is None
    assert client.get("/account/").status_code == 302  # nobody logged in

    app.config["EMAIL_LINK_MAX_AGE"] = -1  # expired
    assert client.post(f"/account/verify/{good}").status_code == 400
    app.config["EMAIL_LINK_MAX_AGE"] = 3600
    # An address changed since the link was sent: the link dies with it.
    user.email = "changed@example.vn"
    db.session.commit()
    assert client.post(f"/account/verify/{good}").status_code == 400
    db.session.refresh(user)
    assert user.email_verified_at is None


def test_a_verification_link_needs_the_csrf_token(app, make, db, outbox, csrf_on):
    user = make.user(email="lan@example.vn", verified=False)
    with app.test_request_context():
        token = services.email_verification_token(user)
    client = new_client(app)
    assert client.post(f"/account/verify/{token}").status_code == 400
    db.session.refresh(user)
    assert user.email_verified_at is None
    page = html(client.get(f"/account/verify/{token}"))
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post(f"/account/verify/{token}", data={"csrf_token": csrf}).status_code == 302
    db.session.refresh(user)
    assert user.email_verified_at is not None


def test_a_password_reset_verifies_the_address(client, make, db, outbox):
    user = make.user(email="lan@example.vn", verified=False)
    client.post("/account/reset", data={"email": "lan@example.vn"})
    link = reset_link(mails(outbox)[0])
    client.post(link, data={"password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    db.session.refresh(user)
    assert user.email_verified_at is not None  # the link reached the address


def test_profile_saves_name_phone_and_language(client, make, auth, db):
    user = make.user()
    auth.login(user)
    response = client.post(
        "/account/", data={"name": "Trần Văn Minh", "phone": "+84 912 345 678", "locale": "en"}
    )
    assert response.status_code == 302
    db.session.refresh(user)
    assert (user.name, user.phone, user.locale) == ("Trần Văn Minh", "0912345678", "en")
    assert 'lang="en"' in html(client.get("/account/"))  # the page follows the new choice

    response = client.post("/account/", data={"name": "X", "phone": "12345", "locale": "vi"})
    assert response.status_code == 200
    db.session.refresh(user)
    assert user.phone == "0912345678" and user.name == "Trần Văn Minh"


def test_account_page_needs_login(client):
    response = client.get("/account/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/account/login?next=")


# --- saved addresses --------------------------------------------------------------------------


def address_data(**overrides):
    data = {
        "recipient": "Nguyễn Thị Lan",
        "phone": "0912 345 678",
        "province": str(BAC_NINH),
        "commune": str(LUC_NGAN_COMMUNE),
        "street": "Thôn Kim Sơn",
        "save": "1",
    }
    data.update(overrides)
    return data


def addresses(db, user) -> list[Address]:
    db.session.expire_all()
    return list(
        db.session.scalars(select(Address).where(Address.user_id == user.id).order_by(Address.id))
    )


def test_address_crud(client, make, auth, db):
    user = make.user()
    auth.login(user)
    page = html(client.get("/account/"))
    assert 'href="/account/addresses/new"' in page

    assert client.post("/account/addresses/new", data=address_data()).status_code == 302
    [first] = addresses(db, user)
    assert first.phone == "0912345678"
    assert first.commune.code == LUC_NGAN_COMMUNE
    assert first.is_default  # the first address is the default

    client.post("/account/addresses/new", data=address_data(street="Số 5 Lý Thường Kiệt"))
    first, second = addresses(db, user)
    assert first.is_default and not second.is_default

    page = html(client.get("/account/"))
    assert "Thôn Kim Sơn" in page and "Số 5 Lý Thường Kiệt" in page and "Xã Lục Ngạn" in page

    client.post(f"/account/addresses/{second.id}/default")
    first, second = addresses(db, user)
    assert second.is_default and not first.is_default

    edit = html(client.get(f"/account/addresses/{first.id}/edit"))
    assert 'value="Thôn Kim Sơn"' in edit
    assert f'<option selected value="{LUC_NGAN_COMMUNE}">' in edit
    client.post(
        f"/account/addresses/{first.id}/edit", data=address_data(street="Thôn Mới", is_default="y")
    )
    first, second = addresses(db, user)
    assert first.street == "Thôn Mới" and first.is_default and not second.is_default

    client.post(f"/account/addresses/{first.id}/delete")
    [left] = addresses(db, user)
    assert left.id == second.id and left.is_default  # a default always remains


def test_address_rules_are_checked(client, make, auth, db):
    user = make.user()
    auth.login(user)
    assert (
        client.post("/account/addresses/new", data=address_data(phone="12345")).status_code == 200
    )
    # A commune of another province is not on the list for Bắc Ninh.
    assert client.post("/account/addresses/new", data=address_data(province="1")).status_code == 200
    assert client.post("/account/addresses/new", data=address_data(commune="0")).status_code == 200
    assert addresses(db, user) == []


def test_commune_list_works_without_javascript(client, make, auth, db):
    auth.login(make.user())
    page = html(client.get("/account/addresses/new"))
    assert 'name="show_communes"' in page
    assert "Xã Lục Ngạn" not in page  # no province chosen yet

    data = address_data(commune="0", street="")
    del data["save"]
    data["show_communes"] = "1"
    response = client.post("/account/addresses/new", data=data)
    assert response.status_code == 200
    page = html(response)
    assert f'<option value="{LUC_NGAN_COMMUNE}">Xã Lục Ngạn</option>' in page
    assert "field__errors" not in page  # refilling the list is not a failed save
    assert db.session.scalar(select(func.count()).select_from(Address)) == 0


def test_communes_json(client):
    data = client.get(f"/communes?province={BAC_NINH}").get_json()
    names = [c["name"] for c in data["communes"]]
    assert "Xã Lục Ngạn" in names
    assert {"code": LUC_NGAN_COMMUNE, "name": "Xã Lục Ngạn"} in data["communes"]
    assert client.get("/communes?province=99999").get_json() == {"communes": []}
    assert client.get("/communes").get_json() == {"communes": []}


def test_another_users_address_is_404_and_unchanged(client, make, auth, db):
    owner = make.user()
    address = Address(
        user_id=owner.id,
        recipient="Chủ",
        phone="0912345678",
        street="Thôn Cũ",
        commune=factories.commune(),
        is_default=True,
    )
    db.session.add(address)
    db.session.commit()
    address_id = address.id

    auth.login(make.user())
    assert client.get(f"/account/addresses/{address_id}/edit").status_code == 404
    assert (
        client.post(
            f"/account/addresses/{address_id}/edit", data=address_data(street="Hijacked")
        ).status_code
        == 404
    )
    assert client.post(f"/account/addresses/{address_id}/default").status_code == 404
    assert client.post(f"/account/addresses/{address_id}/delete").status_code == 404
    assert client.get("/account/addresses/999999/edit").status_code == 404

    db.session.expire_all()
    still = db.session.get(Address, address_id)
    assert still is not None and still.street == "Thôn Cũ" and still.user_id == owner.id
    with pytest.raises(NotFound):
        services.delete_address(owner.id + 1000, address_id)


# --- order history ----------------------------------------------------------------------------


def order(user, number, created_at, total=150_000):
    return Order(
        number=number,
        user_id=user.id if user else None,
        email=user.email if user else "guest@example.vn",
        phone="0912345678",
        recipient="Lan",
        street="Thôn Kim Sơn",
        address_text="Thôn Kim Sơn, Xã Lục Ngạn, Bắc Ninh",
        payment_method=PaymentMethod.COD,
        status=OrderStatus.PLACED,
        subtotal=total,
        total=total,
        created_at=created_at,
    )


def test_order_history_lists_own_orders_newest_first(client, make, auth, db):
    user = make.user()
    auth.login(user)
    page = html(client.get("/account/"))
    assert 'class="empty-state"' in page  # no orders yet

    now = utcnow()
    db.session.add_all(
        [
            order(user, "OLDER1", now - timedelta(days=3)),
            order(user, "NEWER2", now - timedelta(days=1), total=1_250_000),
            order(make.user(), "OTHER3", now),
        ]
    )
    db.session.commit()
    page = html(client.get("/account/"))
    assert "OTHER3" not in page
    assert page.index("NEWER2") < page.index("OLDER1")
    assert "1.250.000" in page
    assert [o.number for o in services.order_history(user.id)] == ["NEWER2", "OLDER1"]


# --- CSRF and safe methods --------------------------------------------------------------------


def test_posts_without_a_csrf_token_are_refused_and_change_nothing(app, make, db, csrf_on):
    user = make.user()
    address = Address(
        user_id=user.id,
        recipient="Lan",
        phone="0912345678",
        street="Thôn Kim Sơn",
        commune=factories.commune(),
        is_default=True,
    )
    db.session.add(address)
    db.session.commit()
    address_id = address.id

    client = new_client(app)
    # Log in the real way, with the token from the form.
    page = html(client.get("/account/login"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert (
        client.post(
            "/account/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
        ).status_code
        == 302
    )

    for url, data in [
        (f"/account/addresses/{address_id}/delete", {}),
        (f"/account/addresses/{address_id}/edit", address_data(street="Changed")),
        (
            "/account/password",
            {
                "current_password": PASSWORD,
                "password": NEW_PASSWORD,
                "password_again": NEW_PASSWORD,
            },
        ),
        ("/account/email", {"email": "new@example.vn", "password": PASSWORD}),
        ("/account/email/cancel", {}),
        ("/account/verify/send", {}),
        ("/account/", {"name": "Changed", "phone": "", "locale": "en"}),
        ("/account/logout", {}),
    ]:
        assert client.post(url, data=data).status_code == 400, url

    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert user.check_password(PASSWORD) and user.email.startswith("user") and user.locale == "vi"
    assert db.session.get(Address, address_id).street == "Thôn Kim Sơn"
    assert client.get("/account/").status_code == 200  # still logged in


def test_no_state_change_on_get(client, make, auth, db):
    user = make.user()
    auth.login(user)
    client.post("/account/addresses/new", data=address_data())
    [address] = addresses(db, user)
    assert client.get(f"/account/addresses/{address.id}/delete").status_code == 405
    assert client.get(f"/account/addresses/{address.id}/default").status_code == 405
    assert client.get("/account/logout").status_code == 405
    assert len(addresses(db, user)) == 1
    assert client.get("/account/").status_code == 200


# --- rate limits ------------------------------------------------------------------------------


def _limited_app(app, **config):
    return create_app(
        {
            "CONFIG": "testing",
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "SEARCH_INDEX_DIR": app.config["SEARCH_INDEX_DIR"],
            "UPLOAD_DIR": app.config["UPLOAD_DIR"],
            "MAIL_OUTBOX_DIR": app.config["MAIL_OUTBOX_DIR"],
            "RATELIMIT_ENABLED": True,
            **config,
        }
    )


@pytest.fixture
def limited(app):
    """An app with rate limits on (memory storage), sharing the test database."""
    limited_app = _limited_app(app, RATELIMIT_STORAGE_URI="memory://")
    limiter.reset()
    yield limited_app
    limiter.reset()
    limiter.enabled = False  # the limiter is one object: leave it off for the other tests
    with limited_app.app_context():
        from storefront.extensions import db as _db

        _db.engine.dispose()


def attempt(client, email, password="wrong password!", ip="127.0.0.1"):
    return client.post(
        "/account/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": ip},
    )


def test_resending_the_verification_link_is_limited(app, limited, make, outbox):
    make.user(email="lan@example.vn", verified=False)
    client = limited.test_client()
    client.post("/account/login", data={"email": "lan@example.vn", "password": PASSWORD})
    for _i in range(3):
        assert client.post("/account/verify/send").status_code == 302
    response = client.post("/account/verify/send")
    assert response.status_code == 429
    assert len(mails(outbox)) == 3


def test_sixth_login_attempt_for_one_email_gets_429(app, limited, make):
    user = make.user(email="lan@example.vn")
    client = limited.test_client()
    for _i in range(5):
        assert attempt(client, "lan@example.vn").status_code == 200
    # Letter case and spaces do not make it another account; the right password does not help.
    response = attempt(client, " LAN@example.vn", password=PASSWORD)
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) >= 1
    page = html(response)
    assert (
        translated(
            app,
            "Too many log-in attempts. Please wait a minute, then try again.",
        )
        in page
    )
    assert translated(app, "Too many attempts") in page
    assert client.get("/account/").status_code == 302  # not logged in

    # Another account from the same network is not locked by it, and looking is free.
    assert attempt(client, "other@example.vn").status_code == 200
    assert client.get("/account/login").status_code == 200
    assert user.active


def test_many_accounts_from_one_ip_hit_the_ip_limit(limited, make):
    client = limited.test_client()
    for i in range(20):  # 4 tries for each of 5 accounts: under the per-account limit
        assert attempt(client, f"user{i // 4}@example.vn").status_code == 200, i
    assert attempt(client, "fresh@example.vn").status_code == 429
    assert attempt(client, "fresh@example.vn", ip="10.0.0.9").status_code == 200


def test_password_reset_requests_are_limited(limited, make, outbox):
    make.user(email="lan@example.vn")
    client = limited.test_client()
    for _i in range(3):
        assert client.post("/account/reset", data={"email": "lan@example.vn"}).status_code == 302
    assert client.post("/account/reset", data={"email": "lan@example.vn"}).status_code == 429
    assert len(mails(outbox)) == 3


def test_wrong_current_passwords_are_limited(limited, make):
    user = make.user()
    client = limited.test_client()
    client.post("/account/login", data={"email": user.email, "password": PASSWORD})
    data = {
        "current_password": "guess guess!",
        "password": NEW_PASSWORD,
        "password_again": NEW_PASSWORD,
    }
    for _i in range(5):
        assert client.post("/account/password", data=data).status_code == 200
    assert client.post("/account/password", data=data).status_code == 429


def test_limits_can_live_in_redis(app, make):
    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except redis.exceptions.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    store = redis.Redis.from_url(url)

    def forget_login_counts():
        # Database 15 is for tests; the per-IP count would otherwise carry over to a rerun.
        for key in store.scan_iter("*accounts.login*"):
            store.delete(key)

    forget_login_counts()
    limited_app = _limited_app(app, RATELIMIT_STORAGE_URI=url)
    email = f"{uuid.uuid4().hex}@example.vn"
    try:
        client = limited_app.test_client()
        for _i in range(5):
            assert attempt(client, email).status_code == 200
        assert attempt(client, email).status_code == 429
        # The count lives in Redis, where every app server sees it.
        assert list(store.scan_iter(f"*{email}*"))
    finally:
        forget_login_counts()
        limiter.enabled = False
        with limited_app.app_context():
            from storefront.extensions import db as _db

            _db.engine.dispose()


def test_when_redis_is_down_logins_still_work_and_are_limited_per_process(app, make):
    pytest.importorskip("redis")
    user = make.user()
    limited_app = _limited_app(app, RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0")  # nobody there
    try:
        client = limited_app.test_client()
        response = attempt(client, user.email, password=PASSWORD)
        assert response.status_code == 302  # logged in, not a 500
        for _i in range(5):
            attempt(client, user.email)
        assert attempt(client, user.email).status_code == 429  # counted in memory meanwhile
    finally:
        limiter._storage_dead = False  # the limiter is one object; the next test starts clean
        limiter.enabled = False
        with limited_app.app_context():
            from storefront.extensions import db as _db

            _db.engine.dispose()


# --- the users CLI ----------------------------------------------------------------------------
