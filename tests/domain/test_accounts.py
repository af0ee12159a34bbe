"""Accounts as domain functions: reset tokens and when the e-mails go out."""

from __future__ import annotations

import pytest

import config
from storefront.core.errors import InvalidResetToken
from storefront.domain import accounts as services
from storefront.models import (
    User,
)
from tests.fixtures.factories import PASSWORD

NEW_PASSWORD = "a much longer new one"


def test_passwords_are_hashed_with_scrypt_unless_configured_otherwise(app, monkeypatch, make):
    assert config.Config.PASSWORD_HASH_METHOD == "scrypt"
    assert config.ProductionConfig.PASSWORD_HASH_METHOD == "scrypt"
    monkeypatch.setitem(app.config, "PASSWORD_HASH_METHOD", config.Config.PASSWORD_HASH_METHOD)
    user = make.user()
    assert user.password_hash.startswith("scrypt:")
    assert user.check_password(PASSWORD)
    # Without the setting at all, scrypt too.
    monkeypatch.delitem(app.config, "PASSWORD_HASH_METHOD")
    user.set_password(NEW_PASSWORD)
    assert user.password_hash.startswith("scrypt:")
    assert user.check_password(NEW_PASSWORD)


def test_reset_token_issued_before_a_password_change_no_longer_works(make, db):
    user = make.user()
    token = services.password_reset_token(user)
    services.change_password(user, PASSWORD, NEW_PASSWORD)
    with pytest.raises(InvalidResetToken):
        services.reset_password(token, "a third password!")
    db.session.refresh(user)
    assert user.check_password(NEW_PASSWORD)


def test_reset_token_from_another_purpose_is_refused(app, make):
    from itsdangerous import URLSafeTimedSerializer

    user = make.user()
    other = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="something-else")
    token = other.dumps({"user": user.id, "pw": user.password_fingerprint})
    with pytest.raises(InvalidResetToken):
        services.user_for_reset_token(token)


def test_no_mail_is_sent_while_a_transaction_is_open(make, db, monkeypatch):
    make.user(email="lan@example.vn")
    seen = []

    def spy(*args, **kwargs):
        seen.append(db.session().in_transaction())

    # The reset e-mail is sent by accounts itself; the others by the job outbox's runner
    # (storefront/domain/jobs), through core.mail: both places are watched.
    monkeypatch.setattr(services, "send_mail", spy)
    monkeypatch.setattr("storefront.core.mail.send_mail", spy)
    services.request_password_reset("lan@example.vn", reset_url=lambda token: f"/r/{token}")
    user = db.session.scalar(User.by_email("lan@example.vn"))
    services.request_email_change(user, PASSWORD, "new@example.vn", confirm_url=lambda t: t)
    token = services._email_serializer(services.EMAIL_CHANGE_SALT).dumps(
        {"user": user.id, "new": "new@example.vn", "old": "lan@example.vn"}
    )
    services.confirm_email_change(token)
    services.sign_up(
        "someone@example.vn",
        PASSWORD,
        "A",
        locale="vi",
        verify_url=lambda t: t,
        login_url="/l",
        reset_url="/r",
    )
    services.sign_up(
        "new@example.vn",
        PASSWORD,
        "A",
        locale="vi",
        verify_url=lambda t: t,
        login_url="/l",
        reset_url="/r",
    )
    # reset, change requested (new + old), change done, sign-up new, sign-up known
    assert seen == [False] * 6
