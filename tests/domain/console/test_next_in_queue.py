""" "Decide and open the next" (issue 12): the next file of a queue is the oldest one the staff
member may decide, never the one just decided, one of a cooperative they are not independent
of, nor a 5-star certificate whose first approval they gave."""

from __future__ import annotations

from datetime import timedelta

from storefront.domain.certificates.decisions import reject_certificate, verify_certificate
from storefront.domain.console.queues import next_certificate, next_cooperative
from storefront.extensions import db as _db
from storefront.models import (
    CertificateStatus,
    CooperativeMember,
    CooperativeStatus,
    MemberRole,
    utcnow,
)


def _submitted(make, coop=None, days_ago=0, **kw):
    cert = make.certificate(coop or make.cooperative(), status=CertificateStatus.SUBMITTED, **kw)
    cert.created_at = utcnow() - timedelta(days=days_ago)
    _db.session.commit()
    return cert


def test_the_oldest_certificate_first_and_never_the_one_just_decided(make, staff):
    newest = _submitted(make, days_ago=1)
    oldest = _submitted(make, days_ago=3)
    middle = _submitted(make, days_ago=2)
    make.certificate(make.cooperative(), status=CertificateStatus.VERIFIED)  # not in the queue
    assert next_certificate(staff) == oldest.id
    assert next_certificate(staff, after=oldest.id) == middle.id
    reject_certificate(middle.id, staff, "Sai số")
    assert next_certificate(staff, after=oldest.id) == newest.id
    assert next_certificate(staff, after=newest.id) == oldest.id


def test_a_first_approval_of_ones_own_is_skipped_a_colleagues_is_not(make, staff, other_staff):
    five = _submitted(make, days_ago=5, stars=5)
    four = _submitted(make, days_ago=1)
    verify_certificate(five.id, staff)  # the first approval: still awaiting verification
    assert next_certificate(staff) == four.id  # the two-person rule: a colleague confirms it
    assert next_certificate(staff, after=four.id) is None
    assert next_certificate(other_staff) == five.id
    assert next_certificate(other_staff, after=five.id) == four.id


def test_cooperatives_one_is_not_independent_of_are_skipped(make, staff, other_staff):
    own = make.cooperative()
    _db.session.add(
        CooperativeMember(cooperative_id=own.id, user_id=staff.id, role=MemberRole.STAFF)
    )
    _db.session.commit()
    conflicted = _submitted(make, own, days_ago=4)
    free = _submitted(make, days_ago=2)
    assert next_certificate(staff) == free.id
    assert next_certificate(staff, after=free.id) is None
    assert next_certificate(other_staff) == conflicted.id

    waiting = make.cooperative(status=CooperativeStatus.APPLIED)
    own.status = CooperativeStatus.APPLIED
    own.created_at = waiting.created_at - timedelta(days=1)
    _db.session.commit()
    assert next_cooperative(other_staff) == own.id
    assert next_cooperative(staff) == waiting.id
    assert next_cooperative(staff, after=waiting.id) is None


def test_applications_oldest_first_and_an_empty_queue(make, staff):
    assert next_cooperative(staff) is None
    later = make.cooperative(status=CooperativeStatus.APPLIED)
    earlier = make.cooperative(status=CooperativeStatus.APPLIED)
    earlier.created_at = later.created_at - timedelta(hours=1)
    make.cooperative(status=CooperativeStatus.APPROVED)
    _db.session.commit()
    assert next_cooperative(staff) == earlier.id
    assert next_cooperative(staff, after=earlier.id) == later.id
    assert next_cooperative(staff, after=later.id) == earlier.id
    assert next_certificate(staff) is None
