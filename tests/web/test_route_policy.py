"""The route policy table (storefront/web/policy.py, issue 11 item 10): every endpoint declares
who may call it, and every role is tried against every route and method.

The matrix: anonymous, customer 1 (who owns the order, the address and the cart line), customer
2, the owner of cooperative A (which owns the listing, photo, certificate, invitation, member
and shipment), the owner of cooperative B, PFA staff and an admin; every route of the URL map
with every method it answers (GET, and POST with a valid CSRF token and an empty form), its path
filled with the ids of customer 1's and cooperative A's objects. The answer must be what the
table predicts: allowed callers are not refused (no 401, 403, 404 or log-in redirect); refused
ones get the log-in page (anonymous), 403, 404 (wherever an object's existence must not leak)
or the seller welcome page, and a refused POST changes no row and no file.
"""

from __future__ import annotations

import io
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import url_for
from PIL import Image
from sqlalchemy import select

from storefront import create_app
from storefront.core.clock import today as shop_today
from storefront.core.db import unit_of_work
from storefront.core.files import Upload
from storefront.core.media import store_review_image
from storefront.core.sepay import parse_notification
from storefront.domain.accounts import (
    email_verification_token,
    password_reset_token,
    request_email_change,
    save_address,
)
from storefront.domain.cart import CartOwner, add_to_cart
from storefront.domain.catalog.listings import add_photos
from storefront.domain.certificates.submissions import CertificateInput, submit_certificate
from storefront.domain.cooperatives.members import invite_member
from storefront.domain.ledger import payouts, postings
from storefront.domain.ledger.postings import Posting
from storefront.domain.order_links import order_link_token
from storefront.domain.orders.placement import place_order
from storefront.domain.payments.transfer import receive_bank_notification, refund_transfer
from storefront.domain.reviews.links import review_link_token
from storefront.domain.reviews.writing import ReviewInput, save_review
from storefront.extensions import db
from storefront.models import (
    BankNotification,
    CartLine,
    CooperativeInvitation,
    LedgerAccount,
    LedgerKind,
    MemberRole,
    Payment,
    PaymentMethod,
    PhotoStatus,
    ReviewPhoto,
    Role,
    ShipmentStatus,
    utcnow,
)
from storefront.web import policy
from storefront.web.policy import POLICIES, Access, Policy, Refusal, policy_for
from tests.fixtures import factories
from tests.fixtures.app import KEEP_TABLES, OwnContextClient, app_state, empty_tables
from tests.fixtures.seller import LUC_NGAN_PROVINCE, files_under, member_of, png_bytes, seller
from tests.fixtures.shop import VIETQR_ACCOUNT, WEBHOOK_SECRET, buy, details
from tests.fixtures.transfer import SEPAY_KEY

DOCS = Path(__file__).resolve().parents[2] / "docs" / "security.md"
PDF = b"%PDF-1.4\n%%EOF\n"
CSRF = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|'
    r'name="csrf_token" value="([^"]+)"'
)


# --- the table covers the URL map ------------------------------------------------------------


def test_every_route_and_method_has_a_declared_policy(app):
    missing = policy.undeclared(app)
    assert missing == [], (
        "Routes without an access policy; add to POLICIES in storefront/web/policy.py:\n"
        + policy.missing_lines(missing)
    )


def test_the_table_names_no_route_that_does_not_exist(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    stale = sorted(set(POLICIES) - endpoints)
    assert stale == [], f"remove (or rename) these entries of POLICIES: {stale}"
    for endpoint, entry in POLICIES.items():
        if not isinstance(entry, Policy):
            methods = set().union(*(r.methods or set() for r in app.url_map.iter_rules(endpoint)))
            assert set(entry) <= methods, (endpoint, set(entry) - methods)


def _bare_app(tmp_path):
    folders = {
        key: str(tmp_path / key)
        for key in ("SEARCH_INDEX_DIR", "UPLOAD_DIR", "SCAN_DIR", "MAIL_OUTBOX_DIR")
    }
    return create_app({"CONFIG": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://", **folders})


def test_an_undeclared_route_stops_the_app_and_says_what_to_add(tmp_path, monkeypatch):
    dropped = {"seller.shipment_step", "pfa.audit"}
    monkeypatch.setattr(policy, "POLICIES", {k: v for k, v in POLICIES.items() if k not in dropped})
    with pytest.raises(policy.UndeclaredRoutes) as refused:
        _bare_app(tmp_path / "a")
    message = str(refused.value)
    assert "storefront/web/policy.py" in message
    assert '    "pfa.audit": Policy(Access.PFA),  # GET /pfa/audit' in message
    assert (
        '    "seller.shipment_step": Policy(Access.MEMBER, hide=True),'
        "  # POST /seller/shipments/<int:shipment_id>/<step>"
    ) in message


def test_a_route_added_without_a_policy_answers_404_to_everyone(tmp_path):
    """A route added after the start-up check (none should be) is still never public."""
    app = _bare_app(tmp_path)
    app.add_url_rule("/undeclared", "undeclared", lambda: "secret")
    assert policy.undeclared(app) == [("undeclared", "GET", "/undeclared")]
    response = app.test_client().get("/undeclared")
    assert response.status_code == 404 and b"secret" not in response.data


def test_a_per_method_entry_needs_every_method(tmp_path, monkeypatch):
    only_get = {"seller.invitation": {"GET": Policy(Access.LINK)}}
    monkeypatch.setattr(policy, "POLICIES", {**POLICIES, **only_get})
    with pytest.raises(policy.UndeclaredRoutes, match=r'"seller.invitation": .*# POST '):
        _bare_app(tmp_path)


def test_docs_list_the_policies_as_the_table_says():
    text = DOCS.read_text(encoding="utf-8")
    start, end = "<!-- route-policies:start -->\n", "<!-- route-policies:end -->"
    assert start in text and end in text
    written = text.split(start, 1)[1].split(end, 1)[0]
    expected = policy.describe_table()
    assert written == expected, (
        "docs/security.md's route policy listing differs from storefront/web/policy.py; "
        "put this between the markers:\n" + expected
    )


# --- the world: one of everything, for customer 1 and cooperative A ---------------------------


@dataclass(frozen=True)
class Caller:
    name: str
    logged_in: bool = False
    owner: bool = False  # customer 1: the order, the address and the cart line are theirs
    member: bool = False  # a member of some cooperative
    member_of_a: bool = False  # cooperative A: the listing, certificate, shipment... are its
    staff: bool = False
    admin: bool = False


CALLERS = [
    Caller("anonymous"),
    Caller("customer", logged_in=True, owner=True),
    Caller("customer_2", logged_in=True),
    Caller("member_a", logged_in=True, member=True, member_of_a=True),
    Caller("member_b", logged_in=True, member=True),
    Caller("pfa", logged_in=True, staff=True),
    Caller("admin", logged_in=True, staff=True, admin=True),
]


def build_world(app) -> dict:
    ids: dict = {}
    customer, customer_2 = factories.user(name="Khách Một"), factories.user(name="Khách Hai")
    owner_a, coop_a = seller(legal_name="HTX A")
    owner_b, coop_b = seller(legal_name="HTX B")
    listing_a = factories.listing(coop=coop_a, name="Sản phẩm A")
    listing_b = factories.listing(coop=coop_b, name="Sản phẩm B")
    [photo] = add_photos(
        listing_a.id, coop_a.id, owner_a, [Upload("p.png", io.BytesIO(png_bytes()))]
    )
    # A new logo of A's that its job could not make: the owner may remove it.
    coop_a.pending_logo, coop_a.pending_logo_status = "f0" * 12, PhotoStatus.FAILED
    db.session.commit()
    scanned = submit_certificate(
        coop_a.id,
        owner_a,
        CertificateInput(
            number="A-1/QĐ-UBND",
            stars=4,
            product_name="Sản phẩm A",
            issuing_authority="UBND tỉnh Bắc Giang",
            issued_on=shop_today(),
        ),
        Upload("scan.pdf", io.BytesIO(PDF)),
    )
    staff_a = member_of(coop_a, MemberRole.STAFF)
    tokens: list[str] = []
    invite_member(
        coop_a.id,
        owner_a,
        "moi.a@example.vn",
        MemberRole.STAFF,
        accept_url=lambda token: tokens.append(token) or token,
    )
    newcomer = factories.user(name="Khách Mới", verified=False)
    change_tokens: list[str] = []
    request_email_change(
        customer,
        factories.PASSWORD,
        "khach.moi@example.vn",
        confirm_url=lambda token: change_tokens.append(token) or token,
    )
    address = save_address(
        customer.id,
        recipient="Khách Một",
        phone="0912345678",
        street="1 Lê Lợi",
        commune_code=factories.LUC_NGAN_COMMUNE,
        is_default=True,
    )
    mine = CartOwner(user_id=customer.id)
    add_to_cart(mine, listing_a.packages[0].id, 1)
    add_to_cart(mine, listing_b.packages[0].id, 1)
    order = place_order(mine, details(email=customer.email))  # a part for A and one for B
    # Customer 1's bank transfer order awaiting payment: its QR and live status answer.
    add_to_cart(mine, listing_a.packages[0].id, 1)
    transfer_order = place_order(
        mine,
        details(email=customer.email, payment_method=PaymentMethod.TRANSFER),
        transfer_enabled=True,
    )
    add_to_cart(mine, listing_a.packages[0].id, 1)
    line = db.session.scalar(select(CartLine))
    card_order = buy((listing_a.packages[0], 1), payment_method=PaymentMethod.CARD)
    payment = db.session.scalar(select(Payment).where(Payment.order_id == card_order.id))
    payment.provider_session_id = "cs_test_route_policy"
    db.session.commit()
    admin = factories.user(role=Role.ADMIN)
    held, refunded = (
        parse_notification(
            {
                "id": i,
                "gateway": "Vietcombank",
                "transactionDate": "2026-12-03 14:02:37",
                "accountNumber": "0123456789",
                "content": f"chuyen tien {i}",
                "transferType": "in",
                "transferAmount": 5000,
                "referenceCode": f"FT{i}",
            }
        )
        for i in (1, 2)
    )
    receive_bank_notification("{}", held)
    receive_bank_notification("{}", refunded)
    [held_id, refunded_id] = db.session.scalars(
        select(BankNotification.id).order_by(BankNotification.id)
    )
    refund = refund_transfer(refunded_id, "chuyển nhầm", actor=admin)
    [photo_file] = sorted(files_under(Path(app.config["UPLOAD_DIR"]) / "listings"))[:1]
    admin = factories.user(role=Role.ADMIN)
    batch = _payout_batch_for(coop_a, owner_a, admin)
    review_line, review = _delivered_and_reviewed(order, coop_a, customer)
    ids.update(
        users={
            "customer": customer.email,
            "customer_2": customer_2.email,
            "member_a": owner_a.email,
            "member_b": owner_b.email,
            "pfa": factories.user(role=Role.PFA).email,
            "admin": admin.email,
        },
        address_id=address.id,
        line_id=line.id,
        order_number=order.number,
        transfer_order_number=transfer_order.number,
        product_slug=listing_a.slug,
        coop_slug=coop_a.slug,
        media=f"listings/{photo_file}",
        reset_token=password_reset_token(customer),
        invitation_token=tokens[0],
        verification_token=email_verification_token(newcomer),
        email_change_token=change_tokens[0],
        listing_id=listing_a.id,
        photo_id=photo.id,
        logo_stem="f0" * 12,
        certificate_id=scanned.id,
        verified_certificate_id=listing_a.certificate_id,
        verified_number=listing_a.certificate.number,
        user_id=staff_a.id,
        invitation_id=_invitation_id(coop_a.id),
        shipment_id=next(s.id for s in order.shipments if s.cooperative_id == coop_a.id),
        cooperative_id=coop_a.id,
        session_id="cs_test_route_policy",
        card_order=(card_order.number, card_order.phone),
        order_link_token=order_link_token(card_order),  # a guest's order: its signed link
        notification_id=held_id,  # a bank transfer held for staff
        refund_id=refund.id,  # an open refund task
        batch_id=batch.id,
        payout_id=batch.payouts[0].id,
        order_line_id=review_line.id,  # customer 1's delivered line of A, reviewed
        review_link_token=review_link_token(review_line),
        review_id=review.id,
        review_photo_id=review.photos[0].id,
    )
    db.session.remove()
    return ids


def _payout_batch_for(coop, owner, admin):
    """Cooperative A owed 500.000 ₫ (a correcting ledger entry), its payout account verified,
    and a payout batch made for it (pending: nothing paid)."""
    with unit_of_work(writer=True):
        postings.post_transaction(
            LedgerKind.CORRECTION,
            "route-policy:owed",
            [
                Posting(LedgerAccount.BANK, 500_000),
                Posting(LedgerAccount.COOPERATIVE_PAYABLE, -500_000, coop.id),
            ],
            cooperative_id=coop.id,
        )
    payouts.set_payout_account(
        coop.id, actor=owner, bank_bin="970436", account_number="0011002345678", holder_name="HTX A"
    )
    payouts.verify_payout_account(coop.id, actor=admin)
    return payouts.create_payout_batch(actor=admin, threshold=0)


def _delivered_and_reviewed(order, coop, customer):
    """A's part of customer 1's order delivered, and customer 1's review of its line."""
    shipment = next(s for s in order.shipments if s.cooperative_id == coop.id)
    shipment.status = ShipmentStatus.DELIVERED
    shipment.delivered_at = utcnow()
    db.session.commit()
    line = shipment.lines[0]
    review = save_review(line.id, customer, ReviewInput(rating=4, body="Ngon"))
    stored = store_review_image(Image.new("RGB", (400, 300), (90, 120, 60)))
    db.session.add(ReviewPhoto(review_id=review.id, filename=stored.stem))
    db.session.commit()
    return line, review


def _invitation_id(cooperative_id: int) -> int:
    return db.session.scalar(
        select(CooperativeInvitation.id).where(
            CooperativeInvitation.cooperative_id == cooperative_id
        )
    )


def path_values(endpoint: str, arguments, ids: dict) -> dict:
    """Real ids of customer 1's and cooperative A's objects for the rule's arguments."""
    by_endpoint = {
        "static": {"filename": "css/app.css"},
        "main.media": {"filename": ids["media"]},
        "catalog.product": {"slug": ids["product_slug"]},
        "catalog.cooperative": {"slug": ids["coop_slug"]},
        "accounts.reset_password": {"token": ids["reset_token"]},
        "seller.invitation": {"token": ids["invitation_token"]},
        "accounts.verify_email": {"token": ids["verification_token"]},
        "accounts.confirm_email": {"token": ids["email_change_token"]},
        "orders.link": {"token": ids["order_link_token"]},
        "reviews.guest": {"token": ids["review_link_token"]},
        "pfa.review_photo": {"photo_id": ids["review_photo_id"], "size": "thumb"},
        "seller.discard_logo": {"stem": ids["logo_stem"]},
        "seller.certificate_label": {"certificate_id": ids["verified_certificate_id"]},
        "seller.shipment_step": {"step": "pack"},
        "pfa.decide_cooperative": {"action": "suspend"},
        **{
            endpoint: {"number": ids["transfer_order_number"]}
            for endpoint in ("orders.vietqr_svg", "orders.vietqr_png", "orders.payment_status")
        },
    }
    if endpoint.startswith("verify."):
        by_endpoint[endpoint] = {"number": ids["verified_number"]}
    common = {"number": ids["order_number"]}
    values = {}
    for name in arguments:
        value = by_endpoint.get(endpoint, {}).get(name, common.get(name, ids.get(name)))
        assert value is not None, (
            f"no value for <{name}> of {endpoint}: give one (an object of customer 1 or"
            f" cooperative A) in build_world's ids or path_values' by_endpoint"
        )
        values[name] = value
    return values


QUERIES = {
    "checkout.stripe_return": {"session_id": "cs_test_route_policy"},
    "seller.former": {"commune": "7582"},
    "main.communes": {"province": str(LUC_NGAN_PROVINCE)},
    "catalog.suggest": {"q": "vai thieu"},
}


def form_for(endpoint: str, ids: dict) -> dict:
    """The minimal form a route needs to answer at all (most get an empty one)."""
    if endpoint == "orders.lookup":  # a guest's own order (not customer 1's): found
        number, phone = ids["card_order"]
        return {"number": number, "phone": phone}
    return {}


@dataclass(frozen=True)
class Case:
    endpoint: str
    method: str
    url: str
    policy: Policy


def cases(app, ids) -> list[Case]:
    found = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        values = path_values(rule.endpoint, rule.arguments, ids)
        with app.test_request_context():
            url = url_for(rule.endpoint, **values, **QUERIES.get(rule.endpoint, {}))
        for method in sorted((rule.methods or set()) - policy.IGNORED_METHODS):
            found.append(Case(rule.endpoint, method, url, policy_for(rule.endpoint, method)))
    return found


# --- what the table predicts, and what came back ----------------------------------------------

ALLOWED, LOGIN = "allowed", "log-in page"


def expected(case: Case, caller: Caller) -> str:
    p, access = case.policy, case.policy.access
    if access in (Access.ANYONE, Access.ASSET, Access.WEBHOOK, Access.LINK):
        return ALLOWED
    if access is Access.OWNER:
        return ALLOWED if caller.owner else p.answer.value
    if not caller.logged_in:
        return LOGIN
    role_ok = {
        Access.CUSTOMER: True,
        Access.APPLICANT: not caller.staff,
        Access.MEMBER: caller.member,
        Access.PFA: caller.staff,
        Access.ADMIN: caller.admin,
    }[access]
    owns = {Access.CUSTOMER: caller.owner, Access.MEMBER: caller.member_of_a}.get(access, True)
    if role_ok and (owns or not p.hide):
        return ALLOWED
    answer = p.answer if role_ok is False else Refusal.NOT_FOUND
    if answer is Refusal.WELCOME and case.method != "GET":
        answer = Refusal.NOT_FOUND
    return answer.value


def outcome(response) -> str:
    """The answer, in the table's words."""
    status = response.status_code
    location = urlsplit(response.headers.get("Location", "")).path
    if status in (301, 302, 303, 307, 308):
        if location == "/account/login":
            return LOGIN
        if location == "/seller/":
            return Refusal.WELCOME.value
        if location == "/cart/":
            return Refusal.CART.value
    if status == 403:
        return Refusal.FORBIDDEN.value
    if status == 404:
        return Refusal.NOT_FOUND.value
    return f"{status} {location}".strip()


def agrees(expect: str, got: str, status: int) -> bool:
    if expect == ALLOWED:
        return got not in (LOGIN, Refusal.FORBIDDEN.value, Refusal.NOT_FOUND.value) and (
            status not in (401,) and status < 500
        )
    if expect == Refusal.WELCOME.value:
        return got == expect
    if expect == Refusal.CART.value:
        return got == expect
    return got == expect


def snapshot(app) -> tuple:
    """Every row of every table but the reference data, and every stored file."""
    with db.engine.connect() as conn:
        rows = {
            table.name: sorted((tuple(row) for row in conn.execute(table.select())), key=repr)
            for table in db.metadata.sorted_tables
            if table.name not in KEEP_TABLES
        }
    files = files_under(Path(app.config["UPLOAD_DIR"])) | {
        f"scans/{name}" for name in files_under(Path(app.config["SCAN_DIR"]))
    }
    return rows, files


# --- the matrix --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def app(_app, tmp_path_factory):
    """One app state for the module, with CSRF on and card and payOS payments configured (the
    webhooks answer rather than reporting themselves switched off)."""
    with app_state(_app, tmp_path_factory.mktemp("route_policy")) as app:
        saved = {
            k: app.config.get(k)
            for k in (
                "WTF_CSRF_ENABLED",
                "STRIPE_SECRET_KEY",
                "STRIPE_WEBHOOK_SECRET",
                "SEPAY_WEBHOOK_API_KEY",
                *VIETQR_ACCOUNT,
                "PAYOS_CLIENT_ID",
                "PAYOS_API_KEY",
                "PAYOS_CHECKSUM_KEY",
            )
        }
        app.config.update(
            WTF_CSRF_ENABLED=True,
            STRIPE_SECRET_KEY="sk_test_route_policy",
            STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
            SEPAY_WEBHOOK_API_KEY=SEPAY_KEY,
            **VIETQR_ACCOUNT,
            PAYOS_CLIENT_ID="route-policy",
            PAYOS_API_KEY="route-policy",
            PAYOS_CHECKSUM_KEY="route-policy",
        )
        try:
            yield app
        finally:
            app.config.update(saved)


class World:
    """The seeded objects and one logged-in client per caller, rebuilt after a request that
    changed anything."""

    def __init__(self, app):
        self.app = app
        self.ids: dict = {}
        self.clients: dict = {}
        self.state = None
        self.requests = 0
        self.rebuilds = 0

    def build(self) -> None:
        empty_tables()
        shutil.rmtree(self.app.config["UPLOAD_DIR"], ignore_errors=True)
        shutil.rmtree(self.app.config["SCAN_DIR"], ignore_errors=True)
        self.ids = build_world(self.app)
        self.clients = {}
        self.state = snapshot(self.app)

    def client(self, caller: Caller):
        if caller.name not in self.clients:
            self.app.test_client_class = OwnContextClient
            client = self.app.test_client()
            if caller.logged_in:
                token = self._token(client, "/account/login")
                response = client.post(
                    "/account/login",
                    data={
                        "email": self.ids["users"][caller.name],
                        "password": factories.PASSWORD,
                        "csrf_token": token,
                    },
                )
                assert response.status_code == 302, caller
            self.clients[caller.name] = (client, self._token(client, "/account/reset"))
        return self.clients[caller.name]

    @staticmethod
    def _token(client, path: str) -> str:
        page = client.get(path).get_data(as_text=True)
        match = CSRF.search(page)
        assert match, f"no CSRF token on {path}"
        return match.group(1) or match.group(2)

    def send(self, caller: Caller, case: Case):
        client, token = self.client(caller)
        self.requests += 1
        if case.method == "GET":
            return client.get(case.url)
        data = {"csrf_token": token, **form_for(case.endpoint, self.ids)}
        # The bank-notification webhook's key, so that the body (not the key) is what it judges.
        sepay = case.endpoint == "payments.sepay_webhook"
        headers = {"Authorization": f"Apikey {SEPAY_KEY}"} if sepay else {}
        return client.open(case.url, method=case.method, data=data, headers=headers)

    def settle(self) -> None:
        """After a request that was allowed: if it changed anything, start afresh."""
        db.session.remove()
        if snapshot(self.app) != self.state:
            self.rebuilds += 1
            self.build()


@pytest.fixture(scope="module")
def world(app):
    world = World(app)
    world.build()
    return world


@pytest.mark.parametrize("caller", CALLERS, ids=lambda c: c.name)
def test_every_role_against_every_route(app, world, caller):
    failures, tried, refused_posts = [], 0, 0
    for case in cases(app, world.ids):
        if case.endpoint == "accounts.logout":
            continue  # tried last: it ends the caller's session
        case = Case(case.endpoint, case.method, _url(app, world, case), case.policy)
        tried += _try(app, world, caller, case, failures)
        refused_posts += case.method != "GET" and expected(case, caller) != ALLOWED
    [logout] = [c for c in cases(app, world.ids) if c.endpoint == "accounts.logout"]
    tried += _try(app, world, caller, logout, failures)
    print(
        f"{caller.name}: {tried} requests, {refused_posts} refused POSTs, "
        f"{world.rebuilds} rebuilds so far"
    )
    assert tried > 80
    assert failures == [], "\n".join(failures)


def _url(app, world, case: Case) -> str:
    """The case's URL with the current world's ids (a rebuild may renumber them)."""
    [rule] = [r for r in app.url_map.iter_rules(case.endpoint)][:1]
    values = path_values(case.endpoint, rule.arguments, world.ids)
    with app.test_request_context():
        return url_for(case.endpoint, **values, **QUERIES.get(case.endpoint, {}))


def _try(app, world, caller: Caller, case: Case, failures: list) -> int:
    expect = expected(case, caller)
    writes = case.method != "GET"
    before = world.state
    response = world.send(caller, case)
    got = outcome(response)
    label = f"{caller.name} {case.method} {case.url} ({case.endpoint}, {case.policy.describe()})"
    if not agrees(expect, got, response.status_code):
        failures.append(f"{label}: expected {expect}, got {got}")
    if writes and expect != ALLOWED:
        db.session.remove()
        if snapshot(app) != before:
            failures.append(f"{label}: refused, yet something changed")
            world.build()
    elif writes:
        world.settle()
    return 1
