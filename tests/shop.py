"""Helpers for cart, checkout, payment and order tests: checkout details, a filled cart, a
fake Stripe at the stripe-python HTTP-client boundary, and Stripe-signed webhooks."""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import stripe
from sqlalchemy import select

from storefront.domain.cart import CartOwner, add_to_cart
from storefront.domain.orders.placement import CheckoutDetails, place_order
from storefront.extensions import db
from storefront.models import AdminUnit, Era, Level, PaymentMethod
from tests import factories

WEBHOOK_SECRET = "whsec_test_ocop_market"
_tokens = itertools.count(1)


def guest() -> CartOwner:
    return CartOwner(token=f"guest-token-{next(_tokens)}")


def other_province_commune() -> AdminUnit:
    """A current commune outside the factories' cooperatives' province (Bắc Ninh)."""
    home = factories.commune()
    return db.session.scalar(
        select(AdminUnit)
        .where(
            AdminUnit.era == Era.CURRENT,
            AdminUnit.level == Level.COMMUNE,
            AdminUnit.province_id != home.province_id,
        )
        .order_by(AdminUnit.code)
        .limit(1)
    )


def details(**overrides: Any) -> CheckoutDetails:
    values = {
        "email": "lan@example.vn",
        "phone": "0912 345 678",
        "recipient": "Nguyễn Thị Lan",
        "street": "12 Trần Phú",
        "commune_id": factories.commune().id,
        "payment_method": PaymentMethod.COD,
        "locale": "vi",
    }
    values.update(overrides)
    return CheckoutDetails(**values)


def fill(owner: CartOwner, *items: tuple[Any, int]) -> CartOwner:
    """Put (package, quantity) pairs into the owner's cart."""
    for package, quantity in items:
        add_to_cart(owner, package.id if hasattr(package, "id") else package, quantity)
    return owner


def buy(*items: tuple[Any, int], **detail_overrides: Any):
    """A guest's cart with these items, placed as an order."""
    owner = fill(guest(), *items)
    card = detail_overrides.get("payment_method") is PaymentMethod.CARD
    return place_order(owner, details(**detail_overrides), card_enabled=card)


# --- e-mail -----------------------------------------------------------------------------------


class Outbox:
    """The messages written to the outbox folder since the fixture started."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        for old in self.folder.glob("*.eml"):
            old.unlink()

    @property
    def messages(self):
        parser = BytesParser(policy=policy.default)
        return [parser.parsebytes(p.read_bytes()) for p in sorted(self.folder.glob("*.eml"))]

    def to(self, address: str):
        return [m for m in self.messages if m["To"] == address]


@pytest.fixture
def outbox(app):
    return Outbox(Path(app.config["MAIL_OUTBOX_DIR"]))


# --- Stripe, faked only where a request would leave the machine --------------------------------


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    params: dict[str, str]


class FakeStripe(stripe.HTTPClient):
    """A stripe-python HTTP client that records each request and answers like Stripe's API
    would, with canned JSON: Checkout Sessions (with idempotent replay), refunds."""

    name = "fake-stripe"

    def __init__(self):
        super().__init__()
        self.requests: list[Recorded] = []
        self.sessions: dict[str, dict] = {}
        self.refunds: list[dict] = []
        self.replays: dict[str, tuple[str, int, dict]] = {}
        self.fail_next: list[tuple[int, dict]] = []
        self._ids = itertools.count(1)

    # stripe.HTTPClient interface
    def request(self, method, url, headers, post_data=None, *, _usage=None):
        parts = urlsplit(url)
        params = dict(parse_qsl(post_data or parts.query or "", keep_blank_values=True))
        headers = dict(headers or {})
        self.requests.append(Recorded(method.upper(), parts.path, headers, params))
        key = headers.get("Idempotency-Key")
        if key and key in self.replays:
            return self.replays[key]
        if self.fail_next:
            status, body = self.fail_next.pop(0)
            return json.dumps(body), status, {"Request-Id": "req_fail"}
        body = self._answer(method.upper(), parts.path, params)
        response = (json.dumps(body), 200, {"Request-Id": f"req_{next(self._ids)}"})
        if key and method.upper() == "POST":
            self.replays[key] = response
        return response

    def request_stream(self, method, url, headers, post_data=None, *, _usage=None):
        raise NotImplementedError

    def close(self):
        pass

    # the API, as far as the shop uses it
    def _answer(self, method: str, path: str, params: dict[str, str]) -> dict:
        if method == "POST" and path == "/v1/checkout/sessions":
            return self._create_session(params)
        if path.startswith("/v1/checkout/sessions/"):
            session_id = path.split("/")[4]
            session = self.sessions[session_id]
            if method == "POST" and path.endswith("/expire"):
                session.update(status="expired", url=None)
            return session
        if method == "POST" and path == "/v1/refunds":
            refund = {
                "id": f"re_test_{next(self._ids)}",
                "object": "refund",
                "status": "succeeded",
                "payment_intent": params.get("payment_intent"),
                "currency": "vnd",
            }
            self.refunds.append(refund)
            return refund
        if method == "GET" and path == "/v1/refunds":
            data = [r for r in self.refunds if r["payment_intent"] == params.get("payment_intent")]
            return {"object": "list", "data": data, "has_more": False, "url": "/v1/refunds"}
        raise AssertionError(f"unexpected Stripe call {method} {path}")

    def _create_session(self, params: dict[str, str]) -> dict:
        total, i = 0, 0
        while f"line_items[{i}][quantity]" in params:
            total += int(params[f"line_items[{i}][quantity]"]) * int(
                params[f"line_items[{i}][price_data][unit_amount]"]
            )
            i += 1
        session_id = f"cs_test_{next(self._ids)}"
        session = {
            "id": session_id,
            "object": "checkout.session",
            "url": f"https://checkout.stripe.test/c/pay/{session_id}",
            "status": "open",
            "payment_status": "unpaid",
            "amount_total": total,
            "currency": params.get("line_items[0][price_data][currency]"),
            "client_reference_id": params.get("client_reference_id"),
            "metadata": {
                "order_number": params.get("metadata[order_number]"),
                "payment_id": params.get("metadata[payment_id]"),
            },
            "expires_at": int(params.get("expires_at", 0)),
            "payment_intent": None,
        }
        self.sessions[session_id] = session
        return session

    # what Stripe would do when the buyer pays
    def pay(self, session_id: str) -> dict:
        session = self.sessions[session_id]
        session.update(
            status="complete", payment_status="paid", payment_intent=f"pi_{session_id}", url=None
        )
        return dict(session)

    def calls(self, method: str, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path == path]


@pytest.fixture
def stripe_fake(app, monkeypatch):
    """Stripe keys set, and every Stripe request answered by FakeStripe (no network)."""
    fake = FakeStripe()
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", "sk_test_fake")
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
    monkeypatch.setitem(app.config, "STRIPE_HTTP_CLIENT", fake)
    return fake


def event(kind: str, session: dict, *, event_id: str | None = None) -> dict:
    return {
        "id": event_id or f"evt_{next(_tokens)}",
        "object": "event",
        "api_version": "2025-01-01",
        "created": int(time.time()),
        "type": kind,
        "data": {"object": dict(session)},
    }


def send_webhook(
    client,
    payload: dict | str,
    *,
    secret: str = WEBHOOK_SECRET,
    timestamp: int | None = None,
    body: str | None = None,
):
    """POST an event signed the way Stripe signs it (v1 = HMAC-SHA256 of "t.payload")."""
    text = payload if isinstance(payload, str) else json.dumps(payload)
    header = stripe.WebhookSignature.generate_signature_header(text, secret, timestamp)
    return client.post(
        "/webhooks/stripe",
        data=(body if body is not None else text).encode(),
        headers={"Stripe-Signature": header, "Content-Type": "application/json"},
    )
