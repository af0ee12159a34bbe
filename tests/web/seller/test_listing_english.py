"""The listing form's optional English name and short description: saved through the
listing edit (catalog version moved on), stripped, length-checked, plain text only."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storefront.core.errors import InvalidInput
from storefront.domain.catalog.listings import update_listing
from storefront.models import CatalogState, Listing, ListingStatus
from tests.fixtures import factories
from tests.fixtures.seller import seller, state
from tests.web.seller.test_listings import form_data, listing_input

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture(autouse=True)
def _english_pages(client):
    client.get("/?lang=en")


def _version(db) -> int:
    db.session.expire_all()
    return db.session.scalar(select(CatalogState.version)) or 0


def test_the_form_offers_both_fields_with_their_vietnamese_labels(client, auth):
    user, _coop = seller()
    auth.login(user)
    page = client.get("/seller/listings/new?lang=vi").get_data(as_text=True)
    assert "Tên tiếng Anh (không bắt buộc)" in page
    assert "Mô tả ngắn tiếng Anh (không bắt buộc)" in page
    assert 'name="name_en"' in page and 'name="summary_en"' in page


def test_a_new_listing_keeps_its_english_name_and_summary_stripped(client, auth, db):
    user, _coop = seller()
    auth.login(user)
    response = client.post(
        "/seller/listings/new",
        data=form_data(name_en="  Luc Ngan\r\n lychee ", summary_en=" Sweet,\r\njuicy lychees. "),
    )
    assert response.status_code == 302
    listing = db.session.scalar(select(Listing))
    assert (listing.name_en, listing.summary_en) == ("Luc Ngan lychee", "Sweet, juicy lychees.")


def test_both_fields_are_optional_and_empty_by_default(client, auth, db):
    user, _coop = seller()
    auth.login(user)
    assert client.post("/seller/listings/new", data=form_data()).status_code == 302
    listing = db.session.scalar(select(Listing))
    assert (listing.name_en, listing.summary_en) == ("", "")


def test_editing_saves_the_english_fields_moves_the_catalog_on_and_refills_the_form(
    client, auth, db
):
    user, coop = seller()
    listing = factories.listing(coop=coop, status=ListingStatus.DRAFT, packages=[{"stock": 3}])
    package = listing.packages[0]
    auth.login(user)
    before = _version(db)
    response = client.post(
        f"/seller/listings/{listing.id}/edit",
        data=form_data(
            name_en="Luc Ngan lychee",
            summary_en="Tree-ripened.",
            **{
                "packages-0-id": str(package.id),
                "packages-0-shown_stock": str(package.stock),
                "packages-0-stock": str(package.stock),
                "packages-1-label": None,
                "packages-1-weight": None,
                "packages-1-price": None,
                "packages-1-stock": None,
                "packages-1-preorder": None,
            },
        ),
    )
    assert response.status_code == 302
    db.session.expire_all()
    saved = db.session.get(Listing, listing.id)
    assert (saved.name_en, saved.summary_en) == ("Luc Ngan lychee", "Tree-ripened.")
    assert _version(db) > before
    form = client.get(f"/seller/listings/{listing.id}/edit").get_data(as_text=True)
    assert 'value="Luc Ngan lychee"' in form
    assert "Tree-ripened.</textarea>" in form


@pytest.mark.parametrize(
    ("field", "value"),
    [("name_en", "x" * 201), ("summary_en", "y" * 301)],
)
def test_too_long_english_text_is_refused_beside_the_field_and_nothing_saved(
    client, auth, field, value
):
    user, _coop = seller()
    auth.login(user)
    before = state()
    response = client.post("/seller/listings/new", data=form_data(**{field: value}))
    assert response.status_code == 400
    assert "Field cannot be longer than" in response.get_data(as_text=True)
    assert state() == before


def test_the_longest_allowed_english_text_is_kept(client, auth, db):
    user, _coop = seller()
    auth.login(user)
    response = client.post(
        "/seller/listings/new", data=form_data(name_en="n" * 200, summary_en="s" * 300)
    )
    assert response.status_code == 302
    listing = db.session.scalar(select(Listing))
    assert (len(listing.name_en), len(listing.summary_en)) == (200, 300)


def test_control_characters_are_refused_and_nothing_saved(client, auth):
    user, _coop = seller()
    auth.login(user)
    before = state()
    response = client.post("/seller/listings/new", data=form_data(name_en="Lychee\x07"))
    assert response.status_code == 400
    assert state() == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name_en", "a" * 201),
        ("summary_en", "b" * 301),
        ("name_en", "bad\x00"),
        ("summary_en", "\x1b"),
    ],
)
def test_the_domain_refuses_what_the_form_would(db, field, value):
    user, coop = seller()
    listing = factories.listing(coop=coop, status=ListingStatus.DRAFT)
    with pytest.raises(InvalidInput) as refused:
        update_listing(listing.id, coop.id, user, listing_input(**{field: value}))
    assert refused.value.details["field"] == field
    db.session.expire_all()
    assert db.session.get(Listing, listing.id).name_en == ""
