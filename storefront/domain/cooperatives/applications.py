"""Applying to sell as a cooperative, and approving the application (members: members.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError

from storefront.core.db import unit_of_work
from storefront.core.errors import (
    InvalidInput,
    InvalidPhone,
)
from storefront.core.files import Upload
from storefront.core.media import delete_original
from storefront.core.phones import normalize_vn_phone
from storefront.core.text import slugify
from storefront.domain.audit import record_decision
from storefront.domain.cooperatives import logo as logos
from storefront.domain.cooperatives.members import normal_email, require_may_join
from storefront.domain.locations import current_commune
from storefront.extensions import db
from storefront.models import (
    AdminUnit,
    Cooperative,
    CooperativeMember,
    CooperativeStatus,
    MemberRole,
    User,
    limits,
)

# --- applying, approving ------------------------------------------------------------------------


@dataclass(frozen=True)
class CooperativeApplication:
    """What an applicant fills in to open a cooperative's shop."""

    legal_name: str
    registration_number: str
    address: str
    commune_code: int
    phone: str
    email: str
    description: str = ""


def _clean_line(text: str | None) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def _unique_slug(base: str) -> str:
    base = slugify(base, max_length=100) or "htx"
    slug, n = base, 2
    while db.session.scalar(select(exists().where(Cooperative.slug == slug))):
        slug, n = f"{base}-{n}", n + 1
    return slug


def _current_commune(code: int | None, field: str = "commune") -> AdminUnit:
    unit = current_commune(code)
    if unit is None:
        raise InvalidInput(_("Choose a commune or ward."), field=field)
    return unit


def apply_for_cooperative(
    actor: User, application: CooperativeApplication, logo: Upload | None = None
) -> Cooperative:
    """Open a cooperative's shop as `actor` (its first owner). It stays `applied` — drafts and
    certificates only, nothing on sale — until PFA staff approve it. The applicant needs a
    verified e-mail address and must not be Farmers' Association staff or an admin."""
    require_may_join(actor)
    legal_name = _clean_line(application.legal_name)
    number = _clean_line(application.registration_number).upper()
    if not legal_name or len(legal_name) > limits.COOPERATIVE_NAME:
        raise InvalidInput(_("Enter the cooperative's legal name."), field="legal_name")
    if not number or len(number) > limits.REGISTRATION_NUMBER:
        raise InvalidInput(
            _("Enter the registration or tax number (at most 40 characters)."),
            field="registration_number",
        )
    commune = _current_commune(application.commune_code)
    try:
        phone = normalize_vn_phone(application.phone)
    except InvalidPhone as error:
        raise InvalidPhone(error.message, field="phone") from None
    email = normal_email(application.email)
    description = (application.description or "").strip()
    if len(description) > limits.COOPERATIVE_DESCRIPTION:
        raise InvalidInput(
            _("The description is too long (at most 5,000 characters)."), field="description"
        )
    # Checked and kept before the unit opens: a bad logo leaves no cooperative behind; its
    # job (cooperatives/logo.py) makes its sizes after the commit.
    logo_stem = logos.keep_upload(logo) if logo is not None else None

    try:
        with unit_of_work(writer=True) as unit:
            taken = db.session.scalar(
                select(exists().where(func.upper(Cooperative.registration_number) == number))
            )
            if taken:
                raise _registration_taken()
            coop = Cooperative(
                legal_name=legal_name,
                slug=_unique_slug(legal_name),
                registration_number=number,
                address=_clean_line(application.address)[: limits.STREET],
                commune=commune,
                phone=phone,
                email=email,
                description=description,
                status=CooperativeStatus.APPLIED,
                locale=actor.locale if actor.locale in ("vi", "en") else "vi",
            )
            coop.members.append(CooperativeMember(user_id=actor.id, role=MemberRole.OWNER))
            db.session.add(coop)
            db.session.flush()
            if logo_stem is not None:
                logos.schedule(unit, coop, logo_stem)
            record_decision(
                actor=actor,
                action="cooperative.apply",
                subject=coop,
                from_status="",
                to_status=CooperativeStatus.APPLIED.value,
            )
    except IntegrityError:
        if logo_stem is not None:
            delete_original(logo_stem)
        raise _registration_taken() from None
    except BaseException:
        if logo_stem is not None:
            delete_original(logo_stem)  # also when the unit failed to open
        raise
    return coop


def _registration_taken() -> InvalidInput:
    return InvalidInput(
        _("A cooperative with this registration number already has a shop here."),
        field="registration_number",
    )
