"""A real browser registers through the form, confirms the address by the e-mailed link (which
logs in), and logs out (Chromium)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storefront.extensions import db as _db
from storefront.models import User
from tests.fixtures.mail import verify_path


@pytest.mark.browser
def test_register_confirm_the_address_and_log_out(page, db, outbox, artifacts_dir):
    page.goto("/account/login")
    page.locator("a[href^='/account/register']").click()
    page.wait_for_url("**/account/register**")

    page.locator("#name").fill("Nguyễn Thị Lan")
    page.locator("#email").fill("lan@example.vn")
    page.locator("#password").fill("mật khẩu đủ dài")
    page.locator("#password_again").fill("mật khẩu đủ dài")
    page.screenshot(path=str(artifacts_dir / "register-390.png"), full_page=True)
    page.locator("form.form button[type=submit]").click()

    # Not logged in yet: a "check your inbox" page; the e-mailed link confirms and logs in.
    page.wait_for_load_state()
    assert "lan@example.vn" in page.locator("main").inner_text()
    assert page.locator("a[href='/account/login']").first.is_visible()
    page.goto(verify_path(outbox, "lan@example.vn"))
    page.locator("form.form button[type=submit]").click()

    # Landed on the account page, logged in, and the page fits a phone's width.
    page.wait_for_url("**/account/")
    assert page.locator("h1").first.inner_text() != ""
    assert page.locator(".account-menu__email").inner_text() == "lan@example.vn"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(artifacts_dir / "account-390.png"), full_page=True)
    db.session.expire_all()
    assert db.session.scalar(select(User.email)) == "lan@example.vn"

    # Log out through the account menu (a POST form with its CSRF token).
    page.locator("details.account-menu summary").click()
    page.locator("form.logout-form button").click()
    page.wait_for_load_state()
    assert page.locator("a[href='/account/login']").first.is_visible()
    page.goto("/account/")
    assert "/account/login" in page.url  # the account page wants a login again


@pytest.mark.browser
def test_commune_list_fills_when_a_province_is_chosen(page, make):
    user = make.user(email="lan@example.vn")
    page.goto("/account/login")
    page.locator("#email").fill(user.email)
    page.locator("#password").fill("correct horse battery")
    page.locator("form.form button[type=submit]").click()
    page.wait_for_url("**/")

    page.goto("/account/addresses/new")
    assert not page.locator("[name=show_communes]").is_visible()  # JavaScript replaces the button
    page.locator("#province").select_option("24")  # Bắc Ninh
    # Waits by selector, not wait_for_function: the page's CSP forbids the eval it polls with.
    page.wait_for_selector("#commune option:nth-child(2)", state="attached")
    page.locator("#commune").select_option(label="Xã Lục Ngạn")
    page.locator("#phone").fill("0912 345 678")
    page.locator("#street").fill("Thôn Kim Sơn")
    page.locator("[name=save]").click()
    page.wait_for_url("**/account/#addresses")
    assert page.get_by_text("Thôn Kim Sơn, Xã Lục Ngạn").first.is_visible()


@pytest.mark.browser
def test_account_page_with_a_pending_e_mail_change_fits_a_phone(page, make):
    # The pending change is a second value under "E-mail": it stays in the value column
    # instead of stretching the label column (the page was 878 px wide at 390 px).
    user = make.user(email="lan@example.vn")
    user.pending_email = "lan.moi.dia.chi.rat.dai@example.vn"
    _db.session.commit()
    page.goto("/account/login")
    page.locator("#email").fill(user.email)
    page.locator("#password").fill("correct horse battery")
    page.locator("form.form button[type=submit]").click()
    page.wait_for_url("**/")
    page.goto("/account/")
    assert "lan.moi.dia.chi.rat.dai@example.vn" in page.locator("main").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # On a phone the language links show "VI"/"EN" and keep their full names for screen readers.
    assert page.get_by_role("link", name="English", exact=True).count() == 1
    assert page.get_by_role("link", name="Tiếng Việt", exact=True).count() == 1
