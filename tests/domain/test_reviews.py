"""Writing reviews (issue 16, items 1 and 6): only the order's own buyer, only a delivered
line, once per line, never a member of the cooperative that sold it; plain text; photos
checked like listing photos; editable for 30 days; the listing's rating summary moves in the
same transaction. Each refusal changes nothing."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from storefront.core import clock
from storefront.core.errors import InvalidInput, InvalidUpload, NotFound
from storefront.core.files import Upload
from storefront.core.text import plain_text
from storefront.domain.reviews.links import review_link_token
from storefront.domain.reviews.rules import (
    EditWindowClosed,
    InvalidReviewLink,
    NotReviewable,
    OwnProduct,
)
from storefront.domain.reviews.writing import (
    ReviewInput,
    author_name,
    draft_for_link,
    line_reviews,
    save_review,
    save_review_by_link,
)
from storefront.extensions import db
from storefront.models import MemberRole, Review, ReviewStatus, Shipment, ShipmentStatus
from tests.fixtures.concurrency import race
from tests.fixtures.reviews import (
    order_of,
    photo,
    photo_count,
    recounted,
    review_count,
    review_files,
    shop,
    stats_of,
)
from tests.fixtures.seller import member_of

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def world(make):
    owner, coop, listing = shop(make)
    buyer = make.user(name="Nguyễn Thị Lan")
    return owner, coop, listing, buyer


def test_the_buyer_reviews_a_delivered_line_and_the_summary_moves(world):
    _, coop, listing, buyer = world
    bought = order_of(listing, buyer=buyer)
    review = save_review(
        bought.line_id, buyer, ReviewInput(rating="5", body="  Vải  ngọt,\r\n\r\n\r\nthơm\x07 ")
    )
    assert review.status is ReviewStatus.VISIBLE
    assert (review.rating, review.body) == (5, "Vải ngọt,\n\nthơm")
    assert review.author_name == "Nguyễn T. L."
    assert (review.user_id, review.cooperative_id, review.listing_id) == (
        buyer.id,
        coop.id,
        listing.id,
    )
    assert stats_of(listing.id) == (1, 5, 0, 0, 0, 0, 1) == recounted(listing.id)


def test_markup_is_kept_as_text_never_as_markup(world):
    _, _, listing, buyer = world
    bought = order_of(listing, buyer=buyer)
    review = save_review(
        bought.line_id, buyer, ReviewInput(rating=4, body="<script>x()</script> ngon")
    )
    assert review.body == "<script>x()</script> ngon"  # escaped where shown


def test_plain_text_drops_control_and_invisible_characters():
    assert plain_text("a\u202eb\u200bc\x00d\x1be\tf  g\u00a0h") == "abcde f g h"
    assert plain_text("\n\n một \n\n\n\n hai \n") == "một\n\nhai"


def test_author_names_are_shortened():
    assert author_name("Trần Văn Bình") == "Trần V. B."
    assert author_name("  Lan ") == "Lan"
    assert author_name("") == "A buyer"


# --- refusals: each changes nothing -------------------------------------------------------------


def _nothing_written(listing) -> None:
    assert review_count() == 0
    assert stats_of(listing.id) is None
    assert review_files() == set()


def test_another_customers_line_is_not_found(world, make):
    _, _, listing, buyer = world
    bought = order_of(listing, buyer=buyer)
    intruder = make.user()
    with pytest.raises(NotFound):
        save_review(bought.line_id, intruder, ReviewInput(rating=1, photos=[photo()]))
    with pytest.raises(NotFound):
        save_review(bought.line_id, None, ReviewInput(rating=1))
    with pytest.raises(NotFound):
        save_review(bought.line_id + 999, buyer, ReviewInput(rating=1))
    _nothing_written(listing)


def test_a_guest_line_cannot_be_reviewed_by_id_from_an_account(world):
    _, _, listing, buyer = world
    bought = order_of(listing, email=buyer.email)  # a guest order with the same e-mail
    with pytest.raises(NotFound):
        save_review(bought.line_id, buyer, ReviewInput(rating=5))
    _nothing_written(listing)


def test_an_undelivered_line_cannot_be_reviewed(world):
    _, _, listing, buyer = world
    bought = order_of(listing, buyer=buyer, deliver=False)
    with pytest.raises(NotReviewable, match="once its parcel has been delivered"):
        save_review(bought.line_id, buyer, ReviewInput(rating=5))
    shipped = db.session.get(Shipment, bought.line.shipment_id)
    shipped.status = ShipmentStatus.SHIPPED
    db.session.commit()
    with pytest.raises(NotReviewable):
        save_review(bought.line_id, buyer, ReviewInput(rating=5, photos=[photo()]))
    _nothing_written(listing)


def test_a_cancelled_line_cannot_be_reviewed(world):
    _, _, listing, buyer = world
    bought = order_of(listing, buyer=buyer, deliver=False)
    part = db.session.get(Shipment, bought.line.shipment_id)
    part.status = ShipmentStatus.CANCELLED
    db.session.commit()
    with pytest.raises(NotReviewable, match="cancelled"):
        save_review(bought.line_id, buyer, ReviewInput(rating=5))
    _nothing_written(listing)


def test_a_cooperative_member_cannot_review_its_own_product(world, make):
    owner, coop, listing, _ = world
    staff = member_of(coop, MemberRole.STAFF)
    for member in (owner, staff):
        bought = order_of(listing, buyer=member)
        with pytest.raises(OwnProduct):
            save_review(bought.line_id, member, ReviewInput(rating=5))
    # Nor as a guest with a member's e-mail, through the link.
    bought = order_of(listing, email=owner.email.upper())
    with pytest.raises(OwnProduct):
        save_review_by_link(review_link_token(bought.line), ReviewInput(rating=5))
    assert line_reviews(bought.order) == {}
    _nothing_written(listing)


def test_bad_input_is_refused_with_the_field_named(world):
    _, _, listing, buyer = world
    bought = order_of(listing, buyer=buyer)
    for rating in ("", "0", "6", "5.0", "٥", None, True):
        with pytest.raises(InvalidInput) as refused:
            save_review(bought.line_id, buyer, ReviewInput(rating=rating))
        assert refused.value.details["field"] == "rating"
    with pytest.raises(InvalidInput) as refused:
        save_review(bought.line_id, buyer, ReviewInput(rating=3, body="x" * 4001))
    assert refused.value.details["field"] == "body"
    too_many = [photo(f"{n}.png") for n in range(6)]
    with pytest.raises(InvalidUpload):
        save_review(bought.line_id, buyer, ReviewInput(rating=3, photos=too_many))
    not_a_photo = Upload("x.png", io.BytesIO(b"<svg onload=alert(1)>"))
    with pytest.raises(InvalidUpload):
        save_review(bought.line_id, buyer, ReviewInput(rating=3, photos=[photo(), not_a_photo]))
    _nothing_written(listing)


# --- the signed link --------------------------------------------------------------------------


def test_a_guest_reviews_through_the_signed_link(world):
    _, _, listing, _ = world
    bought = order_of(listing)
    token = review_link_token(bought.line)
    draft = draft_for_link(token)
    assert draft.line.id == bought.line_id and draft.review is None
    review = save_review_by_link(token, ReviewInput(rating=4, body="Ổn"))
    assert review.user_id is None and review.author_name == "Nguyễn T. L."
    assert stats_of(listing.id) == (1, 4, 0, 0, 0, 1, 0)


def test_a_tampered_expired_or_stale_link_is_refused(world, app):
    _, _, listing, _ = world
    bought = order_of(listing)
    other = order_of(listing)
    token = review_link_token(bought.line)
    for bad in (token[:-2] + "xx", review_link_token(other.line)[:20] + token[20:], "garbage"):
        with pytest.raises(InvalidReviewLink):
            save_review_by_link(bad, ReviewInput(rating=5))
    # The order's contact corrected: the old link is dead.
    bought.order.phone = "0987654321"
    db.session.commit()
    with pytest.raises(InvalidReviewLink):
        save_review_by_link(token, ReviewInput(rating=5))
    fresh = review_link_token(bought.line)
    days = app.config["REVIEW_LINK_MAX_AGE_DAYS"]
    with clock.frozen(clock.now() + timedelta(days=days, hours=1)):
        with pytest.raises(InvalidReviewLink, match="expired"):
            save_review_by_link(fresh, ReviewInput(rating=5))
    assert review_count() == 0


def test_a_link_never_opens_another_line(world, app):
    _, _, listing, _ = world
    bought, other = order_of(listing), order_of(listing)
    review = save_review_by_link(review_link_token(bought.line), ReviewInput(rating=2))
    assert review.order_line_id == bought.line_id
    assert db.session.scalar(select(Review).where(Review.order_line_id == other.line_id)) is None


def test_an_undelivered_line_link_is_refused(world):
    _, _, listing, _ = world
    bought = order_of(listing, deliver=False)
    with pytest.raises(NotReviewable):
        draft_for_link(review_link_token(bought.line))


# --- editing, photos ------------------------------------------------------------------------


def test_one_review_per_line_edited_for_30_days(world):
    _, _, listing, buyer = world
    bought = order_of(listing, buyer=buyer)
    first = save_review(bought.line_id, buyer, ReviewInput(rating=2, body="Chua"))
    again = save_review(bought.line_id, buyer, ReviewInput(rating=5, body="Ngọt rồi"))
    assert again.id == first.id and review_count() == 1
    assert again.edited_at is not None
    assert stats_of(listing.id) == (1, 5, 0, 0, 0, 0, 1) == recounted(listing.id)
    assert line_reviews(bought.order)[bought.line_id].state == "edit"
    with clock.frozen(clock.now() + timedelta(days=30, minutes=1)):
        with pytest.raises(EditWindowClosed, match="30 days"):
            save_review(bought.line_id, buyer, ReviewInput(rating=1, photos=[photo()]))
        assert line_reviews(bought.order)[bought.line_id].state == "done"
    db.session.expire_all()
    assert db.session.get(Review, first.id).rating == 5
    assert stats_of(listing.id) == (1, 5, 0, 0, 0, 0, 1)
    assert review_files() == set()


def test_photos_are_stored_under_their_own_prefix_and_removed_on_edit(world):
    _, _, listing, buyer = world
    bought = order_of(listing, buyer=buyer)
    review = save_review(
        bought.line_id, buyer, ReviewInput(rating=5, photos=[photo(), photo("b.png")])
    )
    assert review.photo_count == 2 and len(review_files()) == 6  # 3 sizes each
    assert all(name.endswith(".webp") for name in review_files())
    first = review.photos[0]
    review = save_review(
        bought.line_id,
        buyer,
        ReviewInput(rating=5, photos=[photo("c.png")], remove_photos=[first.id]),
    )
    assert review.photo_count == 2 and photo_count() == 2
    assert not any(name.startswith(first.filename) for name in review_files())
    # Five in all at most, counting the ones kept.
    with pytest.raises(InvalidUpload, match="at most 5"):
        save_review(
            bought.line_id, buyer, ReviewInput(rating=5, photos=[photo() for _ in range(4)])
        )
    assert photo_count() == 2 and len(review_files()) == 6


# --- at once ----------------------------------------------------------------------------------


def test_two_first_reviews_of_one_line_at_once_make_one(app, world):
    _, _, listing, _ = world
    bought = order_of(listing)
    token = review_link_token(bought.line)
    listing_id = listing.id
    db.session.remove()

    def write(rating: int):
        return lambda: save_review_by_link(token, ReviewInput(rating=rating))

    results = race(app, [write(5), write(1)])
    assert sorted(results) == ["done", "done"] or sorted(results) == [
        "AlreadyReviewed",
        "done",
    ], results
    assert review_count() == 1
    # Whichever came second edited or was refused: the summary is the one review.
    assert stats_of(listing_id) == recounted(listing_id)
    assert stats_of(listing_id)[0] == 1
