"""Shared steps of the ledger tests: real orders through the real domain functions."""

from __future__ import annotations

from sqlalchemy import select

from storefront.domain.orders.fulfilment import advance_shipment
from storefront.domain.payments.card import handle_stripe_event, start_card_payment
from storefront.extensions import db
from storefront.models import LedgerEntry, LedgerTransaction, Order, PaymentMethod
from tests.fixtures.shop import CANCEL, SUCCESS, buy, event


def seller_with_package(make, *, price=150_000, stock=50, group=None, name=None):
    """An owner, their approved cooperative and one package on sale."""
    owner = make.user()
    coop = make.cooperative(owner=owner, **({"legal_name": name} if name else {}))
    kwargs = {"group": group} if group is not None else {}
    listing = make.listing(
        coop=coop, packages=[{"price": price, "stock": stock, "weight_grams": 1000}], **kwargs
    )
    return owner, coop, listing.packages[0]


def card_paid_order(stripe_fake, *items):
    """A card order for (package, quantity) items, paid at (fake) Stripe and applied through
    the webhook's domain function. Returns the order's number."""
    order = buy(*items, payment_method=PaymentMethod.CARD)
    number = order.number
    start_card_payment(number, success_url=SUCCESS, cancel_url=CANCEL)
    session_id = reload_order(number).payments[-1].provider_session_id
    handle_stripe_event(event("checkout.session.completed", stripe_fake.pay(session_id)))
    return number


def reload_order(number: str) -> Order:
    db.session.expire_all()
    return db.session.scalar(select(Order).where(Order.number == number))


def ship_and_deliver(shipment_id: int, owner_id: int, *, deliver: bool = True) -> None:
    advance_shipment(shipment_id, "ship", user_id=owner_id, carrier="GHN", tracking_number="1")
    if deliver:
        advance_shipment(shipment_id, "deliver", user_id=owner_id)


def postings_of(key: str) -> dict[tuple[str, int | None], int]:
    """{(account, cooperative id): amount} of the transaction posted under `key`."""
    rows = db.session.execute(
        select(LedgerEntry.account, LedgerEntry.cooperative_id, LedgerEntry.amount)
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .where(LedgerTransaction.key == key)
    ).all()
    out: dict[tuple[str, int | None], int] = {}
    for account, coop, amount in rows:
        out[(account.value, coop)] = out.get((account.value, coop), 0) + amount
    return out


def transaction_count() -> int:
    return len(db.session.scalars(select(LedgerTransaction.id)).all())
