"""Listings as the cooperative manages them: forms, packages and prices, status moves, photos,
stock, and the Markdown description."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select, update

from storefront.core.errors import CertificateInUse, CooperativeNotApproved, StockChanged
from storefront.core.files import Upload
from storefront.domain.catalog.listings import (
    ListingInput,
    PackageInput,
    add_photos,
    create_listing,
    low_stock_packages,
    publish_listing,
    update_stock,
)
from storefront.models import (
    CertificateStatus,
    CooperativeStatus,
    Listing,
    ListingImage,
    ListingStatus,
    Package,
)
from storefront.web.seller.forms import parse_whole_number
from tests.fixtures import factories
from tests.fixtures.seller import LUC_NGAN_PROVINCE, png_bytes, seller, state

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture(autouse=True)
def _english_pages(client):
    """These tests read the pages' English msgids; the shop itself starts in Vietnamese."""
    client.get("/?lang=en")


def form_data(**overrides) -> dict:
    data = {
        "name": "Vải thiều Lục Ngạn",
        "ocop_group": "1",
        "description": "Quả **to**, cùi dày.",
        "province": str(LUC_NGAN_PROVINCE),
        "commune": str(factories.LUC_NGAN_COMMUNE),
        "legacy_commune": "0",
        "origin_recorded": "",
        "certificate": "0",
        "packages-0-label": "Hộp 1 kg",
        "packages-0-weight": "1.000",
        "packages-0-price": "150.000",
        "packages-0-stock": "20",
        "packages-1-label": "Túi 500 g",
        "packages-1-weight": "500",
        "packages-1-price": "85000",
        "packages-1-stock": "0",
        "packages-1-preorder": "y",
        "packages-2-label": "",
        "save": "Save",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


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


# --- what people type for numbers -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("150000", 150_000),
        ("150.000", 150_000),
        ("150,000", 150_000),
        ("150 000", 150_000),
        ("1.250.000", 1_250_000),
        ("150.000 ₫", 150_000),
        ("150.000đ", 150_000),
        ("150000 VND", 150_000),
        (" 85000 ", 85_000),
    ],
)
def test_prices_are_read_the_way_people_type_them(typed, value):
    assert parse_whole_number(typed, money=True) == value


@pytest.mark.parametrize(
    "typed",
    ["150.5", "150,5", "1.5", "150.00", "-5", "-150.000", "1e5", "0x10", "abc", "15.0000", "₫"],
)
def test_decimals_negatives_and_nonsense_are_refused(typed):
    with pytest.raises(ValueError):
        parse_whole_number(typed, money=True)


# --- creating and editing through the form --------------------------------------------------------


def test_a_new_listing_with_two_packages_is_saved_as_a_draft(client, auth, db):
    user, coop = seller()
    auth.login(user)
    response = client.post("/seller/listings/new", data=form_data())
    assert response.status_code == 302
    listing = db.session.scalar(select(Listing))
    assert listing.status is ListingStatus.DRAFT
    assert listing.cooperative_id == coop.id
    assert [(p.label, p.weight_grams, p.price, p.stock, p.preorder) for p in listing.packages] == [
        ("Hộp 1 kg", 1000, 150_000, 20, False),
        ("Túi 500 g", 500, 85_000, 0, True),
    ]
    assert listing.origin_commune.code == factories.LUC_NGAN_COMMUNE
    assert listing.origin_recorded.startswith("Xã Lục Ngạn")
    assert response.headers["Location"].endswith(f"/seller/listings/{listing.id}")


@pytest.mark.parametrize("price", ["150.5", "-150000", "0", "abc", "150,50"])
def test_a_bad_price_is_shown_beside_the_field_and_nothing_is_saved(client, auth, db, price):
    user, _coop = seller()
    auth.login(user)
    before = state()
    response = client.post("/seller/listings/new", data=form_data(**{"packages-0-price": price}))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="packages-0-price-errors"' in page
    assert state() == before


def test_a_negative_stock_says_it_must_be_0_or_more(client, auth, db):
    """ "-3" is a whole number: the message says what is wrong with it (it said "enter a
    whole number, like 1000")."""
    user, _coop = seller()
    auth.login(user)
    before = state()
    response = client.post("/seller/listings/new", data=form_data(**{"packages-0-stock": "-3"}))
    assert response.status_code == 400
    errors = response.get_data(as_text=True).split('id="packages-0-stock-errors"', 1)[1]
    assert "Enter 0 or more." in errors.split("</", 1)[0]
    assert state() == before


def test_a_package_row_needs_a_name_weight_and_price(client, auth, db):
    user, _coop = seller()
    auth.login(user)
    before = state()
    response = client.post(
        "/seller/listings/new", data=form_data(**{"packages-0-label": "", "packages-0-weight": ""})
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="packages-0-label-errors"' in page and 'id="packages-0-weight-errors"' in page
    assert state() == before


def test_add_another_package_adds_a_row_without_saving(client, auth, db):
    user, _coop = seller()
    auth.login(user)
    before = state()
    data = form_data(add_package="Add another package")
    del data["save"]
    response = client.post("/seller/listings/new", data=data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'name="packages-3-label"' in page  # three rows sent, a fourth to fill
    assert 'value="Hộp 1 kg"' in page  # what was typed is kept
    assert state() == before


def test_show_communes_fills_the_commune_list_of_the_chosen_province_without_js(client, auth, db):
    user, _coop = seller()
    auth.login(user)
    data = form_data(province="1", commune="0", show_communes="Show communes")  # Hà Nội
    del data["save"]
    response = client.post("/seller/listings/new", data=data)
    page = response.get_data(as_text=True)
    assert "Phường Ba Đình" in page
    assert "Xã Lục Ngạn" not in page
    assert db.session.scalar(select(Listing)) is None


def test_a_pre_2025_commune_is_offered_from_the_current_one(client, auth, db):
    user, _coop = seller()
    auth.login(user)
    page = client.get("/seller/listings/new").get_data(as_text=True)
    assert f'value="{factories.TAN_HOA_LEGACY_COMMUNE}"' in page  # Xã Tân Hoa became Lục Ngạn
    response = client.post(
        "/seller/listings/new",
        data=form_data(legacy_commune=str(factories.TAN_HOA_LEGACY_COMMUNE)),
    )
    assert response.status_code == 302
    listing = db.session.scalar(select(Listing))
    assert listing.origin_legacy_commune.code == factories.TAN_HOA_LEGACY_COMMUNE
    assert "Tân Hoa" in listing.origin_recorded and "Lục Ngạn" in listing.origin_recorded

    json = client.get(f"/seller/communes/former?commune={factories.LUC_NGAN_COMMUNE}").get_json()
    assert factories.TAN_HOA_LEGACY_COMMUNE in [c["code"] for c in json["communes"]]


def test_editing_keeps_package_ids_removes_ticked_rows_and_adds_new_ones(client, auth, db):
    user, coop = seller()
    listing = factories.listing(
        coop=coop,
        status=ListingStatus.DRAFT,
        packages=[{"label": "Hộp 1 kg", "stock": 3}, {"label": "Hộp 2 kg", "stock": 4}],
    )
    first, second = (p.id for p in listing.packages)
    auth.login(user)
    response = client.post(
        f"/seller/listings/{listing.id}/edit",
        data=form_data(
            **{
                "packages-0-id": str(first),
                "packages-0-shown_stock": "3",
                "packages-0-stock": "3",
                "packages-1-id": str(second),
                "packages-1-shown_stock": "4",
                "packages-1-label": "Hộp 2 kg",
                "packages-1-remove": "y",
                "packages-2-label": "Thùng 5 kg",
                "packages-2-weight": "5000",
                "packages-2-price": "600.000",
                "packages-2-stock": "2",
            }
        ),
    )
    assert response.status_code == 302
    db.session.expire_all()
    packages = db.session.scalars(select(Package).order_by(Package.position)).all()
    assert [(p.id == first, p.label, p.price) for p in packages] == [
        (True, "Hộp 1 kg", 150_000),
        (False, "Thùng 5 kg", 600_000),
    ]


# --- certificates a listing may use ---------------------------------------------------------------


def test_one_product_per_certificate(client, auth, db):
    user, coop = seller()
    cert = factories.certificate(coop)
    factories.listing(coop=coop, cert=cert)
    before = state()
    with pytest.raises(CertificateInUse):
        create_listing(coop.id, user, listing_input(certificate_id=cert.id))
    auth.login(user)
    response = client.post("/seller/listings/new", data=form_data(certificate=str(cert.id)))
    assert response.status_code == 400
    assert 'id="certificate-errors"' in response.get_data(as_text=True)
    assert state() == before


def test_another_cooperative_s_certificate_is_not_found(client, auth, db):
    user, coop = seller()
    _other_user, other = seller()
    theirs = factories.certificate(other)
    listing = factories.listing(coop=coop, cert=False, status=ListingStatus.DRAFT)
    auth.login(user)
    before = state()
    response = client.post(
        f"/seller/listings/{listing.id}/edit", data=form_data(certificate=str(theirs.id))
    )
    assert response.status_code == 404
    assert state() == before


def test_the_certificate_select_offers_only_free_unrevoked_own_certificates(client, auth, db):
    user, coop = seller()
    free = factories.certificate(coop, product_name="Vải còn trống")
    used = factories.certificate(coop, product_name="Vải đã dùng")
    factories.listing(coop=coop, cert=used)
    factories.certificate(coop, product_name="Vải bị thu hồi", status=CertificateStatus.REVOKED)
    _u, other = seller()
    factories.certificate(other, product_name="Vải hợp tác xã khác")
    auth.login(user)
    page = client.get("/seller/listings/new").get_data(as_text=True)
    assert f'value="{free.id}"' in page and "Vải còn trống" in page
    for absent in ("Vải đã dùng", "Vải bị thu hồi", "Vải hợp tác xã khác"):
        assert absent not in page


# --- status moves ---------------------------------------------------------------------------------


def test_an_applied_cooperative_prepares_drafts_but_publishes_nothing(client, auth, db):
    user, coop = seller(status=CooperativeStatus.APPLIED)
    auth.login(user)
    assert client.post("/seller/listings/new", data=form_data()).status_code == 302
    listing = db.session.scalar(select(Listing))
    with pytest.raises(CooperativeNotApproved):
        publish_listing(listing.id, coop.id, user)
    response = client.post(f"/seller/listings/{listing.id}/publish", follow_redirects=True)
    assert "not approved yet" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Listing, listing.id).status is ListingStatus.DRAFT


# --- photos ---------------------------------------------------------------------------------------


def _stream(data: bytes):
    import io

    return io.BytesIO(data)


def test_photo_routes_cover_move_and_delete(client, auth, app, db):
    user, coop = seller()
    listing = factories.listing(coop=coop)
    a, b = add_photos(
        listing.id, coop.id, user, [Upload(f"{n}.png", _stream(png_bytes())) for n in "ab"]
    )
    a_id, a_file = a.id, a.filename
    auth.login(user)
    base = f"/seller/listings/{listing.id}/photos"
    assert client.post(f"{base}/{b.id}/cover").status_code == 302
    assert client.post(f"{base}/{b.id}/move", data={"direction": "later"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(ListingImage, a.id).position == 0
    files = Path(app.config["UPLOAD_DIR"]) / "listings"
    assert (files / f"{a_file}-card.webp").exists()
    assert client.post(f"{base}/{a_id}/delete").status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(ListingImage).where(ListingImage.id == a_id)) is None
    assert not (files / f"{a_file}-card.webp").exists()
    db.session.expire_all()
    assert db.session.get(ListingImage, b.id).position == 0


# --- stock ----------------------------------------------------------------------------------------


def stock_form(rows: list[tuple[int, int, str]]) -> dict:
    data = {}
    for i, (package_id, shown, stock) in enumerate(rows):
        data[f"rows-{i}-package_id"] = str(package_id)
        data[f"rows-{i}-shown"] = str(shown)
        data[f"rows-{i}-stock"] = stock
    return data


def test_stock_of_many_packages_is_saved_in_one_go(client, auth, db):
    user, coop = seller()
    one = factories.listing(coop=coop, packages=[{"stock": 3}, {"label": "Túi", "stock": 9}])
    two = factories.listing(coop=coop, packages=[{"stock": 0}])
    p1, p2 = one.packages
    [p3] = two.packages
    auth.login(user)
    page = client.get("/seller/stock").get_data(as_text=True)
    assert page.count('name="rows-') >= 9  # three rows of id, shown figure and stock

    response = client.post(
        "/seller/stock", data=stock_form([(p1.id, 3, "1.200"), (p2.id, 9, "9"), (p3.id, 0, "4")])
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert [db.session.get(Package, p).stock for p in (p1.id, p2.id, p3.id)] == [1200, 9, 4]


def test_stock_that_moved_meanwhile_refuses_the_whole_save(client, auth, db):
    user, coop = seller()
    listing = factories.listing(coop=coop, packages=[{"stock": 3}, {"label": "Túi", "stock": 9}])
    p1, p2 = listing.packages
    db.session.execute(update(Package).where(Package.id == p2.id).values(stock=7))  # an order
    db.session.commit()
    auth.login(user)
    before = state()
    response = client.post("/seller/stock", data=stock_form([(p1.id, 3, "30"), (p2.id, 9, "90")]))
    assert response.status_code == 409
    assert 'value="7"' in response.get_data(as_text=True)  # the new figure is shown
    assert state() == before
    with pytest.raises(StockChanged):
        update_stock(coop.id, user, {p1.id: (3, 30), p2.id: (9, 90)})


@pytest.mark.parametrize("typed", ["-1", "2.5", "nhiều", ""])
def test_bad_stock_changes_nothing(client, auth, db, typed):
    user, coop = seller()
    listing = factories.listing(coop=coop, packages=[{"stock": 3}, {"label": "Túi", "stock": 9}])
    p1, p2 = listing.packages
    auth.login(user)
    before = state()
    response = client.post("/seller/stock", data=stock_form([(p1.id, 3, "5"), (p2.id, 9, typed)]))
    assert response.status_code == 400
    assert state() == before


def test_low_stock_lists_packages_with_five_or_fewer(client, auth, db):
    user, coop = seller()
    factories.listing(
        coop=coop,
        name="Vải thiều",
        packages=[{"label": "Hộp 1 kg", "stock": 5}, {"label": "Hộp 2 kg", "stock": 6}],
    )
    factories.listing(coop=coop, name="Gạo", packages=[{"label": "Túi 5 kg", "stock": 0}])
    factories.listing(coop=coop, name="Cũ", status=ListingStatus.ARCHIVED, packages=[{"stock": 0}])
    low = low_stock_packages(coop.id)
    assert [(p.listing.name, p.label) for p in low] == [
        ("Gạo", "Túi 5 kg"),
        ("Vải thiều", "Hộp 1 kg"),
    ]
    auth.login(user)
    page = client.get("/seller/stock").get_data(as_text=True)
    assert "Túi 5 kg" in page and "Hộp 1 kg" in page


# --- description: a safe Markdown subset ----------------------------------------------------------

HOSTILE = [
    "<script>alert('x')</script>",
    '<img src=x onerror="alert(1)">',
    "[bấm vào đây](javascript:alert(1))",
    '<a href="javascript:alert(1)">link</a>',
    "<iframe src=//evil.example></iframe>",
    '<p style="background:url(javascript:alert(1))" onclick="alert(1)">hi</p>',
    "[x](JaVaScRiPt:alert(1))",
    "<svg onload=alert(1)>",
]


def test_a_hostile_description_is_saved_as_typed_but_rendered_safely(client, auth, db):
    user, coop = seller()
    auth.login(user)
    text = "\n\n".join(HOSTILE) + "\n\nQuả **to**."
    response = client.post("/seller/listings/new", data=form_data(description=text))
    assert response.status_code == 302
    listing = db.session.scalar(select(Listing))
    assert listing.description == text.strip()
    for url in (f"/seller/listings/{listing.id}", f"/products/{listing.slug}"):
        page = client.get(url).get_data(as_text=True)
        body = page[page.index("<main") : page.index("</main>")].lower()
        assert "<script>alert" not in body
        assert "onerror=" not in body and "onload=" not in body and "javascript:" not in body
        assert "<strong>to</strong>" in body


HA_DONG_VAN_QUAN = 9542  # Phường Văn Quán, Quận Hà Đông, Hà Nội (pre-2025)


def test_a_pre_2025_commune_the_current_one_did_not_grow_from_is_refused(client, auth, db):
    user, _coop = seller()
    auth.login(user)
    response = client.post(
        "/seller/listings/new", data=form_data(legacy_commune=str(HA_DONG_VAN_QUAN))
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Phường Văn Quán" in page and "is not one of the pre-2025 communes" in page
    assert "Xã Tân Hoa" in page  # named among the communes Xã Lục Ngạn grew from
    assert db.session.scalar(select(Listing)) is None


def test_the_form_offers_the_communes_it_grew_from_first_then_the_exceptions(client, auth, db):
    user, _coop = seller()
    auth.login(user)
    page = client.get("/seller/listings/new").get_data(as_text=True)
    tan_hoa = page.index(f'value="{factories.TAN_HOA_LEGACY_COMMUNE}"')
    other = page.index("not among those that formed it")
    assert tan_hoa < other  # Xã Tân Hoa (grew into Lục Ngạn) before the province's others
    assert "I confirm it is right" in page
    json = client.get(f"/seller/communes/former?commune={factories.LUC_NGAN_COMMUNE}").get_json()
    names = [c["name"] for c in json["communes"]]
    first_other = next(i for i, n in enumerate(names) if "not among" in n)
    assert all("not among" not in n for n in names[:first_other]) and first_other > 0


def test_a_confirmed_exception_is_saved_and_shown_again(client, auth, db):
    user, _coop = seller()
    auth.login(user)
    response = client.post(
        "/seller/listings/new",
        data=form_data(legacy_commune=str(HA_DONG_VAN_QUAN), legacy_exception="y"),
    )
    assert response.status_code == 302
    listing = db.session.scalar(select(Listing))
    assert listing.origin_legacy_commune.code == HA_DONG_VAN_QUAN
    assert listing.origin_legacy_exception is True
    assert listing.origin_legacy_confirmed_by_id == user.id
    page = client.get(f"/seller/listings/{listing.id}/edit").get_data(as_text=True)
    checkbox = re.search(r'<input[^>]*name="legacy_exception"[^>]*>', page)
    assert checkbox is not None and "checked" in checkbox.group(0)


def test_thi_tran_yen_chau_can_be_recorded_through_the_form(client, auth, db):
    user, _coop = seller()
    auth.login(user)
    page = client.get(
        "/seller/listings/new", query_string={"province": "14", "commune": "4075"}
    ).get_data(as_text=True)
    response = client.post(
        "/seller/listings/new",
        data=form_data(province="14", commune="4075", legacy_commune="4060"),
    )
    assert response.status_code == 302, page
    listing = db.session.scalar(select(Listing))
    assert listing.origin_legacy_commune.name == "Thị trấn Yên Châu"
    assert listing.origin_commune.name == "Xã Yên Châu"
    json = client.get("/seller/communes/former?commune=4075").get_json()
    assert "Thị trấn Yên Châu, Huyện Yên Châu" in [c["name"] for c in json["communes"]]
