"""No 5xx on hostile input (issue 11, item 8): every GET route of the URL map, every path
argument and the query parameters the shop reads, given integers beyond the database's range,
negative numbers, NUL and control characters, unicode digits and overlong text, as anonymous,
a customer, a seller and PFA staff. The answer is 400 or 404 (or the page, ignoring the value),
never a server error. Runs on SQLite and, with TEST_DATABASE_URL, PostgreSQL (which refuses NUL
in text and integers above 2**31-1, where SQLite does not)."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from storefront.core.inputs import DB_INT_MAX, has_control_characters, parse_int
from storefront.models import Role
from tests.fixtures import factories
from tests.fixtures.seller import seller

HOSTILE = [
    str(2**63),
    str(10**20),
    str(DB_INT_MAX + 1),
    "-1",
    "\x00",
    "a\x00b",
    "\x1b[31m",
    "²",
    "٣",  # ARABIC-INDIC DIGIT THREE: isdigit() is true and int("٣") == 3
    "１２",  # full-width digits
    "1e3",
    "x" * 3000,
]
QUERY_PARAMETERS = [
    "page",
    "price_min",
    "price_max",
    "stars",
    "group",
    "province",
    "commune",
    "coop",
    "quantity",
    "package_id",
    "q",
    "sort",
    "status",
    "actor",
    "cooperative",
    "action",
    "from",
    "to",
    "listing",
    "archived",
    "show",
    "session_id",
    "placed",
    "lang",
    "next",
    "sheet",
    "download",
    "payos",
]
ROLES = ["anonymous", "customer", "seller", "pfa"]
_ARGUMENT = re.compile(r"<(?:(\w+)(?:\(([^)]*)\))?:)?(\w+)>")


def get_rules(app):
    return sorted(
        (rule for rule in app.url_map.iter_rules() if "GET" in rule.methods),
        key=lambda rule: rule.rule,
    )


def fill(rule, hostile_name: str | None, value: str) -> str:
    """The rule's path with `value` (percent-encoded) for one argument, "1" for the others."""

    def one(match):
        converter, options, name = match.groups()
        if name == hostile_name:
            return quote(value, safe="")
        if converter == "any":
            return options.split(",")[0].strip()
        return "1"

    return _ARGUMENT.sub(one, rule.rule)


def status_of(client, url: str, **kwargs) -> int:
    """The status, a raised exception (the testing app propagates them) counting as a 500."""
    try:
        response = client.get(url, **kwargs)
        response.get_data()  # a streamed body raising halfway is a 500 too
        return response.status_code
    except Exception as error:  # noqa: BLE001 - any exception is what a 500 would be
        return 500 if not isinstance(error, AssertionError) else 599


@pytest.fixture
def as_role(client, auth, make):
    owner, coop = seller()
    factories.listing(coop=coop)
    users = {
        "customer": factories.user(),
        "seller": owner,
        "pfa": factories.user(role=Role.PFA),
    }

    def log_in(role: str):
        if role != "anonymous":
            assert auth.login(users[role]).status_code == 302
        return client

    return log_in


@pytest.mark.parametrize("role", ROLES)
def test_no_path_argument_gives_a_5xx(app, as_role, role):
    client = as_role(role)
    failures = []
    tried = 0
    for rule in get_rules(app):
        for name in rule.arguments:
            for value in HOSTILE:
                url = fill(rule, name, value)
                tried += 1
                status = status_of(client, url)
                if status >= 500:
                    failures.append((url[:120], status))
    assert tried > 100
    assert failures == []


@pytest.mark.parametrize("role", ROLES)
def test_no_query_parameter_gives_a_5xx(app, as_role, role):
    client = as_role(role)
    failures = []
    for rule in get_rules(app):
        if rule.endpoint == "static":
            continue
        for value in HOSTILE:
            url = fill(rule, None, "")
            status = status_of(client, url, query_string={n: value for n in QUERY_PARAMETERS})
            if status >= 500:
                failures.append((rule.rule, repr(value)[:30], status))
    assert failures == []


@pytest.mark.parametrize("value", HOSTILE)
def test_anonymous_catalog_filters(client, value):
    """The catalog ignores a bad filter value (the page still shows), except NUL and control
    characters, refused with 400 before any query runs."""
    response = client.get("/products", query_string={"price_min": value, "page": value})
    assert response.status_code == (400 if has_control_characters(value) else 200)


def test_nul_in_a_form_is_refused_before_the_database(client, auth, make):
    user = factories.user()
    auth.login(user)
    response = client.post("/account/login", data={"email": "a\x00@example.vn", "password": "x"})
    assert response.status_code == 400


def test_huge_ids_in_urls_are_not_found(client, auth):
    owner, _ = seller()
    auth.login(owner)
    for url in (
        f"/seller/listings/{10**20}/edit",
        f"/seller/listings/{2**63}/edit",
        f"/seller/certificates/{DB_INT_MAX + 1}",
        f"/seller/listings/{quote('٣')}/edit",
    ):
        assert client.get(url).status_code == 404, url


def test_audit_csv_with_hostile_filters_is_whole_or_refused(client, auth, make):
    """It used to answer 200 and stop after its 96-byte header (the query failed while the
    body streamed): now the rows are built before the answer, and bad filters are ignored."""
    auth.login(factories.user(role=Role.PFA))
    for query in (
        {"actor": str(10**20), "cooperative": str(2**63)},
        {"to": "9999-12-31"},
        {"from": "0001-01-01", "to": "0001-01-01"},
        {"actor": "٣"},
    ):
        response = client.get("/pfa/audit.csv", query_string=query)
        assert response.status_code == 200, query
        body = response.get_data(as_text=True)  # before: raised here, after 96 bytes
        assert body.startswith("\ufefftime,staff,") and body.endswith("\r\n")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", 12),
        (" 12 ", 12),
        ("0", 0),
        (str(DB_INT_MAX), DB_INT_MAX),
        (str(DB_INT_MAX + 1), None),
        ("²", None),
        ("٣", None),
        ("１２", None),
        ("-1", None),
        ("+1", None),
        ("1.0", None),
        ("", None),
        (None, None),
        ("9" * 5000, None),
        (7, 7),
        (True, None),
    ],
)
def test_parse_int_takes_ascii_digits_in_range(text, expected):
    assert parse_int(text) == expected


@pytest.mark.parametrize("value", [str(10**20), str(2**63), "٣", "\x00"])
def test_select_fields_coerce_only_ascii_digits_in_range(client, auth, value):
    """A province select posted with a value beyond the database's integer: a form error (or
    400 for NUL), not a query that PostgreSQL refuses."""
    auth.login(factories.user())
    response = client.post(
        "/account/addresses/new",
        data={
            "recipient": "An",
            "phone": "0912345678",
            "street": "1 Lê Lợi",
            "province": value,
            "commune": value,
            "show_communes": "1",
        },
    )
    assert response.status_code in (200, 400)


def form_field_names() -> list[str]:
    """Every field of every form in storefront.web (sub-forms of lists as their first row), and
    the few values views read from request.form directly."""
    import importlib
    import pkgutil

    from flask_wtf import FlaskForm
    from wtforms.fields import FieldList, FormField
    from wtforms.fields.core import UnboundField

    import storefront.web

    for module in pkgutil.walk_packages(storefront.web.__path__, "storefront.web."):
        importlib.import_module(module.name)
    names = {
        "package_id",
        "quantity",
        "reason",
        "direction",
        "listing",
        "listing_id",
        "carrier",
        "tracking_number",
        "email",
        "number",
        "next",
    }

    def fields_of(form_class, prefix=""):
        for name in dir(form_class):
            unbound = getattr(form_class, name, None)
            if not isinstance(unbound, UnboundField):
                continue
            if unbound.field_class is FieldList:
                inner = unbound.args[0]
                fields_of(inner.args[0], f"{prefix}{name}-0-")
            elif unbound.field_class is FormField:
                fields_of(unbound.args[0], f"{prefix}{name}-")
            else:
                names.add(prefix + name)

    pending = list(FlaskForm.__subclasses__())
    while pending:
        form_class = pending.pop()
        pending.extend(form_class.__subclasses__())
        fields_of(form_class)
    return sorted(names)


@pytest.mark.parametrize("role", ROLES)
def test_no_post_form_gives_a_5xx(app, as_role, role):
    """Every POST route, every form field the app knows set to each hostile value at once.
    (Each field alone, and combinations, are the later hypothesis walk.)"""
    client = as_role(role)
    fields = form_field_names()
    assert len(fields) > 40
    failures = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule):
        if "POST" not in rule.methods or rule.endpoint in ("accounts.logout",):
            continue
        url = fill(rule, None, "")
        for value in HOSTILE:
            try:
                status = client.post(url, data={name: value for name in fields}).status_code
            except Exception as error:  # noqa: BLE001 - a raised exception is a 500
                status, value = 500, f"{value!r}: {error!r}"[:200]
            if status >= 500:
                failures.append((url, repr(value)[:200], status))
    assert failures == [], "\n".join(map(str, failures))


RAW_QUERIES = [
    "&".join(f"{name}=%zz" for name in QUERY_PARAMETERS),
    "&".join(f"{name}=%FF%FE" for name in QUERY_PARAMETERS),
    "&".join(f"{name}=%C0%80" for name in QUERY_PARAMETERS),  # overlong UTF-8 NUL
    "&".join(f"{name}=1&{name}={10**20}&{name}=" for name in QUERY_PARAMETERS),  # repeated
]


@pytest.mark.parametrize("role", ROLES)
def test_malformed_percent_encoding_and_repeated_parameters(app, as_role, role):
    client = as_role(role)
    failures = []
    for rule in get_rules(app):
        if rule.endpoint == "static":
            continue
        path = fill(rule, None, "")
        for raw in RAW_QUERIES:
            status = status_of(client, f"{path}?{raw}")
            if status >= 500:
                failures.append((path, raw[:40], status))
        for name in rule.arguments:
            for segment in ("%FF", "%C0%AF", "%zz", "%E2%80%AE"):
                url = _ARGUMENT.sub(
                    lambda m, n=name, s=segment: s if m.group(3) == n else "1", rule.rule
                )
                status = status_of(client, url)
                if status >= 500:
                    failures.append((url, status))
    assert failures == [], "\n".join(map(str, failures))
