"""A cooperative's public page: logo, story, commune and province, the certificates it holds
now (each with its verification link) and its public products as catalog cards. Only public
data; cached like the other catalog pages, and out of date the moment the profile changes."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest

from storefront.core.clock import today
from storefront.core.files import Upload
from storefront.domain.cooperatives.profile import ProfileChange, update_profile
from storefront.models import CertificateStatus, CooperativeStatus, ListingStatus, MemberRole
from tests.fixtures.app import count_queries
from tests.fixtures.pages import card_names, html
from tests.fixtures.seller import member_of, png_bytes

LUC_NGAN = 7582  # Xã Lục Ngạn, Bắc Ninh


@pytest.fixture
def coop(make):
    return make.cooperative(
        legal_name="HTX Vải thiều Hồng Xuân",
        slug="htx-hong-xuan",
        commune=make.commune(LUC_NGAN),
        description="46 hộ trồng vải **VietGAP** <script>alert(1)</script>",
        phone="0912345678",
        email="bimat@htx.vn",
        address="Thôn Bí Mật 9",
    )


@pytest.fixture
def stocked(make, coop):
    """Two public listings, one hidden (draft), a certificate of each kind, another shop."""
    vai = make.listing(
        coop=coop,
        name="Vải thiều Lục Ngạn",
        cert=make.certificate(
            coop, stars=4, number="DEMO-0001/QĐ-UBND", product_name="Vải thiều Lục Ngạn"
        ),
    )
    mat = make.listing(
        coop=coop,
        name="Mật ong hoa vải",
        cert=make.certificate(
            coop, stars=3, number="DEMO-0002/QĐ-UBND", product_name="Mật ong hoa vải"
        ),
    )
    # Its certificate is held (verified, valid) though the draft is not on sale.
    make.listing(coop=coop, name="Vải sấy bản nháp", status=ListingStatus.DRAFT)
    make.certificate(coop, status=CertificateStatus.SUBMITTED, number="CHO-1/QĐ-UBND")
    make.certificate(coop, status=CertificateStatus.REVOKED, number="THU-HOI-1/QĐ-UBND")
    make.certificate(
        coop,
        number="HET-HAN-1/QĐ-UBND",
        issued_on=today() - timedelta(days=1200),
        expires_on=today() - timedelta(days=1),
    )
    make.listing(name="Gốm của hợp tác xã khác")
    return {"vai": vai, "mat": mat}


def test_the_page_shows_who_the_cooperative_is(client, coop, stocked):
    page = html(client.get("/cooperatives/htx-hong-xuan"))
    assert "<h1" in page and "HTX Vải thiều Hồng Xuân" in page
    assert "Xã Lục Ngạn, Thành phố Bắc Ninh" in page
    assert "<strong>VietGAP</strong>" in page and "<script>alert(1)</script>" not in page
    # Contact details are for the Association, not the public.
    for private in ("0912345678", "bimat@htx.vn", "Thôn Bí Mật 9"):
        assert private not in page


def test_only_the_certificates_held_now_each_with_its_verification_link(client, coop, stocked):
    page = html(client.get("/cooperatives/htx-hong-xuan"))
    for number in ("DEMO-0001/QĐ-UBND", "DEMO-0002/QĐ-UBND"):
        assert number in page
        assert f'href="/verify/{number.replace("Đ", "%C4%90")}"' in page
    for hidden in ("CHO-1", "THU-HOI-1", "HET-HAN-1"):
        assert hidden not in page
    assert page.index("DEMO-0001") < page.index("DEMO-0002")  # 4 stars first


def test_its_public_products_as_catalog_cards(client, coop, stocked):
    page = html(client.get("/cooperatives/htx-hong-xuan"))
    assert card_names(page) == ["Mật ong hoa vải", "Vải thiều Lục Ngạn"]  # by name
    assert "Vải sấy bản nháp" not in page and "Gốm của hợp tác xã khác" not in page
    assert '<ul class="cards">' in page


def test_the_logo_is_shown_when_there_is_one(client, coop, stocked, app):
    page = html(client.get("/cooperatives/htx-hong-xuan"))
    assert "/media/logos/" not in page
    owner = member_of(coop, MemberRole.OWNER)
    update_profile(coop.id, owner, _change(coop), logo=Upload("l.png", io.BytesIO(png_bytes())))
    page = html(client.get("/cooperatives/htx-hong-xuan"))
    assert re.search(rf'<img src="/media/logos/{coop.logo}-card.webp"[^>]*width="96"', page)
    assert f'og:image" content="http://localhost/media/logos/{coop.logo}-card.webp"' in page


def _change(coop, **kw) -> ProfileChange:
    data = {
        "description": coop.description,
        "phone": coop.phone,
        "email": coop.email,
        "address": coop.address,
    }
    data.update(kw)
    return ProfileChange(**data)


def test_a_profile_change_shows_at_once_on_the_cached_page(client, coop, stocked, db):
    owner = member_of(coop, MemberRole.OWNER)
    first = html(client.get("/cooperatives/htx-hong-xuan"))
    with count_queries(db.engine) as statements:
        again = html(client.get("/cooperatives/htx-hong-xuan"))
    assert len(statements) == 1 and "catalog_state" in statements[0]  # served from the cache
    assert "46 hộ" in first and "46 hộ" in again
    update_profile(coop.id, owner, _change(coop, description="Câu chuyện mới của HTX"))
    page = html(client.get("/cooperatives/htx-hong-xuan"))
    assert "Câu chuyện mới của HTX" in page and "46 hộ" not in page
    # A change of the phone number alone shows nowhere public and keeps the cached page.
    update_profile(
        coop.id, owner, _change(coop, description="Câu chuyện mới của HTX", phone="0987654321")
    )
    with count_queries(db.engine) as statements:
        client.get("/cooperatives/htx-hong-xuan")
    assert len(statements) == 1


def test_a_certificate_verified_or_revoked_shows_at_once(client, coop, stocked, db):
    assert "DEMO-0002/QĐ-UBND" in html(client.get("/cooperatives/htx-hong-xuan"))
    cert = stocked["mat"].certificate
    cert.status = CertificateStatus.REVOKED
    db.session.commit()
    page = html(client.get("/cooperatives/htx-hong-xuan"))
    assert "DEMO-0002/QĐ-UBND" not in page and "Mật ong hoa vải" not in card_names(page)


def test_the_query_count_does_not_grow_with_the_products(client, make, coop, db):
    def queries_for(n: int) -> int:
        for i in range(n):
            make.listing(
                coop=coop,
                name=f"Vải sấy {i}",
                cert=make.certificate(coop),
                packages=[{"label": f"Gói {j}", "price": 50_000 + j, "stock": 3} for j in range(3)],
            )
        with count_queries(db.engine) as statements:
            assert client.get("/cooperatives/htx-hong-xuan").status_code == 200
        return len(statements)

    few = queries_for(2)
    many = queries_for(20)
    assert few == many
    assert many <= 8


def test_a_cooperative_not_approved_is_a_preview_for_its_members_only(client, auth, make):
    applied = make.cooperative(
        status=CooperativeStatus.APPLIED, slug="htx-moi", legal_name="HTX Mới nộp đơn"
    )
    assert client.get("/cooperatives/htx-moi").status_code == 404
    assert client.get("/cooperatives/khong-co").status_code == 404
    member = member_of(applied, MemberRole.STAFF)
    auth.login(member)
    response = client.get("/cooperatives/htx-moi")
    assert response.status_code == 200
    page = html(response)
    assert "HTX Mới nộp đơn" in page and '<meta name="robots" content="noindex">' in page
    auth.logout()
    assert client.get("/cooperatives/htx-moi").status_code == 404  # the preview was not cached


def test_the_page_in_english(client, coop, stocked):
    client.get("/?lang=en")
    page = html(client.get("/cooperatives/htx-hong-xuan"))
    assert 'lang="en"' in page
    facts = re.search(r"coop-hero__facts\">(.*?)</ul>", page, re.S).group(1)
    assert "2 products on sale" in facts and "3 valid OCOP certificates" in facts, facts
    assert "Check this certificate" in page
