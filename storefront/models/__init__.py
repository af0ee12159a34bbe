"""The domain model, one module per domain; importing this registers every table."""

from storefront.models.audit import AuditEvent
from storefront.models.base import utcnow
from storefront.models.cart import Cart, CartLine
from storefront.models.catalog import (
    CatalogState,
    Listing,
    ListingImage,
    ListingStatus,
    OcopGroup,
    Package,
)
from storefront.models.certificates import (
    Certificate,
    CertificateReminder,
    CertificateStatus,
    PendingApproval,
    add_months,
    default_expiry,
)
from storefront.models.cooperatives import (
    Cooperative,
    CooperativeInvitation,
    CooperativeMember,
    CooperativeStatus,
    InvitationStatus,
    MemberRole,
)
from storefront.models.locations import AdminUnit, AdminUnitSuccession, Era, Level
from storefront.models.orders import (
    CANCELLED_BY_BUYER,
    CANCELLED_BY_COOPERATIVE,
    CANCELLED_BY_STAFF,
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
from storefront.models.transfers import (
    BankNotification,
    NotificationStatus,
    RefundStatus,
    RefundTask,
)
from storefront.models.users import Address, Role, User

__all__ = [
    "CANCELLED_BY_BUYER",
    "CANCELLED_BY_COOPERATIVE",
    "CANCELLED_BY_STAFF",
    "Address",
    "AdminUnit",
    "AdminUnitSuccession",
    "AuditEvent",
    "BankNotification",
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
    "InvitationStatus",
    "Level",
    "Listing",
    "ListingImage",
    "ListingStatus",
    "MemberRole",
    "NotificationStatus",
    "OcopGroup",
    "Order",
    "OrderLine",
    "OrderStatus",
    "Package",
    "Payment",
    "PaymentMethod",
    "PaymentStatus",
    "PendingApproval",
    "RefundStatus",
    "RefundTask",
    "Role",
    "Shipment",
    "ShipmentStatus",
    "User",
    "WebhookEvent",
    "add_months",
    "default_expiry",
    "utcnow",
]
