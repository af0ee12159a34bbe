"""PFA decisions on cooperatives: each from its own states only, the listings following, and one
winner when two staff act at once."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from storefront.core.errors import AlreadyDecided, InvalidInput
from storefront.domain.catalog.visibility import is_public
from storefront.domain.cooperatives import decisions as coop_decisions
from storefront.extensions import db as _db
from storefront.models import AuditEvent, Cooperative, CooperativeStatus, User
from tests.fixtures.mail import mails

pytestmark = pytest.mark.usefixtures("english")


def _events(db, subject_id=None):
    stmt = select(AuditEvent).order_by(AuditEvent.id)
    if subject_id is not None:
        stmt = stmt.where(AuditEvent.subject_id == subject_id)
    return db.session.scalars(stmt).all()


def test_two_staff_suspending_a_cooperative_at_once(app, db, make, staff, other_staff, monkeypatch):
    coop = make.cooperative()
    coop_id, staff_id, other_id = coop.id, staff.id, other_staff.id
    sa = _db
    outcomes = {}
    barrier = threading.Barrier(2, timeout=20)

    def run(name, user_id):
        with app.app_context():
            try:
                actor = sa.session.get(User, user_id)
                loaded = sa.session.get(Cooperative, coop_id)
                assert loaded.status is CooperativeStatus.APPROVED
                sa.session.rollback()
                barrier.wait()
                coop_decisions.suspend_cooperative(coop_id, actor, f"by {name}")
                outcomes[name] = "won"
            except AlreadyDecided as error:
                outcomes[name] = error
            except Exception as error:  # noqa: BLE001
                outcomes[name] = repr(error)
            finally:
                sa.session.remove()

    threads = [
        threading.Thread(target=run, args=(n, u)) for n, u in (("a", staff_id), ("b", other_id))
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(o if isinstance(o, str) else type(o).__name__ for o in outcomes.values()) == [
        "AlreadyDecided",
        "won",
    ], outcomes
    assert len(_events(db, coop_id)) == 1


def test_cooperative_decisions_follow_their_states(db, make, staff, outbox):
    coop = make.cooperative(status=CooperativeStatus.APPLIED, email="htx@example.vn")
    with pytest.raises(InvalidInput):
        coop_decisions.reject_cooperative(coop.id, staff, "")
    with pytest.raises(AlreadyDecided):
        coop_decisions.suspend_cooperative(coop.id, staff, "Vi phạm")
    coop_decisions.approve_cooperative(coop.id, staff)
    listing = make.listing(coop=db.session.get(Cooperative, coop.id))
    assert is_public(listing.id)

    coop_decisions.suspend_cooperative(coop.id, staff, "Giao hàng sai quy cách nhiều lần")
    assert not is_public(listing.id)
    with pytest.raises(InvalidInput):
        coop_decisions.reinstate_cooperative(coop.id, staff, "")
    coop_decisions.reinstate_cooperative(coop.id, staff, "Đã khắc phục")
    assert is_public(listing.id)

    actions = [
        (e.action, e.reason) for e in _events(db, coop.id) if e.subject_type == "cooperative"
    ]
    assert actions == [
        ("cooperative.approve", ""),
        ("cooperative.suspend", "Giao hàng sai quy cách nhiều lần"),
        ("cooperative.reinstate", "Đã khắc phục"),
    ]
    assert len(mails(outbox)) == 3


def test_rejecting_an_application(db, make, staff, outbox):
    coop = make.cooperative(status=CooperativeStatus.APPLIED, email="htx@example.vn", locale="en")
    result = coop_decisions.reject_cooperative(coop.id, staff, "Registration number not found")
    assert result.status is CooperativeStatus.REJECTED
    assert result.status_reason == "Registration number not found"
    [message] = mails(outbox)
    assert message["Content-Language"] == "en"
    assert "Registration number not found" in message.get_content()
    count = db.session.scalar(select(func.count()).select_from(AuditEvent))
    assert count == 1
