"""Seller workspace forms. They check shape and parse what people type; the rules live in the
domain modules (cooperatives, listings, certificate_submissions)."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    FieldList,
    FileField,
    Form,
    FormField,
    HiddenField,
    MultipleFileField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TelField,
    TextAreaField,
)
from wtforms.fields.choices import (  # type: ignore[attr-defined]  # new in WTForms 3.3, after the stubs
    SelectChoice as Choice,
)
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from storefront.core.formatting import OCOP_GROUP_LABELS
from storefront.core.inputs import DB_INT_MAX, form_int, has_control_characters, parse_int
from storefront.domain.catalog.listings import ListingInput, PackageInput
from storefront.domain.certificates.submissions import CertificateInput
from storefront.domain.cooperatives.applications import CooperativeApplication
from storefront.domain.cooperatives.profile import ProfileChange
from storefront.models import MemberRole, limits

BLANK_PACKAGE_ROWS = 2
PLACEHOLDER = 0  # the "—" option of a select: nothing chosen

_CURRENCY = re.compile(r"(₫|đồng|đ|vnđ|vnd|dong)$", re.IGNORECASE)
_SPACES = re.compile(r"[\s\u00a0\u202f]+")
_PLAIN = re.compile(r"[0-9]+")  # ASCII digits: "²" and "٣" are digits to \d and to isdigit()
_DOTTED = re.compile(r"[0-9]{1,3}(\.[0-9]{3})+")
_COMMAS = re.compile(r"[0-9]{1,3}(,[0-9]{3})+")


def parse_whole_number(text: str, *, money: bool = False) -> int:
    """ "150.000", "150,000", "150 000", "150000" (and, for money, "150.000 ₫") → 150000.

    Dots or commas count only as thousands separators, in groups of three, so "150.5" or
    "1,5" — a decimal, which đồng and grams do not have — is refused, not misread.
    """
    compact = _SPACES.sub("", text or "")
    if money:
        compact = _CURRENCY.sub("", compact)
    if _PLAIN.fullmatch(compact):
        return int(compact)
    if _DOTTED.fullmatch(compact):
        return int(compact.replace(".", ""))
    if _COMMAS.fullmatch(compact):
        return int(compact.replace(",", ""))
    raise ValueError(text)


class WholeNumberField(StringField):
    """A whole number typed the way people write it; `.number` holds the parsed value."""

    def __init__(
        self,
        label=None,
        validators=None,
        *,
        minimum: int = 0,
        money: bool = False,
        message=None,
        **kwargs,
    ):
        kwargs.setdefault("render_kw", {"inputmode": "numeric", "autocomplete": "off"})
        super().__init__(label, validators, **kwargs)
        self.minimum = minimum
        self.money = money
        self.message = message
        self.number: int | None = None

    def pre_validate(self, form) -> None:
        self.number = None
        raw = (self.data or "").strip()
        if not raw:
            return
        negative = raw[:1] in ("-", "\u2212")  # "-3" is a number, below the minimum
        try:
            number = parse_whole_number(raw[1:] if negative else raw, money=self.money)
        except ValueError:
            raise ValidationError(
                self.message
                or (
                    _l("Enter a whole number of đồng, like 150.000 or 150000.")
                    if self.money
                    else _l("Enter a whole number, like 1000.")
                )
            ) from None
        if negative and number:
            number = -number
        if number > DB_INT_MAX:
            raise ValidationError(_l("Enter a smaller number."))
        if number < self.minimum:
            raise ValidationError(
                _l("Enter a number above 0.") if self.minimum > 0 else _l("Enter 0 or more.")
            )
        self.number = number


def _whole(text: str | None) -> int | None:
    """The number a hidden field carries, None when it carries none."""
    return parse_int(text)


def legacy_label(unit) -> str:
    """ "Xã Tân Hoa, Huyện Lục Ngạn": a pre-2025 commune with its district."""
    return unit.name + (f", {unit.parent.name}" if unit.parent else "")


def _choose(message):
    """A select's "—" (0) counts as nothing chosen."""

    def check(form, field):
        if not field.data:
            raise ValidationError(message)

    return check


def _places(select_field: SelectField, places, placeholder=None) -> None:
    select_field.choices = [Choice(PLACEHOLDER, placeholder or "—")] + [
        Choice(p.code, p.name) for p in places
    ]


# --- cooperative ----------------------------------------------------------------------------------


class PlaceMixin:
    """Province → commune selects. Without JavaScript "Show communes" posts the form back to
    fill the commune list; with it, static/js/places.js fills it as the province changes."""

    province: SelectField
    commune: SelectField

    def set_places(self, provinces, communes) -> None:
        _places(self.province, provinces)
        _places(self.commune, communes)


class CooperativeContactMixin:
    """The cooperative's address, phone and e-mail: given when applying, kept by its owners."""

    address = StringField(
        _l("Address (house number, street, hamlet)"),
        validators=[DataRequired(), Length(max=limits.STREET)],
        render_kw={"autocomplete": "address-line1"},
    )
    phone = TelField(
        _l("Phone"),
        validators=[DataRequired(), Length(max=limits.PHONE)],
        render_kw={"autocomplete": "tel", "inputmode": "tel"},
    )
    email = EmailField(
        _l("E-mail"),
        validators=[DataRequired(), Email(), Length(max=limits.EMAIL)],
        render_kw={"autocomplete": "email", "inputmode": "email"},
    )


class ApplicationForm(PlaceMixin, CooperativeContactMixin, FlaskForm):
    legal_name = StringField(
        _l("Legal name"),
        validators=[DataRequired(), Length(max=limits.COOPERATIVE_NAME)],
        render_kw={
            "placeholder": "Hợp tác xã Nông nghiệp Lục Ngạn",
            "autocomplete": "organization",
        },
    )
    registration_number = StringField(
        _l("Registration or tax number"),
        validators=[DataRequired(), Length(max=limits.REGISTRATION_NUMBER)],
        render_kw={"autocomplete": "off"},
    )
    province = SelectField(_l("Province or city"), coerce=form_int, validate_choice=False)
    commune = SelectField(
        _l("Commune, ward or special zone"),
        coerce=form_int,
        validators=[_choose(_l("Choose a commune or ward."))],
        validate_choice=False,
        render_kw={"data-filter-placeholder": _l("Type to find the commune")},
    )
    description = TextAreaField(
        _l("About the cooperative (optional)"),
        validators=[Optional(), Length(max=limits.COOPERATIVE_DESCRIPTION)],
        render_kw={"rows": 5},
    )
    logo = FileField(_l("Logo (optional)"), render_kw={"accept": "image/jpeg,image/png,image/webp"})
    show_communes = SubmitField(_l("Show communes"))
    submit = SubmitField(_l("Send the application"))

    def application(self) -> CooperativeApplication:
        return CooperativeApplication(
            legal_name=self.legal_name.data or "",
            registration_number=self.registration_number.data or "",
            address=self.address.data or "",
            commune_code=self.commune.data or 0,
            phone=self.phone.data or "",
            email=self.email.data or "",
            description=self.description.data or "",
        )


class ProfileForm(CooperativeContactMixin, FlaskForm):
    """What an owner may change after applying (the rest is the Association's: see
    domain/cooperatives/profile.py)."""

    description = TextAreaField(
        _l("About the cooperative"),
        validators=[Optional(), Length(max=limits.COOPERATIVE_DESCRIPTION)],
        render_kw={"rows": 8},
    )
    logo = FileField(_l("New logo"), render_kw={"accept": "image/jpeg,image/png,image/webp"})
    remove_logo = BooleanField(_l("Remove the logo"))
    submit = SubmitField(_l("Save the profile"))

    def change(self) -> ProfileChange:
        return ProfileChange(
            description=self.description.data or "",
            phone=self.phone.data or "",
            email=self.email.data or "",
            address=self.address.data or "",
        )


class InviteForm(FlaskForm):
    email = EmailField(
        _l("E-mail of the person to add"),
        validators=[DataRequired(), Email(), Length(max=limits.EMAIL)],
        render_kw={"autocomplete": "off", "inputmode": "email"},
    )
    role = SelectField(
        _l("Role"),
        choices=[
            Choice(MemberRole.STAFF.value, _l("Staff")),
            Choice(MemberRole.OWNER.value, _l("Owner")),
        ],
        default=MemberRole.STAFF.value,
    )
    submit = SubmitField(_l("Add or invite"))


class ChooseCooperativeForm(FlaskForm):
    cooperative_id = RadioField(_l("Cooperative"), coerce=form_int, validate_choice=True)
    submit = SubmitField(_l("Continue"))


# --- listings -------------------------------------------------------------------------------------


class PackageRowForm(Form):
    """One package row; blank rows are ignored, so a fixed few can wait for new packages."""

    id = HiddenField()
    shown_stock = HiddenField()
    label = StringField(
        _l("Package"),
        validators=[Optional(), Length(max=limits.PACKAGE_LABEL)],
        render_kw={"placeholder": "Hộp 1 kg"},
    )
    weight = WholeNumberField(_l("Weight (grams)"), minimum=1)
    price = WholeNumberField(
        _l("Price (đồng)"),
        minimum=1,
        money=True,
        render_kw={"inputmode": "numeric", "autocomplete": "off", "placeholder": "150.000"},
    )
    stock = WholeNumberField(_l("Stock (units)"), minimum=0)
    sku = StringField(_l("SKU (optional)"), validators=[Optional(), Length(max=limits.SKU)])
    preorder = BooleanField(_l("Takes pre-orders when sold out"))
    remove = BooleanField(_l("Remove this package"))

    def is_blank(self) -> bool:
        return not self.id.data and not any(
            (f.data or "").strip()
            for f in (self.label, self.weight, self.price, self.stock, self.sku)
        )


def _one_line(value: str | None) -> str | None:
    """Spaces collapsed, ends stripped (a pasted name often carries a line break)."""
    return " ".join(value.split()) if value is not None else None


def _plain_text(form, field) -> None:
    if has_control_characters(field.data or ""):
        raise ValidationError(_l("Remove the special characters from this field."))


class ListingForm(PlaceMixin, FlaskForm):
    name = StringField(
        _l("Product name"),
        validators=[DataRequired(), Length(max=limits.PRODUCT_NAME)],
        render_kw={"placeholder": "Vải thiều Lục Ngạn"},
    )
    ocop_group = SelectField(
        _l("OCOP group"),
        coerce=form_int,
        choices=[Choice(PLACEHOLDER, "—")]
        + [Choice(code, label) for code, label in OCOP_GROUP_LABELS.items()],
        validators=[_choose(_l("Choose the product's OCOP group."))],
    )
    description = TextAreaField(
        _l("Description"),
        validators=[Optional(), Length(max=limits.LISTING_DESCRIPTION)],
        render_kw={"rows": 8},
    )
    name_en = StringField(
        _l("English name (optional)"),
        filters=[_one_line],
        validators=[Optional(), _plain_text, Length(max=limits.PRODUCT_NAME)],
        render_kw={"placeholder": "Luc Ngan lychee", "lang": "en"},
    )
    summary_en = TextAreaField(
        _l("English short description (optional)"),
        filters=[_one_line],
        validators=[Optional(), _plain_text, Length(max=limits.LISTING_SUMMARY_EN)],
        render_kw={"rows": 2, "lang": "en", "maxlength": limits.LISTING_SUMMARY_EN},
    )
    province = SelectField(_l("Province or city of origin"), coerce=form_int, validate_choice=False)
    commune = SelectField(
        _l("Commune of origin"),
        coerce=form_int,
        validators=[_choose(_l("Choose the commune the product comes from."))],
        validate_choice=False,
        render_kw={"data-filter-placeholder": _l("Type to find the commune")},
    )
    legacy_commune = SelectField(
        _l("Before 1 July 2025 it was (optional)"), coerce=form_int, validate_choice=False
    )
    origin_recorded = StringField(
        _l("Origin as written on the certificate (optional)"),
        validators=[Optional(), Length(max=limits.ORIGIN_RECORDED)],
        render_kw={"placeholder": "Xã Tân Hoa, huyện Lục Ngạn, tỉnh Bắc Giang"},
    )
    certificate = SelectField(_l("OCOP certificate it is sold under"), coerce=form_int)
    packages = FieldList(FormField(PackageRowForm), min_entries=0)
    add_package = SubmitField(_l("Add another package"))
    show_communes = SubmitField(_l("Show communes"))
    save = SubmitField(_l("Save"))

    legacy_exception = BooleanField(
        _l("The pre-2025 commune is not among those that formed it — I confirm it is right")
    )

    def set_legacy(self, formed_from, others=()) -> None:
        """The communes today's one grew from first, then the others (an exception)."""
        self.legacy_commune.choices = (
            [Choice(PLACEHOLDER, _l("— not recorded —"))]
            + [Choice(unit.code, legacy_label(unit)) for unit in formed_from]
            + [
                Choice(unit.code, f"{legacy_label(unit)} · {_l('not among those that formed it')}")
                for unit in others
            ]
        )

    def set_certificates(self, certificates) -> None:
        self.certificate.choices = [Choice(PLACEHOLDER, _l("— none yet —"))] + [
            Choice(c.id, f"{c.product_name} · {c.number} · {c.stars}★") for c in certificates
        ]

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        for entry in self.packages.entries:
            row = entry.form
            if row.is_blank() or row.remove.data:
                continue
            if not (row.label.data or "").strip():
                row.label.errors = [
                    *row.label.errors,
                    _l("Give the package a name, like “Hộp 1 kg”."),
                ]
                ok = False
            for number_field in (row.weight, row.price):
                if number_field.number is None and not number_field.errors:
                    number_field.errors = [*number_field.errors, _l("This field is required.")]
                    ok = False
            if row.stock.errors or row.weight.errors or row.price.errors:
                ok = False
        return ok

    def listing_input(self) -> tuple[ListingInput, list[int]]:
        """The domain's input, and for each package kept the index of its form row."""
        rows: list[PackageInput] = []
        indexes: list[int] = []
        for index, entry in enumerate(self.packages.entries):
            row = entry.form
            if row.is_blank() or row.remove.data:
                continue
            rows.append(
                PackageInput(
                    id=_whole(row.id.data),
                    label=row.label.data or "",
                    weight_grams=row.weight.number or 0,
                    price=row.price.number or 0,
                    stock=row.stock.number or 0,
                    preorder=bool(row.preorder.data),
                    sku=row.sku.data or None,
                    shown_stock=_whole(row.shown_stock.data),
                )
            )
            indexes.append(index)
        data = ListingInput(
            name=self.name.data or "",
            description=self.description.data or "",
            name_en=self.name_en.data or "",
            summary_en=self.summary_en.data or "",
            ocop_group=self.ocop_group.data or 0,
            origin_commune_code=self.commune.data or None,
            origin_legacy_commune_code=self.legacy_commune.data or None,
            origin_recorded=self.origin_recorded.data or "",
            origin_legacy_exception=bool(self.legacy_exception.data),
            certificate_id=self.certificate.data or None,
            packages=rows,
        )
        return data, indexes


class PhotoForm(FlaskForm):
    photos = MultipleFileField(
        _l("Add photos"), render_kw={"accept": "image/jpeg,image/png,image/webp"}
    )
    submit = SubmitField(_l("Upload"))


# --- certificates ---------------------------------------------------------------------------------


class CertificateForm(FlaskForm):
    number = StringField(
        _l("Certificate or decision number"),
        validators=[DataRequired(), Length(max=limits.CERTIFICATE_NUMBER)],
        render_kw={"placeholder": "1234/QĐ-UBND", "autocomplete": "off"},
    )
    stars = RadioField(
        _l("OCOP stars"),
        coerce=form_int,
        choices=[Choice(3, "3 ★"), Choice(4, "4 ★"), Choice(5, "5 ★")],
        validators=[DataRequired(_l("Choose 3, 4 or 5 stars."))],
    )
    product_name = StringField(
        _l("Product name as written on the certificate"),
        validators=[DataRequired(), Length(max=limits.PRODUCT_NAME)],
    )
    issuing_authority = StringField(
        _l("Issuing authority"),
        validators=[DataRequired(), Length(max=limits.ISSUING_AUTHORITY)],
        render_kw={"placeholder": "UBND tỉnh Bắc Giang"},
    )
    issued_on = DateField(
        _l("Date of the decision"),
        validators=[DataRequired(_l("Enter the date of the decision."))],
    )
    expires_on = DateField(_l("Valid until (optional)"), validators=[Optional()])
    scan = FileField(
        _l("Scan or photo of the certificate"),
        render_kw={"accept": "application/pdf,image/jpeg,image/png,image/webp"},
    )
    listing_id = HiddenField()
    submit = SubmitField(_l("Send for verification"))

    def certificate_input(self) -> CertificateInput:
        return CertificateInput(
            number=self.number.data or "",
            stars=self.stars.data or 0,
            product_name=self.product_name.data or "",
            issuing_authority=self.issuing_authority.data or "",
            issued_on=self.issued_on.data,
            expires_on=self.expires_on.data,
        )


# --- stock ----------------------------------------------------------------------------------------


class StockRowForm(Form):
    package_id = HiddenField()
    shown = HiddenField()
    stock = WholeNumberField(_l("Stock (units)"), minimum=0, validators=[DataRequired()])


class StockForm(FlaskForm):
    rows = FieldList(FormField(StockRowForm), min_entries=0)
    submit = SubmitField(_l("Save stock"))

    def changes(self) -> dict[int, tuple[int, int | None]]:
        result = {}
        for entry in self.rows.entries:
            row = entry.form
            package_id, shown = _whole(row.package_id.data), _whole(row.shown.data)
            if package_id is not None and shown is not None:
                result[package_id] = (shown, row.stock.number)
        return result


# --- finance: the payout bank account -------------------------------------------------------------


class PayoutAccountForm(FlaskForm):
    """The bank account the market pays the cooperative into. The domain checks and normalises
    it (domain/ledger/payouts.set_payout_account: a bank of the list, 6 to 19 digits, the
    holder in capitals without diacritics) and its errors are shown beside these fields."""

    bank_bin = SelectField(
        _l("Bank"),
        validators=[_choose(_l("Choose the bank from the list."))],
        # An unknown BIN is the domain's to refuse, with its own words (not "Not a valid choice").
        validate_choice=False,
    )
    account_number = StringField(
        _l("Account number"),
        validators=[DataRequired(_l("Enter the account number.")), Length(max=40)],
        render_kw={"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"},
    )
    holder_name = StringField(
        _l("Account holder"),
        validators=[DataRequired(_l("Enter the account holder's name.")), Length(max=200)],
        render_kw={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"},
    )
    submit = SubmitField(_l("Save the payout account"))

    def set_banks(self, banks) -> None:
        self.bank_bin.choices = [Choice("", _l("— Choose the bank —"))] + [
            Choice(bank.bin, f"{bank.short_name} – {bank.name} ({bank.bin})") for bank in banks
        ]
