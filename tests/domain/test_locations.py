"""Administrative units: current and pre-2025, with the 2025 old → new mapping."""

from __future__ import annotations

from sqlalchemy import delete, exists, func, insert, select, update

from storefront.domain.locations import (
    KNOWN_SUCCESSIONS,
    NARROWED_SUCCESSIONS,
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


def succession_rows(db, old_code):
    """(current commune name, partial) for the pre-2025 commune `old_code`, by name."""
    old = legacy_commune(old_code)
    return sorted(
        db.session.execute(
            select(AdminUnit.name, AdminUnitSuccession.partial)
            .join(AdminUnitSuccession, AdminUnitSuccession.new_id == AdminUnit.id)
            .where(AdminUnitSuccession.old_id == old.id)
        ).all()
    )


def test_communes_merged_before_2025_map_to_the_commune_that_took_them_in(db):
    """Communes the conversion table leaves out, merged into a neighbour before 2025: each maps
    to the current commune its neighbour became, not to a guess from codes nearby."""
    cases = {
        # Yên Dũng (Bắc Giang): Xã Tân An went into Thị trấn Tân An, Nham Sơn and Thắng Cương
        # into Thị trấn Nham Biền (2019); nearby codes would say Phường Tân Tiến/Tiền Phong,
        # Phường Cảnh Thụy/Xã Đồng Việt.
        7693: ("Xã Tân An", [("Phường Tân An", False)]),
        7732: ("Xã Nham Sơn", [("Phường Yên Dũng", False)]),
        7744: ("Xã Thắng Cương", [("Phường Yên Dũng", False)]),
        # Cát Tiên (Lâm Đồng): into Nam Ninh, Quảng Ngãi and Thị trấn Cát Tiên.
        25174: ("Xã Mỹ Lâm", [("Xã Cát Tiên", False)]),
        25177: ("Xã Tư Nghĩa", [("Xã Cát Tiên", False)]),
        25186: ("Xã Phù Mỹ", [("Xã Cát Tiên", False)]),
        # Thuận Châu (Sơn La): split between Thị trấn Thuận Châu and Xã Phổng Ly.
        3751: ("Xã Chiềng Ly", [("Xã Thuận Châu", False)]),
        # Lộc Hà (Hà Tĩnh): merged with An Lộc into Xã Bình An.
        18448: ("Xã Bình Lộc", [("Xã Lộc Hà", False)]),
        # Phú Nhuận: the 2025 Phường 15 was split between two wards.
        27067: ("Phường 15", [("Phường Cầu Kiệu", True), ("Phường Phú Nhuận", True)]),
        # Nam Đông (Huế): merged with Hương Giang into Xã Hương Xuân (2019).
        20176: ("Xã Hương Hòa", [("Xã Nam Đông", False)]),
        27217: ("Phường 11", [("Phường Phú Thọ", False)]),
        27223: ("Phường 10", [("Phường Bình Thới", False)]),
    }
    for code, (name, expected) in cases.items():
        assert legacy_commune(code).name == name
        assert succession_rows(db, code) == expected, name
    assert "Xã Tân An" in [u.name for u in former_communes(7682)]


def test_every_known_succession_is_loaded_as_listed(db):
    for old_code, new_codes in (KNOWN_SUCCESSIONS | NARROWED_SUCCESSIONS).items():
        assert sorted(u.code for u in successors(legacy_commune(old_code))) == sorted(new_codes)
    # Narrowed ones are partial: Xã Tà Lai (Mộc Châu) went to one of two communes.
    assert succession_rows(db, 4003) == [("Xã Tân Yên", True), ("Xã Đoàn Kết", True)]


def test_loading_again_fixes_successions_an_earlier_load_inferred_differently(db):
    """Installs loaded before KNOWN_SUCCESSIONS grew keep the neighbour guesses: a re-load
    deletes them and corrects `partial`, leaving the rows the table gives untouched."""
    tan_an = legacy_commune(7693)
    wrong = current_commune(7699)  # Phường Tân Tiến, a neighbour's successor
    right = current_commune(7682)
    db.session.execute(
        insert(AdminUnitSuccession), [{"old_id": tan_an.id, "new_id": wrong.id, "partial": True}]
    )
    db.session.execute(
        update(AdminUnitSuccession)
        .where(AdminUnitSuccession.old_id == tan_an.id, AdminUnitSuccession.new_id == right.id)
        .values(partial=True)
    )
    db.session.commit()
    try:
        added = load_admin_units()
        assert added["successions removed"] == 1
        assert added["successions corrected"] == 1
        assert added["successions"] == 0
        assert succession_rows(db, 7693) == [("Phường Tân An", False)]
        assert set(load_admin_units().values()) == {0}
    finally:
        db.session.rollback()
        db.session.execute(
            delete(AdminUnitSuccession).where(
                AdminUnitSuccession.old_id == tan_an.id, AdminUnitSuccession.new_id == wrong.id
            )
        )
        db.session.commit()
        load_admin_units()


def test_a_deleted_succession_comes_back_on_the_next_load(db):
    chieng_ly = legacy_commune(3751)
    db.session.execute(
        delete(AdminUnitSuccession).where(AdminUnitSuccession.old_id == chieng_ly.id)
    )
    db.session.commit()
    assert load_admin_units()["successions"] == 1
    assert [u.name for u in successors(chieng_ly)] == ["Xã Thuận Châu"]
