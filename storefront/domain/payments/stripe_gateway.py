"""The only module that talks to Stripe. Every call here is a network call: never make one
while a database transaction is open."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import stripe
from flask import current_app
from stripe.params import RefundCreateParams
from stripe.params.checkout import SessionCreateParams, SessionCreateParamsLineItem

CURRENCY = "vnd"  # zero-decimal in Stripe: unit_amount=150000 charges 150.000 ₫


def card_payments_enabled(config: Mapping[str, Any] | None = None) -> bool:
    """Card payment is offered only when both the API key and the webhook secret are set:
    without the webhook an order could never become paid."""
    config = config if config is not None else current_app.config
    return bool(config.get("STRIPE_SECRET_KEY") and config.get("STRIPE_WEBHOOK_SECRET"))


def client() -> stripe.StripeClient:
    config = current_app.config
    return stripe.StripeClient(
        config["STRIPE_SECRET_KEY"],
        http_client=config.get("STRIPE_HTTP_CLIENT"),
        # Safe to retry: every mutating call carries an idempotency key.
        max_network_retries=2,
    )


@dataclass(frozen=True)
class CheckoutLine:
    name: str
    unit_amount: int  # đồng
    quantity: int


@dataclass(frozen=True)
class CheckoutRequest:
    """Plain values read from the order before the transaction closed."""

    order_number: str
    payment_id: int
    email: str
    locale: str
    lines: tuple[CheckoutLine, ...]
    shipping_total: int
    expires_at: datetime
    shipping_label: str


def create_checkout_session(
    request: CheckoutRequest, *, success_url: str, cancel_url: str
) -> dict[str, Any]:
    """Create a hosted Checkout Session; the same attempt always sends the same key, so a
    retry after a lost response gets the same session back instead of a second one."""
    line_items: list[SessionCreateParamsLineItem] = [
        {
            "quantity": line.quantity,
            "price_data": {
                "currency": CURRENCY,
                "unit_amount": line.unit_amount,
                "product_data": {"name": line.name[:250]},
            },
        }
        for line in request.lines
    ]
    if request.shipping_total:
        line_items.append(
            {
                "quantity": 1,
                "price_data": {
                    "currency": CURRENCY,
                    "unit_amount": request.shipping_total,
                    "product_data": {"name": request.shipping_label},
                },
            }
        )
    metadata = {"order_number": request.order_number, "payment_id": str(request.payment_id)}
    params: SessionCreateParams = {
        "mode": "payment",
        "line_items": line_items,
        "client_reference_id": request.order_number,
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata},
        "locale": "vi" if request.locale == "vi" else "en",
        "success_url": success_url,
        "cancel_url": cancel_url,
        "expires_at": int(request.expires_at.timestamp()),
    }
    if request.email:  # a guest may give none: Stripe's page then asks for a receipt address
        params["customer_email"] = request.email
    session = client().v1.checkout.sessions.create(
        params,
        {"idempotency_key": f"ocop-checkout-{request.order_number}-{request.payment_id}"},
    )
    return session.to_dict()


def retrieve_checkout_session(session_id: str) -> dict[str, Any]:
    return client().v1.checkout.sessions.retrieve(session_id).to_dict()


def expire_checkout_session(session_id: str) -> dict[str, Any]:
    """Close an open checkout page, so nobody pays for an order that was cancelled."""
    return client().v1.checkout.sessions.expire(session_id).to_dict()


def refund_payment(
    payment_intent: str, *, idempotency_key: str, order_number: str, amount: int | None = None
) -> dict[str, Any]:
    """Refund a payment in full, or `amount` đồng of it (a cancelled part). The key is per
    refund owed: a retry never refunds twice. The key travels in the metadata too, so a
    refund can be found again after Stripe has forgotten the key (24 hours)."""
    params: RefundCreateParams = {
        "payment_intent": payment_intent,
        "metadata": {"order_number": order_number, "refund_key": idempotency_key},
    }
    if amount is not None:
        params["amount"] = amount
    refund = client().v1.refunds.create(params, {"idempotency_key": idempotency_key})
    return refund.to_dict()


def list_refunds(payment_intent: str) -> list[dict[str, Any]]:
    refunds = client().v1.refunds.list({"payment_intent": payment_intent, "limit": 10})
    return [r.to_dict() for r in refunds.data]


def verify_webhook(payload: bytes, signature: str | None) -> dict[str, Any]:
    """The event, if `payload` carries a valid Stripe signature no older than 5 minutes.

    Raises stripe.SignatureVerificationError (or ValueError for a body that is not JSON).
    """
    event = stripe.Webhook.construct_event(
        payload, signature, current_app.config["STRIPE_WEBHOOK_SECRET"], tolerance=300
    )
    found: dict[str, Any] = event.to_dict()
    return found
