"""Listings (products offered for sale), their packages and photos."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from sqlalchemy import (
    DDL,
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storefront.extensions import Base
from storefront.models import limits
from storefront.models.base import TimestampMixin, str_enum

if TYPE_CHECKING:
    from storefront.models.certificates import Certificate
    from storefront.models.cooperatives import Cooperative
    from storefront.models.locations import AdminUnit
    from storefront.models.users import User


class OcopGroup(enum.IntEnum):
    """The six OCOP product groups of Decision 148/QĐ-TTg."""

    FOOD = 1
    DRINKS = 2
    HERBS = 3
    HANDICRAFTS = 4
    ORNAMENTALS = 5
    TOURISM = 6


class ListingStatus(enum.StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    PAUSED = "paused"
    ARCHIVED = "archived"


class PhotoStatus(enum.StrEnum):
    """An uploaded photo's sizes (a listing's, a review's, a cooperative's new logo): being
    made by its job, made (shown to shoppers), or never to be made: the job found the file
    broken, or gave up after its retries (shown only to its owner, to remove and upload again)."""

    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"


class Listing(TimestampMixin, Base):
    __tablename__ = "listings"
    __table_args__ = (
        # No index leads with `status`: with few distinct values it lures SQLite's planner
        # away from the primary key when the catalog re-checks a page of ids.
        CheckConstraint("ocop_group BETWEEN 1 AND 6", name="ocop_group_1_to_6"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cooperative_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"), index=True)
    # One product per certificate: a certificate backs at most one listing.
    certificate_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"), unique=True)
    ocop_group: Mapped[int]
    name: Mapped[str] = mapped_column(String(limits.PRODUCT_NAME))
    slug: Mapped[str] = mapped_column(String(220), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")  # safe Markdown subset
    # Optional English name and short description, shown in the English UI and indexed.
    name_en: Mapped[str] = mapped_column(String(limits.PRODUCT_NAME), default="", server_default="")
    summary_en: Mapped[str] = mapped_column(
        String(limits.LISTING_SUMMARY_EN), default="", server_default=""
    )
    status: Mapped[ListingStatus] = mapped_column(
        str_enum(ListingStatus, "listing_status"), default=ListingStatus.DRAFT
    )
    # Origin: the official code of a current commune, plus the names as recorded
    # (and the pre-2025 commune when the certificate was issued under old units).
    origin_commune_id: Mapped[int] = mapped_column(ForeignKey("admin_units.id"), index=True)
    origin_legacy_commune_id: Mapped[int | None] = mapped_column(ForeignKey("admin_units.id"))
    origin_recorded: Mapped[str] = mapped_column(String(limits.ORIGIN_RECORDED), default="")
    # The seller confirmed a pre-2025 commune that is not one the current commune grew from
    # (per the 2025 succession data): who and when, shown to PFA staff.
    origin_legacy_exception: Mapped[bool] = mapped_column(default=False)
    origin_legacy_confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    origin_legacy_confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    cooperative: Mapped[Cooperative] = relationship(back_populates="listings")
    certificate: Mapped[Certificate | None] = relationship(back_populates="listing")
    origin_commune: Mapped[AdminUnit] = relationship(foreign_keys=[origin_commune_id])
    origin_legacy_commune: Mapped[AdminUnit | None] = relationship(
        foreign_keys=[origin_legacy_commune_id]
    )
    origin_legacy_confirmed_by: Mapped[User | None] = relationship(
        foreign_keys=[origin_legacy_confirmed_by_id]
    )
    packages: Mapped[list[Package]] = relationship(
        back_populates="listing", cascade="all, delete-orphan", order_by="Package.position"
    )
    images: Mapped[list[ListingImage]] = relationship(
        back_populates="listing", cascade="all, delete-orphan", order_by="ListingImage.position"
    )

    @property
    def ready_images(self) -> list[ListingImage]:
        """The photos shoppers see, cover first: those whose sizes are made. A photo still
        being processed (or that failed) is only in the seller's editor; the cover and
        og:image are the first of these, never an unprocessed photo."""
        return [image for image in self.images if image.status is PhotoStatus.READY]

    @property
    def group(self) -> OcopGroup:
        return OcopGroup(self.ocop_group)

    def __repr__(self) -> str:
        return f"<Listing {self.slug} {self.status.value}>"


class Package(TimestampMixin, Base):
    """One way a listing is sold ("Hộp 1 kg"), with its own price and stock."""

    __tablename__ = "packages"
    __table_args__ = (
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        CheckConstraint("price > 0", name="price_positive"),
        CheckConstraint("weight_grams > 0", name="weight_positive"),
        UniqueConstraint("listing_id", "sku", name="uq_packages_listing_sku"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(
        ForeignKey("listings.id", ondelete="CASCADE"), index=True
    )
    label: Mapped[str] = mapped_column(String(limits.PACKAGE_LABEL))  # "Hộp 1 kg"
    weight_grams: Mapped[int]
    price: Mapped[int]  # đồng; VND has no minor unit
    stock: Mapped[int] = mapped_column(default=0)
    preorder: Mapped[bool] = mapped_column(default=False)
    sku: Mapped[str | None] = mapped_column(String(limits.SKU))
    position: Mapped[int] = mapped_column(default=0)

    listing: Mapped[Listing] = relationship(back_populates="packages")

    # At or below this, a product page says "only N left" (above it, "in stock") and the
    # seller's stock page lists the package as running low.
    LOW_STOCK: ClassVar[int] = 5

    @property
    def available(self) -> bool:
        return self.stock > 0 or self.preorder

    @staticmethod
    def shown_stock(stock: int) -> int:
        """What a shopper can see of a stock level: the count up to LOW_STOCK, one band above
        it. A sale from 30 to 29 changes nothing on any page; from 6 to 5 it does."""
        return min(stock, Package.LOW_STOCK + 1)


class ListingImage(TimestampMixin, Base):
    """A photo, stored under a random name; position 0 is the cover."""

    __tablename__ = "listing_images"

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(
        ForeignKey("listings.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(120))  # random stem; sizes are derived
    width: Mapped[int] = mapped_column(default=0)
    height: Mapped[int] = mapped_column(default=0)
    alt: Mapped[str] = mapped_column(String(limits.PRODUCT_NAME), default="")
    position: Mapped[int] = mapped_column(default=0)
    # Uploaded photos are processed by a job (domain/catalog/photos.py); rows from before
    # that, and photos stored whole (demo, fixtures), are ready.
    status: Mapped[PhotoStatus] = mapped_column(
        str_enum(PhotoStatus, "photo_status"),
        default=PhotoStatus.READY,
        server_default=PhotoStatus.READY.value,
    )

    listing: Mapped[Listing] = relationship(back_populates="images")


class CatalogState(Base):
    """One row: the catalog version, moved on by every commit that changes what the catalog
    shows (a listing, its packages or photos, its certificate or cooperative).

    Every app server reads it from the database, so a page cached under a version is current
    on any server for as long as the version stands (storefront/domain/catalog/version.py).
    """

    __tablename__ = "catalog_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class CatalogChange(Base):
    """Which listings the commit that moved the catalog version to `version` changed, written
    in that same transaction (domain/catalog/version.py): one row per listing, or one with
    listing 0 for a change of no listing (a review, a cooperative's story). Another process
    seeing the version move on drops the cards of these listings only, not every card; a
    version without rows (a bump with no list, a pruned one) drops them all. Every row of a
    version holds the same random `nonce`: a process checks that the version it last saw is
    still that one (not a number counted again after the database was emptied or restored)."""

    __tablename__ = "catalog_changes"

    version: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    listing_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    nonce: Mapped[int] = mapped_column(BigInteger)


# Tables made by create_all (tests, benchmarks) get their one row, as the migration gives it.
event.listen(
    CatalogState.__table__,
    "after_create",
    DDL("INSERT INTO catalog_state (id, version) VALUES (1, 0)"),
)
