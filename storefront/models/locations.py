"""Vietnam's administrative units: the current two tiers and the pre-2025 three tiers."""

from __future__ import annotations

import enum

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storefront.extensions import Base
from storefront.models.base import str_enum

# Longest first, so "Thị trấn " wins over a shorter prefix.
UNIT_PREFIXES = (
    "Thành phố ",
    "Thị trấn ",
    "Đặc khu ",
    "Phường ",
    "Thị xã ",
    "Huyện ",
    "Quận ",
    "Tỉnh ",
    "Xã ",
)


class Era(enum.StrEnum):
    CURRENT = "current"  # since 2025-07-01: province → commune/ward/special zone
    LEGACY = "legacy"  # before: province → district → commune/ward/town


class Level(enum.StrEnum):
    PROVINCE = "province"
    DISTRICT = "district"  # legacy era only
    COMMUNE = "commune"


class AdminUnit(Base):
    """One unit as published by the national statistics office, in one era.

    Codes are only unique within an era (and differ between package releases), so a
    unit is identified by (era, level, code) and referenced by its surrogate id.
    """

    __tablename__ = "admin_units"
    __table_args__ = (
        UniqueConstraint("era", "level", "code", name="uq_admin_units_era_level_code"),
        Index("ix_admin_units_parent", "parent_id"),
        Index("ix_admin_units_province", "province_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    era: Mapped[Era] = mapped_column(str_enum(Era, "era"))
    level: Mapped[Level] = mapped_column(str_enum(Level, "level"))
    code: Mapped[int]
    name: Mapped[str] = mapped_column(String(120))  # "Xã Lục Ngạn", "Tỉnh Bắc Giang"
    division_type: Mapped[str] = mapped_column(String(40))  # "xã", "phường", "huyện", ...
    codename: Mapped[str] = mapped_column(String(120))  # ASCII, for accent-free lookups
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("admin_units.id"))
    province_id: Mapped[int | None] = mapped_column(ForeignKey("admin_units.id"))

    parent: Mapped[AdminUnit | None] = relationship(
        remote_side=[id], foreign_keys=[parent_id], lazy="joined", join_depth=2
    )
    province: Mapped[AdminUnit | None] = relationship(remote_side=[id], foreign_keys=[province_id])

    @property
    def short_name(self) -> str:
        """The name without its unit type: "Xã Lục Ngạn" → "Lục Ngạn"."""
        for prefix in UNIT_PREFIXES:
            if self.name.startswith(prefix):
                return self.name[len(prefix) :]
        return self.name

    def __repr__(self) -> str:
        return f"<AdminUnit {self.era.value} {self.level.value} {self.code} {self.name}>"


class AdminUnitSuccession(Base):
    """The 2025-07-01 reorganisation: a pre-2025 commune became (part of) a current one."""

    __tablename__ = "admin_unit_successions"

    old_id: Mapped[int] = mapped_column(ForeignKey("admin_units.id"), primary_key=True)
    new_id: Mapped[int] = mapped_column(ForeignKey("admin_units.id"), primary_key=True, index=True)
    partial: Mapped[bool] = mapped_column(default=False)

    old: Mapped[AdminUnit] = relationship(foreign_keys=[old_id])
    new: Mapped[AdminUnit] = relationship(foreign_keys=[new_id])
