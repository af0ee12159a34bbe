"""Accounts: register, log in and out, reset and change the password, the account page."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import (
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_limiter import RateLimitExceeded
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user

from storefront.core.errors import (
    AccountInactive,
    EmailTaken,
    InvalidCredentials,
    InvalidEmailToken,
    InvalidInput,
    InvalidPhone,
    InvalidResetToken,
    WeakPassword,
    WrongPassword,
)
from storefront.core.urls import external_url
from storefront.domain import accounts as services
from storefront.domain.cooperatives.members import invitation_token, offers_for
from storefront.domain.locations import communes_of, provinces
from storefront.extensions import limiter
from storefront.models import User
from storefront.web.account import bp
from storefront.web.account.forms import (
    PASSWORD_HINT,
    AddressForm,
    ChangeEmailForm,
    ChangePasswordForm,
    ConfirmForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
    ResetRequestForm,
)
from storefront.web.ratelimits import post_limit
from storefront.web.redirects import is_local_path, safe_next

# --- rate limits --------------------------------------------------------------------------------
# Limits come from the config (LOGIN_LIMIT_PER_ACCOUNT, ...) so each deployment can tune them.
# Only POSTs count: looking at a form costs nothing and guesses nothing.


def _email_key() -> str:
    # Per account, whatever the letter case or spaces; unknown e-mails are limited the same
    # way as registered ones, so the limit itself reveals nothing.
    return "email:" + User.normalize_email(request.form.get("email", ""))


def _user_key() -> str:
    return f"user:{current_user.id}" if current_user.is_authenticated else get_remote_address()


def _login_limited() -> str:
    return _("Too many log-in attempts. Please wait a minute, then try again.")


def _reset_limited() -> str:
    return _("Too many password reset requests. Please wait a while and try again.")


def _register_limited() -> str:
    return _("Too many accounts were created from your network. Please try again later.")


def _verify_send_limited() -> str:
    return _("Too many confirmation e-mails were asked for. Please wait a while and try again.")


def _password_check_limited() -> str:
    return _("Too many attempts with a wrong password. Please wait a minute and try again.")


def _limit(config_name: str, key_func, message):
    return post_limit(config_name, key_func, message)


@bp.errorhandler(RateLimitExceeded)
def too_many_attempts(error: RateLimitExceeded):
    response = make_response(
        render_template(
            "accounts/too_many_attempts.html",
            message=error.description,
            back_url=request.full_path.rstrip("?"),
        ),
        429,
    )
    current = limiter.current_limit
    if current is not None:
        response.headers["Retry-After"] = str(max(1, int(current.reset_at - time.time())))
    return response


# --- helpers ------------------------------------------------------------------------------------


def _safe_next(target: str | None, default: str | None = None) -> str:
    # Only same-site paths: never an open redirect (see web/redirects.py).
    return safe_next(target, default or url_for("catalog.home"))


def _me() -> User:
    # Domain functions get the real User, not the request-bound proxy.
    return current_user._get_current_object()


def _had_remember_cookie() -> bool:
    return current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies


def _add_error(field, error) -> None:
    field.errors = [*field.errors, error.message]


# --- log in, register, log out ------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
@_limit("LOGIN_LIMIT_PER_IP", get_remote_address, _login_limited)
@_limit("LOGIN_LIMIT_PER_ACCOUNT", _email_key, _login_limited)
def login():
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data or "", form.password.data or "")
        except (InvalidCredentials, AccountInactive) as error:
            flash(error.message, "error")
        else:
            login_user(user, remember=form.remember.data)
            return redirect(_landing(user))
    return render_template("accounts/login.html", form=form, came_from=_came_from())


_LANDINGS = {"pfa": "pfa.dashboard", "seller": "seller.dashboard"}


def _landing(user: User) -> str:
    """After logging in: a safe `next` wins; else PFA staff open the console, a cooperative's
    people their workspace, and a buyer goes back to the page they came from (or home)."""
    target = request.args.get("next")
    if is_local_path(target):
        return str(target)
    endpoint = _LANDINGS.get(services.landing_area(user))
    if endpoint is not None:
        return url_for(endpoint)
    return _safe_next(request.form.get("came_from"))


def _came_from() -> str:
    """The shop page that sent the visitor to log in (the form keeps it across a failed
    attempt): a same-site path, never an account page (logging in again, registering)."""
    if request.method == "POST":
        kept = request.form.get("came_from", "")
        return kept if is_local_path(kept) else ""
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc != request.host or referrer.scheme not in ("http", "https"):
        return ""
    path = referrer.path + (f"?{referrer.query}" if referrer.query else "")
    if not is_local_path(path) or path.startswith(url_for("accounts.account")):
        return ""
    return path


@bp.route("/register", methods=["GET", "POST"])
@_limit("REGISTER_LIMIT_PER_IP", get_remote_address, _register_limited)
def register():
    form = RegisterForm()
    if form.validate_on_submit():
        email = User.normalize_email(form.email.data or "")
        try:
            services.sign_up(
                email,
                form.password.data or "",
                form.name.data or "",
                locale=str(get_locale()),
                verify_url=_verify_url,
                login_url=external_url("accounts.login"),
                reset_url=external_url("accounts.reset_request"),
            )
        except WeakPassword as error:
            _add_error(form.password, error)
        except InvalidInput as error:
            _add_error(form.email, error)
        else:
            # The same page whether or not the address already had an account (that one got
            # a "you already have an account" e-mail), and nobody is logged in: the link in
            # the e-mail verifies the address and logs in.
            return render_template("accounts/check_inbox.html", email=email)
    return render_template("accounts/register.html", form=form, password_hint=PASSWORD_HINT)


def _verify_url(token: str) -> str:
    return external_url("accounts.verify_email", token=token)


@bp.route("/verify/<token>", methods=["GET", "POST"])
def verify_email(token: str):
    """The link in a verification e-mail. Opening it (GET) changes nothing, so a mail scanner
    following links verifies nobody; the button (POST) verifies the address and logs in. The
    link works once: after it, the address is verified and the token is refused."""
    try:
        user = services.user_for_verification_token(token)
    except InvalidEmailToken as error:
        return render_template("accounts/email_link_invalid.html", message=error.message), 400
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            user = services.verify_email(token)
        except InvalidEmailToken as error:  # used in another tab meanwhile
            return render_template("accounts/email_link_invalid.html", message=error.message), 400
        login_user(user)
        flash(_("Thank you! Your e-mail address is confirmed, and you are logged in."), "info")
        return redirect(url_for("accounts.account"))
    return render_template("accounts/verify_email.html", form=form, email=user.email)


@bp.post("/verify/send")
@login_required
@_limit("VERIFY_SEND_LIMIT_PER_USER", _user_key, _verify_send_limited)
def send_verification():
    form = ConfirmForm()
    if form.validate_on_submit():
        user = _me()
        email = user.email
        if services.send_verification(user, _verify_url):
            flash(
                _(
                    "We sent a link to %(email)s. Open it to confirm your address "
                    "(check the spam folder too).",
                    email=email,
                ),
                "info",
            )
        else:
            flash(_("Your e-mail address is already confirmed."), "info")
    return redirect(_safe_next(request.form.get("next"), url_for("accounts.account")))


@bp.post("/logout")
@login_required
def logout():
    # The cookie a browser (or a thief) kept from before stops working too.
    services.end_sessions(_me())
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("catalog.home"))


# --- password reset -----------------------------------------------------------------------------


@bp.route("/reset", methods=["GET", "POST"])
@_limit("RESET_LIMIT_PER_IP", get_remote_address, _reset_limited)
@_limit("RESET_LIMIT_PER_ACCOUNT", _email_key, _reset_limited)
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        services.request_password_reset(
            form.email.data,
            reset_url=lambda token: external_url("accounts.reset_password", token=token),
        )
        # The same words whether or not the e-mail is registered.
        flash(
            _(
                "If an account uses %(email)s, we have sent it a link to choose a new password. "
                "Please check your inbox and spam folder.",
                email=User.normalize_email(form.email.data),
            ),
            "info",
        )
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_request.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    try:
        services.user_for_reset_token(token)
    except InvalidResetToken as error:
        return render_template("accounts/reset_invalid.html", message=error.message), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(token, form.password.data)
        except InvalidResetToken as error:  # used in another tab meanwhile
            return render_template("accounts/reset_invalid.html", message=error.message), 400
        except WeakPassword as error:
            _add_error(form.password, error)
        else:
            logout_user()
            flash(_("Your new password is saved. Please log in with it."), "info")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_password.html", form=form, password_hint=PASSWORD_HINT)


# --- the account page ---------------------------------------------------------------------------


@bp.route("/", methods=["GET", "POST"])
@login_required
def account():
    user = _me()
    form = ProfileForm(obj=user)
    if form.validate_on_submit():
        try:
            services.update_profile(
                user,
                name=form.name.data or "",
                phone=form.phone.data or "",
                locale=form.locale.data,
            )
        except InvalidPhone as error:
            _add_error(form.phone, error)
        else:
            # The language chosen in the session wins over the profile; follow the new choice.
            session["lang"] = user.locale
            flash(_("Your profile is saved."), "info")
            return redirect(url_for("accounts.account"))
    offers = offers_for(user)
    return render_template(
        "accounts/account.html",
        form=form,
        addresses=services.addresses_of(user.id),
        orders=services.order_history(user.id),
        offers=[(offer, invitation_token(offer)) for offer in offers],
        confirm_form=ConfirmForm(),
    )


@bp.route("/password", methods=["GET", "POST"])
@login_required
@_limit("PASSWORD_CHECK_LIMIT_PER_USER", _user_key, _password_check_limited)
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = _me()
        try:
            services.change_password(
                user, form.current_password.data or "", form.password.data or ""
            )
        except WrongPassword as error:
            _add_error(form.current_password, error)
        except WeakPassword as error:
            _add_error(form.password, error)
        else:
            # Sessions carry the password's fingerprint, so every other session is now
            # logged out; renew this one so the person who changed it stays in.
            login_user(user, remember=_had_remember_cookie())
            flash(_("Your password is changed. Other devices have been logged out."), "info")
            return redirect(url_for("accounts.account"))
    return render_template("accounts/change_password.html", form=form, password_hint=PASSWORD_HINT)


@bp.route("/email", methods=["GET", "POST"])
@login_required
@_limit("PASSWORD_CHECK_LIMIT_PER_USER", _user_key, _password_check_limited)
def change_email():
    form = ChangeEmailForm()
    if form.validate_on_submit():
        try:
            services.request_email_change(
                _me(),
                form.password.data or "",
                form.email.data or "",
                confirm_url=lambda token: external_url("accounts.confirm_email", token=token),
            )
        except WrongPassword as error:
            _add_error(form.password, error)
        except InvalidInput as error:
            _add_error(form.email, error)
        else:
            flash(
                _(
                    "We sent a link to %(email)s. Your e-mail address changes once you open it "
                    "and confirm; until then you keep logging in with %(current)s.",
                    email=User.normalize_email(form.email.data or ""),
                    current=current_user.email,
                ),
                "info",
            )
            return redirect(url_for("accounts.account"))
    return render_template("accounts/change_email.html", form=form)


@bp.post("/email/cancel")
@login_required
def cancel_email_change():
    if ConfirmForm().validate_on_submit():
        services.cancel_email_change(_me())
        flash(_("The e-mail change is cancelled."), "info")
    return redirect(url_for("accounts.account"))


@bp.route("/email/confirm/<token>", methods=["GET", "POST"])
def confirm_email(token: str):
    """The link sent to a new address: GET shows it, the button (POST) makes the change."""
    try:
        _user, new_email = services.user_for_email_change_token(token)
    except InvalidEmailToken as error:
        return render_template("accounts/email_link_invalid.html", message=error.message), 400
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            services.confirm_email_change(token)
        except InvalidEmailToken as error:
            return render_template("accounts/email_link_invalid.html", message=error.message), 400
        except EmailTaken:
            message = _(
                "%(email)s already belongs to another account, so your e-mail address was not "
                "changed.",
                email=new_email,
            )
            return render_template("accounts/email_link_invalid.html", message=message), 409
        flash(
            _("Your e-mail address is now %(email)s. Log in with it from now on.", email=new_email),
            "info",
        )
        return redirect(url_for("accounts.account"))
    return render_template("accounts/confirm_email.html", form=form, email=new_email)


# --- saved delivery addresses -------------------------------------------------------------------


@bp.route("/addresses/new", methods=["GET", "POST"])
@login_required
def new_address():
    return _address_page(None)


@bp.route("/addresses/<int:address_id>/edit", methods=["GET", "POST"])
@login_required
def edit_address(address_id: int):
    return _address_page(address_id)


def _address_page(address_id: int | None):
    user = _me()
    address = services.get_address(user.id, address_id) if address_id is not None else None
    form = AddressForm()
    if not form.is_submitted():
        if address is not None:
            form.recipient.data, form.phone.data = address.recipient, address.phone
            form.street.data, form.is_default.data = address.street, address.is_default
            in_province = address.commune.province
            assert in_province is not None  # a commune always lies in a province
            form.province.data, form.commune.data = in_province.code, address.commune.code
        else:
            form.recipient.data, form.phone.data = user.name, user.phone
    province = form.province.data if isinstance(form.province.data, int) else None
    form.set_places(provinces(), communes_of(province))

    # "Show communes" (the no-JavaScript path) only refills the commune list; nothing is saved.
    if form.is_submitted() and not form.show_communes.data and form.validate():
        try:
            services.save_address(
                user.id,
                address_id=address_id,
                recipient=form.recipient.data or "",
                phone=form.phone.data or "",
                street=form.street.data or "",
                commune_code=form.commune.data,
                is_default=form.is_default.data,
            )
        except InvalidPhone as error:
            _add_error(form.phone, error)
        except InvalidInput as error:
            _add_error(form.commune, error)
        else:
            flash(_("The address is saved."), "info")
            return redirect(url_for("accounts.account", _anchor="addresses"))
    return render_template("accounts/address_form.html", form=form, address=address)


@bp.post("/addresses/<int:address_id>/default")
@login_required
def default_address(address_id: int):
    services.set_default_address(current_user.id, address_id)
    flash(_("Your default address is changed."), "info")
    return redirect(url_for("accounts.account", _anchor="addresses"))


@bp.post("/addresses/<int:address_id>/delete")
@login_required
def delete_address(address_id: int):
    services.delete_address(current_user.id, address_id)
    flash(_("The address is deleted."), "info")
    return redirect(url_for("accounts.account", _anchor="addresses"))
