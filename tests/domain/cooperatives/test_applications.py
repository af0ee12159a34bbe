"""Applications and members as domain functions: approval by PFA staff (audited, one winner),
invitations for the invited address only, staff leaving."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import create_engine, select, text

from storefront.core.errors import AlreadyDecided, Forbidden, InvalidInvitation
from storefront.domain.cooperatives.decisions import approve_cooperative
from storefront.domain.cooperatives.members import (
    _invitation_serializer,
    accept_invitation,
    invite_member,
    remove_member,
)
from storefront.extensions import db as _db
from storefront.models import (
    AuditEvent,
    Cooperative,
    CooperativeInvitation,
    CooperativeMember,
    CooperativeStatus,
    MemberRole,
    Role,
)
from tests.fixtures import factories
from tests.fixtures.mail import mails
from tests.fixtures.seller import member_of, seller, state

pytestmark = pytest.mark.usefixtures("english")


def staff():
    return factories.user(role=Role.PFA)


def _token_for(email: str) -> str:
    invitation = _db.session.scalar(
        select(CooperativeInvitation).where(CooperativeInvitation.email == email)
    )
    return _invitation_serializer().dumps({"i": invitation.id, "e": email})


def test_approve_cooperative_audits_commits_then_emails(app, db, outbox, monkeypatch):
    owner, coop = seller(status=CooperativeStatus.APPLIED, email="htx@example.vn")
    reviewer = staff()

    seen_at_send = []
    from storefront.core import mail

    real_send = mail.send_mail

    def spy(to, *args, **kwargs):
        # The decision must already be committed when the e-mail goes out: read it back
        # through a separate connection.
        engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
        with engine.connect() as conn:
            seen_at_send.append(
                conn.execute(
                    text("SELECT status FROM cooperatives WHERE id = :id"), {"id": coop.id}
                ).scalar()
            )
        engine.dispose()
        return real_send(to, *args, **kwargs)

    monkeypatch.setattr(mail, "send_mail", spy)
    approved = approve_cooperative(coop.id, reviewer, reason="Hồ sơ đầy đủ")
    assert approved.status is CooperativeStatus.APPROVED
    assert seen_at_send and set(seen_at_send) == {"approved"}
    [event] = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "cooperative.approve")
    ).all()
    assert (event.actor_id, event.from_status, event.to_status, event.reason) == (
        reviewer.id,
        "applied",
        "approved",
        "Hồ sơ đầy đủ",
    )
    messages = mails(outbox)
    assert {m["To"] for m in messages} == {"htx@example.vn", owner.email}  # contact and owners
    assert all(coop.legal_name in m["Subject"] for m in messages)

    with pytest.raises(AlreadyDecided):
        approve_cooperative(coop.id, reviewer)
    assert (
        db.session.scalar(
            select(_db.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "cooperative.approve")
        )
        == 1
    )


def test_only_pfa_staff_approve(app, db):
    owner, coop = seller(status=CooperativeStatus.APPLIED)
    with pytest.raises(Forbidden):
        approve_cooperative(coop.id, owner)
    db.session.expire_all()
    assert db.session.get(Cooperative, coop.id).status is CooperativeStatus.APPLIED


@pytest.mark.parametrize("status", [CooperativeStatus.REJECTED, CooperativeStatus.SUSPENDED])
def test_only_an_application_can_be_approved(app, db, status):
    _owner, coop = seller(status=status)
    with pytest.raises(AlreadyDecided):
        approve_cooperative(coop.id, staff())


def test_two_staff_approving_at_once_only_one_wins(app, db, outbox):
    _owner, coop = seller(status=CooperativeStatus.APPLIED)
    reviewers = [staff().id, staff().id]
    # Plain ids only in the threads: an object of this thread's session, read there, would
    # load its expired attributes through this session's connection from two threads at
    # once (SQLite crashed the process so).
    coop_id = coop.id
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def decide(reviewer_id: int) -> None:
        with app.app_context():
            from storefront.models import User

            actor = _db.session.get(User, reviewer_id)
            _db.session.rollback()
            barrier.wait()
            try:
                approve_cooperative(coop_id, actor)
                outcomes.append("won")
            except AlreadyDecided:
                outcomes.append("already decided")
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=decide, args=(r,)) for r in reviewers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["already decided", "won"]
    assert (
        db.session.scalar(
            select(_db.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "cooperative.approve")
        )
        == 1
    )


def test_an_invitation_is_only_for_the_invited_address(app, db, outbox):
    owner, coop = seller()
    invite_member(coop.id, owner, "dung@example.vn", MemberRole.STAFF, accept_url=lambda t: t)
    token = _token_for("dung@example.vn")
    intruder = factories.user(email="ke.gian@example.vn")
    before = state()
    with pytest.raises(InvalidInvitation):
        accept_invitation(token, intruder)
    assert state() == before


def test_staff_may_leave(app, db):
    _owner, coop = seller()
    helper = member_of(coop, MemberRole.STAFF)
    remove_member(coop.id, helper, helper.id)
    assert (
        _db.session.scalar(select(CooperativeMember).where(CooperativeMember.user_id == helper.id))
        is None
    )
