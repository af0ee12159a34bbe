"""Bank transfer by VietQR: the operator's collection account (read from the settings by
core/vietqr_account.py, re-exported here), whether transfers are offered, and what a transfer
order still owes.

The payload and its image are pure (core/vietqr.py). Checkout, the order page (its QR and its
status endpoint) and the bank-notification webhook build on this module.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _

from storefront.core import vietqr
from storefront.core.db import aware
from storefront.core.errors import NotFound
from storefront.core.vietqr_account import CollectionAccount, collection_account
from storefront.domain.orders.lifecycle import current_payment, payment_state
from storefront.models import Order, OrderStatus, PaymentMethod, utcnow

__all__ = [
    "CollectionAccount",
    "TransferStatus",
    "collection_account",
    "order_transfer_payload",
    "transfer_payload",
    "transfer_payments_enabled",
    "transfer_status",
]


def transfer_payments_enabled(config: Mapping[str, Any] | None = None) -> bool:
    """Bank transfer is offered only when the collection account is fully configured."""
    return collection_account(config) is not None


def transfer_payload(account: CollectionAccount, amount: int, payment_code: str) -> str:
    """The VietQR string paying `amount` đồng with `payment_code` into the collection account."""
    return vietqr.build_payload(account.bank_bin, account.account_number, amount, payment_code)


# --- a transfer order's payment, as the buyer's page and its status endpoint show it ---------

# Where nothing more can happen on the page: it stops asking.
FINAL_STATES = frozenset({"paid", "refund_pending", "refunded", "not_paid", "failed"})


@dataclass(frozen=True)
class TransferStatus:
    """What the buyer of a bank transfer order sees about its money, at one moment."""

    state: str  # lifecycle.payment_state, with "transfer_expired" once the hold is over
    payment_code: str
    amount: int  # the order's total, đồng
    amount_received: int
    amount_due: int  # still to transfer: what the QR asks for
    expires_at: datetime | None  # aware; when the hold ends
    seconds_left: int  # 0 once the hold is over
    cancelled: bool  # the order is cancelled

    @property
    def payable(self) -> bool:
        """Whether the page shows the QR and the account: something is due and time is left."""
        return self.state in ("transfer_awaiting", "partly_paid") and self.amount_due > 0

    @property
    def final(self) -> bool:
        """Nothing more will change by itself (a hold run out but not yet cancelled may
        still see a late transfer matched)."""
        return self.cancelled or self.state in FINAL_STATES


def transfer_status(order: Order, now: datetime | None = None) -> TransferStatus | None:
    """The transfer's state for `order` (loaded with its payments); None for an order paid
    another way.

    A transfer still pending when its hold has run out reads "transfer_expired" at once (no
    QR, "not paid in time"), although `orders expire-unpaid` cancels the order only after the
    grace period: a transfer sent at the last moment is still matched meanwhile. A partly
    paid one keeps its QR for the balance (money has arrived: nobody cancels it by the clock).
    """
    if order.payment_method is not PaymentMethod.TRANSFER or not order.payments:
        return None
    payment = current_payment(order)
    assert payment is not None
    now = now or utcnow()
    state = payment_state(order)
    expires_at = aware(payment.expires_at)
    seconds_left = max(0, int((expires_at - now).total_seconds())) if expires_at else 0
    if state == "transfer_awaiting" and expires_at is not None and seconds_left == 0:
        state = "transfer_expired"
    return TransferStatus(
        state=state,
        payment_code=order.payment_code or "",
        amount=payment.amount,
        amount_received=payment.amount_received,
        amount_due=max(0, payment.amount - payment.amount_received),
        expires_at=expires_at,
        seconds_left=seconds_left,
        cancelled=order.status is OrderStatus.CANCELLED,
    )


def order_transfer_payload(order: Order, now: datetime | None = None) -> str:
    """The VietQR string for what `order` still owes; NotFound when nothing is to be paid by
    transfer now (another method, paid, expired, cancelled) or no account is configured."""
    account = collection_account()
    status = transfer_status(order, now)
    if account is None or status is None or not status.payable or not status.payment_code:
        raise NotFound(_("This order has nothing to pay by bank transfer."))
    return transfer_payload(account, status.amount_due, status.payment_code)
