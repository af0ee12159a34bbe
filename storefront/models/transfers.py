"""Bank-transfer notifications (SePay), stored raw before they are processed, and the refund
tasks staff work through. Rows are never deleted: a notification's status moves forward, and a
refund task is closed, not removed."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storefront.extensions import Base
from storefront.models.base import str_enum, utcnow
from storefront.models.orders import Order
from storefront.models.users import User


class NotificationStatus(enum.StrEnum):
    RECEIVED = "received"  # stored; not processed yet (processing follows in its own commit)
    APPLIED = "applied"  # the money counted towards its order (paid, partly paid, reinstated)
    OUTGOING = "outgoing"  # money leaving the account: stored and ignored
    UNMATCHED = "unmatched"  # in the staff queue: no order, or one it cannot be applied to
    ASSIGNED = "assigned"  # staff applied it to an order
    REFUND = "refund"  # the money is owed back: see its refund task


class RefundStatus(enum.StrEnum):
    OPEN = "open"
    REFUNDED = "refunded"


class BankNotification(Base):
    """One bank-notification delivery, as the provider sent it, and what became of it."""

    __tablename__ = "bank_notifications"
    __table_args__ = (
        UniqueConstraint("provider", "transaction_id", name="uq_bank_notifications_transaction"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("applied_amount >= 0", name="applied_amount_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))  # "sepay"
    transaction_id: Mapped[str] = mapped_column(String(64))  # the provider's id: once only
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    raw_body: Mapped[str] = mapped_column(Text)
    # The parsed fields (as the bank wrote them; the date is the bank's local time, as text).
    gateway: Mapped[str] = mapped_column(String(100), default="")
    transaction_date: Mapped[str] = mapped_column(String(40), default="")
    account_number: Mapped[str] = mapped_column(String(40), default="")
    transfer_type: Mapped[str] = mapped_column(String(3))  # "in" | "out"
    amount: Mapped[int] = mapped_column(BigInteger)  # đồng
    content: Mapped[str] = mapped_column(Text, default="")
    code: Mapped[str] = mapped_column(String(64), default="")
    reference_code: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[NotificationStatus] = mapped_column(
        str_enum(NotificationStatus, "notification_status"),
        default=NotificationStatus.RECEIVED,
        index=True,
    )
    # Why, in a word: paid, partly_paid, overpaid, unknown_code, ambiguous, not_awaiting ...
    outcome: Mapped[str] = mapped_column(String(30), default="")
    # The order it was applied to (or names but could not be applied to).
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    # An order whose code is one typing slip away from what the content says: staff check it.
    suggested_order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    applied_amount: Mapped[int] = mapped_column(BigInteger, default=0)  # đồng
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(Text, default="")

    order: Mapped[Order | None] = relationship(foreign_keys=[order_id])
    suggested_order: Mapped[Order | None] = relationship(foreign_keys=[suggested_order_id])


class RefundTask(Base):
    """Money to send back to whoever transferred it; closed by staff once sent."""

    __tablename__ = "refund_tasks"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int | None] = mapped_column(
        ForeignKey("bank_notifications.id"), index=True
    )
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)  # đồng
    # overpaid, after_expiry, after_cancel, staff
    reason: Mapped[str] = mapped_column(String(30))
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[RefundStatus] = mapped_column(
        str_enum(RefundStatus, "refund_status"), default=RefundStatus.OPEN, index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    done_note: Mapped[str] = mapped_column(Text, default="")

    notification: Mapped[BankNotification | None] = relationship()
    order: Mapped[Order | None] = relationship()
    done_by: Mapped[User | None] = relationship()
