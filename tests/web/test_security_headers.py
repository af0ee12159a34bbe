"""Security headers on every response (issue 11, item 9): every GET route of the URL map as
anonymous, a customer, a seller and PFA staff, the error pages (400, 403, 404, 405, 429, 500),
redirects, static and media files, JSON and the Stripe webhook carry the Content-Security-Policy
and its companions; no page holds an inline script without the response's nonce, an inline
event handler, a `javascript:` URL or inline styles (all of which the policy would block)."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

from storefront import create_app
from storefront.extensions import limiter
from storefront.models import Role
from storefront.web.headers import NONCE_SLOT
from tests.fixtures import factories
from tests.fixtures.seller import seller
from tests.fixtures.shop import buy, event, send_webhook
from tests.web.test_hostile_input import ROLES, fill, get_rules

REQUIRED = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
CSP_MUST_HAVE = [
    "default-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "frame-ancestors 'none'",
    "style-src 'self'",
    "img-src 'self' data:",
    "form-action 'self' https://checkout.stripe.com https://pay.payos.vn",
]


def directives(response) -> dict[str, str]:
    policy = response.headers.get("Content-Security-Policy", "")
    return {
        part.strip().split(" ", 1)[0]: part.strip().partition(" ")[2]
        for part in policy.split(";")
        if part.strip()
    }


def nonce_of(response) -> str:
    sources = directives(response)["script-src"].split()
    assert sources[0] == "'self'" and len(sources) == 2, sources
    assert sources[1].startswith("'nonce-") and sources[1].endswith("'")
    return sources[1][len("'nonce-") : -1]


def header_problems(response) -> list[str]:
    problems = [
        f"{name}: {response.headers.get(name)!r}"
        for name, value in REQUIRED.items()
        if response.headers.get(name) != value
    ]
    policy = response.headers.get("Content-Security-Policy", "")
    problems += [f"CSP lacks {part}" for part in CSP_MUST_HAVE if part not in policy]
    permissions = response.headers.get("Permissions-Policy", "")
    problems += [
        f"Permissions-Policy lacks {feature}"
        for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()")
        if feature not in permissions
    ]
    if "Strict-Transport-Security" in response.headers:
        problems.append("HSTS outside production")
    return problems


class InlineCode(HTMLParser):
    """What a page holds that a script-src 'self' / style-src 'self' policy would block."""

    def __init__(self, nonce: str):
        super().__init__()
        self.nonce = nonce
        self.problems: list[str] = []
        self.inline_scripts = 0

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>")
            if name == "style":
                self.problems.append(f"<{tag} style=...>")
            if (value or "").strip().lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}={value!r}>")
        if tag == "style":
            self.problems.append("<style> element")
        if tag == "script" and "src" not in values:
            self.inline_scripts += 1
            if values.get("nonce") != self.nonce:
                self.problems.append(f"inline <script> without this response's nonce: {attrs}")


def page_problems(response) -> list[str]:
    problems = header_problems(response)
    if response.mimetype == "text/html" and "Content-Security-Policy" in response.headers:
        page = response.get_data(as_text=True)
        parser = InlineCode(nonce_of(response))
        parser.feed(page)
        problems += parser.problems
        if NONCE_SLOT in page:
            problems.append("a cached page's nonce slot left unfilled")
    return problems


@pytest.fixture
def world(make, db):
    owner, coop = seller()
    listing = factories.listing(coop=coop, slug="vai-thieu")
    customer = factories.user()
    order = buy((listing.packages[0], 1), email=customer.email)
    return {
        "users": {"customer": customer, "seller": owner, "pfa": factories.user(role=Role.PFA)},
        "listing": listing,
        "order": order,
        "certificate": listing.certificate,
    }


def extra_urls(world) -> list[str]:
    """Pages the "1"-filled walk cannot reach: slugs, order numbers, the label."""
    return [
        "/",
        "/products/vai-thieu",
        "/products/vai-thieu",  # the second time from the anonymous page cache
        "/search?q=v%E1%BA%A3i",
        f"/orders/{world['order'].number}",
        f"/seller/certificates/{world['certificate'].id}/label",
        f"/seller/certificates/{world['certificate'].id}/label?sheet=1",
        "/cart/",
        "/checkout/",
        "/static/css/app.css",
        "/static/js/app.js",
        "/static/img/logo.svg",
        "/communes?province=24",
    ]


@pytest.mark.parametrize("role", ROLES)
def test_every_get_route_carries_the_headers_and_no_inline_code(app, client, auth, world, role):
    if role != "anonymous":
        assert auth.login(world["users"][role]).status_code == 302
    # Something in the cart: the cart and checkout pages show their forms.
    client.post("/cart/add", data={"package_id": world["listing"].packages[0].id, "quantity": 1})
    failures: dict[str, list[str]] = {}
    pages = 0
    urls = [fill(rule, None, "") for rule in get_rules(app)] + extra_urls(world)
    for url in urls:
        response = client.get(url)
        pages += response.status_code == 200 and response.mimetype == "text/html"
        if problems := page_problems(response):
            failures[f"{url} {response.status_code}"] = problems
    assert failures == {}
    assert pages >= {"anonymous": 10, "customer": 15, "seller": 25, "pfa": 15}[role]


def test_the_product_page_json_ld_carries_each_responses_own_nonce(client, world):
    """The anonymous page cache serves the stored page with the new response's nonce."""
    nonces = []
    for _ in range(3):
        response = client.get("/products/vai-thieu")
        assert response.status_code == 200
        parser = InlineCode(nonce_of(response))
        parser.feed(response.get_data(as_text=True))
        assert parser.problems == [] and parser.inline_scripts == 1
        nonces.append(nonce_of(response))
    assert len(set(nonces)) == 3


def test_the_label_page_prints_from_a_static_script(client, auth, world):
    auth.login(world["users"]["seller"])
    page = client.get(f"/seller/certificates/{world['certificate'].id}/label").get_data(
        as_text=True
    )
    assert "data-print" in page and "/static/js/labels.js" in page
    assert "/static/css/labels.css" in page and "<style" not in page and "onclick" not in page


def test_error_pages_carry_the_headers(app, client, auth, world, stripe_fake):
    auth.login(world["users"]["customer"])
    answers = {
        400: client.get("/products", query_string={"q": "a\x00b"}),
        403: client.get("/pfa/"),
        404: client.get("/no/such/page"),
        405: client.get("/cart/add"),
        "json 404": client.get("/no/such", headers={"Accept": "application/json"}),
        "redirect": client.post("/account/logout"),
        "webhook": client.post(
            "/webhooks/stripe", data=b"{}", headers={"Content-Type": "application/json"}
        ),
        "signed webhook": send_webhook(client, event("checkout.session.completed", {})),
    }
    assert answers[400].status_code == 400
    assert answers[403].status_code in (403, 404)
    assert answers[404].status_code == 404
    assert answers[405].status_code == 405
    assert answers["redirect"].status_code == 302
    assert answers["webhook"].status_code == 400
    assert answers["signed webhook"].status_code < 500
    assert {key: page_problems(response) for key, response in answers.items()} == {
        key: [] for key in answers
    }


def test_a_server_error_page_carries_the_headers(app, client, monkeypatch):
    def broken():
        raise RuntimeError("boom")

    monkeypatch.setitem(app.view_functions, "catalog.origins", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    response = client.get("/origins")
    assert response.status_code == 500
    assert page_problems(response) == []


def test_media_files_carry_the_headers(app, client):
    folder = Path(app.config["UPLOAD_DIR"]) / "listings"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "abc123-card.webp").write_bytes(b"RIFF0000WEBPVP8 ")
    response = client.get("/media/listings/abc123-card.webp")
    assert response.status_code == 200
    assert header_problems(response) == []


def test_a_rate_limited_answer_carries_the_headers(app):
    limited = create_app(
        {
            "CONFIG": "testing",
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "SEARCH_INDEX_DIR": app.config["SEARCH_INDEX_DIR"],
            "UPLOAD_DIR": app.config["UPLOAD_DIR"],
            "MAIL_OUTBOX_DIR": app.config["MAIL_OUTBOX_DIR"],
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": "memory://",
            "LOGIN_LIMIT_PER_IP": "1 per minute",
        }
    )
    limiter.reset()
    try:
        with limited.app_context():
            client = limited.test_client()
            data = {"email": "nobody@example.vn", "password": "wrong password"}
            client.post("/account/login", data=data)
            response = client.post("/account/login", data=data)
            assert response.status_code == 429
            assert page_problems(response) == []
    finally:
        limiter.reset()
        limiter.enabled = False
        with limited.app_context():
            from storefront.extensions import db as _db

            _db.engine.dispose()


def test_hsts_only_where_configured(app, client):
    import config

    assert "Strict-Transport-Security" not in client.get("/").headers
    assert config.Config.HSTS_MAX_AGE == 0
    assert config.ProductionConfig.HSTS_MAX_AGE >= 180 * 24 * 3600
    app.config["HSTS_MAX_AGE"] = 31_536_000
    try:
        response = client.get("/")
    finally:
        app.config["HSTS_MAX_AGE"] = 0
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
