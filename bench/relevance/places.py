"""Pre-2025 communes resolved to today's commune with vietnam-provinces, as the shop does."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from storefront.search.analysis import fold
from storefront.search.documents import short_name


@dataclass(frozen=True)
class Origin:
    province_code: int
    commune_code: int
    names: tuple[str, ...]  # as ListingDocument.place_names: current, then pre-2025


@cache
def _tables():
    import vietnam_provinces as vp
    from vietnam_provinces import legacy
    from vietnam_provinces._ward_conversion_2025 import OLD_TO_NEW

    provinces = {int(p.code): p.name for p in vp.Province.iter_all()}
    wards = {int(w.code): w for w in vp.Ward.iter_all()}
    old_provinces = {int(p.code): p.name for p in legacy.Province.iter_all()}
    old_districts = {int(d.code): d for d in legacy.District.iter_all()}
    by_name: dict[tuple[str, str, str], list[int]] = {}
    for ward in legacy.Ward.iter_all():
        district = old_districts[int(ward.district_code)]
        key = (
            fold(short_name(old_provinces[int(district.province_code)])),
            fold(short_name(district.name)),
            fold(short_name(ward.name)),
        )
        by_name.setdefault(key, []).append(int(ward.code))
    return provinces, wards, old_provinces, old_districts, by_name, OLD_TO_NEW


def resolve(legacy_place: str) -> Origin:
    """ "Xã Phúc Trạch, Huyện Hương Khê, Tỉnh Hà Tĩnh" → today's commune and every name."""
    provinces, wards, old_provinces, old_districts, by_name, old_to_new = _tables()
    commune, district, province = (short_name(p.strip()) for p in legacy_place.split(","))
    codes = by_name.get((fold(province), fold(district), fold(commune)))
    if not codes:
        raise KeyError(f"no pre-2025 commune {legacy_place!r}")
    entry = old_to_new[codes[0]]
    new = wards[entry.new_wards[0].code]
    old_district = old_districts[entry.old_ward.district_code]
    names = [
        short_name(new.name),
        short_name(provinces[int(new.province_code)]),
        commune,
        short_name(old_district.name),
        short_name(old_provinces[entry.old_ward.province_code]),
    ]
    return Origin(int(new.province_code), int(new.code), tuple(dict.fromkeys(names)))
