"""PFA staff see, where they review a certificate, that a seller confirmed a pre-2025 commune
outside the 2025 succession data."""

from __future__ import annotations

from storefront.domain.catalog.listings import ListingInput, create_listing
from tests.fixtures import factories
from tests.fixtures.seller import seller

HA_DONG_VAN_QUAN = 9542  # Phường Văn Quán, Quận Hà Đông, Hà Nội (pre-2025)


def _listing(user, coop, cert, legacy, exception):
    return create_listing(
        coop.id,
        user,
        ListingInput(
            name="Vải thiều",
            description="",
            ocop_group=1,
            origin_commune_code=factories.LUC_NGAN_COMMUNE,
            origin_legacy_commune_code=legacy,
            origin_legacy_exception=exception,
            certificate_id=cert.id,
        ),
    )


def test_the_certificate_page_shows_a_confirmed_exception(client, auth, db, staff):
    user, coop = seller()
    user.name = "Lê Văn Bán"
    db.session.commit()
    cert = factories.certificate(coop)
    _listing(user, coop, cert, HA_DONG_VAN_QUAN, exception=True)
    auth.login(staff)
    page = client.get(f"/pfa/certificates/{cert.id}").get_data(as_text=True)
    assert "Xã cũ do người bán xác nhận" in page
    assert "Lê Văn Bán" in page and "Phường Văn Quán" in page


def test_no_mark_without_an_exception(client, auth, db, staff):
    user, coop = seller()
    cert = factories.certificate(coop)
    _listing(user, coop, cert, factories.TAN_HOA_LEGACY_COMMUNE, exception=False)
    auth.login(staff)
    page = client.get(f"/pfa/certificates/{cert.id}").get_data(as_text=True)
    assert "Xã Tân Hoa" in page
    assert "Xã cũ do người bán xác nhận" not in page
