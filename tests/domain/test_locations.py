"""Administrative units: current and pre-2025, with the 2025 old → new mapping."""

from __future__ import annotations

from sqlalchemy import exists, func, select

from storefront.domain.locations import (
    current_commune,
    describe_unit,
    former_communes,
    legacy_commune,
    load_admin_units,
    successors,
)
from storefront.models import AdminUnit, AdminUnitSuccession, Era, Level


def count(db, era, level):
    return db.session.scalar(
        select(func.count()).where(AdminUnit.era == era, AdminUnit.level == level)
    )


def test_current_and_pre_2025_units_are_loaded(db):
    assert count(db, Era.CURRENT, Level.PROVINCE) == 34
    assert 3000 < count(db, Era.CURRENT, Level.COMMUNE) < 3500
    assert count(db, Era.LEGACY, Level.PROVINCE) == 63
    assert count(db, Era.LEGACY, Level.DISTRICT) > 600
    assert count(db, Era.LEGACY, Level.COMMUNE) > 10_000


def test_loading_again_adds_nothing(db):
    assert set(load_admin_units().values()) == {0}


def test_old_commune_maps_to_its_current_commune(db):
    tan_hoa = legacy_commune(7567)  # Xã Tân Hoa, Huyện Lục Ngạn, Tỉnh Bắc Giang
    assert tan_hoa.name == "Xã Tân Hoa"
    assert tan_hoa.parent.name == "Huyện Lục Ngạn"
    assert tan_hoa.province.name == "Tỉnh Bắc Giang"
    assert [unit.name for unit in successors(tan_hoa)] == ["Xã Lục Ngạn"]


def test_an_origin_reads_right_in_both_eras(db):
    luc_ngan = current_commune(7582)
    assert describe_unit(luc_ngan) == "Xã Lục Ngạn, Bắc Ninh"
    assert describe_unit(legacy_commune(7567)) == "Xã Tân Hoa, Huyện Lục Ngạn, Bắc Giang"
    assert luc_ngan.short_name == "Lục Ngạn"
    assert luc_ngan.province.short_name == "Bắc Ninh"


def test_codes_are_unique_only_within_an_era(db):
    # The same number can name different units before and after 2025.
    assert legacy_commune(7582).name == "Thị trấn Phì Điền"
    assert current_commune(7582).name == "Xã Lục Ngạn"
    assert [unit.name for unit in successors(legacy_commune(7582))] == ["Xã Lục Ngạn"]


def test_every_pre_2025_commune_has_a_successor(db):
    """The package's conversion table leaves 28 pre-2025 communes out; the loader fills them
    in, so every pre-2025 commune can be recorded as an origin."""
    orphans = db.session.scalars(
        select(AdminUnit.name).where(
            AdminUnit.era == Era.LEGACY,
            AdminUnit.level == Level.COMMUNE,
            ~exists().where(AdminUnitSuccession.old_id == AdminUnit.id),
        )
    ).all()
    assert orphans == []


def test_thi_tran_yen_chau_became_part_of_xa_yen_chau(db):
    town = legacy_commune(4060)
    assert town.name == "Thị trấn Yên Châu"
    assert [u.name for u in successors(town)] == ["Xã Yên Châu"]
    assert "Thị trấn Yên Châu" in [u.name for u in former_communes(4075)]
