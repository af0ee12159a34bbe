"""Accounts: registration, e-mail verification, log-in, password reset and changes, e-mail
changes, profile, saved addresses.

Plain functions taking plain arguments; each public one is one unit of work that commits
once at the end (or changes nothing) and raises a typed error from storefront.core.errors.
None of them reads the request, the session or current_user.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email import policy
from functools import cache
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from werkzeug.security import check_password_hash, generate_password_hash

from storefront.core.db import Unit, begin_write, rows_matched, unit_of_work
from storefront.core.errors import (
    AccountInactive,
    EmailTaken,
    InvalidCredentials,
    InvalidEmailToken,
    InvalidInput,
    InvalidResetToken,
    NotFound,
    StaffCannotJoin,
    UnknownUser,
    WeakPassword,
    WrongPassword,
)
from storefront.core.inputs import parse_int
from storefront.core.mail import build_message, send_mail
from storefront.core.phones import normalize_vn_phone
from storefront.domain.jobs import mail_later
from storefront.domain.locations import current_commune
from storefront.extensions import db
from storefront.models import Address, AdminUnit, CooperativeMember, Order, Role, User, utcnow
from storefront.models.users import password_hash_method

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200  # hashing a megabyte-long "password" is a cheap way to burn our CPU
RESET_SALT = "ocop-market.password-reset"
VERIFY_SALT = "ocop-market.email-verification"
EMAIL_CHANGE_SALT = "ocop-market.email-change"
LOCALES = ("vi", "en")


def _dummy_hash() -> str:
    # Checked against when the e-mail is unknown, so a wrong e-mail costs as much time as a
    # wrong password and the response time does not tell which e-mails are registered.
    return _dummy_hash_for(password_hash_method())


@cache
def _dummy_hash_for(method: str) -> str:
    return generate_password_hash("not a real password", method=method)


# --- registration and log-in -------------------------------------------------------------------


def register_user(
    email: str,
    password: str,
    name: str,
    *,
    locale: str = "vi",
    role: Role = Role.CUSTOMER,
    verified: bool = False,
) -> User:
    """Create an account; the e-mail is unique whatever its letter case. `verified` for
    accounts an administrator creates from the shell (they vouch for the address); sign-ups
    from the web go through sign_up() and verify by the e-mailed link."""
    email = User.normalize_email(email)
    _check_new_password(password)
    if not email:
        raise InvalidInput(_("Enter your e-mail address."))
    with _email_unique():
        _ensure_email_free(email)
        user = User(
            email=email,
            name=name.strip(),
            role=role,
            locale=locale if locale in LOCALES else "vi",
            email_verified_at=utcnow() if verified else None,
        )
        user.set_password(password)
        db.session.add(user)
    return user


def sign_up(
    email: str,
    password: str,
    name: str,
    *,
    locale: str,
    verify_url: Callable[[str], str],
    login_url: str,
    reset_url: str,
) -> None:
    """Sign up from the web without telling whether the address already has an account.

    A new address gets an account (not yet verified) and a link that verifies it
    (`verify_url(token)`); an address that has an account gets a "you already have an
    account" e-mail with `login_url` and `reset_url`, and nothing is created or changed.
    The caller answers the same either way, and neither path logs anyone in. Both hash the
    password, so both take about as long.
    """
    email = User.normalize_email(email)
    _check_new_password(password)
    if not email:
        raise InvalidInput(_("Enter your e-mail address."))
    password_hash = generate_password_hash(password, method=password_hash_method())
    locale = locale if locale in LOCALES else "vi"
    try:
        with unit_of_work() as unit:
            existing = db.session.scalar(User.by_email(email))
            if existing is not None:
                mail_later(
                    unit,
                    existing.email,
                    _l("You already have an OCOP Market account"),
                    "account_exists",
                    existing.locale or locale,
                    name=existing.name,
                    login_url=login_url,
                    reset_url=reset_url,
                )
                return
            user = User(email=email, name=name.strip(), locale=locale)
            user.password_hash = password_hash
            db.session.add(user)
            db.session.flush()
            _on_commit_send_verification(unit, user, verify_url)
    except IntegrityError:
        # A sign-up with the same address won the race: that account gets its own link.
        return


def authenticate(email: str, password: str) -> User:
    """The active user with this e-mail and password, or InvalidCredentials."""
    user: User | None = db.session.scalar(User.by_email(email))
    if user is None:
        check_password_hash(_dummy_hash(), password)
        raise InvalidCredentials(_("Wrong e-mail or password."))
    if not user.check_password(password):
        raise InvalidCredentials(_("Wrong e-mail or password."))
    # Only said after the right password, so it reveals nothing to a guesser.
    if not user.active:
        raise AccountInactive(_("This account has been deactivated. Please contact us."))
    return user


def landing_area(user: User) -> str:
    """Where a user starts after logging in when nothing asks for another page: "pfa" for
    Farmers' Association staff and admins (the console; they are never members of a
    cooperative), "seller" for a member of a cooperative (the workspace), else "shop"."""
    if user.is_pfa_staff:
        return "pfa"
    member = db.session.scalar(
        select(CooperativeMember.id).where(CooperativeMember.user_id == user.id).limit(1)
    )
    return "seller" if member is not None else "shop"


def user_for_session(session_id: str) -> User | None:
    """The user a login session or remember-me cookie names, if it is still valid.

    The id (User.get_id) carries the password fingerprint and the session version, so changing
    or resetting the password, logging out, or a role change logs out every session issued
    before; a deactivated user is logged out at once.
    """
    # ASCII digits within the database's integer range only: "²" or 2**63 reach no query.
    user_id = parse_int((session_id or "").partition(":")[0], low=1)
    if user_id is None:
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.active:
        return None
    if not hmac.compare_digest(session_id.encode(), user.get_id().encode()):
        return None
    return user


def end_sessions(user: User) -> None:
    """Log the user out everywhere: every session id and remember-me cookie issued so far."""
    with unit_of_work():
        user.end_sessions()


# --- e-mail verification ---------------------------------------------------------------------


def _email_serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def email_verification_token(user: User) -> str:
    """A signed token naming the user and the address it verifies."""
    return _email_serializer(VERIFY_SALT).dumps({"user": user.id, "email": user.email})


def _load_email_token(salt: str, token: str) -> dict[str, Any]:
    try:
        data = _email_serializer(salt).loads(
            token, max_age=current_app.config["EMAIL_LINK_MAX_AGE"]
        )
    except SignatureExpired:
        raise InvalidEmailToken(
            _("This link has expired. Log in and ask for a new one from your account page.")
        ) from None
    except BadSignature:
        raise InvalidEmailToken(_("This link is not valid.")) from None
    if not isinstance(data, dict) or not isinstance(data.get("user"), int):
        raise InvalidEmailToken(_("This link is not valid."))
    return data


def user_for_verification_token(token: str) -> User:
    """The user whose address a verification link confirms. InvalidEmailToken if forged,
    expired, for an address the account no longer has, or already used (the address is
    verified: the link works once, so it can never log anyone in twice)."""
    data = _load_email_token(VERIFY_SALT, token)
    user = db.session.get(User, data["user"])
    if user is None or not user.active or user.email != data.get("email"):
        raise InvalidEmailToken(
            _("This link is no longer valid. Log in and ask for a new one from your account page.")
        )
    if user.email_verified_at is not None:
        raise InvalidEmailToken(
            _("This link was already used: your address is confirmed. Log in to continue.")
        )
    return user


def verify_email(token: str) -> User:
    """Mark the address a verification link names as verified; the link stops working."""
    with unit_of_work(writer=True):
        user = user_for_verification_token(token)
        # Guarded, so the same link posted twice at once verifies (and logs in) once.
        matched = rows_matched(
            db.session.execute(
                update(User)
                .where(
                    User.id == user.id,
                    User.email == user.email,
                    User.email_verified_at.is_(None),
                )
                .values(email_verified_at=utcnow())
                .execution_options(synchronize_session=False)
            )
        )
        if matched != 1:
            raise InvalidEmailToken(
                _("This link was already used: your address is confirmed. Log in to continue.")
            )
    db.session.refresh(user)
    return user


def send_verification(user: User, verify_url: Callable[[str], str]) -> bool:
    """E-mail a fresh verification link to the user's address; False (nothing sent) when the
    address is already verified."""
    if user.email_verified_at is not None:
        return False
    with unit_of_work() as unit:
        _on_commit_send_verification(unit, user, verify_url)
    return True


def _on_commit_send_verification(unit: Unit, user: User, verify_url: Callable[[str], str]) -> None:
    max_age = current_app.config["EMAIL_LINK_MAX_AGE"]
    mail_later(
        unit,
        user.email,
        _l("Confirm your e-mail address for OCOP Market"),
        "email_verify",
        user.locale or "vi",
        name=user.name,
        verify_url=verify_url(email_verification_token(user)),
        valid_hours=max_age // 3600,
    )


# --- password reset ----------------------------------------------------------------------------


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=RESET_SALT)


def password_reset_token(user: User) -> str:
    """A signed token naming the user and their current password hash's fingerprint."""
    return _reset_serializer().dumps({"user": user.id, "pw": user.password_fingerprint})


def user_for_reset_token(token: str) -> User:
    """The user a reset token was issued to; InvalidResetToken if forged, expired or used."""
    max_age = current_app.config["PASSWORD_RESET_MAX_AGE"]
    try:
        data = _reset_serializer().loads(token, max_age=max_age)
    except SignatureExpired:
        raise InvalidResetToken(
            _("This password reset link has expired. Please ask for a new one.")
        ) from None
    except BadSignature:
        raise InvalidResetToken(
            _("This password reset link is not valid. Please ask for a new one.")
        ) from None
    user = None
    if isinstance(data, dict) and isinstance(data.get("user"), int):
        user = db.session.get(User, data["user"])
    # The fingerprint no longer matches once the password changed: the link works once.
    if (
        user is None
        or not user.active
        or not hmac.compare_digest(str(data.get("pw", "")), user.password_fingerprint)
    ):
        raise InvalidResetToken(
            _("This password reset link has already been used. Please ask for a new one.")
        )
    return user


def request_password_reset(email: str, reset_url: Callable[[str], str]) -> None:
    """E-mail a reset link if an active account has this e-mail; silently do nothing if not.

    `reset_url(token)` builds the absolute link. The caller shows the same message either
    way, so the page never tells whether an e-mail is registered. A mail failure is
    logged, not raised, for the same reason.

    Nor does the time it takes tell (issue 11): for an unknown address the same query runs, a
    token is signed for a stand-in account and the same e-mail is rendered; only the sending
    is left out.

    So this is the one e-mail that does not go through the job outbox (domain/jobs): a row
    written for a known address only would show in the SQL and the time. It is sent right
    after the commit, as before; if it is lost, the user asks again.
    """
    with unit_of_work() as unit:
        user = db.session.scalar(User.by_email(email))
        known = user is not None and user.active
        if user is None or not user.active:
            user = _stand_in(email)
        max_age = current_app.config["PASSWORD_RESET_MAX_AGE"]
        unit.on_commit(
            send_mail if known else _render_only,
            user.email,
            _l("Reset your OCOP Market password"),
            "password_reset",
            user.locale,
            name=user.name,
            reset_url=reset_url(password_reset_token(user)),
            expires_at=datetime.now(UTC) + timedelta(seconds=max_age),
            valid_minutes=max_age // 60,
        )


def _stand_in(email: str) -> User:
    """An account that is never stored, for the reset work done for an unknown address."""
    return User(
        id=0,
        email=User.normalize_email(email),
        name="",
        locale="vi",
        password_hash=_dummy_hash(),
        session_version=0,
    )


def _render_only(
    to: str, subject: object, template: str, locale: str, /, **context: object
) -> None:
    """What send_mail does before sending: the message built, rendered and serialised as it
    would go out, then dropped."""
    build_message(to, subject, template, locale, context).as_bytes(policy=policy.SMTPUTF8)


def reset_password(token: str, new_password: str) -> User:
    """Set a new password with a reset token; the token stops working at once."""
    with unit_of_work():
        user = user_for_reset_token(token)
        _check_new_password(new_password)
        user.set_password(new_password)
        user.end_sessions()
        # The link reached this address: it is the user's.
        if user.email_verified_at is None:
            user.email_verified_at = utcnow()
    return user


# --- changes the user makes while logged in ----------------------------------------------------


def change_password(user: User, current_password: str, new_password: str) -> None:
    """Replace the password after checking the current one; other sessions are logged out."""
    if not user.check_password(current_password):
        raise WrongPassword(_("Your current password is not correct."))
    _check_new_password(new_password)
    with unit_of_work():
        user.set_password(new_password)
        user.end_sessions()


def request_email_change(
    user: User, password: str, new_email: str, confirm_url: Callable[[str], str]
) -> None:
    """Ask to move the account to `new_email` (after checking the password). Nothing changes
    yet: the new address gets a link (`confirm_url(token)`) that makes the change, and the old
    address is told. Whether the new address already has an account is not told here (the
    same answer either way); confirming refuses it."""
    if not user.check_password(password):
        raise WrongPassword(_("Your password is not correct."))
    new_email = valid_email(new_email)
    if new_email == user.email:
        raise InvalidInput(_("This is already your e-mail address."))
    max_age = current_app.config["EMAIL_LINK_MAX_AGE"]
    with unit_of_work() as unit:
        user.pending_email = new_email
        token = _email_serializer(EMAIL_CHANGE_SALT).dumps(
            {"user": user.id, "new": new_email, "old": user.email}
        )
        mail_later(
            unit,
            new_email,
            _l("Confirm your new e-mail address for OCOP Market"),
            "email_change_confirm",
            user.locale or "vi",
            name=user.name,
            confirm_url=confirm_url(token),
            valid_hours=max_age // 3600,
        )
        # The old address hears of it, so a hijacked session cannot take the account quietly.
        mail_later(
            unit,
            user.email,
            _l("Someone asked to change your OCOP Market e-mail address"),
            "email_change_requested",
            user.locale or "vi",
            name=user.name,
            new_email=new_email,
        )


def user_for_email_change_token(token: str) -> tuple[User, str]:
    """The user and the new address an e-mail change link confirms; InvalidEmailToken if
    forged, expired, already used, or overtaken (the account's address changed since, or a
    newer change was asked for)."""
    data = _load_email_token(EMAIL_CHANGE_SALT, token)
    user = db.session.get(User, data["user"])
    new_email = data.get("new")
    if (
        user is None
        or not user.active
        or not isinstance(new_email, str)
        or user.email != data.get("old")
        or user.pending_email != new_email
    ):
        raise InvalidEmailToken(
            _("This link is no longer valid: the change was made, cancelled or replaced.")
        )
    return user, new_email


def confirm_email_change(token: str) -> User:
    """Make the change a link confirms: the new address becomes the account's (verified, since
    the link reached it) if it is still free; the old address is told."""
    with _email_unique() as unit:
        begin_write(db.session())
        user, new_email = user_for_email_change_token(token)
        _ensure_email_free(new_email, except_user_id=user.id)
        old_email = user.email
        mail_later(
            unit,
            old_email,
            _l("Your OCOP Market e-mail address was changed"),
            "email_changed",
            user.locale or "vi",
            name=user.name,
            new_email=new_email,
        )
        user.email = new_email
        user.pending_email = None
        user.email_verified_at = utcnow()
    return user


def cancel_email_change(user: User) -> None:
    """Forget a pending e-mail change: its link stops working."""
    with unit_of_work():
        user.pending_email = None


def valid_email(raw: str) -> str:
    """`raw` as a valid, normalised e-mail address; InvalidInput if it is not one."""
    try:
        valid = validate_email(raw or "", check_deliverability=False)
    except EmailNotValidError:
        raise InvalidInput(_("Enter a valid e-mail address."), field="email") from None
    return User.normalize_email(valid.normalized)


def update_profile(user: User, *, name: str, phone: str, locale: str) -> None:
    """Save name, phone (optional, Vietnamese) and preferred language."""
    if locale not in LOCALES:
        raise InvalidInput(_("Choose Vietnamese or English."))
    phone = phone.strip()
    phone = normalize_vn_phone(phone) if phone else ""
    with unit_of_work():
        user.name = name.strip()
        user.phone = phone
        user.locale = locale


# --- saved delivery addresses ------------------------------------------------------------------


def addresses_of(user_id: int) -> list[Address]:
    """The user's addresses, the default first, then the newest."""
    return list(
        db.session.scalars(
            select(Address)
            .where(Address.user_id == user_id)
            .options(selectinload(Address.commune).selectinload(AdminUnit.province))
            .order_by(Address.is_default.desc(), Address.created_at.desc(), Address.id.desc())
        )
    )


def get_address(user_id: int, address_id: int) -> Address:
    """One of the user's own addresses; someone else's is as good as missing (404)."""
    address = db.session.scalar(
        select(Address).where(Address.id == address_id, Address.user_id == user_id)
    )
    if address is None:
        raise NotFound(_("Address not found."))
    return address


def save_address(
    user_id: int,
    *,
    recipient: str,
    phone: str,
    street: str,
    commune_code: int,
    is_default: bool = False,
    address_id: int | None = None,
) -> Address:
    """Add an address, or edit one of the user's own (address_id)."""
    commune = current_commune(commune_code)
    if commune is None:
        raise InvalidInput(_("Choose a commune or ward from the list."))
    recipient, street = recipient.strip(), street.strip()
    if not recipient or not street:
        raise InvalidInput(_("Enter the recipient and the street address."))
    phone = normalize_vn_phone(phone)

    with unit_of_work():
        if address_id is None:
            address = Address(user_id=user_id)
            db.session.add(address)
        else:
            address = get_address(user_id, address_id)
        address.recipient, address.phone, address.street = recipient, phone, street
        address.commune = commune
        db.session.flush()  # a new address needs its id below
        other_default = db.session.scalar(
            select(Address.id)
            .where(
                Address.user_id == user_id,
                Address.is_default.is_(True),
                Address.id != address.id,
            )
            .limit(1)
        )
        # Someone with addresses always has a default one, so checkout has one to offer.
        if is_default or other_default is None:
            _make_only_default(user_id, address.id)
        return address


def set_default_address(user_id: int, address_id: int) -> None:
    with unit_of_work():
        address = get_address(user_id, address_id)
        _make_only_default(user_id, address.id)


def delete_address(user_id: int, address_id: int) -> None:
    """Delete one of the user's addresses; if it was the default, the newest other one is."""
    with unit_of_work():
        address = get_address(user_id, address_id)
        was_default = address.is_default
        db.session.delete(address)
        db.session.flush()
        if was_default:
            newest = db.session.scalar(
                select(Address.id)
                .where(Address.user_id == user_id)
                .order_by(Address.created_at.desc(), Address.id.desc())
                .limit(1)
            )
            if newest is not None:
                _make_only_default(user_id, newest)


def _make_only_default(user_id: int, address_id: int) -> None:
    # One statement, so there is never a moment with two defaults.
    db.session.execute(
        update(Address)
        .where(Address.user_id == user_id)
        .values(is_default=(Address.id == address_id))
        .execution_options(synchronize_session="fetch")
    )


# --- orders, for the account page -----------------------------------------------------------


def order_history(user_id: int) -> list[Order]:
    """The user's orders, newest first."""
    return list(
        db.session.scalars(
            select(Order)
            .where(Order.user_id == user_id)
            .order_by(Order.created_at.desc(), Order.id.desc())
        )
    )


# --- administration (CLI) ----------------------------------------------------------------------


def set_role(email: str, role: Role) -> User:
    """Give an account a role. Farmers' Association staff and admins never work for a
    cooperative: a member must leave every cooperative first."""
    with unit_of_work():
        user = _user_by_email(email)
        if role in (Role.PFA, Role.ADMIN) and db.session.scalar(
            select(CooperativeMember.id).where(CooperativeMember.user_id == user.id).limit(1)
        ):
            raise StaffCannotJoin(
                _(
                    "%(email)s is a member of a cooperative. Farmers' Association staff and "
                    "admins cannot be members: remove them from every cooperative first.",
                    email=user.email,
                )
            )
        if user.role != role:
            user.role = role
            user.end_sessions()
    return user


def set_active(email: str, active: bool) -> User:
    """Deactivate (or reactivate) an account; a deactivated user is logged out everywhere."""
    with unit_of_work():
        user = _user_by_email(email)
        user.active = active
        user.end_sessions()
    return user


# --- helpers -----------------------------------------------------------------------------------


def _user_by_email(email: str) -> User:
    user: User | None = db.session.scalar(User.by_email(email))
    if user is None:
        raise UnknownUser(_("No account has the e-mail %(email)s.", email=email))
    return user


def _check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(
            _("Use a password of at least %(min)d characters.", min=MIN_PASSWORD_LENGTH)
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPassword(
            _("Use a password of at most %(max)d characters.", max=MAX_PASSWORD_LENGTH)
        )


def _email_taken_error() -> EmailTaken:
    return EmailTaken(
        _("An account with this e-mail already exists. Log in, or reset your password.")
    )


def _ensure_email_free(email: str, except_user_id: int | None = None) -> None:
    query = select(User.id).where(func.lower(User.email) == User.normalize_email(email))
    if except_user_id is not None:
        query = query.where(User.id != except_user_id)
    if db.session.scalar(query) is not None:
        raise _email_taken_error()


@contextmanager
def _email_unique() -> Iterator[Unit]:
    """A unit of work that sets an e-mail address: two sign-ups racing past
    _ensure_email_free meet the unique constraint at its commit, and learn it as EmailTaken."""
    try:
        with unit_of_work() as unit:
            yield unit
    except IntegrityError:
        raise _email_taken_error() from None
