"""The cooperative's one answer, anyone's reports, and PFA staff hiding, showing again or
dismissing (issue 16, item 1): who may, once, audited, and the listing's rating summary moved
in the same transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storefront.core.errors import AlreadyDecided, Forbidden, InvalidInput, NotFound
from storefront.domain.reviews.answers import answer_review, cooperative_reviews
from storefront.domain.reviews.moderation import (
    dismiss_reports,
    hide_review,
    report_queue,
    report_review,
    reporter_key,
    unhide_review,
)
from storefront.domain.reviews.rules import AlreadyAnswered, AlreadyReported
from storefront.domain.reviews.writing import ReviewInput, save_review
from storefront.extensions import db
from storefront.models import (
    AuditEvent,
    ListingStats,
    ReportStatus,
    Review,
    ReviewReport,
    ReviewStatus,
    Role,
    User,
)
from tests.fixtures.pfa import audit_event_count
from tests.fixtures.reviews import order_of, recounted, report_count, shop, stats_of

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def reviewed(make):
    owner, coop, listing = shop(make)
    buyer = make.user(name="Lê Minh")
    bought = order_of(listing, buyer=buyer)
    review = save_review(bought.line_id, buyer, ReviewInput(rating=2, body="Quả nhỏ"))
    return owner, coop, listing, review


def test_a_member_answers_once(reviewed, make):
    owner, coop, listing, review = reviewed
    before = db.session.get(ListingStats, listing.id).updated_at
    answered = answer_review(review.id, coop.id, owner, "  Cảm ơn anh,\n mùa sau quả to hơn. ")
    assert (
        answered.answer == "Cảm ơn anh,\nmùa sau quả to hơn."
        and answered.answered_by_id == owner.id
    )
    db.session.expire_all()
    assert db.session.get(ListingStats, listing.id).updated_at >= before  # pages move on
    with pytest.raises(AlreadyAnswered):
        answer_review(review.id, coop.id, owner, "Lần hai")
    assert db.session.get(Review, review.id).answer.startswith("Cảm ơn")
    page = cooperative_reviews(coop.id, owner, awaiting=True)
    assert page.reviews == [] and page.awaiting == 0


def test_another_cooperative_cannot_answer_or_list(reviewed, make):
    _, coop, _, review = reviewed
    other_owner, other_coop, _ = shop(make, name="Mật ong")
    with pytest.raises(NotFound):
        answer_review(review.id, other_coop.id, other_owner, "Không phải của tôi")
    with pytest.raises(NotFound):  # claiming the right cooperative without being its member
        answer_review(review.id, coop.id, other_owner, "Giả danh")
    with pytest.raises(NotFound):
        cooperative_reviews(coop.id, other_owner)
    assert db.session.get(Review, review.id).answered_at is None


def test_an_empty_or_long_answer_is_refused(reviewed):
    owner, coop, _, review = reviewed
    for text in ("", " \n\t ", "x" * 2001):
        with pytest.raises(InvalidInput):
            answer_review(review.id, coop.id, owner, text)
    assert db.session.get(Review, review.id).answered_at is None


def test_the_awaiting_list(reviewed):
    owner, coop, _, review = reviewed
    page = cooperative_reviews(coop.id, owner, awaiting=True)
    assert [r.id for r in page.reviews] == [review.id] and page.awaiting == 1


# --- reports ------------------------------------------------------------------------------


def test_anyone_reports_once(reviewed, make):
    *_, review = reviewed
    visitor = reporter_key(None, "random-visitor-id")
    assert visitor.startswith("v:") and "random" not in visitor and len(visitor) <= 64
    report_review(review.id, visitor, "Quảng cáo")
    with pytest.raises(AlreadyReported):
        report_review(review.id, visitor, "Lần nữa")
    user = make.user()
    report_review(review.id, reporter_key(user.id, None), "Xúc phạm")
    assert report_count() == 2
    for reason in ("", "  ", "x" * 501):
        with pytest.raises(InvalidInput):
            report_review(review.id, reporter_key(None, "other"), reason)
    with pytest.raises(NotFound):
        report_review(review.id + 99, visitor, "Không có")
    assert report_count() == 2


# --- staff decisions ------------------------------------------------------------------------


def test_staff_hide_with_a_reason_audited_and_the_rating_leaves(reviewed, make):
    _, _, listing, review = reviewed
    report_review(review.id, reporter_key(None, "a"), "Sai sự thật")
    staff = make.user(role=Role.PFA)
    assert [item.review.id for item in report_queue(staff).items] == [review.id]
    with pytest.raises(InvalidInput):
        hide_review(review.id, staff, "")
    hidden = hide_review(review.id, staff, "Nội dung không đúng sự thật")
    assert hidden.status is ReviewStatus.HIDDEN and hidden.hidden_by_id == staff.id
    assert stats_of(listing.id) == (0, 0, 0, 0, 0, 0, 0) == recounted(listing.id)
    assert db.session.scalar(select(ReviewReport.status)) is ReportStatus.ACTIONED
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "review.hide"))
    assert (event.subject_type, event.subject_id, event.reason) == (
        "review",
        review.id,
        "Nội dung không đúng sự thật",
    )
    assert report_queue(staff).items == []
    assert [item.review.id for item in report_queue(staff, hidden=True).items] == [review.id]
    with pytest.raises(AlreadyDecided):
        hide_review(review.id, staff, "Lần hai")
    # A hidden review takes no more reports.
    with pytest.raises(NotFound):
        report_review(review.id, reporter_key(None, "b"), "Nữa")
    shown = unhide_review(review.id, staff)
    assert shown.status is ReviewStatus.VISIBLE
    assert stats_of(listing.id) == (1, 2, 0, 1, 0, 0, 0) == recounted(listing.id)
    assert audit_event_count() == 2


def test_only_staff_decide(reviewed, make):
    owner, _, listing, review = reviewed
    report_review(review.id, reporter_key(None, "a"), "Sai")
    events = audit_event_count()
    for actor in (None, owner, make.user()):
        with pytest.raises(Forbidden):
            hide_review(review.id, actor, "Lý do")
        with pytest.raises(Forbidden):
            dismiss_reports(review.id, actor)
        with pytest.raises(Forbidden):
            report_queue(actor)
    assert db.session.get(Review, review.id).status is ReviewStatus.VISIBLE
    assert audit_event_count() == events
    assert stats_of(listing.id) == (1, 2, 0, 1, 0, 0, 0)


def test_dismissing_leaves_the_review_shown(reviewed, make):
    *_, listing, review = reviewed
    report_review(review.id, reporter_key(None, "a"), "Sai")
    report_review(review.id, reporter_key(None, "b"), "Sai nữa")
    admin = make.user(role=Role.ADMIN)
    assert dismiss_reports(review.id, admin) == 2
    assert set(db.session.scalars(select(ReviewReport.status))) == {ReportStatus.DISMISSED}
    assert db.session.get(Review, review.id).status is ReviewStatus.VISIBLE
    with pytest.raises(AlreadyDecided):
        dismiss_reports(review.id, admin)
    assert (
        db.session.scalar(select(AuditEvent.action).where(AuditEvent.subject_type == "review"))
        == "review.dismiss_reports"
    )
    assert stats_of(listing.id) == recounted(listing.id)


def test_editing_a_hidden_review_leaves_the_summary_alone(reviewed, make):
    _, _, listing, review = reviewed
    hide_review(review.id, make.user(role=Role.PFA), "Spam")
    line = review.order_line
    buyer_id = line.order.user_id
    save_review(line.id, db.session.get(User, buyer_id), ReviewInput(rating=5))
    assert stats_of(listing.id) == (0, 0, 0, 0, 0, 0, 0) == recounted(listing.id)
