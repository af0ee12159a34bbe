"""The listing checklist: visibility.hidden_reasons in words a cooperative's staff understand,
step by step, saying who acts next — the seller, or PFA staff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import url_for
from flask_babel import gettext as _

from storefront.core import clock
from storefront.core.formatting import date_vn
from storefront.domain.catalog.visibility import HiddenReason, hidden_reasons
from storefront.models import (
    CertificateStatus,
    Cooperative,
    CooperativeStatus,
    Listing,
    ListingStatus,
)

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
    reasons: list[HiddenReason]

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
    """The four steps to the shop (cooperative, certificate, packages, on sale), each done,
    to do, or waiting on PFA staff, from the listing's hidden reasons."""
    reasons = hidden_reasons(listing, today or clock.today())
    found = set(reasons)
    steps = [
        _cooperative_step(listing.cooperative, found),
        _certificate_step(listing, found),
        _packages_step(listing, found),
        _on_sale_step(listing),
    ]
    return Checklist(steps=steps, reasons=reasons)


def _cooperative_step(coop: Cooperative, reasons: set[HiddenReason]) -> Step:
    title = _("Cooperative approved")
    if HiddenReason.COOPERATIVE_NOT_APPROVED not in reasons:
        return Step("cooperative", title, DONE)
    if coop.status is CooperativeStatus.APPLIED:
        return Step(
            "cooperative",
            title,
            WAITING,
            _("Your application is waiting for approval by the Farmers' Association."),
        )
    detail = (
        _("Your cooperative is suspended.")
        if coop.status is CooperativeStatus.SUSPENDED
        else _("Your cooperative's application was not approved.")
    )
    if coop.status_reason:
        detail += " " + _("Reason: %(reason)s", reason=coop.status_reason)
    return Step("cooperative", title, TODO, detail)


def _certificate_step(listing: Listing, reasons: set[HiddenReason]) -> Step:
    title = _("OCOP certificate verified")
    cert = listing.certificate
    send_new = url_for("seller.new_certificate", listing=listing.id)
    if HiddenReason.NO_CERTIFICATE in reasons or cert is None:
        return Step(
            "certificate",
            title,
            TODO,
            _("Choose the certificate this product is sold under, or send a new one."),
            send_new,
            _("Send a certificate"),
        )
    if HiddenReason.CERTIFICATE_SUBMITTED in reasons:
        return Step(
            "certificate",
            title,
            WAITING,
            _("Waiting for PFA verification of certificate %(number)s.", number=cert.number),
        )
    if reasons & {HiddenReason.CERTIFICATE_REJECTED, HiddenReason.CERTIFICATE_REVOKED}:
        rejected = cert.status is CertificateStatus.REJECTED
        detail = (
            _("The certificate was rejected.") if rejected else _("The certificate was revoked.")
        )
        if cert.status_reason:
            detail += " " + _("Reason: %(reason)s", reason=cert.status_reason)
        if rejected:
            correct = url_for("seller.edit_certificate", certificate_id=cert.id)
            return Step("certificate", title, TODO, detail, correct, _("Correct and send again"))
        return Step("certificate", title, TODO, detail, send_new, _("Send the new certificate"))
    if HiddenReason.CERTIFICATE_EXPIRED in reasons:
        return Step(
            "certificate",
            title,
            TODO,
            _(
                "The certificate expired on %(date)s. Send the renewed certificate.",
                date=date_vn(cert.expires_on),
            ),
            send_new,
            _("Send the new certificate"),
        )
    return Step(
        "certificate", title, DONE, _("Valid until %(date)s.", date=date_vn(cert.expires_on))
    )


def _packages_step(listing: Listing, reasons: set[HiddenReason]) -> Step:
    title = _("At least one package in stock")
    if HiddenReason.NO_PACKAGE in reasons:
        return Step(
            "packages",
            title,
            TODO,
            _("Add a package with its weight and price."),
            url_for("seller.edit_listing", listing_id=listing.id),
            _("Add a package"),
        )
    if HiddenReason.SOLD_OUT in reasons:
        return Step(
            "packages",
            title,
            TODO,
            _("Every package is sold out. Add stock, or take pre-orders."),
            url_for("seller.stock"),
            _("Update stock"),
        )
    return Step("packages", title, DONE)


def _on_sale_step(listing: Listing) -> Step:
    """The seller's own switch: draft, on sale, paused or archived."""
    title = _("Put on sale")
    if listing.status is ListingStatus.ACTIVE:
        return Step("status", title, DONE)
    if listing.status is ListingStatus.DRAFT:
        if listing.cooperative.status is not CooperativeStatus.APPROVED:
            return Step(
                "status",
                title,
                TODO,
                _("A draft. You can put it on sale once your cooperative is approved."),
            )
        return Step(
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
    if listing.status is ListingStatus.PAUSED:
        return Step(
            "status",
            title,
            TODO,
            _("You paused this product."),
            url_for("seller.resume_listing", listing_id=listing.id),
            _("Resume sales"),
            action_post=True,
        )
    return Step("status", title, TODO, _("This product is archived."))
