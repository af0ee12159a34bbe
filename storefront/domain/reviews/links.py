"""The review link of a reminder e-mail: signed, per order line, good in any browser.

Like the guest's order link (domain/order_links.py), but for one delivered line: the token
names the line's id and a fingerprint of its order (number, phone, e-mail), signed with the
app's SECRET_KEY under a salt of its own. It cannot be forged or turned to another line (the
id is inside the signature), it stops working after REVIEW_LINK_MAX_AGE_DAYS, when the
order's contact is corrected, or when SECRET_KEY is rotated. Whoever holds it may write, and
for EDIT_DAYS edit, that line's review, as the buyer: the e-mail went to the buyer.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from storefront.core import clock
from storefront.domain.reviews.rules import InvalidReviewLink
from storefront.extensions import db
from storefront.models import Order, OrderLine

SALT = "ocop-review-link"
SECONDS_PER_DAY = 24 * 3600


class _ClockSigner(TimestampSigner):
    """itsdangerous' timestamp signer, reading the time from the shop's clock."""

    def get_timestamp(self) -> int:
        return int(clock.now().timestamp())


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT, signer=_ClockSigner)


def max_age_days() -> int:
    return int(current_app.config["REVIEW_LINK_MAX_AGE_DAYS"])


def _fingerprint(line: OrderLine, order: Order) -> str:
    data = f"{line.id}:{order.number}:{order.phone}:{(order.email or '').lower()}"
    return hashlib.sha256(data.encode()).hexdigest()[:12]


def review_link_token(line: OrderLine) -> str:
    """The signed token of the line's review link (valid REVIEW_LINK_MAX_AGE_DAYS from now)."""
    return _serializer().dumps([line.id, _fingerprint(line, line.order)])


def line_for_link(token: str) -> OrderLine:
    """The order line a review link opens, or InvalidReviewLink (forged, expired, or no
    longer matching its order: the same words whether or not such a line exists)."""
    invalid = _("This review link is not valid. Open the link from your e-mail again.")
    try:
        data: Any = _serializer().loads(token, max_age=max_age_days() * SECONDS_PER_DAY)
    except SignatureExpired:
        raise InvalidReviewLink(
            _(
                "This review link has expired. Log in to review from your order page, or find"
                " your order with its number and your phone number."
            )
        ) from None
    except BadSignature:
        raise InvalidReviewLink(invalid) from None
    if (
        not isinstance(data, list)
        or len(data) != 2
        or not isinstance(data[0], int)
        or isinstance(data[0], bool)
        or not isinstance(data[1], str)
    ):
        raise InvalidReviewLink(invalid)
    line_id, fingerprint = data
    line = db.session.scalar(
        select(OrderLine)
        .where(OrderLine.id == line_id)
        .options(joinedload(OrderLine.order), joinedload(OrderLine.shipment))
    )
    if line is None or not hmac.compare_digest(fingerprint, _fingerprint(line, line.order)):
        raise InvalidReviewLink(invalid)
    return line
