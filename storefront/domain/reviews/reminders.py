"""The review reminder: REMINDER_DELAY_DAYS after a shipment is delivered, one e-mail to the
buyer (an account's or a guest's order alike) with a signed review link per delivered line
not reviewed yet (links.py: the form opens without logging in), in the order's language.

Found by a periodic job (`flask reviews remind`, or the scheduler's `reviews-remind`): each
due shipment is claimed by a guarded UPDATE of `review_reminder_at` and its e-mail written to
the job outbox in the same unit of work, under the key "review-reminder:<shipment id>", so it
is sent once whatever runs twice or at once. A shipment whose lines were all reviewed
already, whose order has no e-mail, or whose buyer works for the cooperative is claimed with
no e-mail. Deliveries older than REMINDER_HORIZON_DAYS are left alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from storefront.core import clock
from storefront.core.db import Unit, rows_matched, unit_of_work
from storefront.core.urls import external_url
from storefront.domain.jobs import mail_later
from storefront.domain.reviews.links import max_age_days, review_link_token
from storefront.domain.reviews.rules import REMINDER_DELAY_DAYS, REMINDER_HORIZON_DAYS
from storefront.domain.reviews.writing import line_reviews
from storefront.extensions import db
from storefront.models import Order, OrderStatus, Shipment, ShipmentStatus

BATCH = 200  # shipments claimed per unit of work


@dataclass
class ReminderRun:
    """What one run did: shipments claimed, e-mails written to the outbox."""

    claimed: int = 0
    mailed: int = 0


def _due(now: datetime) -> list[Shipment]:
    return list(
        db.session.scalars(
            select(Shipment)
            .join(Order, Order.id == Shipment.order_id)
            .where(
                Shipment.status == ShipmentStatus.DELIVERED,
                Shipment.review_reminder_at.is_(None),
                Shipment.delivered_at <= now - timedelta(days=REMINDER_DELAY_DAYS),
                Shipment.delivered_at >= now - timedelta(days=REMINDER_HORIZON_DAYS),
                Order.status != OrderStatus.CANCELLED,
            )
            .options(
                # line_reviews reads every delivered line of the order.
                joinedload(Shipment.order)
                .selectinload(Order.shipments)
                .selectinload(Shipment.lines),
            )
            .order_by(Shipment.delivered_at, Shipment.id)
            .limit(BATCH)
        )
    )


def send_review_reminders(now: datetime | None = None) -> ReminderRun:
    """Claim every due shipment and write its reminder e-mail (safe to run at any time, and
    twice at once)."""
    now = (now or clock.now()).astimezone(UTC)
    run = ReminderRun()
    while True:
        with unit_of_work(writer=True) as unit:
            due = _due(now)
            for shipment in due:
                claimed = db.session.execute(
                    update(Shipment)
                    .where(Shipment.id == shipment.id, Shipment.review_reminder_at.is_(None))
                    .values(review_reminder_at=now)
                    .execution_options(synchronize_session=False)
                )
                if rows_matched(claimed) != 1:
                    continue  # another run claimed it first
                run.claimed += 1
                if _write_reminder(unit, shipment):
                    run.mailed += 1
        if len(due) < BATCH:
            return run


def _write_reminder(unit: Unit, shipment: Shipment) -> bool:
    order = shipment.order
    if not order.email:
        return False
    offered = line_reviews(order)
    lines = [
        line for line in shipment.lines if line.id in offered and offered[line.id].state == "write"
    ]
    if not lines:
        return False
    mail_later(
        unit,
        order.email,
        _l("How was your order %(number)s? Review it", number=order.number),
        "reviews/reminder",
        order.locale or "vi",
        key=f"review-reminder:{shipment.id}",
        recipient=order.recipient,
        number=order.number,
        cooperative=shipment.cooperative_name,
        days=max_age_days(),
        lines=[
            {
                "product": line.product_name,
                "package": line.package_label,
                "url": external_url("reviews.guest", token=review_link_token(line)),
            }
            for line in lines
        ],
    )
    return True
