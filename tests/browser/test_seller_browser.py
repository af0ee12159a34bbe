"""A cooperative goes from sign-up to a listing waiting for PFA verification, on a 390 px phone,
in a real Chromium (Playwright): register, apply, get approved, create a listing with two
packages and a photo, send its certificate, put it on sale."""

from __future__ import annotations

import re

import pytest
from PIL import Image
from sqlalchemy import select

from storefront.domain.cooperatives.decisions import approve_cooperative
from storefront.extensions import db
from storefront.models import Cooperative, Listing, Role
from tests.fixtures import factories
from tests.fixtures.mail import verify_path

PASSWORD = "mat-khau-rat-dai-2026"


def fits_the_phone(page) -> None:
    """Nothing scrolls sideways on a 390 px screen."""
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, page.url


def shoot(page, artifacts_dir, name: str) -> None:
    page.screenshot(path=str(artifacts_dir / name), full_page=True)


@pytest.mark.browser
def test_a_cooperative_goes_from_sign_up_to_waiting_for_pfa(
    page, app, outbox, artifacts_dir, tmp_path
):
    photo = tmp_path / "vai-thieu.png"
    Image.new("RGB", (640, 480), (190, 40, 60)).save(photo)
    scan = tmp_path / "giay-chung-nhan.png"
    Image.new("RGB", (800, 1100), (250, 250, 245)).save(scan)

    # 1. Register (the seller workspace sends people without an account to the login page,
    #    which links to registration; here we go straight to it).
    page.goto("/account/register?next=/seller/")
    page.fill("input[name=name]", "Nguyễn Văn Hùng")
    page.fill("input[name=email]", "hung.htx@example.vn")
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=password_again]", PASSWORD)
    page.locator("form.form button[type=submit]").click()
    # The address is confirmed by the e-mailed link (applying needs it); it also logs in.
    page.wait_for_load_state()
    page.goto(verify_path(outbox, "hung.htx@example.vn"))
    page.locator("form.form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/account/$"))
    page.goto("/seller/")
    fits_the_phone(page)

    # 2. Apply to open a shop. With JavaScript, choosing the province fills the communes.
    page.locator("a[href$='/seller/apply']").first.click()
    page.wait_for_url(re.compile(r"/seller/apply$"))
    assert page.locator("button[name=show_communes], input[name=show_communes]").is_hidden()
    page.fill("input[name=legal_name]", "Hợp tác xã Vải thiều Tân Hoa")
    page.fill("input[name=registration_number]", "2400-555-777")
    page.select_option("select[name=province]", str(24))
    # Waits by selector, not wait_for_function: the page's CSP forbids the eval it polls with.
    page.wait_for_selector("select[name=commune] option:nth-child(11)", state="attached")
    # The filter box narrows the long commune list as you type, diacritics optional.
    page.fill("input.places__filter", "luc ngan")
    page.select_option("select[name=commune]", str(factories.LUC_NGAN_COMMUNE))
    page.fill("input[name=address]", "Thôn Trại, xã Lục Ngạn")
    page.fill("input[name=phone]", "0912 345 678")
    page.fill("input[name=email]", "htx.tanhoa@example.vn")
    fits_the_phone(page)
    shoot(page, artifacts_dir, "seller-apply-390.png")
    page.locator("input[name=submit]").click()
    page.wait_for_url(re.compile(r"/seller/$"))
    assert page.locator(".seller-status--coop-applied").is_visible()
    fits_the_phone(page)

    # 3. PFA staff approve the application.
    db.session.expire_all()
    coop = db.session.scalar(
        select(Cooperative).where(Cooperative.registration_number == "2400-555-777")
    )
    approve_cooperative(coop.id, factories.user(role=Role.PFA))
    page.reload()
    assert page.locator(".seller-status--coop-approved").is_visible()
    shoot(page, artifacts_dir, "seller-dashboard-390.png")

    # 4. A new product with two packages ("150.000" typed the Vietnamese way).
    page.goto("/seller/listings/new")
    fits_the_phone(page)
    page.fill("input[name=name]", "Vải thiều Lục Ngạn")
    page.select_option("select[name=ocop_group]", "1")
    page.fill("textarea[name=description]", "Quả **to**, cùi dày, hạt nhỏ.")
    # The origin starts at the cooperative's own commune.
    assert page.locator("select[name=commune]").input_value() == str(factories.LUC_NGAN_COMMUNE)
    page.fill("input[name='packages-0-label']", "Hộp 1 kg")
    page.fill("input[name='packages-0-weight']", "1000")
    page.fill("input[name='packages-0-price']", "150.000")
    page.fill("input[name='packages-0-stock']", "20")
    page.fill("input[name='packages-1-label']", "Hộp 2 kg")
    page.fill("input[name='packages-1-weight']", "2.000")
    page.fill("input[name='packages-1-price']", "280000")
    page.fill("input[name='packages-1-stock']", "8")
    shoot(page, artifacts_dir, "seller-listing-form-390.png")
    page.locator("input[name=save]").click()
    page.wait_for_url(re.compile(r"/seller/listings/\d+$"))
    listing_url = page.url
    assert page.get_by_text("150.000 ₫").first.is_visible()
    assert page.get_by_text("280.000 ₫").first.is_visible()

    # 5. A photo.
    page.set_input_files("input[name=photos]", str(photo))
    page.locator("#photos input[type=submit]").click()
    page.wait_for_url(re.compile(r"/seller/listings/\d+#photos$"))
    assert page.locator(".photo-grid__item img").count() == 1
    assert page.locator(".photo-grid__cover").is_visible()

    # 6. The certificate, from the checklist's own link.
    page.locator(".checklist a[href*='/seller/certificates/new']").click()
    page.wait_for_url(re.compile(r"/seller/certificates/new"))
    fits_the_phone(page)
    page.fill("input[name=number]", "1234/QĐ-UBND")
    page.locator("input[name=stars][value='4']").check()
    assert page.locator("input[name=product_name]").input_value() == "Vải thiều Lục Ngạn"
    page.fill("input[name=issuing_authority]", "UBND tỉnh Bắc Giang")
    page.fill("input[name=issued_on]", "2025-06-15")
    page.set_input_files("input[name=scan]", str(scan))
    shoot(page, artifacts_dir, "seller-certificate-form-390.png")
    page.locator("input[name=submit]").click()
    page.wait_for_url(listing_url)

    # 7. Put it on sale: only the PFA's verification is left.
    page.locator(".checklist form[action$='/publish'] button").click()
    page.wait_for_url(listing_url)
    assert page.locator(".checklist--waiting").is_visible()
    assert page.locator(".checklist__step--todo").count() == 0
    fits_the_phone(page)
    shoot(page, artifacts_dir, "seller-checklist-vi-390.png")

    page.goto(listing_url + "?lang=en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", name="Waiting for PFA verification").is_visible()
    assert page.get_by_text("Nothing more to do on your side").is_visible()
    fits_the_phone(page)
    shoot(page, artifacts_dir, "seller-checklist-en-390.png")

    page.goto(listing_url + "?lang=vi")
    assert page.locator("html").get_attribute("lang") == "vi"
    assert page.locator(".checklist--waiting").is_visible()

    db.session.expire_all()
    listing = db.session.scalar(select(Listing))
    assert [p.price for p in listing.packages] == [150_000, 280_000]
    assert listing.certificate.number == "1234/QĐ-UBND"
    assert len(listing.images) == 1


@pytest.mark.browser
def test_the_seller_pages_fit_a_phone_in_both_languages(page, app, artifacts_dir):
    owner = factories.user(email="chu.htx@example.vn", password=PASSWORD)
    coop = factories.cooperative(owner=owner)
    listing = factories.listing(coop=coop, name="Mật ong bạc hà Hà Giang")
    page.goto("/account/login")
    page.fill("input[name=email]", owner.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form.form button[type=submit]").click()
    page.wait_for_load_state()
    for lang in ("vi", "en"):
        for path in (
            "/seller/",
            "/seller/listings",
            f"/seller/listings/{listing.id}",
            f"/seller/listings/{listing.id}/edit",
            "/seller/certificates",
            "/seller/stock",
            "/seller/members",
        ):
            page.goto(f"{path}?lang={lang}")
            assert page.locator("html").get_attribute("lang") == lang
            fits_the_phone(page)
    shoot(page, artifacts_dir, "seller-members-en-390.png")
    page.goto("/seller/stock?lang=vi")
    shoot(page, artifacts_dir, "seller-stock-vi-390.png")
    page.goto("/seller/listings?lang=vi")
    shoot(page, artifacts_dir, "seller-listings-vi-390.png")
