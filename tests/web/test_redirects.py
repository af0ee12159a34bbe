"""Redirect targets from the request (login `next`, the cart's `next`, the cooperative chooser's
`next`) stay on the shop: every hostile spelling of "another site" falls back to a shop page."""

from __future__ import annotations

from urllib.parse import unquote, urljoin, urlsplit

import pytest

from tests.fixtures.factories import PASSWORD
from tests.fixtures.seller import member_of, seller

HOSTILE = [
    "//evil.example",
    "/\\evil.example",
    "/%09/evil.example",
    "\t//evil.example",
    "https://evil.example",
    "/\t/evil.example",
    "///evil.example",
    "/%2F%2Fevil.example",
    "/%5Cevil.example",
    "/\n/evil.example",
    "javascript:alert(1)",
    "\u3000//evil.example",  # ideographic space
    "/\u3000/evil.example",
]
# Each as the server would see it, and once more percent-decoded (as werkzeug decodes a query).
TARGETS = sorted({*HOSTILE, *(unquote(target) for target in HOSTILE)})
GOOD = "/products?page=2"


def stays_on_the_shop(location: str) -> bool:
    """Resolve the Location as a browser does: it drops tabs and newlines, trims spaces and
    control characters and reads "\\" as "/"."""
    cleaned = location.replace("\t", "").replace("\n", "").replace("\r", "")
    cleaned = cleaned.strip("".join(map(chr, range(0x21)))).replace("\\", "/")
    resolved = urlsplit(urljoin("http://localhost/", cleaned))
    return resolved.scheme == "http" and resolved.netloc == "localhost"


def test_the_browser_check_itself_sees_the_attacks():
    for location in ("//evil.example", "/\\evil.example", "/\t/evil.example", "https://e.x"):
        assert not stays_on_the_shop(location)
    assert stays_on_the_shop(GOOD)


@pytest.mark.parametrize("target", TARGETS)
def test_login_next_stays_on_the_shop(client, make, target):
    user = make.user()
    response = client.post(
        "/account/login",
        query_string={"next": target},
        data={"email": user.email, "password": PASSWORD},
    )
    assert response.status_code == 302
    assert stays_on_the_shop(response.headers["Location"]), response.headers["Location"]


@pytest.mark.parametrize("raw", ["/%09/evil.example", "/%2F%2Fevil.example", "%2F%2Fevil.example"])
def test_login_next_as_sent_on_the_wire(client, make, raw):
    user = make.user()
    response = client.post(
        f"/account/login?next={raw}", data={"email": user.email, "password": PASSWORD}
    )
    assert stays_on_the_shop(response.headers["Location"]), response.headers["Location"]


@pytest.mark.parametrize("target", TARGETS)
def test_cart_next_stays_on_the_shop(client, make, target):
    package = make.listing(packages=[{"stock": 5}]).packages[0]
    # A refused quantity sends the visitor back to the page they came from (`next`).
    response = client.post(
        "/cart/add", data={"package_id": package.id, "quantity": "0", "next": target}
    )
    assert response.status_code == 303
    assert stays_on_the_shop(response.headers["Location"]), response.headers["Location"]


@pytest.mark.parametrize("target", TARGETS)
def test_cooperative_chooser_next_stays_on_the_shop(client, auth, db, target):
    user, first = seller()
    _o, second = seller()
    member_of(second, user=user)
    auth.login(user)
    response = client.post(
        "/seller/choose", query_string={"next": target}, data={"cooperative_id": str(first.id)}
    )
    assert response.status_code == 302
    assert stays_on_the_shop(response.headers["Location"]), response.headers["Location"]


def test_good_targets_still_work(client, make, auth, db):
    user, first = seller()
    _o, second = seller()
    member_of(second, user=user)
    response = client.post(
        "/account/login",
        query_string={"next": GOOD},
        data={"email": user.email, "password": PASSWORD},
    )
    assert response.headers["Location"] == GOOD
    response = client.post(
        "/seller/choose", query_string={"next": GOOD}, data={"cooperative_id": str(first.id)}
    )
    assert response.headers["Location"] == GOOD
    package = make.listing(packages=[{"stock": 5}]).packages[0]
    response = client.post(
        "/cart/add", data={"package_id": package.id, "quantity": "0", "next": GOOD}
    )
    assert response.headers["Location"] == GOOD
