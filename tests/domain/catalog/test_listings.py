"""Listings as domain functions: stock edits against concurrent orders, packages of their own
listing only, status moves, deletion, photos."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, update

from storefront.core.errors import CooperativeNotApproved, InvalidTransition, NotFound, StockChanged
from storefront.core.files import Upload
from storefront.domain.catalog.listings import (
    ListingInput,
    PackageInput,
    add_photos,
    create_listing,
    delete_listing,
    move_photo,
    pause_listing,
    publish_listing,
    resume_listing,
    set_cover_photo,
    update_listing,
)
from storefront.models import CooperativeStatus, Listing, ListingImage, ListingStatus, Package
from tests.fixtures import factories
from tests.fixtures.seller import png_bytes, seller, state

pytestmark = pytest.mark.usefixtures("english")


def listing_input(**overrides) -> ListingInput:
    values = {
        "name": "Mật ong bạc hà",
        "description": "",
        "ocop_group": 1,
        "origin_commune_code": factories.LUC_NGAN_COMMUNE,
        "packages": [PackageInput(label="Chai 500 ml", weight_grams=700, price=250_000, stock=5)],
    }
    values.update(overrides)
    return ListingInput(**values)


def _stream(data: bytes):
    import io

    return io.BytesIO(data)


def test_an_edit_never_overwrites_a_concurrent_order_s_stock_decrement(app, db):
    user, coop = seller()
    listing = factories.listing(coop=coop, packages=[{"label": "Hộp 1 kg", "stock": 10}])
    package = listing.packages[0]
    # The form showed 10; meanwhile an order took 2.
    db.session.execute(update(Package).where(Package.id == package.id).values(stock=8))
    db.session.commit()

    # Stock left as shown: the edit saves, and the order's decrement stands.
    unchanged = PackageInput(
        id=package.id,
        label="Hộp 1 kg (mới)",
        weight_grams=1000,
        price=150_000,
        stock=10,
        shown_stock=10,
    )
    update_listing(listing.id, coop.id, user, listing_input(packages=[unchanged]))
    db.session.expire_all()
    assert db.session.get(Package, package.id).stock == 8
    assert db.session.get(Package, package.id).label == "Hộp 1 kg (mới)"

    # Stock changed from a stale figure: refused, nothing changes.
    stale = PackageInput(
        id=package.id,
        label="Hộp 1 kg (sửa)",
        weight_grams=1000,
        price=150_000,
        stock=50,
        shown_stock=10,
    )
    with pytest.raises(StockChanged):
        update_listing(listing.id, coop.id, user, listing_input(packages=[stale]))
    db.session.expire_all()
    assert db.session.get(Package, package.id).stock == 8
    assert db.session.get(Package, package.id).label == "Hộp 1 kg (mới)"


def test_a_package_of_another_listing_cannot_be_edited_through_this_one(app, db):
    user, coop = seller()
    mine = factories.listing(coop=coop)
    other = factories.listing(coop=coop)
    theirs = other.packages[0]
    before = state()
    with pytest.raises(NotFound):
        update_listing(
            mine.id,
            coop.id,
            user,
            listing_input(
                packages=[PackageInput(id=theirs.id, label="x", weight_grams=1, price=1, stock=0)]
            ),
        )
    assert state() == before


def test_publish_pause_resume(app, db):
    user, coop = seller()
    listing = factories.listing(coop=coop, status=ListingStatus.DRAFT)
    assert publish_listing(listing.id, coop.id, user).status is ListingStatus.ACTIVE
    with pytest.raises(InvalidTransition):
        publish_listing(listing.id, coop.id, user)
    assert pause_listing(listing.id, coop.id, user).status is ListingStatus.PAUSED
    with pytest.raises(InvalidTransition):
        pause_listing(listing.id, coop.id, user)
    assert resume_listing(listing.id, coop.id, user).status is ListingStatus.ACTIVE


def test_a_suspended_cooperative_cannot_resume_sales(app, db):
    user, coop = seller()
    listing = factories.listing(coop=coop, status=ListingStatus.PAUSED)
    coop.status = CooperativeStatus.SUSPENDED
    db.session.commit()
    with pytest.raises(CooperativeNotApproved):
        resume_listing(listing.id, coop.id, user)
    db.session.expire_all()
    assert db.session.get(Listing, listing.id).status is ListingStatus.PAUSED


def test_a_draft_is_deleted_with_its_photo_files(app, db):
    user, coop = seller()
    listing = factories.listing(coop=coop, status=ListingStatus.DRAFT)
    [photo] = add_photos(listing.id, coop.id, user, [Upload("a.png", _stream(png_bytes()))])
    card = Path(app.config["UPLOAD_DIR"]) / "listings" / f"{photo.filename}-card.webp"
    assert card.exists()
    assert delete_listing(listing.id, coop.id, user) == "deleted"
    assert db.session.get(Listing, listing.id) is None
    assert not card.exists()


def test_a_listing_that_was_on_sale_is_archived_and_frees_its_certificate(app, db):
    user, coop = seller()
    listing = factories.listing(coop=coop)
    cert_id = listing.certificate_id
    assert delete_listing(listing.id, coop.id, user) == "archived"
    db.session.expire_all()
    archived = db.session.get(Listing, listing.id)
    assert archived.status is ListingStatus.ARCHIVED and archived.certificate_id is None
    # The product can be listed again under the same certificate.
    again = create_listing(coop.id, user, listing_input(certificate_id=cert_id))
    assert again.certificate_id == cert_id
    with pytest.raises(InvalidTransition):
        update_listing(listing.id, coop.id, user, listing_input())


def test_photos_cover_and_order(app, db):
    user, coop = seller()
    listing = factories.listing(coop=coop)
    a, b, c = add_photos(
        listing.id, coop.id, user, [Upload(f"{n}.png", _stream(png_bytes())) for n in "abc"]
    )

    def order():
        db.session.expire_all()
        return [
            p.id
            for p in db.session.scalars(select(ListingImage).order_by(ListingImage.position)).all()
        ]

    assert order() == [a.id, b.id, c.id]
    set_cover_photo(listing.id, c.id, coop.id, user)
    assert order() == [c.id, a.id, b.id]
    move_photo(listing.id, b.id, coop.id, user, -1)
    assert order() == [c.id, b.id, a.id]
    move_photo(listing.id, c.id, coop.id, user, -1)  # already first: stays
    assert order() == [c.id, b.id, a.id]
