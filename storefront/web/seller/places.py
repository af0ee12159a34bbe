"""Province → commune choices (today's units) for the seller's forms.

The lists come from the accounts part (its /account/communes JSON serves the same lists to
the browser); this module adds what the seller's forms need besides.
"""

from __future__ import annotations

from sqlalchemy import select

from storefront.domain.accounts import Place, communes_of, provinces
from storefront.extensions import db
from storefront.models import AdminUnit, Era, Level

__all__ = ["Place", "communes_of", "province_of_commune", "provinces"]


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
