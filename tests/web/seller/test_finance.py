"""A cooperative's finance pages (/seller/finance): the balance the market owes it and what it
is made of, its entries with the running balance, the monthly statement as CSV and as a
printable page, and the payout bank account. Every figure comes from real orders taken
through the real fulfilment flow, which posts them to the settlement ledger."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from storefront.domain.ledger import payouts
from storefront.domain.orders.fulfilment import advance_shipment
from storefront.models import AuditEvent, MemberRole, PayoutAccount, Role
from tests.domain.ledger.helpers import card_paid_order, reload_order, seller_with_package
from tests.fixtures.seller import member_of
from tests.fixtures.shop import buy

VN = ZoneInfo("Asia/Ho_Chi_Minh")
COMMISSION_BPS = 500  # the default LEDGER_COMMISSION_RATE_BPS


def vnd(amount: int) -> str:
    """150000 → "150.000 ₫", as the Vietnamese pages write it."""
    return f"{amount:,}".replace(",", ".") + "\u00a0₫"


def deliver(shipment_id: int, owner_id: int, when: datetime | None = None) -> None:
    """Ship and deliver through the real fulfilment steps (a paid-ahead sale is recognised)."""
    advance_shipment(
        shipment_id, "ship", user_id=owner_id, carrier="GHN", tracking_number="1", now=when
    )
    advance_shipment(shipment_id, "deliver", user_id=owner_id, now=when)


def delivered_card_sale(stripe_fake, owner, package, quantity: int, when: datetime | None = None):
    """A card order paid at (fake) Stripe and delivered: (order number, shipment)."""
    number = card_paid_order(stripe_fake, (package, quantity))
    [shipment] = reload_order(number).shipments
    deliver(shipment.id, owner.id, when)
    return number, reload_order(number).shipments[0]


def net_of(shipment) -> int:
    commission = shipment.subtotal * COMMISSION_BPS // 10_000
    return shipment.subtotal + shipment.shipping_fee - commission


def page_of(client, url: str = "/seller/finance") -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


# --- the balance and the entries ------------------------------------------------------------


def test_the_balance_and_each_entry_with_its_running_balance(client, auth, make, stripe_fake):
    owner, coop, package = seller_with_package(make, price=150_000)
    number, shipment = delivered_card_sale(stripe_fake, owner, package, 2)
    assert shipment.subtotal == 300_000 and shipment.shipping_fee > 0
    fee, commission = shipment.shipping_fee, 15_000  # 5 % of the goods, none of the shipping
    auth.login(owner)

    page = page_of(client)

    balance = 300_000 + fee - commission
    assert "Sàn còn nợ hợp tác xã của bạn" in page
    assert f'<p class="finance-balance__amount">{vnd(balance)}</p>' in page
    # What it is made of: sales (goods and shipping) less the commission.
    assert vnd(300_000 + fee) in page and f"−{vnd(commission)}" in page
    # One row per part, newest first, each with the balance after it: commission last.
    rows = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0].split("<tr>")[1:]
    assert len(rows) == 3
    commission_row, shipping_row, sale_row = rows
    assert "Hoa hồng" in commission_row and f"−{vnd(commission)}" in commission_row
    assert vnd(balance) in commission_row
    assert "Phí vận chuyển" in shipping_row and f"+{vnd(fee)}" in shipping_row
    assert vnd(300_000 + fee) in shipping_row
    assert "Bán hàng" in sale_row and f"+{vnd(300_000)}" in sale_row and vnd(300_000) in sale_row
    # The order number opens the cooperative's part of that order.
    assert f'href="/seller/shipments/{shipment.id}">{number}</a>' in sale_row
    assert 'href="/seller/finance" aria-current="page"' in page  # in the workspace menu


def test_cash_on_delivery_kept_is_owed_back_as_commission(client, auth, make):
    owner, coop, package = seller_with_package(make, price=100_000)
    order = buy((package, 1))
    [shipment] = order.shipments
    advance_shipment(shipment.id, "ship", user_id=owner.id, carrier="GHN", tracking_number="1")
    advance_shipment(shipment.id, "collect_cash", user_id=owner.id)
    auth.login(owner)

    page = page_of(client)

    gross = 100_000 + shipment.shipping_fee
    assert "Hợp tác xã của bạn đang nợ sàn" in page
    assert f'<p class="finance-balance__amount">{vnd(5_000)}</p>' in page
    assert "Bán hàng (COD)" in page
    assert "Tiền mặt thu hộ đã giữ" in page and f"−{vnd(gross)}" in page


def test_nothing_delivered_yet_says_when_sales_are_entered(client, auth, make):
    owner, coop, package = seller_with_package(make)
    buy((package, 1))  # placed, not delivered: nothing is owed yet
    auth.login(owner)
    page = page_of(client)
    assert f'<p class="finance-balance__amount">{vnd(0)}</p>' in page
    assert "Chưa có bút toán nào" in page
    assert "Chưa có tài khoản nhận tiền" in page  # and where to add one (an owner)
    assert 'href="/seller/finance/account"' in page


def test_entries_are_paginated_newest_first(client, auth, make, stripe_fake, monkeypatch):
    from storefront.web.seller import finance_views

    monkeypatch.setattr(finance_views, "PER_PAGE", 2)
    owner, coop, package = seller_with_package(make, price=100_000)
    numbers = [
        delivered_card_sale(stripe_fake, owner, package, 1, datetime(2026, 11, day, 9, tzinfo=VN))[
            0
        ]
        for day in (3, 4, 5)
    ]
    auth.login(owner)
    first, second = page_of(client), page_of(client, "/seller/finance?page=2")
    assert numbers[2] in first and numbers[1] in first and numbers[0] not in first
    assert numbers[0] in second and numbers[2] not in second
    assert "Trang 1/2" in first or "Trang 1 / 2" in first or "1/2" in first
    assert client.get("/seller/finance?page=3").status_code == 404
    assert client.get("/seller/finance?page=x").status_code == 200  # read as the first page


def test_the_entries_page_costs_the_same_queries_for_3_or_12_sales(
    client, auth, make, stripe_fake, queries
):
    owner, coop, package = seller_with_package(make, price=100_000, stock=100)
    for _ in range(3):
        delivered_card_sale(stripe_fake, owner, package, 1)
    auth.login(owner)
    page_of(client)  # warm: the session, the locale, the menu
    with queries() as few:
        page_of(client)
    for _ in range(9):
        delivered_card_sale(stripe_fake, owner, package, 1)
    with queries() as many:
        page = page_of(client)
    assert page.count("Hoa hồng") >= 12
    assert len(many) == len(few)
    assert len(many) <= 16, many


# --- the monthly statement ------------------------------------------------------------------


@pytest.fixture
def two_months(make, stripe_fake):
    """A sale delivered on 15 October 2026 and another on 10 November 2026 (Vietnam time)."""
    owner, coop, package = seller_with_package(make, price=120_000, name="HTX Chè Tân Cương")
    october = delivered_card_sale(
        stripe_fake, owner, package, 1, datetime(2026, 10, 15, 10, tzinfo=VN)
    )
    november = delivered_card_sale(
        stripe_fake, owner, package, 2, datetime(2026, 11, 10, 16, 30, tzinfo=VN)
    )
    return owner, coop, october, november


def test_the_statement_csv_has_the_opening_balance_every_line_and_the_closing(
    client, auth, two_months
):
    owner, coop, (_n1, october), (number, november) = two_months
    auth.login(owner)

    response = client.get("/seller/finance/statement.csv?month=2026-11")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert "2026-11.csv" in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM: Excel then reads UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["Ngày", "Loại", "Đơn hàng", "Diễn giải", "Số tiền (VNĐ)", "Số dư (VNĐ)"]
    opening = net_of(october)
    assert rows[1] == ["2026-11-01", "Số dư đầu kỳ", "", "", "", str(opening)]
    commission = november.subtotal * COMMISSION_BPS // 10_000
    assert [r[1:3] + r[4:] for r in rows[2:-1]] == [
        ["Bán hàng", number, str(november.subtotal), str(opening + november.subtotal)],
        [
            "Phí vận chuyển",
            number,
            str(november.shipping_fee),
            str(opening + november.subtotal + november.shipping_fee),
        ],
        ["Hoa hồng", number, str(-commission), str(opening + net_of(november))],
    ]
    assert rows[2][0] == "2026-11-10 16:30"  # Vietnam time
    assert rows[-1] == ["2026-11-30", "Số dư cuối kỳ", "", "", "", str(opening + net_of(november))]


def test_the_statement_of_a_month_without_entries_carries_the_balance(client, auth, two_months):
    owner, coop, (_n1, october), _nov = two_months
    auth.login(owner)
    raw = client.get("/seller/finance/statement.csv?month=2026-10").get_data()
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[1][-1] == "0" and rows[-1][-1] == str(net_of(october))
    september = list(
        csv.reader(
            io.StringIO(
                client.get("/seller/finance/statement.csv?month=2026-09")
                .get_data()
                .decode("utf-8-sig")
            )
        )
    )
    assert len(september) == 3 and september[1][-1] == september[2][-1] == "0"


@pytest.mark.parametrize(
    "month", ["2026-13", "2026-1", "26-11", "abcd-ef", "1999-12", "2026-11-01", "２０２６-11"]
)
def test_a_month_that_does_not_exist_is_not_found(client, auth, make, month):
    owner, _coop, _package = seller_with_package(make)
    auth.login(owner)
    assert client.get(f"/seller/finance/statement?month={month}").status_code == 404
    assert client.get(f"/seller/finance/statement.csv?month={month}").status_code == 404


def test_the_printable_statement(client, auth, two_months):
    owner, coop, (_n1, october), (number, november) = two_months
    auth.login(owner)

    page = page_of(client, "/seller/finance/statement?month=2026-11")

    assert "Sao kê tháng 11/2026" in page and "HTX Chè Tân Cương" in page
    assert "Số dư đầu kỳ" in page and "Số dư cuối kỳ" in page
    opening, closing = net_of(october), net_of(october) + net_of(november)
    body = page.split('<article class="statement"', 1)[1]
    assert body.index(vnd(opening)) < body.index(number) < body.index(vnd(closing))
    assert "data-print" in page and "/static/js/labels.js" in page  # the Print button
    assert "/static/css/finance.css" in page  # its print rules hide the menus
    assert 'href="/seller/finance/statement.csv?month=2026-11"' in page
    assert 'href="/seller/finance/statement?month=2026-10"' in page
    assert "<script>" not in page and 'style="' not in page


def test_the_month_picker_offers_the_months_since_the_first_entry(client, auth, two_months):
    owner, *_ = two_months
    auth.login(owner)
    page = page_of(client)
    picker = page.split('id="statement-month"', 1)[1].split("</select>", 1)[0]
    assert 'value="2026-10"' in picker and 'value="2026-11"' in picker
    assert 'value="2026-09"' not in picker
    assert 'formaction="/seller/finance/statement.csv"' in page


# --- each cooperative sees only its own -----------------------------------------------------


def test_another_cooperative_never_sees_these_figures(client, auth, make, stripe_fake):
    owner_a, coop_a, package_a = seller_with_package(make, price=170_000, name="HTX A")
    number, shipment = delivered_card_sale(stripe_fake, owner_a, package_a, 3)
    owner_b, coop_b, _package_b = seller_with_package(make, name="HTX B")
    auth.login(owner_b)

    page = page_of(client)
    assert "HTX B" in page and number not in page and vnd(net_of(shipment)) not in page
    assert f'<p class="finance-balance__amount">{vnd(0)}</p>' in page
    # A's part of the order, from A's entries: not found for B.
    assert client.get(f"/seller/shipments/{shipment.id}").status_code == 404
    # Choosing A in the session (B is not a member of it) changes nothing.
    with client.session_transaction() as session:
        session["seller_cooperative_id"] = coop_a.id
    for url in (
        "/seller/finance",
        "/seller/finance/statement?month=2026-12",
        "/seller/finance/statement.csv",
        "/seller/finance/account",
    ):
        text = client.get(url).get_data(as_text=True)
        assert number not in text and "HTX A" not in text, url
    assert number not in page_of(client, f"/seller/finance?cooperative_id={coop_a.id}")


def test_a_member_of_both_sees_the_chosen_one(client, auth, make, stripe_fake):
    owner_a, coop_a, package_a = seller_with_package(make, price=170_000, name="HTX A")
    number, _shipment = delivered_card_sale(stripe_fake, owner_a, package_a, 1)
    owner_b, coop_b, _package_b = seller_with_package(make, name="HTX B")
    member_of(coop_a, MemberRole.STAFF, user=owner_b)
    auth.login(owner_b)
    client.post("/seller/choose", data={"cooperative_id": str(coop_b.id)})
    assert number not in page_of(client)
    client.post("/seller/choose", data={"cooperative_id": str(coop_a.id)})
    assert number in page_of(client)


def test_not_a_member_gets_the_seller_welcome_and_staff_are_refused(client, auth, make):
    customer = make.user()
    auth.login(customer)
    response = client.get("/seller/finance")
    assert response.status_code == 302 and response.headers["Location"].endswith("/seller/")
    assert client.post("/seller/finance/account", data={}).status_code == 404


# --- the payout account ---------------------------------------------------------------------


def account_form(**overrides) -> dict:
    data = {
        "bank_bin": "970436",
        "account_number": "0011 0023 4567",
        "holder_name": "Hợp tác xã  Chè Tân Cương",
        "submit": "1",
    }
    data.update(overrides)
    return data


def account_state(db, coop_id: int):
    db.session.expire_all()
    account = db.session.scalar(
        select(PayoutAccount).where(PayoutAccount.cooperative_id == coop_id)
    )
    events = db.session.scalar(select(func.count()).select_from(AuditEvent))
    if account is None:
        return None, events
    return (account.bank_bin, account.account_number, account.holder_name, account.status), events


def test_the_owner_records_the_account_in_the_bank_s_spelling(client, auth, make, db):
    owner, coop, _package = seller_with_package(make, name="Hợp tác xã Chè Tân Cương")
    auth.login(owner)
    form = page_of(client, "/seller/finance/account")
    assert '<option value="970436">Vietcombank' in form and 'name="account_number"' in form
    assert "HOP TAC XA CHE TAN CUONG" in form  # the hint shows the holder as banks print it

    response = client.post("/seller/finance/account", data=account_form())

    assert response.status_code == 303
    assert account_state(db, coop.id)[0] == (
        "970436",
        "001100234567",
        "HOP TAC XA CHE TAN CUONG",
        "pending",
    )
    event = db.session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()))
    assert event.action == "payout_account.set" and event.actor_id == owner.id
    page = page_of(client, "/seller/finance/account")
    assert "Đang chờ xác minh" in page and "001100234567" in page
    assert "Vietcombank" in page_of(client)  # the finance page names where payouts go


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("bank_bin", "999999", "Vui lòng chọn ngân hàng trong danh sách."),
        ("bank_bin", "", "Vui lòng chọn ngân hàng trong danh sách."),
        ("account_number", "12ab5678", "Số tài khoản gồm 6 đến 19 chữ số."),
        ("account_number", "12345", "Số tài khoản gồm 6 đến 19 chữ số."),
        ("account_number", "1" * 20, "Số tài khoản gồm 6 đến 19 chữ số."),
        ("account_number", "", "Nhập số tài khoản."),
        ("holder_name", "", "Vui lòng nhập tên chủ tài khoản."),
        ("holder_name", "   ", "Vui lòng nhập tên chủ tài khoản."),
        ("holder_name", "A" * 121, "Tên chủ tài khoản quá dài"),
    ],
)
def test_bad_account_input_is_refused_clearly_and_changes_nothing(
    client, auth, make, db, field, value, message
):
    owner, coop, _package = seller_with_package(make)
    payouts.set_payout_account(
        coop.id, actor=owner, bank_bin="970418", account_number="123456789", holder_name="HTX CU"
    )
    before = account_state(db, coop.id)
    auth.login(owner)

    response = client.post("/seller/finance/account", data=account_form(**{field: value}))

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    errors = page.split(f'id="{field}-errors"', 1)[1].split("</ul>", 1)[0]  # beside its field
    assert message in errors
    assert account_state(db, coop.id) == before


def test_changing_a_verified_account_clears_the_verification(client, auth, make, db):
    owner, coop, _package = seller_with_package(make)
    payouts.set_payout_account(
        coop.id, actor=owner, bank_bin="970418", account_number="123456789", holder_name="HTX CU"
    )
    admin = make.user(role=Role.ADMIN)
    payouts.verify_payout_account(coop.id, actor=admin)
    auth.login(owner)
    page = page_of(client, "/seller/finance/account")
    assert "Đã xác minh" in page and "Đổi tài khoản sẽ xóa xác minh" in page

    client.post("/seller/finance/account", data=account_form(account_number="987654321"))

    assert account_state(db, coop.id)[0][1:] == ("987654321", "HOP TAC XA CHE TAN CUONG", "pending")


def test_the_same_account_saved_again_keeps_its_verification(client, auth, make, db):
    owner, coop, _package = seller_with_package(make)
    payouts.set_payout_account(
        coop.id,
        actor=owner,
        bank_bin="970436",
        account_number="001100234567",
        holder_name="HOP TAC XA CHE TAN CUONG",
    )
    payouts.verify_payout_account(coop.id, actor=make.user(role=Role.ADMIN))
    auth.login(owner)
    client.post("/seller/finance/account", data=account_form())
    assert account_state(db, coop.id)[0][-1] == "verified"


def test_a_member_who_is_not_an_owner_reads_the_account_but_cannot_change_it(
    client, auth, make, db
):
    owner, coop, _package = seller_with_package(make)
    payouts.set_payout_account(
        coop.id, actor=owner, bank_bin="970418", account_number="123456789", holder_name="HTX CU"
    )
    staff = member_of(coop, MemberRole.STAFF)
    before = account_state(db, coop.id)
    auth.login(staff)
    page = page_of(client, "/seller/finance/account")
    assert "123456789" in page and 'name="account_number"' not in page
    assert "Chỉ chủ hợp tác xã mới đổi được tài khoản nhận tiền." in page
    assert page_of(client).count("finance-balance__amount") == 1  # members read the finance

    assert client.post("/seller/finance/account", data=account_form()).status_code == 403
    assert account_state(db, coop.id) == before


def test_a_rejected_account_shows_the_reason(client, auth, make):
    owner, coop, _package = seller_with_package(make)
    payouts.set_payout_account(
        coop.id,
        actor=owner,
        bank_bin="970418",
        account_number="123456789",
        holder_name="NGUYEN VAN A",
    )
    payouts.reject_payout_account(
        coop.id, "Tên chủ tài khoản không phải tên hợp tác xã <b>", actor=make.user(role=Role.PFA)
    )
    auth.login(owner)
    page = page_of(client, "/seller/finance/account")
    assert "Bị từ chối" in page
    assert "Tên chủ tài khoản không phải tên hợp tác xã &lt;b&gt;" in page


def test_the_account_form_needs_the_csrf_token(client, auth, make, db, app, monkeypatch):
    owner, coop, _package = seller_with_package(make)
    auth.login(owner)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    response = client.post("/seller/finance/account", data=account_form())
    assert response.status_code == 400
    assert account_state(db, coop.id)[0] is None


def test_the_pages_speak_english_when_asked(client, auth, make, stripe_fake):
    owner, coop, package = seller_with_package(make, price=150_000)
    number, shipment = delivered_card_sale(stripe_fake, owner, package, 1)
    auth.login(owner)
    client.get("/?lang=en")
    page = page_of(client)
    assert "The market owes your cooperative" in page and "Commission" in page
    assert "Shipping fee" in page and "Monthly statement" in page
    rows = list(
        csv.reader(
            io.StringIO(client.get("/seller/finance/statement.csv").get_data().decode("utf-8-sig"))
        )
    )
    assert rows[0][:2] == ["Date", "Kind"] and rows[1][1] == "Opening balance"
    assert "Account holder" in page_of(client, "/seller/finance/account")
