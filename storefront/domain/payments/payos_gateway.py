"""The only module that talks to payOS, through its official SDK (`payos` on PyPI, httpx
underneath). Every call here is a network call: never make one while a database transaction
is open.

payOS signs what it sends (HMAC-SHA256 with the channel's checksum key over the data's
fields sorted by name, `key=value` joined by `&`); the SDK signs our link requests and checks
the signature of every answer and of every webhook."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app
from payos import APIError, NotFoundError, PayOS, PayOSError, WebhookError
from payos.types import CreatePaymentLinkRequest, ItemData, PaymentLink, WebhookData

__all__ = [
    "PayOSError",
    "WebhookError",
    "PaymentLink",
    "WebhookData",
    "LinkLine",
    "LinkRequest",
    "CreatedLink",
    "payos_enabled",
    "create_link",
    "get_link",
    "cancel_link",
    "verify_webhook",
]

# payOS's answer codes (data-less errors come as HTTP 200 with a code other than "00").
NOT_FOUND_CODE = "101"  # no payment link with this order code
# What payOS caps (its API documentation): order codes are positive integers up to
# 2^53 - 1, a description at most 25 characters (what shows in the bank transfer).
MAX_ORDER_CODE = 9_007_199_254_740_991
MAX_DESCRIPTION = 25
TIMEOUT_SECONDS = 15.0


def payos_enabled(config: Mapping[str, Any] | None = None) -> bool:
    """payOS is offered only when the channel's three keys are set: without the checksum key
    no webhook could be trusted, so an order could never become paid."""
    config = config if config is not None else current_app.config
    return bool(
        config.get("PAYOS_CLIENT_ID")
        and config.get("PAYOS_API_KEY")
        and config.get("PAYOS_CHECKSUM_KEY")
    )


def _client(*, max_retries: int) -> PayOS:
    config = current_app.config
    return PayOS(
        client_id=config["PAYOS_CLIENT_ID"],
        api_key=config["PAYOS_API_KEY"],
        checksum_key=config["PAYOS_CHECKSUM_KEY"],
        http_client=config.get("PAYOS_HTTP_CLIENT"),
        timeout=TIMEOUT_SECONDS,
        max_retries=max_retries,
    )


@dataclass(frozen=True)
class LinkLine:
    name: str
    quantity: int
    price: int  # đồng, per unit


@dataclass(frozen=True)
class LinkRequest:
    """Plain values read from the order before the transaction closed."""

    order_code: int
    amount: int  # đồng
    description: str
    lines: tuple[LinkLine, ...]
    buyer_name: str
    buyer_phone: str
    buyer_email: str
    buyer_address: str
    return_url: str
    cancel_url: str
    expired_at: int  # unix seconds


@dataclass(frozen=True)
class CreatedLink:
    payment_link_id: str
    checkout_url: str


def create_link(request: LinkRequest) -> CreatedLink:
    """Create the payment link. Never retried by the SDK: payOS refuses a second link with
    the same order code, and a lost answer is sorted out by asking for the link first."""
    if not 0 < request.order_code <= MAX_ORDER_CODE:
        raise ValueError(f"order code out of payOS's range: {request.order_code}")
    if len(request.description) > MAX_DESCRIPTION:
        raise ValueError(f"description longer than {MAX_DESCRIPTION}: {request.description!r}")
    data = CreatePaymentLinkRequest(
        order_code=request.order_code,
        amount=request.amount,
        description=request.description,
        items=[ItemData(name=x.name, quantity=x.quantity, price=x.price) for x in request.lines],
        buyer_name=request.buyer_name or None,
        buyer_phone=request.buyer_phone or None,
        buyer_email=request.buyer_email or None,
        buyer_address=request.buyer_address or None,
        return_url=request.return_url,
        cancel_url=request.cancel_url,
        expired_at=request.expired_at,
    )
    with _client(max_retries=0) as payos:
        created = payos.payment_requests.create(data)
    return CreatedLink(payment_link_id=created.payment_link_id, checkout_url=created.checkout_url)


def _not_found(error: PayOSError) -> bool:
    return isinstance(error, NotFoundError) or (
        isinstance(error, APIError) and error.error_code == NOT_FOUND_CODE
    )


def get_link(order_code: int) -> PaymentLink | None:
    """What payOS knows of the link (status, amount paid, transactions), its answer's
    signature checked; None if payOS has no link with this order code."""
    try:
        with _client(max_retries=1) as payos:
            link: PaymentLink = payos.payment_requests.get(order_code)
    except PayOSError as error:
        if _not_found(error):
            return None
        raise
    return link


def cancel_link(order_code: int, reason: str) -> PaymentLink:
    """Close a link so it can no longer be paid (payOS refuses it for a paid link)."""
    with _client(max_retries=1) as payos:
        link: PaymentLink = payos.payment_requests.cancel(order_code, reason[:100] or None)
    return link


def verify_webhook(body: bytes) -> WebhookData:
    """The webhook's data, if its signature is the checksum key's; WebhookError otherwise
    (bad JSON, a missing field, a wrong signature)."""
    with _client(max_retries=0) as payos:
        data: WebhookData = payos.webhooks.verify(body)
    return data
