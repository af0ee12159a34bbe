"""E-mails about orders: confirmation to the buyer, a new shipment to each cooperative, and
every change of a shipment to the buyer.

The domain function that makes the change writes one of these as a job in its unit of work
(`later(unit, notify.order_placed, order.id)`, storefront/domain/jobs): the job is committed
with the change, and run once it is (inline, or by a worker). It reads the order then, and
writes one e-mail job per message in its own unit of work; each e-mail is sent by its own job,
retried until it goes out, once. A failure to send never undoes the change it reports."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from storefront.core.db import aware, end_read, unit_of_work
from storefront.core.urls import external_url
from storefront.core.vietqr_account import collection_account
from storefront.domain.jobs import mail_later, task
from storefront.domain.order_links import order_link_token
from storefront.extensions import db
from storefront.models import (
    Cooperative,
    CooperativeMember,
    MemberRole,
    Order,
    OrderStatus,
    PaymentMethod,
    Shipment,
    User,
)

log = logging.getLogger(__name__)


@dataclass
class Mail:
    to: str
    subject: str
    template: str
    locale: str
    context: dict[str, Any] = field(default_factory=dict)


def send_mail(to: str, subject: str, template: str, locale: str, **context: Any) -> None:
    """The one place order e-mails leave through: an e-mail job (storefront.domain.jobs) in
    the current unit of work, sent by storefront.core.mail (SMTP, or the outbox folder), which
    renders templates/mail/<template>.txt in `locale`."""
    with unit_of_work() as unit:
        mail_later(unit, to, subject, template, locale, **context)


def _deliver(mails: list[Mail]) -> None:
    """Write the e-mails as jobs, all in one unit of work: the notification job that calls
    this is done once they are written (a retried one writes none twice: their keys follow
    from its own)."""
    end_read()
    with unit_of_work():
        for mail in mails:
            if not mail.to:  # a guest may order without an e-mail: the order link tells them
                continue
            send_mail(mail.to, mail.subject, mail.template, mail.locale, **mail.context)


def _order_context(order: Order) -> dict[str, Any]:
    """Plain values: templates render without touching the database."""
    return {
        "number": order.number,
        "recipient": order.recipient,
        "address": order.address_text,
        "phone": order.phone,
        "payment_method": order.payment_method.value,
        "subtotal": order.subtotal,
        "shipping_total": order.shipping_total,
        "total": order.total,
        "order_url": order_url(order),
        "cancelled_by": order.cancelled_by,
        "cancel_reason": order.cancel_reason,
        "shipments": [
            {
                "cooperative": s.cooperative_name,
                "status": s.status.value,
                "cancelled_by": s.cancelled_by,
                "cancel_reason": s.cancel_reason,
                "refund_due": s.refund_due,
                "shipping_fee": s.shipping_fee,
                "amount_due": s.subtotal + s.shipping_fee,
                "carrier": s.carrier,
                "tracking_number": s.tracking_number,
                "lines": [
                    {
                        "product": line.product_name,
                        "package": line.package_label,
                        "quantity": line.quantity,
                        "unit_price": line.unit_price,
                        "line_total": line.line_total,
                    }
                    for line in s.lines
                ],
            }
            for s in order.shipments
        ],
    }


def order_url(order: Order) -> str:
    """Where the buyer follows the order: a guest by its signed link (any browser, no
    account), a customer by the order page of their account."""
    if order.user_id is None:
        return external_url("orders.link", token=order_link_token(order))
    return external_url("orders.detail", number=order.number)


def _load_order(order_id: int) -> Order | None:
    return db.session.scalar(
        select(Order)
        .where(Order.id == order_id)
        .options(
            selectinload(Order.shipments).selectinload(Shipment.lines),
            selectinload(Order.payments),
        )
    )


def cooperative_addresses(cooperative_ids: list[int]) -> dict[int, tuple[str, str]]:
    """Where to write each cooperative: its own e-mail, else its owner's; and its language."""
    coops = db.session.execute(
        select(Cooperative.id, Cooperative.email, Cooperative.locale).where(
            Cooperative.id.in_(cooperative_ids)
        )
    ).all()
    owners = dict(
        db.session.execute(
            select(CooperativeMember.cooperative_id, User.email)
            .join(User, User.id == CooperativeMember.user_id)
            .where(
                CooperativeMember.cooperative_id.in_(cooperative_ids),
                CooperativeMember.role == MemberRole.OWNER,
            )
            .order_by(CooperativeMember.id.desc())
        ).all()
    )
    return {
        coop_id: (email or owners.get(coop_id, ""), locale or "vi")
        for coop_id, email, locale in coops
        if email or owners.get(coop_id)
    }


def _transfer_context(order: Order) -> dict[str, Any]:
    """How to pay a bank transfer order still waiting for its money: the collection account,
    the amount still due, the payment code and when the hold ends."""
    payment = order.payments[-1] if order.payments else None
    account = collection_account()
    if payment is None or account is None:
        return {}
    return {
        "transfer": {
            "bank": account.bank.short_name if account.bank else account.bank_bin,
            "bank_name": account.bank.name if account.bank else "",
            "account_number": account.account_number,
            "account_name": account.account_name,
            "amount_due": max(0, payment.amount - payment.amount_received),
            "payment_code": order.payment_code or "",
            "expires_at": aware(payment.expires_at),
        }
    }


@task("notify.order_placed")
def order_placed(order_id: int) -> None:
    """The buyer's confirmation, and each cooperative's new shipment (cash on delivery at
    placement; a card or bank transfer order once its payment is confirmed).

    A bank transfer order still waiting for its money (just placed) sends the buyer only the
    payment instructions: the cooperatives hear of it when it is paid, when this is called
    again and the buyer's mail says the payment was received."""
    order = _load_order(order_id)
    if order is None:
        return
    context = _order_context(order)
    awaiting_transfer = (
        order.payment_method is PaymentMethod.TRANSFER
        and order.status is OrderStatus.AWAITING_PAYMENT
    )
    if awaiting_transfer:
        context.update(_transfer_context(order))
    with force_locale(order.locale):
        subject = (
            _("Order %(number)s: pay by bank transfer", number=order.number)
            if awaiting_transfer
            else _("Your order %(number)s at OCOP Market", number=order.number)
        )
    mails = [Mail(order.email, subject, "orders/order_placed", order.locale, context)]
    if awaiting_transfer:
        _deliver(mails)
        return
    addresses = cooperative_addresses([s.cooperative_id for s in order.shipments])
    for shipment, data in zip(order.shipments, context["shipments"], strict=True):
        if shipment.cooperative_id not in addresses:
            log.warning(
                "cooperative %s has no e-mail for order %s", shipment.cooperative_id, order.number
            )
            continue
        to, locale = addresses[shipment.cooperative_id]
        with force_locale(locale):
            subject = _("New order %(number)s to ship", number=order.number)
        mails.append(
            Mail(
                to,
                subject,
                "orders/new_shipment",
                locale,
                {
                    **context,
                    "shipment": data,
                    "shipment_url": external_url("seller.shipment", shipment_id=shipment.id),
                },
            )
        )
    _deliver(mails)


@task("notify.order_cancelled")
def order_cancelled(order_id: int, *, tell_cooperatives: bool = False) -> None:
    order = _load_order(order_id)
    if order is None:
        return
    context = _order_context(order)
    with force_locale(order.locale):
        subject = _("Order %(number)s is cancelled", number=order.number)
    mails = [Mail(order.email, subject, "orders/order_cancelled", order.locale, context)]
    if tell_cooperatives:
        addresses = cooperative_addresses([s.cooperative_id for s in order.shipments])
        for shipment in order.shipments:
            if shipment.cooperative_id in addresses:
                to, locale = addresses[shipment.cooperative_id]
                with force_locale(locale):
                    coop_subject = _("Order %(number)s is cancelled", number=order.number)
                mails.append(Mail(to, coop_subject, "orders/order_cancelled", locale, context))
    _deliver(mails)


@task("notify.shipment_changed")
def shipment_changed(shipment_id: int) -> None:
    """Tell the buyer what became of one cooperative's shipment."""
    shipment = db.session.get(Shipment, shipment_id)
    if shipment is None:
        return
    order = _load_order(shipment.order_id)
    if order is None:  # a shipment always belongs to an order; for the type checker
        return
    context = _order_context(order)
    data = next(
        s
        for s, row in zip(context["shipments"], order.shipments, strict=True)
        if row.id == shipment_id
    )
    with force_locale(order.locale):
        subject = _(
            "Order %(number)s: news from %(cooperative)s",
            number=order.number,
            cooperative=shipment.cooperative_name,
        )
    cash = shipment.cash_collected_at is not None
    _deliver(
        [
            Mail(
                order.email,
                subject,
                "orders/shipment_changed",
                order.locale,
                {**context, "shipment": data, "cash_collected": cash},
            )
        ]
    )


@task("notify.shipment_cancelled")
def shipment_cancelled(shipment_id: int, *, tell_cooperative: bool = False) -> None:
    """Tell the buyer that one cooperative's part of their order is cancelled, and why (and
    the cooperative too, when the Farmers' Association cancelled it)."""
    shipment = db.session.get(Shipment, shipment_id)
    if shipment is None:
        return
    order = _load_order(shipment.order_id)
    if order is None:  # a shipment always belongs to an order; for the type checker
        return
    context = _order_context(order)
    data = next(
        s
        for s, row in zip(context["shipments"], order.shipments, strict=True)
        if row.id == shipment_id
    )
    context = {**context, "shipment": data, "order_cancelled": order.status.value == "cancelled"}
    with force_locale(order.locale):
        subject = _(
            "Order %(number)s: %(cooperative)s's part is cancelled",
            number=order.number,
            cooperative=shipment.cooperative_name,
        )
    mails = [Mail(order.email, subject, "orders/shipment_cancelled", order.locale, context)]
    if tell_cooperative:
        addresses = cooperative_addresses([shipment.cooperative_id])
        if shipment.cooperative_id in addresses:
            to, locale = addresses[shipment.cooperative_id]
            with force_locale(locale):
                coop_subject = _(
                    "Order %(number)s: your part was cancelled by the Farmers' Association",
                    number=order.number,
                )
            mails.append(
                Mail(
                    to,
                    coop_subject,
                    "orders/shipment_cancelled_cooperative",
                    locale,
                    {
                        **context,
                        "shipment_url": external_url("seller.shipment", shipment_id=shipment_id),
                    },
                )
            )
    _deliver(mails)


def _transfer_payment_amounts(order: Order) -> tuple[int, int]:
    """(received, still owed) on the order's bank-transfer payment."""
    payment = next((p for p in reversed(order.payments) if p.provider == "vietqr"), None)
    if payment is None:
        return 0, 0
    return payment.amount_received, max(payment.amount - payment.amount_received, 0)


@task("notify.transfer_balance_due")
def transfer_balance_due(order_id: int) -> None:
    """A bank transfer came short: the buyer is told what arrived and the balance to send."""
    order = _load_order(order_id)
    if order is None:
        return
    received, balance = _transfer_payment_amounts(order)
    context = {
        **_order_context(order),
        "received": received,
        "balance": balance,
        "payment_code": order.payment_code or "",
    }
    with force_locale(order.locale):
        subject = _("Order %(number)s: please transfer the balance", number=order.number)
    _deliver([Mail(order.email, subject, "orders/transfer_balance_due", order.locale, context)])


@task("notify.transfer_refund_due")
def transfer_refund_due(order_id: int, amount: int) -> None:
    """A transfer arrived after the order was cancelled for want of payment and its stock
    is gone: the buyer is told the money will be sent back."""
    order = _load_order(order_id)
    if order is None:
        return
    context = {**_order_context(order), "refund_amount": amount}
    with force_locale(order.locale):
        subject = _("Order %(number)s: your transfer will be refunded", number=order.number)
    _deliver([Mail(order.email, subject, "orders/transfer_refund_due", order.locale, context)])
