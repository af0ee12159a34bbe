"""The checkout form: the delivery address (phone first; province → commune), an optional
e-mail for guests, the payment method."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TelField,
)
from wtforms.validators import Email, Length, Optional

from storefront.core.errors import InvalidPhone
from storefront.core.phones import normalize_vn_phone
from storefront.models import limits

NEW_ADDRESS = "new"
# The new address's fields, in the order the page shows them (and the error summary lists them).
ADDRESS_FIELDS = ("phone", "recipient", "province", "commune", "street")
REQUIRED_MESSAGES = {
    "phone": _l("Please enter a phone number."),
    "recipient": _l("Please enter the recipient's name."),
    "province": _l("Please choose the province or city."),
    "commune": _l("Please choose the commune."),
    "street": _l("Please enter the street address."),
}
# Every field the buyer fills in, in page order: the error summary links to them in this order.
FIELD_ORDER = ("address_id", *ADDRESS_FIELDS, "email", "payment_method")


def _autocomplete(token: str, **extra: str) -> dict[str, str]:
    # "shipping" ties the fields into one address for the browser's autofill.
    return {"autocomplete": f"shipping {token}", **extra}


class CheckoutForm(FlaskForm):
    address_id = RadioField(_l("Deliver to"), default=NEW_ADDRESS, validate_choice=True)
    phone = TelField(
        _l("Phone"),
        validators=[Optional(), Length(max=limits.PHONE)],
        render_kw=_autocomplete("tel", inputmode="tel", maxlength=str(limits.PHONE)),
    )
    recipient = StringField(
        _l("Recipient's full name"),
        validators=[Optional(), Length(max=limits.PERSON_NAME)],
        render_kw=_autocomplete("name", maxlength=str(limits.PERSON_NAME)),
    )
    province = SelectField(
        _l("Province or city"),
        validators=[Optional()],
        validate_choice=True,
        render_kw=_autocomplete("address-level1"),
    )
    commune = SelectField(
        _l("Commune or ward"),
        validators=[Optional()],
        validate_choice=True,
        render_kw=_autocomplete("address-level2"),
    )
    street = StringField(
        _l("House number, street, village"),
        validators=[Optional(), Length(max=limits.STREET)],
        render_kw=_autocomplete("address-line1", maxlength=str(limits.STREET)),
    )
    # Optional: a guest follows the order by its link on the confirmation page; an e-mail
    # adds the confirmation and the delivery news by mail. Customers use their account's.
    email = EmailField(
        _l("E-mail (optional)"),
        validators=[Optional(), Email(), Length(max=limits.EMAIL)],
        render_kw=_autocomplete("email", inputmode="email", maxlength=str(limits.EMAIL)),
    )
    payment_method = RadioField(_l("Payment"), default="cod", validate_choice=True)
    # The goods' total the buyer saw; compared, never used as a price.
    expected_subtotal = HiddenField()
    # Without JavaScript: reloads the page with the chosen province's communes.
    refresh = SubmitField(_l("List the communes"))
    submit = SubmitField(_l("Place order"))

    @property
    def uses_saved_address(self) -> bool:
        return bool(self.address_id.data) and self.address_id.data != NEW_ADDRESS

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not self.uses_saved_address:
            for name in ADDRESS_FIELDS:
                field = self[name]
                if not (field.data or "").strip():
                    field.errors = list(field.errors) + [REQUIRED_MESSAGES[name]]
                    valid = False
            phone = (self.phone.data or "").strip()
            if phone and not self.phone.errors:
                try:
                    normalize_vn_phone(phone)
                except InvalidPhone as error:
                    self.phone.errors = list(self.phone.errors) + [error.message]
                    valid = False
        return valid

    def invalid_fields(self) -> list:
        """The fields with an error, in page order."""
        return [self[name] for name in FIELD_ORDER if name in self and self[name].errors]
