"""Buyers' reviews, and what shoppers see of how a product was received.

A review belongs to one delivered order line (never more than one review per line), so only
a verified buyer can write one. Buyers' ratings (1–5) are an opinion; a listing's OCOP stars
are a certification: the two never share a column, a label or a look.

ListingStats holds the summary a card or a sort reads (ratings and sold quantity), kept in
the same transaction as the change that moves it, so it never drifts from the rows.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storefront.extensions import Base
from storefront.models import limits
from storefront.models.base import TimestampMixin, str_enum, utcnow
from storefront.models.catalog import PhotoStatus

if TYPE_CHECKING:
    from storefront.models.orders import OrderLine
    from storefront.models.users import User

REVIEW_BODY = limits.REVIEW_BODY
REVIEW_ANSWER = limits.REVIEW_ANSWER
REVIEW_AUTHOR = 80  # the name shown beside a review ("Nguyễn V. A.")
REVIEW_REASON = 500  # a report's or a hiding's reason


class ReviewStatus(enum.StrEnum):
    VISIBLE = "visible"
    HIDDEN = "hidden"  # by PFA staff or an admin, with a reason (audited)


class ReportStatus(enum.StrEnum):
    OPEN = "open"
    DISMISSED = "dismissed"  # staff looked and left the review shown
    ACTIONED = "actioned"  # the review was hidden


class Review(TimestampMixin, Base):
    """One buyer's review of what one order line delivered."""

    __tablename__ = "reviews"
    __table_args__ = (
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating"),
        Index("ix_reviews_listing_shown", "listing_id", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_line_id: Mapped[int] = mapped_column(
        ForeignKey("order_lines.id", ondelete="CASCADE"), unique=True
    )
    listing_id: Mapped[int | None] = mapped_column(ForeignKey("listings.id", ondelete="SET NULL"))
    cooperative_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(  # None: a guest, through the signed link
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    author_name: Mapped[str] = mapped_column(String(REVIEW_AUTHOR))
    rating: Mapped[int] = mapped_column(SmallInteger)
    body: Mapped[str] = mapped_column(Text, default="", server_default="")  # plain text
    package_label: Mapped[str] = mapped_column(String(limits.PACKAGE_LABEL), default="")
    edited_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[ReviewStatus] = mapped_column(
        str_enum(ReviewStatus, "review_status"), default=ReviewStatus.VISIBLE
    )
    hidden_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    hidden_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    helpful_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    photo_count: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    # The cooperative's one public answer.
    answer: Mapped[str] = mapped_column(Text, default="", server_default="")
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    order_line: Mapped[OrderLine] = relationship()
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    photos: Mapped[list[ReviewPhoto]] = relationship(
        back_populates="review", cascade="all, delete-orphan", order_by="ReviewPhoto.position"
    )

    @property
    def ready_photos(self) -> list[ReviewPhoto]:
        """The photos anyone but their author may see: those whose job has made their sizes."""
        return [photo for photo in self.photos if photo.status is PhotoStatus.READY]

    def __repr__(self) -> str:
        return f"<Review {self.id} line={self.order_line_id} {self.rating}/5>"


class ReviewPhoto(Base):
    """A buyer's photo, stored under a random name like a listing's (sizes are derived), and
    processed by a job like a listing's (domain/reviews/photos.py): only "ready" ones are shown."""

    __tablename__ = "review_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(120))
    width: Mapped[int] = mapped_column(default=0)
    height: Mapped[int] = mapped_column(default=0)
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Rows from before the jobs, and photos stored whole (fixtures), are ready.
    status: Mapped[PhotoStatus] = mapped_column(
        str_enum(PhotoStatus, "photo_status"),
        default=PhotoStatus.READY,
        server_default=PhotoStatus.READY.value,
    )

    review: Mapped[Review] = relationship(back_populates="photos")


class ReviewVote(Base):
    """One "helpful" vote: one per visitor (a user, or a signed anonymous visitor key)."""

    __tablename__ = "review_votes"
    __table_args__ = (UniqueConstraint("review_id", "voter", name="uq_review_vote"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"))
    voter: Mapped[str] = mapped_column(String(64))  # "u:<id>" or a visitor key's digest
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ReviewReport(Base):
    """Anyone's report of a review; staff hide the review or dismiss the report."""

    __tablename__ = "review_reports"
    __table_args__ = (UniqueConstraint("review_id", "reporter", name="uq_review_report"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    reporter: Mapped[str] = mapped_column(String(64))  # as ReviewVote.voter
    reason: Mapped[str] = mapped_column(String(REVIEW_REASON), default="")
    status: Mapped[ReportStatus] = mapped_column(
        str_enum(ReportStatus, "review_report_status"), default=ReportStatus.OPEN, index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class ListingStats(Base):
    """Per listing: its visible reviews' count, sum and 1–5 histogram, and the quantity
    shipped or delivered ("Đã bán N"). Written in the transaction that moves them."""

    __tablename__ = "listing_stats"

    listing_id: Mapped[int] = mapped_column(
        ForeignKey("listings.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    rating_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    rating_sum: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    rating_1: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    rating_2: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    rating_3: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    rating_4: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    rating_5: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    sold_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    @property
    def rating_average(self) -> float | None:
        return self.rating_sum / self.rating_count if self.rating_count else None
