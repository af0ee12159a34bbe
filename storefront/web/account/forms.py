"""Account forms. They check shape only; the rules live in accounts/services.py."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
    TelField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError

from storefront.core.inputs import form_int
from storefront.core.phones import is_vn_phone
from storefront.domain.accounts import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from storefront.models import limits

try:  # WTForms 3.3 deprecates (value, label) tuples; 3.4 will refuse them.
    from wtforms.fields.choices import (  # type: ignore[attr-defined]  # WTForms 3.3; stubs lag
        SelectChoice as _Choice,
    )
except ImportError:  # pragma: no cover - older WTForms

    def _Choice(value, label):
        return (value, label)


PASSWORD_HINT = _l("At least %(min)d characters.", min=MIN_PASSWORD_LENGTH)
# Each language is named in itself, so anyone can find their own.
LANGUAGE_CHOICES = [_Choice("vi", "Tiếng Việt"), _Choice("en", "English")]


def _new_password(label):
    return PasswordField(
        label,
        validators=[
            DataRequired(),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=MAX_PASSWORD_LENGTH,
                message=_l(
                    "Use between %(min)d and %(max)d characters.",
                    min=MIN_PASSWORD_LENGTH,
                    max=MAX_PASSWORD_LENGTH,
                ),
            ),
        ],
        render_kw={"autocomplete": "new-password"},
    )


def _password_again():
    return PasswordField(
        _l("New password again"),
        validators=[
            DataRequired(),
            EqualTo("password", message=_l("The two passwords do not match.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


def _strip(value):
    # Phones and password managers like to add a space; it is never part of an address.
    return value.strip() if isinstance(value, str) else value


def _email(label=None):
    return EmailField(
        label or _l("E-mail"),
        validators=[DataRequired(), Email(), Length(max=limits.EMAIL)],
        filters=[_strip],
        render_kw={"autocomplete": "email", "inputmode": "email"},
    )


def vn_phone(form, field) -> None:
    if field.data and not is_vn_phone(field.data):
        raise ValidationError(
            _l("Enter a Vietnamese phone number: 10 digits starting with 0, or +84 and 9 digits.")
        )


class LoginForm(FlaskForm):
    email = EmailField(
        _l("E-mail"),
        validators=[DataRequired(), Email(), Length(max=limits.EMAIL)],
        filters=[_strip],
    )
    password = PasswordField(
        _l("Password"), validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)]
    )
    remember = BooleanField(_l("Remember me"))


class RegisterForm(FlaskForm):
    name = StringField(
        _l("Your name"),
        validators=[DataRequired(), Length(max=limits.PERSON_NAME)],
        render_kw={"autocomplete": "name"},
    )
    email = _email()
    password = _new_password(_l("Password"))
    password_again = PasswordField(
        _l("Password again"),
        validators=[
            DataRequired(),
            EqualTo("password", message=_l("The two passwords do not match.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class ResetRequestForm(FlaskForm):
    email = _email()


class ResetPasswordForm(FlaskForm):
    password = _new_password(_l("New password"))
    password_again = _password_again()


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    password = _new_password(_l("New password"))
    password_again = _password_again()


class ChangeEmailForm(FlaskForm):
    email = _email(_l("New e-mail"))
    password = PasswordField(
        _l("Your password"),
        validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )


class ConfirmForm(FlaskForm):
    """A button and its CSRF token: confirming an address, sending a link."""


class ProfileForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(), Length(max=limits.PERSON_NAME)],
        render_kw={"autocomplete": "name"},
    )
    phone = TelField(
        _l("Phone"),
        validators=[Optional(), Length(max=limits.PHONE), vn_phone],
        render_kw={"autocomplete": "tel", "inputmode": "tel"},
    )
    locale = SelectField(_l("Preferred language"), choices=LANGUAGE_CHOICES)


class AddressForm(FlaskForm):
    """A delivery address. The commune list depends on the province chosen.

    Without JavaScript, "Show communes" posts the form back to fill the commune list;
    with it, static/js/places.js fills the list as soon as a province is chosen.
    """

    recipient = StringField(
        _l("Recipient"),
        validators=[DataRequired(), Length(max=limits.PERSON_NAME)],
        render_kw={"autocomplete": "name"},
    )
    phone = TelField(
        _l("Phone"),
        validators=[DataRequired(), Length(max=limits.PHONE), vn_phone],
        render_kw={"autocomplete": "tel", "inputmode": "tel"},
    )
    province = SelectField(
        _l("Province or city"), coerce=form_int, validators=[DataRequired(_l("Choose a province."))]
    )
    commune = SelectField(
        _l("Commune, ward or special zone"),
        coerce=form_int,
        validators=[DataRequired(_l("Choose a commune or ward."))],
    )
    street = StringField(
        _l("House number, street, hamlet"),
        validators=[DataRequired(), Length(max=limits.STREET)],
        render_kw={"autocomplete": "address-line1"},
    )
    is_default = BooleanField(_l("Use as my default address"))
    show_communes = SubmitField(_l("Show communes"))
    save = SubmitField(_l("Save address"))

    def set_places(self, provinces, communes) -> None:
        placeholder = [_Choice(0, "—")]
        self.province.choices = placeholder + [_Choice(p.code, p.name) for p in provinces]
        self.commune.choices = placeholder + [_Choice(c.code, c.name) for c in communes]
