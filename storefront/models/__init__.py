"""The domain model, one module per domain; importing this registers every table."""

from .audit import AuditEvent
from .base import utcnow
from .cart import Cart, CartLine
from .catalog import CatalogState, Listing, ListingImage, ListingStatus, OcopGroup, Package
from .certificates import (
    Certificate,
    CertificateReminder,
    CertificateStatus,
    add_months,
    default_expiry,
)
from .cooperatives import (
    Cooperative,
    CooperativeInvitation,
    CooperativeMember,
    CooperativeStatus,
    MemberRole,
)
from .locations import AdminUnit, AdminUnitSuccession, Era, Level
from .orders import (
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    PaymentMethod,
    PaymentStatus,
    Shipment,
    ShipmentStatus,
    WebhookEvent,
)
from .users import Address, Role, User

__all__ = [
    "Address",
    "AdminUnit",
    "AdminUnitSuccession",
    "AuditEvent",
    "Cart",
    "CatalogState",
    "CartLine",
    "Certificate",
    "CertificateReminder",
    "CertificateStatus",
    "Cooperative",
    "CooperativeInvitation",
    "CooperativeMember",
    "CooperativeStatus",
    "Era",
    "Level",
    "Listing",
    "ListingImage",
    "ListingStatus",
    "MemberRole",
    "OcopGroup",
    "Order",
    "OrderLine",
    "OrderStatus",
    "Package",
    "Payment",
    "PaymentMethod",
    "PaymentStatus",
    "Role",
    "Shipment",
    "ShipmentStatus",
    "User",
    "WebhookEvent",
    "add_months",
    "default_expiry",
    "utcnow",
]
