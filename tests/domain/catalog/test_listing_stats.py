"""Listing stats: sold counts move with shipping, shown as shops round them; a stats change is
a catalog change only when what a shopper sees changes; the recompute from the rows."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from storefront import search
from storefront.core.errors import NotFound
from storefront.core.formatting import format_rating, format_sold, rating_tenths, shown_sold
from storefront.domain.catalog.reviews import AlreadyVoted, vote_helpful
from storefront.domain.catalog.stats import rebuild_stats, record_shipped
from storefront.domain.orders.cancellation import cancel_shipment
from storefront.domain.orders.fulfilment import advance_shipment
from storefront.models import ListingStats, ListingStatus, Review, ReviewStatus, ReviewVote
from tests.fixtures.catalog import stored_version
from tests.fixtures.review_rows import add_review, set_sold, sync_ratings
from tests.fixtures.shop import buy


@pytest.mark.parametrize(
    ("count", "vi", "en"),
    [
        (0, "0", "0"),
        (7, "7", "7"),
        (999, "999", "999"),
        (1_000, "1k", "1k"),
        (1_234, "1,2k", "1.2k"),
        (1_299, "1,2k", "1.2k"),  # never rounded up
        (9_999, "9,9k", "9.9k"),
        (15_678, "15k", "15k"),
        (999_999, "999k", "999k"),
        (1_234_567, "1,2tr", "1.2M"),
        (12_500_000, "12,5tr", "12.5M"),
    ],
)
def test_sold_counts_read_as_vietnamese_shops_write_them(count, vi, en):
    assert format_sold(count, "vi") == vi
    assert format_sold(count, "en") == en
    assert format_sold(shown_sold(count), "vi") == vi  # the shown figure formats the same


def test_average_ratings_have_one_decimal_and_a_decimal_comma_in_vietnamese():
    assert rating_tenths(0, 0) == 0
    assert rating_tenths(14, 3) == 47  # 4,666…
    assert rating_tenths(9, 2) == 45  # 4,5 exactly
    assert rating_tenths(5, 1) == 50
    assert format_rating(47, "vi") == "4,7" and format_rating(47, "en") == "4.7"
    assert format_rating(50, "vi") == "5,0"


def _stats(db, listing_id):
    db.session.expire_all()
    return db.session.get(ListingStats, listing_id)


def _seller_order(make, stock=50, quantity=3):
    seller = make.user()
    coop = make.cooperative(owner=seller)
    listing = make.listing(coop=coop, packages=[{"stock": stock}])
    order = buy((listing.packages[0], quantity))
    return seller, listing, order.shipments[0].id


def test_shipping_adds_the_quantities_in_the_same_transaction(db, make, outbox):
    seller, listing, shipment_id = _seller_order(make, quantity=3)
    advance_shipment(shipment_id, "pack", user_id=seller.id)
    assert _stats(db, listing.id) is None  # packed is not sold
    advance_shipment(shipment_id, "ship", user_id=seller.id, carrier="VNPost", tracking_number="1")
    assert _stats(db, listing.id).sold_count == 3
    advance_shipment(shipment_id, "deliver", user_id=seller.id)
    assert _stats(db, listing.id).sold_count == 3  # delivered was already counted when shipped


def test_a_cancelled_shipment_never_counts(db, make, outbox):
    seller, listing, shipment_id = _seller_order(make, quantity=2)
    cancel_shipment(shipment_id, "hết hàng", user_id=seller.id)
    assert _stats(db, listing.id) is None
    assert rebuild_stats() == 0  # nothing shipped: nothing to write


def test_a_sale_that_keeps_the_shown_figure_keeps_every_cached_page(db, make, monkeypatch):
    reindexed: list[set[int]] = []
    monkeypatch.setattr(search, "index_listings", lambda ids: reindexed.append(set(ids)))
    seller, listing, shipment_id = _seller_order(make, quantity=1)
    set_sold(listing.id, 1_234)  # "1,2k"
    reindexed.clear()
    before = stored_version(db)
    record_shipped(shipment_id)  # 1 235: still "1,2k"
    db.session.commit()
    assert _stats(db, listing.id).sold_count == 1_235
    assert stored_version(db) == before and reindexed == []

    set_sold(listing.id, 1_299)
    reindexed.clear()
    before = stored_version(db)
    record_shipped(shipment_id)  # 1 300: "1,3k" shows
    db.session.commit()
    assert stored_version(db) == before + 1 and reindexed == [{listing.id}]


def test_below_a_thousand_each_sale_shows(db, make):
    _seller, listing, shipment_id = _seller_order(make, quantity=2)
    before = stored_version(db)
    record_shipped(shipment_id)
    db.session.commit()
    assert stored_version(db) == before + 1  # "Đã bán 2" is new


def test_ratings_move_the_version_and_reindex_the_listing(db, make, monkeypatch):
    listing = make.listing(packages=[{"stock": 20}])
    reindexed: list[set[int]] = []
    monkeypatch.setattr(search, "index_listings", lambda ids: reindexed.append(set(ids)))
    review = add_review(listing, 4, sync=False)
    before = stored_version(db)
    reindexed.clear()
    sync_ratings(listing.id)
    assert stored_version(db) == before + 1 and reindexed == [{listing.id}]
    # Saving the same figures again shows nothing new.
    before = stored_version(db)
    stats = db.session.get(ListingStats, listing.id)
    stats.rating_count, stats.rating_sum = 1, 4
    db.session.commit()
    assert stored_version(db) == before
    # The cooperative's answer shows on the product page: the version moves, no re-index.
    reindexed.clear()
    review.answer = "Cảm ơn anh đã ủng hộ HTX!"
    db.session.commit()
    assert stored_version(db) == before + 1 and all(not ids for ids in reindexed)


def test_a_helpful_vote_counts_once_and_keeps_the_cached_pages(db, make):
    listing = make.listing(packages=[{"stock": 20}])
    review = add_review(listing, 5, "Ngon")
    before = stored_version(db)
    assert vote_helpful(review.id, "u:1") == 1
    assert vote_helpful(review.id, "a:" + "f" * 40) == 2
    with pytest.raises(AlreadyVoted):
        vote_helpful(review.id, "u:1")
    db.session.expire_all()
    assert db.session.get(Review, review.id).helpful_count == 2
    assert len(db.session.scalars(select(ReviewVote)).all()) == 2
    assert stored_version(db) == before  # a vote is not a catalog change


def test_votes_on_hidden_reviews_or_hidden_listings_are_refused(db, make):
    listing = make.listing(packages=[{"stock": 20}])
    hidden = add_review(listing, 1, "spam", status=ReviewStatus.HIDDEN)
    with pytest.raises(NotFound):
        vote_helpful(hidden.id, "u:1")
    shown = add_review(listing, 5)
    listing.status = ListingStatus.PAUSED
    db.session.commit()
    with pytest.raises(NotFound):
        vote_helpful(shown.id, "u:1")
    with pytest.raises(NotFound):
        vote_helpful(999_999, "u:1")
    assert db.session.scalars(select(ReviewVote)).all() == []


def test_rebuild_recomputes_from_the_rows_and_is_idempotent(db, make, outbox):
    seller, listing, shipment_id = _seller_order(make, stock=50, quantity=4)
    advance_shipment(shipment_id, "ship", user_id=seller.id, carrier="GHN", tracking_number="2")
    add_review(listing, 5, sync=False)
    add_review(listing, 3, sync=False)
    add_review(listing, 1, status=ReviewStatus.HIDDEN, sync=False)
    # Drift the row on purpose (as a backfill finds it): the rebuild puts it right.
    db.session.execute(
        update(ListingStats).where(ListingStats.listing_id == listing.id).values(sold_count=99)
    )
    db.session.commit()
    assert rebuild_stats() == 1
    stats = _stats(db, listing.id)
    # 4 shipped, and the three reviewed lines (delivered), the hidden review's included.
    assert (stats.sold_count, stats.rating_count, stats.rating_sum) == (7, 2, 8)
    assert (stats.rating_1, stats.rating_3, stats.rating_5) == (0, 1, 1)
    before = stored_version(db)
    assert rebuild_stats() == 0  # nothing differs: nothing written, nothing moves
    assert stored_version(db) == before


def test_the_cli_rebuilds(runner, db, make):
    listing = make.listing(packages=[{"stock": 20}])
    add_review(listing, 4, sync=False)
    result = runner.invoke(args=["stats", "rebuild"])
    assert result.exit_code == 0 and "1 listing stats row(s) written" in result.output
    assert _stats(db, listing.id).rating_sum == 4
