"""The finance pages on a 390 px phone and a desktop: a cooperative owner's finance page,
statement and payout account; an admin's payout accounts, payouts, batch and summary. Nothing
scrolls sideways, every control is a tap target, the entries become cards on the phone, and
the printed statement has no menus. Screenshots in tests/artifacts/."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from storefront.domain.ledger import payouts
from storefront.extensions import db
from storefront.models import Role
from tests.browser.test_seller_pages_browser import (
    DESKTOP,
    PHONE,
    _login,
    _no_sideways_scroll,
    _small_targets,
)
from tests.domain.ledger.helpers import seller_with_package
from tests.fixtures import factories
from tests.web.seller.test_finance import delivered_card_sale

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def _world(stripe_fake) -> dict:
    owner, coop, package = seller_with_package(
        factories,
        price=135_000,
        stock=100,
        name="Hợp tác xã Nông nghiệp Dịch vụ Vải thiều Hồng Xuân Lục Ngạn",
    )
    for day in (3, 9, 17, 28):
        delivered_card_sale(stripe_fake, owner, package, 2, datetime(2026, 11, day, 9, tzinfo=VN))
    payouts.set_payout_account(
        coop.id,
        actor=owner,
        bank_bin="970405",
        account_number="1500 2051 23456",
        holder_name=coop.legal_name,
    )
    other_owner, other, other_package = seller_with_package(
        factories, price=300_000, name="HTX Mật ong Bắc Giang"
    )
    delivered_card_sale(stripe_fake, other_owner, other_package, 1)
    admin = factories.user(role=Role.ADMIN, email="quantri@example.vn")
    payouts.set_payout_account(
        other.id,
        actor=other_owner,
        bank_bin="970436",
        account_number="0011002345678",
        holder_name=other.legal_name,
    )
    payouts.verify_payout_account(other.id, actor=admin)
    batch = payouts.create_payout_batch(actor=admin, threshold=0)
    return {"owner": owner.email, "admin": admin.email, "batch": batch.id}


def _check(page, artifacts_dir, name: str, path: str) -> None:
    page.set_viewport_size(PHONE)
    response = page.goto(path)
    assert response.status == 200, path
    _no_sideways_scroll(page)
    assert _small_targets(page) == [], (path, _small_targets(page))
    page.screenshot(path=str(artifacts_dir / f"finance-{name}-390.png"), full_page=True)
    page.set_viewport_size(DESKTOP)
    _no_sideways_scroll(page)
    page.screenshot(path=str(artifacts_dir / f"finance-{name}-1280.png"), full_page=True)


@pytest.mark.browser
def test_the_finance_pages_fit_a_phone(page, app, stripe_fake, artifacts_dir):
    data = _world(stripe_fake)
    db.session.remove()
    _login(page, data["owner"])
    for name, path in {
        "seller": "/seller/finance",
        "statement": "/seller/finance/statement?month=2026-11",
        "account": "/seller/finance/account",
    }.items():
        _check(page, artifacts_dir, name, path)

    # On the phone the balance is on the first screen and each entry is a card in view.
    page.set_viewport_size(PHONE)
    page.goto("/seller/finance")
    assert page.locator(".finance-balance__amount").bounding_box()["y"] < 844
    row = page.locator(".finance-entries tbody tr").first.bounding_box()
    assert row and row["x"] >= 0 and row["x"] + row["width"] <= 390
    assert page.locator(".finance-entries__balance").first.is_visible()

    # The statement is chosen with the month picker and prints without the menus.
    page.select_option("#statement-month", "2026-11")
    page.get_by_role("button", name="Xem và in").click()
    page.wait_for_url("**/seller/finance/statement?month=2026-11")
    page.emulate_media(media="print")
    assert not page.locator("nav.seller-nav").is_visible()
    assert not page.locator(".statement__toolbar").is_visible()
    assert page.locator(".statement").get_by_text("Số dư cuối kỳ").is_visible()
    page.pdf(path=str(artifacts_dir / "finance-statement.pdf"))
    page.emulate_media(media="screen")

    page.context.clear_cookies()
    _login(page, data["admin"])
    for name, path in {
        "accounts": "/pfa/finance/accounts",
        "payouts": "/pfa/finance/payouts",
        "batch": f"/pfa/finance/payouts/batches/{data['batch']}",
        "summary": "/pfa/finance/summary",
    }.items():
        _check(page, artifacts_dir, name, path)
