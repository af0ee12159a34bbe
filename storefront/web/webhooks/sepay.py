"""POST /webhooks/sepay: SePay's bank notifications, the only way a bank transfer counts."""

from __future__ import annotations

import json
import logging

from flask import current_app, jsonify, request

from storefront.core.sepay import InvalidNotification, authorised, parse_notification
from storefront.domain.payments.transfer import receive_bank_notification
from storefront.domain.payments.vietqr import transfer_payments_enabled
from storefront.extensions import csrf
from storefront.web.webhooks import bp

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024  # a notification is a few hundred bytes


@bp.post("/sepay")
@csrf.exempt  # SePay cannot send our CSRF token; its API key authenticates the call
def sepay_webhook():
    api_key = str(current_app.config.get("SEPAY_WEBHOOK_API_KEY") or "")
    if not api_key or not transfer_payments_enabled():
        return jsonify(success=False, error="sepay_not_configured"), 404
    if not authorised(request.headers.get("Authorization"), api_key):
        log.warning("rejected a SePay webhook: wrong or missing API key")
        return jsonify(success=False, error="unauthorized"), 401
    if (request.content_length or 0) > MAX_BODY:
        return jsonify(success=False, error="the body is too large"), 400
    body = request.get_data(cache=False)
    if len(body) > MAX_BODY:
        return jsonify(success=False, error="the body is too large"), 400
    try:
        text = body.decode("utf-8")
        transfer = parse_notification(json.loads(text))
    except (UnicodeDecodeError, ValueError) as error:
        # json's errors and InvalidNotification are both ValueErrors; say which field.
        message = str(error) if isinstance(error, InvalidNotification) else "malformed JSON"
        log.warning("refused a SePay webhook: %s", message)
        return jsonify(success=False, error=message), 400
    outcome = receive_bank_notification(text, transfer)
    # SePay counts 200/201 with {"success": true} as delivered; anything else is retried.
    return jsonify(success=True, outcome=outcome), 200
