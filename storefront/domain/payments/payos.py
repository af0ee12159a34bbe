"""payOS payment links: opening one per payment attempt, applying payOS's verdicts (signed
webhook, or its answer to an authenticated look-up) exactly once and only forwards, closing
links of cancelled orders, expiring unpaid orders, reconciliation.

The same discipline as card payments (card.py): read what the network call needs, close the
transaction, call payOS, record the answer in a new transaction with a guarded UPDATE.

One attempt = one Payment row = one payOS link: its order code is the Payment's id (unique,
positive, far below payOS's 2^53 cap), so payOS refuses a second link for the same attempt.
A new attempt is made only after payOS has said the previous link is closed (cancelled,
expired, or never created), so an order never has two links that could both be paid.
Nothing a browser sends (the return URL's query) changes any state.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from storefront.core.db import Unit, aware, end_read, unit_of_work
from storefront.core.errors import InvalidTransition, NotFound, PaymentProviderError
from storefront.domain import notifications as notify
from storefront.domain.jobs import later, task
from storefront.domain.ledger import postings as ledger
from storefront.domain.orders.lifecycle import cancel_and_restock, move_order
from storefront.domain.payments import payos_gateway as gateway
from storefront.extensions import db
from storefront.models import (
    Order,
    OrderStatus,
    Payment,
    PaymentMethod,
    PaymentStatus,
    WebhookEvent,
    utcnow,
)

log = logging.getLogger(__name__)

PROVIDER = "payos"
PAID_CODE = "00"  # a webhook's data.code for a successful payment
# A new attempt (after a cancelled or failed link) gets at least this long to be paid; it
# never shortens the time the order already had.
RETRY_MINUTES = 10
# What the webhook answers for a correctly signed call about no payment of ours: payOS's
# "confirm webhook" test call (sample data), or another shop's order on the same channel.
UNKNOWN_ORDER = "unknown_order"
AMOUNT_MISMATCH = "amount mismatch"
PAID_AFTER_CANCEL = "paid after the order was cancelled"
OPEN_AT_PAYOS = ("PENDING",)
IN_FLIGHT_AT_PAYOS = ("PROCESSING",)


def order_code(payment_id: int) -> int:
    """The payOS order code of an attempt (its Payment's id)."""
    return payment_id


def new_attempt(amount: int, expires_at: datetime) -> Payment:
    return Payment(
        provider=PROVIDER,
        amount=amount,
        currency="vnd",
        status=PaymentStatus.PENDING,
        expires_at=expires_at,
    )


# --- opening the payment link ----------------------------------------------------------------


@dataclass(frozen=True)
class Urls:
    return_url: str
    cancel_url: str


def _link_request(order: Order, payment: Payment, urls: Urls) -> gateway.LinkRequest:
    assert payment.expires_at is not None  # every payOS attempt has its expiry
    with force_locale(order.locale):
        shipping_label = _("Shipping")
    lines = [
        gateway.LinkLine(
            name=f"{line.product_name} – {line.package_label}"[:200],
            quantity=line.quantity,
            price=line.unit_price,
        )
        for line in order.lines
    ]
    if order.shipping_total:
        lines.append(gateway.LinkLine(name=shipping_label, quantity=1, price=order.shipping_total))
    return gateway.LinkRequest(
        order_code=order_code(payment.id),
        amount=payment.amount,
        # What the buyer's bank shows: the order number, within payOS's 25 characters.
        description=f"OCOP {order.number}"[: gateway.MAX_DESCRIPTION],
        lines=tuple(lines),
        buyer_name=order.recipient,
        buyer_phone=order.phone,
        buyer_email=order.email,
        buyer_address=order.address_text,
        return_url=urls.return_url,
        cancel_url=urls.cancel_url,
        expired_at=int(aware(payment.expires_at).timestamp()),
    )


def _awaiting_order(order_number: str) -> tuple[Order, Payment]:
    order = db.session.scalar(select(Order).where(Order.number == order_number))
    if order is None:
        raise NotFound(_("Order not found."))
    if order.payment_method is not PaymentMethod.PAYOS:
        raise InvalidTransition(_("This order is not paid through payOS."))
    if order.status is not OrderStatus.AWAITING_PAYMENT:
        if order.status is OrderStatus.PLACED:
            raise InvalidTransition(_("This order is already paid."))
        raise InvalidTransition(_("This order is no longer waiting for payment."))
    payment = order.payments[-1] if order.payments else None
    if (
        payment is None
        or payment.provider != PROVIDER
        or payment.status is not PaymentStatus.PENDING
    ):
        raise InvalidTransition(_("This order is no longer waiting for payment."))
    return order, payment


def _provider_error(number: str, error: Exception) -> PaymentProviderError:
    log.warning("payOS link for order %s failed: %s", number, error)
    return PaymentProviderError(
        _(
            "payOS could not be reached. Your order %(number)s is kept for a while: try again"
            " from its page, or cancel it.",
            number=number,
        )
    )


def start_payos_payment(
    order_number: str, *, urls: Urls, fresh: bool = False, now: datetime | None = None
) -> str | None:
    """The payOS checkout address where the buyer pays this order; None if payOS says the
    order's link is already paid (the order is then marked paid here).

    `fresh`: the attempt was just created with the order, so no link can exist yet. Otherwise
    payOS is asked first: a link still open is cancelled there before a new attempt replaces
    it (its checkout address is not kept), so two links can never both be paid.
    Raises PaymentProviderError when payOS cannot be reached: nothing changes then.
    """
    now = now or utcnow()
    try:
        order, payment = _awaiting_order(order_number)
        payment_id, link_id = payment.id, payment.provider_session_id
        assert payment.expires_at is not None  # every payOS attempt has its expiry
        closing_soon = aware(payment.expires_at) < now + timedelta(minutes=RETRY_MINUTES)
        request = _link_request(order, payment, urls)
    finally:
        end_read()
    if not fresh:
        try:
            link = gateway.get_link(order_code(payment_id))
        except gateway.PayOSError as error:
            raise _provider_error(order_number, error) from error
        if link is not None:
            if link.status in ("PAID", "UNDERPAID"):
                apply_link(link, now=now)
                if _is_paid(payment_id):
                    return None
                raise InvalidTransition(
                    _(
                        "payOS reports a payment for this order that does not match its total;"
                        " our staff will contact you."
                    )
                )
            if link.status in IN_FLIGHT_AT_PAYOS:
                raise InvalidTransition(
                    _("A payment for this order is being processed. Please check again shortly.")
                )
            if link.status in OPEN_AT_PAYOS:
                try:
                    gateway.cancel_link(order_code(payment_id), "replaced by a new payment link")
                except gateway.PayOSError as error:
                    raise _provider_error(order_number, error) from error
        # A closed link, or one payOS lost, or too little time left: a new attempt.
        if link is not None or link_id is not None or closing_soon:
            request = _replace_attempt(order_number, payment_id, urls, now)
            payment_id = request.order_code
    try:
        created = gateway.create_link(request)
    except gateway.PayOSError as error:
        raise _provider_error(order_number, error) from error
    _record_link(payment_id, created.payment_link_id)
    return created.checkout_url


def _is_paid(payment_id: int) -> bool:
    status = db.session.scalar(select(Payment.status).where(Payment.id == payment_id))
    end_read()
    return status is PaymentStatus.PAID


def _replace_attempt(
    order_number: str, payment_id: int, urls: Urls, now: datetime
) -> gateway.LinkRequest:
    """A new attempt in place of one whose link payOS has closed (guarded: only once)."""
    with unit_of_work(writer=True):
        payment = _locked_payment(payment_id)
        order, current = _awaiting_order(order_number)
        if payment is None or current.id != payment_id:
            raise InvalidTransition(_("This order changed meanwhile; please reload the page."))
        payment.status = PaymentStatus.FAILED
        payment.failure_reason = "payment link closed; replaced by a new attempt"
        assert payment.expires_at is not None
        expires_at = max(aware(payment.expires_at), now + timedelta(minutes=RETRY_MINUTES))
        replacement = new_attempt(order.total, expires_at)
        order.payments.append(replacement)
        db.session.flush()
        request = _link_request(order, replacement, urls)
    return request


def _record_link(payment_id: int, link_id: str) -> None:
    with unit_of_work(writer=True):
        db.session.execute(
            update(Payment)
            .where(Payment.id == payment_id, Payment.provider_session_id.is_(None))
            .values(provider_session_id=link_id, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )


# --- applying payOS's verdicts ---------------------------------------------------------------


def _locked_payment(payment_id: int) -> Payment | None:
    # The payment row first, then the order's (as card.py): two verdicts take turns.
    return db.session.scalar(
        select(Payment)
        .where(Payment.id == payment_id, Payment.provider == PROVIDER)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _payment_received(unit: Unit, payment: Payment, amount: int, reference: str) -> str:
    """THE point where payOS money is taken as received (the settlement ledger hooks here):
    the payment is paid, and its order placed (buyer and cooperatives told) — or, for an
    order cancelled before the money came, the money is recorded as owed back."""
    payment.status = PaymentStatus.PAID
    payment.amount_received = amount
    payment.provider_payment_id = reference
    payment.failure_reason = ""
    order = payment.order
    order_id = order.id
    receipt = f"payos:{payment.id}:{reference}"
    ledger.record_money_received(order_id=order_id, amount=amount, key=receipt, method="payos")
    # Any other attempt still pending is closed: this one paid the order.
    for other in order.payments:
        if other.id != payment.id and other.provider == PROVIDER:
            if other.status is PaymentStatus.PENDING:
                other.status = PaymentStatus.FAILED
                other.failure_reason = "another attempt paid the order"
                later(unit, _close_link_quietly, other.id)
    if move_order(order, (OrderStatus.AWAITING_PAYMENT,), OrderStatus.PLACED):
        later(unit, notify.order_placed, order_id)
        return "paid"
    # payOS has no refunds: staff pay it back by bank transfer (`payments reconcile` lists it).
    ledger.record_order_refund_owed(order_id, key=f"after:{receipt}", memo="paid after cancel")
    payment.failure_reason = f"{PAID_AFTER_CANCEL}: refund {amount} đồng by bank transfer"
    log.error("payOS payment %s: %s", payment.id, payment.failure_reason)
    return "paid_after_cancel"


def _apply_payment(unit: Unit, payment: Payment, code: str, amount: int, reference: str) -> str:
    if code != PAID_CODE:
        return "ignored"
    if payment.status in (PaymentStatus.PAID, PaymentStatus.REFUNDED):
        return "already_paid"  # states only move forward
    if type(amount) is not int or amount != payment.amount:
        # Never call an order paid for a sum it does not cost; a person has to look.
        payment.failure_reason = (
            f"{AMOUNT_MISMATCH}: payOS reported {amount} đồng (transaction {reference}),"
            f" the order costs {payment.amount} đồng"
        )
        log.error("payOS payment %s: %s", payment.id, payment.failure_reason)
        return "amount_mismatch"
    return _payment_received(unit, payment, amount, reference)


@dataclass(frozen=True)
class Verdict:
    """What payOS says about money for one attempt (a webhook's data, or a looked-up link)."""

    order_code: int
    code: str
    amount: int
    reference: str
    payload: str  # kept only for what a person has to look at


def handle_verdict(verdict: Verdict, *, now: datetime | None = None) -> str:
    """Apply one verified verdict exactly once (key: order code + transaction reference),
    recorded in the same transaction as its effect; two deliveries racing collide on the
    key and the second one is a duplicate."""
    for attempt in (1, 2):
        try:
            return _handle_once(verdict, now or utcnow())
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _handle_once(verdict: Verdict, now: datetime) -> str:
    key = f"{verdict.order_code}:{verdict.reference}"[:255]
    with unit_of_work(writer=True) as unit:
        record = db.session.scalar(
            select(WebhookEvent)
            .where(WebhookEvent.provider == PROVIDER, WebhookEvent.event_id == key)
            .with_for_update()
        )
        if record is not None:
            return "duplicate"
        payment = (
            _locked_payment(verdict.order_code)
            if 0 < verdict.order_code <= gateway.MAX_ORDER_CODE
            else None
        )
        if payment is None:
            log.warning("payOS order code %s matches no payment", verdict.order_code)
            return UNKNOWN_ORDER
        outcome = _apply_payment(unit, payment, verdict.code, verdict.amount, verdict.reference)
        keep = outcome == "amount_mismatch"
        db.session.add(
            WebhookEvent(
                provider=PROVIDER,
                event_id=key,
                type=outcome,
                handled_at=now,
                payload=verdict.payload if keep else "",
            )
        )
    return outcome


def handle_webhook(data: gateway.WebhookData, *, now: datetime | None = None) -> str:
    return handle_verdict(
        Verdict(
            order_code=data.order_code,
            code=data.code,
            amount=data.amount,
            reference=data.reference,
            payload=json.dumps(data.model_dump_camel_case(), ensure_ascii=False),
        ),
        now=now,
    )


def apply_link(link: gateway.PaymentLink, *, now: datetime | None = None) -> str:
    """Apply payOS's answer about a link (authenticated, signature checked): money on a
    PAID or UNDERPAID link goes through the webhook's path, under the same key, so a late
    webhook for it is a duplicate. Other states change nothing here."""
    if link.status not in ("PAID", "UNDERPAID"):
        return f"link_{link.status.lower()}"
    references = [t.reference for t in link.transactions]
    reference = references[-1] if len(references) == 1 else "+".join(references) or link.id
    return handle_verdict(
        Verdict(
            order_code=link.order_code,
            code=PAID_CODE,
            amount=link.amount_paid,
            reference=reference,
            payload=json.dumps(link.model_dump_camel_case(), ensure_ascii=False),
        ),
        now=now,
    )


# --- cancelled orders: close the link ----------------------------------------------------------


@task("payments.payos.close_link")
def _close_link_quietly(payment_id: int) -> None:
    try:
        gateway.cancel_link(order_code(payment_id), "order paid by another attempt")
    except gateway.PayOSError as error:
        log.info("closing payOS link %s: %s", payment_id, error)


def settle_cancelled_order(order_id: int, *, now: datetime | None = None) -> str:
    """After a payOS order is cancelled: close its open link at payOS so nobody pays for it.
    payOS is asked first: money already there is applied (recorded as owed back). Network
    calls outside any transaction; a payOS that cannot be reached leaves the payment pending,
    and `payments reconcile` tries again."""
    now = now or utcnow()
    pending = db.session.scalars(
        select(Payment.id)
        .join(Order, Order.id == Payment.order_id)
        .where(
            Payment.order_id == order_id,
            Payment.provider == PROVIDER,
            Payment.status == PaymentStatus.PENDING,
            Order.status == OrderStatus.CANCELLED,
        )
        .order_by(Payment.id)
    ).all()
    end_read()
    outcome = "nothing"
    for payment_id in pending:
        try:
            link = gateway.get_link(order_code(payment_id))
            if link is not None and link.status in ("PAID", "UNDERPAID"):
                outcome = apply_link(link, now=now)
                continue
            if link is not None and link.status in IN_FLIGHT_AT_PAYOS:
                outcome = "in_flight"
                continue
            if link is not None and link.status in OPEN_AT_PAYOS:
                gateway.cancel_link(order_code(payment_id), "order cancelled")
        except gateway.PayOSError as error:
            log.warning(
                "closing the payOS link of order %s failed, will retry: %s", order_id, error
            )
            outcome = "unreachable"
            continue
        with unit_of_work(writer=True):
            db.session.execute(
                update(Payment)
                .where(Payment.id == payment_id, Payment.status == PaymentStatus.PENDING)
                .values(
                    status=PaymentStatus.FAILED,
                    failure_reason="order cancelled; payment link closed",
                    updated_at=utcnow(),
                )
                .execution_options(synchronize_session=False)
            )
        outcome = "link_closed" if outcome == "nothing" else outcome
    return outcome


# --- expiry ------------------------------------------------------------------------------------


def expire_unpaid_payos_orders(now: datetime | None = None) -> list[str]:
    """Cancel and restock payOS orders whose link expired (plus the grace period) unpaid.
    payOS is asked first, as the reconciliation does: a link paid whose webhook was lost is
    applied instead; a link still open is cancelled at payOS before the order is. An order
    payOS cannot be asked about is left for the next run. Returns the cancelled numbers."""
    now = now or utcnow()
    grace = timedelta(minutes=int(current_app.config["UNPAID_ORDER_GRACE_MINUTES"]))
    candidates = db.session.execute(
        select(Order.id, Payment.id)
        .join(Payment, Payment.order_id == Order.id)
        .where(
            Order.status == OrderStatus.AWAITING_PAYMENT,
            Payment.provider == PROVIDER,
            Payment.status == PaymentStatus.PENDING,
            Payment.expires_at < now - grace,
        )
        .order_by(Order.id)
    ).all()
    end_read()
    expired = []
    for order_id, payment_id in candidates:
        try:
            link = gateway.get_link(order_code(payment_id))
            if link is not None and link.status in ("PAID", "UNDERPAID"):
                apply_link(link, now=now)
                continue
            if link is not None and link.status in IN_FLIGHT_AT_PAYOS:
                continue
            if link is not None and link.status in OPEN_AT_PAYOS:
                gateway.cancel_link(order_code(payment_id), "expired unpaid")
        except gateway.PayOSError as error:
            log.warning("expiry: payOS link %s: %s", payment_id, error)
            continue
        with unit_of_work(writer=True) as unit:
            payment = _locked_payment(payment_id)
            order = db.session.get(Order, order_id)
            assert payment is not None and order is not None  # selected above, never deleted
            number = order.number
            done = payment.status is PaymentStatus.PENDING and cancel_and_restock(
                order, from_statuses=(OrderStatus.AWAITING_PAYMENT,), now=now
            )
            if done:
                payment.status = PaymentStatus.EXPIRED
                later(unit, notify.order_cancelled, order_id)
        if done:
            expired.append(number)
    return expired


# --- reconciliation ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Mismatch:
    order_number: str
    payment_id: int
    reason: str


def reconcile_payos(*, now: datetime | None = None, min_age_minutes: int = 10) -> Counter[str]:
    """Ask payOS about payOS payments stuck pending (a webhook lost or not yet confirmed) and
    apply its answer with the webhook's rules; close the links of cancelled orders. Each in
    its own transaction; running it twice changes nothing more."""
    now = now or utcnow()
    rows = db.session.execute(
        select(Payment.id, Order.id, Order.status)
        .join(Order, Order.id == Payment.order_id)
        .where(
            Payment.provider == PROVIDER,
            Payment.status == PaymentStatus.PENDING,
            Payment.created_at < now - timedelta(minutes=min_age_minutes),
        )
        .order_by(Payment.id)
    ).all()
    end_read()
    counts: Counter[str] = Counter()
    for payment_id, order_id, status in rows:
        if status is OrderStatus.CANCELLED:
            counts[f"payos_{settle_cancelled_order(order_id, now=now)}"] += 1
            continue
        try:
            link = gateway.get_link(order_code(payment_id))
        except gateway.PayOSError as error:
            log.warning("reconcile: payOS link %s: %s", payment_id, error)
            counts["payos_unreachable"] += 1
            continue
        if link is None:
            counts["payos_no_link"] += 1
            continue
        counts[f"payos_{apply_link(link, now=now)}"] += 1
    return counts


def payos_mismatches() -> list[Mismatch]:
    """payOS money a person has to look at: a wrong amount, or money for a cancelled order
    (payOS has no refunds: staff pay it back by bank transfer, then record it)."""
    rows = db.session.execute(
        select(Order.number, Order.status, Payment.id, Payment.status, Payment.amount_received)
        .add_columns(Payment.failure_reason)
        .join(Order, Order.id == Payment.order_id)
        .where(
            Payment.provider == PROVIDER,
            Payment.failure_reason.startswith(AMOUNT_MISMATCH)
            | Payment.failure_reason.startswith(PAID_AFTER_CANCEL)
            | ((Payment.status == PaymentStatus.PAID) & (Order.status == OrderStatus.CANCELLED)),
        )
        .order_by(Payment.id)
    ).all()
    found = []
    for number, order_status, payment_id, status, received, reason in rows:
        if not reason and status is PaymentStatus.PAID and order_status is OrderStatus.CANCELLED:
            reason = f"order cancelled after payment: refund {received} đồng by bank transfer"
        found.append(Mismatch(number, payment_id, reason))
    return found
