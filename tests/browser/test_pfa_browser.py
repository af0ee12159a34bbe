"""The PFA loop in a real Chromium on a 390 px phone: a cooperative's certificate waits → staff
log in and verify it → the product is in search and /verify says VALID → staff revoke it with
a reason → it is gone everywhere and /verify says REVOKED. Then the programme dashboard with
demo data, in Vietnamese and English (screenshots in tests/artifacts/)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

import pytest
from PIL import Image, ImageDraw

from storefront.models import CertificateStatus, Role
from tests.fixtures import factories

NUMBER = "1234/QĐ-UBND"


def fits_the_phone(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, page.url


def shoot(page, artifacts_dir, name: str) -> None:
    page.screenshot(path=str(artifacts_dir / name), full_page=True)


def _scan(app) -> str:
    """A certificate scan as the seller workspace stores it (random name, private folder)."""
    folder = Path(app.config["SCAN_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    image = Image.new("RGB", (800, 1100), (252, 250, 240))
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 40, 760, 1060), outline=(160, 30, 30), width=6)
    draw.text((120, 120), "UBND TINH BAC GIANG", fill=(20, 20, 20))
    draw.text((120, 200), "GIAY CHUNG NHAN SAN PHAM OCOP 4 SAO", fill=(20, 20, 20))
    draw.text((120, 260), "So: 1234/QD-UBND", fill=(20, 20, 20))
    name = "5f3c0ffee0000000000000000000abcd.png"
    image.save(folder / name)
    return name


def _login(page, email: str) -> None:
    page.goto("/account/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", factories.PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


@pytest.mark.browser
def test_staff_verify_then_revoke_a_certificate(page, app, live_server, artifacts_dir):
    seller = factories.user(email="chu.nhiem@htx-tanhoa.vn", name="Lê Văn Tâm")
    coop = factories.cooperative(
        legal_name="HTX Vải thiều Tân Hoa", email="htx.tanhoa@example.vn", owner=seller
    )
    cert = factories.certificate(
        coop,
        status=CertificateStatus.SUBMITTED,
        number=NUMBER,
        stars=4,
        product_name="Vải thiều Lục Ngạn",
        scan_filename=_scan(app),
    )
    listing = factories.listing(coop=coop, cert=cert, name="Vải thiều Lục Ngạn sấy khô hộp 1 kg")
    staff = factories.user(role=Role.PFA, name="Nguyễn Thị Hoa", email="hoa@hoinongdan.vn")
    verify_path = "/verify/" + quote(NUMBER, safe="/")
    browser = page.context.browser

    # Before: not on sale, and the public page does not vouch for it.
    assert page.goto(verify_path).status == 404
    assert page.locator(".verdict__word").inner_text().strip() != ""

    # Staff log in and find it in the queue.
    _login(page, staff.email)
    page.goto("/pfa/")
    fits_the_phone(page)
    page.locator("a.queue__title", has_text="Vải thiều Lục Ngạn").first.click()
    page.wait_for_url(re.compile(rf"/pfa/certificates/{cert.id}$"))
    assert page.locator("img.scan").is_visible()
    assert page.evaluate("document.querySelector('img.scan').naturalWidth") == 800
    assert page.get_by_text("HTX Vải thiều Tân Hoa").first.is_visible()
    fits_the_phone(page)
    shoot(page, artifacts_dir, "pfa-review-390.png")

    # Verify: the first tap shows what will happen (issue 12), the second decides.
    page.locator(f"form[action='/pfa/certificates/{cert.id}/verify'] button").click()
    page.wait_for_load_state()
    assert page.locator("section.confirm").is_visible()
    assert page.locator(".confirm__listing", has_text="Vải thiều Lục Ngạn sấy khô").is_visible()
    fits_the_phone(page)
    shoot(page, artifacts_dir, "pfa-confirm-verify-390.png")
    page.locator("section.confirm form button[type=submit]").first.click()
    page.wait_for_url(re.compile(rf"/pfa/certificates/{cert.id}$"))
    assert page.locator(".flash--success").is_visible()
    assert page.locator(".status--verified").first.is_visible()

    # Anyone now finds it in search and sees it VALID on /verify.
    visitor = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844})
    public = visitor.new_page()
    public.goto("/search?q=vai thieu luc ngan say")
    assert public.get_by_text("Vải thiều Lục Ngạn sấy khô hộp 1 kg").first.is_visible()
    public.goto(verify_path)
    assert public.locator(".verdict--valid").is_visible()
    assert public.locator(".verdict--valid .verdict__icon").is_visible()
    assert public.get_by_text("Vải thiều Lục Ngạn sấy khô hộp 1 kg").first.is_visible()
    assert public.evaluate("document.querySelector('.verify-qr img').naturalWidth") > 100
    fits_the_phone(public)
    shoot(public, artifacts_dir, "verify-valid-390.png")

    # The cooperative prints its label: QR code to the verification page, stars, number.
    workspace = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844})
    label = workspace.new_page()
    _login(label, seller.email)
    label.goto(f"/seller/certificates/{cert.id}/label")
    qr = label.locator("svg.label__qr")
    assert qr.is_visible()
    assert label.get_by_text(NUMBER).first.is_visible()
    shoot(label, artifacts_dir, "seller-label-390.png")
    label.emulate_media(media="print")
    label.goto(f"/seller/certificates/{cert.id}/label?sheet=1")
    assert label.locator(".toolbar").is_hidden()
    assert label.locator("section.label").count() == 12
    label.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    shoot(label, artifacts_dir, "seller-label-sheet-print.png")
    workspace.close()

    # Revoke: the reason is required (the browser asks for it before sending).
    revoke = page.locator(f"form[action='/pfa/certificates/{cert.id}/revoke']")
    revoke.locator("button").click()
    assert page.url.endswith(f"/pfa/certificates/{cert.id}")  # not sent: the field is required
    assert revoke.locator("textarea").evaluate("el => el.validity.valueMissing")
    revoke.locator("textarea").fill("Sản phẩm không đạt khi kiểm tra lại; đề nghị đánh giá lại.")
    revoke.locator("button").click()
    page.wait_for_load_state()
    # The confirmation: the product goes off sale; the reason can still be corrected.
    assert page.locator("section.confirm--danger").is_visible()
    assert page.locator("#revoke-reason").input_value().startswith("Sản phẩm không đạt")
    fits_the_phone(page)
    shoot(page, artifacts_dir, "pfa-confirm-revoke-390.png")
    page.locator("section.confirm form button.button--danger").click()
    page.wait_for_load_state()
    assert page.locator(".flash--success").is_visible()
    assert page.locator(".status--revoked").first.is_visible()
    assert page.get_by_text("Sản phẩm không đạt khi kiểm tra lại").first.is_visible()

    # Gone everywhere, at once.
    public.goto("/search?q=vai thieu luc ngan say")
    assert public.get_by_text("Vải thiều Lục Ngạn sấy khô hộp 1 kg").count() == 0
    public.goto("/products")
    assert public.get_by_text("Vải thiều Lục Ngạn sấy khô hộp 1 kg").count() == 0
    assert public.goto(f"/products/{listing.slug}").status == 404
    assert listing.slug not in public.goto("/sitemap.xml").text()
    public.goto(verify_path)
    assert public.locator(".verdict--revoked").is_visible()
    assert public.get_by_text("Sản phẩm không đạt").count() == 0  # the reason stays internal
    fits_the_phone(public)
    shoot(public, artifacts_dir, "verify-revoked-390.png")

    # The audit log has both decisions, by name.
    page.goto("/pfa/audit")
    assert page.locator("tbody tr").count() == 2
    assert page.locator("tbody").get_by_text("Nguyễn Thị Hoa").first.is_visible()
    fits_the_phone(page)
    visitor.close()


def _demo_sales(db) -> None:
    """A few placed orders, so the sales chart has bars (checkout would make them)."""
    from storefront.domain.catalog.visibility import public_listings
    from storefront.models import Listing, Order, OrderLine, OrderStatus, PaymentMethod, Shipment

    listings = db.session.scalars(public_listings().order_by(Listing.id).limit(12)).all()
    for i, listing in enumerate(listings):
        package = listing.packages[0]
        quantity = 1 + i % 4
        order = Order(
            number=f"DEMO{i:04d}",
            email="khach@example.vn",
            phone="0900000000",
            recipient="Khách",
            street="1 Phố Huế",
            address_text="1 Phố Huế, Hà Nội",
            payment_method=PaymentMethod.COD,
            status=OrderStatus.PLACED,
            subtotal=package.price * quantity,
            total=package.price * quantity,
        )
        shipment = Shipment(
            order=order,
            cooperative_id=listing.cooperative_id,
            cooperative_name=listing.cooperative.legal_name,
            subtotal=package.price * quantity,
        )
        order.lines.append(
            OrderLine(
                shipment=shipment,
                listing_id=listing.id,
                package_id=package.id,
                product_name=listing.name,
                package_label=package.label,
                weight_grams=package.weight_grams,
                unit_price=package.price,
                quantity=quantity,
                cooperative_id=listing.cooperative_id,
                cooperative_name=listing.cooperative.legal_name,
                certificate_number="x",
                stars=4,
                origin="x",
            )
        )
        db.session.add(order)
    db.session.commit()


@pytest.mark.browser
def test_programme_dashboard_with_demo_data(page, app, db, artifacts_dir):
    from storefront.demo import PFA_EMAIL, seed_demo

    report = seed_demo()
    _demo_sales(db)
    page.goto("/account/login")
    page.fill("input[name=email]", PFA_EMAIL)
    page.fill("input[name=password]", report["password"])
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()

    for lang in ("vi", "en"):
        page.goto(f"/pfa/programme?lang={lang}")
        assert page.locator("html").get_attribute("lang") == lang
        assert page.locator("svg.chart").count() >= 6
        assert page.locator("table").count() >= 7
        fits_the_phone(page)
        shoot(page, artifacts_dir, f"pfa-programme-{lang}-390.png")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/pfa/programme?lang=vi")
    shoot(page, artifacts_dir, "pfa-programme-vi-1280.png")
    for path, name in (
        ("/pfa/", "pfa-home"),
        ("/pfa/expiries", "pfa-expiries"),
        ("/pfa/certificates?status=verified", "pfa-certificates"),
    ):
        page.goto(path)
        shoot(page, artifacts_dir, f"{name}-1280.png")
