"""Which payment a signed Stripe event is about: the recorded session id, or the attempt its
metadata names only while that card payment still waits for exactly this sum; an event that
matches nothing yet is refused (Stripe retries it), kept for `flask payments reconcile`, and
never recorded as handled."""

from __future__ import annotations

import threading

from sqlalchemy import func, select, update

from storefront.models import (
    OrderStatus,
    Payment,
    PaymentMethod,
    PaymentStatus,
    WebhookEvent,
)
from tests.fixtures.shop import buy, card_order, event, reload, send_webhook

UNMATCHED = 409


def handled_events(db) -> int:
    db.session.expire_all()
    return db.session.scalar(
        select(func.count()).select_from(WebhookEvent).where(WebhookEvent.handled_at.is_not(None))
    )


def kept_events(db) -> list[str]:
    """Ids of the events kept because they matched no payment yet."""
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(WebhookEvent.event_id)
            .where(WebhookEvent.handled_at.is_(None))
            .order_by(WebhookEvent.id)
        )
    )


def lost_session_order(db, make, stripe_fake, **kwargs):
    """A card order sent to Stripe whose session id never reached the database (the write
    after the redirect was lost): only the session's metadata names the attempt."""
    number, session, package = card_order(db, make, stripe_fake, **kwargs)
    db.session.execute(
        update(Payment)
        .where(Payment.provider_session_id == session["id"])
        .values(provider_session_id=None)
    )
    db.session.commit()
    return number, session, package


def settling_then_paid(stripe_fake, session: dict) -> list[dict]:
    """A bank debit: "completed" while it settles, then "async_payment_succeeded"."""
    paid = stripe_fake.pay(session["id"])
    return [
        event("checkout.session.completed", dict(paid, payment_status="unpaid")),
        event("checkout.session.async_payment_succeeded", paid),
    ]


def deliver_together(app, deliveries: list[dict]) -> list:
    """Every event POSTed at the same moment, each thread with its own client (its own app
    context and database session per request, as on a real server)."""
    barrier = threading.Barrier(len(deliveries))
    answers: list = [None] * len(deliveries)

    def deliver(i: int) -> None:
        client = app.test_client()
        try:
            barrier.wait(timeout=60)
            response = send_webhook(client, deliveries[i])
            answers[i] = (response.status_code, response.get_json()["outcome"])
        except Exception as error:  # noqa: BLE001 - any other outcome fails the test
            answers[i] = repr(error)

    threads = [threading.Thread(target=deliver, args=(i,)) for i in range(len(deliveries))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return answers


# --- (a) two events for a session whose id was never recorded, arriving together -------------


def test_two_events_for_an_unrecorded_session_arriving_together_both_count(
    app, client, db, make, stripe_fake, outbox
):
    # Each pair races on its own; on SQLite the writers queue, on PostgreSQL the second one
    # waits on the payment's row lock and must then see the session the first one recorded.
    for _round in range(10):
        number, session, _ = lost_session_order(db, make, stripe_fake, quantity=1)
        pair = settling_then_paid(stripe_fake, session)
        db.session.remove()
        answers = deliver_together(app, pair)
        assert sorted(answers) == [(200, "paid"), (200, "processing")], answers
        order = reload(db, number)
        assert order.status is OrderStatus.PLACED, number
        [payment] = order.payments
        assert payment.status is PaymentStatus.PAID
        assert payment.provider_session_id == session["id"]
    assert handled_events(db) == 20


def test_twenty_simultaneous_deliveries_each_take_effect_exactly_once(
    app, db, make, stripe_fake, outbox
):
    orders = [lost_session_order(db, make, stripe_fake, quantity=1) for _ in range(5)]
    orders += [card_order(db, make, stripe_fake, quantity=1) for _ in range(5)]
    deliveries = [e for _, session, _ in orders for e in settling_then_paid(stripe_fake, session)]
    db.session.remove()
    mails_before = len(outbox.messages)

    answers = deliver_together(app, deliveries)

    assert len(deliveries) == 20
    assert sorted(answers) == [(200, "paid")] * 10 + [(200, "processing")] * 10, answers
    for number, session, _ in orders:
        order = reload(db, number)
        [payment] = order.payments
        assert order.status is OrderStatus.PLACED, number
        assert payment.status is PaymentStatus.PAID
        assert payment.provider_session_id == session["id"]
    # Each order paid once: its buyer told once (the factories' cooperatives have no e-mail).
    placed_mails = outbox.messages[mails_before:]
    assert [m["To"] for m in placed_mails] == ["lan@example.vn"] * len(orders)
    handled = set(db.session.scalars(select(WebhookEvent.event_id)))
    assert handled == {e["id"] for e in deliveries}  # no event lost, none twice
    assert handled_events(db) == 20 and kept_events(db) == []


def test_an_event_that_matches_nothing_yet_is_refused_and_counts_when_redelivered(
    client, db, make, stripe_fake
):
    number, session, _ = card_order(db, make, stripe_fake, quantity=1)
    paid = event("checkout.session.completed", dict(stripe_fake.pay(session["id"]), metadata={}))
    db.session.execute(
        update(Payment)
        .where(Payment.provider_session_id == session["id"])
        .values(provider_session_id=None)
    )
    db.session.commit()

    response = send_webhook(client, paid)
    assert response.status_code == UNMATCHED  # not 2xx: Stripe delivers it again later
    assert response.get_json()["outcome"] == "unknown_session"
    assert handled_events(db) == 0 and kept_events(db) == [paid["id"]]
    assert reload(db, number).status is OrderStatus.AWAITING_PAYMENT
    # Delivered again while it still matches nothing: still kept once, still not handled.
    assert send_webhook(client, paid).status_code == UNMATCHED
    assert handled_events(db) == 0 and kept_events(db) == [paid["id"]]

    # The session id is recorded after all (the late write); Stripe's retry now counts.
    db.session.execute(
        update(Payment)
        .where(Payment.order.has(number=number))
        .values(provider_session_id=session["id"])
    )
    db.session.commit()
    again = send_webhook(client, paid)
    assert (again.status_code, again.get_json()["outcome"]) == (200, "paid")
    assert reload(db, number).status is OrderStatus.PLACED
    assert handled_events(db) == 1 and kept_events(db) == []
    assert send_webhook(client, paid).get_json()["outcome"] == "duplicate"


def test_reconcile_applies_a_kept_event_once_it_matches(client, db, make, stripe_fake, runner):
    number, session, _ = card_order(db, make, stripe_fake, quantity=1)
    paid = event("checkout.session.completed", dict(stripe_fake.pay(session["id"]), metadata={}))
    db.session.execute(
        update(Payment)
        .where(Payment.provider_session_id == session["id"])
        .values(provider_session_id=None)
    )
    db.session.commit()
    assert send_webhook(client, paid).status_code == UNMATCHED

    result = runner.invoke(args=["payments", "reconcile"])
    assert "event_unknown_session: 1" in result.output  # still nothing to match: kept
    assert kept_events(db) == [paid["id"]]

    db.session.execute(
        update(Payment)
        .where(Payment.order.has(number=number))
        .values(provider_session_id=session["id"])
    )
    db.session.commit()
    result = runner.invoke(args=["payments", "reconcile"])
    assert "event_paid: 1" in result.output
    order = reload(db, number)
    assert order.status is OrderStatus.PLACED and order.payments[0].status is PaymentStatus.PAID
    assert handled_events(db) == 1 and kept_events(db) == []
    # Stripe's own retry comes later: nothing happens twice.
    assert send_webhook(client, paid).get_json()["outcome"] == "duplicate"
    assert "event_" not in runner.invoke(args=["payments", "reconcile"]).output


# --- (b) an event without an object id -------------------------------------------------------


def test_an_event_without_an_object_id_matches_nothing(client, db, make, stripe_fake):
    package = make.listing(packages=[{"stock": 5}]).packages[0]
    number = buy((package, 1)).number  # cash on delivery: its payment has no session id
    for kind in ("checkout.session.expired", "checkout.session.async_payment_failed"):
        for anonymous in ({"object": "checkout.session"}, {"id": None}, {"id": ""}):
            response = send_webhook(client, event(kind, dict(anonymous, metadata={})))
            assert response.status_code == UNMATCHED
            assert response.get_json()["outcome"] == "unknown_session"
    order = reload(db, number)
    assert order.status is OrderStatus.PLACED
    assert [p.status for p in order.payments] == [PaymentStatus.PENDING]
    assert handled_events(db) == 0 and len(kept_events(db)) == 6


# --- (c) metadata naming a payment that is not a card payment waiting for this sum -----------


def test_card_event_naming_a_cash_on_delivery_payment_changes_nothing(
    client, db, make, stripe_fake
):
    package = make.listing(packages=[{"stock": 5, "price": 100_000}]).packages[0]
    order = buy((package, 1))
    number, total, payment_id = order.number, order.total, order.payments[0].id
    for kind in ("checkout.session.completed", "checkout.session.expired"):
        forged_metadata = {
            "id": f"cs_test_{kind}",
            "object": "checkout.session",
            "status": "complete",
            "payment_status": "paid",
            "amount_total": total,
            "currency": "vnd",
            "payment_intent": "pi_elsewhere",
            "metadata": {"order_number": number, "payment_id": str(payment_id)},
        }
        response = send_webhook(client, event(kind, forged_metadata))
        assert response.status_code == UNMATCHED
    order = reload(db, number)
    assert order.payment_method is PaymentMethod.COD and order.status is OrderStatus.PLACED
    [payment] = order.payments
    assert payment.status is PaymentStatus.PENDING
    assert payment.provider_session_id is None and payment.provider_payment_id is None
    assert handled_events(db) == 0 and len(kept_events(db)) == 2


def test_metadata_matches_only_the_same_sum_of_a_card_payment_still_waiting(
    client, db, make, stripe_fake
):
    number, session, _ = lost_session_order(db, make, stripe_fake, quantity=1)
    paid = stripe_fake.pay(session["id"])
    other_number, _, _ = card_order(db, make, stripe_fake, quantity=1)
    for wrong in (
        dict(paid, amount_total=paid["amount_total"] - 1),
        dict(paid, currency="usd"),
        dict(paid, metadata=dict(paid["metadata"], order_number=other_number)),
    ):
        response = send_webhook(client, event("checkout.session.completed", wrong))
        assert response.status_code == UNMATCHED
    payment = reload(db, number).payments[0]
    assert payment.status is PaymentStatus.PENDING and payment.provider_session_id is None
    assert payment.failure_reason == ""

    response = send_webhook(client, event("checkout.session.completed", paid))
    assert (response.status_code, response.get_json()["outcome"]) == (200, "paid")
    # Once paid, the attempt is no longer waiting: metadata alone matches it no more, while
    # the recorded session id still does (a late "expired" changes nothing).
    stranger = dict(paid, id="cs_test_someone_else")
    assert send_webhook(client, event("checkout.session.completed", stranger)).status_code == 409
    late = send_webhook(client, event("checkout.session.expired", dict(paid, status="expired")))
    assert (late.status_code, late.get_json()["outcome"]) == (200, "no_change")
    assert reload(db, number).status is OrderStatus.PLACED
