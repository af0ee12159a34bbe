"""Orders and what was sold: snapshot lines, one shipment per cooperative, payments."""

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
from storefront.models import limits
from storefront.models.base import TimestampMixin, str_enum, utcnow


class OrderStatus(enum.StrEnum):
    # Paid online (card, bank transfer, payOS), waiting for the provider's or the bank's word.
    AWAITING_PAYMENT = "awaiting_payment"
    PLACED = "placed"  # cash on delivery, or card paid: cooperatives fulfil it
    CANCELLED = "cancelled"


class PaymentMethod(enum.StrEnum):
    COD = "cod"
    CARD = "card"  # Stripe Checkout, for buyers abroad
    TRANSFER = "transfer"  # bank transfer by VietQR, confirmed by a bank-notification webhook
    PAYOS = "payos"  # a payOS payment link


class PaymentStatus(enum.StrEnum):
    PENDING = "pending"
    PARTLY_PAID = "partly_paid"  # a bank transfer below the amount: the buyer owes the balance
    PAID = "paid"
    FAILED = "failed"
    EXPIRED = "expired"
    REFUNDED = "refunded"


class ShipmentStatus(enum.StrEnum):
    NEW = "new"
    PACKED = "packed"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


# Who cancelled an order or one cooperative's part of it.
CANCELLED_BY_BUYER = "buyer"
CANCELLED_BY_COOPERATIVE = "cooperative"
CANCELLED_BY_STAFF = "staff"  # PFA staff or an admin, from the console


class Order(TimestampMixin, Base):
    __tablename__ = "orders"
    __table_args__ = (CheckConstraint("total >= 0", name="total_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(16), unique=True)  # short, random, printable
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    email: Mapped[str] = mapped_column(String(limits.EMAIL), index=True)
    # Indexed: the cap on open cash-on-delivery orders counts a phone's orders at each checkout.
    phone: Mapped[str] = mapped_column(String(limits.PHONE), index=True)
    recipient: Mapped[str] = mapped_column(String(limits.PERSON_NAME))
    street: Mapped[str] = mapped_column(String(limits.STREET))
    commune_id: Mapped[int | None] = mapped_column(ForeignKey("admin_units.id"))
    address_text: Mapped[str] = mapped_column(String(400))  # full address as written at checkout
    payment_method: Mapped[PaymentMethod] = mapped_column(str_enum(PaymentMethod, "payment_method"))
    status: Mapped[OrderStatus] = mapped_column(str_enum(OrderStatus, "order_status"), index=True)
    locale: Mapped[str] = mapped_column(String(5), default="vi")
    # Bank transfer: the short code the buyer's transfer content must carry (unique, so a
    # bank notification names exactly one order). NULL for every other payment method.
    payment_code: Mapped[str | None] = mapped_column(String(16), unique=True)
    subtotal: Mapped[int] = mapped_column(BigInteger)  # đồng
    shipping_total: Mapped[int] = mapped_column(BigInteger, default=0)
    total: Mapped[int] = mapped_column(BigInteger)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Who cancelled (CANCELLED_BY_*) and why, as the buyer's order page shows it.
    cancelled_by: Mapped[str] = mapped_column(String(20), default="", server_default="")
    cancel_reason: Mapped[str] = mapped_column(Text, default="", server_default="")

    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.id"
    )
    shipments: Mapped[list[Shipment]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="Shipment.id"
    )
    payments: Mapped[list[Payment]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="Payment.id"
    )


class Shipment(TimestampMixin, Base):
    """The part of an order that one cooperative fulfils."""

    __tablename__ = "shipments"
    __table_args__ = (
        UniqueConstraint("order_id", "cooperative_id", name="uq_shipments_order_cooperative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    cooperative_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"), index=True)
    cooperative_name: Mapped[str] = mapped_column(String(limits.COOPERATIVE_NAME))
    status: Mapped[ShipmentStatus] = mapped_column(
        str_enum(ShipmentStatus, "shipment_status"), default=ShipmentStatus.NEW
    )
    subtotal: Mapped[int] = mapped_column(BigInteger)
    shipping_fee: Mapped[int] = mapped_column(BigInteger, default=0)
    weight_grams: Mapped[int] = mapped_column(default=0)
    carrier: Mapped[str] = mapped_column(String(limits.CARRIER), default="")
    tracking_number: Mapped[str] = mapped_column(String(limits.TRACKING_NUMBER), default="")
    packed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    shipped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When the review reminder (3 days after delivery) was queued; None: not yet.
    review_reminder_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cash_collected_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_by: Mapped[str] = mapped_column(String(20), default="", server_default="")
    cancel_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    # A card-paid part cancelled on its own: what is owed back to the buyer (đồng), and the
    # provider's refund once sent. Owed while refund_id is NULL; refunded once, by its own key.
    refund_due: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    refund_id: Mapped[str | None] = mapped_column(String(255))

    order: Mapped[Order] = relationship(back_populates="shipments")
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="shipment", order_by="OrderLine.id"
    )


class OrderLine(Base):
    """What was sold, as it was at the time: later listing edits never rewrite it."""

    __tablename__ = "order_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price > 0", name="unit_price_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id"), index=True)
    package_id: Mapped[int | None] = mapped_column(ForeignKey("packages.id", ondelete="SET NULL"))
    listing_id: Mapped[int | None] = mapped_column(ForeignKey("listings.id", ondelete="SET NULL"))
    product_name: Mapped[str] = mapped_column(String(limits.PRODUCT_NAME))
    package_label: Mapped[str] = mapped_column(String(limits.PACKAGE_LABEL))
    weight_grams: Mapped[int]
    unit_price: Mapped[int]
    quantity: Mapped[int]
    cooperative_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"))
    cooperative_name: Mapped[str] = mapped_column(String(limits.COOPERATIVE_NAME))
    certificate_number: Mapped[str] = mapped_column(String(limits.CERTIFICATE_NUMBER))
    stars: Mapped[int]
    origin: Mapped[str] = mapped_column(String(400))
    # Units taken off the package's stock (fewer than `quantity` for a pre-order): exactly
    # what a cancellation gives back.
    stock_taken: Mapped[int] = mapped_column(default=0, server_default="0")

    order: Mapped[Order] = relationship(back_populates="lines")
    shipment: Mapped[Shipment] = relationship(back_populates="lines")

    @property
    def line_total(self) -> int:
        return self.unit_price * self.quantity


class Payment(TimestampMixin, Base):
    __tablename__ = "payments"
    __table_args__ = (CheckConstraint("amount >= 0", name="amount_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(20))  # "stripe" | "cod" | "vietqr" | "payos"
    amount: Mapped[int] = mapped_column(BigInteger)  # đồng, zero-decimal in Stripe too
    # What has arrived so far (đồng): a bank transfer may come short, in several parts.
    amount_received: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    currency: Mapped[str] = mapped_column(String(3), default="vnd")
    status: Mapped[PaymentStatus] = mapped_column(
        str_enum(PaymentStatus, "payment_status"), default=PaymentStatus.PENDING
    )
    provider_session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    provider_payment_id: Mapped[str | None] = mapped_column(String(255))
    provider_refund_id: Mapped[str | None] = mapped_column(String(255))
    failure_reason: Mapped[str] = mapped_column(Text, default="")
    # When the provider's page (card, payOS) or the held stock (bank transfer) stops
    # waiting for this payment; NULL for cash on delivery.
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    order: Mapped[Order] = relationship(back_populates="payments")


class WebhookEvent(Base):
    """A provider event: handled (the unique id makes redelivery a no-op), or kept with its
    payload until it matches a payment (the reconciliation tries it again)."""

    __tablename__ = "webhook_events"
    __table_args__ = (UniqueConstraint("provider", "event_id", name="uq_webhook_events_event"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    event_id: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(80))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # NULL while the event matches no payment; its payload is kept only until then.
    handled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    payload: Mapped[str] = mapped_column(Text, default="", server_default="")
