"""The checkout form: contact, delivery address (province → commune), payment method."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, RadioField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, Length, Optional

from storefront.models import limits

NEW_ADDRESS = "new"
ADDRESS_FIELDS = ("recipient", "phone", "street", "province", "commune")


class CheckoutForm(FlaskForm):
    address_id = RadioField(_l("Deliver to"), default=NEW_ADDRESS, validate_choice=True)
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=limits.EMAIL)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=limits.PHONE)])
    recipient = StringField(
        _l("Recipient"), validators=[Optional(), Length(max=limits.PERSON_NAME)]
    )
    province = SelectField(_l("Province or city"), validators=[Optional()], validate_choice=True)
    commune = SelectField(_l("Commune or ward"), validators=[Optional()], validate_choice=True)
    street = StringField(
        _l("House number, street, village"), validators=[Optional(), Length(max=limits.STREET)]
    )
    payment_method = RadioField(_l("Payment"), default="cod", validate_choice=True)
    # The goods' total the buyer saw; compared, never used as a price.
    expected_subtotal = HiddenField()
    refresh = SubmitField(_l("Show the communes"))
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
                    field.errors = list(field.errors) + [_l("This field is required.")]
                    valid = False
        return valid
