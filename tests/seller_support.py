"""Helpers shared by the seller workspace tests: a logged-in cooperative member, real images."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image
from sqlalchemy import func, select

from storefront.extensions import db
from storefront.models import (
    AuditEvent,
    Certificate,
    Cooperative,
    CooperativeInvitation,
    CooperativeMember,
    Listing,
    ListingImage,
    MemberRole,
    Package,
)
from tests import factories

LUC_NGAN_PROVINCE = 24  # the province of factories.LUC_NGAN_COMMUNE today


def png_bytes(size: tuple[int, int] = (64, 48), color=(40, 120, 60), fmt: str = "PNG", **save) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, fmt, **save)
    return buffer.getvalue()


def jpeg_with_exif() -> bytes:
    image = Image.new("RGB", (80, 60), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x0131] = "SecretSoftware"  # Software
    exif[0x0112] = 1  # Orientation
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif.tobytes())
    return buffer.getvalue()


def file_field(data: bytes, name: str = "photo.png"):
    return (io.BytesIO(data), name)


def member_of(coop: Cooperative, role: MemberRole = MemberRole.OWNER, user=None):
    user = user or factories.user()
    db.session.add(CooperativeMember(cooperative_id=coop.id, user_id=user.id, role=role))
    db.session.commit()
    return user


def seller(status=None, **kw):
    """(user, cooperative): an owner of a fresh cooperative (approved unless told otherwise)."""
    user = factories.user()
    coop = factories.cooperative(owner=user, **({"status": status} if status else {}), **kw)
    return user, coop


def counts() -> dict[str, int]:
    """Rows per table the seller can change: a cheap "nothing changed" check."""
    return {
        model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
        for model in (
            Listing,
            Package,
            ListingImage,
            Certificate,
            Cooperative,
            CooperativeMember,
            CooperativeInvitation,
            AuditEvent,
        )
    }


def state() -> dict:
    """A fuller snapshot than counts(): statuses, stocks, photo order, certificate links."""
    db.session.expire_all()
    return {
        "counts": counts(),
        "listings": sorted(
            db.session.execute(
                select(Listing.id, Listing.status, Listing.name, Listing.certificate_id)
            ).all()
        ),
        "packages": sorted(db.session.execute(select(Package.id, Package.stock, Package.price)).all()),
        "images": sorted(
            db.session.execute(select(ListingImage.id, ListingImage.position)).all()
        ),
        "certificates": sorted(
            db.session.execute(
                select(Certificate.id, Certificate.status, Certificate.number, Certificate.stars)
            ).all()
        ),
        "members": sorted(
            db.session.execute(select(CooperativeMember.cooperative_id, CooperativeMember.user_id)).all()
        ),
    }


def files_under(folder: Path) -> set[str]:
    if not folder.exists():
        return set()
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}
