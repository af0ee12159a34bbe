"""Test data factories: real rows through the real session, public listings by default."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from sqlalchemy import select

from storefront.core.clock import today as shop_today
from storefront.extensions import db
from storefront.models import (
    AdminUnit,
    Certificate,
    CertificateStatus,
    Cooperative,
    CooperativeMember,
    CooperativeStatus,
    Era,
    Level,
    Listing,
    ListingStatus,
    MemberRole,
    OcopGroup,
    Package,
    Role,
    User,
    default_expiry,
)

PASSWORD = "correct horse battery"
_seq = itertools.count(1)

# Xã Lục Ngạn (Bắc Ninh since 2025); before 2025 Xã Tân Hoa, Huyện Lục Ngạn, Tỉnh Bắc Giang.
LUC_NGAN_COMMUNE = 7582
TAN_HOA_LEGACY_COMMUNE = 7567


def commune(code: int = LUC_NGAN_COMMUNE, era: Era = Era.CURRENT) -> AdminUnit:
    unit = db.session.scalar(
        select(AdminUnit).where(
            AdminUnit.era == era, AdminUnit.level == Level.COMMUNE, AdminUnit.code == code
        )
    )
    assert unit is not None, f"commune {code} ({era}) is not loaded"
    return unit


def user(*, role: Role = Role.CUSTOMER, email: str | None = None, password: str = PASSWORD, **kw):
    n = next(_seq)
    u = User(email=email or f"user{n}@example.vn", role=role, name=kw.pop("name", f"User {n}"), **kw)
    u.set_password(password)
    db.session.add(u)
    db.session.commit()
    return u


def cooperative(
    *, status: CooperativeStatus = CooperativeStatus.APPROVED, owner: User | None = None, **kw
):
    n = next(_seq)
    coop = Cooperative(
        legal_name=kw.pop("legal_name", f"HTX Thử nghiệm {n}"),
        slug=kw.pop("slug", f"htx-thu-nghiem-{n}"),
        registration_number=kw.pop("registration_number", f"TEST-{n:06d}"),
        commune=kw.pop("commune", None) or commune(),
        status=status,
        **kw,
    )
    db.session.add(coop)
    if owner is not None:
        db.session.add(CooperativeMember(cooperative=coop, user=owner, role=MemberRole.OWNER))
    db.session.commit()
    return coop


def certificate(
    coop: Cooperative,
    *,
    status: CertificateStatus = CertificateStatus.VERIFIED,
    stars: int = 4,
    issued_on: date | None = None,
    expires_on: date | None = None,
    **kw,
):
    n = next(_seq)
    issued_on = issued_on or shop_today() - timedelta(days=100)
    cert = Certificate(
        cooperative=coop,
        number=kw.pop("number", f"DEMO-{n:04d}/QĐ-UBND"),
        stars=stars,
        product_name=kw.pop("product_name", f"Sản phẩm {n}"),
        issuing_authority=kw.pop("issuing_authority", "UBND tỉnh Bắc Giang"),
        issued_on=issued_on,
        expires_on=expires_on or default_expiry(issued_on),
        status=status,
        **kw,
    )
    db.session.add(cert)
    db.session.commit()
    return cert


def listing(
    *,
    coop: Cooperative | None = None,
    cert: Certificate | None | bool = True,
    status: ListingStatus = ListingStatus.ACTIVE,
    packages: list[dict] | None = None,
    name: str | None = None,
    group: OcopGroup = OcopGroup.FOOD,
    **kw,
):
    """A listing that is public unless told otherwise."""
    n = next(_seq)
    coop = coop or cooperative()
    if cert is True:
        cert = certificate(coop)
    item = Listing(
        cooperative=coop,
        certificate=cert or None,
        ocop_group=int(group),
        name=name or f"Sản phẩm thử {n}",
        slug=kw.pop("slug", f"san-pham-thu-{n}"),
        status=status,
        origin_commune=kw.pop("origin_commune", None) or commune(),
        **kw,
    )
    for i, spec in enumerate(
        packages if packages is not None else [{"label": "Hộp 1 kg", "price": 150_000, "stock": 10}]
    ):
        item.packages.append(
            Package(
                label=spec.get("label", "Hộp 1 kg"),
                weight_grams=spec.get("weight_grams", 1000),
                price=spec.get("price", 150_000),
                stock=spec.get("stock", 10),
                preorder=spec.get("preorder", False),
                sku=spec.get("sku"),
                position=i,
            )
        )
    db.session.add(item)
    db.session.commit()
    return item
