"""Seller pages for fulfilment: a cooperative's own shipments and the steps that move them."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from storefront.core.errors import DomainError
from storefront.domain.orders.cancellation import can_cancel_part, cancel_shipment
from storefront.domain.orders.fulfilment import (
    advance_shipment,
    allowed_steps,
    shipment_for_member,
    shipments_for_member,
)
from storefront.domain.payments.card import settle_cancelled_order
from storefront.models import ShipmentStatus
from storefront.web.seller import bp
from storefront.web.seller.context import cooperative_required, show_cooperative

FILTERS = {
    "open": (ShipmentStatus.NEW, ShipmentStatus.PACKED),
    "shipped": (ShipmentStatus.SHIPPED,),
    "done": (ShipmentStatus.DELIVERED, ShipmentStatus.CANCELLED),
}


@bp.get("/shipments")
@login_required
@cooperative_required
def shipments():
    selected = request.args.get("show", "open")
    statuses = FILTERS.get(selected)
    return render_template(
        "seller/shipments.html",
        shipments=shipments_for_member(
            current_user.id, cooperative_id=g.cooperative.id, statuses=statuses
        ),
        selected=selected if statuses else "all",
    )


@bp.get("/shipments/<int:shipment_id>")
@login_required
def shipment(shipment_id: int):
    return _shipment_page(shipment_id)


def _shipment_page(shipment_id: int, error: DomainError | None = None):
    """The shipment and its next steps; after a refused "ship", its error beside the field
    and what was typed kept (400)."""
    item = shipment_for_member(shipment_id, current_user.id)
    show_cooperative(item.cooperative_id)
    page = render_template(
        "seller/shipment.html",
        shipment=item,
        steps=allowed_steps(item),
        can_cancel=can_cancel_part(item),
        ship_error=error,
        ship_field=error.details.get("field") if error is not None else None,
        typed={k: request.form.get(k, "") for k in ("carrier", "tracking_number")},
    )
    return page, 400 if error is not None else 200


@bp.post("/shipments/<int:shipment_id>/cancel")
@login_required
def shipment_cancel(shipment_id: int):
    """The cooperative cancels its part before shipping it (a reason is required)."""
    try:
        cancelled = cancel_shipment(
            shipment_id, request.form.get("reason", ""), user_id=current_user.id
        )
    except DomainError as error:
        if error.status == 404:
            raise
        flash(error.message, "error")
        return redirect(url_for("seller.shipment", shipment_id=shipment_id), code=303)
    if cancelled.refund_due and settle_cancelled_order(cancelled.order_id) == "refund_failed":
        flash(
            _("The refund to the buyer's card could not be sent yet; it will be retried."),
            "warning",
        )
    flash(_("Shipment cancelled; its stock is back on sale and the buyer has been told."), "info")
    return redirect(url_for("seller.shipment", shipment_id=shipment_id), code=303)


@bp.post("/shipments/<int:shipment_id>/<step>")
@login_required
def shipment_step(shipment_id: int, step: str):
    try:
        advance_shipment(
            shipment_id,
            step,
            user_id=current_user.id,
            carrier=request.form.get("carrier", ""),
            tracking_number=request.form.get("tracking_number", ""),
        )
    except DomainError as error:
        if error.status == 404:
            raise
        if step == "ship" and error.details.get("field"):
            return _shipment_page(shipment_id, error)
        flash(error.message, "error")
    else:
        flash(_("Shipment updated; the buyer has been told by e-mail."), "info")
    return redirect(url_for("seller.shipment", shipment_id=shipment_id), code=303)
