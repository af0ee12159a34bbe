"""Everything a seller sees or changes belongs to their own cooperative: another cooperative's
listing, package, photo, certificate, scan, member, invitation or shipment is 404 whatever the
id in the URL, and nothing changes. Every POST needs the CSRF token; no GET changes anything.

The route table below must name every /seller/ route: a new route without an entry fails
test_the_route_table_covers_every_seller_route.
"""

from __future__ import annotations

import io
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from storefront.core.clock import today as shop_today
from storefront.core.files import Upload
from storefront.domain.catalog.listings import add_photos
from storefront.domain.certificates.submissions import CertificateInput, submit_certificate
from storefront.domain.cooperatives.members import invite_member
from storefront.domain.reviews.links import review_link_token
from storefront.domain.reviews.writing import ReviewInput, save_review_by_link
from storefront.extensions import db
from storefront.models import (
    Cooperative,
    CooperativeInvitation,
    CooperativeMember,
    MemberRole,
    PhotoStatus,
    ShipmentStatus,
    User,
    utcnow,
)
from tests.fixtures import factories
from tests.fixtures.app import KEEP_TABLES, app_state, empty_tables
from tests.fixtures.seller import files_under, member_of, png_bytes, seller, state
from tests.fixtures.shop import buy

PDF = b"%PDF-1.4\n%%EOF\n"


@dataclass
class World:
    """Cooperative A (the one logged in) and cooperative B (the other), each fully stocked."""

    ids: dict = field(default_factory=dict)  # "a_listing", "b_listing", "b_photo", ...

    @property
    def a_user(self) -> User:
        return db.session.get(User, self.ids["a_owner"])


def _stock_cooperative(prefix: str, world: World) -> None:
    owner, coop = seller(legal_name=f"HTX {prefix.upper()}")
    listing = factories.listing(coop=coop, name=f"Sản phẩm {prefix}")
    [photo] = add_photos(listing.id, coop.id, owner, [Upload("p.png", io.BytesIO(png_bytes()))])
    # A new logo its job could not make, waiting for an owner to remove it.
    coop.pending_logo, coop.pending_logo_status = f"{prefix}0" * 12, PhotoStatus.FAILED
    db.session.commit()
    cert = submit_certificate(
        coop.id,
        owner,
        CertificateInput(
            number=f"{prefix.upper()}-1/QĐ-UBND",
            stars=4,
            product_name=f"Sản phẩm {prefix}",
            issuing_authority="UBND tỉnh Bắc Giang",
            issued_on=shop_today(),
        ),
        Upload("scan.pdf", io.BytesIO(PDF)),
    )
    staff = member_of(coop, MemberRole.STAFF)
    invite_member(coop.id, owner, f"moi.{prefix}@example.vn", MemberRole.STAFF, accept_url=str)
    invitation = db.session.scalar(
        select(CooperativeInvitation).where(CooperativeInvitation.cooperative_id == coop.id)
    )
    order = buy((listing.packages[0], 1))
    review = _delivered_and_reviewed(buy((listing.packages[0], 1)))
    ids = {
        "coop": coop.id,
        "owner": owner.id,
        "listing": listing.id,
        "package": listing.packages[0].id,
        "photo": photo.id,
        "verified_cert": listing.certificate_id,
        "cert": cert.id,
        "staff": staff.id,
        "invitation": invitation.id,
        "shipment": order.shipments[0].id,
        "review": review.id,
        "logo": f"{prefix}0" * 12,
    }
    world.ids.update({f"{prefix}_{k}": v for k, v in ids.items()})


def _delivered_and_reviewed(order):
    """A guest's order delivered, and its buyer's review (through the reminder's link)."""
    order.shipments[0].status = ShipmentStatus.DELIVERED
    order.shipments[0].delivered_at = utcnow()
    db.session.commit()
    return save_review_by_link(review_link_token(order.lines[0]), ReviewInput(rating=3))


@pytest.fixture(scope="module")
def app(_app, tmp_path_factory):
    """One app state (database rows, folders) for the whole module: building the two stocked
    cooperatives costs far more than the request each case makes."""
    with app_state(_app, tmp_path_factory.mktemp("ownership")) as app:
        yield app


def _everything(app) -> tuple:
    """Every row of every table but the reference data, and every uploaded file."""
    with db.engine.connect() as conn:
        rows = {
            table.name: sorted((tuple(row) for row in conn.execute(table.select())), key=repr)
            for table in db.metadata.sorted_tables
            if table.name not in KEEP_TABLES
        }
    scans = {f"scans/{name}" for name in files_under(Path(app.config["SCAN_DIR"]))}
    return rows, files_under(Path(app.config["UPLOAD_DIR"])) | scans


@pytest.fixture(scope="module")
def _built(app) -> dict:
    return {"world": None, "everything": None}


@pytest.fixture
def world(app, _built):
    """The two cooperatives, built once for the module: a test that changed anything at all
    (a row, a file) has the world built afresh for the next one."""
    if _built["world"] is None:
        empty_tables()
        shutil.rmtree(app.config["UPLOAD_DIR"], ignore_errors=True)
        shutil.rmtree(app.config["SCAN_DIR"], ignore_errors=True)
        w = World()
        _stock_cooperative("a", w)
        _stock_cooperative("b", w)
        db.session.remove()
        _built["world"], _built["everything"] = w, _everything(app)
    yield _built["world"]
    db.session.remove()
    if _everything(app) != _built["everything"]:
        _built["world"] = None


@dataclass(frozen=True)
class Route:
    endpoint: str
    methods: tuple[str, ...]
    url: str  # formatted with World.ids; "" for a route that takes no id of a cooperative
    data: dict = field(default_factory=dict)
    note: str = ""


# Each route with ids of cooperative B (or A's listing with B's photo or package).
ROUTES = [
    Route("seller.listing", ("GET",), "/seller/listings/{b_listing}"),
    Route(
        "seller.edit_listing",
        ("GET", "POST"),
        "/seller/listings/{b_listing}/edit",
        {
            "name": "Đổi tên",
            "ocop_group": "1",
            "province": "24",
            "commune": "7582",
            "legacy_commune": "0",
            "certificate": "0",
            "save": "1",
        },
    ),
    Route("seller.publish_listing", ("POST",), "/seller/listings/{b_listing}/publish"),
    Route("seller.pause_listing", ("POST",), "/seller/listings/{b_listing}/pause"),
    Route("seller.resume_listing", ("POST",), "/seller/listings/{b_listing}/resume"),
    Route("seller.delete_listing", ("POST",), "/seller/listings/{b_listing}/delete"),
    Route("seller.upload_photos", ("POST",), "/seller/listings/{b_listing}/photos"),
    Route("seller.cover_photo", ("POST",), "/seller/listings/{b_listing}/photos/{b_photo}/cover"),
    Route(
        "seller.move_photo",
        ("POST",),
        "/seller/listings/{b_listing}/photos/{b_photo}/move",
        {"direction": "earlier"},
    ),
    Route("seller.delete_photo", ("POST",), "/seller/listings/{b_listing}/photos/{b_photo}/delete"),
    Route("seller.certificate", ("GET",), "/seller/certificates/{b_cert}"),
    Route(
        "seller.edit_certificate",
        ("GET", "POST"),
        "/seller/certificates/{b_cert}/edit",
        {
            "number": "X-1",
            "stars": "5",
            "product_name": "x",
            "issuing_authority": "x",
            "issued_on": "2025-01-01",
        },
    ),
    Route("seller.certificate_scan", ("GET",), "/seller/certificates/{b_cert}/scan"),
    Route("seller.certificate_label", ("GET",), "/seller/certificates/{b_verified_cert}/label"),
    Route(
        "seller.new_certificate",
        ("GET", "POST"),
        "/seller/certificates/new?listing={b_listing}",
        {
            "number": "X-2",
            "stars": "4",
            "product_name": "x",
            "issuing_authority": "x",
            "issued_on": "2025-01-01",
            "listing_id": "{b_listing}",
        },
    ),
    Route("seller.remove", ("POST",), "/seller/members/{b_staff}/remove"),
    Route("seller.revoke", ("POST",), "/seller/invitations/{b_invitation}/revoke"),
    Route("seller.shipment", ("GET",), "/seller/shipments/{b_shipment}"),
    Route("seller.shipment_step", ("POST",), "/seller/shipments/{b_shipment}/pack"),
    Route(
        "seller.shipment_cancel",
        ("POST",),
        "/seller/shipments/{b_shipment}/cancel",
        {"reason": "Hết hàng"},
    ),
    Route(
        "seller.stock",
        ("POST",),
        "/seller/stock",
        {"rows-0-package_id": "{b_package}", "rows-0-shown": "10", "rows-0-stock": "99"},
    ),
    Route(
        "seller.answer_review", ("POST",), "/seller/reviews/{b_review}/answer", {"answer": "Cảm ơn"}
    ),
    Route("seller.discard_logo", ("POST",), "/seller/profile/logo/{b_logo}/discard"),
]

# Mixed: A's own listing, with an id of B's inside it.
MIXED = [
    Route("seller.cover_photo", ("POST",), "/seller/listings/{a_listing}/photos/{b_photo}/cover"),
    Route(
        "seller.move_photo",
        ("POST",),
        "/seller/listings/{a_listing}/photos/{b_photo}/move",
        {"direction": "later"},
    ),
    Route("seller.delete_photo", ("POST",), "/seller/listings/{a_listing}/photos/{b_photo}/delete"),
    Route(
        "seller.edit_listing",
        ("POST",),
        "/seller/listings/{a_listing}/edit",
        {
            "name": "Đổi tên",
            "ocop_group": "1",
            "province": "24",
            "commune": "7582",
            "legacy_commune": "0",
            "certificate": "{b_cert}",
            "save": "1",
        },
        note="B's certificate chosen in A's listing",
    ),
    Route(
        "seller.edit_listing",
        ("POST",),
        "/seller/listings/{a_listing}/edit",
        {
            "name": "Đổi tên",
            "ocop_group": "1",
            "province": "24",
            "commune": "7582",
            "legacy_commune": "0",
            "certificate": "0",
            "packages-0-id": "{b_package}",
            "packages-0-label": "x",
            "packages-0-weight": "1",
            "packages-0-price": "1",
            "packages-0-stock": "1",
            "save": "1",
        },
        note="B's package in A's listing form",
    ),
    Route(
        "seller.stock",
        ("POST",),
        "/seller/stock",
        {
            "rows-0-package_id": "{a_package}",
            "rows-0-shown": "10",
            "rows-0-stock": "11",
            "rows-1-package_id": "{b_package}",
            "rows-1-shown": "10",
            "rows-1-stock": "99",
        },
        note="A's package and B's together: all or nothing",
    ),
]

# Routes that name no cooperative's row: scoped by the chosen cooperative itself.
UNSCOPED = {
    "seller.dashboard": "the chosen cooperative's figures",
    "seller.choose": "only the user's own memberships are offered and accepted",
    "seller.apply": "creates a new cooperative",
    "seller.listings": "lists the chosen cooperative's listings",
    "seller.new_listing": "creates in the chosen cooperative",
    "seller.certificates": "lists the chosen cooperative's certificates",
    "seller.stock": "tested above with B's package ids in the form",
    "seller.members": "lists the chosen cooperative's members",
    "seller.invite": "invites into the chosen cooperative",
    "seller.former": "public reference data (pre-2025 communes)",
    "seller.invitation": "opened by token from an e-mail; see test_seller_cooperatives",
    "seller.shipments": "lists the chosen cooperative's shipments",
    "seller.reviews": "lists the chosen cooperative's reviews (see web/test_reviews_moderation)",
    "seller.profile": "edits the chosen cooperative (owners only: see test_seller_profile)",
    "seller.finance": "the chosen cooperative's balance and entries (see seller/test_finance)",
    "seller.finance_statement": "the chosen cooperative's statement (see seller/test_finance)",
    "seller.finance_statement_csv": "the chosen cooperative's statement (see seller/test_finance)",
    "seller.payout_account": "the chosen cooperative's account, owners only (seller/test_finance)",
}


def _fill(value, ids):
    if isinstance(value, str):
        return value.format(**ids)
    return value


def _request(client, route: Route, method: str, ids: dict):
    url = route.url.format(**ids)
    if method == "GET":
        return client.get(url)
    data = {k: _fill(v, ids) for k, v in route.data.items()}
    if route.endpoint == "seller.upload_photos":
        data["photos"] = [(io.BytesIO(png_bytes()), "x.png")]
        return client.post(url, data=data, content_type="multipart/form-data")
    return client.post(url, data=data)


def _snapshot(app):
    scans = {f"scans/{name}" for name in files_under(Path(app.config["SCAN_DIR"]))}
    return state(), files_under(Path(app.config["UPLOAD_DIR"])) | scans


def test_the_route_table_covers_every_seller_route(app):
    named = {route.endpoint for route in ROUTES} | set(UNSCOPED)
    seller_rules = {
        rule.endpoint for rule in app.url_map.iter_rules() if rule.rule.startswith("/seller")
    }
    assert seller_rules - named == set(), "add the new seller routes to the ownership table"


def _cases(routes):
    return [
        pytest.param(
            route, method, id=f"{route.endpoint}-{method}{'-' + route.note if route.note else ''}"
        )
        for route in routes
        for method in route.methods
    ]


@pytest.mark.parametrize(("route", "method"), _cases(ROUTES + MIXED))
def test_another_cooperative_s_ids_are_not_found_and_change_nothing(
    client, auth, app, world, route, method
):
    auth.login(world.a_user)
    before = _snapshot(app)
    response = _request(client, route, method, world.ids)
    assert response.status_code == 404, response.get_data(as_text=True)[:500]
    assert _snapshot(app) == before


@pytest.fixture
def a_owner_also_in_b(world):
    """A's owner, made a staff member of B as well for one test (and no longer after it)."""
    user = db.session.get(User, world.ids["a_owner"])
    member_of(db.session.get(Cooperative, world.ids["b_coop"]), MemberRole.STAFF, user=user)
    yield user
    db.session.execute(
        delete(CooperativeMember).where(
            CooperativeMember.cooperative_id == world.ids["b_coop"],
            CooperativeMember.user_id == world.ids["a_owner"],
        )
    )
    db.session.commit()


@pytest.mark.parametrize(
    ("route", "method"),
    _cases(
        [
            r
            for r in ROUTES
            if not r.endpoint.startswith(("seller.shipment", "seller.certificate_label"))
        ]
    ),
)
def test_a_member_of_both_sees_only_the_chosen_cooperative(
    client, auth, app, world, a_owner_also_in_b, route, method
):
    """Membership of B is not enough: the workspace acts for the cooperative chosen (A)."""
    user = a_owner_also_in_b
    auth.login(user)
    assert (
        client.post("/seller/choose", data={"cooperative_id": str(world.ids["a_coop"])}).status_code
        == 302
    )
    before = _snapshot(app)
    response = _request(client, route, method, world.ids)
    assert response.status_code == 404
    assert _snapshot(app) == before


def test_the_other_method_never_changes_anything(client, auth, app, world):
    """A POST-only route answers GET with 405 (and vice versa), with nothing changed."""
    auth.login(world.a_user)
    for route in ROUTES:
        if "{b_" not in route.url:
            continue  # B's ids travel in the form only (stock): GET shows A's own page
        for method in {"GET", "POST"} - set(route.methods):
            before = _snapshot(app)
            response = _request(client, route, method, world.ids)
            assert response.status_code in (404, 405), (route.endpoint, method)
            assert _snapshot(app) == before


# --- CSRF on every POST; no state change on GET --------------------------------------------------


A_ROUTES = [
    Route(
        r.endpoint,
        r.methods,
        r.url.replace("{b_", "{a_"),
        {k: (v.replace("{b_", "{a_") if isinstance(v, str) else v) for k, v in r.data.items()},
    )
    for r in ROUTES
] + [
    Route(
        "seller.apply",
        ("GET", "POST"),
        "/seller/apply",
        {
            "legal_name": "HTX Mới",
            "registration_number": "NEW-1",
            "province": "24",
            "commune": "7582",
            "address": "x",
            "phone": "0912345678",
            "email": "a@example.vn",
            "submit": "1",
        },
    ),
    Route(
        "seller.new_listing",
        ("GET", "POST"),
        "/seller/listings/new",
        {
            "name": "Mới",
            "ocop_group": "1",
            "province": "24",
            "commune": "7582",
            "legacy_commune": "0",
            "certificate": "0",
            "save": "1",
        },
    ),
    Route(
        "seller.invite",
        ("POST",),
        "/seller/members/invite",
        {"email": "x@example.vn", "role": "staff"},
    ),
    Route("seller.choose", ("GET", "POST"), "/seller/choose", {"cooperative_id": "{a_coop}"}),
    Route("seller.stock", ("GET",), "/seller/stock"),
    Route("seller.dashboard", ("GET",), "/seller/"),
    Route("seller.listings", ("GET",), "/seller/listings"),
    Route("seller.certificates", ("GET",), "/seller/certificates"),
    Route("seller.members", ("GET",), "/seller/members"),
    Route("seller.former", ("GET",), "/seller/communes/former?commune=7582"),
]


@pytest.mark.parametrize(
    ("route", "method"), [c for c in _cases(A_ROUTES) if c.values[1] == "POST"]
)
def test_every_post_needs_the_csrf_token(client, auth, app, world, monkeypatch, route, method):
    auth.login(world.a_user)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    before = _snapshot(app)
    response = _request(client, route, method, world.ids)
    assert response.status_code == 400
    assert _snapshot(app) == before


@pytest.mark.parametrize(("route", "method"), [c for c in _cases(A_ROUTES) if c.values[1] == "GET"])
def test_no_get_changes_anything(client, auth, app, world, route, method):
    auth.login(world.a_user)
    before = _snapshot(app)
    response = _request(client, route, method, world.ids)
    assert response.status_code in (200, 302), (route.endpoint, response.status_code)
    assert _snapshot(app) == before


def test_the_csrf_token_on_the_page_is_accepted(client, auth, app, world, monkeypatch):
    """The forms carry the token: with it, a real POST goes through."""
    import re

    auth.login(world.a_user)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    page = client.get(f"/seller/listings/{world.ids['a_listing']}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
    response = client.post(
        f"/seller/listings/{world.ids['a_listing']}/pause", data={"csrf_token": token}
    )
    assert response.status_code == 302
