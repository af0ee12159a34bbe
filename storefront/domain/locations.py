"""Administrative units: loading them from `vietnam-provinces`, the one place that looks
provinces and communes up (forms, the /communes JSON, addresses, origins), describing an origin."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from storefront.core.db import unit_of_work
from storefront.core.text import unit_sort_key
from storefront.extensions import db
from storefront.models import AdminUnit, AdminUnitSuccession, Era, Level, Listing

PACKAGE_VERSION = "2026.9.0"  # codes differ between releases: pinned in pyproject.toml too


def _existing_ids(era: Era, level: Level) -> dict[int, int]:
    rows = db.session.execute(
        select(AdminUnit.code, AdminUnit.id).where(AdminUnit.era == era, AdminUnit.level == level)
    )
    return dict(rows.all())


def _insert_missing(era: Era, level: Level, rows: list[dict[str, Any]]) -> int:
    existing = _existing_ids(era, level)
    new_rows = [{"era": era, "level": level, **row} for row in rows if row["code"] not in existing]
    if new_rows:
        db.session.execute(insert(AdminUnit), new_rows)
    return len(new_rows)


def load_admin_units(progress: Callable[[str], None] = lambda message: None) -> dict[str, int]:
    """Load current and pre-2025 units and the 2025 successions; idempotent, one commit.

    Returns how many rows of each kind were added, and how many successions of the communes
    the conversion table leaves out were removed or corrected (rows an earlier release of
    this module inferred differently); all zero on a second run.
    """
    with unit_of_work():
        return _load_admin_units(progress)


def _load_admin_units(progress: Callable[[str], None]) -> dict[str, int]:
    # Imported here: only this command needs the package's data, and loading it is slow.
    import vietnam_provinces as vp
    from vietnam_provinces import legacy
    from vietnam_provinces._ward_conversion_2025 import NEW_TO_OLD  # public API lacks "partial"

    if vp.__version__ != PACKAGE_VERSION:
        raise RuntimeError(
            f"vietnam-provinces {vp.__version__} is installed;"
            f" codes are pinned to {PACKAGE_VERSION}"
        )
    added: dict[str, int] = {}

    def unit(obj: Any, **extra: Any) -> dict[str, Any]:
        return {
            "code": int(obj.code),
            "name": obj.name,
            "division_type": str(obj.division_type.value),
            "codename": obj.codename,
            **extra,
        }

    progress("current provinces")
    added["current provinces"] = _insert_missing(
        Era.CURRENT, Level.PROVINCE, [unit(p) for p in vp.Province.iter_all()]
    )
    provinces = _existing_ids(Era.CURRENT, Level.PROVINCE)
    progress("current communes")
    added["current communes"] = _insert_missing(
        Era.CURRENT,
        Level.COMMUNE,
        [
            unit(
                w,
                parent_id=provinces[int(w.province_code)],
                province_id=provinces[int(w.province_code)],
            )
            for w in vp.Ward.iter_all()
        ],
    )

    progress("pre-2025 provinces")
    added["legacy provinces"] = _insert_missing(
        Era.LEGACY, Level.PROVINCE, [unit(p) for p in legacy.Province.iter_all()]
    )
    old_provinces = _existing_ids(Era.LEGACY, Level.PROVINCE)
    progress("pre-2025 districts")
    added["legacy districts"] = _insert_missing(
        Era.LEGACY,
        Level.DISTRICT,
        [
            unit(
                d,
                parent_id=old_provinces[int(d.province_code)],
                province_id=old_provinces[int(d.province_code)],
            )
            for d in legacy.District.iter_all()
        ],
    )
    old_districts = _existing_ids(Era.LEGACY, Level.DISTRICT)
    district_province = dict(
        db.session.execute(
            select(AdminUnit.id, AdminUnit.province_id).where(
                AdminUnit.era == Era.LEGACY, AdminUnit.level == Level.DISTRICT
            )
        ).all()
    )
    progress("pre-2025 communes")
    legacy_communes = []
    for w in legacy.Ward.iter_all():
        district_id = old_districts[int(w.district_code)]
        legacy_communes.append(
            unit(w, parent_id=district_id, province_id=district_province[district_id])
        )
    added["legacy communes"] = _insert_missing(Era.LEGACY, Level.COMMUNE, legacy_communes)

    progress("2025 successions")
    communes = _existing_ids(Era.CURRENT, Level.COMMUNE)
    old_communes = _existing_ids(Era.LEGACY, Level.COMMUNE)
    wanted: dict[tuple[int, int], bool] = {}
    for new_code, entry in NEW_TO_OLD.items():
        new_id = communes.get(new_code)
        if new_id is None:
            continue
        for old in entry.old_wards:
            old_id = old_communes.get(old.code)
            if old_id is not None:
                wanted[(old_id, new_id)] = old.is_partly_merged
    orphans = _orphan_successions(legacy, NEW_TO_OLD)
    orphan_ids = {old_communes[code] for code in orphans if code in old_communes}
    for code, (new_codes, partial) in orphans.items():
        for new_code in new_codes:
            if code in old_communes and new_code in communes:
                wanted[(old_communes[code], communes[new_code])] = partial
    added.update(_sync_successions(wanted, orphan_ids))
    return added


def _sync_successions(wanted: dict[tuple[int, int], bool], orphan_ids: set[int]) -> dict[str, int]:
    """Insert the successions missing; for the communes the table leaves out (whose rows a
    release of this module may correct), delete the rows no longer wanted and fix `partial`.
    Rows of communes the table covers are never deleted."""
    existing = {
        (old_id, new_id): partial
        for old_id, new_id, partial in db.session.execute(
            select(
                AdminUnitSuccession.old_id,
                AdminUnitSuccession.new_id,
                AdminUnitSuccession.partial,
            )
        ).all()
    }
    missing = [pair for pair in wanted if pair not in existing]
    if missing:
        db.session.execute(
            insert(AdminUnitSuccession),
            [{"old_id": o, "new_id": n, "partial": wanted[(o, n)]} for o, n in missing],
        )
    stale = [pair for pair in existing if pair[0] in orphan_ids and pair not in wanted]
    for old_id, new_id in stale:
        db.session.execute(
            delete(AdminUnitSuccession).where(
                AdminUnitSuccession.old_id == old_id, AdminUnitSuccession.new_id == new_id
            )
        )
    flipped = [
        pair
        for pair, partial in existing.items()
        if pair[0] in orphan_ids and pair in wanted and wanted[pair] != partial
    ]
    for old_id, new_id in flipped:
        db.session.execute(
            update(AdminUnitSuccession)
            .where(AdminUnitSuccession.old_id == old_id, AdminUnitSuccession.new_id == new_id)
            .values(partial=wanted[(old_id, new_id)])
        )
    return {
        "successions": len(missing),
        "successions removed": len(stale),
        "successions corrected": len(flipped),
    }


# Pre-2025 communes the package's conversion table (2026.9.0) leaves out, with the current
# communes they became part of. Most were merged into a neighbour before 2025 (the Standing
# Committee's 2019-2020 and 2023-2025 resolutions on commune rearrangement, "NQ ... /NQ-UBTVQH")
# and the table lists that neighbour, or the unit the merger formed, instead. Several successors
# mean the commune was split among them (marked partial, as the table does).
KNOWN_SUCCESSIONS: dict[int, tuple[int, ...]] = {
    # Sơn La, NQ 1280/NQ-UBTVQH15 (14/11/2024, in force 1/2/2025).
    3751: (3721,),  # Xã Chiềng Ly (Thuận Châu): part into Thị trấn Thuận Châu (3721), the
    # rest into the new Xã Phổng Ly (the table's 3748 "Phổng Lăng"); both → Xã Thuận Châu 3721.
    3898: (3910,),  # Thị trấn Phù Yên: into the new Thị trấn Quang Huy (the table's 3910
    # "Quang Huy") → Xã Phù Yên 3910.
    3913: (3910,),  # Xã Huy Bắc (Phù Yên): part into Thị trấn Quang Huy, the rest into its
    # neighbours Huy Hạ/Huy Thượng/Huy Tân/Huy Tường; all → Xã Phù Yên 3910.
    4060: (4075,),  # Thị trấn Yên Châu → Xã Yên Châu 4075 (the new commune kept its name).
    # Bắc Giang, Yên Dũng, 2019-2020 rearrangement (provincial council's plan, Báo Bắc Giang):
    # "nhập xã Tân An với thị trấn Tân Dân để thành lập thị trấn Tân An; nhập xã Thắng Cương
    # và xã Nham Sơn vào thị trấn Neo để thành lập thị trấn Nham Biền". The merged towns have
    # the new codes 7682/7681, which the table maps to Phường Tân An 7682 / Phường Yên Dũng 7681.
    7693: (7682,),  # Xã Tân An → Phường Tân An
    7732: (7681,),  # Xã Nham Sơn → Phường Yên Dũng
    7744: (7681,),  # Xã Thắng Cương → Phường Yên Dũng
    # Thanh Hóa, Đông Sơn: after the rearrangement of 16/10/2019 (UBTVQH14) the district had
    # 14 units, one Xã Đông Khê (the table's 16408, with Đông Anh's code) and no Đông Xuân (the
    # old district seat, "nay là thị trấn Rừng Thông"). Every unit around the two (Rừng Thông,
    # Đông Ninh, Đông Hòa, Đông Khê 16408, Đông Thịnh) → Phường Đông Sơn 16378 in the table.
    16387: (16378,),  # Xã Đông Khê (the older code)
    16411: (16378,),  # Xã Đông Xuân
    # Hà Tĩnh, Lộc Hà (NQ 819/NQ-UBTVQH14, 2019): "thành lập xã Bình An trên cơ sở nhập ...
    # xã An Lộc và ... xã Bình Lộc"; the table has Xã Bình An 18430 → Xã Lộc Hà 18568.
    18448: (18568,),  # Xã Bình Lộc
    # Quảng Nam, Nông Sơn: the name is kept by Xã Quế Phước 20669, formed from the Nông Sơn
    # communes around it (Ninh Phước, Phước Ninh, Quế Lâm).
    20674: (20669,),  # Xã Quế Phước
    # Huế, Nam Đông (NQ 834/NQ-UBTVQH14, 2019): "sáp nhập 2 xã Hương Giang – Hương Hòa thành
    # xã Hương Xuân"; the table has Xã Hương Xuân 20179 → Xã Nam Đông 20179.
    20176: (20179,),  # Xã Hương Hòa
    # Lâm Đồng, Đạ Huoai/Cát Tiên.
    25102: (25105,),  # Xã Đạ M'ri: into Thị trấn Đạ M'ri by NQ 833/NQ-UBTVQH14 (2019);
    # Thị trấn Đạ M'ri 25096 → Xã Đạ Huoai 2 25105 in the table.
    25174: (25159,),  # Xã Mỹ Lâm: into Xã Nam Ninh (UBTVQH15 resolution of 2024 on Lâm Đồng,
    # in force 1/12/2024, which also joined Cát Tiên and Đạ Tẻh to Đạ Huoai); Nam Ninh
    # 25171 → Xã Cát Tiên 25159 in the table.
    25177: (25159,),  # Xã Tư Nghĩa: into Xã Quảng Ngãi (same resolution); Quảng Ngãi 25189 →
    # Xã Cát Tiên 25159.
    25186: (25159,),  # Xã Phù Mỹ: into Thị trấn Đồng Nai, renamed Thị trấn Cát Tiên (Government
    # resolution, 2020); Thị trấn Cát Tiên 25159 → Xã Cát Tiên 25159.
    # Hồ Chí Minh City: NQ 1278/NQ-UBTVQH15 merged these wards on 1/1/2025 into units the
    # table lists under codes the package's pre-2025 list lacks (one per merged unit, in the
    # same district); the 2025 wards are NQ 1685/NQ-UBTVQH15's.
    26935: (26929,),  # Bình Thạnh Phường 14 → unit 26929 → Phường Bình Thạnh (P.12, 14, 26)
    26959: (26956,),  # Bình Thạnh Phường 19 → unit 26953 → Phường Thạnh Mỹ Tây (P.19, 22, 25)
    27067: (27058, 27073),  # Phú Nhuận Phường 15 → unit 27076, split between Phường Cầu Kiệu
    # and Phường Phú Nhuận.
    27217: (27226,),  # Quận 11 Phường 11 → unit 27226 → Phường Phú Thọ (P.11, 15, part of 8)
    27223: (27232,),  # Quận 11 Phường 10 → unit 27232 → Phường Bình Thới (P.3, 10, part of 8)
    27361: (27367,),  # Quận 6 Phường 2 → unit 27367 → Phường Bình Tây (P.2, 9)
    27379: (27373,),  # Quận 6 Phường 1 → unit 27373 → Phường Bình Tiên (P.1, 7, 8)
}
# Not established, but narrowed: Mộc Châu (Sơn La) became a town on 1/2/2025 (NQ
# 1280/NQ-UBTVQH15) and Xã Tân Hợp, Xã Qui Hướng and Xã Tà Lai disappeared into its new units.
# The statistics office's list of 1/3/2025 (as kept by github.com/daohoangson/dvhcvn) keeps,
# among its communes, only Xã Tân Yên (Tân Lập's code 3997) and Xã Đoàn Kết (Nà Mường's code
# 4000) as units that could have taken them in, and both became today's communes of those
# codes (NQ 1681/NQ-UBTVQH15 left Tân Yên as it was and joined Đoàn Kết with Chiềng Chung).
# Which of the two took which commune is not known here: both, marked partial. (Neighbours by
# code would say Xã Chiềng Sơn, which took in only Xã Chiềng Xuân, and Phường Mộc Châu.)
NARROWED_SUCCESSIONS: dict[int, tuple[int, ...]] = {
    3988: (3997, 4000),  # Xã Tân Hợp
    3991: (3997, 4000),  # Xã Qui Hướng
    4003: (3997, 4000),  # Xã Tà Lai
}
# Inferred from neighbours: 1651 Xã Mỹ Hưng (Quảng Hòa, Cao Bằng) and 2482 Xã Phú Thịnh (Yên
# Sơn, Tuyên Quang) were still communes on 1/3/2025 and are simply missing from the table; the
# 2025 resolutions that placed them were not found.


def _orphan_successions(legacy: Any, new_to_old: Any) -> dict[int, tuple[tuple[int, ...], bool]]:
    """Current commune codes for each pre-2025 commune the conversion table leaves out (28 in
    2026.9.0), with whether it is partial: from KNOWN_SUCCESSIONS, NARROWED_SUCCESSIONS
    (partial), or else the successors of its nearest neighbours by code in the same pre-2025
    district, marked partial. From the
    package's data alone, so every load computes the same rows."""
    new_of_old: dict[int, set[int]] = {}
    for new_code, entry in new_to_old.items():
        for old in entry.old_wards:
            new_of_old.setdefault(old.code, set()).add(new_code)
    by_district: dict[int, list[int]] = {}
    for w in legacy.Ward.iter_all():
        by_district.setdefault(int(w.district_code), []).append(int(w.code))
    found: dict[int, tuple[tuple[int, ...], bool]] = {}
    for codes in by_district.values():
        codes.sort()
        for i, code in enumerate(codes):
            if code in new_of_old:
                continue
            if code in KNOWN_SUCCESSIONS:
                known = KNOWN_SUCCESSIONS[code]
                found[code] = (known, len(known) > 1)
                continue
            if code in NARROWED_SUCCESSIONS:
                found[code] = (NARROWED_SUCCESSIONS[code], True)
                continue
            inferred: set[int] = set()
            # The nearest neighbour on each side that has successors.
            for side in (reversed(codes[:i]), codes[i + 1 :]):
                for n in side:
                    if n in new_of_old:
                        inferred |= new_of_old[n]
                        break
            found[code] = (tuple(sorted(inferred)), True)
    return found


def admin_units_loaded() -> bool:
    count = db.session.scalar(
        select(func.count()).where(AdminUnit.era == Era.CURRENT, AdminUnit.level == Level.COMMUNE)
    )
    return bool(count)


# --- lookups ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """A province or commune as a form's choice: its official code and its name."""

    code: int
    name: str


def provinces() -> list[Place]:
    """Today's provinces and centrally run cities, alphabetically."""
    rows = db.session.execute(
        select(AdminUnit.code, AdminUnit.name).where(
            AdminUnit.era == Era.CURRENT, AdminUnit.level == Level.PROVINCE
        )
    )
    return sorted((Place(code, name) for code, name in rows), key=lambda p: unit_sort_key(p.name))


def communes_of(province_code: int | None) -> list[Place]:
    """Today's communes, wards and special zones of one province, alphabetically."""
    if province_code is None:
        return []
    province = db.session.scalar(
        select(AdminUnit.id).where(
            AdminUnit.era == Era.CURRENT,
            AdminUnit.level == Level.PROVINCE,
            AdminUnit.code == province_code,
        )
    )
    if province is None:
        return []
    rows = db.session.execute(
        select(AdminUnit.code, AdminUnit.name).where(
            AdminUnit.era == Era.CURRENT,
            AdminUnit.level == Level.COMMUNE,
            AdminUnit.province_id == province,
        )
    )
    return sorted((Place(code, name) for code, name in rows), key=lambda p: unit_sort_key(p.name))


def _commune(era: Era, code: int | None) -> AdminUnit | None:
    if not code:
        return None
    return db.session.scalar(
        select(AdminUnit).where(
            AdminUnit.era == era, AdminUnit.level == Level.COMMUNE, AdminUnit.code == code
        )
    )


def current_commune(code: int | None) -> AdminUnit | None:
    """Today's commune with official code `code` (None for a pre-2025 or unknown code)."""
    return _commune(Era.CURRENT, code)


def legacy_commune(code: int | None) -> AdminUnit | None:
    """The pre-2025 commune with official code `code`."""
    return _commune(Era.LEGACY, code)


def current_commune_by_id(commune_id: int | None) -> AdminUnit | None:
    """A current (post-2025) commune by row id, the only kind an address may name."""
    if not commune_id:
        return None
    return db.session.scalar(
        select(AdminUnit).where(
            AdminUnit.id == commune_id,
            AdminUnit.era == Era.CURRENT,
            AdminUnit.level == Level.COMMUNE,
        )
    )


def province_of_commune(commune_code: int | None) -> int | None:
    """The province code of today's commune `commune_code`."""
    if not commune_code:
        return None
    province = db.aliased(AdminUnit)
    return db.session.scalar(
        select(province.code)
        .join(AdminUnit, AdminUnit.province_id == province.id)
        .where(
            AdminUnit.era == Era.CURRENT,
            AdminUnit.level == Level.COMMUNE,
            AdminUnit.code == commune_code,
        )
    )


def former_communes(commune_code: int | None) -> list[AdminUnit]:
    """The pre-2025 communes that became (part of) today's commune `commune_code`."""
    current = current_commune(commune_code)
    if current is None:
        return []
    return list(
        db.session.scalars(
            select(AdminUnit)
            .join(AdminUnitSuccession, AdminUnitSuccession.old_id == AdminUnit.id)
            .where(AdminUnitSuccession.new_id == current.id)
            .order_by(AdminUnit.codename)
        )
    )


def successors(legacy_unit: AdminUnit) -> list[AdminUnit]:
    """Current communes a pre-2025 commune became part of."""
    return list(
        db.session.scalars(
            select(AdminUnit)
            .join(AdminUnitSuccession, AdminUnitSuccession.new_id == AdminUnit.id)
            .where(AdminUnitSuccession.old_id == legacy_unit.id)
            .order_by(AdminUnit.code)
        )
    )


def describe_unit(unit: AdminUnit) -> str:
    """ "Xã Lục Ngạn, Bắc Ninh" or, pre-2025, "Xã Tân Hoa, Huyện Lục Ngạn, Bắc Giang"."""
    parts = [unit.name]
    parent = unit.parent
    while parent is not None:
        parts.append(parent.short_name if parent.level is Level.PROVINCE else parent.name)
        parent = parent.parent
    return ", ".join(parts)


def origin_text(listing: Listing) -> str:
    """Today's commune, with the former units when the origin was recorded before 2025."""
    current = describe_unit(listing.origin_commune)
    if listing.origin_legacy_commune is not None:
        return f"{current} ({describe_unit(listing.origin_legacy_commune)})"
    return current


def legacy_choices(commune_code: int | None) -> tuple[list[AdminUnit], list[AdminUnit]]:
    """The pre-2025 communes a seller may name for today's commune `commune_code`: first the
    ones it grew from, then the other communes of their pre-2025 provinces (an exception the
    seller must confirm)."""
    formed_from = former_communes(commune_code)
    province_ids = {unit.province_id for unit in formed_from}
    if not province_ids:
        return formed_from, []
    others = db.session.scalars(
        select(AdminUnit)
        .where(
            AdminUnit.era == Era.LEGACY,
            AdminUnit.level == Level.COMMUNE,
            AdminUnit.province_id.in_(province_ids),
            AdminUnit.id.not_in([unit.id for unit in formed_from]),
        )
        .order_by(AdminUnit.parent_id, AdminUnit.codename)
    )
    return formed_from, list(others)
