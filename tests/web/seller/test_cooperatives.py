"""Opening a cooperative's shop, its approval by PFA staff, members and invitations."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from storefront.core.errors import Forbidden, InvalidInvitation, LastOwner
from storefront.domain.cooperatives.members import (
    _invitation_serializer,
    invitation_for_token,
    invite_member,
    remove_member,
)
from storefront.extensions import db as _db
from storefront.models import (
    AuditEvent,
    Cooperative,
    CooperativeInvitation,
    CooperativeMember,
    CooperativeStatus,
    MemberRole,
    Role,
    utcnow,
)
from tests.fixtures import factories
from tests.fixtures.mail import mails
from tests.fixtures.seller import LUC_NGAN_PROVINCE, file_field, member_of, png_bytes, seller, state

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture(autouse=True)
def _english_pages(client):
    """These tests read the pages' English msgids; the shop itself starts in Vietnamese."""
    client.get("/?lang=en")


def application(**overrides) -> dict:
    data = {
        "legal_name": "Hợp tác xã Vải thiều Tân Hoa",
        "registration_number": "2400-123-456",
        "province": str(LUC_NGAN_PROVINCE),
        "commune": str(factories.LUC_NGAN_COMMUNE),
        "address": "Thôn Trại, xã Lục Ngạn",
        "phone": "0912 345 678",
        "email": "htx.tanhoa@example.vn",
        "description": "Trồng vải thiều theo tiêu chuẩn VietGAP.",
        "submit": "1",
    }
    data.update(overrides)
    return data


def staff():
    return factories.user(role=Role.PFA)


# --- applying -------------------------------------------------------------------------------------


def test_a_logged_in_user_applies_and_waits_for_approval(client, auth, app, db):
    user = factories.user()
    auth.login(user)
    assert "Apply to open a shop" in client.get("/seller/").get_data(as_text=True)
    response = client.post(
        "/seller/apply",
        data=application(logo=file_field(png_bytes((300, 200)), "logo.png")),
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    coop = db.session.scalar(select(Cooperative))
    assert coop.status is CooperativeStatus.APPLIED
    assert coop.phone == "0912345678"
    assert coop.registration_number == "2400-123-456"
    assert coop.commune.code == factories.LUC_NGAN_COMMUNE
    assert (Path(app.config["UPLOAD_DIR"]) / "logos" / f"{coop.logo}-card.webp").exists()
    [member] = coop.members
    assert (member.user_id, member.role) == (user.id, MemberRole.OWNER)
    [event] = db.session.scalars(select(AuditEvent)).all()
    assert (event.action, event.to_status, event.actor_id) == (
        "cooperative.apply",
        "applied",
        user.id,
    )

    page = client.get("/seller/").get_data(as_text=True)
    assert "waiting for approval" in page
    # It can prepare drafts meanwhile.
    assert client.get("/seller/listings/new").status_code == 200


def test_a_registration_number_opens_one_shop_only(client, auth, db):
    factories.cooperative(registration_number="2400-123-456")
    user = factories.user()
    auth.login(user)
    before = state()
    response = client.post("/seller/apply", data=application(registration_number=" 2400-123-456 "))
    assert response.status_code == 400
    assert 'id="registration_number-errors"' in response.get_data(as_text=True)
    assert state() == before


def test_the_commune_list_follows_the_province_without_javascript(client, auth, db):
    auth.login(factories.user())
    data = application(province="1", commune="0", show_communes="1")
    del data["submit"]
    response = client.post("/seller/apply", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Phường Ba Đình" in page and 'id="commune-errors"' not in page
    assert _db.session.scalar(select(Cooperative)) is None


def test_a_bad_phone_is_shown_beside_the_field(client, auth, db):
    auth.login(factories.user())
    response = client.post("/seller/apply", data=application(phone="12345"))
    assert response.status_code == 400
    assert 'id="phone-errors"' in response.get_data(as_text=True)


def test_the_applicant_sees_the_reason_of_a_refusal(client, auth, db):
    user, coop = seller(
        status=CooperativeStatus.REJECTED, status_reason="Thiếu giấy phép kinh doanh"
    )
    auth.login(user)
    page = client.get("/seller/").get_data(as_text=True)
    assert "not approved" in page and "Thiếu giấy phép kinh doanh" in page


# --- approval -------------------------------------------------------------------------------------


# --- members and invitations ----------------------------------------------------------------------


def test_an_existing_user_gets_an_offer_and_is_not_added(client, auth, db, outbox):
    owner, coop = seller()
    helper = factories.user(email="chi.lan@example.vn")
    auth.login(owner)
    response = client.post(
        "/seller/members/invite", data={"email": "Chi.Lan@Example.vn", "role": "staff"}
    )
    assert response.status_code == 302
    # Nobody is added by inviting: the address gets an offer to accept or decline.
    assert (
        db.session.scalar(select(CooperativeMember).where(CooperativeMember.user_id == helper.id))
        is None
    )
    [message] = mails(outbox)
    assert message["To"] == "chi.lan@example.vn"
    link = re.search(r"https?://\S+/seller/invitations/\S+", message.get_content()).group(0)
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    auth.logout()

    auth.login(helper)
    page = client.get("/account/").get_data(as_text=True)  # listed on their account page
    assert coop.legal_name in page and path in page
    response = client.post(path, data={"answer": "accept"})
    assert response.status_code == 302
    member = db.session.scalar(
        select(CooperativeMember).where(CooperativeMember.user_id == helper.id)
    )
    assert member.cooperative_id == coop.id and member.role is MemberRole.STAFF


def test_an_unknown_email_is_invited_and_joins_after_registering(client, auth, db, outbox):
    owner, coop = seller()
    auth.login(owner)
    client.post("/seller/members/invite", data={"email": "moi@example.vn", "role": "owner"})
    [invitation] = db.session.scalars(select(CooperativeInvitation)).all()
    assert invitation.email == "moi@example.vn" and invitation.role is MemberRole.OWNER
    [message] = mails(outbox)
    link = re.search(r"https?://\S+/seller/invitations/\S+", message.get_content()).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    auth.logout()

    # Opened before having an account: the page explains, and offers to register.
    page = client.get("/" + path).get_data(as_text=True)
    assert "moi@example.vn" in page and "/account/register" in page

    newcomer = factories.user(email="moi@example.vn")
    auth.login(newcomer)
    response = client.post("/" + path, data={"answer": "accept"})
    assert response.status_code == 302
    member = db.session.scalar(
        select(CooperativeMember).where(CooperativeMember.user_id == newcomer.id)
    )
    assert member.cooperative_id == coop.id and member.role is MemberRole.OWNER
    # The link works once.
    assert client.get("/" + path).status_code == 400


def _token_for(email: str) -> str:
    invitation = _db.session.scalar(
        select(CooperativeInvitation).where(CooperativeInvitation.email == email)
    )
    return _invitation_serializer().dumps({"i": invitation.id, "e": email})


@pytest.mark.parametrize("how", ["forged", "revoked", "expired"])
def test_bad_invitation_links_are_refused(client, auth, app, db, outbox, monkeypatch, how):
    owner, coop = seller()
    invite_member(coop.id, owner, "an@example.vn", MemberRole.STAFF, accept_url=lambda t: t)
    token = _token_for("an@example.vn")
    if how == "forged":
        token = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    elif how == "revoked":
        invitation = _db.session.scalar(select(CooperativeInvitation))
        auth.login(owner)
        assert client.post(f"/seller/invitations/{invitation.id}/revoke").status_code == 302
        auth.logout()
    else:
        invitation = _db.session.scalar(select(CooperativeInvitation))
        invitation.expires_at = utcnow() - timedelta(seconds=1)
        _db.session.commit()
    with pytest.raises(InvalidInvitation):
        invitation_for_token(token)
    user = factories.user(email="an@example.vn")
    auth.login(user)
    assert client.post(f"/seller/invitations/{token}").status_code == 400
    assert (
        _db.session.scalar(select(CooperativeMember).where(CooperativeMember.user_id == user.id))
        is None
    )


def test_staff_cannot_invite_or_remove_others(client, auth, db, outbox):
    owner, coop = seller()
    helper = member_of(coop, MemberRole.STAFF)
    auth.login(helper)
    before = state()
    assert (
        client.post(
            "/seller/members/invite", data={"email": "x@example.vn", "role": "owner"}
        ).status_code
        == 403
    )
    client.post(f"/seller/members/{owner.id}/remove")
    assert state() == before
    with pytest.raises(Forbidden):
        remove_member(coop.id, helper, owner.id)


def test_the_last_owner_stays(client, auth, db):
    owner, coop = seller()
    helper = member_of(coop, MemberRole.STAFF)
    with pytest.raises(LastOwner):
        remove_member(coop.id, owner, owner.id)
    auth.login(owner)
    response = client.post(f"/seller/members/{owner.id}/remove", follow_redirects=True)
    assert "at least one owner" in response.get_data(as_text=True)
    # A staff member can be removed, and a second owner lets the first one leave.
    remove_member(coop.id, owner, helper.id)
    second = member_of(coop, MemberRole.OWNER)
    remove_member(coop.id, owner, owner.id)
    owners = _db.session.scalars(
        select(CooperativeMember.user_id).where(CooperativeMember.cooperative_id == coop.id)
    ).all()
    assert owners == [second.id]


# --- several cooperatives -------------------------------------------------------------------------


def test_a_member_of_several_cooperatives_picks_one_and_it_is_remembered(client, auth, db):
    user, first = seller(legal_name="HTX Một")
    _o, second = seller(legal_name="HTX Hai")
    member_of(second, MemberRole.STAFF, user=user)
    _o, third = seller(legal_name="HTX Ba")
    auth.login(user)
    response = client.get("/seller/listings")
    assert response.status_code == 302 and "/seller/choose" in response.headers["Location"]
    page = client.get("/seller/choose").get_data(as_text=True)
    assert "HTX Một" in page and "HTX Hai" in page and "HTX Ba" not in page

    # Not a member: refused, nothing remembered.
    assert client.post("/seller/choose", data={"cooperative_id": str(third.id)}).status_code == 200
    assert client.get("/seller/listings").status_code == 302

    response = client.post(
        "/seller/choose?next=/seller/listings", data={"cooperative_id": str(second.id)}
    )
    assert response.headers["Location"].endswith("/seller/listings")
    page = client.get("/seller/listings").get_data(as_text=True)
    assert "HTX Hai" in page
    factories.listing(coop=second, name="Gạo nếp cái hoa vàng")
    factories.listing(coop=first, name="Vải thiều sớm")
    page = client.get("/seller/listings").get_data(as_text=True)
    assert "Gạo nếp cái hoa vàng" in page and "Vải thiều sớm" not in page


def test_choose_never_redirects_off_site(client, auth, db):
    user, first = seller()
    _o, second = seller()
    member_of(second, user=user)
    auth.login(user)
    response = client.post(
        "/seller/choose?next=//evil.example/", data={"cooperative_id": str(first.id)}
    )
    assert response.headers["Location"].endswith("/seller/")
