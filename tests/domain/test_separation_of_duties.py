"""Separation of duties (issue 11, item 3): nobody decides on a cooperative they applied for or
work for, or on a certificate of such a cooperative. A refusal changes nothing: no status, no
audit event, no e-mail."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from storefront.core.clock import today as shop_today
from storefront.core.errors import ConflictOfInterest, Forbidden, SecondReviewerRequired
from storefront.core.files import Upload
from storefront.domain.certificates import decisions as cert_decisions
from storefront.domain.certificates.submissions import CertificateInput, submit_certificate
from storefront.domain.cooperatives import decisions as coop_decisions
from storefront.domain.cooperatives.applications import (
    CooperativeApplication,
)
from storefront.extensions import db as _db
from storefront.models import (
    CertificateStatus,
    Cooperative,
    CooperativeMember,
    CooperativeStatus,
    MemberRole,
    Role,
)
from tests.fixtures import factories
from tests.fixtures.mail import mails
from tests.fixtures.pfa import applied_before_becoming_staff
from tests.fixtures.pfa import audit_event_count as _events
from tests.fixtures.pfa import certificate_status as _cert_status
from tests.fixtures.pfa import cooperative_status as _coop_status

pytestmark = pytest.mark.usefixtures("english")

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def test_the_self_certification_attack_is_refused(db, outbox):
    insider = factories.user(role=Role.PFA, email="insider@hoinongdan.vn")
    colleague = factories.user(role=Role.PFA, email="colleague@hoinongdan.vn")
    coop = applied_before_becoming_staff(
        insider,
        CooperativeApplication(
            legal_name="HTX Tự Duyệt",
            registration_number="SELF-1",
            address="Thôn 1",
            commune_code=factories.LUC_NGAN_COMMUNE,
            phone="0912345678",
            email="htx@example.vn",
        ),
    )
    coop_id = coop.id
    before = _events()

    with pytest.raises(ConflictOfInterest) as caught:
        coop_decisions.approve_cooperative(coop_id, insider)
    assert isinstance(caught.value, Forbidden)
    assert "Another Farmers' Association staff member must decide" in str(caught.value.message)
    assert _coop_status(coop_id) is CooperativeStatus.APPLIED
    assert _events() == before
    assert mails(outbox) == []

    coop_decisions.approve_cooperative(coop_id, colleague)  # someone independent may
    assert _coop_status(coop_id) is CooperativeStatus.APPROVED

    cert = submit_certificate(
        coop_id,
        insider,
        CertificateInput(
            number="99/QĐ-UBND",
            stars=5,
            product_name="Mật ong rừng",
            issuing_authority="UBND tỉnh Bắc Giang",
            issued_on=shop_today() - timedelta(days=30),
        ),
        Upload("scan.pdf", io.BytesIO(PDF)),
    )
    cert_id = cert.id
    before, sent = _events(), len(mails(outbox))
    with pytest.raises(ConflictOfInterest):
        cert_decisions.verify_certificate(cert_id, insider)
    assert _cert_status(cert_id) is CertificateStatus.SUBMITTED
    assert _events() == before
    assert len(mails(outbox)) == sent

    # Leaving the cooperative does not make them independent: the audit trail remembers.
    _db.session.execute(
        CooperativeMember.__table__.delete().where(CooperativeMember.user_id == insider.id)
    )
    _db.session.commit()
    with pytest.raises(ConflictOfInterest):
        cert_decisions.verify_certificate(cert_id, insider)
    with pytest.raises(ConflictOfInterest):
        coop_decisions.suspend_cooperative(coop_id, insider, "Tự đình chỉ")
    assert _cert_status(cert_id) is CertificateStatus.SUBMITTED
    assert _events() == before

    # 5 stars: the colleague's verification is a first approval; the insider can never give
    # the second, nor can the colleague; a third, independent staff member can.
    cert_decisions.verify_certificate(cert_id, colleague)
    assert _cert_status(cert_id) is CertificateStatus.SUBMITTED
    before = _events()
    with pytest.raises(ConflictOfInterest):
        cert_decisions.confirm_verification(cert_id, insider)
    with pytest.raises(SecondReviewerRequired):
        cert_decisions.confirm_verification(cert_id, colleague)
    assert _cert_status(cert_id) is CertificateStatus.SUBMITTED
    assert _events() == before
    cert_decisions.confirm_verification(
        cert_id, factories.user(role=Role.PFA, email="third@hoinongdan.vn")
    )
    assert _cert_status(cert_id) is CertificateStatus.VERIFIED


@pytest.mark.parametrize("role", [MemberRole.OWNER, MemberRole.STAFF])
def test_a_member_decides_nothing_about_their_cooperative(db, outbox, role):
    insider = factories.user(role=Role.PFA)
    coop = factories.cooperative(status=CooperativeStatus.APPLIED, email="htx@example.vn")
    _db.session.add(CooperativeMember(cooperative_id=coop.id, user_id=insider.id, role=role))
    submitted = factories.certificate(coop, status=CertificateStatus.SUBMITTED, number="A-1")
    verified = factories.certificate(coop, status=CertificateStatus.VERIFIED, number="A-2")
    _db.session.commit()
    coop_id, submitted_id, verified_id = coop.id, submitted.id, verified.id
    before = _events()

    def refused(call, *args):
        with pytest.raises(ConflictOfInterest):
            call(*args)

    refused(coop_decisions.approve_cooperative, coop_id, insider)
    refused(coop_decisions.reject_cooperative, coop_id, insider, "Không đạt")
    assert _coop_status(coop_id) is CooperativeStatus.APPLIED
    for status in (CooperativeStatus.APPROVED, CooperativeStatus.SUSPENDED):
        _db.session.get(Cooperative, coop_id).status = status
        _db.session.commit()
        refused(coop_decisions.suspend_cooperative, coop_id, insider, "Vi phạm")
        refused(coop_decisions.reinstate_cooperative, coop_id, insider, "Đã khắc phục")
        assert _coop_status(coop_id) is status
    refused(cert_decisions.verify_certificate, submitted_id, insider)
    refused(cert_decisions.reject_certificate, submitted_id, insider, "Sai số")
    refused(cert_decisions.revoke_certificate, verified_id, insider, "Giả")
    assert _cert_status(submitted_id) is CertificateStatus.SUBMITTED
    assert _cert_status(verified_id) is CertificateStatus.VERIFIED
    assert _events() == before
    assert mails(outbox) == []


def test_membership_elsewhere_does_not_matter(db, outbox):
    staff = factories.user(role=Role.PFA)
    factories.cooperative(owner=staff)  # their own, not the one decided on
    coop = factories.cooperative(status=CooperativeStatus.APPLIED, email="htx@example.vn")
    cert = factories.certificate(coop, status=CertificateStatus.SUBMITTED, number="B-1")
    coop_id, cert_id = coop.id, cert.id
    coop_decisions.approve_cooperative(coop_id, staff)
    cert_decisions.verify_certificate(cert_id, staff)
    assert _coop_status(coop_id) is CooperativeStatus.APPROVED
    assert _cert_status(cert_id) is CertificateStatus.VERIFIED
