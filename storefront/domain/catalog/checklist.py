"""The listing checklist: visibility.hidden_reasons in words a cooperative's staff understand,
step by step, saying who acts next — the seller, or PFA staff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import url_for
from flask_babel import gettext as _

from storefront.domain.catalog.visibility import hidden_reasons, shop_today
from storefront.models import CertificateStatus, CooperativeStatus, Listing, ListingStatus
from storefront.web.shop.catalog.template_helpers import date_vn

DONE, TODO, WAITING = "done", "todo", "waiting"  # waiting: on PFA staff, nothing for the seller


@dataclass
class Step:
    key: str
    title: str
    state: str
    detail: str = ""
    action_url: str | None = None
    action_label: str | None = None
    action_post: bool = False  # a button (POST), not a link


@dataclass
class Checklist:
    steps: list[Step]
    reasons: list[str]

    @property
    def public(self) -> bool:
        return not self.reasons

    @property
    def waiting_for_pfa(self) -> bool:
        """Only PFA staff can move it on now: nothing left for the seller to do."""
        states = {step.state for step in self.steps}
        return WAITING in states and TODO not in states

    @property
    def todo(self) -> list[Step]:
        return [step for step in self.steps if step.state != DONE]


def build_checklist(listing: Listing, today: date | None = None) -> Checklist:
    today = today or shop_today()
    reasons = hidden_reasons(listing, today)
    coop = listing.cooperative
    cert = listing.certificate
    steps: list[Step] = []

    # 1. The cooperative
    if "cooperative_not_approved" not in reasons:
        steps.append(Step("cooperative", _("Cooperative approved"), DONE))
    elif coop.status is CooperativeStatus.APPLIED:
        steps.append(
            Step(
                "cooperative",
                _("Cooperative approved"),
                WAITING,
                _("Your application is waiting for approval by the Farmers' Association."),
            )
        )
    else:
        detail = (
            _("Your cooperative is suspended.")
            if coop.status is CooperativeStatus.SUSPENDED
            else _("Your cooperative's application was not approved.")
        )
        if coop.status_reason:
            detail += " " + _("Reason: %(reason)s", reason=coop.status_reason)
        steps.append(Step("cooperative", _("Cooperative approved"), TODO, detail))

    # 2. The certificate
    title = _("OCOP certificate verified")
    if cert is None or "no_certificate" in reasons:  # the first implies the second
        steps.append(
            Step(
                "certificate",
                title,
                TODO,
                _("Choose the certificate this product is sold under, or send a new one."),
                url_for("seller.new_certificate", listing=listing.id),
                _("Send a certificate"),
            )
        )
    elif "certificate_submitted" in reasons:
        steps.append(
            Step(
                "certificate",
                title,
                WAITING,
                _("Waiting for PFA verification of certificate %(number)s.", number=cert.number),
            )
        )
    elif "certificate_rejected" in reasons or "certificate_revoked" in reasons:
        rejected = cert.status is CertificateStatus.REJECTED
        detail = (
            _("The certificate was rejected.") if rejected else _("The certificate was revoked.")
        )
        if cert.status_reason:
            detail += " " + _("Reason: %(reason)s", reason=cert.status_reason)
        steps.append(
            Step(
                "certificate",
                title,
                TODO,
                detail,
                url_for("seller.edit_certificate", certificate_id=cert.id)
                if rejected
                else url_for("seller.new_certificate", listing=listing.id),
                _("Correct and send again") if rejected else _("Send the new certificate"),
            )
        )
    elif "certificate_expired" in reasons:
        steps.append(
            Step(
                "certificate",
                title,
                TODO,
                _(
                    "The certificate expired on %(date)s. Send the renewed certificate.",
                    date=date_vn(cert.expires_on),
                ),
                url_for("seller.new_certificate", listing=listing.id),
                _("Send the new certificate"),
            )
        )
    else:
        steps.append(
            Step(
                "certificate",
                title,
                DONE,
                _("Valid until %(date)s.", date=date_vn(cert.expires_on)) if cert else "",
            )
        )

    # 3. Packages and stock
    edit_url = url_for("seller.edit_listing", listing_id=listing.id)
    if "no_package" in reasons:
        steps.append(
            Step(
                "packages",
                _("At least one package in stock"),
                TODO,
                _("Add a package with its weight and price."),
                edit_url,
                _("Add a package"),
            )
        )
    elif "sold_out" in reasons:
        steps.append(
            Step(
                "packages",
                _("At least one package in stock"),
                TODO,
                _("Every package is sold out. Add stock, or take pre-orders."),
                url_for("seller.stock"),
                _("Update stock"),
            )
        )
    else:
        steps.append(Step("packages", _("At least one package in stock"), DONE))

    # 4. Put on sale by the seller
    title = _("Put on sale")
    if listing.status is ListingStatus.ACTIVE:
        steps.append(Step("status", title, DONE))
    elif listing.status is ListingStatus.DRAFT:
        if coop.status is CooperativeStatus.APPROVED:
            steps.append(
                Step(
                    "status",
                    title,
                    TODO,
                    _(
                        "This product is a draft. Put it on sale: it appears in the shop as"
                        " soon as every step is done."
                    ),
                    url_for("seller.publish_listing", listing_id=listing.id),
                    _("Put on sale"),
                    action_post=True,
                )
            )
        else:
            steps.append(
                Step(
                    "status",
                    title,
                    TODO,
                    _("A draft. You can put it on sale once your cooperative is approved."),
                )
            )
    elif listing.status is ListingStatus.PAUSED:
        steps.append(
            Step(
                "status",
                title,
                TODO,
                _("You paused this product."),
                url_for("seller.resume_listing", listing_id=listing.id),
                _("Resume sales"),
                action_post=True,
            )
        )
    else:
        steps.append(Step("status", title, TODO, _("This product is archived.")))

    return Checklist(steps=steps, reasons=reasons)
