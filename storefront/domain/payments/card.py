"""Card payments: opening Stripe Checkout for an order, applying Stripe's verdicts (webhook or
reconciliation) exactly once and only forwards, refunding cancelled orders.

Pattern everywhere: read what the network call needs, close the transaction, call Stripe,
then record the answer in a new transaction with a guarded UPDATE."""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import stripe
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, exists, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from storefront.core.db import Unit, aware, end_read, unit_of_work
from storefront.core.errors import InvalidTransition, NotFound, PaymentProviderError
from storefront.domain import notifications as notify
from storefront.domain.jobs import later, task
from storefront.domain.ledger import postings as ledger
from storefront.domain.orders.lifecycle import cancel_and_restock, move_order
from storefront.domain.payments import stripe_gateway as gateway
from storefront.extensions import db
from storefront.models import (
    Order,
    OrderStatus,
    Payment,
    PaymentMethod,
    PaymentStatus,
    Shipment,
    ShipmentStatus,
    WebhookEvent,
    utcnow,
)

log = logging.getLogger(__name__)

PROVIDER = "stripe"
COMPLETED = "checkout.session.completed"
ASYNC_SUCCEEDED = "checkout.session.async_payment_succeeded"
ASYNC_FAILED = "checkout.session.async_payment_failed"
EXPIRED = "checkout.session.expired"
HANDLED_EVENTS = frozenset({COMPLETED, ASYNC_SUCCEEDED, ASYNC_FAILED, EXPIRED})
STRIPE_MINIMUM_SESSION = timedelta(minutes=30)
# What an event that matches no payment (yet) comes to: never recorded as handled.
UNMATCHED = "unknown_session"


# --- opening the checkout page ---------------------------------------------------------------


def _closes_at(payment: Payment) -> datetime:
    """When a card attempt's payment page closes (every card attempt has the time set)."""
    assert payment.expires_at is not None
    return aware(payment.expires_at)


def _attempt_request(order: Order, payment: Payment) -> gateway.CheckoutRequest:
    with force_locale(order.locale):
        shipping_label = _("Shipping")
    return gateway.CheckoutRequest(
        order_number=order.number,
        payment_id=payment.id,
        email=order.email,
        locale=order.locale,
        lines=tuple(
            gateway.CheckoutLine(
                name=f"{line.product_name} – {line.package_label}",
                unit_amount=line.unit_price,
                quantity=line.quantity,
            )
            for line in order.lines
        ),
        shipping_total=order.shipping_total,
        expires_at=_closes_at(payment),
        shipping_label=shipping_label,
    )


def _open_attempt(order_number: str, now: datetime) -> tuple[gateway.CheckoutRequest, str | None]:
    """The order's current card attempt (a new one if the last could no longer be opened at
    Stripe); commits only when it had to add one."""
    with unit_of_work(writer=True):
        order = db.session.scalar(select(Order).where(Order.number == order_number))
        if order is None:
            raise NotFound(_("Order not found."))
        if order.status is not OrderStatus.AWAITING_PAYMENT:
            raise InvalidTransition(_("This order is not waiting for a card payment."))
        payment = order.payments[-1] if order.payments else None
        if (
            payment is None
            or payment.provider != PROVIDER
            or payment.status is not PaymentStatus.PENDING
        ):
            raise InvalidTransition(_("This order is not waiting for a card payment."))
        if (
            payment.provider_session_id is None
            and _closes_at(payment) - now < STRIPE_MINIMUM_SESSION
        ):
            # Stripe refuses a session living under 30 minutes. The old attempt never got a
            # session (or one whose address nobody received): a new attempt gets a new key.
            payment.status = PaymentStatus.FAILED
            payment.failure_reason = "checkout session could not be created in time"
            minutes = int(current_app.config["STRIPE_CHECKOUT_MINUTES"])
            payment = Payment(
                provider=PROVIDER,
                amount=order.total,
                currency="vnd",
                status=PaymentStatus.PENDING,
                expires_at=now + timedelta(minutes=minutes),
            )
            order.payments.append(payment)
            db.session.flush()
        request = _attempt_request(order, payment)
        session_id = payment.provider_session_id
    return request, session_id


def start_card_payment(
    order_number: str, *, success_url: str, cancel_url: str, now: datetime | None = None
) -> str:
    """The Stripe Checkout address where the buyer pays this order (created after the
    order's commit; reopened if it exists and is still open)."""
    request, session_id = _open_attempt(order_number, now or utcnow())
    try:
        if session_id is not None:
            session = gateway.retrieve_checkout_session(session_id)
            if session.get("status") == "open" and session.get("url"):
                url: str = session["url"]
                return url
            raise InvalidTransition(_("The payment page for this order has closed."))
        session = gateway.create_checkout_session(
            request, success_url=success_url, cancel_url=cancel_url
        )
    except stripe.StripeError as error:
        log.warning("Stripe checkout for order %s failed: %s", request.order_number, error)
        raise PaymentProviderError(
            _(
                "Card payment could not be started. Your order %(number)s is kept for a while:"
                " try again from its page, or cancel it.",
                number=request.order_number,
            )
        ) from error
    _record_session(request.payment_id, session["id"])
    new_url: str = session["url"]
    return new_url


def _record_session(payment_id: int, session_id: str) -> None:
    with unit_of_work(writer=True):
        db.session.execute(
            update(Payment)
            .where(Payment.id == payment_id, Payment.provider_session_id.is_(None))
            .values(provider_session_id=session_id, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )


def order_for_session(session_id: str) -> Order | None:
    """The order a Stripe Checkout Session is for (the success page's lookup)."""
    if not session_id:
        return None
    return db.session.scalar(
        select(Order)
        .join(Payment, Payment.order_id == Order.id)
        .where(Payment.provider_session_id == session_id)
        .options(selectinload(Order.shipments), selectinload(Order.payments))
    )


# --- applying Stripe's verdicts --------------------------------------------------------------


@dataclass
class Effect:
    """What a verdict did (what must follow its commit is registered on the unit of work)."""

    outcome: str
    order_id: int | None = None


def _locked_payment(clause: ColumnElement[bool]) -> Payment | None:
    # Every verdict on a payment locks its row first (then the order's): two events for one
    # session (say "completed" and a late "expired") take turns, and the second one sees the
    # first one's result, so states only ever move forward. SQLite: BEGIN IMMEDIATE already
    # serialises writers, and FOR UPDATE is left out.
    return db.session.scalar(
        select(Payment).where(clause).with_for_update().execution_options(populate_existing=True)
    )


def _payment_for_session(obj: Mapping[str, Any]) -> Payment | None:
    """The card payment a Checkout Session event is about, its row locked; None if no payment
    is (yet) known to be the session's.

    By the session id we recorded; failing that (the write of the id was lost after the
    redirect) by the attempt its metadata names, but only a card payment of that order still
    waiting for exactly this sum, which then gets the session id. An event without a session
    id matches nothing: `provider_session_id == None` would be IS NULL, every cash-on-delivery
    payment included.
    """
    session_id = obj.get("id")
    if not isinstance(session_id, str) or not session_id:
        return None
    payment = _locked_payment(Payment.provider_session_id == session_id)
    if payment is not None:
        return payment
    metadata = obj.get("metadata")
    if not isinstance(metadata, Mapping):
        return None
    payment_id = str(metadata.get("payment_id", ""))
    if not (payment_id.isascii() and payment_id.isdigit() and len(payment_id) < 19):
        return None
    # Locked by its id alone: an event for the same session delivered at the same moment may
    # hold the lock and record the session id; once it commits, the row read here has it.
    payment = _locked_payment(Payment.id == int(payment_id))
    if payment is None:
        return None
    if payment.provider_session_id == session_id:
        return payment
    if payment.provider_session_id is None and _awaits_this_session(payment, obj, metadata):
        payment.provider_session_id = session_id
        return payment
    return None


def _awaits_this_session(
    payment: Payment, obj: Mapping[str, Any], metadata: Mapping[str, Any]
) -> bool:
    """Whether a payment with no session id recorded can be the one this session pays: a card
    attempt at Stripe, still pending, of the order the metadata names, for the same sum."""
    order = payment.order
    return (
        payment.provider == PROVIDER
        and order.payment_method is PaymentMethod.CARD
        and payment.status is PaymentStatus.PENDING
        and order.status is OrderStatus.AWAITING_PAYMENT
        and order.number == metadata.get("order_number")
        and type(obj.get("amount_total")) is int
        and obj.get("amount_total") == payment.amount
        and str(obj.get("currency") or "").lower() == payment.currency
    )


def _mark_paid(unit: Unit, payment: Payment, obj: Mapping[str, Any]) -> Effect:
    order = payment.order
    if payment.status in (PaymentStatus.PAID, PaymentStatus.REFUNDED):
        return Effect("already_paid", order.id)
    amount, currency = obj.get("amount_total"), str(obj.get("currency") or "").lower()
    payment.provider_payment_id = obj.get("payment_intent") or payment.provider_payment_id
    if amount != payment.amount or currency != payment.currency:
        # Never call an order paid for a sum it does not cost; a person has to look.
        payment.failure_reason = (
            f"amount mismatch: Stripe reported {amount} {currency},"
            f" the order costs {payment.amount} {payment.currency}"
        )
        log.error("order %s: %s", order.number, payment.failure_reason)
        return Effect("amount_mismatch", order.id)
    payment.status = PaymentStatus.PAID
    payment.failure_reason = ""
    order_id = order.id
    receipt = f"stripe:payment:{payment.id}"
    ledger.record_money_received(
        order_id=order_id, amount=payment.amount, key=receipt, method="card"
    )
    if move_order(order, (OrderStatus.AWAITING_PAYMENT,), OrderStatus.PLACED):
        later(unit, notify.order_placed, order_id)
        return Effect("paid", order_id)
    # The order was cancelled (expired, or by the buyer) before the money arrived: the money
    # is recorded, and owed back (a failed refund is retried by the reconciliation).
    ledger.record_order_refund_owed(order_id, key=f"after:{receipt}", memo="paid after cancel")
    later(unit, settle_cancelled_order, order_id)
    return Effect("paid_after_cancel", order_id)


def _close_unpaid(
    unit: Unit, payment: Payment, status: PaymentStatus, reason: str, now: datetime
) -> Effect:
    order = payment.order
    order_id = order.id
    if payment.status is not PaymentStatus.PENDING:
        return Effect("no_change", order_id)  # states only move forward: paid stays paid
    payment.status = status
    payment.failure_reason = reason
    if cancel_and_restock(order, from_statuses=(OrderStatus.AWAITING_PAYMENT,), now=now):
        later(unit, notify.order_cancelled, order_id)
        return Effect("cancelled", order_id)
    return Effect("no_change", order_id)


def _apply_session(unit: Unit, obj: Mapping[str, Any], kind: str, now: datetime) -> Effect:
    """Apply what Stripe says about one Checkout Session inside `unit`; add-only, no commit."""
    payment = _payment_for_session(obj)
    if payment is None:
        log.warning("Stripe session %r matches no payment", obj.get("id"))
        return Effect(UNMATCHED)
    if kind == COMPLETED:
        if obj.get("payment_status") == "paid":
            return _mark_paid(unit, payment, obj)
        # An asynchronous method (a bank debit) is still settling: the order waits, and is
        # not expired meanwhile (the payment intent is recorded).
        if payment.status is PaymentStatus.PENDING:
            payment.provider_payment_id = obj.get("payment_intent") or payment.provider_payment_id
        return Effect("processing", payment.order_id)
    if kind == ASYNC_SUCCEEDED:
        return _mark_paid(unit, payment, obj)
    if kind == ASYNC_FAILED:
        return _close_unpaid(
            unit, payment, PaymentStatus.FAILED, "asynchronous payment failed", now
        )
    if kind == EXPIRED:
        return _close_unpaid(unit, payment, PaymentStatus.EXPIRED, "", now)
    return Effect("ignored")


def handle_stripe_event(event: Mapping[str, Any], *, now: datetime | None = None) -> str:
    """Apply one verified Stripe event exactly once; returns what happened.

    The event is recorded as handled in the same transaction as its effect, so a redelivery
    finds it and changes nothing; two deliveries racing collide on the unique id and one
    rolls back. An event about no payment we know yet (UNMATCHED) is kept with its payload,
    not handled: the webhook asks Stripe to deliver it again, the reconciliation tries it
    again too, and whichever comes once it matches applies it. Event types we do not handle
    are ignored (Stripe still gets its 200).
    """
    kind, event_id = event.get("type"), event.get("id")
    if kind not in HANDLED_EVENTS or not isinstance(event_id, str) or not event_id:
        return "ignored"
    for attempt in (1, 2):
        try:
            return _handle_once(event, kind, event_id, now or utcnow())
        except IntegrityError:
            # The same event, delivered twice at once, was recorded by the other delivery.
            # Once more: it is handled (a duplicate), or kept unmatched and tried again here.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _handle_once(event: Mapping[str, Any], kind: str, event_id: str, now: datetime) -> str:
    with unit_of_work(writer=True) as unit:
        # The event's row first, then the payment's: every path takes them in this order.
        record = db.session.scalar(
            select(WebhookEvent)
            .where(WebhookEvent.provider == PROVIDER, WebhookEvent.event_id == event_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if record is not None and record.handled_at is not None:
            return "duplicate"
        data = event.get("data")
        obj = data.get("object") if isinstance(data, Mapping) else None
        effect = _apply_session(unit, obj if isinstance(obj, Mapping) else {}, kind, now)
        if effect.outcome == UNMATCHED:
            if record is None:
                db.session.add(
                    WebhookEvent(
                        provider=PROVIDER, event_id=event_id, type=kind, payload=json.dumps(event)
                    )
                )
            return UNMATCHED
        if record is None:
            db.session.add(
                WebhookEvent(provider=PROVIDER, event_id=event_id, type=kind, handled_at=now)
            )
        else:
            record.handled_at, record.payload = now, ""
    return effect.outcome


def retry_unmatched_events(*, now: datetime | None = None) -> Counter[str]:
    """Apply again every kept event that matched no payment when it came (each in its own
    transaction, exactly as the webhook would); those still unmatched stay kept."""
    pending = db.session.scalars(
        select(WebhookEvent.payload)
        .where(WebhookEvent.provider == PROVIDER, WebhookEvent.handled_at.is_(None))
        .order_by(WebhookEvent.id)
    ).all()
    end_read()
    counts: Counter[str] = Counter()
    for payload in pending:
        try:
            event = json.loads(payload)
        except ValueError:
            counts["event_unreadable"] += 1
            continue
        counts[f"event_{handle_stripe_event(event, now=now)}"] += 1
    return counts


# --- cancelled orders: refund, or close the checkout page ------------------------------------


@task("payments.card.settle_cancelled_order")
def settle_cancelled_order(order_id: int) -> str:
    """After a cancellation commits: refund what it owes, or close a still-open checkout page.
    Network calls outside any transaction; idempotent, so the reconciliation can simply call
    it again when Stripe could not be reached.

    - each card-paid part a cooperative or staff cancelled on its own: its share
      (`Shipment.refund_due`), by a key of its own;
    - a cancelled order: the rest of the payment (all of it when no part was refunded on its
      own), by the payment's key.
    Never twice: each refund has one idempotency key and is looked up at Stripe by that key
    before it is sent again. The payment is "refunded" once nothing more is owed.

    If a refund call fails the payment stays "paid": the pages say "refund pending" and
    `flask payments reconcile` retries with the same key.
    """
    order = db.session.get(Order, order_id)
    if order is None:
        end_read()
        return "nothing"
    number = order.number
    cancelled = order.status is OrderStatus.CANCELLED
    paid = [
        (p.id, p.provider_payment_id, p.amount)
        for p in order.payments
        if p.provider == PROVIDER and p.status is PaymentStatus.PAID and p.provider_payment_id
    ]
    parts_total = sum(s.refund_due for s in order.shipments if s.refund_due > 0)
    parts_owed = [
        (s.id, s.refund_due)
        for s in order.shipments
        if s.refund_due > 0 and s.refund_id is None and s.status is ShipmentStatus.CANCELLED
    ]
    to_close = [
        p.provider_session_id
        for p in order.payments
        if p.provider == PROVIDER and p.status is PaymentStatus.PENDING and p.provider_session_id
    ]
    end_read()
    outcome = "nothing"
    if paid and parts_owed:
        payment_intent = paid[-1][1]
        assert payment_intent is not None  # filtered above
        for shipment_id, amount in parts_owed:
            key = f"ocop-refund-{number}-part-{shipment_id}"
            try:
                refund = _refund_by_key(payment_intent, number, key, amount)
            except stripe.StripeError as error:
                log.error("refund of order %s, part %s, will retry: %s", number, shipment_id, error)
                outcome = "refund_failed"
                continue
            _record_part_refund(shipment_id, refund["id"])
            outcome = outcome if outcome == "refund_failed" else "refunded"
    if not cancelled:
        return outcome
    for payment_id, payment_intent, amount in paid:
        assert payment_intent is not None  # filtered above
        rest = amount - parts_total
        refund_id = None
        if rest > 0:
            try:
                refund = _refund_once(
                    payment_intent, number, payment_id, amount=rest if parts_total else None
                )
            except stripe.StripeError as error:
                log.error("refund of order %s failed, will retry: %s", number, error)
                outcome = "refund_failed"
                continue
            refund_id = refund["id"]
        if _record_refund(payment_id, refund_id, max(rest, 0)) and outcome != "refund_failed":
            outcome = "refunded"
    for session_id in to_close:
        try:
            gateway.expire_checkout_session(session_id)
            outcome = outcome if outcome != "nothing" else "session_closed"
        except stripe.StripeError as error:
            # Already expired or completed: its own webhook tells us which.
            log.info("closing session %s of order %s: %s", session_id, number, error)
    return outcome


def _refund_once(
    payment_intent: str, number: str, payment_id: int, *, amount: int | None = None
) -> dict[str, Any]:
    key = f"ocop-refund-{number}-{payment_id}"
    if amount is not None:
        return _refund_by_key(payment_intent, number, key, amount)
    try:
        return gateway.refund_payment(payment_intent, idempotency_key=key, order_number=number)
    except stripe.InvalidRequestError as error:
        # Idempotency keys live 24 hours: a later retry of a refund that did go through
        # is refused as "already refunded"; find that refund instead.
        if getattr(error, "code", None) == "charge_already_refunded":
            for refund in gateway.list_refunds(payment_intent):
                if refund.get("status") in ("succeeded", "pending"):
                    return refund
        raise


def _refund_by_key(payment_intent: str, number: str, key: str, amount: int) -> dict[str, Any]:
    """A partial refund, sent once: Stripe forgets idempotency keys after 24 hours, so the
    key also travels in the refund's metadata and an earlier refund with it is found first."""
    for refund in gateway.list_refunds(payment_intent):
        if (refund.get("metadata") or {}).get("refund_key") == key and refund.get("status") in (
            "succeeded",
            "pending",
        ):
            return refund
    return gateway.refund_payment(
        payment_intent, idempotency_key=key, order_number=number, amount=amount
    )


def _record_part_refund(shipment_id: int, refund_id: str) -> None:
    with unit_of_work(writer=True):
        recorded = db.session.execute(
            update(Shipment)
            .where(Shipment.id == shipment_id, Shipment.refund_id.is_(None))
            .values(refund_id=refund_id, updated_at=utcnow())
            .returning(Shipment.order_id, Shipment.refund_due)
            .execution_options(synchronize_session=False)
        ).first()
        if recorded is not None and recorded.refund_due > 0:
            ledger.record_refund_sent(
                key=f"shipment:{shipment_id}",
                amount=recorded.refund_due,
                order_id=recorded.order_id,
                shipment_id=shipment_id,
                memo=refund_id,
            )


def _record_refund(payment_id: int, refund_id: str | None, amount: int) -> bool:
    """The payment is refunded once its own refund (if any: `amount` đồng) is sent and no
    part's is owed; the ledger records the refund sent in the same unit of work."""
    owed = exists().where(
        Shipment.order_id == Payment.order_id,
        Shipment.status == ShipmentStatus.CANCELLED,
        Shipment.refund_due > 0,
        Shipment.refund_id.is_(None),
    )
    with unit_of_work(writer=True):
        values: dict[str, Any] = {"status": PaymentStatus.REFUNDED, "updated_at": utcnow()}
        if refund_id is not None:
            values["provider_refund_id"] = refund_id
        refunded = db.session.execute(
            update(Payment)
            .where(Payment.id == payment_id, Payment.status == PaymentStatus.PAID, ~owed)
            .values(**values)
            .returning(Payment.order_id)
            .execution_options(synchronize_session=False)
        ).scalar()
        if refunded is not None and amount > 0:
            ledger.record_refund_sent(
                key=f"payment:{payment_id}", amount=amount, order_id=refunded, memo=refund_id or ""
            )
        return refunded is not None


# --- reconciliation --------------------------------------------------------------------------


def reconcile_payments(*, now: datetime | None = None, min_age_minutes: int = 10) -> Counter[str]:
    """Ask Stripe about card payments stuck pending (a webhook lost or not yet configured)
    and retry refunds owed. Each answer is applied in its own transaction, with the same
    forward-only rules as the webhook; running it twice changes nothing more."""
    now = now or utcnow()
    counts: Counter[str] = Counter()
    stuck = (
        db.session.execute(
            select(Payment.provider_session_id)
            .where(
                Payment.provider == PROVIDER,
                Payment.status == PaymentStatus.PENDING,
                Payment.provider_session_id.is_not(None),
                Payment.created_at < now - timedelta(minutes=min_age_minutes),
            )
            .order_by(Payment.id)
        )
        .scalars()
        .all()
    )
    part_owed = exists().where(
        Shipment.order_id == Order.id,
        Shipment.status == ShipmentStatus.CANCELLED,
        Shipment.refund_due > 0,
        Shipment.refund_id.is_(None),
    )
    owed = (
        db.session.execute(
            select(Order.id)
            .join(Payment, Payment.order_id == Order.id)
            .where(
                or_(Order.status == OrderStatus.CANCELLED, part_owed),
                Order.payment_method == PaymentMethod.CARD,
                Payment.provider == PROVIDER,
                Payment.status == PaymentStatus.PAID,
            )
            .distinct()
            .order_by(Order.id)
        )
        .scalars()
        .all()
    )
    end_read()
    for session_id in filter(None, stuck):  # none is NULL: the query leaves those out
        try:
            session = gateway.retrieve_checkout_session(session_id)
        except stripe.StripeError as error:
            log.warning("reconcile: session %s: %s", session_id, error)
            counts["unreachable"] += 1
            continue
        status = session.get("status", "")
        kind = {"complete": COMPLETED, "expired": EXPIRED}.get(status)
        if kind is None:
            counts["still_open"] += 1
            continue
        counts[_apply_verdict(session, kind, now)] += 1
    for order_id in owed:
        counts[settle_cancelled_order(order_id)] += 1
    counts.update(retry_unmatched_events(now=now))
    return counts


def _apply_verdict(session: Mapping[str, Any], kind: str, now: datetime) -> str:
    with unit_of_work(writer=True) as unit:
        effect = _apply_session(unit, session, kind, now)
    return effect.outcome
