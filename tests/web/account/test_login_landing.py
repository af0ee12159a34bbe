"""Where logging in lands (issue 12, point 9): a cooperative's people in their workspace, PFA
staff and admins in the console, a buyer back on the page they came from (or home); a safe
`next` wins over all of these, a hostile one is ignored."""

from __future__ import annotations

import re

import pytest

from storefront.models import CooperativeMember, MemberRole, Role
from tests.fixtures.factories import PASSWORD

HOSTILE = [
    "//evil.example/",
    "https://evil.example/",
    "/\\evil.example",
    "/\t/evil.example",
    "javascript:alert(1)",
]


def _log_in(client, user, next_=None, **form):
    url = "/account/login" + (f"?next={next_}" if next_ is not None else "")
    response = client.post(url, data={"email": user.email, "password": PASSWORD, **form})
    assert response.status_code == 302
    return response.headers["Location"]


@pytest.fixture
def member(make, db):
    user = make.user(email="chu.nhiem@htx.vn")
    make.cooperative(owner=user)
    return user


def test_a_cooperative_member_lands_in_the_seller_workspace(client, member):
    assert _log_in(client, member) == "/seller/"
    assert client.get("/seller/").status_code == 200


def test_a_member_of_a_cooperative_still_applying_lands_there_too(client, make, db):
    from storefront.models import CooperativeStatus

    user = make.user()
    coop = make.cooperative(status=CooperativeStatus.APPLIED)
    db.session.add(
        CooperativeMember(cooperative_id=coop.id, user_id=user.id, role=MemberRole.OWNER)
    )
    db.session.commit()
    assert _log_in(client, user) == "/seller/"


@pytest.mark.parametrize("role", [Role.PFA, Role.ADMIN])
def test_staff_and_admins_land_in_the_console(client, make, role):
    user = make.user(role=role)
    assert _log_in(client, user) == "/pfa/"
    assert client.get("/pfa/").status_code == 200


def test_a_buyer_goes_home_or_back_where_they_came_from(client, make):
    buyer = make.user()
    assert _log_in(client, buyer) == "/"
    client.post("/account/logout")

    # The login page keeps the shop page that sent them (same site only, never an account page).
    page = client.get("/account/login", headers={"Referer": "http://localhost/cart/"})
    assert 'name="came_from" value="/cart/"' in page.get_data(as_text=True)
    assert _log_in(client, buyer, came_from="/cart/") == "/cart/"
    client.post("/account/logout")
    for referer in (
        "https://evil.example/cart/",
        "http://localhost/account/register",
        "http://localhost/account/login?next=/x",
    ):
        page = client.get("/account/login", headers={"Referer": referer})
        assert 'name="came_from"' not in page.get_data(as_text=True), referer
    for hostile in HOSTILE:
        assert _log_in(client, buyer, came_from=hostile) == "/", hostile
        client.post("/account/logout")


def test_a_failed_attempt_keeps_where_the_buyer_came_from(client, make):
    buyer = make.user()
    response = client.post(
        "/account/login",
        data={
            "email": buyer.email,
            "password": "wrong password",
            "came_from": "/products?page=2",
        },
    )
    assert response.status_code == 200
    assert re.search(r'name="came_from" value="/products\?page=2"', response.get_data(as_text=True))


def test_a_member_or_staff_member_coming_from_a_shop_page_still_lands_at_work(client, make, member):
    assert _log_in(client, member, came_from="/cart/") == "/seller/"
    client.post("/account/logout")
    assert _log_in(client, make.user(role=Role.PFA), came_from="/cart/") == "/pfa/"


@pytest.mark.parametrize("role", ["customer", "member", "pfa", "admin"])
def test_a_safe_next_wins(client, make, member, role):
    user = {
        "customer": lambda: make.user(),
        "member": lambda: member,
        "pfa": lambda: make.user(role=Role.PFA),
        "admin": lambda: make.user(role=Role.ADMIN),
    }[role]()
    assert _log_in(client, user, next_="/orders/lookup", came_from="/cart/") == "/orders/lookup"


@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_hostile_next_is_ignored(client, make, member, hostile):
    from urllib.parse import quote

    expected = {member.email: "/seller/"}
    staff = make.user(role=Role.PFA)
    expected[staff.email] = "/pfa/"
    buyer = make.user()
    expected[buyer.email] = "/"
    for user in (member, staff, buyer):
        location = _log_in(client, user, next_=quote(hostile, safe=""))
        assert location == expected[user.email], (hostile, user.email)
        client.post("/account/logout")
