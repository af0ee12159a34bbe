"""Every page of the seller workspace on a 390 px phone, as the owner of a cooperative with
data (products with photos, certificates of every state, an order to ship, a colleague, a
logo): each is in the workspace layout and nothing scrolls sideways. Then the public page of
that cooperative. Screenshots at 390 and 1280 px in tests/artifacts/."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image, ImageDraw

from storefront.core.files import Upload
from storefront.domain.catalog.listings import add_photos
from storefront.domain.cooperatives.members import invite_member
from storefront.domain.cooperatives.profile import ProfileChange, update_profile
from storefront.extensions import db
from storefront.models import CertificateStatus, ListingStatus, MemberRole
from tests.fixtures import factories
from tests.fixtures.seller import member_of
from tests.fixtures.shop import buy

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def _picture(color, text: str, size=(1200, 900)) -> Upload:
    image = Image.new("RGB", size, color)
    draw = ImageDraw.Draw(image)
    draw.ellipse(
        (size[0] // 4, size[1] // 4, size[0] * 3 // 4, size[1] * 3 // 4), fill=(250, 240, 220)
    )
    draw.text((40, 40), text, fill=(255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    buffer.seek(0)
    return Upload(f"{text}.jpg", buffer)


def _cooperative_with_data() -> dict:
    owner = factories.user(email="chu.nhiem@htx-hongxuan.vn", name="Nguyễn Văn Hùng")
    coop = factories.cooperative(
        legal_name="Hợp tác xã Nông nghiệp Dịch vụ Vải thiều Hồng Xuân Lục Ngạn",
        slug="htx-vai-thieu-hong-xuan",
        owner=owner,
        phone="0912345678",
        email="htx.hongxuan@example.vn",
        address="Thôn Hồng Xuân, xã Lục Ngạn",
    )
    update_profile(
        coop.id,
        owner,
        ProfileChange(
            description=(
                "46 hộ thành viên trồng vải thiều theo quy trình **VietGAP** trên các "
                "sườn đồi Lục Ngạn.\n\n- Vải tươi mùa hè\n- Vải sấy quanh năm"
            ),
            phone=coop.phone,
            email=coop.email,
            address=coop.address,
        ),
        logo=_picture((47, 106, 49), "logo", (400, 400)),
    )
    vai_cert = factories.certificate(
        coop, stars=4, number="1021/QĐ-UBND", product_name="Vải thiều Lục Ngạn Hồng Xuân"
    )
    vai = factories.listing(
        coop=coop,
        cert=vai_cert,
        name="Vải thiều Lục Ngạn",
        slug="vai-thieu-luc-ngan",
        packages=[
            {"label": "Hộp 2 kg", "price": 130_000, "stock": 37},
            {
                "label": "Thùng 5 kg",
                "price": 290_000,
                "stock": 0,
                "preorder": True,
                "sku": "VTLN-THUNG5KG-2026",
            },
        ],
        description="Quả **chín đỏ**, cùi dày, hạt nhỏ.",
    )
    add_photos(
        vai.id, coop.id, owner, [_picture((170, 30, 50), "vai"), _picture((120, 20, 40), "vai-2")]
    )
    say = factories.listing(
        coop=coop,
        name="Vải thiều sấy khô Lục Ngạn",
        cert=factories.certificate(coop, stars=3, product_name="Vải thiều sấy khô Lục Ngạn"),
        packages=[{"label": "Túi 500 g", "price": 95_000, "stock": 3}],
    )
    add_photos(say.id, coop.id, owner, [_picture((150, 80, 30), "say")])
    factories.listing(
        coop=coop,
        name="Mật ong hoa vải Lục Ngạn",
        status=ListingStatus.DRAFT,
        cert=factories.certificate(
            coop,
            stars=3,
            status=CertificateStatus.SUBMITTED,
            product_name="Mật ong hoa vải Lục Ngạn",
        ),
    )
    factories.certificate(
        coop,
        stars=3,
        status=CertificateStatus.REJECTED,
        product_name="Trà hoa vải",
        status_reason="Số quyết định không khớp",
    )
    member_of(coop, MemberRole.STAFF, factories.user(email="ke.toan@htx-hongxuan.vn"))
    invite_member(coop.id, owner, "thu.kho@example.vn", MemberRole.STAFF, accept_url=str)
    order = buy(
        (vai.packages[0], 2),
        (say.packages[0], 1),
        recipient="Nguyễn Thị Lan Phương",
        street="Số 12 ngõ 34 đường Trần Phú, tổ dân phố 5",
    )
    return {
        "owner": owner.email,
        "vai": vai.id,
        "vai_cert": vai_cert.id,
        "shipment": order.shipments[0].id,
    }


def _login(page, email: str) -> None:
    page.goto("/account/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", factories.PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


def _no_sideways_scroll(page) -> None:
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


def _small_targets(page) -> list[str]:
    """Controls and stand-alone links under 24 px (a link inside a sentence is exempt)."""
    return page.evaluate(
        """() => [...document.querySelectorAll(
              'main button, main select, main textarea, main input:not([type=hidden]),'
              + ' main a')].filter(e => {
            const r = e.getBoundingClientRect();
            if (!r.width) return false;
            if (e.tagName === 'A' && getComputedStyle(e).display === 'inline') return false;
            if (e.matches('label input')) return false;  // the label is the target
            return r.height < 24 || r.width < 24;
          }).map(e => e.tagName + ' ' + (e.textContent || e.name || '').trim().slice(0, 40))"""
    )


@pytest.mark.browser
def test_every_seller_page_fits_a_phone(page, app, artifacts_dir):
    data = _cooperative_with_data()
    db.session.remove()
    _login(page, data["owner"])
    vai, cert, shipment = data["vai"], data["vai_cert"], data["shipment"]
    pages = {
        "dashboard": "/seller/",
        "listings": "/seller/listings",
        "listing": f"/seller/listings/{vai}",
        "listing-form": f"/seller/listings/{vai}/edit",
        "listing-new": "/seller/listings/new",
        "stock": "/seller/stock",
        "certificates": "/seller/certificates",
        "certificate": f"/seller/certificates/{cert}",
        "certificate-form": f"/seller/certificates/{cert}/edit",
        "certificate-new": "/seller/certificates/new",
        "shipments": "/seller/shipments",
        "shipment": f"/seller/shipments/{shipment}",
        "members": "/seller/members",
        "profile": "/seller/profile",
        "apply": "/seller/apply",
    }
    for name, path in pages.items():
        page.set_viewport_size(PHONE)
        response = page.goto(path)
        assert response.status == 200, path
        # In the workspace layout, with the cooperative's menu.
        assert page.locator("nav.seller-nav").count() == 1 or name == "apply", path
        _no_sideways_scroll(page)
        assert _small_targets(page) == [], (path, _small_targets(page))
        page.screenshot(path=str(artifacts_dir / f"seller-{name}-390.png"), full_page=True)
        page.set_viewport_size(DESKTOP)
        _no_sideways_scroll(page)
        page.screenshot(path=str(artifacts_dir / f"seller-{name}-1280.png"), full_page=True)

    # The shipments list reflows into cards on the phone: every column in view.
    page.set_viewport_size(PHONE)
    page.goto("/seller/shipments")
    row = page.locator(".shipments-table tbody tr").first
    box = row.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert page.locator(".shipments-table__amount").first.is_visible()

    # The label is one tap from the product, and prints.
    page.goto(f"/seller/listings/{vai}")
    page.get_by_role("link", name="In nhãn QR").first.click()
    page.wait_for_url(re.compile(rf"/seller/certificates/{cert}/label$"))
    assert page.locator("svg.label__qr").count() >= 1


@pytest.mark.browser
def test_the_public_cooperative_page_on_a_phone_and_a_desktop(page, app, artifacts_dir):
    _cooperative_with_data()
    db.session.remove()
    page.goto("/cooperatives/htx-vai-thieu-hong-xuan")
    _no_sideways_scroll(page)
    logo = page.locator(".coop-hero__logo img")
    assert logo.is_visible()
    assert page.evaluate("(img) => img.naturalWidth", logo.element_handle()) > 0
    assert page.locator(".coop-story").get_by_text("VietGAP").is_visible()
    assert page.locator(".coop-cert").count() == 2
    assert page.locator(".cards .card").count() == 2
    # The heading and place are on the first screen of a phone.
    assert page.locator("h1").bounding_box()["y"] < 844
    page.screenshot(path=str(artifacts_dir / "cooperative-390.png"), full_page=True)
    page.locator(".coop-cert__verify").first.click()
    page.wait_for_url(re.compile(r"/verify/"))
    assert "1021/QĐ-UBND" in page.content()
    page.go_back()
    page.set_viewport_size(DESKTOP)
    _no_sideways_scroll(page)
    page.screenshot(path=str(artifacts_dir / "cooperative-1280.png"), full_page=True)
