"""The review reminder (issue 16, item 1): 3 days after delivery, once per shipment, a signed
link per line not reviewed yet, in the order's language; from cron and the scheduler."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from storefront.cli.jobs import PERIODIC, run_periodic
from storefront.domain.reviews.links import line_for_link
from storefront.domain.reviews.reminders import send_review_reminders
from storefront.domain.reviews.writing import ReviewInput, save_review
from storefront.extensions import db
from storefront.models import OutboxJob, Shipment
from tests.fixtures.mail import mails
from tests.fixtures.reviews import order_of, shop

LINK = re.compile(r"https?://\S+/reviews/link/(\S+)")


@pytest.fixture
def listing(make):
    return shop(make)[2]


def reminders(outbox):
    """The reminder e-mails (the orders' own confirmations left out)."""
    return [m for m in mails(outbox) if "/reviews/link/" in m.get_content()]


def reminded(shipment_id: int):
    db.session.expire_all()
    return db.session.get(Shipment, shipment_id).review_reminder_at


def test_three_days_after_delivery_one_mail_with_a_link_per_line(listing, make, outbox):
    guest = order_of(listing, days_ago=3.1)
    customer = make.user(name="Phạm Hoa")
    account = order_of(listing, buyer=customer, days_ago=4)
    early = order_of(listing, days_ago=2)
    undelivered = order_of(listing, deliver=False)
    old = order_of(listing, days_ago=45)

    run = send_review_reminders()
    assert (run.claimed, run.mailed) == (2, 2)
    sent = {m["To"]: m for m in reminders(outbox)}
    assert set(sent) == {"lan@example.vn", customer.email}
    body = sent["lan@example.vn"].get_content()
    [token] = LINK.findall(body)
    assert line_for_link(token).id == guest.line_id
    [token] = LINK.findall(sent[customer.email].get_content())
    assert line_for_link(token).id == account.line_id
    for bought in (guest, account):
        assert reminded(bought.line.shipment_id) is not None
    for bought in (early, undelivered, old):
        assert reminded(bought.line.shipment_id) is None

    # Again: nothing more (claimed once; the outbox key too).
    assert send_review_reminders().claimed == 0
    assert len(reminders(outbox)) == 2
    keys = set(db.session.scalars(select(OutboxJob.key)))
    assert {f"review-reminder:{guest.line.shipment_id}"} <= keys


def test_a_reviewed_line_gets_no_reminder_and_english_orders_get_english(listing, make, outbox):
    buyer = make.user()
    done = order_of(listing, buyer=buyer, days_ago=5)
    save_review(done.line_id, buyer, ReviewInput(rating=5))
    english = order_of(listing, days_ago=5, locale="en", email="an@example.com")
    run = send_review_reminders()
    assert (run.claimed, run.mailed) == (2, 1)
    [message] = reminders(outbox)
    assert message["To"] == "an@example.com"
    assert message["Subject"] == f"How was your order {english.order.number}? Review it"
    assert "Review it:" in message.get_content()


def test_no_reminder_to_the_cooperatives_own_member(listing, make, outbox):
    owner = listing.cooperative.members[0].user
    order_of(listing, buyer=owner, days_ago=5)
    assert send_review_reminders().mailed == 0
    assert reminders(outbox) == []


def test_the_scheduler_and_cron_run_it(app, listing, runner, outbox):
    assert "reviews-remind" in PERIODIC and "reviews-remind" in app.config["JOBS_SCHEDULE"]
    order_of(listing, days_ago=3.5)
    assert run_periodic("reviews-remind") == {"claimed": 1, "mailed": 1}
    order_of(listing, days_ago=3.5, email="khac@example.vn")
    result = runner.invoke(args=["reviews", "remind"])
    assert result.exit_code == 0, result.output
    assert "shipments claimed: 1, reminders queued: 1" in result.output
    assert len(reminders(outbox)) == 2
