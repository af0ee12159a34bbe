"""A listing's pre-2025 commune must be one its current commune grew from, or a confirmed
exception (recorded with who and when)."""

from __future__ import annotations

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from storefront.core.errors import InvalidInput
from storefront.domain.catalog.listings import ListingInput, create_listing, update_listing
from storefront.models import Listing
from tests.fixtures import factories
from tests.fixtures.seller import seller

HA_DONG_VAN_QUAN = 9542  # Phường Văn Quán, Quận Hà Đông, Hà Nội (pre-2025)
THI_TRAN_YEN_CHAU = 4060  # Thị trấn Yên Châu, Huyện Yên Châu, Sơn La (pre-2025)
XA_YEN_CHAU = 4075  # today's Xã Yên Châu, Sơn La


def origin(commune, legacy=None, exception=False) -> ListingInput:
    return ListingInput(
        name="Vải thiều",
        description="",
        ocop_group=1,
        origin_commune_code=commune,
        origin_legacy_commune_code=legacy,
        origin_legacy_exception=exception,
    )


def test_a_pre_2025_commune_outside_the_succession_is_refused_naming_the_right_ones(db):
    user, coop = seller()
    with force_locale("vi"), pytest.raises(InvalidInput) as refused:
        create_listing(coop.id, user, origin(factories.LUC_NGAN_COMMUNE, HA_DONG_VAN_QUAN))
    message = refused.value.message
    assert "Phường Văn Quán" in message and "không nằm trong danh sách xã cũ hợp thành" in message
    assert "Xã Lục Ngạn" in message and "Xã Tân Hoa" in message  # the communes it grew from
    assert refused.value.details["field"] == "origin_legacy_commune"
    assert db.session.scalar(select(Listing)) is None


def test_a_pre_2025_commune_it_grew_from_is_accepted(db):
    user, coop = seller()
    listing = create_listing(
        coop.id, user, origin(factories.LUC_NGAN_COMMUNE, factories.TAN_HOA_LEGACY_COMMUNE)
    )
    assert listing.origin_legacy_commune.code == factories.TAN_HOA_LEGACY_COMMUNE
    assert listing.origin_legacy_exception is False
    assert listing.origin_legacy_confirmed_by_id is None


def test_a_confirmed_exception_is_recorded_with_who_and_when(db):
    user, coop = seller()
    listing = create_listing(
        coop.id, user, origin(factories.LUC_NGAN_COMMUNE, HA_DONG_VAN_QUAN, exception=True)
    )
    assert listing.origin_legacy_commune.code == HA_DONG_VAN_QUAN
    assert listing.origin_legacy_exception is True
    assert listing.origin_legacy_confirmed_by_id == user.id
    assert listing.origin_legacy_confirmed_at is not None

    # Back to a commune it grew from: the exception is cleared.
    listing = update_listing(
        listing.id,
        coop.id,
        user,
        origin(factories.LUC_NGAN_COMMUNE, factories.TAN_HOA_LEGACY_COMMUNE, exception=True),
    )
    assert listing.origin_legacy_exception is False
    assert listing.origin_legacy_confirmed_by_id is None
    assert listing.origin_legacy_confirmed_at is None


def test_thi_tran_yen_chau_can_be_recorded(db):
    user, coop = seller()
    listing = create_listing(coop.id, user, origin(XA_YEN_CHAU, THI_TRAN_YEN_CHAU))
    assert listing.origin_legacy_commune.name == "Thị trấn Yên Châu"
    assert listing.origin_legacy_exception is False
