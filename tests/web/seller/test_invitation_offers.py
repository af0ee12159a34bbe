"""Nobody is joined to a cooperative without consent (issue 11, item 2): invitations are offers
that the invited, verified address accepts or declines while logged in; they expire, are
limited per day, and the form answers the same whether or not the address has an account;
Farmers' Association staff and admins are never members; an unverified account neither joins
nor opens a cooperative."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from storefront.core.errors import (
    EmailNotVerified,
    InvalidInvitation,
    NotFound,
    StaffCannotJoin,
    TooManyInvitations,
)
from storefront.domain import accounts
from storefront.domain.cooperatives.applications import (
    CooperativeApplication,
    apply_for_cooperative,
)
from storefront.domain.cooperatives.members import (
    _invitation_serializer,
    accept_invitation,
    invitation_token,
    invite_member,
    revoke_invitation,
)
from storefront.extensions import db as _db
from storefront.models import (
    Cooperative,
    CooperativeInvitation,
    CooperativeMember,
    MemberRole,
    Role,
    User,
    utcnow,
)
from tests.fixtures import factories
from tests.fixtures.factories import PASSWORD
from tests.fixtures.mail import mails
from tests.fixtures.seller import seller, state

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture(autouse=True)
def _english_pages(client):
    client.get("/?lang=en")


def members_of(coop_id: int) -> set[int]:
    _db.session.expire_all()
    return set(
        _db.session.scalars(
            select(CooperativeMember.user_id).where(CooperativeMember.cooperative_id == coop_id)
        )
    )


def link_in(message) -> str:
    """The path of the invitation link in an e-mail."""
    match = re.search(r"https?://[^/\s]+(/seller/invitations/\S+)", message.get_content())
    assert match, message.get_content()
    return match.group(1)


def invite(client, email: str, role: str = "staff"):
    return client.post("/seller/members/invite", data={"email": email, "role": role})


def invitation_of(email: str) -> CooperativeInvitation:
    _db.session.expire_all()
    return _db.session.scalars(
        select(CooperativeInvitation)
        .where(CooperativeInvitation.email == email)
        .order_by(CooperativeInvitation.id.desc())
    ).first()


# --- the attacks ------------------------------------------------------------------------------


def test_a_seller_inviting_pfa_and_admin_thirty_times_adds_nobody(app, client, auth, db, outbox):
    owner, coop = seller()
    pfa = factories.user(role=Role.PFA, email="pfa@hoinongdan.vn")
    admin = factories.user(role=Role.ADMIN, email="admin@ocop.vn")
    auth.login(owner)
    answers = [
        invite(client, (pfa if n % 2 else admin).email, role="owner").status_code for n in range(30)
    ]
    limit = app.config["INVITATIONS_PER_COOPERATIVE_PER_DAY"]
    assert answers[:limit] == [302] * limit
    assert answers[limit:] == [429] * (30 - limit)  # the daily limit is hit
    assert len(mails(outbox)) == limit  # nothing sent over the limit
    page = invite(client, "someone@example.vn").get_data(as_text=True)
    assert "as many invitations as a day allows" in page
    assert members_of(coop.id) == {owner.id}
    auth.logout()

    # The invited staff and admin cannot accept, by the link or otherwise.
    for person in (pfa, admin):
        path = link_in(outbox.to(person.email)[-1])
        auth.login(person)
        page = client.get(path).get_data(as_text=True)
        assert "cannot be members of a cooperative" in page and "Accept and join" not in page
        response = client.post(path, data={"answer": "accept"}, follow_redirects=True)
        assert "cannot be members of a cooperative" in response.get_data(as_text=True)
        with pytest.raises(StaffCannotJoin):
            accept_invitation(path.rsplit("/", 1)[1], person)
        auth.logout()
    assert members_of(coop.id) == {owner.id}


def test_the_daily_limit_per_owner_counts_across_cooperatives(app, client, auth, db, outbox):
    app.config["INVITATIONS_PER_USER_PER_DAY"] = 3
    owner, first = seller()
    second = factories.cooperative(legal_name="HTX Hai", owner=owner)
    invite_member(first.id, owner, "a@example.vn", MemberRole.STAFF, accept_url=str)
    invite_member(first.id, owner, "b@example.vn", MemberRole.STAFF, accept_url=str)
    invite_member(second.id, owner, "c@example.vn", MemberRole.STAFF, accept_url=str)
    before = state()
    with pytest.raises(TooManyInvitations):
        invite_member(second.id, owner, "d@example.vn", MemberRole.STAFF, accept_url=str)
    # Withdrawing does not give an invitation back.
    revoke_invitation(first.id, invitation_of("a@example.vn").id, owner)
    with pytest.raises(TooManyInvitations):
        invite_member(first.id, owner, "a@example.vn", MemberRole.STAFF, accept_url=str)
    assert state()["counts"] == before["counts"]
    assert len(mails(outbox)) == 3


def test_a_customer_changing_their_email_to_an_invited_address_cannot_join(
    client, auth, db, outbox
):
    owner, coop = seller()
    customer = factories.user(email="khach@example.vn")
    auth.login(customer)
    response = client.post("/account/email", data={"email": "ke.toan@htx.vn", "password": PASSWORD})
    assert response.status_code == 302
    _db.session.refresh(customer)
    assert customer.email == "khach@example.vn"  # not effective without confirmation
    auth.logout()

    auth.login(owner)
    assert invite(client, "ke.toan@htx.vn").status_code == 302
    auth.logout()
    path = link_in(outbox.to("ke.toan@htx.vn")[-1])

    auth.login(customer)
    assert "HTX" not in client.get("/account/").get_data(as_text=True).split("Order history")[0]
    client.post(path, data={"answer": "accept"})
    assert members_of(coop.id) == {owner.id}
    auth.logout()

    # Nor by signing up with the address: the account exists, but unverified it cannot accept.
    client.post(
        "/account/register",
        data={
            "name": "Kẻ gian",
            "email": "ke.toan@htx.vn",
            "password": PASSWORD,
            "password_again": PASSWORD,
        },
    )
    auth.login("ke.toan@htx.vn")
    squatter = _db.session.scalar(User.by_email("ke.toan@htx.vn"))
    assert squatter.email_verified_at is None
    page = client.get(path).get_data(as_text=True)
    assert "confirm your e-mail address first" in page and "Accept and join" not in page
    assert "/account/verify/send" in page  # the button that sends the link
    response = client.post(path, data={"answer": "accept"}, follow_redirects=True)
    assert "confirm your e-mail address first" in response.get_data(as_text=True)
    with pytest.raises(EmailNotVerified):
        accept_invitation(path.rsplit("/", 1)[1], squatter)
    assert members_of(coop.id) == {owner.id}
    assert invitation_of("ke.toan@htx.vn").accepted_at is None
    # Not listed on the account page either, until verified.
    assert "Invitations to join a cooperative" not in client.get("/account/").get_data(as_text=True)


def test_the_invitation_form_answers_the_same_for_known_and_unknown_addresses(
    client, auth, db, outbox
):
    owner, coop = seller()
    factories.user(email="known@example.vn")
    auth.login(owner)

    def answer(email):
        response = invite(client, email)
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        [message] = outbox.to(email)
        return response, page, message

    known, known_page, known_mail = answer("known@example.vn")
    unknown, unknown_page, unknown_mail = answer("nobody@example.vn")
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]

    def same(text, email):
        text = text.replace(email, "EMAIL")
        return re.sub(r"/seller/invitations/[\w.-]+", "/seller/invitations/TOKEN", text)

    # The flash is the only part about this request; the list shows both addresses alike.
    flash = r'<p class="flash[^>]*>.*?</p>'
    known_flash = re.search(flash, known_page, re.S).group(0)
    assert "known@example.vn" in known_flash
    assert same(known_flash, "known@example.vn") == same(
        re.search(flash, unknown_page, re.S).group(0), "nobody@example.vn"
    )

    def entry(page, email):
        [item] = [li for li in re.findall(r"<li.*?</li>", page, re.S) if email in li]
        return same(item, email)

    assert entry(unknown_page, "known@example.vn") == entry(unknown_page, "nobody@example.vn")
    assert known_mail["Subject"] == unknown_mail["Subject"]
    assert same(known_mail.get_content(), "known@example.vn") == same(
        unknown_mail.get_content(), "nobody@example.vn"
    )
    assert members_of(coop.id) == {owner.id}  # nobody added


def _pending(owner, coop, email="an@example.vn"):
    invite_member(coop.id, owner, email, MemberRole.STAFF, accept_url=str)
    return invitation_of(email)


@pytest.mark.parametrize("how", ["expired", "declined", "withdrawn", "accepted", "replaced"])
def test_an_invitation_that_is_over_cannot_be_accepted(client, auth, db, outbox, how):
    owner, coop = seller()
    invitee = factories.user(email="an@example.vn")
    invitation = _pending(owner, coop)
    token = invitation_token(invitation)
    if how == "expired":
        invitation.expires_at = utcnow() - timedelta(minutes=1)
        _db.session.commit()
    elif how == "declined":
        auth.login(invitee)
        response = client.post(f"/seller/invitations/{token}", data={"answer": "decline"})
        assert response.status_code == 302
        auth.logout()
    elif how == "withdrawn":
        auth.login(owner)
        assert client.post(f"/seller/invitations/{invitation.id}/revoke").status_code == 302
        auth.logout()
    elif how == "accepted":
        accept_invitation(token, invitee)
        _db.session.execute(
            CooperativeMember.__table__.delete().where(CooperativeMember.user_id == invitee.id)
        )
        _db.session.commit()
    else:
        _pending(owner, coop)  # a newer invitation to the same address replaces it
    before = state()
    auth.login(invitee)
    assert client.get(f"/seller/invitations/{token}").status_code == 400
    assert client.post(f"/seller/invitations/{token}", data={"answer": "accept"}).status_code == 400
    with pytest.raises(InvalidInvitation):
        accept_invitation(token, invitee)
    assert state() == before
    assert invitee.id not in members_of(coop.id)


def test_someone_else_cannot_accept_or_decline_an_invitation(client, auth, db, outbox):
    owner, coop = seller()
    intruder = factories.user(email="ke.gian@example.vn")
    invitation = _pending(owner, coop)
    token = invitation_token(invitation)
    auth.login(intruder)
    for answer in ("accept", "decline"):
        response = client.post(
            f"/seller/invitations/{token}", data={"answer": answer}, follow_redirects=True
        )
        assert "was sent to an@example.vn" in response.get_data(as_text=True)
    _db.session.refresh(invitation)
    assert invitation.accepted_at is None and invitation.declined_at is None
    assert members_of(coop.id) == {owner.id}
    # Another cooperative's owner cannot withdraw it: 404, and it stays.
    other_owner, other = seller()
    auth.logout()
    auth.login(other_owner)
    assert client.post(f"/seller/invitations/{invitation.id}/revoke").status_code == 404
    with pytest.raises(NotFound):
        revoke_invitation(other.id, invitation.id, other_owner)
    _db.session.refresh(invitation)
    assert invitation.withdrawn_at is None


def test_tampered_invitation_tokens_are_refused(client, auth, db, outbox):
    owner, coop = seller()
    invitee = factories.user(email="an@example.vn")
    invitation = _pending(owner, coop)
    other = _pending(owner, coop, "other@example.vn")
    token = invitation_token(invitation)
    forged = [
        token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb"),  # signature broken
        # another row's id under this address: the signature no longer matches
        token.replace(
            token.split(".")[0],
            _invitation_serializer().dump_payload({"i": other.id, "e": "an@example.vn"}).decode(),
        ),
        # signed with another salt (the e-mail verification's)
        accounts._email_serializer(accounts.VERIFY_SALT).dumps(
            {"i": invitation.id, "e": "an@example.vn"}
        ),
        "not-a-token",
    ]
    auth.login(invitee)
    for bad in forged:
        assert client.get(f"/seller/invitations/{bad}").status_code == 400
        response = client.post(f"/seller/invitations/{bad}", data={"answer": "accept"})
        assert response.status_code == 400
    assert members_of(coop.id) == {owner.id}


# --- the offer, answered ---------------------------------------------------------------------


def test_the_invitee_sees_the_offer_and_declines_it(client, auth, db, outbox):
    owner, coop = seller()
    invitee = factories.user(email="an@example.vn")
    auth.login(owner)
    invite(client, "AN@example.vn", role="owner")
    auth.logout()
    auth.login(invitee)
    page = client.get("/account/").get_data(as_text=True)
    assert coop.legal_name in page and "Decline" in page
    path = link_in(outbox.to("an@example.vn")[0])
    response = client.post(path, data={"answer": "decline"})
    assert response.status_code == 302
    page = client.get("/account/").get_data(as_text=True)
    assert "declined the invitation" in page and "Invitations to join a cooperative" not in page
    assert members_of(coop.id) == {owner.id}
    auth.logout()
    # The owners see it declined, and can no longer withdraw it.
    auth.login(owner)
    page = client.get("/seller/members").get_data(as_text=True)
    assert "an@example.vn" in page and "Declined" in page and "Withdraw" not in page


def test_owners_see_pending_and_expired_invitations_and_withdraw_a_pending_one(
    client, auth, db, outbox
):
    owner, coop = seller()
    pending = _pending(owner, coop, "cho@example.vn")
    expired = _pending(owner, coop, "het@example.vn")
    expired.expires_at = utcnow() - timedelta(days=1)
    _db.session.commit()
    auth.login(owner)
    page = client.get("/seller/members").get_data(as_text=True)
    assert "cho@example.vn" in page and "Waiting for an answer" in page
    assert "het@example.vn" in page and "Expired" in page
    assert page.count("Withdraw") == 1
    assert client.post(f"/seller/invitations/{expired.id}/revoke").status_code == 404
    assert client.post(f"/seller/invitations/{pending.id}/revoke").status_code == 302
    assert "cho@example.vn" not in client.get("/seller/members").get_data(as_text=True)
    assert client.get(f"/seller/invitations/{invitation_token(pending)}").status_code == 400


def test_an_invitation_expires_after_the_configured_days(app, db, outbox):
    app.config["INVITATION_VALID_DAYS"] = 3
    owner, coop = seller()
    invitation = _pending(owner, coop)
    expires_at = invitation.expires_at.replace(tzinfo=None)
    created_at = invitation.created_at.replace(tzinfo=None)
    assert expires_at - created_at == timedelta(days=3)
    assert "trong 3 ngày" in mails(outbox)[0].get_content()  # the cooperative's language


# --- staff and admins are never members; unverified accounts neither join nor apply ----------


APPLICATION = CooperativeApplication(
    legal_name="HTX Chưa Xác Minh",
    registration_number="UNVERIFIED-1",
    address="Thôn 1",
    commune_code=factories.LUC_NGAN_COMMUNE,
    phone="0912345678",
    email="htx@example.vn",
)


def _cooperatives() -> int:
    return _db.session.scalar(select(func.count()).select_from(Cooperative))


@pytest.mark.parametrize("role", [Role.PFA, Role.ADMIN])
def test_staff_and_admins_cannot_apply(client, auth, db, role):
    user = factories.user(role=role)
    with pytest.raises(StaffCannotJoin):
        apply_for_cooperative(user, APPLICATION)
    auth.login(user)
    response = client.get("/seller/apply")
    assert response.status_code == 403
    assert "cannot be members of a cooperative" in response.get_data(as_text=True)
    assert client.post("/seller/apply", data={"legal_name": "X"}).status_code == 403
    assert _cooperatives() == 0


def test_an_unverified_account_cannot_apply_until_it_confirms(client, auth, db, outbox):
    user = factories.user(email="moi@example.vn", verified=False)
    with pytest.raises(EmailNotVerified):
        apply_for_cooperative(user, APPLICATION)
    auth.login(user)
    response = client.get("/seller/apply")
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "confirm your e-mail address first" in page and "/account/verify/send" in page
    assert client.post("/seller/apply", data={"legal_name": "X"}).status_code == 403
    assert _cooperatives() == 0

    # The button sends the link; confirming it lets the same account apply.
    response = client.post("/account/verify/send", data={"next": "/seller/apply"})
    assert response.headers["Location"] == "/seller/apply"
    [message] = outbox.to("moi@example.vn")
    link = re.search(r"http://localhost(/account/verify/\S+)", message.get_content()).group(1)
    assert client.post(link).status_code == 302
    assert client.get("/seller/apply").status_code == 200
    _db.session.refresh(user)
    apply_for_cooperative(user, APPLICATION)
    assert _cooperatives() == 1
