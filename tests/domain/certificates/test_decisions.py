"""PFA decisions as domain functions: audit trail in the same transaction, e-mail after the
commit in the cooperative's language, required reasons, and one winner when two staff act."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

import storefront.domain.certificates.decisions as certificates
from storefront.core.clock import today as shop_today
from storefront.core.errors import (
    AlreadyDecided,
    CertificateExpired,
    Forbidden,
    InvalidInput,
    NotFound,
)
from storefront.domain.catalog.visibility import is_public
from storefront.domain.certificates.decisions import (
    reject_certificate,
    revoke_certificate,
    verify_certificate,
)
from storefront.extensions import db as _db
from storefront.models import AuditEvent, Certificate, CertificateStatus, Role, User
from storefront.search import SearchQuery, search
from tests.fixtures.mail import mails

pytestmark = pytest.mark.usefixtures("english")


def _events(db, subject_id=None):
    stmt = select(AuditEvent).order_by(AuditEvent.id)
    if subject_id is not None:
        stmt = stmt.where(AuditEvent.subject_id == subject_id)
    return db.session.scalars(stmt).all()


def _status(db, cert_id):
    db.session.expire_all()
    return db.session.scalar(select(Certificate.status).where(Certificate.id == cert_id))


@pytest.fixture
def submitted(make):
    """A cooperative (e-mail, Vietnamese) with a listing whose certificate awaits verification."""
    coop = make.cooperative(email="htx.vai@example.vn", legal_name="HTX Vải thiều Phì Điền")
    cert = make.certificate(
        coop,
        status=CertificateStatus.SUBMITTED,
        product_name="Vải thiều Phì Điền",
        number="1234/QĐ-UBND",
    )
    listing = make.listing(coop=coop, cert=cert, name="Vải thiều Phì Điền sấy khô")
    return cert, listing


# --- verify -----------------------------------------------------------------------------------


def test_verify_records_who_when_what_and_emails_after_the_commit(db, submitted, staff, outbox):
    cert, listing = submitted
    assert not is_public(listing.id)

    result = verify_certificate(cert.id, staff)

    assert result.status is CertificateStatus.VERIFIED
    assert is_public(listing.id)
    [event] = _events(db, cert.id)
    assert (event.actor_id, event.action, event.subject_type) == (
        staff.id,
        "certificate.verify",
        "certificate",
    )
    assert (event.from_status, event.to_status, event.cooperative_id) == (
        "submitted",
        "verified",
        cert.cooperative_id,
    )
    assert event.at is not None
    # The search index followed the commit on its own.
    assert listing.id in search(SearchQuery(text="vải thiều phì điền")).ids
    [message] = mails(outbox)
    assert message["To"] == "htx.vai@example.vn"
    assert message["Content-Language"] == "vi"
    assert "1234/QĐ-UBND" in message["Subject"]
    assert "1234/QĐ-UBND" in message.get_content()


def test_e_mail_goes_out_in_the_cooperatives_language(db, make, staff, outbox):
    coop = make.cooperative(email="coop@example.com", locale="en")
    cert = make.certificate(coop, status=CertificateStatus.SUBMITTED)
    reject_certificate(cert.id, staff, "The scan is unreadable.")
    [message] = mails(outbox)
    assert message["Content-Language"] == "en"
    assert message["Subject"] == f"Your OCOP certificate {cert.number} was not accepted"
    assert "The scan is unreadable." in message.get_content()


def test_the_owners_are_written_to_when_the_cooperative_has_no_address(db, make, staff, outbox):
    owner = make.user(email="chu.nhiem@example.vn")
    coop = make.cooperative(owner=owner, email="")
    cert = make.certificate(coop, status=CertificateStatus.SUBMITTED)
    verify_certificate(cert.id, staff)
    assert [m["To"] for m in mails(outbox)] == ["chu.nhiem@example.vn"]


def test_a_failing_mail_server_does_not_undo_the_decision(db, submitted, staff, monkeypatch):
    cert, _ = submitted

    def broken(*args, **kwargs):
        raise ConnectionError("SMTP down")

    monkeypatch.setattr("storefront.core.mail.send_mail", broken)
    verify_certificate(cert.id, staff)
    assert _status(db, cert.id) is CertificateStatus.VERIFIED
    assert len(_events(db, cert.id)) == 1


def test_no_mail_is_sent_while_the_transaction_is_open(db, submitted, staff, monkeypatch):
    cert, _ = submitted
    seen = []

    def spy(*args, **kwargs):
        seen.append(_db.session().in_transaction())
        # Another connection sees the decision: it was committed before the e-mail.
        from sqlalchemy.orm import Session

        with Session(bind=_db.engine) as other:
            seen.append(other.scalar(select(Certificate.status).where(Certificate.id == cert.id)))

    monkeypatch.setattr("storefront.core.mail.send_mail", spy)
    verify_certificate(cert.id, staff)
    assert seen == [False, CertificateStatus.VERIFIED]


def test_an_expired_certificate_cannot_be_verified(db, make, staff, outbox):
    coop = make.cooperative()
    cert = make.certificate(
        coop,
        status=CertificateStatus.SUBMITTED,
        issued_on=shop_today() - timedelta(days=1200),
        expires_on=shop_today() - timedelta(days=1),
    )
    with pytest.raises(CertificateExpired):
        verify_certificate(cert.id, staff)
    assert _status(db, cert.id) is CertificateStatus.SUBMITTED
    assert _events(db) == [] and mails(outbox) == []


# --- reasons, staff only, unknown ids ---------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   ", "\n\t", None])
def test_reject_needs_a_reason_and_changes_nothing_without_one(
    db, submitted, staff, outbox, reason
):
    cert, _ = submitted
    with pytest.raises(InvalidInput) as error:
        reject_certificate(cert.id, staff, reason)
    assert "reason" in str(error.value.message).lower()
    assert _status(db, cert.id) is CertificateStatus.SUBMITTED
    assert _events(db) == [] and mails(outbox) == []


def test_revoke_needs_a_reason(db, make, staff, outbox):
    listing = make.listing()
    with pytest.raises(InvalidInput):
        revoke_certificate(listing.certificate_id, staff, " ")
    assert _status(db, listing.certificate_id) is CertificateStatus.VERIFIED
    assert is_public(listing.id)
    assert _events(db) == []


def test_a_very_long_reason_is_refused(db, submitted, staff):
    cert, _ = submitted
    with pytest.raises(InvalidInput):
        reject_certificate(cert.id, staff, "x" * 2001)
    assert _status(db, cert.id) is CertificateStatus.SUBMITTED


@pytest.mark.parametrize("role", [Role.CUSTOMER, None])
def test_only_pfa_staff_decide(db, make, submitted, role):
    cert, _ = submitted
    actor = make.user(role=role) if role else None
    with pytest.raises(Forbidden):
        verify_certificate(cert.id, actor)
    assert _status(db, cert.id) is CertificateStatus.SUBMITTED


def test_an_admin_may_decide(db, make, submitted):
    cert, _ = submitted
    verify_certificate(cert.id, make.user(role=Role.ADMIN))
    assert _status(db, cert.id) is CertificateStatus.VERIFIED


def test_unknown_certificate(db, staff):
    with pytest.raises(NotFound):
        verify_certificate(999_999, staff)


# --- already decided --------------------------------------------------------------------------


def test_the_second_decision_on_the_same_certificate_is_refused(
    db, submitted, staff, other_staff, outbox
):
    cert, _ = submitted
    verify_certificate(cert.id, staff)
    with pytest.raises(AlreadyDecided) as error:
        reject_certificate(cert.id, other_staff, "Số quyết định không khớp")
    assert error.value.status == 409
    assert "already decided" in str(error.value.message)
    assert _status(db, cert.id) is CertificateStatus.VERIFIED
    assert [e.action for e in _events(db)] == ["certificate.verify"]
    assert len(mails(outbox)) == 1


@pytest.mark.parametrize(
    "status, decide",
    [
        (CertificateStatus.VERIFIED, lambda cid, who: verify_certificate(cid, who)),
        (CertificateStatus.REJECTED, lambda cid, who: reject_certificate(cid, who, "x")),
        (CertificateStatus.SUBMITTED, lambda cid, who: revoke_certificate(cid, who, "x")),
        (CertificateStatus.REVOKED, lambda cid, who: revoke_certificate(cid, who, "x")),
        (CertificateStatus.REJECTED, lambda cid, who: revoke_certificate(cid, who, "x")),
    ],
)
def test_decisions_only_from_their_state(db, make, staff, status, decide):
    cert = make.certificate(make.cooperative(), status=status)
    with pytest.raises(AlreadyDecided):
        decide(cert.id, staff)
    assert _status(db, cert.id) is status


def test_the_guard_is_the_update_itself_not_the_earlier_read(
    db, submitted, staff, other_staff, monkeypatch
):
    """A stale read (someone decided between our SELECT and our UPDATE) still loses cleanly."""
    cert, _ = submitted
    real_load = certificates._load_for_decision

    def load_then_someone_else_decides(certificate_id):
        loaded = real_load(certificate_id)
        from sqlalchemy.orm import Session

        with Session(bind=_db.engine) as other:  # another staff member's transaction
            other.get(Certificate, certificate_id).status = CertificateStatus.REJECTED
            other.commit()
        return loaded

    monkeypatch.setattr(certificates, "_load_for_decision", load_then_someone_else_decides)
    with pytest.raises(AlreadyDecided) as error:
        verify_certificate(cert.id, staff)
    assert "rejected" in str(error.value.message)
    assert _status(db, cert.id) is CertificateStatus.REJECTED
    assert _events(db) == []


def _race(app, decide_a, decide_b, monkeypatch, hook_target, hook_name):
    """Run two decisions in two threads, both past their read before either writes."""
    barrier = threading.Barrier(2, timeout=20)
    real = getattr(hook_target, hook_name)

    def read_then_wait(*args, **kwargs):
        loaded = real(*args, **kwargs)
        barrier.wait()  # both have read the old status now
        return loaded

    monkeypatch.setattr(hook_target, hook_name, read_then_wait)
    outcomes: dict[str, object] = {}

    def run(name, decide):
        with app.app_context():
            try:
                decide()
                outcomes[name] = "won"
            except AlreadyDecided as error:
                outcomes[name] = error
            except Exception as error:  # noqa: BLE001 - reported by the assertion below
                outcomes[name] = repr(error)
            finally:
                _db.session.remove()

    threads = [
        threading.Thread(target=run, args=("a", decide_a)),
        threading.Thread(target=run, args=("b", decide_b)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes


def test_two_staff_deciding_at_once_cannot_both_win(
    app, db, submitted, staff, other_staff, monkeypatch, outbox
):
    cert, _ = submitted
    cert_id, staff_id, other_id = cert.id, staff.id, other_staff.id

    def as_user(user_id):
        return _db.session.get(User, user_id)

    outcomes = _race(
        app,
        lambda: verify_certificate(cert_id, as_user(staff_id)),
        lambda: reject_certificate(cert_id, as_user(other_id), "Con dấu không rõ"),
        monkeypatch,
        certificates,
        "_load_for_decision",
    )
    assert sorted(type(o).__name__ if not isinstance(o, str) else o for o in outcomes.values()) == [
        "AlreadyDecided",
        "won",
    ], outcomes
    db.session.expire_all()
    events = _events(db, cert_id)
    assert len(events) == 1
    winner = "a" if outcomes["a"] == "won" else "b"
    expected = CertificateStatus.VERIFIED if winner == "a" else CertificateStatus.REJECTED
    assert _status(db, cert_id) is expected
    assert events[0].to_status == expected.value
    assert len(mails(outbox)) == 1


# --- revoke -----------------------------------------------------------------------------------


def test_revoke_hides_the_listing_with_its_commit(db, make, staff, outbox):
    listing = make.listing(name="Mật ong bạc hà", coop=make.cooperative(email="htx@example.vn"))
    assert listing.id in search(SearchQuery(text="mat ong bac ha")).ids
    revoke_certificate(listing.certificate_id, staff, "Sản phẩm không đạt kiểm tra lại")
    assert not is_public(listing.id)
    assert listing.id not in search(SearchQuery(text="mat ong bac ha")).ids
    [event] = _events(db)
    assert (event.action, event.reason) == ("certificate.revoke", "Sản phẩm không đạt kiểm tra lại")
    db.session.expire_all()
    cert = db.session.get(Certificate, listing.certificate_id)
    assert cert.status_reason == "Sản phẩm không đạt kiểm tra lại"
    [message] = mails(outbox)
    assert "thu hồi" in message["Subject"] or "revoked" in message["Subject"]


def test_a_cart_holding_a_revoked_product_cannot_check_out(db, make, staff):
    from storefront.core.errors import NotPublic
    from storefront.domain.cart import NOT_PUBLIC, cart_summary
    from storefront.domain.orders.placement import place_order
    from storefront.models import Order, Package
    from tests.fixtures.shop import details, fill, guest

    listing = make.listing(packages=[{"stock": 5}])
    package_id = listing.packages[0].id
    owner = fill(guest(), (package_id, 2))
    revoke_certificate(listing.certificate_id, staff, "Giấy chứng nhận giả")

    summary = cart_summary(owner)
    assert [view.problem for view in summary.problems] == [NOT_PUBLIC]
    with pytest.raises(NotPublic):
        place_order(owner, details())
    db.session.expire_all()
    assert db.session.scalars(select(Order)).all() == []
    assert db.session.get(Package, package_id).stock == 5
