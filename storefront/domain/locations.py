"""Administrative units: loading them from `vietnam-provinces`, the one place that looks
provinces and communes up (forms, the /communes JSON, addresses, origins), describing an origin."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select

from storefront.core.db import unit_of_work
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
    new_rows = [
        {"era": era, "level": level, **row} for row in rows if row["code"] not in existing
    ]
    if new_rows:
        db.session.execute(insert(AdminUnit), new_rows)
    return len(new_rows)


def load_admin_units(progress: Callable[[str], None] = lambda message: None) -> dict[str, int]:
    """Load current and pre-2025 units and the 2025 successions; idempotent, one commit.

    Returns how many rows of each kind were added (all zero on a second run).
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
    existing_pairs = set(
        db.session.execute(select(AdminUnitSuccession.old_id, AdminUnitSuccession.new_id)).all()
    )
    successions = {}
    for new_code, entry in NEW_TO_OLD.items():
        new_id = communes.get(new_code)
        if new_id is None:
            continue
        for old in entry.old_wards:
            old_id = old_communes.get(old.code)
            if old_id is not None and (old_id, new_id) not in existing_pairs:
                successions[(old_id, new_id)] = old.is_partly_merged
    successions.update(_inferred_successions(legacy, communes, old_communes, existing_pairs))
    if successions:
        db.session.execute(
            insert(AdminUnitSuccession),
            [{"old_id": o, "new_id": n, "partial": p} for (o, n), p in successions.items()],
        )
    added["successions"] = len(successions)
    return added


# Pre-2025 communes the package's conversion table leaves out, checked against the
# Standing Committee's 2025 resolutions: the district towns whose name the new commune took.
KNOWN_SUCCESSIONS: dict[int, tuple[int, ...]] = {
    4060: (4075,),  # Thị trấn Yên Châu (Sơn La) → Xã Yên Châu
    3898: (3910,),  # Thị trấn Phù Yên (Sơn La) → Xã Phù Yên
}


def _inferred_successions(
    legacy: Any,
    communes: dict[int, int],
    old_communes: dict[int, int],
    existing_pairs: set[Any],
) -> dict[tuple[int, int], bool]:
    """Successions for the pre-2025 communes the conversion table leaves out (28 in 2026.9.0:
    units merged into a neighbour shortly before 2025 under a code the table uses, and two
    district towns). Listed ones from KNOWN_SUCCESSIONS; the others take the successors of
    their nearest neighbours by code in the same pre-2025 district, marked partial."""
    new_of_old: dict[int, set[int]] = {}
    for old_id, new_id in db.session.execute(
        select(AdminUnitSuccession.old_id, AdminUnitSuccession.new_id)
    ).all():
        new_of_old.setdefault(old_id, set()).add(new_id)
    from vietnam_provinces._ward_conversion_2025 import NEW_TO_OLD

    for new_code, entry in NEW_TO_OLD.items():
        target = communes.get(new_code)
        for old in entry.old_wards:
            source = old_communes.get(old.code)
            if target is not None and source is not None:
                new_of_old.setdefault(source, set()).add(target)
    by_district: dict[int, list[int]] = {}
    for w in legacy.Ward.iter_all():
        by_district.setdefault(int(w.district_code), []).append(int(w.code))
    found: dict[tuple[int, int], bool] = {}
    for codes in by_district.values():
        codes.sort()
        for i, code in enumerate(codes):
            orphan = old_communes.get(code)
            if orphan is None or orphan in new_of_old:
                continue
            if code in KNOWN_SUCCESSIONS:
                new_ids = {communes[c] for c in KNOWN_SUCCESSIONS[code] if c in communes}
                partial = False
            else:
                new_ids = set()
                # The nearest neighbour on each side that has successors.
                for side in (reversed(codes[:i]), codes[i + 1 :]):
                    for n in side:
                        if old_communes.get(n) in new_of_old:
                            new_ids |= new_of_old[old_communes[n]]
                            break
                partial = True
            for new_id in new_ids:
                if (orphan, new_id) not in existing_pairs:
                    found[(orphan, new_id)] = partial
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


_COMMUNE_PREFIXES = ("xa_", "phuong_", "dac_khu_", "thi_tran_")


def _sort_key(codename: str) -> str:
    # "phuong_ba_dinh" sorts as "ba_dinh": alphabetical by the name people know.
    for prefix in _COMMUNE_PREFIXES:
        if codename.startswith(prefix):
            return codename[len(prefix) :]
    return codename


def provinces() -> list[Place]:
    """Today's provinces and centrally run cities, alphabetically."""
    rows = db.session.execute(
        select(AdminUnit.code, AdminUnit.name, AdminUnit.codename).where(
            AdminUnit.era == Era.CURRENT, AdminUnit.level == Level.PROVINCE
        )
    )
    return [Place(code, name) for code, name, _c in sorted(rows, key=lambda r: r[2])]


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
        select(AdminUnit.code, AdminUnit.name, AdminUnit.codename).where(
            AdminUnit.era == Era.CURRENT,
            AdminUnit.level == Level.COMMUNE,
            AdminUnit.province_id == province,
        )
    )
    return [Place(code, name) for code, name, c in sorted(rows, key=lambda r: _sort_key(r[2]))]


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
