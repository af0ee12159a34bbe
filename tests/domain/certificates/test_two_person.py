"""The two-person rule (issue 11, item 3): a 5-star verification and the reinstatement of a
revoked certificate need two different PFA staff members, both in the audit trail. One staff
member alone gets neither; a refusal changes nothing (no status, no audit event, no e-mail);
a rejection, a change by the cooperative or a declined reinstatement voids a first approval;
two staff acting at once cannot both win."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

import storefront.domain.certificates.decisions as certificates
from storefront.core.clock import today as shop_today
from storefront.core.errors import (
    AlreadyDecided,
    CertificateExpired,
    ConflictOfInterest,
    Forbidden,
    InvalidInput,
    SecondReviewerRequired,
)
from storefront.domain.catalog.visibility import is_public
from storefront.domain.certificates.decisions import (
    confirm_reinstatement,
    confirm_verification,
    decline_reinstatement,
    propose_reinstatement,
    reject_certificate,
    revoke_certificate,
    verify_certificate,
)
from storefront.domain.certificates.submissions import CertificateInput, update_certificate
from storefront.domain.certificates.verification import Verdict, check_certificate
from storefront.extensions import db as _db
from storefront.models import (
    AuditEvent,
    Certificate,
    CertificateStatus,
    Cooperative,
    CooperativeMember,
    CooperativeStatus,
    MemberRole,
    PendingApproval,
    Role,
    User,
)
from storefront.search import SearchQuery, search
from tests.fixtures.mail import mails

pytestmark = pytest.mark.usefixtures("english")


def _events(cert_id=None):
    stmt = select(AuditEvent).order_by(AuditEvent.id)
    if cert_id is not None:
        stmt = stmt.where(
            AuditEvent.subject_type == "certificate", AuditEvent.subject_id == cert_id
        )
    return list(_db.session.scalars(stmt))


def _cert(cert_id) -> Certificate:
    _db.session.expire_all()
    return _db.session.get_one(Certificate, cert_id)


def _state(cert_id):
    """Everything a refused decision must leave as it was."""
    cert = _cert(cert_id)
    return (
        cert.status,
        cert.status_reason,
        cert.pending_approval,
        cert.first_approved_by_id,
        cert.first_approved_at,
        cert.first_approval_reason,
        len(_events()),
    )


@pytest.fixture
def owner(make):
    return make.user(email="chu.nhiem@example.vn", name="Chủ nhiệm HTX")


@pytest.fixture
def five_star(make, owner):
    """A 5-star certificate awaiting verification, backing a listing that is otherwise ready."""
    coop = make.cooperative(owner=owner, email="htx.mat.ong@example.vn")
    cert = make.certificate(
        coop,
        status=CertificateStatus.SUBMITTED,
        stars=5,
        product_name="Mật ong bạc hà Mèo Vạc",
        number="55/QĐ-TTg",
    )
    listing = make.listing(coop=coop, cert=cert, name="Mật ong bạc hà Mèo Vạc")
    return cert, listing


@pytest.fixture
def revoked(make, staff):
    """A revoked certificate (4 stars: reinstatement needs two people whatever the stars)."""
    coop = make.cooperative(email="htx.mien@example.vn")
    listing = make.listing(coop=coop, name="Miến dong Bình Liêu")
    revoke_certificate(listing.certificate_id, staff, "Kiểm tra lại không đạt")
    return _cert(listing.certificate_id), listing


COOP_5 = "htx.mat.ong@example.vn"


def _told(outbox, address=COOP_5):
    """The e-mails to the cooperative's own address (its owners get a copy each)."""
    return [m for m in mails(outbox) if m["To"] == address]


def _found(text, listing_id):
    return listing_id in search(SearchQuery(text=text)).ids


# --- 5-star verification ----------------------------------------------------------------------


def test_one_staff_member_cannot_verify_a_5_star_certificate_alone(
    db, five_star, staff, other_staff, outbox
):
    cert, listing = five_star
    result = verify_certificate(cert.id, staff)

    # A first approval: recorded (who, when), audited, and nothing public changes.
    assert result.status is CertificateStatus.SUBMITTED
    assert result.pending_approval is PendingApproval.VERIFY
    assert result.first_approved_by_id == staff.id and result.first_approved_at is not None
    [first] = _events(cert.id)
    assert (first.actor_id, first.action, first.from_status, first.to_status) == (
        staff.id,
        "certificate.first_approval",
        "submitted",
        "submitted",
    )
    assert first.at is not None and first.cooperative_id == cert.cooperative_id
    assert not is_public(listing.id)
    assert not _found("mat ong bac ha meo vac", listing.id)
    assert check_certificate("55/QĐ-TTg").verdict is Verdict.NOT_VERIFIED
    assert mails(outbox) == []

    # The same person again, either way: refused (403), nothing changes.
    before = _state(cert.id)
    for again in (verify_certificate, confirm_verification):
        with pytest.raises(SecondReviewerRequired) as error:
            again(cert.id, _db.session.get(User, staff.id))
        assert isinstance(error.value, Forbidden) and error.value.status == 403
        assert "second, different" in str(error.value.message)
        assert _state(cert.id) == before
    assert not is_public(listing.id) and mails(outbox) == []

    # A second, different staff member confirms: verified, on sale, both in the audit trail.
    result = confirm_verification(cert.id, other_staff)
    assert result.status is CertificateStatus.VERIFIED
    assert result.pending_approval is None and result.first_approved_by_id is None
    assert is_public(listing.id)
    assert _found("mat ong bac ha meo vac", listing.id)
    assert check_certificate("55/QĐ-TTg").verdict is Verdict.VALID
    first, second = _events(cert.id)
    assert (second.actor_id, second.action, second.from_status, second.to_status) == (
        other_staff.id,
        "certificate.verify",
        "submitted",
        "verified",
    )
    recorded = second.data["first_approval"]
    assert (recorded["by_id"], recorded["by"]) == (staff.id, "Nguyễn Thị Hoa")
    assert recorded["at"]
    [message] = _told(outbox)
    assert "55/QĐ-TTg" in message["Subject"]


@pytest.mark.parametrize("stars", [3, 4])
def test_below_five_stars_verification_stays_one_step(db, make, staff, stars):
    cert = make.certificate(make.cooperative(), status=CertificateStatus.SUBMITTED, stars=stars)
    assert verify_certificate(cert.id, staff).status is CertificateStatus.VERIFIED
    assert [e.action for e in _events(cert.id)] == ["certificate.verify"]


def test_a_confirmation_without_a_first_approval_is_refused(db, five_star, staff, outbox):
    cert, listing = five_star
    before = _state(cert.id)
    with pytest.raises(AlreadyDecided) as error:
        confirm_verification(cert.id, staff)
    assert "no first approval" in str(error.value.message)
    assert _state(cert.id) == before and mails(outbox) == []
    assert not is_public(listing.id)


def test_a_second_first_approval_by_someone_else_is_refused(db, five_star, staff, other_staff):
    cert, _ = five_star
    verify_certificate(cert.id, staff)
    before = _state(cert.id)
    with pytest.raises(AlreadyDecided) as error:
        verify_certificate(cert.id, other_staff)
    assert "already given the first approval" in str(error.value.message)
    assert _state(cert.id) == before
    assert _cert(cert.id).first_approved_by_id == staff.id


@pytest.mark.parametrize(
    "first_role, second_role", [(Role.ADMIN, Role.PFA), (Role.PFA, Role.ADMIN)]
)
def test_admins_count_as_staff_but_still_as_one_person(
    db, make, five_star, first_role, second_role
):
    cert, listing = five_star
    first = make.user(role=first_role)
    second = make.user(role=second_role)
    verify_certificate(cert.id, first)
    with pytest.raises(SecondReviewerRequired):
        confirm_verification(cert.id, first)
    assert _cert(cert.id).status is CertificateStatus.SUBMITTED
    confirm_verification(cert.id, second)
    assert _cert(cert.id).status is CertificateStatus.VERIFIED and is_public(listing.id)


@pytest.mark.parametrize("role", [Role.CUSTOMER, None])
def test_only_staff_give_either_approval(db, make, five_star, staff, role):
    cert, _ = five_star
    actor = make.user(role=role) if role else None
    with pytest.raises(Forbidden):
        verify_certificate(cert.id, actor)
    verify_certificate(cert.id, staff)
    before = _state(cert.id)
    with pytest.raises(Forbidden):
        confirm_verification(cert.id, actor)
    assert _state(cert.id) == before


def test_the_second_reviewer_must_be_independent_too(db, make, five_star, staff, outbox):
    cert, _ = five_star
    insider = make.user(role=Role.PFA)
    _db.session.add(
        CooperativeMember(
            cooperative_id=cert.cooperative_id, user_id=insider.id, role=MemberRole.STAFF
        )
    )
    _db.session.commit()
    verify_certificate(cert.id, staff)
    before = _state(cert.id)
    with pytest.raises(ConflictOfInterest):
        confirm_verification(cert.id, insider)
    assert _state(cert.id) == before and mails(outbox) == []


@pytest.mark.parametrize("who", ["first approver", "someone else"])
def test_a_rejection_by_anyone_ends_it_and_voids_the_first_approval(
    db, five_star, owner, staff, other_staff, outbox, who
):
    cert, listing = five_star
    verify_certificate(cert.id, staff)
    rejecter = staff if who == "first approver" else other_staff
    result = reject_certificate(cert.id, rejecter, "Số quyết định không khớp bản scan")
    assert result.status is CertificateStatus.REJECTED
    assert result.pending_approval is None and result.first_approved_by_id is None
    reject = _events(cert.id)[-1]
    assert reject.action == "certificate.reject" and reject.actor_id == rejecter.id
    assert reject.data["voided_first_approval"]["by_id"] == staff.id
    assert len(_told(outbox)) == 1

    # Resubmitted, it starts over: the old first approval confirms nothing.
    _resubmit(cert, owner)
    assert _cert(cert.id).status is CertificateStatus.SUBMITTED
    with pytest.raises(AlreadyDecided):
        confirm_verification(cert.id, other_staff)
    assert _cert(cert.id).status is CertificateStatus.SUBMITTED
    assert not is_public(listing.id)


def _resubmit(cert, owner, **changes):
    cert = _cert(cert.id)
    data = CertificateInput(
        number=cert.number,
        stars=cert.stars,
        product_name=cert.product_name,
        issuing_authority=cert.issuing_authority,
        issued_on=cert.issued_on,
        expires_on=cert.expires_on,
    )
    for name, value in changes.items():
        setattr(data, name, value)
    return update_certificate(cert.id, cert.cooperative_id, _db.session.get(User, owner.id), data)


def test_a_change_by_the_cooperative_voids_the_first_approval(
    db, five_star, owner, staff, other_staff, outbox
):
    cert, listing = five_star
    verify_certificate(cert.id, staff)

    _resubmit(cert, owner)  # saved unchanged: the approval stands
    assert _cert(cert.id).pending_approval is PendingApproval.VERIFY

    _resubmit(cert, owner, product_name="Mật ong hoa bạc hà")
    changed = _cert(cert.id)
    assert changed.status is CertificateStatus.SUBMITTED
    assert changed.pending_approval is None and changed.first_approved_by_id is None
    edit = _events(cert.id)[-1]
    assert (edit.action, edit.actor_id) == ("certificate.edit", owner.id)
    assert edit.data["voided_first_approval"]["by_id"] == staff.id
    assert "product_name" in edit.data["changed"]

    before = _state(cert.id)
    with pytest.raises(AlreadyDecided):
        confirm_verification(cert.id, other_staff)
    assert _state(cert.id) == before
    assert not is_public(listing.id) and mails(outbox) == []

    # The changed certificate needs two approvals of its own.
    verify_certificate(cert.id, other_staff)
    confirm_verification(cert.id, staff)
    assert _cert(cert.id).status is CertificateStatus.VERIFIED


def test_an_expired_5_star_certificate_gets_no_approval(db, make, five_star, staff, other_staff):
    cert, _ = five_star
    verify_certificate(cert.id, staff)
    _db.session.execute(
        update(Certificate)
        .where(Certificate.id == cert.id)
        .values(expires_on=shop_today() - timedelta(days=1))
    )
    _db.session.commit()
    before = _state(cert.id)
    with pytest.raises(CertificateExpired):
        confirm_verification(cert.id, other_staff)
    assert _state(cert.id) == before


def test_a_stale_read_still_loses_cleanly(db, five_star, owner, staff, other_staff, monkeypatch):
    """The guard is the UPDATE itself: an approval voided between our read and our write (the
    cooperative edited the certificate) is not confirmed."""
    cert, listing = five_star
    verify_certificate(cert.id, staff)
    real_load = certificates._load_for_decision

    def load_then_the_cooperative_edits(certificate_id):
        loaded = real_load(certificate_id)
        with Session(bind=_db.engine) as other:
            row = other.get(Certificate, certificate_id)
            row.product_name = "Đã sửa"
            row.pending_approval = row.first_approved_by_id = row.first_approved_at = None
            other.commit()
        return loaded

    monkeypatch.setattr(certificates, "_load_for_decision", load_then_the_cooperative_edits)
    events = len(_events())
    with pytest.raises(AlreadyDecided) as error:
        confirm_verification(cert.id, other_staff)
    assert "look at it again" in str(error.value.message)
    after = _cert(cert.id)
    assert after.status is CertificateStatus.SUBMITTED and after.pending_approval is None
    assert len(_events()) == events
    assert not is_public(listing.id)


def test_the_database_refuses_a_first_approval_that_outlives_its_status(db, five_star, staff):
    """The schema itself: a status change that forgets the first approval fails."""
    from sqlalchemy.exc import IntegrityError

    cert, _ = five_star
    verify_certificate(cert.id, staff)
    with pytest.raises(IntegrityError):
        _db.session.execute(
            update(Certificate)
            .where(Certificate.id == cert.id)
            .values(status=CertificateStatus.VERIFIED)
        )
        _db.session.flush()
    _db.session.rollback()
    assert _cert(cert.id).status is CertificateStatus.SUBMITTED


# --- reinstatement ----------------------------------------------------------------------------


def test_one_staff_member_cannot_reinstate_a_revoked_certificate_alone(
    db, revoked, staff, other_staff, outbox
):
    cert, listing = revoked
    sent = len(mails(outbox))
    assert not is_public(listing.id)

    # Confirming what nobody proposed: refused.
    before = _state(cert.id)
    with pytest.raises(AlreadyDecided):
        confirm_reinstatement(cert.id, other_staff)
    assert _state(cert.id) == before

    result = propose_reinstatement(cert.id, other_staff, "Kết quả kiểm nghiệm lại đạt chuẩn")
    assert result.status is CertificateStatus.REVOKED
    assert result.pending_approval is PendingApproval.REINSTATE
    assert result.first_approved_by_id == other_staff.id
    assert result.first_approval_reason == "Kết quả kiểm nghiệm lại đạt chuẩn"
    proposal = _events(cert.id)[-1]
    assert (proposal.actor_id, proposal.action, proposal.reason) == (
        other_staff.id,
        "certificate.reinstate_proposal",
        "Kết quả kiểm nghiệm lại đạt chuẩn",
    )
    assert (proposal.from_status, proposal.to_status) == ("revoked", "revoked")
    assert not is_public(listing.id)
    assert check_certificate(cert.number).verdict is Verdict.REVOKED
    assert len(mails(outbox)) == sent

    before = _state(cert.id)
    for again in (
        lambda who: confirm_reinstatement(cert.id, who),
        lambda who: propose_reinstatement(cert.id, who, "Lần nữa"),
    ):
        with pytest.raises(SecondReviewerRequired) as error:
            again(_db.session.get(User, other_staff.id))
        assert error.value.status == 403
        assert _state(cert.id) == before
    assert not is_public(listing.id) and len(mails(outbox)) == sent

    # Someone else proposing again is told a proposal is waiting.
    with pytest.raises(AlreadyDecided):
        propose_reinstatement(cert.id, staff, "Tôi cũng đề nghị")
    assert _state(cert.id) == before

    result = confirm_reinstatement(cert.id, staff)
    assert result.status is CertificateStatus.VERIFIED
    assert result.pending_approval is None
    assert result.status_reason == "Kết quả kiểm nghiệm lại đạt chuẩn"
    assert is_public(listing.id)
    assert _found("mien dong binh lieu", listing.id)
    assert check_certificate(cert.number).verdict is Verdict.VALID
    reinstate = _events(cert.id)[-1]
    assert (reinstate.actor_id, reinstate.action, reinstate.from_status, reinstate.to_status) == (
        staff.id,
        "certificate.reinstate",
        "revoked",
        "verified",
    )
    assert reinstate.data["first_approval"]["by_id"] == other_staff.id
    assert reinstate.data["first_approval"]["by"] == "Trần Văn Nam"
    message = mails(outbox)[-1]
    assert len(mails(outbox)) == sent + 1
    assert message["To"] == "htx.mien@example.vn"
    assert "khôi phục" in message["Subject"]  # the cooperative's language: Vietnamese
    assert "Kết quả kiểm nghiệm lại đạt chuẩn" in message.get_content()


def test_reinstating_follows_the_visibility_rules(db, make, revoked, staff, other_staff):
    """A reinstated certificate makes its listing public only if nothing else hides it."""
    cert, listing = revoked
    coop = _db.session.get(Cooperative, cert.cooperative_id)
    coop.status = CooperativeStatus.SUSPENDED
    _db.session.commit()
    propose_reinstatement(cert.id, staff, "Đạt")
    confirm_reinstatement(cert.id, other_staff)
    assert _cert(cert.id).status is CertificateStatus.VERIFIED
    assert not is_public(listing.id)


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_a_proposal_needs_a_reason(db, revoked, staff, reason):
    cert, _ = revoked
    before = _state(cert.id)
    with pytest.raises(InvalidInput):
        propose_reinstatement(cert.id, staff, reason)
    assert _state(cert.id) == before


@pytest.mark.parametrize(
    "status", [CertificateStatus.SUBMITTED, CertificateStatus.VERIFIED, CertificateStatus.REJECTED]
)
def test_only_a_revoked_certificate_is_reinstated(db, make, staff, status):
    cert = make.certificate(make.cooperative(), status=status)
    before = _state(cert.id)
    with pytest.raises(AlreadyDecided):
        propose_reinstatement(cert.id, staff, "Đạt")
    assert _state(cert.id) == before


def test_an_expired_certificate_cannot_be_reinstated(db, make, staff, other_staff, outbox):
    coop = make.cooperative()
    cert = make.certificate(
        coop,
        status=CertificateStatus.REVOKED,
        issued_on=shop_today() - timedelta(days=1200),
        expires_on=shop_today() - timedelta(days=1),
    )
    before = _state(cert.id)
    with pytest.raises(CertificateExpired) as error:
        propose_reinstatement(cert.id, staff, "Đạt")
    assert "cannot be reinstated" in str(error.value.message)
    assert _state(cert.id) == before


def test_a_proposal_that_expires_cannot_be_confirmed(db, revoked, staff, other_staff, outbox):
    cert, listing = revoked
    propose_reinstatement(cert.id, staff, "Đạt")
    _db.session.execute(
        update(Certificate)
        .where(Certificate.id == cert.id)
        .values(expires_on=shop_today() - timedelta(days=1))
    )
    _db.session.commit()
    sent, before = len(mails(outbox)), _state(cert.id)
    with pytest.raises(CertificateExpired):
        confirm_reinstatement(cert.id, other_staff)
    assert _state(cert.id) == before and len(mails(outbox)) == sent
    # It can still be turned down.
    decline_reinstatement(cert.id, other_staff, "Đã hết hạn")
    assert _cert(cert.id).pending_approval is None


@pytest.mark.parametrize("who", ["proposer", "someone else"])
def test_a_declined_proposal_is_void(db, revoked, staff, other_staff, outbox, who):
    cert, listing = revoked
    propose_reinstatement(cert.id, staff, "Đạt")
    sent = len(mails(outbox))
    decliner = staff if who == "proposer" else other_staff
    result = decline_reinstatement(cert.id, decliner, "Chưa đủ hồ sơ")
    assert result.status is CertificateStatus.REVOKED and result.pending_approval is None
    decline = _events(cert.id)[-1]
    assert (decline.action, decline.actor_id, decline.reason) == (
        "certificate.reinstate_decline",
        decliner.id,
        "Chưa đủ hồ sơ",
    )
    assert decline.data["first_approval"]["by_id"] == staff.id
    assert len(mails(outbox)) == sent  # internal: the cooperative hears nothing
    with pytest.raises(AlreadyDecided):
        confirm_reinstatement(cert.id, other_staff)
    with pytest.raises(AlreadyDecided):
        decline_reinstatement(cert.id, other_staff)
    assert _cert(cert.id).status is CertificateStatus.REVOKED and not is_public(listing.id)


def test_nobody_dependent_on_the_cooperative_takes_part(db, make, revoked, staff, outbox):
    cert, _ = revoked
    insider = make.user(role=Role.PFA)
    _db.session.add(
        CooperativeMember(
            cooperative_id=cert.cooperative_id, user_id=insider.id, role=MemberRole.OWNER
        )
    )
    _db.session.commit()
    before = _state(cert.id)
    with pytest.raises(ConflictOfInterest):
        propose_reinstatement(cert.id, insider, "Đạt")
    assert _state(cert.id) == before
    propose_reinstatement(cert.id, staff, "Đạt")
    before = _state(cert.id)
    with pytest.raises(ConflictOfInterest):
        confirm_reinstatement(cert.id, insider)
    with pytest.raises(ConflictOfInterest):
        decline_reinstatement(cert.id, insider, "Không")
    assert _state(cert.id) == before


def test_only_staff_reinstate(db, make, revoked, staff):
    cert, _ = revoked
    customer = make.user(role=Role.CUSTOMER)
    with pytest.raises(Forbidden):
        propose_reinstatement(cert.id, customer, "Đạt")
    propose_reinstatement(cert.id, staff, "Đạt")
    before = _state(cert.id)
    for call in (confirm_reinstatement, decline_reinstatement):
        with pytest.raises(Forbidden):
            call(cert.id, customer)
    assert _state(cert.id) == before


# --- two at once ------------------------------------------------------------------------------


def _race(app, monkeypatch, *decisions):
    """Run decisions in threads, all past their read of the certificate before any writes."""
    barrier = threading.Barrier(len(decisions), timeout=20)
    real = certificates._load_for_decision

    def read_then_wait(certificate_id):
        loaded = real(certificate_id)
        barrier.wait()
        return loaded

    monkeypatch.setattr(certificates, "_load_for_decision", read_then_wait)
    outcomes: list[object] = [None] * len(decisions)

    def run(i, decide):
        with app.app_context():
            try:
                decide()
                outcomes[i] = "won"
            except AlreadyDecided as error:
                outcomes[i] = error
            except Exception as error:  # noqa: BLE001 - reported by the assertion
                outcomes[i] = repr(error)
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=run, args=(i, d)) for i, d in enumerate(decisions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    monkeypatch.setattr(certificates, "_load_for_decision", real)
    return outcomes


def _as(user_id):
    return _db.session.get(User, user_id)


def _won_once(outcomes):
    assert sorted("won" if o == "won" else type(o).__name__ for o in outcomes) == [
        "AlreadyDecided",
        "won",
    ], outcomes
    return outcomes.index("won")


def test_two_second_reviewers_at_once_verify_once(
    app, db, make, five_star, staff, other_staff, monkeypatch, outbox
):
    cert, listing = five_star
    third = make.user(role=Role.PFA)
    verify_certificate(cert.id, staff)
    cert_id, b, c = cert.id, other_staff.id, third.id
    outcomes = _race(
        app,
        monkeypatch,
        lambda: confirm_verification(cert_id, _as(b)),
        lambda: confirm_verification(cert_id, _as(c)),
    )
    winner = (b, c)[_won_once(outcomes)]
    assert _cert(cert_id).status is CertificateStatus.VERIFIED
    verifies = [e for e in _events(cert_id) if e.action == "certificate.verify"]
    assert [e.actor_id for e in verifies] == [winner]
    assert len(_told(outbox)) == 1
    assert is_public(listing.id)


def test_two_first_approvals_at_once_make_one(
    app, db, five_star, staff, other_staff, monkeypatch, outbox
):
    cert, listing = five_star
    cert_id, a, b = cert.id, staff.id, other_staff.id
    outcomes = _race(
        app,
        monkeypatch,
        lambda: verify_certificate(cert_id, _as(a)),
        lambda: verify_certificate(cert_id, _as(b)),
    )
    winner = (a, b)[_won_once(outcomes)]
    after = _cert(cert_id)
    assert after.status is CertificateStatus.SUBMITTED
    assert after.first_approved_by_id == winner
    assert [e.actor_id for e in _events(cert_id)] == [winner]
    assert mails(outbox) == [] and not is_public(listing.id)


def test_a_confirmation_racing_a_rejection_has_one_outcome(
    app, db, five_star, make, staff, other_staff, monkeypatch, outbox
):
    """The first approver changes their mind and rejects while a colleague confirms."""
    cert, listing = five_star
    verify_certificate(cert.id, staff)
    cert_id, a, b = cert.id, staff.id, other_staff.id
    outcomes = _race(
        app,
        monkeypatch,
        lambda: reject_certificate(cert_id, _as(a), "Con dấu không rõ"),
        lambda: confirm_verification(cert_id, _as(b)),
    )
    winner = _won_once(outcomes)
    expected = (CertificateStatus.REJECTED, CertificateStatus.VERIFIED)[winner]
    after = _cert(cert_id)
    assert after.status is expected and after.pending_approval is None
    assert [e.action for e in _events(cert_id)][1:] == [
        ("certificate.reject", "certificate.verify")[winner]
    ]
    assert len(_told(outbox)) == 1
    assert is_public(listing.id) is (expected is CertificateStatus.VERIFIED)


def test_two_reinstatement_confirmations_at_once_reinstate_once(
    app, db, make, revoked, staff, other_staff, monkeypatch, outbox
):
    cert, listing = revoked
    third = make.user(role=Role.PFA)
    propose_reinstatement(cert.id, staff, "Đạt")
    sent = len(mails(outbox))
    cert_id, b, c = cert.id, other_staff.id, third.id
    outcomes = _race(
        app,
        monkeypatch,
        lambda: confirm_reinstatement(cert_id, _as(b)),
        lambda: confirm_reinstatement(cert_id, _as(c)),
    )
    winner = (b, c)[_won_once(outcomes)]
    assert _cert(cert_id).status is CertificateStatus.VERIFIED
    assert [e.actor_id for e in _events(cert_id) if e.action == "certificate.reinstate"] == [winner]
    assert len(mails(outbox)) == sent + 1
    assert is_public(listing.id)
