"""A guest's order link: signed, long-lived (ORDER_LINK_MAX_AGE_DAYS), and good in any browser.

A guest has no account, so the order page is theirs by holding its link, the way a parcel
is theirs by holding its tracking number. The token names the order number and a
fingerprint of the order (its id and its contact: phone and e-mail), signed with the app's
SECRET_KEY under a salt of its own: it cannot be forged, it opens that one order only, and
it stops working when its age passes the setting, when the order's contact is corrected, or
when SECRET_KEY is rotated. Ages are read from the shop's clock, so tests can stop it.

Its own module (not under orders/) because the order e-mails (domain/notifications.py,
which the order rules import) print the link too.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from storefront.core import clock
from storefront.core.errors import DomainError
from storefront.extensions import db
from storefront.models import Order, Shipment

SALT = "ocop-order-link"
SECONDS_PER_DAY = 24 * 3600


class InvalidOrderLink(DomainError):
    """Forged, expired or no longer valid; the message never says whether the order exists."""

    code = "invalid_order_link"
    status = 400


class _ClockSigner(TimestampSigner):
    """itsdangerous' timestamp signer, reading the time from the shop's clock."""

    def get_timestamp(self) -> int:
        return int(clock.now().timestamp())


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT, signer=_ClockSigner)


def max_age_days() -> int:
    return int(current_app.config["ORDER_LINK_MAX_AGE_DAYS"])


def _fingerprint(order: Order) -> str:
    # Changes when the order's contact is corrected: a leaked link can be made useless.
    data = f"{order.id}:{order.number}:{order.phone}:{(order.email or '').lower()}"
    return hashlib.sha256(data.encode()).hexdigest()[:12]


def order_link_token(order: Order) -> str:
    """The signed token of the order's link (valid ORDER_LINK_MAX_AGE_DAYS from now)."""
    return _serializer().dumps([order.number, _fingerprint(order)])


def order_for_link(token: str) -> Order:
    """The order a link opens; InvalidOrderLink if the token is forged, expired, or no longer
    matches its order (the same words whether or not such an order exists)."""
    try:
        data: Any = _serializer().loads(token, max_age=max_age_days() * SECONDS_PER_DAY)
    except SignatureExpired:
        raise InvalidOrderLink(
            _("This order link has expired. Find your order with its number and your phone number.")
        ) from None
    except BadSignature:
        raise InvalidOrderLink(_("This order link is not valid.")) from None
    if (
        not isinstance(data, list)
        or len(data) != 2
        or not all(isinstance(part, str) for part in data)
    ):
        raise InvalidOrderLink(_("This order link is not valid."))
    number, fingerprint = data
    order = db.session.scalar(
        select(Order)
        .where(Order.number == number)
        .options(
            selectinload(Order.lines),
            # Each shipment's lines too: the order page lists them per cooperative.
            selectinload(Order.shipments).selectinload(Shipment.lines),
            selectinload(Order.payments),
        )
    )
    if order is None or not hmac.compare_digest(fingerprint, _fingerprint(order)):
        raise InvalidOrderLink(_("This order link is not valid."))
    return order
