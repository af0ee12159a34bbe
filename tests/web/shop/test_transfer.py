"""Paying by bank transfer (VietQR) on the web: checkout offers it only when the collection
account is configured; the order page shows the QR (read back with the independent
`vietnam-qr-pay`), the account, amount and code to type by hand, the hold's end and the live
status; the QR images and the status JSON answer the order's owner only."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
import segno
from sqlalchemy import func, select
from vietnam_qr_pay import QRPay, VietQRService

from storefront.core import vietqr
from storefront.core.db import aware
from storefront.domain.cart import CartOwner
from storefront.domain.orders.lifecycle import expire_unpaid_orders
from storefront.extensions import db as _db
from storefront.models import Order, OrderStatus, Package, PaymentMethod, PaymentStatus, utcnow
from tests.core.test_vietqr import modules_of_png
from tests.fixtures import factories
from tests.fixtures.shop import (
    VIETQR_ACCOUNT,
    checkout_form,
    record_transfer,
    reload,
    transfer_order,
)

BIN, ACCOUNT = VIETQR_ACCOUNT["VIETQR_BANK_BIN"], VIETQR_ACCOUNT["VIETQR_ACCOUNT_NUMBER"]
HOLDER = VIETQR_ACCOUNT["VIETQR_ACCOUNT_NAME"]


def html(response) -> str:
    return response.get_data(as_text=True)


def vnd(amount: int) -> str:
    return f"{amount:,}".replace(",", ".") + "\u00a0₫"


def stock_of(package_id: int) -> int:
    return _db.session.scalar(select(Package.stock).where(Package.id == package_id))


def place_by_transfer(client, make, *, price=150_000, quantity=2, stock=5):
    package = make.listing(
        packages=[{"price": price, "stock": stock, "weight_grams": 1000}]
    ).packages[0]
    client.post("/cart/add", data={"package_id": package.id, "quantity": quantity})
    response = client.post("/checkout/", data=checkout_form(payment_method="transfer"))
    assert response.status_code == 303, html(response)
    number = response.headers["Location"].split("/")[2].split("?")[0]
    return number, package, response


def expected_payload(amount: int, code: str) -> str:
    """The VietQR string as the independent library builds it for our account."""
    theirs = QRPay.init_viet_qr(
        bank_bin=BIN,
        bank_number=ACCOUNT,
        amount=str(amount),
        purpose=code,
        service=VietQRService.BY_ACCOUNT_NUMBER,
    ).build()
    parsed = QRPay(theirs)
    assert parsed.is_valid
    assert (parsed.consumer.bank_bin, parsed.consumer.bank_number) == (BIN, ACCOUNT)
    assert (parsed.amount, parsed.additional_data.purpose) == (str(amount), code)
    return theirs


def assert_images_pay(client, number: str, amount: int, code: str) -> None:
    """Both images are the QR of exactly this transfer: the PNG's modules are those of the
    library's payload, the SVG is our renderer's drawing of that same payload."""
    payload = expected_payload(amount, code)
    png = client.get(f"/orders/{number}/vietqr.png")
    assert png.status_code == 200 and png.mimetype == "image/png"
    assert png.headers["Cache-Control"] == "private, no-store"
    symbol = segno.make(payload, error="m", micro=False)
    assert modules_of_png(png.data, scale=8, border=4) == [
        [bool(m) for m in row] for row in symbol.matrix
    ]
    svg = client.get(f"/orders/{number}/vietqr.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert svg.headers["Cache-Control"] == "private, no-store"
    title = ET.fromstring(svg.data).find("{http://www.w3.org/2000/svg}title").text
    assert number in title
    assert svg.data == vietqr.render_svg(payload, scale=4, title=title)


# --- checkout -------------------------------------------------------------------------------------


def test_checkout_offers_bank_transfer_only_when_the_account_is_configured(
    client, db, make, monkeypatch, app
):
    package = make.listing(packages=[{"stock": 3}]).packages[0]
    client.post("/cart/add", data={"package_id": package.id, "quantity": 1})
    page = html(client.get("/checkout/"))
    assert 'value="transfer"' not in page and "VietQR" not in page
    refused = client.post("/checkout/", data=checkout_form(payment_method="transfer"))
    assert refused.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Order)) == 0
    assert stock_of(package.id) == 3

    for key, value in VIETQR_ACCOUNT.items():
        monkeypatch.setitem(app.config, key, value)
    page = html(client.get("/checkout/"))
    assert 'value="transfer"' in page
    assert "Chuyển khoản ngân hàng (VietQR)" in page
    assert "Quét mã QR bằng ứng dụng ngân hàng bất kỳ" in page  # its one-line explanation
    # An account number that would make every QR unpayable: not offered.
    monkeypatch.setitem(app.config, "VIETQR_ACCOUNT_NUMBER", "0011-0012")
    assert 'value="transfer"' not in html(client.get("/checkout/"))


@pytest.mark.usefixtures("vietqr_on")
def test_a_guest_places_a_transfer_order_and_lands_on_how_to_pay(client, db, make, outbox):
    number, package, response = place_by_transfer(client, make, quantity=2, stock=5)
    assert response.headers["Location"] == f"/orders/{number}?placed=1"
    order = reload(db, number)
    assert order.status is OrderStatus.AWAITING_PAYMENT
    assert order.payment_method is PaymentMethod.TRANSFER
    [payment] = order.payments
    assert (payment.provider, payment.status, payment.amount, payment.amount_received) == (
        "vietqr",
        PaymentStatus.PENDING,
        order.total,
        0,
    )
    assert stock_of(package.id) == 3  # held
    code, total = order.payment_code, order.total

    page = html(client.get(response.headers["Location"]))
    assert "Đã nhận đơn hàng: mời bạn chuyển khoản" in page
    assert "Chúng tôi đã gửi hướng dẫn thanh toán tới lan@example.vn." in page
    assert f'src="/orders/{number}/vietqr.svg?due={total}"' in page
    assert f'href="/orders/{number}/vietqr.png?due={total}"' in page
    for text in (
        "Vietcombank",
        "Ngân hàng TMCP Ngoại Thương Việt Nam",
        ACCOUNT,
        HOLDER,
        vnd(total),
        code,
    ):
        assert text in page, text
    # Copy buttons carry the plain values (the amount in digits, as banking apps take it).
    for value in (ACCOUNT, str(total), code):
        assert f'data-copy-value="{value}"' in page
    # The live status and the script that polls it; the deadline printed for no JavaScript.
    assert re.search(r'role="status" aria-live="polite"[^>]*data-transfer-message', page)
    assert f'data-status-url="/orders/{number}/payment-status"' in page
    assert "/static/js/transfer.js" in page
    deadline = aware(payment.expires_at).isoformat(timespec="seconds")
    assert f'<time datetime="{deadline}">' in page
    # The next steps are a transfer's: scan, keep the code, held 30 minutes.
    assert "Giữ nguyên mã " + code + " trong nội dung chuyển khoản" in page
    assert "Sản phẩm được giữ cho bạn trong 30 phút" in page
    assert "Thanh toán bằng thẻ" not in page
    assert "style=" not in page and "<script>" not in page  # CSP: nothing inline
    # The e-mail carries the same instructions and the order's link.
    [mail] = outbox.to("lan@example.vn")
    body = mail.get_content()
    for text in ("Vietcombank", ACCOUNT, HOLDER, code, "/orders/link/"):
        assert text in body, text
    assert vnd(total).replace("\u00a0", " ") in body.replace("\u00a0", " ")


@pytest.mark.usefixtures("vietqr_on")
def test_the_qr_pays_the_full_amount_then_the_balance(client, db, make):
    number, _, _ = place_by_transfer(client, make, price=120_000, quantity=1)
    order = reload(db, number)
    code, total = order.payment_code, order.total
    assert_images_pay(client, number, total, code)

    record_transfer(number, 50_000)
    assert_images_pay(client, number, total - 50_000, code)  # same code, the balance
    page = html(client.get(f"/orders/{number}"))
    assert f"Đã nhận {vnd(50_000)}, còn thiếu {vnd(total - 50_000)}." in page
    assert f'data-copy-value="{total - 50_000}"' in page
    assert f"vietqr.svg?due={total - 50_000}" in page
    assert "Đã thanh toán một phần: còn thiếu" in page  # the payment chip

    record_transfer(number, total)
    paid = html(client.get(f"/orders/{number}"))
    assert "Đã thanh toán" in paid
    assert "vietqr.svg" not in paid and "transfer.js" not in paid
    assert client.get(f"/orders/{number}/vietqr.svg").status_code == 404
    assert client.get(f"/orders/{number}/vietqr.png").status_code == 404


@pytest.mark.usefixtures("vietqr_on")
def test_an_expired_or_cancelled_transfer_shows_no_qr(client, db, make, app):
    number, package, _ = place_by_transfer(client, make, quantity=1, stock=1)
    payment = reload(db, number).payments[-1]
    payment.expires_at = utcnow() - timedelta(seconds=1)  # the hold just ran out
    db.session.commit()
    page = html(client.get(f"/orders/{number}"))
    assert "Đã hết thời hạn thanh toán. Nếu bạn vừa chuyển khoản" in page
    assert "vietqr.svg" not in page
    assert client.get(f"/orders/{number}/vietqr.svg").status_code == 404

    grace = timedelta(minutes=app.config["UNPAID_ORDER_GRACE_MINUTES"] + 1)
    assert expire_unpaid_orders(now=utcnow() + grace) == [number]
    assert stock_of(package.id) == 1
    page = html(client.get(f"/orders/{number}"))
    assert "đơn hàng đã bị hủy. Vui lòng không chuyển tiền cho đơn này." in page
    assert "Không thanh toán kịp thời hạn" in page  # the payment chip
    assert "vietqr.svg" not in page and "vietqr.png" not in page


# --- the live status ----------------------------------------------------------------------------


def status_of(client, number: str) -> dict:
    response = client.get(f"/orders/{number}/payment-status")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.mimetype == "application/json"
    return json.loads(response.data)


@pytest.mark.usefixtures("vietqr_on")
def test_the_status_json_in_each_state(client, db, make, app):
    number, _, _ = place_by_transfer(client, make, price=100_000, quantity=1)
    total = reload(db, number).total
    data = status_of(client, number)
    assert data["state"] == "transfer_awaiting" and data["label"] == "Chờ chuyển khoản"
    assert (data["amount"], data["amount_received"], data["amount_due"]) == (total, 0, total)
    assert data["amount_due_text"] == vnd(total)
    assert data["payable"] and not data["final"] and 0 < data["seconds_left"] <= 30 * 60
    assert data["expires_at"] == aware(reload(db, number).payments[-1].expires_at).isoformat(
        timespec="seconds"
    )
    assert data["progress"] == "awaiting_payment"

    record_transfer(number, 30_000)
    data = status_of(client, number)
    assert data["state"] == "partly_paid"
    assert (data["amount_received"], data["amount_due"]) == (30_000, total - 30_000)
    assert data["message"].startswith(f"Đã nhận {vnd(30_000)}, còn thiếu {vnd(total - 30_000)}")
    assert data["payable"] and not data["final"]

    record_transfer(number, total)
    data = status_of(client, number)
    assert (data["state"], data["label"], data["amount_due"]) == ("paid", "Đã thanh toán", 0)
    assert data["final"] and not data["payable"] and data["progress"] == "placed"

    # Expired: first only by the clock (not final: a late transfer may still be matched),
    # then cancelled by the job (final).
    other, _, _ = place_by_transfer(client, make, quantity=1)
    payment = reload(db, other).payments[-1]
    payment.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    data = status_of(client, other)
    assert data["state"] == "transfer_expired" and data["seconds_left"] == 0
    assert not data["payable"] and not data["final"]
    expire_unpaid_orders(now=utcnow() + timedelta(hours=1))
    data = status_of(client, other)
    assert data["state"] == "transfer_expired" and data["final"]
    assert data["progress"] == "cancelled"

    # Cancelled by the buyer before paying.
    third, _, _ = place_by_transfer(client, make, quantity=1)
    page = html(client.get(f"/orders/{third}"))
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    client.post(f"/orders/{third}/cancel", data={"csrf_token": token.group(1) if token else ""})
    data = status_of(client, third)
    assert data["state"] == "not_paid" and data["final"] and not data["payable"]


def test_other_orders_have_no_transfer_status_or_qr(client, make):
    package = make.listing().packages[0]
    client.post("/cart/add", data={"package_id": package.id, "quantity": 1})
    number = client.post("/checkout/", data=checkout_form()).headers["Location"].split("/")[2]
    number = number.split("?")[0]
    assert client.get(f"/orders/{number}").status_code == 200  # the owner
    assert client.get(f"/orders/{number}/payment-status").status_code == 404
    assert client.get(f"/orders/{number}/vietqr.svg").status_code == 404


# --- who may see them ---------------------------------------------------------------------------


@pytest.mark.usefixtures("vietqr_on")
def test_only_the_owner_gets_the_qr_and_the_status(client, db, make, auth):
    guest_number, _, _ = place_by_transfer(client, make)
    customer, other = make.user(email="khach@example.vn"), make.user(email="khac@example.vn")
    mine, _ = transfer_order(make, owner=CartOwner(user_id=customer.id), email=customer.email)
    paths = ("vietqr.svg", "vietqr.png", "payment-status")

    for path in paths:
        assert client.get(f"/orders/{guest_number}/{path}").status_code == 200  # placed it

    stranger = client.application.test_client()
    for number in (guest_number, mine.number, "ZZZZZZZZZZ"):
        for path in paths:
            assert stranger.get(f"/orders/{number}/{path}").status_code == 404, (number, path)

    for account, expected in ((other, 404), (customer, 200)):
        browser = client.application.test_client()
        login = browser.post(
            "/account/login", data={"email": account.email, "password": factories.PASSWORD}
        )
        assert login.status_code in (302, 303)
        for path in paths:
            got = browser.get(f"/orders/{mine.number}/{path}").status_code
            assert got == expected, (account.email, path, got)
        # The guest's order is nobody's by account.
        assert browser.get(f"/orders/{guest_number}/payment-status").status_code == 404
