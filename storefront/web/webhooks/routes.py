"""POST /webhooks/stripe and /webhooks/payos: the providers' signed events, the only way an
order becomes paid (besides the reconciliation asking them)."""

from __future__ import annotations

import logging

import stripe
from flask import jsonify, request

from storefront.domain.payments import payos, payos_gateway
from storefront.domain.payments.card import UNMATCHED, handle_stripe_event
from storefront.domain.payments.payos_gateway import payos_enabled
from storefront.domain.payments.stripe_gateway import card_payments_enabled, verify_webhook
from storefront.extensions import csrf
from storefront.web.webhooks import bp

log = logging.getLogger(__name__)


@bp.post("/stripe")
@csrf.exempt  # Stripe cannot send our CSRF token; its signature authenticates the call
def stripe_webhook():
    if not card_payments_enabled():
        return jsonify(error="stripe_not_configured"), 404
    try:
        # The signature covers the raw bytes: read them before anything parses the body.
        event = verify_webhook(request.get_data(), request.headers.get("Stripe-Signature"))
    except (stripe.SignatureVerificationError, ValueError) as error:
        log.warning("rejected a Stripe webhook: %s", error)
        return jsonify(error="invalid_signature"), 400
    outcome = handle_stripe_event(event)
    if outcome == UNMATCHED:
        # Signed, but about no payment we know yet: not 2xx, so Stripe delivers it again
        # (with backoff, for three days) instead of it being lost.
        return jsonify(received=False, outcome=outcome), 409
    return jsonify(received=True, outcome=outcome), 200


@bp.post("/payos")
@csrf.exempt  # payOS cannot send our CSRF token; the checksum key's signature authenticates it
def payos_webhook():
    if not payos_enabled():
        return jsonify(error="payos_not_configured"), 404
    try:
        # The SDK checks the HMAC-SHA256 of the data's sorted fields with the checksum key.
        data = payos_gateway.verify_webhook(request.get_data())
    except (payos_gateway.PayOSError, TypeError, ValueError) as error:
        log.warning("rejected a payOS webhook: %s", error)
        return jsonify(error="invalid_signature"), 400
    outcome = payos.handle_webhook(data)
    # 2xx for everything signed: a duplicate, and payOS's "confirm webhook" call (its sample
    # data names no order of ours), which must succeed for payOS to accept the address.
    return jsonify(success=True, outcome=outcome), 200
