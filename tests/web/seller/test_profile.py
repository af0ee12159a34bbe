"""A cooperative's profile after applying: owners change its story, contact and logo (checked
like a listing photo, re-encoded to WebP); other members only read it; what the Farmers'
Association checked stays as it is; the public page shows the change at once."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from storefront.core.files import MAX_IMAGE_BYTES
from storefront.extensions import db as _db
from storefront.models import AuditEvent, Cooperative, MemberRole, Role
from tests.fixtures import factories
from tests.fixtures.catalog import stored_version
from tests.fixtures.seller import file_field, files_under, member_of, png_bytes, seller
from tests.web.seller.test_uploads import png_header_only

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture(autouse=True)
def _english_pages(client):
    client.get("/?lang=en")


def profile(**overrides) -> dict:
    data = {
        "description": "Hợp tác xã có **46 hộ** trồng vải thiều VietGAP.",
        "address": "Thôn Hồng Xuân, xã Lục Ngạn",
        "phone": "0912 345 678",
        "email": "Lien.He@HTX-Hongxuan.vn",
        "submit": "1",
    }
    data.update(overrides)
    return data


def coop_row(coop_id: int) -> tuple:
    _db.session.expire_all()
    coop = _db.session.get(Cooperative, coop_id)
    return (
        coop.legal_name,
        coop.registration_number,
        coop.commune_id,
        coop.description,
        coop.phone,
        coop.email,
        coop.address,
        coop.logo,
    )


def logos(app) -> set[str]:
    return files_under(Path(app.config["UPLOAD_DIR"]) / "logos")


def post(client, **data):
    return client.post("/seller/profile", data=profile(**data), content_type="multipart/form-data")


def test_the_owner_sees_the_form_and_what_only_the_association_changes(client, auth):
    user, coop = seller(legal_name="HTX Vải thiều Hồng Xuân", registration_number="2400-777")
    auth.login(user)
    response = client.get("/seller/profile")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<textarea" in page and 'name="logo"' in page
    assert 'accept="image/jpeg,image/png,image/webp"' in page
    assert 'name="phone"' in page and 'autocomplete="tel"' in page
    # Legal name and registration number are shown, never editable, and the page says why.
    assert "HTX Vải thiều Hồng Xuân" in page and "2400-777" in page
    assert 'name="legal_name"' not in page and 'name="registration_number"' not in page
    assert "contact the Farmers" in page
    assert 'href="/seller/profile" aria-current="page"' in page  # in the workspace menu


def test_the_owner_saves_story_contact_and_logo(client, auth, app, db):
    user, coop = seller()
    auth.login(user)
    before_version = stored_version(db)
    legal = coop_row(coop.id)[:3]
    response = post(
        client,
        legal_name="Đổi tên trái phép",  # not a field of this form: ignored
        registration_number="HACK-1",
        logo=file_field(png_bytes((600, 400)), "logo.png"),
    )
    assert response.status_code == 302 and response.location.endswith("/seller/profile")
    row = coop_row(coop.id)
    assert row[:3] == legal
    assert row[3:7] == (
        "Hợp tác xã có **46 hộ** trồng vải thiều VietGAP.",
        "0912345678",
        "lien.he@htx-hongxuan.vn",
        "Thôn Hồng Xuân, xã Lục Ngạn",
    )
    stem = row[7]
    assert stem and {f"{stem}-thumb.webp", f"{stem}-card.webp"} <= logos(app)
    card = Path(app.config["UPLOAD_DIR"]) / "logos" / f"{stem}-card.webp"
    assert card.read_bytes()[8:12] == b"WEBP"
    [event] = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "cooperative.profile")
    ).all()
    assert event.actor_id == user.id and event.cooperative_id == coop.id
    assert set(event.data["fields"]) == {"description", "phone", "email", "address", "logo"}
    assert stored_version(db) > before_version  # the cached public page is out of date

    # A new logo replaces the old one's files; removing it leaves none.
    post(client, logo=file_field(png_bytes((200, 200), color=(200, 30, 30)), "moi.png"))
    new_stem = coop_row(coop.id)[7]
    assert new_stem != stem
    assert not any(name.startswith(stem) for name in logos(app))
    post(client, remove_logo="y")
    assert coop_row(coop.id)[7] is None
    assert logos(app) == set()


def test_saving_nothing_new_records_nothing(client, auth, db):
    user, coop = seller()
    auth.login(user)
    post(client)
    events = db.session.scalars(select(AuditEvent)).all()
    post(client)
    assert db.session.scalars(select(AuditEvent)).all() == events


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"phone": "12345"}, "phone", "phone"),
        ({"email": "khong-phai-email"}, "email", "e-mail"),
        ({"address": "   "}, "address", "required"),
        ({"description": "x" * 5001}, "description", "5000"),
    ],
)
def test_a_bad_value_is_refused_beside_its_field(client, auth, data, field, message):
    user, coop = seller()
    auth.login(user)
    before = coop_row(coop.id)
    response = post(client, **data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f'id="{field}-errors"' in page
    assert message.lower() in page.lower()
    assert coop_row(coop.id) == before


BAD_LOGOS = [
    pytest.param(b"<svg onload=alert(1)></svg>", "logo.png", "JPEG, PNG", id="svg-named-png"),
    pytest.param(b"<html><script>alert(1)</script>", "logo.jpg", "JPEG, PNG", id="html-named-jpg"),
    pytest.param(png_bytes(fmt="GIF"), "logo.gif", "JPEG, PNG", id="gif"),
    pytest.param(b"%PDF-1.7\n%%EOF", "logo.png", "JPEG, PNG", id="pdf-named-png"),
    pytest.param(png_bytes() + b"\x00" * MAX_IMAGE_BYTES, "big.png", "5 MB", id="over-5mb"),
    pytest.param(png_header_only(10_000, 10_000), "bomb.png", "megapixels", id="bomb"),
]


@pytest.mark.parametrize(("data", "name", "message"), BAD_LOGOS)
def test_a_bad_logo_changes_nothing_and_stores_no_file(client, auth, app, db, data, name, message):
    user, coop = seller()
    auth.login(user)
    before, files, events = (
        coop_row(coop.id),
        logos(app),
        db.session.scalars(select(AuditEvent)).all(),
    )
    response = post(client, description="Câu chuyện mới", logo=file_field(data, name))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page and 'id="logo-errors"' in page
    # Nothing saved, not even the story sent with it.
    assert coop_row(coop.id) == before
    assert logos(app) == files
    assert db.session.scalars(select(AuditEvent)).all() == events


def test_a_polyglot_logo_is_re_encoded_and_loses_what_it_carried(client, auth, app):
    """A real PNG with a script after its end: it decodes, and only its pixels are kept."""
    user, coop = seller()
    auth.login(user)
    polyglot = png_bytes((120, 120)) + b"<script>alert(document.cookie)</script>"
    assert post(client, logo=file_field(polyglot, "logo.png")).status_code == 302
    stem = coop_row(coop.id)[7]
    for size in ("thumb", "card"):
        data = (Path(app.config["UPLOAD_DIR"]) / "logos" / f"{stem}-{size}.webp").read_bytes()
        assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"
        assert b"<script" not in data
    served = client.get(f"/media/logos/{stem}-card.webp")
    assert served.status_code == 200 and served.mimetype == "image/webp"


def test_a_member_who_is_not_an_owner_reads_and_cannot_change(client, auth, app, db):
    owner, coop = seller(description="Câu chuyện cũ")
    staff = member_of(coop, MemberRole.STAFF)
    auth.login(staff)
    page = client.get("/seller/profile").get_data(as_text=True)
    assert "Only an owner of the cooperative can change the profile." in page
    assert "<textarea" not in page and "Câu chuyện cũ" in page
    before, files = coop_row(coop.id), logos(app)
    response = post(client, logo=file_field(png_bytes(), "logo.png"))
    assert response.status_code == 403
    assert coop_row(coop.id) == before and logos(app) == files
    assert (
        db.session.scalar(select(AuditEvent).where(AuditEvent.action == "cooperative.profile"))
        is None
    )


def test_another_cooperatives_member_only_ever_edits_their_own(client, auth):
    owner_a, coop_a = seller(description="Của A")
    owner_b, coop_b = seller(description="Của B")
    auth.login(owner_b)
    before_a = coop_row(coop_a.id)
    # There is no cooperative id to give: the profile is always the chosen cooperative's, and
    # an id slipped into the form or the session is never read.
    client.post("/seller/choose", data={"cooperative_id": str(coop_a.id)})
    response = post(client, cooperative_id=str(coop_a.id), description="Sửa của B")
    assert response.status_code == 302
    assert coop_row(coop_a.id) == before_a
    assert coop_row(coop_b.id)[3] == "Sửa của B"


def test_people_without_a_cooperative_never_reach_it(client, auth):
    owner, coop = seller()
    before = coop_row(coop.id)
    assert client.get("/seller/profile").status_code == 302  # anonymous: to the login page
    assert client.post("/seller/profile", data=profile()).status_code in (302, 401)
    auth.login(factories.user())  # a customer
    assert client.get("/seller/profile").location.endswith("/seller/")
    assert client.post("/seller/profile", data=profile()).status_code == 404
    auth.logout()
    auth.login(factories.user(role=Role.PFA))
    assert client.post("/seller/profile", data=profile()).status_code == 404
    assert coop_row(coop.id) == before


def test_the_dashboard_asks_for_a_logo_and_story_until_both_are_there(client, auth):
    user, coop = seller()
    auth.login(user)
    nudge = "add your logo and your story"
    assert nudge in client.get("/seller/").get_data(as_text=True)
    post(client, logo=file_field(png_bytes(), "logo.png"))
    assert nudge not in client.get("/seller/").get_data(as_text=True)
