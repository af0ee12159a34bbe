"""Status words in one place: cooperative, certificate, order, shipment and payment states.

Msgids are in English and lazy (translated when shown, in the reader's language). Pages
reach them as template globals of the same names; domain messages ("This shipment is
already shipped") use the same words.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import Enum

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from storefront.models import (
    CertificateStatus,
    CooperativeStatus,
    OrderStatus,
    PaymentMethod,
    ShipmentStatus,
)

# As the seller workspace and the PFA console say it (one word per concept).
COOPERATIVE_STATUS_LABELS: dict[CooperativeStatus, LazyString] = {
    CooperativeStatus.APPLIED: _l("waiting for approval"),
    CooperativeStatus.APPROVED: _l("approved"),
    CooperativeStatus.REJECTED: _l("not approved"),
    CooperativeStatus.SUSPENDED: _l("suspended"),
}

CERTIFICATE_STATUS_LABELS: dict[CertificateStatus, LazyString] = {
    CertificateStatus.SUBMITTED: _l("waiting for PFA verification"),
    CertificateStatus.VERIFIED: _l("verified"),
    CertificateStatus.REJECTED: _l("rejected"),
    CertificateStatus.REVOKED: _l("revoked"),
}

# The order's own status, as the buyer's account lists it.
ORDER_STATUS_LABELS: dict[OrderStatus, LazyString] = {
    OrderStatus.AWAITING_PAYMENT: _l("Awaiting payment"),
    OrderStatus.PLACED: _l("Placed"),
    OrderStatus.CANCELLED: _l("Cancelled"),
}

# Where an order has got to, shipments included (lifecycle.order_progress).
ORDER_PROGRESS_LABELS: dict[str, LazyString] = {
    "awaiting_payment": _l("Awaiting payment"),
    "placed": _l("Order placed"),
    "processing": _l("Being prepared"),
    "partly_shipped": _l("Partly shipped"),
    "shipped": _l("Shipped"),
    "delivered": _l("Delivered"),
    "cancelled": _l("Cancelled"),
}

SHIPMENT_STATUS_LABELS: dict[ShipmentStatus, LazyString] = {
    ShipmentStatus.NEW: _l("New"),
    ShipmentStatus.PACKED: _l("Packed"),
    ShipmentStatus.SHIPPED: _l("Shipped"),
    ShipmentStatus.DELIVERED: _l("Delivered"),
    ShipmentStatus.CANCELLED: _l("Cancelled"),
}

# What the buyer owes or has paid (lifecycle.payment_state).
PAYMENT_LABELS: dict[str, LazyString] = {
    "paid": _l("Paid"),
    "refunded": _l("Refunded"),
    "refund_pending": _l("Refund pending"),
    "cod_due": _l("Cash on delivery: pay when it arrives"),
    "cod_cancelled": _l("Cash on delivery (cancelled, nothing to pay)"),
    "awaiting": _l("Awaiting card payment"),
    "processing": _l("Card payment processing"),
    "transfer_awaiting": _l("Awaiting bank transfer"),
    "partly_paid": _l("Partly paid: balance due"),
    "transfer_expired": _l("Not paid in time"),
    "not_paid": _l("Not paid"),
    "failed": _l("Payment failed"),
    "expired": _l("Payment page expired"),
    "none": _l("No payment"),
}


def _enum_label[E: Enum](
    labels: Mapping[E, LazyString], kind: type[E], status: E | str | None
) -> str:
    """The words for `status` (an enum member or its value); an unknown value as it is."""
    try:
        return str(labels[kind(status)])
    except (ValueError, KeyError):
        return str(status.value if isinstance(status, Enum) else status or "")


def cooperative_status_label(status: CooperativeStatus | str | None) -> str:
    return _enum_label(COOPERATIVE_STATUS_LABELS, CooperativeStatus, status)


def certificate_status_label(status: CertificateStatus | str | None) -> str:
    return _enum_label(CERTIFICATE_STATUS_LABELS, CertificateStatus, status)


def order_status_label(status: OrderStatus | str | None) -> str:
    return _enum_label(ORDER_STATUS_LABELS, OrderStatus, status)


def shipment_status_label(status: ShipmentStatus | str | None) -> str:
    return _enum_label(SHIPMENT_STATUS_LABELS, ShipmentStatus, status)


def progress_label(code: str) -> str:
    return str(ORDER_PROGRESS_LABELS.get(code, code))


def payment_label(code: str) -> str:
    return str(PAYMENT_LABELS.get(code, code))


# How the buyer pays (the order's payment method).
PAYMENT_METHOD_LABELS: dict[PaymentMethod, LazyString] = {
    PaymentMethod.COD: _l("Cash on delivery"),
    PaymentMethod.CARD: _l("Card (Stripe)"),
    PaymentMethod.TRANSFER: _l("Bank transfer (VietQR)"),
    PaymentMethod.PAYOS: _l("payOS (banking app, VietQR)"),
}


def payment_method_label(method: PaymentMethod | str | None) -> str:
    return _enum_label(PAYMENT_METHOD_LABELS, PaymentMethod, method)


# Registered as template globals by the app factory.
TEMPLATE_GLOBALS: dict[str, Callable[..., str]] = {
    "cooperative_status_label": cooperative_status_label,
    "certificate_status_label": certificate_status_label,
    "order_status_label": order_status_label,
    "shipment_label": shipment_status_label,
    "progress_label": progress_label,
    "payment_label": payment_label,
    "payment_method_label": payment_method_label,
}
