"""A cooperative's own profile after applying: its story, contact details and logo.

Only what the Farmers' Association did not check is editable here. The legal name, the
registration number and the commune are what PFA staff compared with the business registration
when they approved the shop, so they change only through the Association.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from storefront.core.db import unit_of_work
from storefront.core.errors import InvalidInput, InvalidPhone, NotFound
from storefront.core.files import Upload, delete_logo
from storefront.core.media import delete_original
from storefront.core.phones import normalize_vn_phone
from storefront.domain.audit import record_decision
from storefront.domain.cooperatives import logo as logos
from storefront.domain.cooperatives.members import normal_email, require_owner
from storefront.extensions import db
from storefront.models import Cooperative, User, limits

# Said in the audit trail: which fields an owner changed (never their values: the trail is
# for decisions, and the profile itself shows what they are now).
EDITABLE_FIELDS = ("description", "phone", "email", "address")


@dataclass(frozen=True)
class ProfileChange:
    """What an owner may change without a new approval."""

    description: str
    phone: str
    email: str
    address: str


def _clean(change: ProfileChange) -> dict[str, str]:
    description = (change.description or "").strip()
    if len(description) > limits.COOPERATIVE_DESCRIPTION:
        raise InvalidInput(
            _("The description is too long (at most 5,000 characters)."), field="description"
        )
    try:
        phone = normalize_vn_phone(change.phone)
    except InvalidPhone as error:
        raise InvalidPhone(error.message, field="phone") from None
    address = re.sub(r"\s+", " ", change.address or "").strip()
    if not address:
        raise InvalidInput(_("Enter the address (house number, street, hamlet)."), field="address")
    if len(address) > limits.STREET:
        raise InvalidInput(_("The address is too long."), field="address")
    return {
        "description": description,
        "phone": phone,
        "email": normal_email(change.email),
        "address": address,
    }


def update_profile(
    cooperative_id: int,
    actor: User,
    change: ProfileChange,
    *,
    logo: Upload | None = None,
    remove_logo: bool = False,
) -> Cooperative:
    """Save the cooperative's story, phone, e-mail, address and logo, as one of its owners
    (Forbidden for anyone else). A new logo passes the same checks as a listing photo (at
    most 5 MB and 25 megapixels, JPEG/PNG/WebP, checked here: a bad file changes nothing) and
    is re-encoded to WebP by its job (cooperatives/logo.py), which then makes it the logo and
    deletes the old one's files; until then the old logo stays. The change is in the audit
    trail, and the cooperative's public page shows it at once (catalog version:
    catalog/changes.py)."""
    require_owner(actor, cooperative_id)
    values = _clean(change)
    # Checked and kept before the unit opens, as when applying: a bad file changes nothing.
    new_logo = logos.keep_upload(logo) if logo is not None else None
    try:
        with unit_of_work(writer=True) as unit:
            coop = db.session.scalar(
                select(Cooperative).where(Cooperative.id == cooperative_id).with_for_update()
            )
            if coop is None:
                raise NotFound(_("There is no such cooperative."))
            changed = [name for name in EDITABLE_FIELDS if getattr(coop, name) != values[name]]
            for name in changed:
                setattr(coop, name, values[name])
            if new_logo is not None:
                logos.schedule(unit, coop, new_logo)
                changed.append("logo")
            elif remove_logo and coop.logo:
                unit.on_commit(delete_logo, coop.logo)
                coop.logo = None
                changed.append("logo")
            if changed:
                record_decision(
                    actor=actor,
                    action="cooperative.profile",
                    subject=coop,
                    from_status=coop.status.value,
                    to_status=coop.status.value,
                    data={"fields": changed},
                )
    except BaseException:
        if new_logo is not None:
            delete_original(new_logo)  # also when the unit failed to open
        raise
    return coop
