"""No 5xx from any POST route when one form field (or query parameter) is hostile (issue 11,
item 8), driven by hypothesis.

For each role, the pages of the URL map are read as that role and every form on them collected
(its action, its fields and their values as the browser would send them, the CSRF token
included). Each POST route of the URL map is then walked as the role allowed to call it, from
that valid baseline, varying ONE field at a time: huge and negative integers, NUL and control
characters, unicode digits (², ٣, １２), overlong text, malformed percent-encoding, a repeated
or missing field, and the query parameters views read. CSRF protection is on, as in
production. The answer must never be a server error; whenever it is not a redirect (a form
error, 400, 403, 404, 422), no row was added or removed in any table.

Deterministic (derandomize) and small (a few examples per field); SQLite and PostgreSQL.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import quote, urlencode, urlsplit

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select
from werkzeug.exceptions import HTTPException

from storefront.core.inputs import DB_INT_MAX
from storefront.domain.accounts import password_reset_token
from storefront.extensions import db
from storefront.models import CartLine, CertificateStatus, CooperativeStatus, Order, Role
from tests.fixtures import factories
from tests.fixtures.app import KEEP_TABLES
from tests.fixtures.seller import file_field, png_bytes, seller
from tests.fixtures.shop import checkout_form
from tests.web.test_hostile_input import fill, get_rules

EXAMPLES_PER_FIELD = 3
MAX_EXAMPLES_PER_ROUTE = 30
# Walked last, so that the object they remove is still there for the other routes.
DESTRUCTIVE = ("delete", "remove", "revoke", "cancel")
# Query parameters a POST view reads (the redirect target, the language).
QUERY_FIELDS = ["?next", "?lang"]
# Fields tried on a route whose form no page shows (its id is not the world's, say).
FALLBACK_FIELDS = ["quantity", "package_id", "reason", "next", "email", "action"]
# Values no page pre-fills that a valid baseline needs.
BASELINE = {"checkout.submit": {"phone": "0912345678"}}
NOT_WALKED = {
    # Ends the session the rest of the walk runs in; it reads no field (the all-fields-hostile
    # test in test_hostile_input.py posts to it).
    "accounts.logout",
}

FIXED = [
    str(2**63),
    str(10**20),
    str(DB_INT_MAX + 1),
    str(DB_INT_MAX),
    "-1",
    "-2147483649",
    "0",
    "\x00",
    "a\x00b",
    "\x1b[31m",
    "\x7f",
    "²",
    "٣",
    "１２",
    "1e3",
    "0x10",
    "NaN",
    "",
    " ",
    "\u202e",
    "\ufeff1",
    "'; --",
    "<script>",
    "x" * 5000,
    "9" * 400,
]
RAW = ["%zz", "%", "%FF%FE", "%C0%80", "%C0%AF", "%E2%80%AE", "%00", "a%2", "%%31"]


def hostile_values():
    """(how, value): a value sent URL-encoded, raw (malformed percent-encoding), repeated after
    the baseline's, or the field left out."""
    value = st.one_of(
        st.sampled_from(FIXED),
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        st.text(
            alphabet=st.characters(categories=["Nd", "No", "Cc", "Cf", "Zs"]),
            min_size=1,
            max_size=8,
        ),
        st.integers(min_value=256, max_value=20_000).map(lambda n: "ệ" * n),
    )
    return st.one_of(
        st.tuples(st.just("value"), value),
        st.tuples(st.just("raw"), st.sampled_from(RAW)),
        st.tuples(st.just("repeat"), value),
        st.tuples(st.just("drop"), st.just("")),
    )


class Forms(HTMLParser):
    """The POST forms of a page: (action, [(name, value), ...]) as a browser would send them."""

    def __init__(self):
        super().__init__()
        self.forms: list[tuple[str, list[tuple[str, str]]]] = []
        self._fields: list[tuple[str, str]] | None = None
        self._buttons: list[tuple[str, str]] = []
        self._select: str | None = None
        self._option: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "form" and a.get("method", "get").lower() == "post":
            self._fields, self._buttons = [], []
            self.forms.append((a.get("action", ""), self._fields))
        if self._fields is None:
            return
        name = a.get("name")
        if tag == "input" and name and a.get("type", "text") not in ("file", "submit", "image"):
            if a.get("type") in ("checkbox", "radio"):
                if "checked" in a and not any(n == name for n, _ in self._fields):
                    self._fields.append((name, a.get("value", "on")))
            else:
                self._fields.append((name, a.get("value", "")))
        elif tag in ("button", "input") and name and a.get("type", "submit") == "submit":
            self._buttons.append((name, a.get("value", "")))
        elif tag == "select" and name:
            self._select, self._option = name, None
        elif tag == "option" and self._select is not None:
            if self._option is None or "selected" in a:
                self._option = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []

    def handle_data(self, data):
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if self._fields is None:
            return
        if tag == "select" and self._select is not None:
            self._fields.append((self._select, self._option or ""))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self._fields.append((self._textarea, "".join(self._text)))
            self._textarea = None
        elif tag == "form":
            # The button a browser sends is the one clicked: the main one ("submit"), else the
            # first (a second button such as "Show the communes" only refreshes the form).
            if self._buttons:
                main = [b for b in self._buttons if b[0] == "submit"] or self._buttons
                self._fields.append(main[0])
            self._fields = None


def row_counts() -> tuple[int, ...]:
    """Rows in every table but the reference data, in one query."""
    db.session.rollback()
    tables = [t for t in db.metadata.sorted_tables if t.name not in KEEP_TABLES]
    return tuple(
        db.session.execute(
            select(*(select(func.count()).select_from(t).scalar_subquery() for t in tables))
        ).one()
    )


def body_of(baseline: list[tuple[str, str]], field: str, how: str, value: str) -> tuple[str, str]:
    """(form body, extra query string) with `field` changed as told, the rest as the baseline."""
    if field.startswith("?"):
        name = field[1:]
        query = (
            f"{quote(name)}={value}"
            if how == "raw"
            else urlencode(
                [(name, "/"), (name, value)]
                if how == "repeat"
                else []
                if how == "drop"
                else [(name, value)]
            )
        )
        return urlencode(baseline), query
    kept = [(n, v) for n, v in baseline if n != field]
    old = [(n, v) for n, v in baseline if n == field]
    if how == "value":
        kept.append((field, value))
    elif how == "repeat":
        kept += old + [(field, value)]
    body = urlencode(kept)
    if how == "raw":
        body += f"&{quote(field)}={value}"
    return body, ""


def walk_order(rule) -> tuple[bool, str]:
    return (rule.endpoint.rsplit(".", 1)[-1].startswith(DESTRUCTIVE), rule.rule)


def owner_role(rule) -> str:
    """The role that may call a POST route (the one the walk posts as)."""
    path, endpoint = rule.rule, rule.endpoint
    if endpoint in ("seller.apply", "seller.invitation"):
        return "customer"
    if path.startswith("/seller/"):
        return "seller"
    if path.startswith("/pfa/"):
        return "pfa"
    if endpoint in (
        "accounts.login",
        "accounts.register",
        "accounts.reset_request",
        "accounts.reset_password",
        "orders.lookup",
        "payments.stripe_webhook",
    ):
        return "anonymous"
    return "customer"


@pytest.fixture
def world(client, auth, make):
    """A cooperative with a public listing, a photo, a pending application and certificate,
    an invitation, a customer with an address, an order and a cart; PFA staff."""
    owner, coop = seller()
    listing = factories.listing(
        coop=coop,
        slug="vai-thieu",
        packages=[{"label": "Hộp 1 kg", "price": 150_000, "stock": 5000}],
    )
    factories.cooperative(status=CooperativeStatus.APPLIED, owner=factories.user())
    factories.certificate(coop, status=CertificateStatus.SUBMITTED)
    customer = factories.user()
    staff = factories.user(role=Role.PFA)
    package = listing.packages[0]

    auth.login(owner)
    response = client.post(
        f"/seller/listings/{listing.id}/photos",
        data={"photos": [file_field(png_bytes())]},
        content_type="multipart/form-data",
    )
    assert response.status_code in (200, 302)
    client.post("/seller/members/invite", data={"email": "moi@example.vn", "role": "staff"})
    client.post("/account/logout")

    auth.login(customer)
    client.post(
        "/account/addresses/new",
        data={
            "recipient": "Lan",
            "phone": "0912345678",
            "street": "1 Lê Lợi",
            "province": str(factories.commune().province.code),
            "commune": str(factories.commune().code),
        },
    )
    client.post("/cart/add", data={"package_id": package.id, "quantity": 1})
    assert client.post("/checkout/", data=checkout_form(email=customer.email)).status_code == 303
    client.post("/cart/add", data={"package_id": package.id, "quantity": 1})
    client.post("/account/logout")
    return {"customer": customer, "seller": owner, "pfa": staff, "listing": listing}


def page_urls(app, world) -> list[str]:
    orders = db.session.scalars(select(Order.number)).all()
    return [fill(rule, None, "") for rule in get_rules(app) if rule.endpoint != "static"] + [
        "/products/vai-thieu",
        "/cart/",
        "/checkout/",
        "/pfa/cooperatives/2",
        "/pfa/certificates/2",
        "/seller/certificates/2/edit",
        *[f"/orders/{number}" for number in orders],
        f"/account/reset/{password_reset_token(world['customer'])}",
    ]


def collect_forms(app, client, world) -> dict[str, tuple[str, list[tuple[str, str]]]]:
    """endpoint → (action URL, baseline fields), from the first page showing its form."""
    adapter = app.url_map.bind("localhost")
    found: dict[str, tuple[str, list[tuple[str, str]]]] = {}
    for url in page_urls(app, world):
        response = client.get(url)
        if response.mimetype != "text/html":
            continue
        parser = Forms()
        parser.feed(response.get_data(as_text=True))
        for action, fields in parser.forms:
            parts = urlsplit(action or url)
            try:
                endpoint, _ = adapter.match(parts.path, method="POST")
            except HTTPException:
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            found.setdefault(endpoint, (target, fields))
    return found


def post(client, url: str, body: str, query: str) -> int:
    if query:
        url += ("&" if "?" in url else "?") + query
    try:
        response = client.post(
            url, data=body.encode(), content_type="application/x-www-form-urlencoded"
        )
        response.get_data()
        return response.status_code
    except Exception:  # noqa: BLE001 - the testing app propagates exceptions: a 500
        return 500


def walk_route(client, url: str, baseline, fields: list[str], failures: list, prepare) -> int:
    tried = 0

    examples = min(EXAMPLES_PER_FIELD * len(fields), MAX_EXAMPLES_PER_ROUTE)

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(field=st.sampled_from(fields), mutation=hostile_values())
    def one(field, mutation):
        nonlocal tried
        how, value = mutation
        body, query = body_of(baseline, field, how, value)
        prepare()
        before = row_counts()
        status = post(client, url, body, query)
        tried += 1
        what = (url, field, how, repr(value)[:60], status)
        if status >= 500:
            failures.append(what)
        elif status not in (301, 302, 303) and row_counts() != before:
            failures.append((*what, "rows changed"))

    one()
    return tried


@pytest.mark.parametrize("role", ["anonymous", "customer", "seller", "pfa"])
def test_one_hostile_field_at_a_time_never_gives_a_5xx(
    app, client, auth, world, csrf_on, stripe_fake, role
):
    if role != "anonymous":
        # CSRF is on: log in through the form, with its token.
        page = client.get("/account/login").get_data(as_text=True)
        parser = Forms()
        parser.feed(page)
        token = dict(parser.forms[-1][1])["csrf_token"]
        response = client.post(
            "/account/login",
            data={"email": world[role].email, "password": factories.PASSWORD, "csrf_token": token},
        )
        assert response.status_code == 302
    forms = collect_forms(app, client, world)
    session_token = next(
        (
            dict(fields)["csrf_token"]
            for _, fields in forms.values()
            if "csrf_token" in dict(fields)
        ),
        None,
    )
    assert session_token

    rules = [
        rule
        for rule in sorted(app.url_map.iter_rules(), key=walk_order)
        if "POST" in rule.methods and rule.endpoint not in NOT_WALKED and owner_role(rule) == role
    ]
    package_id = world["listing"].packages[0].id
    assert rules
    failures: list = []
    with_form = tried = 0
    for rule in rules:
        if rule.endpoint in forms:
            url, baseline = forms[rule.endpoint]
            given_values = BASELINE.get(rule.endpoint, {})
            baseline = [(n, given_values.get(n, v)) for n, v in baseline]
            with_form += 1
        else:
            url, baseline = fill(rule, None, ""), [("csrf_token", session_token)]
        names = [name for name, _ in baseline if name != "csrf_token"]
        fields = list(dict.fromkeys(names or FALLBACK_FIELDS)) + QUERY_FIELDS

        def prepare(endpoint=rule.endpoint):
            # Checkout from the same cart each time (a placed order empties it, a refused one
            # leaves it): one unit, the baseline's expected subtotal.
            if endpoint == "checkout.submit":
                db.session.execute(delete(CartLine))
                db.session.commit()
                client.post(
                    "/cart/add",
                    data={"package_id": package_id, "quantity": 1, "csrf_token": session_token},
                )

        tried += walk_route(client, url, baseline, fields, failures, prepare)
    assert failures == [], "\n".join(map(str, failures))
    # The walk reached the forms the role's pages show (not only routes it guessed ids for).
    assert with_form >= {"anonymous": 3, "customer": 7, "seller": 12, "pfa": 3}[role], forms.keys()
    assert tried >= 40
